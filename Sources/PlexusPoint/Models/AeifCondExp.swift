import PlexusCore

/// Adaptive exponential integrate-and-fire neuron with exponential synaptic conductances (NEST
/// `aeif_cond_exp`, Brette & Gerstner 2005). Integrated like NEST: GSL's adaptive RKF45 with the
/// derivative-based control (gsl_odeiv_control_yp_new(gsl_error_tol, gsl_error_tol)); V_peak is
/// checked after every internal solver step, and the reset (V = V_reset, w += b) happens there,
/// inside the simulation step, so the recorded samples never show the peak.
public struct AeifCondExp: PointNeuronModel, RefractoryODENeuron {
    public static let name = "aeif_cond_exp"
    public static let parameters = AeifMembrane.parameters(kernelTime: "decay time")
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70.6),
        .init("g_ex", .nS, initial: 0),
        .init("g_in", .nS, initial: 0),
        .init("w", .pA, initial: 0),
    ] + NeuronState.afterODE
    public static let weightUnit = PhysicalUnit.nS

    static let dimension = 4   // V_m, g_ex, g_in, w: the ODE state, in NEST's order

    let m: AeifMembrane
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        m = try AeifMembrane(p, resolution: h)
        self.h = h
    }

    /// NEST's aeif_cond_exp_dynamics.
    @inline(__always)
    func derivatives(_ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>, iStim: Double, refractory: Bool) {
        let V = m.voltage(y[0], refractory: refractory)
        let gex = y[1], gin = y[2], w = y[3]
        f[0] = m.dVdt(V, Iex: gex * (V - m.Eex), Iin: gin * (V - m.Ein), w: w, iStim: iStim, refractory: refractory)
        f[1] = -gex / m.tauEx
        f[2] = -gin / m.tauIn
        f[3] = m.dwdt(V, w: w)
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        m.update(self, s, range, input, &spikes, resolution: h) { y, i in
            y[1] += input.excitatory(i)
            y[2] += -input.inhibitory(i)
        }
    }
}

/// Adaptive exponential integrate-and-fire neuron with alpha-shaped synaptic conductances (NEST
/// `aeif_cond_alpha`): aeif_cond_exp's membrane and solver; a spike of weight w makes a
/// conductance w·(t/τ)·e^{1-t/τ} that peaks at w after τ.
public struct AeifCondAlpha: PointNeuronModel, RefractoryODENeuron {
    public static let name = "aeif_cond_alpha"
    public static let parameters = AeifMembrane.parameters(kernelTime: "rise time")
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70.6),
        .init("dg_ex", .one, initial: 0, recordable: false),
        .init("g_ex", .nS, initial: 0),
        .init("dg_in", .one, initial: 0, recordable: false),
        .init("g_in", .nS, initial: 0),
        .init("w", .pA, initial: 0),
    ] + NeuronState.afterODE
    public static let weightUnit = PhysicalUnit.nS

    static let dimension = 6   // V_m, dg_ex, g_ex, dg_in, g_in, w: NEST's order

    let m: AeifMembrane
    /// A weight w enters dg as w·e/τ_syn so that the conductance peaks at w.
    let g0ex, g0in: Double
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        m = try AeifMembrane(p, resolution: h)
        g0ex = 1.0 * eulerE / m.tauEx
        g0in = 1.0 * eulerE / m.tauIn
        self.h = h
    }

    /// NEST's aeif_cond_alpha_dynamics.
    @inline(__always)
    func derivatives(_ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>, iStim: Double, refractory: Bool) {
        let V = m.voltage(y[0], refractory: refractory)
        let dgex = y[1], gex = y[2], dgin = y[3], gin = y[4], w = y[5]
        f[0] = m.dVdt(V, Iex: gex * (V - m.Eex), Iin: gin * (V - m.Ein), w: w, iStim: iStim, refractory: refractory)
        f[1] = -dgex / m.tauEx
        f[2] = dgex - gex / m.tauEx
        f[3] = -dgin / m.tauIn
        f[4] = dgin - gin / m.tauIn
        f[5] = m.dwdt(V, w: w)
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        m.update(self, s, range, input, &spikes, resolution: h) { y, i in
            y[1] += input.excitatory(i) * g0ex
            y[3] += -input.inhibitory(i) * g0in
        }
    }
}

/// What NEST's aeif_cond_exp and aeif_cond_alpha share: parameters (names, units, defaults),
/// checks, the membrane and adaptation equations, and the step with V_peak checked after every
/// internal solver step. The adaptation current w is the last ODE variable.
struct AeifMembrane {
    /// `kernelTime` says what tau_syn_ex and tau_syn_in are ("decay time", "rise time"); the
    /// synaptic conductances (E_ex, E_in, tau_syn_*) are as in iaf_cond_exp (IafCondMembrane.swift).
    static func parameters(kernelTime: String) -> [ParameterSpec] {
        membrane + [IafCondMembrane.E_ex, IafCondMembrane.E_in] + IafCondMembrane.synapticTimeConstants(kernelTime) + adaptation
    }

