import PlexusCore

/// Leaky integrate-and-fire neuron with exponentially decaying synaptic conductances (NEST
/// `iaf_cond_exp`). Integrated like NEST: GSL's adaptive RKF45 (absolute tolerance 1e-3 on the
/// values), the internal step size carried from one simulation step to the next.
public struct IafCondExp: PointNeuronModel {
    public static let name = "iaf_cond_exp"
    /// The list shared with iaf_cond_alpha (IafCondMembrane.swift); here the time constants are
    /// the decay times of the conductances.
    public static let parameters = IafCondMembrane.parameters(kernelTime: "decay time")
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        .init("g_ex", .nS, initial: 0),
        .init("g_in", .nS, initial: 0),
        NeuronState.refractorySteps,
        NeuronState.integrationStep,
        NeuronState.stimulus,
    ]
    public static let weightUnit = PhysicalUnit.nS

    static let dimension = 3   // V_m, g_ex, g_in: the ODE state, in NEST's order, columns 0 to 2

    let m: IafCondMembrane
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        m = try IafCondMembrane(p, resolution: h)
        self.h = h
    }

    /// NEST's iaf_cond_exp_dynamics (dV/dt = 0 while refractory).
    struct RHS: ODERightHandSide {
        let m: IafCondMembrane
        let iStim: Double
        let refractory: Bool
        var dimension: Int { IafCondExp.dimension }

        @inline(__always)
        func callAsFunction(_ t: Double, _ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>) {
            let V = m.voltage(y[0], refractory: refractory)
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
        let r = s.column(3), hstep = s.column(4), istim = s.column(5)
        RKF45.withState(dimension: d) { y, work in
            for i in range {
                for v in 0..<d { y[v] = s.column(v)[i] }
                let rhs = RHS(m: m, iStim: istim[i], refractory: r[i] > 0)
                var hs = RKF45.carriedStepSize(hstep[i], resolution: h)
                RKF45.advance(rhs, control: IafCondMembrane.control, over: h, stepSize: &hs, y: y, work: work)
                // input that arrived in this step acts after its integration (NEST's ring buffer)
                y[1] += input.excitatory(i)
                y[2] += -input.inhibitory(i)
                m.resetOrFire(&y[0], refractory: &r[i], neuron: i, &spikes)
                for v in 0..<d { s.column(v)[i] = y[v] }
                hstep[i] = hs
                istim[i] = input.current[i]
            }
        }
    }
}
