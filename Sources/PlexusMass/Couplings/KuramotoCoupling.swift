import PlexusCore

/// TVB's `Kuramoto`: `c_i = a / ncvar * sum_j w_ij sin(x_j - x_i)`. TVB divides by `gx.shape[0]`,
/// the number of coupling variables (1 for the Kuramoto model), not by the number of regions its
/// docstring names.
public struct KuramotoCoupling: MassCoupling {
    public static let name = "Kuramoto"
    public static let doc = "a / ncvar * sum_j w_ij sin(x_j(t - tau_ij) - x_i(t))"
    public static let parameters: [ParameterSpec] = [
        .init("a", 1.0, 0.0, 1.0, "Rescales the connection strength."),
    ]
    public static let tvbForm = TVBCouplingForm.sparse
    public typealias TVBPre = Float
    // The float64 engine keeps sin x_j and cos x_j in the history:
    // sin(x_j - x_i) = sin x_j cos x_i - cos x_j sin x_i.
    public static let preReadsTarget = true
    public static let historyChannelsPerOutput = 2

    public let a: Double
    /// a / ncvar (TVB's `self.a / gx.shape[0]`).
    public let scale: Double

    public init(_ values: [Double], couplingVariables: Int) {
        a = values[0]
        scale = values[0] / Double(couplingVariables)
    }

    @inlinable @inline(__always)
    public func pre<H: CouplingReal, P: CouplingReal>(_ xi: CouplingValues<H>, _ xj: CouplingValues<H>) -> P {
        P(H.sin(xj[0] - xi[0]))
    }

    @inlinable @inline(__always)
    public func history(_ xj: CouplingValues<Double>, _ out: UnsafeMutablePointer<Double>) {
        out[0] = Double.sin(xj[0])
        out[1] = Double.cos(xj[0])
    }

    @inlinable @inline(__always)
    public func gather(_ s: CouplingValues<Double>, _ xi: CouplingValues<Double>, rowSum: Double) -> Double {
        Double.cos(xi[0]) * s[0] - Double.sin(xi[0]) * s[1]
    }

    @inlinable @inline(__always)
    public func post(_ gx: Double) -> Double { scale * gx }
}
