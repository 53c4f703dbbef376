import PlexusCore

/// TVB's `Sigmoidal`, a sigmoid after the summation:
/// `c_i = cmin + (cmax - cmin) / (1 + exp(-a ((sum_j w_ij x_j - midpoint) / sigma)))`.
public struct SigmoidalCoupling: MassCoupling {
    public static let name = "Sigmoidal"
    public static let doc = "cmin + (cmax - cmin) / (1 + exp(-a ((sum_j w_ij x_j(t - tau_ij) - midpoint) / sigma)))"
    public static let parameters: [ParameterSpec] = [
        .init("cmin", -1.0, -1000.0, 1000.0, "Minimum of the sigmoid function"),
        .init("cmax", 1.0, -1000.0, 1000.0, "Maximum of the sigmoid function"),
        .init("midpoint", 0.0, -1000.0, 1000.0, "Midpoint of the linear portion of the sigmoid"),
        .init("a", 1.0, 0.01, 1000.0, "Scaling of sigmoidal"),
        .init("sigma", 230.0, 0.01, 1000.0, "Standard deviation of the sigmoidal"),
    ]
    public static let tvbForm = TVBCouplingForm.dense
    public typealias TVBPre = Float
    public static let historyHoldsState = true

    public let cmin, cmax, midpoint, a, sigma: Double

    public init(_ values: [Double], couplingVariables: Int) {
        (cmin, cmax, midpoint, a, sigma) = (values[0], values[1], values[2], values[3], values[4])
    }

    @inlinable @inline(__always)
    public func pre<H: CouplingReal, P: CouplingReal>(_ xi: CouplingValues<H>, _ xj: CouplingValues<H>) -> P { P(xj[0]) }

    @inlinable @inline(__always)
    public func post(_ gx: Double) -> Double {
        cmin + ((cmax - cmin) / (1.0 + Double.exp(-a * ((gx - midpoint) / sigma))))
    }
}
