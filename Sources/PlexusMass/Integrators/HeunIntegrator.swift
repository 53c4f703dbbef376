/// TVB's `HeunDeterministic` / `HeunStochastic`: an Euler predictor, then the trapezoid of the two
/// slopes; the stochastic form adds the same increment z to predictor and corrector, and a region
/// stimulus s enters both as dt*s (TVB's, operation for operation).
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
            switch (s.stochastic, s.s) {
            case (true, nil): for i in r { xt[o + i] = x[o + i] + h * a[o + i] + z[o + i] }
            case (false, nil): for i in r { xt[o + i] = x[o + i] + h * a[o + i] }
            case (true, let st?): for i in r { xt[o + i] = x[o + i] + h * a[o + i] + z[o + i] + h * st[o + i] }
            case (false, let st?): for i in r { xt[o + i] = x[o + i] + h * (a[o + i] + st[o + i]) }
            }
        }
        s.clamp(xt, r)
        s.dfun(xt, into: b, r)
        for v in 0..<s.nsv {
            let o = v * n
            switch (s.stochastic, s.s) {
            case (true, nil): for i in r { x[o + i] = x[o + i] + (a[o + i] + b[o + i]) * h / 2.0 + z[o + i] }
            case (false, nil): for i in r { x[o + i] = x[o + i] + (a[o + i] + b[o + i]) * h / 2.0 }
            case (true, let st?): for i in r { x[o + i] = x[o + i] + (a[o + i] + b[o + i]) * h / 2.0 + z[o + i] + h * st[o + i] }
            case (false, let st?): for i in r { x[o + i] = x[o + i] + (a[o + i] + b[o + i]) * h / 2.0 + h * st[o + i] }
            }
        }
        s.clamp(x, r)
    }
}
