import PlexusCore

/// TVB's `Linear`: `c_i = a * sum_j w_ij x_j + b`.
public struct LinearCoupling: MassCoupling {
    public static let name = "Linear"
    public static let doc = "a * sum_j w_ij x_j(t - tau_ij) + b"
    public static let parameters: [ParameterSpec] = [
        .init("a", 0.00390625, 0.0, 1.0, "Rescales the connection strength while maintaining the ratio between different values."),
        // TVB declares no range for b.
        .init("b", 0.0, -1e300, 1e300, "Shifts the base of the connection strength while maintaining the absolute difference between different values."),
    ]
    public static let tvbForm = TVBCouplingForm.sparse
    public typealias TVBPre = Float
    public static let historyHoldsState = true

    public let a, b: Double

    public init(_ values: [Double], couplingVariables: Int) {
        (a, b) = (values[0], values[1])
    }

    @inlinable @inline(__always)
    public func pre<H: CouplingReal, P: CouplingReal>(_ xi: CouplingValues<H>, _ xj: CouplingValues<H>) -> P { P(xj[0]) }

    @inlinable @inline(__always)
    public func post(_ gx: Double) -> Double { a * gx + b }
}
