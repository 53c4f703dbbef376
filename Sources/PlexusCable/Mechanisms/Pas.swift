import PlexusCore

/// Passive leak, i = g (v − e). Its conductance is constant, so the engine folds it into the
/// matrix assembly (per-CV sums of g and g·e made once at build) and runs no kernel per step.
public enum Pas: CableMechanism {
    public static let name = "pas"
    public static let kind = MechanismInfo.Kind.density
    public static let doc = "passive leak, i = g (v - e)"
    public static let parameters: [ParameterSpec] = [
        .init("g", .S_per_cm2, 0.001, "leak conductance"),
        .init("e", .mV, -70, "leak reversal potential"),
    ]
    public static let constants: [CableField] = [
        .init("g", .uS, "g over the instance's membrane area"),
        .init("e", .mV),
    ]
    public static let folding = ConductanceFolding.constant(g: "g", e: "e")

    public static func prepare(_ p: [Double], _ c: InstanceContext, into out: UnsafeMutablePointer<Double>) {
        out[0] = p[0] * (c.area * 0.01)   // S/cm² · µm² -> µS
        out[1] = p[1]
    }
}
