import PlexusCore

/// TVB's `HyperbolicTangent`, a sigmoid of each source before the summation:
/// `c_i = sum_j w_ij a (1 + tanh((b x_j - midpoint) / sigma))`. TVB's post-function is the
/// identity, so its float32 arithmetic leaves the coupling as the float32 sum.
public struct HyperbolicTangentCoupling: MassCoupling {
    public static let name = "HyperbolicTangent"
    public static let doc = "sum_j w_ij a (1 + tanh((b x_j(t - tau_ij) - midpoint) / sigma))"
    public static let parameters: [ParameterSpec] = [
        .init("a", 1.0, -1000.0, 1000.0, "Minimum of the sigmoid function"),
        .init("b", 1.0, -1.0, 1.0, "Scaling factor for the variable"),
        .init("midpoint", 0.0, -1000.0, 1000.0, "Midpoint of the linear portion of the sigmoid"),
        .init("sigma", 1.0, 0.01, 1000.0, "Standard deviation of the coupling"),
    ]
    public static let tvbForm = TVBCouplingForm.sparse
    /// b * x_j promotes the float32 history value to float64.
    public typealias TVBPre = Double

    public let a, b, midpoint, sigma: Double

    public init(_ values: [Double], couplingVariables: Int) {
        (a, b, midpoint, sigma) = (values[0], values[1], values[2], values[3])
    }

    @inlinable @inline(__always)
    public func pre<H: CouplingReal, P: CouplingReal>(_ xi: CouplingValues<H>, _ xj: CouplingValues<H>) -> P {
        P(a) * (1 + P.tanh((P(b) * P(xj[0]) - P(midpoint)) / P(sigma)))
    }

    @inlinable @inline(__always)
    public func post(_ gx: Double) -> Double { gx }
}
