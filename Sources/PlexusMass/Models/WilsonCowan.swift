import PlexusCore

/// TVB's WilsonCowan (Wilson & Cowan 1972/1973):
/// `x_e = alpha_e*(c_ee*E - c_ei*I + P - theta_e + c)`, `x_i = alpha_i*(c_ie*E - c_ii*I + Q - theta_i)`,
/// `s_e = c_e*(1/(1 + exp(-a_e*(x_e - b_e))) - 1/(1 + exp(-a_e*-b_e)))` (shifted sigmoid; unshifted
/// `c_e/(1 + exp(-a_e*(x_e - b_e)))` with `shift_sigmoid: 0`), likewise s_i,
/// `dE = (-E + (k_e - r_e*E)*s_e)/tau_e`, `dI = (-I + (k_i - r_i*I)*s_i)/tau_i`.
public struct WilsonCowan: MassModel {
    public static let name = "WilsonCowan"
    public static let doc = "Wilson-Cowan excitatory/inhibitory rate model."
    public static let parameters: [ParameterSpec] = [
        .init("c_ee", 12.0, 11.0, 16.0, "Excitatory to excitatory coupling coefficient."),
        .init("c_ei", 4.0, 2.0, 15.0, "Inhibitory to excitatory coupling coefficient."),
        .init("c_ie", 13.0, 2.0, 22.0, "Excitatory to inhibitory coupling coefficient."),
        .init("c_ii", 11.0, 2.0, 15.0, "Inhibitory to inhibitory coupling coefficient."),
        .init("tau_e", 10.0, 0.0, 150.0, "Excitatory membrane time constant [ms]."),
        .init("tau_i", 10.0, 0.0, 150.0, "Inhibitory membrane time constant [ms]."),
        .init("a_e", 1.2, 0.0, 1.4, "Slope of the excitatory response function."),
        .init("b_e", 2.8, 1.4, 6.0, "Position of the maximum slope of the excitatory sigmoid."),
        .init("c_e", 1.0, 1.0, 20.0, "Amplitude of the excitatory response function."),
        .init("theta_e", 0.0, 0.0, 60.0, "Excitatory threshold."),
        .init("a_i", 1.0, 0.0, 2.0, "Slope of the inhibitory response function."),
        .init("b_i", 4.0, 2.0, 6.0, "Position of the maximum slope of the inhibitory sigmoid."),
        .init("theta_i", 0.0, 0.0, 60.0, "Inhibitory threshold."),
        .init("c_i", 1.0, 1.0, 20.0, "Amplitude of the inhibitory response function."),
        .init("r_e", 1.0, 0.5, 2.0, "Excitatory refractory period."),
        .init("r_i", 1.0, 0.5, 2.0, "Inhibitory refractory period."),
        .init("k_e", 1.0, 0.5, 2.0, "Maximum value of the excitatory response function."),
        .init("k_i", 1.0, 0.0, 2.0, "Maximum value of the inhibitory response function."),
        .init("P", 0.0, 0.0, 20.0, "External stimulus to the excitatory population."),
        .init("Q", 0.0, 0.0, 20.0, "External stimulus to the inhibitory population."),
        .init("alpha_e", 1.0, 0.0, 20.0, "Gain of the excitatory input."),
        .init("alpha_i", 1.0, 0.0, 20.0, "Gain of the inhibitory input."),
        .init("shift_sigmoid", 1.0, 0.0, 1.0, "1: shift the sigmoids so E = I = 0 is at rest (TVB's default True)."),
    ]
    public static let stateVariables = [MassStateVariable("E", range: (0.0, 1.0)), MassStateVariable("I", range: (0.0, 1.0))]
    public static let couplingVariables = [0, 1]
    public static let couplingTerms = 1
    public static let variablesOfInterest = ["E"]

    public let c_ee, c_ei, c_ie, c_ii, tau_e, tau_i, a_e, b_e, c_e, theta_e, a_i, b_i, theta_i, c_i: Double
    public let r_e, r_i, k_e, k_i, P, Q, alpha_e, alpha_i: Double
    public let shift: Bool

    public init(_ p: [Double]) {
        (c_ee, c_ei, c_ie, c_ii, tau_e, tau_i, a_e, b_e, c_e, theta_e) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9])
        (a_i, b_i, theta_i, c_i, r_e, r_i, k_e, k_i) = (p[10], p[11], p[12], p[13], p[14], p[15], p[16], p[17])
        (P, Q, alpha_e, alpha_i) = (p[18], p[19], p[20], p[21])
        shift = p[22] != 0
    }

    @inlinable @inline(__always)
    public func dfun(_ x: UnsafePointer<Double>, _ cp: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>,
                     stride: Int, range: Range<Int>) {
        let s = stride
        let se0 = 1.0 / (1.0 + _exp(-a_e * -b_e)), si0 = 1.0 / (1.0 + _exp(-a_i * -b_i))
        for i in range {
            let E = x[i], I = x[s + i]
            let xe = alpha_e * (c_ee * E - c_ei * I + P - theta_e + cp[i])
            let xi = alpha_i * (c_ie * E - c_ii * I + Q - theta_i)
            let se: Double, si: Double
            if shift {
                se = c_e * (1.0 / (1.0 + _exp(-a_e * (xe - b_e))) - se0)
                si = c_i * (1.0 / (1.0 + _exp(-a_i * (xi - b_i))) - si0)
            } else {
                se = c_e / (1.0 + _exp(-a_e * (xe - b_e)))
                si = c_i / (1.0 + _exp(-a_i * (xi - b_i)))
            }
            dx[i] = (-E + (k_e - r_e * E) * se) / tau_e
            dx[s + i] = (-I + (k_i - r_i * I) * si) / tau_i
        }
    }
}
