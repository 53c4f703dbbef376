import PlexusCore

/// Leaky integrate-and-fire neuron with exponentially decaying synaptic conductances (NEST
/// `iaf_cond_exp`). Integrated like NEST: GSL's adaptive RKF45 (absolute tolerance 1e-3 on the
/// values), the internal step size carried from one simulation step to the next.
public struct IafCondExp: PointNeuronModel, RefractoryODENeuron {
    public static let name = "iaf_cond_exp"
    /// The list shared with iaf_cond_alpha (IafCondMembrane.swift); here the time constants are
    /// the decay times of the conductances.
    public static let parameters = IafCondMembrane.parameters(kernelTime: "decay time")
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        .init("g_ex", .nS, initial: 0),
        .init("g_in", .nS, initial: 0),
    ] + NeuronState.afterODE
    public static let weightUnit = PhysicalUnit.nS

    static let dimension = 3   // V_m, g_ex, g_in: the ODE state, in NEST's order, columns 0 to 2

    let m: IafCondMembrane
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        m = try IafCondMembrane(p, resolution: h)
        self.h = h
    }

    /// NEST's iaf_cond_exp_dynamics (dV/dt = 0 while refractory).
    @inline(__always)
    func derivatives(_ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>, iStim: Double, refractory: Bool) {
        let V = m.voltage(y[0], refractory: refractory)
        let (Iex, Iin, IL) = m.currents(V, gEx: y[1], gIn: y[2])
        f[0] = refractory ? 0.0 : (-IL + iStim + m.Ie - Iex - Iin) / m.Cm
        f[1] = -y[1] / m.tauEx
        f[2] = -y[2] / m.tauIn
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        m.update(self, s, range, input, &spikes, resolution: h) { y, i in
            y[1] += input.excitatory(i)
            y[2] += -input.inhibitory(i)
        }
    }
}
