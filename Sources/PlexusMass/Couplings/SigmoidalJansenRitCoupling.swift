import PlexusCore

/// TVB's `SigmoidalJansenRit`, a sigmoid of each source's y1 - y2 before the summation:
/// `c_i = a * sum_j w_ij (cmin + (cmax - cmin) / (1 + exp(r (midpoint - (y1_j - y2_j)))))`.
/// Two coupling variables in, one coupling term out.
public struct SigmoidalJansenRitCoupling: MassCoupling {
    public static let name = "SigmoidalJansenRit"
    public static let doc = "a * sum_j w_ij (cmin + (cmax - cmin) / (1 + exp(r (midpoint - (y1_j - y2_j)(t - tau_ij)))))"
    public static let parameters: [ParameterSpec] = [
        .init("cmin", 0.0, -1000.0, 1000.0, "Minimum of the sigmoid function"),
        .init("cmax", 2.0 * 0.0025, -1000.0, 1000.0, "Maximum of the sigmoid function"),
        .init("midpoint", 6.0, -1000.0, 1000.0, "Midpoint of the linear portion of the sigmoid"),
        .init("r", 0.56, 0.01, 1000.0, "the steepness of the sigmoidal transformation"),
        .init("a", 1.0, 0.01, 1000.0, "Scaling of the coupling term"),
    ]
    public static let inputsPerOutput = 2
    public static func unsupported(couplingVariables: Int) -> String? {
        couplingVariables == 2 ? nil : "needs a model with two coupling variables (y1, y2)"
    }
    public static let tvbForm = TVBCouplingForm.dense
    /// y1 - y2 is float32 in TVB; the sigmoid, with its float64 parameters, is float64.
    public typealias TVBPre = Double

    public let cmin, cmax, midpoint, r, a: Double

    public init(_ values: [Double], couplingVariables: Int) {
        (cmin, cmax, midpoint, r, a) = (values[0], values[1], values[2], values[3], values[4])
    }

    @inlinable @inline(__always)
    public func pre<H: CouplingReal, P: CouplingReal>(_ xi: CouplingValues<H>, _ xj: CouplingValues<H>) -> P {
        let d = P(xj[0] - xj[1])
        return P(cmin) + (P(cmax) - P(cmin)) / (1 + P.exp(P(r) * (P(midpoint) - d)))
    }

    @inlinable @inline(__always)
    public func post(_ gx: Double) -> Double { a * gx }
}
