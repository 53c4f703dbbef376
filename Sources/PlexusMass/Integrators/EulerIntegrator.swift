/// TVB's `EulerDeterministic` / `EulerStochastic`: x += dt·f(x) (+ z) (+ dt·s, a region stimulus).
public struct EulerIntegrator: MassIntegrator {
    public static let name = "Euler"
    public static let key = "euler"
    public static let doc = "forward Euler, first order: x += dt f(x) (+ noise)"
    public static let stages = 1

    @inline(__always)
    public static func step(_ s: MassStepState, range r: Range<Int>) {
        let h = s.h
        // The state is complete (the engine's barrier before the step); it is updated in place,
        // so every neighbour's local product must have read it first.
        s.dfun(s.x, into: s.k[0], r, sync: .after)
        for v in 0..<s.nsv {
            // Column pointers and wrapping index arithmetic: no overflow checks, so loops vectorise.
            let (x, a, z) = (s.x + v &* s.n, s.k[0] + v &* s.n, s.z + v &* s.n)
            switch (s.stochastic, s.s) {
            case (true, nil): for i in r { x[i] = x[i] + a[i] * h + z[i] }
            case (false, nil): for i in r { x[i] = x[i] + h * a[i] }
            case (true, let st?): let st = st + v &* s.n; for i in r { x[i] = x[i] + a[i] * h + z[i] + h * st[i] }
            case (false, let st?): let st = st + v &* s.n; for i in r { x[i] = x[i] + h * (a[i] + st[i]) }
            }
        }
        s.clamp(s.x, r)
    }
}
