/// TVB's `RungeKutta4thOrderDeterministic` (and `RungeKutta4thOrderStochastic`, a Plexus addition:
/// the RK4 step plus the same additive increment z).
public struct RK4Integrator: MassIntegrator {
    public static let name = "RungeKutta4thOrder"
    public static let key = "rk4"
    public static let doc = "classical Runge-Kutta, fourth order"
    public static let stages = 4

    @inline(__always)
    public static func step(_ s: MassStepState, range r: Range<Int>) {
        let h = s.h, n = s.n, nsv = s.nsv, stochastic = s.stochastic
        let h2 = h / 2.0, h6 = h / 6.0
        let (x, xt, a, b, c3, c4) = (s.x, s.xt, s.k[0], s.k[1], s.k[2], s.k[3])
        // xt = x + f * k over every variable (column pointers: no overflow checks, loops vectorise).
        func stage(_ f: Double, _ k: UnsafeMutablePointer<Double>) {
            for v in 0..<nsv {
                let (xv, xtv, kv) = (x + v &* n, xt + v &* n, k + v &* n)
                for i in r { xtv[i] = xv[i] + f * kv[i] }
            }
            s.clamp(xt, r)
        }
        // Local products (surfaces): the first reads the complete state x; the others read xt,
        // which must be complete before and stay unchanged until every neighbour has read it.
        s.dfun(x, into: a, r, sync: .none)
        stage(h2, a)
        s.dfun(xt, into: b, r, sync: .both)
        stage(h2, b)
        s.dfun(xt, into: c3, r, sync: .both)
        stage(h, c3)
        s.dfun(xt, into: c4, r, sync: .before)
        for v in 0..<nsv {
            let (xv, av, bv, cv, dv, zv) = (x + v &* n, a + v &* n, b + v &* n, c3 + v &* n, c4 + v &* n, s.z + v &* n)
            let st = s.s.map { $0 + v &* n }
            for i in r {
                let dX = h6 * (av[i] + 2.0 * bv[i] + 2.0 * cv[i] + dv[i])
                var next = stochastic ? xv[i] + dX + zv[i] : xv[i] + dX
                if let st { next = next + h * st[i] }   // TVB: the stimulus only here, not in the stages
                xv[i] = next
            }
        }
        s.clamp(x, r)
    }
}
