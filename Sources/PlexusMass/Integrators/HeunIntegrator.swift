/// TVB's `HeunDeterministic` / `HeunStochastic`: an Euler predictor, then the trapezoid of the two
/// slopes; the stochastic form adds the same increment z to predictor and corrector (TVB's).
public struct HeunIntegrator: MassIntegrator {
    public static let name = "Heun"
    public static let key = "heun"
    public static let doc = "Heun (predictor-corrector), second order"
    public static let stages = 2

    @inline(__always)
    public static func step(_ s: MassStepState, range r: Range<Int>) {
        let x = s.x, xt = s.xt, a = s.k[0], b = s.k[1], z = s.z, h = s.h, n = s.n
        s.dfun(x, into: a, r)
        for v in 0..<s.nsv {
            let o = v * n
            if s.stochastic {
                for i in r { xt[o + i] = x[o + i] + h * a[o + i] + z[o + i] }
            } else {
                for i in r { xt[o + i] = x[o + i] + h * a[o + i] }
            }
        }
        s.clamp(xt, r)
        s.dfun(xt, into: b, r)
        for v in 0..<s.nsv {
            let o = v * n
            if s.stochastic {
                for i in r { x[o + i] = x[o + i] + (a[o + i] + b[o + i]) * h / 2.0 + z[o + i] }
            } else {
                for i in r { x[o + i] = x[o + i] + (a[o + i] + b[o + i]) * h / 2.0 }
            }
        }
        s.clamp(x, r)
    }
}
