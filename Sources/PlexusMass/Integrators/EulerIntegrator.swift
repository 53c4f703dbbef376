/// TVB's `EulerDeterministic` / `EulerStochastic`: x += dt·f(x) (+ z) (+ dt·s, a region stimulus).
public struct EulerIntegrator: MassIntegrator {
    public static let name = "Euler"
    public static let key = "euler"
    public static let doc = "forward Euler, first order: x += dt f(x) (+ noise)"
    public static let stages = 1

    @inline(__always)
    public static func step(_ s: MassStepState, range r: Range<Int>) {
        let x = s.x, a = s.k[0], z = s.z, h = s.h, n = s.n
        s.dfun(x, into: a, r)
        for v in 0..<s.nsv {
            let o = v * n
            switch (s.stochastic, s.s) {
            case (true, nil): for i in r { x[o + i] = x[o + i] + a[o + i] * h + z[o + i] }
            case (false, nil): for i in r { x[o + i] = x[o + i] + h * a[o + i] }
            case (true, let st?): for i in r { x[o + i] = x[o + i] + a[o + i] * h + z[o + i] + h * st[o + i] }
            case (false, let st?): for i in r { x[o + i] = x[o + i] + h * (a[o + i] + st[o + i]) }
            }
        }
        s.clamp(x, r)
    }
}
