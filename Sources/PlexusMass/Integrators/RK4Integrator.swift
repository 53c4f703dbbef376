/// TVB's `RungeKutta4thOrderDeterministic` (and `RungeKutta4thOrderStochastic`, a Plexus addition:
/// the RK4 step plus the same additive increment z).
public struct RK4Integrator: MassIntegrator {
    public static let name = "RungeKutta4thOrder"
    public static let key = "rk4"
    public static let doc = "classical Runge-Kutta, fourth order"
    public static let stages = 4

    @inline(__always)
    public static func step(_ s: MassStepState, range r: Range<Int>) {
        let x = s.x, xt = s.xt, a = s.k[0], b = s.k[1], c3 = s.k[2], c4 = s.k[3], z = s.z, h = s.h, n = s.n, nsv = s.nsv
        let stochastic = s.stochastic
        let h2 = h / 2.0, h6 = h / 6.0
        s.dfun(x, into: a, r)
        for v in 0..<nsv { let o = v * n; for i in r { xt[o + i] = x[o + i] + h2 * a[o + i] } }
        s.clamp(xt, r)
        s.dfun(xt, into: b, r)
        for v in 0..<nsv { let o = v * n; for i in r { xt[o + i] = x[o + i] + h2 * b[o + i] } }
        s.clamp(xt, r)
        s.dfun(xt, into: c3, r)
        for v in 0..<nsv { let o = v * n; for i in r { xt[o + i] = x[o + i] + h * c3[o + i] } }
        s.clamp(xt, r)
        s.dfun(xt, into: c4, r)
        for v in 0..<nsv {
            let o = v * n
            for i in r {
                let dX = h6 * (a[o + i] + 2.0 * b[o + i] + 2.0 * c3[o + i] + c4[o + i])
                var next = stochastic ? x[o + i] + dX + z[o + i] : x[o + i] + dX
                if let st = s.s { next = next + h * st[o + i] }   // TVB: the stimulus only here, not in the stages
                x[o + i] = next
            }
        }
        s.clamp(x, r)
    }
}
