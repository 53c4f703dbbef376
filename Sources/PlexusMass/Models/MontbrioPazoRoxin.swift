import PlexusCore

/// TVB's MontbrioPazoRoxin (next-generation QIF mean field, Montbrió, Pazó & Roxin 2015):
/// `dr = 1/tau*(Delta/(pi*tau) + 2*V*r)`,
/// `dV = 1/tau*(V^2 - pi^2*tau^2*r^2 + eta + J*tau*r + I + cr*c_r + cv*c_V)`; r >= 0.
public struct MontbrioPazoRoxin: MassModel {
    public static let name = "MontbrioPazoRoxin"
    public static let doc = "Montbrio-Pazo-Roxin firing-rate (r) and mean-voltage (V) model of QIF neurons."
    public static let parameters: [ParameterSpec] = [
        .init("tau", 1.0, 0.001, 15.0, "Characteristic time [ms]."),
        .init("I", 0.0, -10.0, 10.0, "External current."),
        .init("Delta", 1.0, 0.0, 10.0, "Half-width of the excitability distribution."),
        .init("J", 15.0, -25.0, 25.0, "Mean synaptic weight."),
        .init("eta", -5.0, -10.0, 10.0, "Mean excitability."),
        .init("Gamma", 0.0, 0.0, 10.0, "Half-width of the synaptic weight distribution (unused by dfun)."),
        .init("cr", 1.0, 0.0, 1.0, "Weight of the coupling through r."),
        .init("cv", 0.0, 0.0, 1.0, "Weight of the coupling through V."),
    ]
    public static let stateVariables = [
        MassStateVariable("r", range: (0.0, 2.0), lower: 0.0, upper: .infinity),
        MassStateVariable("V", range: (-2.0, 1.5)),
    ]
    public static let couplingVariables = [0, 1]
    public static let couplingTerms = 2
    public static let variablesOfInterest = ["r", "V"]

    public let tau, I, Delta, J, eta, cr, cv: Double

    public init(_ p: [Double]) {
        (tau, I, Delta, J, eta, cr, cv) = (p[0], p[1], p[2], p[3], p[4], p[6], p[7])
    }

    @inlinable @inline(__always)
    public func dfun(_ x: UnsafePointer<Double>, _ cp: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>,
                     stride: Int, range: Range<Int>) {
        let s = stride
        let inv = 1 / tau, dpt = Delta / (Double.pi * tau), pt2 = (Double.pi * Double.pi) * (tau * tau), Jt = J * tau
        for i in range {
            let r = x[i], V = x[s + i]
            dx[i] = inv * (dpt + 2 * V * r)
            dx[s + i] = inv * (V * V - pt2 * (r * r) + eta + Jt * r + I + cr * cp[i] + cv * cp[s + i])
        }
    }
}
