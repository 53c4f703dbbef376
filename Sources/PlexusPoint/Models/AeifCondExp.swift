import PlexusCore

/// Adaptive exponential integrate-and-fire neuron with exponential synaptic conductances (NEST
/// `aeif_cond_exp`, Brette & Gerstner 2005). Integrated like NEST: GSL's adaptive RKF45 with the
/// derivative-based control (gsl_odeiv_control_yp_new(gsl_error_tol, gsl_error_tol)); V_peak is
/// checked after every internal solver step, and the reset (V = V_reset, w += b) happens there,
/// inside the simulation step, so the recorded samples never show the peak.
public struct AeifCondExp: PointNeuronModel, RefractoryODENeuron {
    public static let name = "aeif_cond_exp"
    /// The synaptic conductances (E_ex, E_in, tau_syn_ex, tau_syn_in) as in iaf_cond_exp
    /// (IafCondMembrane.swift).
    public static let parameters: [ParameterSpec] = [
        .init("C_m", .pF, 281, "membrane capacitance"),
        .init("V_th", .mV, -50.4, "spike initiation threshold"),
        .init("t_ref", .ms, 0, "duration of the refractory period"),
        .init("g_L", .nS, 30, "leak conductance"),
        .init("E_L", .mV, -70.6, "leak reversal potential"),
        .init("V_reset", .mV, -60, "reset potential"),
        IafCondMembrane.E_ex,
        IafCondMembrane.E_in,
    ] + IafCondMembrane.synapticTimeConstants("decay time") + [
        .init("a", .nS, 4, "subthreshold adaptation"),
        .init("b", .pA, 80.5, "spike-triggered adaptation"),
        .init("Delta_T", .mV, 2, "slope factor of the exponential"),
        .init("tau_w", .ms, 144, "adaptation time constant"),
        NeuronParameter.I_e,
        .init("V_peak", .mV, 0, "spike detection threshold"),
        .init("gsl_error_tol", .one, 1e-6, "error tolerance of the RKF45 solver"),
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70.6),
        .init("g_ex", .nS, initial: 0),
        .init("g_in", .nS, initial: 0),
        .init("w", .pA, initial: 0),
    ] + NeuronState.afterODE
    public static let weightUnit = PhysicalUnit.nS

    static let dimension = 4   // V_m, g_ex, g_in, w: the ODE state, in NEST's order

    let Cm, Vth, gL, EL, Vreset, Eex, Ein, tauEx, tauIn, a, b, DeltaT, tauW, Ie, Vpeak: Double
    /// Where a spike is detected: V_peak, or V_th when Delta_T = 0 (plain IAF dynamics).
    let spikeThreshold: Double
    let refractorySteps: Double
    let control: GSLStandardControl
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        if !(p["V_peak"] >= p["V_th"]) {
            throw PlexusError("V_peak = \(p["V_peak"]) must be >= V_th = \(p["V_th"])", keyPath: "V_peak")
        }
        try Check.nonNegative(p, "Delta_T")
        if p["Delta_T"] > 0 {
            // NEST's guard against overflow of the exponential at the peak (with a 1e20 margin)
            let maxExpArg = _log(Double.greatestFiniteMagnitude / 1e20)
            if (p["V_peak"] - p["V_th"]) / p["Delta_T"] >= maxExpArg {
                throw PlexusError("Delta_T = \(p["Delta_T"]) is too small for V_peak - V_th: the exponential would overflow at the peak", keyPath: "Delta_T")
            }
        }
        try Check.less(p, "V_reset", "V_peak")
        try Check.positive(p, "C_m")
        try Check.nonNegative(p, "t_ref")
        try Check.positive(p, "tau_syn_ex", "tau_syn_in", "tau_w", "gsl_error_tol")
        Cm = p["C_m"]; Vth = p["V_th"]; gL = p["g_L"]; EL = p["E_L"]; Vreset = p["V_reset"]
        Eex = p["E_ex"]; Ein = p["E_in"]; tauEx = p["tau_syn_ex"]; tauIn = p["tau_syn_in"]
        a = p["a"]; b = p["b"]; DeltaT = p["Delta_T"]; tauW = p["tau_w"]; Ie = p["I_e"]; Vpeak = p["V_peak"]
        spikeThreshold = DeltaT > 0 ? Vpeak : Vth
        refractorySteps = (p["t_ref"] / h).rounded()
        control = .yp(epsAbs: p["gsl_error_tol"], epsRel: p["gsl_error_tol"])
        self.h = h
    }

    /// NEST's aeif_cond_exp_dynamics. While refractory V is clamped to V_reset (dV/dt = 0);
    /// otherwise the V used on the right-hand side is capped at V_peak (the parameter, even when
    /// Delta_T = 0), which keeps the exponential finite when a trial step overshoots the peak.
    @inline(__always)
    func derivatives(_ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>, iStim: Double, refractory: Bool) {
        let V = refractory ? Vreset : min(y[0], Vpeak)
        let gex = y[1], gin = y[2], w = y[3]
        let Iex = gex * (V - Eex)
        let Iin = gin * (V - Ein)
        let Ispike = DeltaT == 0 ? 0.0 : (gL * DeltaT * _exp((V - Vth) / DeltaT))
        f[0] = refractory ? 0.0 : (-gL * (V - EL) + Ispike - Iex - Iin - w + Ie + iStim) / Cm
        f[1] = -gex / tauEx
        f[2] = -gin / tauIn
        f[3] = (a * (V - EL) - w) / tauW
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let d = Self.dimension
        let vm = s.column(0), gex = s.column(1), gin = s.column(2), wc = s.column(3)
        let r = s.column(4), hstep = s.column(5), istim = s.column(6)
        RKF45.withState(dimension: d) { y, work in
            for i in range {
                y[0] = vm[i]; y[1] = gex[i]; y[2] = gin[i]; y[3] = wc[i]
                var ri = r[i]
                var hs = RKF45.carriedStepSize(hstep[i], resolution: h)
                var t = 0.0
                while t < h {
                    // refractoriness can start inside the step, so the right-hand side is rebuilt
                    let rhs = RefractoryRHS(model: self, iStim: istim[i], refractory: ri > 0)
                    RKF45.evolveApply(rhs, control: control, t: &t, t1: h, h: &hs, y: y, work: work)
                    // NEST stops with NumericalInstability here; the engine stops on the NaN this
                    // leaves in V_m, naming the neuron and the time.
                    if y[0] < -1e3 || y[3] < -1e6 || y[3] > 1e6 || !y[0].isFinite {
                        y[0] = .nan
                        break
                    }
                    if ri > 0 {
                        y[0] = Vreset
                    } else if y[0] >= spikeThreshold {
                        y[0] = Vreset
                        y[3] += b   // spike-triggered adaptation, applied at the internal step
                        // +1 because the count goes down once right after this loop; 0 stays 0 so
                        // that a neuron without refractory time is not clamped for the rest of the step
                        ri = refractorySteps > 0 ? refractorySteps + 1 : 0
                        spikes.emit(i)
                    }
                }
                if ri > 0 { ri -= 1 }
                // input that arrived in this step acts after its integration (NEST's ring buffer)
                y[1] += input.excitatory(i)
                y[2] += -input.inhibitory(i)
                vm[i] = y[0]; gex[i] = y[1]; gin[i] = y[2]; wc[i] = y[3]
                r[i] = ri
                hstep[i] = hs
                istim[i] = input.current[i]
            }
        }
    }
}
