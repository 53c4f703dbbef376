import PlexusCore

/// Conductance synapse with exponential decay (NEURON's ExpSyn, Arbor's expsyn): i = g (v − e),
/// g' = −g/τ integrated with cnexp's Padé exponential; an event adds its weight (µS) to g.
///
/// The current is linear in g, so identical synapses in one CV are one instance, and the first
/// instance of each CV is folded into the matrix assembly (one row per CV, `perCV`): in networks
/// like busyring every CV has one, and its current then costs no separate pass.
public enum ExpSyn: CableMechanism {
    public static let info = MechanismInfo(
        "expsyn", .point, "conductance synapse with exponential decay; an event adds its weight (µS) to g",
        parameters: [
            .init("tau", .ms, 2, "decay time constant"),
            .init("e", .mV, 0, "reversal potential"),
        ],
        constants: [
            .init("e", .mV),
            .init("decay", .one, "factor of g per step"),
        ],
        state: [.init("g", .uS, "conductance")],
        receivesEvents: true,
        coalescable: true,
        folding: .perCV(g: "g", e: "e"))
    /// Field indices: the constants, then the state.
    enum F { static let e = 0, decay = 1, g = 2 }

    public static func prepare(_ p: [Double], _ c: InstanceContext, into out: UnsafeMutablePointer<Double>) {
        out[F.e] = p[1]
        out[F.decay] = padeExp(-1 / p[0] * c.dt)
    }

    public static func computeCurrents(_ p: MechanismPack, _ range: Range<Int>, _ step: StepTime) {
        let cv = p.node, v = p.voltage, I = p.current, G = p.conductance
        let ee = p.field(F.e), gg = p.field(F.g)
        for k in range {
            let c = Int(cv[k])
            I[c] += gg[k] * (v[c] - ee[k])
            G[c] += gg[k]
        }
    }

    public static func advanceState(_ p: MechanismPack, _ range: Range<Int>, _ step: StepTime) {
        let gg = p.field(F.g), d = p.field(F.decay)
        for k in range { gg[k] *= d[k] }
    }

    @inline(__always) public static func applyEvent(_ p: MechanismPack, instance k: Int, weight: Double) {
        p.field(F.g)[k] += weight
    }
}
