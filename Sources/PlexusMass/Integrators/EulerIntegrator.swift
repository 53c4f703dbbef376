/// TVB's `EulerDeterministic` / `EulerStochastic`: x += dt·f(x) (+ z).
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
            if s.stochastic {
                for i in r { x[o + i] = x[o + i] + a[o + i] * h + z[o + i] }
            } else {
                for i in r { x[o + i] = x[o + i] + h * a[o + i] }
            }
        }
        s.clamp(x, r)
    }
}
