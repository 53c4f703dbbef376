import PlexusCore

/// TVB's Kuramoto phase oscillator: `dtheta = omega + c` (with the Kuramoto coupling
/// `c = a * sum_j w_ij sin(theta_j(t - tau_ij) - theta_i)`).
public struct Kuramoto: MassModel {
    public static let name = "Kuramoto"
    public static let doc = "Kuramoto phase oscillator (theta in rad, omega in rad/ms)."
    public static let parameters: [ParameterSpec] = [.init("omega", 1.0, 0.01, 200.0, "Base-line angular frequency [rad/ms].")]
    public static let stateVariables = [MassStateVariable("theta", range: (0.0, 2 * Double.pi))]
    public static let couplingVariables = [0]
    public static let couplingTerms = 1
    public static let variablesOfInterest = ["theta"]

    public let omega: Double
    public init(_ p: [Double]) { omega = p[0] }

    @inlinable @inline(__always)
    public func dfun(_ x: UnsafePointer<Double>, _ cp: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>,
                     stride: Int, range: Range<Int>) {
        for i in range { dx[i] = omega + cp[i] }
    }
}
