import PlexusCore

/// iaf_cond_exp with spike-frequency adaptation and a relative refractory mechanism (NEST
/// `iaf_cond_exp_sfa_rr`, Dayan & Abbott 2001): two more conductances, g_sfa and g_rr, decay
/// exponentially, pull V towards E_sfa and E_rr, and jump by q_sfa and q_rr at each spike.
/// Integrated like iaf_cond_exp (GSL's adaptive RKF45, absolute tolerance 1e-3).
public struct IafCondExpSfaRr: PointNeuronModel, RefractoryODENeuron {
    public static let name = "iaf_cond_exp_sfa_rr"
    /// iaf_cond_exp's list (IafCondMembrane.swift) with this model's defaults, then the two
    /// adaptation conductances.
    public static let parameters: [ParameterSpec] = IafCondMembrane.parameters(
        kernelTime: "decay time",
        defaults: ["V_th": -57, "V_reset": -70, "t_ref": 0.5, "g_L": 28.95, "C_m": 289.5, "E_in": -75,
                   "tau_syn_ex": 1.5, "tau_syn_in": 10]) + [
        .init("tau_sfa", .ms, 110, "decay time of the spike-frequency adaptation conductance"),
        .init("tau_rr", .ms, 1.97, "decay time of the relative refractory conductance"),
        .init("E_sfa", .mV, -70, "reversal potential of the adaptation conductance"),
        .init("E_rr", .mV, -70, "reversal potential of the relative refractory conductance"),
        .init("q_sfa", .nS, 14.48, "jump of g_sfa at each spike"),
        .init("q_rr", .nS, 3214, "jump of g_rr at each spike"),
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        .init("g_ex", .nS, initial: 0),
        .init("g_in", .nS, initial: 0),
        .init("g_sfa", .nS, initial: 0),
        .init("g_rr", .nS, initial: 0),
    ] + NeuronState.afterODE
    public static let weightUnit = PhysicalUnit.nS

    static let dimension = 5   // V_m, g_ex, g_in, g_sfa, g_rr: NEST's order

    let m: IafCondMembrane
    let tauSfa, tauRr, Esfa, Err, qSfa, qRr: Double
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        m = try IafCondMembrane(p, resolution: h)
        try Check.positive(p, "tau_sfa", "tau_rr")
        tauSfa = p["tau_sfa"]; tauRr = p["tau_rr"]; Esfa = p["E_sfa"]; Err = p["E_rr"]
        qSfa = p["q_sfa"]; qRr = p["q_rr"]
        self.h = h
    }

    /// NEST's iaf_cond_exp_sfa_rr_dynamics (dV/dt = 0 while refractory).
    @inline(__always)
    func derivatives(_ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>, iStim: Double, refractory: Bool) {
        let V = m.voltage(y[0], refractory: refractory)
        let (Iex, Iin, IL) = m.currents(V, gEx: y[1], gIn: y[2])
        let Isfa = y[3] * (V - Esfa)
        let Irr = y[4] * (V - Err)
        f[0] = refractory ? 0.0 : (-IL + iStim + m.Ie - Iex - Iin - Isfa - Irr) / m.Cm
        f[1] = -y[1] / m.tauEx
        f[2] = -y[2] / m.tauIn
        f[3] = -y[3] / tauSfa
        f[4] = -y[4] / tauRr
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        m.update(self, s, range, input, &spikes, resolution: h, receive: { y, i in
            y[1] += input.excitatory(i)
            y[2] += -input.inhibitory(i)
        }, fired: { y in
            y[3] += qSfa
            y[4] += qRr
        })
    }
}
