import PlexusCore

/// Leaky integrate-and-fire neuron with alpha-shaped synaptic conductances (NEST
/// `iaf_cond_alpha`): each conductance g is driven by an auxiliary dg, and a spike of weight w
/// makes dg jump by w·e/tau_syn so that g peaks at w after tau_syn. Integrated like NEST: GSL's
/// adaptive RKF45 (absolute tolerance 1e-3 on the values), the step size carried over.
public struct IafCondAlpha: PointNeuronModel, RefractoryODENeuron {
    public static let name = "iaf_cond_alpha"
    /// The list shared with iaf_cond_exp (IafCondMembrane.swift); here the time constants are the
    /// rise times of the conductances.
    public static let parameters = IafCondMembrane.parameters(kernelTime: "rise time")
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        .init("dg_ex", .nS, initial: 0, recordable: false),
        .init("g_ex", .nS, initial: 0),
        .init("dg_in", .nS, initial: 0, recordable: false),
        .init("g_in", .nS, initial: 0),
        // NEST records the remaining refractory time in ms; it is kept here as a step count
        // (exact) and converted in prepareState / recordedValue.
        .init("t_ref_remaining", .ms, initial: 0),
        NeuronState.integrationStep,
        NeuronState.stimulus,
    ]
    public static let weightUnit = PhysicalUnit.nS

    static let dimension = 5   // V_m, dg_ex, g_ex, dg_in, g_in: the ODE state, in NEST's order
    static let refractoryColumn = 5

    let m: IafCondMembrane
    let psConInitEx, psConInitIn: Double
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        m = try IafCondMembrane(p, resolution: h)
        // dg jumps by w·e/tau so that g = w·(t/tau)·e^(1 - t/tau) peaks at w for t = tau
        psConInitEx = 1.0 * eulerE / m.tauEx
        psConInitIn = 1.0 * eulerE / m.tauIn
        self.h = h
    }

    public func prepareState(_ s: StateColumns, count: Int) {
        let r = s.column(Self.refractoryColumn)
        for i in 0..<count { r[i] = (r[i] / h).rounded() }
    }

    public func recordedValue(_ s: StateColumns, variable v: Int, neuron i: Int) -> Double {
        v == Self.refractoryColumn ? h * s.column(v)[i] : s.column(v)[i]
    }

    /// NEST's iaf_cond_alpha_dynamics (dV/dt = 0 while refractory).
    @inline(__always)
    func derivatives(_ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>, iStim: Double, refractory: Bool) {
        let V = m.voltage(y[0], refractory: refractory)
        let (Iex, Iin, IL) = m.currents(V, gEx: y[2], gIn: y[4])
        f[0] = refractory ? 0.0 : (-IL - Iex - Iin + iStim + m.Ie) / m.Cm
        f[1] = -y[1] / m.tauEx
        f[2] = y[1] - (y[2] / m.tauEx)
        f[3] = -y[3] / m.tauIn
        f[4] = y[3] - (y[4] / m.tauIn)
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        m.update(self, s, range, input, &spikes, resolution: h) { y, i in
            y[1] += input.excitatory(i) * psConInitEx
            y[3] += -input.inhibitory(i) * psConInitIn
        }
    }
}
