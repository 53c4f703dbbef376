import PlexusCore

/// Hyperpolarisation-activated cation current (HCN, "Ih") of Kole, Hallermann & Stuart (2006),
/// as in Hay et al. (2011) and the Allen and Blue Brain catalogues (NEURON's and Arbor's `Ih`):
/// one activation gate, i = gIhbar · m · (v − ehcn), m' = α(1 − m) − βm with
/// α = 0.001 · 6.43 · 11.9 · exprelr((v + 154.9)/11.9), β = 0.001 · 193 · exp(v/33.1) (1/ms); no
/// temperature dependence. It opens below rest: the sag of a hyperpolarised cell and its rebound.
public enum Ih: CableMechanism {
    public static let info = MechanismInfo(
        "Ih", .density, "HCN current (Kole et al. 2006, Hay et al. 2011): i = gIhbar m (v - ehcn), activated by hyperpolarisation",
        parameters: [
            .init("gIhbar", .S_per_cm2, 0.00001, "maximal conductance"),
            .init("ehcn", .mV, -45, "reversal potential"),
        ],
        constants: [
            .init("g", .uS, "gIhbar over the instance's membrane area"),
            .init("e", .mV),
        ],
        state: [.init("m", .one, "activation")])
    enum F { static let g = 0, e = 1, m = 2 }

    public static func prepare(_ p: [Double], _ c: InstanceContext, into out: UnsafeMutablePointer<Double>) {
        out[F.g] = p[0] * (c.area * 0.01)   // S/cm² · µm² -> µS
        out[F.e] = p[1]
    }

    /// (α, β) in 1/ms at v mV.
    @inline(__always) static func rates(_ v: Double) -> (Double, Double) {
        let x = (v + 154.9) / 11.9
        let relr = 1.0 + x == 1.0 ? 1.0 : x / _expm1(x)
        return (0.001 * 6.43 * 11.9 * relr, 0.001 * 193 * _exp(v / 33.1))
    }

    public static func initialize(_ p: MechanismPack, _ range: Range<Int>) {
        let cv = p.node, v = p.voltage, m = p.field(F.m)
        for k in range {
            let (a, b) = rates(v[Int(cv[k])])
            m[k] = a / (a + b)
        }
    }

    public static func computeCurrents(_ p: MechanismPack, _ range: Range<Int>, _ step: StepTime) {
        let cv = p.node, v = p.voltage, I = p.current, G = p.conductance
        let g = p.field(F.g), e = p.field(F.e), m = p.field(F.m)
        for k in range {
            let c = Int(cv[k]), gm = g[k] * m[k]
            I[c] += gm * (v[c] - e[k])
            G[c] += gm
        }
    }

    public static func advanceState(_ p: MechanismPack, _ range: Range<Int>, _ step: StepTime) {
        let cv = p.node, v = p.voltage, m = p.field(F.m), dt = step.dt
        for k in range { m[k] = cnexp(m[k], rates(v[Int(cv[k])]), 1, dt) }
    }
}
