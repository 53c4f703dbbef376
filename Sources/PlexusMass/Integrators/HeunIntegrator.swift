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
        let h = s.h
        if s.fusesHeun, let local = s.local {
            // The same stages and synchronisation as below, each update in the kernel's loop
            // (RateKernelWriter.heunPredictSymbol), operation for operation.
            let z = s.stochastic ? UnsafePointer(s.z) : nil
            s.surfaceStage(s.x, r, sync: .none) {
                local.heunPredict(s.n, r.lowerBound, r.upperBound, s.x, s.c, s.parameters, local.rows, s.k[0], s.xt, h, z)
            }
            s.surfaceStage(s.xt, r, sync: .before) {
                local.heunCorrect(s.n, r.lowerBound, r.upperBound, s.xt, s.c, s.parameters, local.rows, s.k[0], s.x, h, z)
            }
            return
        }
        // The state is complete (the engine's barrier before the step), and the predictor writes
        // xt, which this stage's local product does not read.
        s.dfun(s.x, into: s.k[0], r, sync: .none)
        for v in 0..<s.nsv {
            // Column pointers and wrapping index arithmetic keep these loops free of overflow
            // checks, so the compiler vectorises them.
            let (x, xt, a, z) = (s.x + v &* s.n, s.xt + v &* s.n, s.k[0] + v &* s.n, s.z + v &* s.n)
            switch (s.stochastic, s.s) {
            case (true, nil): for i in r { xt[i] = x[i] + h * a[i] + z[i] }
            case (false, nil): for i in r { xt[i] = x[i] + h * a[i] }
            case (true, let st?): let st = st + v &* s.n; for i in r { xt[i] = x[i] + h * a[i] + z[i] + h * st[i] }
            case (false, let st?): let st = st + v &* s.n; for i in r { xt[i] = x[i] + h * (a[i] + st[i]) }
            }
        }
        s.clamp(s.xt, r)
        // Every predictor value must be in before a neighbour's local product reads it; the
        // corrector writes x, which this stage's product does not read.
        s.dfun(s.xt, into: s.k[1], r, sync: .before)
        for v in 0..<s.nsv {
            let (x, a, b, z) = (s.x + v &* s.n, s.k[0] + v &* s.n, s.k[1] + v &* s.n, s.z + v &* s.n)
            switch (s.stochastic, s.s) {
            case (true, nil): for i in r { x[i] = x[i] + (a[i] + b[i]) * h / 2.0 + z[i] }
            case (false, nil): for i in r { x[i] = x[i] + (a[i] + b[i]) * h / 2.0 }
            case (true, let st?): let st = st + v &* s.n; for i in r { x[i] = x[i] + (a[i] + b[i]) * h / 2.0 + z[i] + h * st[i] }
            case (false, let st?): let st = st + v &* s.n; for i in r { x[i] = x[i] + (a[i] + b[i]) * h / 2.0 + h * st[i] }
            }
        }
        s.clamp(s.x, r)
    }
}
