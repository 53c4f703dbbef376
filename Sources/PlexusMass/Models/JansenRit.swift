import PlexusCore

/// TVB's JansenRit (Jansen & Rit 1995). With `S(v) = 2*nu_max/(1 + exp(r*(v0 - v)))`:
/// `dy0 = y3, dy1 = y4, dy2 = y5`,
/// `dy3 = A*a*S(y1 - y2) - 2*a*y3 - a^2*y0`,
/// `dy4 = A*a*(mu + a_2*J*S(a_1*J*y0) + c) - 2*a*y4 - a^2*y1`,
/// `dy5 = B*b*(a_4*J*S(a_3*J*y0)) - 2*b*y5 - b^2*y2`. Coupling variables y1, y2; the EEG-like
/// output is y1 - y2.
public struct JansenRit: MassModel {
    public static let name = "JansenRit"
    public static let doc = "Jansen-Rit cortical column: pyramidal, excitatory and inhibitory interneuron PSPs."
    public static let parameters: [ParameterSpec] = [
        .init("A", 3.25, 2.6, 9.75, "Maximum amplitude of EPSP [mV]."),
        .init("B", 22.0, 17.6, 110.0, "Maximum amplitude of IPSP [mV]."),
        .init("a", 0.1, 0.05, 0.15, "Reciprocal time constant of the excitatory PSP [1/ms]."),
        .init("b", 0.05, 0.025, 0.075, "Reciprocal time constant of the inhibitory PSP [1/ms]."),
        .init("v0", 5.52, 3.12, 6.0, "Firing threshold (PSP) for a 50% firing rate [mV]."),
        .init("nu_max", 0.0025, 0.00125, 0.00375, "Maximum firing rate [1/ms]."),
        .init("r", 0.56, 0.28, 0.84, "Steepness of the sigmoid [1/mV]."),
        .init("J", 135.0, 65.0, 1350.0, "Average number of synapses between populations."),
        .init("a_1", 1.0, 0.5, 1.5, "Probability of contacts in the feedback excitatory loop."),
        .init("a_2", 0.8, 0.4, 1.2, "Probability of contacts in the slow feedback excitatory loop."),
        .init("a_3", 0.25, 0.125, 0.375, "Probability of contacts in the feedback inhibitory loop."),
        .init("a_4", 0.25, 0.125, 0.375, "Probability of contacts in the slow feedback inhibitory loop."),
        .init("p_min", 0.12, 0.0, 0.12, "Minimum input firing rate (unused by dfun)."),
        .init("p_max", 0.32, 0.0, 0.32, "Maximum input firing rate (unused by dfun)."),
        .init("mu", 0.22, 0.0, 0.22, "Mean input firing rate."),
    ]
    public static let stateVariables = [
        MassStateVariable("y0", range: (-1.0, 1.0)), MassStateVariable("y1", range: (-500.0, 500.0)),
        MassStateVariable("y2", range: (-50.0, 50.0)), MassStateVariable("y3", range: (-6.0, 6.0)),
        MassStateVariable("y4", range: (-20.0, 20.0)), MassStateVariable("y5", range: (-500.0, 500.0)),
    ]
    public static let couplingVariables = [1, 2]
    public static let couplingTerms = 1
    public static let variablesOfInterest = ["y0", "y1", "y2", "y3"]

    public let A, B, a, b, v0, nu_max, r, J, a_1, a_2, a_3, a_4, mu: Double

    public init(_ p: [Double]) {
        (A, B, a, b, v0, nu_max, r, J) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7])
        (a_1, a_2, a_3, a_4, mu) = (p[8], p[9], p[10], p[11], p[14])
    }

    @inlinable @inline(__always)
    public func dfun(_ x: UnsafePointer<Double>, _ cp: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>,
                     stride: Int, range: Range<Int>) {
        let s = stride
        let nu2 = 2.0 * nu_max, Aa = A * a, Bb = B * b, a2 = 2.0 * a, b2 = 2.0 * b, aa = a * a, bb = b * b
        let a1J = a_1 * J, a2J = a_2 * J, a3J = a_3 * J, a4J = a_4 * J
        for i in range {
            let y0 = x[i], y1 = x[s + i], y2 = x[2 * s + i], y3 = x[3 * s + i], y4 = x[4 * s + i], y5 = x[5 * s + i]
            let s12 = nu2 / (1.0 + _exp(r * (v0 - (y1 - y2))))
            let s01 = nu2 / (1.0 + _exp(r * (v0 - (a1J * y0))))
            let s03 = nu2 / (1.0 + _exp(r * (v0 - (a3J * y0))))
            dx[i] = y3
            dx[s + i] = y4
            dx[2 * s + i] = y5
            dx[3 * s + i] = Aa * s12 - a2 * y3 - aa * y0
            dx[4 * s + i] = Aa * (mu + a2J * s01 + cp[i]) - a2 * y4 - aa * y1
            dx[5 * s + i] = Bb * (a4J * s03) - b2 * y5 - bb * y2
        }
    }
}
