import PlexusCore

/// TVB's `Scaling`: `c_i = a * sum_j w_ij x_j`.
public struct ScalingCoupling: MassCoupling {
    public static let name = "Scaling"
    public static let doc = "a * sum_j w_ij x_j(t - tau_ij)"
    public static let parameters: [ParameterSpec] = [
        .init("a", 0.00390625, 0.0, 1.0, "Rescales the connection strength while maintaining the ratio between different values."),
    ]
    public static let tvbForm = TVBCouplingForm.sparse
    public typealias TVBPre = Float
    public static let historyHoldsState = true

    public let a: Double

    public init(_ values: [Double], couplingVariables: Int) {
        a = values[0]
    }

    @inlinable @inline(__always)
    public func pre<H: CouplingReal, P: CouplingReal>(_ xi: CouplingValues<H>, _ xj: CouplingValues<H>) -> P { P(xj[0]) }

    @inlinable @inline(__always)
    public func post(_ gx: Double) -> Double { a * gx }
}
