import PlexusCore

/// TVB's Generic2dOscillator (FitzHugh-Nagumo-like, Stefanescu & Jirsa 2008):
/// `dV = d*tau*(alpha*W - f*V^3 + e*V^2 + g*V + gamma*I + gamma*c)`,
/// `dW = d*(a + b*V + c*V^2 - beta*W)/tau` (the parameter `c` is not the coupling input).
public struct Generic2dOscillator: MassModel {
    public static let name = "Generic2dOscillator"
    public static let doc = "Generic 2D oscillator: cubic V nullcline, configurable W nullcline (TVB defaults: damped focus near V = -0.19)."
    public static let parameters: [ParameterSpec] = [
        .init("tau", 1.0, 1.0, 5.0, "Time-scale hierarchy between V and W (1: none)."),
        .init("I", 0.0, -5.0, 5.0, "Baseline shift of the cubic nullcline."),
        .init("a", -2.0, -5.0, 5.0, "Vertical shift of the configurable nullcline."),
        .init("b", -10.0, -20.0, 15.0, "Linear slope of the configurable nullcline."),
        .init("c", 0.0, -10.0, 10.0, "Parabolic term of the configurable nullcline."),
        .init("d", 0.02, 0.0001, 1.0, "Temporal scale factor."),
        .init("e", 3.0, -5.0, 5.0, "Coefficient of the quadratic term of the cubic nullcline."),
        .init("f", 1.0, -5.0, 5.0, "Coefficient of the cubic term of the cubic nullcline."),
        .init("g", 0.0, -5.0, 5.0, "Coefficient of the linear term of the cubic nullcline."),
        .init("alpha", 1.0, -5.0, 5.0, "Rate of feedback from the slow variable to the fast one."),
        .init("beta", 1.0, -5.0, 5.0, "Rate of feedback from the slow variable to itself."),
        .init("gamma", 1.0, -1.0, 1.0, "Scales both I and the long-range coupling term."),
    ]
    public static let stateVariables = [
        MassStateVariable("V", range: (-2.0, 4.0)),
        MassStateVariable("W", range: (-6.0, 6.0)),
    ]
    public static let couplingVariables = [0]
    public static let couplingTerms = 1
    public static let variablesOfInterest = ["V"]

    public let tau, I, a, b, c, d, e, f, g, alpha, beta, gamma: Double

    public init(_ p: [Double]) {
        (tau, I, a, b, c, d, e, f, g) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8])
        (alpha, beta, gamma) = (p[9], p[10], p[11])
    }

    @inlinable @inline(__always)
    public func dfun(_ x: UnsafePointer<Double>, _ cp: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>,
                     stride: Int, range: Range<Int>) {
        let W = x + stride, dW = dx + stride
        let dtau = d * tau, gI = gamma * I
        // TVB's numba kernel: d*tau*(alpha*W - f*V2*V + e*V2 + g*V + gamma*I + gamma*c_0 + lc_0)
        // and d*(a + b*V + c*V2 - beta*W)/tau. With TVB's defaults tau = 1 and c = g = I = 0 the
        // division by 1 and the added zero terms change no value (short of the sign of a zero
        // sum), so that case skips them.
        if tau == 1 && c == 0 && g == 0 && gI == 0 {
            for i in range {
                let V = x[i], V2 = V * V, w = W[i]
                dx[i] = dtau * (alpha * w - f * V2 * V + e * V2 + gamma * cp[i])
                dW[i] = d * (a + b * V - beta * w)
            }
        } else {
            for i in range {
                let V = x[i], V2 = V * V, w = W[i]
                dx[i] = dtau * (alpha * w - f * V2 * V + e * V2 + g * V + gI + gamma * cp[i])
                dW[i] = d * (a + b * V + c * V2 - beta * w) / tau
            }
        }
    }
}
