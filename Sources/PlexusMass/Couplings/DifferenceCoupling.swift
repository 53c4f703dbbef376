import PlexusCore

/// TVB's `Difference`: `c_i = a * sum_j w_ij (x_j - x_i)`.
public struct DifferenceCoupling: MassCoupling {
    public static let name = "Difference"
    public static let doc = "a * sum_j w_ij (x_j(t - tau_ij) - x_i(t))"
    public static let parameters: [ParameterSpec] = [
        .init("a", 0.1, 0.0, 10.0, "Rescales the connection strength."),
    ]
    public static let tvbForm = TVBCouplingForm.sparse
    public typealias TVBPre = Float
    // The float64 engine sums w_ij x_j and subtracts x_i * sum_j w_ij.
    public static let preReadsTarget = true
    public static let historyHoldsState = true

    public let a: Double

    public init(_ values: [Double], couplingVariables: Int) {
        a = values[0]
    }

    @inlinable @inline(__always)
    public func pre<H: CouplingReal, P: CouplingReal>(_ xi: CouplingValues<H>, _ xj: CouplingValues<H>) -> P { P(xj[0] - xi[0]) }

    @inlinable @inline(__always)
    public func gather(_ s: CouplingValues<Double>, _ xi: CouplingValues<Double>, rowSum: Double) -> Double {
        s[0] - xi[0] * rowSum
    }

    @inlinable @inline(__always)
    public func post(_ gx: Double) -> Double { a * gx }
}
