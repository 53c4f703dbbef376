import PlexusCore

/// Passive leak, i = g (v − e). Its conductance is constant, so the engine folds it into the
/// matrix assembly (per-CV sums of g and g·e made once at build) and runs no kernel per step.
public enum Pas: CableMechanism {
    public static let info = MechanismInfo(
        "pas", .density, "passive leak, i = g (v - e)",
        parameters: [
            .init("g", .S_per_cm2, 0.001, "leak conductance"),
            .init("e", .mV, -70, "leak reversal potential"),
        ],
        constants: [
            .init("g", .uS, "g over the instance's membrane area"),
            .init("e", .mV),
        ],
        folding: .constant(g: "g", e: "e"))

    public static func prepare(_ p: [Double], _ c: InstanceContext, into out: UnsafeMutablePointer<Double>) {
        out[0] = p[0] * (c.area * 0.01)   // S/cm² · µm² -> µS
        out[1] = p[1]
    }
}