    /// The AdEx parameters before the synapses' (NEST's order) and after them; the multisynapse
    /// models (Multisynapse.swift) have these with arrays for the synapses.
    static let membrane: [ParameterSpec] = [
        .init("C_m", .pF, 281, "membrane capacitance"),
        .init("V_th", .mV, -50.4, "spike initiation threshold"),
        .init("t_ref", .ms, 0, "duration of the refractory period"),
        .init("g_L", .nS, 30, "leak conductance"),
        .init("E_L", .mV, -70.6, "leak reversal potential"),
        .init("V_reset", .mV, -60, "reset potential"),
    ]
    static let adaptation: [ParameterSpec] = [
        .init("a", .nS, 4, "subthreshold adaptation"),
        .init("b", .pA, 80.5, "spike-triggered adaptation"),
        .init("Delta_T", .mV, 2, "slope factor of the exponential"),
        .init("tau_w", .ms, 144, "adaptation time constant"),
        NeuronParameter.I_e,
        .init("V_peak", .mV, 0, "spike detection threshold"),
        .init("gsl_error_tol", .one, 1e-6, "error tolerance of the RKF45 solver"),
    ]

    /// NEST's check of Delta_T: >= 0, and small enough that the exponential cannot overflow at
    /// V_peak (with NEST's 1e20 margin).
    static func checkDeltaT(_ p: ParameterValues) throws {
        try Check.nonNegative(p, "Delta_T")
        if p["Delta_T"] > 0 {
            let maxExpArg = _log(Double.greatestFiniteMagnitude / 1e20)
            if (p["V_peak"] - p["V_th"]) / p["Delta_T"] >= maxExpArg {
                throw PlexusError("Delta_T = \(p["Delta_T"]) is too small for V_peak - V_th: the exponential would overflow at the peak", keyPath: "Delta_T")
            }
        }
    }

    let Cm, Vth, gL, EL, Vreset, Eex, Ein, tauEx, tauIn, a, b, DeltaT, tauW, Ie, Vpeak: Double
    /// Where a spike is detected: V_peak, or V_th when Delta_T = 0 (plain IAF dynamics).
    let spikeThreshold: Double
    let refractorySteps: Double
    let control: GSLStandardControl

    /// NEST's checks, in its order.
    init(_ p: ParameterValues, resolution h: Double) throws {
        if !(p["V_peak"] >= p["V_th"]) {
            throw PlexusError("V_peak = \(p["V_peak"]) must be >= V_th = \(p["V_th"])", keyPath: "V_peak")
        }
        try Self.checkDeltaT(p)
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
    }

    /// The V the right-hand side sees: V_reset while refractory (dV/dt = 0); otherwise capped at
    /// V_peak (the parameter, even when Delta_T = 0), which keeps the exponential finite when a
    /// trial step overshoots the peak.
    @inline(__always)
    func voltage(_ v: Double, refractory: Bool) -> Double { refractory ? Vreset : min(v, Vpeak) }

    @inline(__always)
    func dVdt(_ V: Double, Iex: Double, Iin: Double, w: Double, iStim: Double, refractory: Bool) -> Double {
        let Ispike = DeltaT == 0 ? 0.0 : (gL * DeltaT * _exp((V - Vth) / DeltaT))
        return refractory ? 0.0 : (-gL * (V - EL) + Ispike - Iex - Iin - w + Ie + iStim) / Cm
    }

    @inline(__always)
    func dwdt(_ V: Double, w: Double) -> Double { (a * (V - EL) - w) / tauW }

    /// One simulation step of neurons `range`: the ODE state (V_m first, w last) in columns 0 to
    /// d - 1, then the refractory count, the step size and I_stim. `receive(y, i)` adds the
    /// spikes that arrived in the step after its integration (NEST's ring buffer).
    @inline(__always)
    func update<Model: RefractoryODENeuron>(_ model: Model, _ s: StateColumns, _ range: Range<Int>, _ input: StepInput,
                                            _ spikes: inout SpikeOutput, resolution h: Double,
                                            receive: (_ y: UnsafeMutablePointer<Double>, _ neuron: Int) -> Void) {
        let d = Model.dimension, wi = d - 1
        let r = s.column(d), hstep = s.column(d + 1), istim = s.column(d + 2)
        RKF45.withState(dimension: d) { y, work in
            for i in range {
                for v in 0..<d { y[v] = s.column(v)[i] }
                var ri = r[i]
                var hs = RKF45.carriedStepSize(hstep[i], resolution: h)
                var t = 0.0
                while t < h {
                    // refractoriness can start inside the step, so the right-hand side is rebuilt
                    let rhs = RefractoryRHS(model: model, iStim: istim[i], refractory: ri > 0)
                    RKF45.evolveApply(rhs, control: control, t: &t, t1: h, h: &hs, y: y, work: work)
                    // NEST stops with NumericalInstability here; the engine stops on the NaN this
                    // leaves in V_m, naming the neuron and the time.
                    if y[0] < -1e3 || y[wi] < -1e6 || y[wi] > 1e6 || !y[0].isFinite {
                        y[0] = .nan
                        break
                    }
                    if ri > 0 {
                        y[0] = Vreset
                    } else if y[0] >= spikeThreshold {
                        y[0] = Vreset
                        y[wi] += b   // spike-triggered adaptation, applied at the internal step
                        // +1 because the count goes down once right after this loop; 0 stays 0 so
                        // that a neuron without refractory time is not clamped for the rest of the step
                        ri = refractorySteps > 0 ? refractorySteps + 1 : 0
                        spikes.emit(i)
                    }
                }
                if ri > 0 { ri -= 1 }
                receive(y, i)
                for v in 0..<d { s.column(v)[i] = y[v] }
                r[i] = ri
                hstep[i] = hs
                istim[i] = input.current[i]
            }
        }
    }
}
