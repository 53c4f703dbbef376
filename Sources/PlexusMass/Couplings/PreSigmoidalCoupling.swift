import PlexusCore

/// TVB's `PreSigmoidal` with its static threshold (`dynamic: 0`), a sigmoid of each delayed
/// source value before the summation:
/// `c_i = sum_j w_ij H (Q + tanh(G (P x_j(t - tau_ij) - theta)))`.
///
/// TVB 2.10's own `PreSigmoidal.__call__` (marked "TODO check use of arrays dims") sums its
/// products over the target axis, not the source axis as every other coupling does, so region i
/// receives sum_j w_ji S(x_i(t - tau_ji)): its own delayed state. Plexus computes the formula
/// above; tools/tvb_reference/pre_sigmoidal.py checks it against TVB's class with that one axis
/// corrected, run in TVB's simulator (docs/tvb-couplings.md).
///
/// The dynamic threshold (TVB's default, `dynamic: 1`, for Hopfield's dynamic mode: a second
/// coupling term that is each region's own delayed sigmoid) is refused by name.
public struct PreSigmoidalCoupling: MassCoupling {
    public static let name = "PreSigmoidal"
    public static let doc = "sum_j w_ij H (Q + tanh(G (P x_j(t - tau_ij) - theta))) (static threshold, dynamic: 0)"
    public static let parameters: [ParameterSpec] = [
        .init("H", 0.5, -100.0, 100.0, "Global Factor."),
        .init("Q", 1.0, -100.0, 100.0, "Average."),
        .init("G", 60.0, -1000.0, 1000.0, "Gain."),
        .init("P", 1.0, -100.0, 100.0, "Excitation-Inhibition ratio."),
        .init("theta", 0.5, -100.0, 100.0, "Threshold."),
        .init("dynamic", 1.0, 0.0, 1.0, "Use dynamic threshold (1, TVB's default; not implemented) or static (0)."),
        .init("globalT", 0.0, 0.0, 1.0, "Global threshold (1) or local (0); the same for a static threshold."),
    ]
    public static func unsupported(parameters values: [Double]) -> (parameter: String, reason: String)? {
        if values[5] != 0 {
            return ("dynamic", "PreSigmoidal's dynamic threshold (TVB's default, dynamic: 1) is not implemented: "
                    + "set dynamic: 0 for the static threshold theta")
        }
        if values[6] != 0 && values[6] != 1 { return ("globalT", "globalT is a switch: 0 or 1") }
        return nil
    }
    public static let tvbForm = TVBCouplingForm.dense
    /// P * x_j meets a float64 parameter first: the sigmoid is float64 in TVB.
    public typealias TVBPre = Double

    public let H, Q, G, P, theta: Double

    public init(_ values: [Double], couplingVariables: Int) {
        (H, Q, G, P, theta) = (values[0], values[1], values[2], values[3], values[4])
    }

    @inlinable @inline(__always)
    public func pre<X: CouplingReal, R: CouplingReal>(_ xi: CouplingValues<X>, _ xj: CouplingValues<X>) -> R {
        // (History type X, result type R: the protocol's H and P, renamed here because TVB's
        // parameters are called H and P.)
        R(H) * (R(Q) + R.tanh(R(G) * (R(P) * R(xj[0]) - R(theta))))
    }

    @inlinable @inline(__always)
    public func post(_ gx: Double) -> Double { gx }
}
