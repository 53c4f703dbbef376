import PlexusCore

/// Leaky integrate-and-fire neuron with alpha-shaped synaptic conductances (NEST
/// `iaf_cond_alpha`): each conductance g is driven by an auxiliary dg, and a spike of weight w
/// makes dg jump by w·e/tau_syn so that g peaks at w after tau_syn. Integrated like NEST: GSL's
/// adaptive RKF45 (absolute tolerance 1e-3 on the values), the step size carried over.
public struct IafCondAlpha: PointNeuronModel {
    public static let name = "iaf_cond_alpha"
    public static let parameters: [ParameterSpec] = [
        .init("V_th", .mV, -55, "spike threshold"),
        .init("V_reset", .mV, -60, "reset potential"),
        .init("t_ref", .ms, 2, "duration of the refractory period"),
        .init("g_L", .nS, 16.6667, "leak conductance"),
        .init("C_m", .pF, 250, "membrane capacitance"),
        .init("E_ex", .mV, 0, "excitatory reversal potential"),
        .init("E_in", .mV, -85, "inhibitory reversal potential"),
        .init("E_L", .mV, -70, "leak reversal potential"),
        .init("tau_syn_ex", .ms, 0.2, "rise time of the excitatory conductance"),
        .init("tau_syn_in", .ms, 2, "rise time of the inhibitory conductance"),
        .init("I_e", .pA, 0, "constant input current"),
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        .init("dg_ex", .nS, initial: 0, recordable: false),
        .init("g_ex", .nS, initial: 0),
        .init("dg_in", .nS, initial: 0, recordable: false),
        .init("g_in", .nS, initial: 0),
        // NEST records the remaining refractory time in ms; it is kept here as a step count
        // (exact) and converted in prepareState / recordedValue.
        .init("t_ref_remaining", .ms, initial: 0),
        // GSL's step size, kept per neuron between simulation steps (NEST's IntegrationStep_);
        // 0 means "not started": the first step tries the resolution, as NEST's init does.
        .init("integration_step", .ms, initial: 0, recordable: false),
        .init("I_stim", .pA, initial: 0, recordable: false),
    ]
    public static let weightUnit = PhysicalUnit.nS

    static let dimension = 5   // V_m, dg_ex, g_ex, dg_in, g_in: the ODE state, in NEST's order
    static let control = GSLStandardControl.y(epsAbs: 1e-3, epsRel: 0)
    static let refractoryColumn = 5
    /// e rounded to double, as NEST's numerics::e (std::numbers::e).
    static let eulerE = 2.718281828459045

    let Vth, Vreset, gL, Cm, Eex, Ein, EL, tauEx, tauIn, Ie: Double
    let psConInitEx, psConInitIn: Double
    let refractorySteps: Double
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        try Check.less(p, "V_reset", "V_th")
        try Check.positive(p, "C_m")
        try Check.nonNegative(p, "t_ref")
        try Check.positive(p, "tau_syn_ex", "tau_syn_in")
        Vth = p["V_th"]; Vreset = p["V_reset"]; gL = p["g_L"]; Cm = p["C_m"]
        Eex = p["E_ex"]; Ein = p["E_in"]; EL = p["E_L"]
        tauEx = p["tau_syn_ex"]; tauIn = p["tau_syn_in"]; Ie = p["I_e"]
        // dg jumps by w·e/tau so that g = w·(t/tau)·e^(1 - t/tau) peaks at w for t = tau
        psConInitEx = 1.0 * Self.eulerE / tauEx
        psConInitIn = 1.0 * Self.eulerE / tauIn
        refractorySteps = (p["t_ref"] / h).rounded()
        self.h = h
    }

    public func prepareState(_ s: StateColumns, count: Int) {
        let r = s.column(Self.refractoryColumn)
        for i in 0..<count { r[i] = (r[i] / h).rounded() }
    }

    public func recordedValue(_ s: StateColumns, variable v: Int, neuron i: Int) -> Double {
        v == Self.refractoryColumn ? h * s.column(v)[i] : s.column(v)[i]
    }

    /// NEST's iaf_cond_alpha_dynamics: V clamped to V_reset while refractory, capped at V_th
    /// otherwise (inside the currents only).
    struct RHS: ODERightHandSide {
        let m: IafCondAlpha
        let iStim: Double
        let refractory: Bool
        var dimension: Int { IafCondAlpha.dimension }

        @inline(__always)
        func callAsFunction(_ t: Double, _ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>) {
            let V = refractory ? m.Vreset : min(y[0], m.Vth)
            let Iex = y[2] * (V - m.Eex)
            let Iin = y[4] * (V - m.Ein)
            let IL = m.gL * (V - m.EL)
            f[0] = refractory ? 0.0 : (-IL - Iex - Iin + iStim + m.Ie) / m.Cm
            f[1] = -y[1] / m.tauEx
            f[2] = y[1] - (y[2] / m.tauEx)
            f[3] = -y[3] / m.tauIn
            f[4] = y[3] - (y[4] / m.tauIn)
        }
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let d = Self.dimension
        let vm = s.column(0), dgex = s.column(1), gex = s.column(2), dgin = s.column(3), gin = s.column(4)
        let r = s.column(5), hstep = s.column(6), istim = s.column(7)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: d + RKF45Workspace.scratchCount(dimension: d)) { buf in
            let y = buf.baseAddress!
            let work = RKF45Workspace(y + d, dimension: d)
            for i in range {
                y[0] = vm[i]; y[1] = dgex[i]; y[2] = gex[i]; y[3] = dgin[i]; y[4] = gin[i]
                let rhs = RHS(m: self, iStim: istim[i], refractory: r[i] > 0)
                var hs = hstep[i] > 0 ? hstep[i] : h
                var t = 0.0
                while t < h {
                    RKF45.evolveApply(rhs, control: Self.control, t: &t, t1: h, h: &hs, y: y, work: work)
                }
                // NEST checks the threshold before adding this step's input (no effect on V here)
                if r[i] > 0 {
                    r[i] -= 1
                    y[0] = Vreset
                } else if y[0] >= Vth {
                    r[i] = refractorySteps
                    y[0] = Vreset
                    spikes.emit(i)
                }
                // input that arrived in this step acts after its integration (NEST's ring buffer)
                y[1] += input.excitatory(i) * psConInitEx
                y[3] += -input.inhibitory(i) * psConInitIn
                vm[i] = y[0]; dgex[i] = y[1]; gex[i] = y[2]; dgin[i] = y[3]; gin[i] = y[4]
                hstep[i] = hs
                istim[i] = input.current[i]
            }
        }
    }
}
