import PlexusCore

/// Leaky integrate-and-fire neuron with exponentially decaying synaptic conductances (NEST
/// `iaf_cond_exp`). Integrated like NEST: GSL's adaptive RKF45 (absolute tolerance 1e-3 on the
/// values), the internal step size carried from one simulation step to the next.
public struct IafCondExp: PointNeuronModel {
    public static let name = "iaf_cond_exp"
    public static let parameters: [ParameterSpec] = [
        .init("V_th", .mV, -55, "spike threshold"),
        .init("V_reset", .mV, -60, "reset potential"),
        .init("t_ref", .ms, 2, "duration of the refractory period"),
        .init("g_L", .nS, 16.6667, "leak conductance"),
        .init("C_m", .pF, 250, "membrane capacitance"),
        .init("E_ex", .mV, 0, "excitatory reversal potential"),
        .init("E_in", .mV, -85, "inhibitory reversal potential"),
        .init("E_L", .mV, -70, "leak reversal potential"),
        .init("tau_syn_ex", .ms, 0.2, "decay time of the excitatory conductance"),
        .init("tau_syn_in", .ms, 2, "decay time of the inhibitory conductance"),
        .init("I_e", .pA, 0, "constant input current"),
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        .init("g_ex", .nS, initial: 0),
        .init("g_in", .nS, initial: 0),
        .init("refractory_steps", .one, initial: 0, recordable: false),
        // GSL's step size, kept per neuron between simulation steps (NEST's IntegrationStep_);
        // 0 means "not started": the first step tries the resolution, as NEST's init does.
        .init("integration_step", .ms, initial: 0, recordable: false),
        .init("I_stim", .pA, initial: 0, recordable: false),
    ]
    public static let weightUnit = PhysicalUnit.nS

    static let dimension = 3   // V_m, g_ex, g_in: the ODE state, in NEST's order
    static let control = GSLStandardControl.y(epsAbs: 1e-3, epsRel: 0)

    let Vth, Vreset, gL, Cm, Eex, Ein, EL, tauEx, tauIn, Ie: Double
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
        refractorySteps = (p["t_ref"] / h).rounded()
        self.h = h
    }

    /// NEST's iaf_cond_exp_dynamics. While refractory V is clamped to V_reset (dV/dt = 0);
    /// otherwise the V used in the currents is capped at V_th, so an internal step that overshoots
    /// the threshold does not feed a runaway back into the solver.
    struct RHS: ODERightHandSide {
        let m: IafCondExp
        let iStim: Double
        let refractory: Bool
        var dimension: Int { IafCondExp.dimension }

        @inline(__always)
        func callAsFunction(_ t: Double, _ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>) {
            let V = refractory ? m.Vreset : min(y[0], m.Vth)
            let Iex = y[1] * (V - m.Eex)
            let Iin = y[2] * (V - m.Ein)
            let IL = m.gL * (V - m.EL)
            f[0] = refractory ? 0.0 : (-IL + iStim + m.Ie - Iex - Iin) / m.Cm
            f[1] = -y[1] / m.tauEx
            f[2] = -y[2] / m.tauIn
        }
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let d = Self.dimension
        let vm = s.column(0), gex = s.column(1), gin = s.column(2)
        let r = s.column(3), hstep = s.column(4), istim = s.column(5)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: d + RKF45Workspace.scratchCount(dimension: d)) { buf in
            let y = buf.baseAddress!
            let work = RKF45Workspace(y + d, dimension: d)
            for i in range {
                y[0] = vm[i]; y[1] = gex[i]; y[2] = gin[i]
                let rhs = RHS(m: self, iStim: istim[i], refractory: r[i] > 0)
                var hs = hstep[i] > 0 ? hstep[i] : h
                var t = 0.0
                while t < h {
                    RKF45.evolveApply(rhs, control: Self.control, t: &t, t1: h, h: &hs, y: y, work: work)
                }
                // input that arrived in this step acts after its integration (NEST's ring buffer)
                y[1] += input.excitatory(i)
                y[2] += -input.inhibitory(i)
                if r[i] > 0 {
                    r[i] -= 1
                    y[0] = Vreset
                } else if y[0] >= Vth {
                    r[i] = refractorySteps
                    y[0] = Vreset
                    spikes.emit(i)
                }
                vm[i] = y[0]; gex[i] = y[1]; gin[i] = y[2]
                hstep[i] = hs
                istim[i] = input.current[i]
            }
        }
    }
}
