import PlexusCore

/// Hodgkin-Huxley squid axon channels (Arbor's and NEURON's hh.mod): sodium (m³h), potassium (n⁴)
/// and leak, with NEURON's units and rates; the rates are scaled by q10 = 3^((celsius − 6.3)/10).
/// The reversal potentials are parameters here (ion properties in NEURON and Arbor).
public enum HH: CableMechanism {
    public static let info = MechanismInfo(
        "hh", .density, "Hodgkin-Huxley squid axon channels; rates scaled by q10 = 3^((celsius - 6.3)/10)",
        parameters: [
            .init("gnabar", .S_per_cm2, 0.12, "maximal sodium conductance"),
            .init("gkbar", .S_per_cm2, 0.036, "maximal potassium conductance"),
            .init("gl", .S_per_cm2, 0.0003, "leak conductance"),
            .init("el", .mV, -54.3, "leak reversal potential"),
            .init("ena", .mV, 50, "sodium reversal potential (an ion property in NEURON and Arbor)"),
            .init("ek", .mV, -77, "potassium reversal potential (an ion property in NEURON and Arbor)"),
        ],
        constants: [
            .init("gna", .uS, "gnabar over the instance's membrane area"),
            .init("gk", .uS, "gkbar over the instance's membrane area"),
            .init("gl", .uS, "gl over the instance's membrane area"),
            .init("el", .mV), .init("ena", .mV), .init("ek", .mV),
            .init("q10", .one, "rate factor at the cell's temperature"),
        ],
        state: [
            .init("m", .one, "sodium activation"),
            .init("h", .one, "sodium inactivation"),
            .init("n", .one, "potassium activation"),
        ])
    /// Field indices: the constants, then the state.
    enum F { static let gna = 0, gk = 1, gl = 2, el = 3, ena = 4, ek = 5, q10 = 6, m = 7, h = 8, n = 9 }

    public static func prepare(_ p: [Double], _ c: InstanceContext, into out: UnsafeMutablePointer<Double>) {
        let s = c.area * 0.01   // S/cm² · µm² -> µS
        out[F.gna] = p[0] * s; out[F.gk] = p[1] * s; out[F.gl] = p[2] * s
        out[F.el] = p[3]; out[F.ena] = p[4]; out[F.ek] = p[5]
        out[F.q10] = _pow(3, 0.1 * c.temperature - 0.63)
    }

    public static func initialize(_ p: MechanismPack, _ range: Range<Int>) {
        let cv = p.node, v = p.voltage, mm = p.field(F.m), hh = p.field(F.h), nn = p.field(F.n)
        for k in range {
            let vi = v[Int(cv[k])]
            let (ma, mb) = rateM(vi), (ha, hb) = rateH(vi), (na, nb) = rateN(vi)
            mm[k] = ma / (ma + mb); hh[k] = ha / (ha + hb); nn[k] = na / (na + nb)
        }
    }

    public static func computeCurrents(_ p: MechanismPack, _ range: Range<Int>, _ step: StepTime) {
        let cv = p.node, v = p.voltage, I = p.current, G = p.conductance
        let gna = p.field(F.gna), gk = p.field(F.gk), gl = p.field(F.gl), el = p.field(F.el), ena = p.field(F.ena), ek = p.field(F.ek)
        let mm = p.field(F.m), hh = p.field(F.h), nn = p.field(F.n)
        for k in range {
            let c = Int(cv[k]), vv = v[c]
            let m = mm[k], h = hh[k], nv = nn[k]
            let n2 = nv * nv
            let gK = gk[k] * n2 * n2
            let gNa = gna[k] * m * m * m * h
            I[c] += gNa * (vv - ena[k]) + gK * (vv - ek[k]) + gl[k] * (vv - el[k])
            G[c] += gNa + gK + gl[k]
        }
    }

    public static func advanceState(_ p: MechanismPack, _ range: Range<Int>, _ step: StepTime) {
        let cv = p.node, v = p.voltage, q10 = p.field(F.q10), dt = step.dt
        let mm = p.field(F.m), hh = p.field(F.h), nn = p.field(F.n)
        for k in range {
            let vv = v[Int(cv[k])], q = q10[k]
            mm[k] = cnexp(mm[k], rateM(vv), q, dt)
            hh[k] = cnexp(hh[k], rateH(vv), q, dt)
            nn[k] = cnexp(nn[k], rateN(vv), q, dt)
        }
    }

    // Rates (alpha, beta) in 1/ms at v mV, as Arbor's hh.mod writes them.
    @inline(__always) static func exprelr(_ x: Double) -> Double { 1.0 + x == 1.0 ? 1.0 : x / _expm1(x) }
    @inline(__always) static func rateM(_ v: Double) -> (Double, Double) { (exprelr(-0.1 * v - 4.0), 4.0 * _exp(-(v + 65.0) / 18.0)) }
    @inline(__always) static func rateH(_ v: Double) -> (Double, Double) { (0.07 * _exp(-0.05 * v - 3.25), 1.0 / (_exp(-0.1 * v - 3.5) + 1.0)) }
    @inline(__always) static func rateN(_ v: Double) -> (Double, Double) { (0.1 * exprelr(-0.1 * v - 5.5), 0.125 * _exp(-0.0125 * v - 0.8125)) }
}

extension CableGroup {
    /// q10 of each hh instance of the group (tests read it).
    var hhQ10: UnsafeMutablePointer<Double> { field(HH.self, "q10")! }
}
