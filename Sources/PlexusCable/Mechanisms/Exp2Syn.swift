import PlexusCore

/// Two-exponential conductance synapse (NEURON's Exp2Syn, Arbor's exp2syn): g = B − A with
/// A' = −A/τ1, B' = −B/τ2; an event adds weight·factor to both, so that g peaks at the weight
/// (µS). i = g (v − e).
public enum Exp2Syn: CableMechanism {
    public static let info = MechanismInfo(
        "exp2syn", .point, "two-exponential conductance synapse, g = B - A, peak = weight (µS)",
        parameters: [
            .init("tau1", .ms, 0.5, "rise time constant"),
            .init("tau2", .ms, 2, "decay time constant"),
            .init("e", .mV, 0, "reversal potential"),
        ],
        constants: [
            .init("e", .mV),
            .init("factor", .one, "normalisation: g peaks at the weight"),
            .init("decayA", .one, "factor of A per step"),
            .init("decayB", .one, "factor of B per step"),
        ],
        state: [.init("A", .uS), .init("B", .uS)],
        receivesEvents: true,
        coalescable: true)
    /// Field indices: the constants, then the state.
    enum F { static let e = 0, factor = 1, decayA = 2, decayB = 3, A = 4, B = 5 }

    public static func validate(_ p: [Double]) throws {
        let (tau1, tau2) = (p[0], p[1])
        guard tau1 > 0, tau2 > 0, tau1 != tau2 else {
            throw PlexusError("exp2syn needs tau1 > 0, tau2 > 0 and tau1 != tau2 (got \(tau1), \(tau2) ms)")
        }
    }

    public static func prepare(_ p: [Double], _ c: InstanceContext, into out: UnsafeMutablePointer<Double>) {
        let (tau1, tau2) = (p[0], p[1])
        out[F.e] = p[2]
        let tp = (tau1 * tau2) / (tau2 - tau1) * _log(tau2 / tau1)
        out[F.factor] = 1 / (-_exp(-tp / tau1) + _exp(-tp / tau2))
        out[F.decayA] = padeExp(-1 / tau1 * c.dt)
        out[F.decayB] = padeExp(-1 / tau2 * c.dt)
    }

    public static func computeCurrents(_ p: MechanismPack, _ range: Range<Int>, _ step: StepTime) {
        let cv = p.node, v = p.voltage, I = p.current, G = p.conductance
        let ee = p.field(F.e), a = p.field(F.A), b = p.field(F.B)
        for k in range {
            let c = Int(cv[k]), gg = b[k] - a[k]
            I[c] += gg * (v[c] - ee[k])
            G[c] += gg
        }
    }

    public static func advanceState(_ p: MechanismPack, _ range: Range<Int>, _ step: StepTime) {
        let a = p.field(F.A), b = p.field(F.B), da = p.field(F.decayA), db = p.field(F.decayB)
        for k in range { a[k] *= da[k]; b[k] *= db[k] }
    }

    @inline(__always) public static func applyEvent(_ p: MechanismPack, instance k: Int, weight: Double) {
        let w = weight * p.field(F.factor)[k]
        p.field(F.A)[k] += w
        p.field(F.B)[k] += w
    }
}
