import PlexusCore

// GSL's explicit embedded Runge-Kutta-Fehlberg (4,5) method with its standard step-size control
// and its `gsl_odeiv_evolve_apply` driver, re-implemented so that NEST's ODE neurons
// (iaf_cond_*, aeif_*, hh_*) can be reproduced step for step: with an adaptive method the numbers
// depend on the exact sequence of internal steps, so the tableau, the error estimate, the control
// rules and the retry logic follow GSL (ode-initval/rkf45.c, cstd.c, evolve.c) operation by
// operation, in the same floating-point order.
//
// Nothing here allocates: the caller provides the state and `RKF45Workspace.scratchCount(d)`
// doubles of scratch (models take them from the stack once per update call), and the right-hand
// side is a generic parameter, so the compiler specialises and inlines it.

/// Right-hand side of y' = f(t, y) for `RKF45`. Implementations are small value types that carry
/// what the derivative needs besides y (parameters, input current, refractoriness).
public protocol ODERightHandSide {
    /// Number of state variables.
    var dimension: Int { get }
    /// Writes f(t, y) to `dydt` (both of length `dimension`).
    func callAsFunction(_ t: Double, _ y: UnsafePointer<Double>, _ dydt: UnsafeMutablePointer<Double>)
}

/// GSL's standard error control (`gsl_odeiv_control_standard`): a step is acceptable when every
/// component's local error estimate |yerr_i| stays below D_i = eps_abs + eps_rel·(a_y·|y_i| +
/// a_dydt·|h·y'_i|), up to the slack GSL allows (1.1 to shrink, 0.5 to grow).
public struct GSLStandardControl: Sendable, Equatable {
    public var epsAbs: Double
    public var epsRel: Double
    public var aY: Double
    public var aDydt: Double

    public init(epsAbs: Double, epsRel: Double, aY: Double, aDydt: Double) {
        self.epsAbs = epsAbs
        self.epsRel = epsRel
        self.aY = aY
        self.aDydt = aDydt
    }

    /// `gsl_odeiv_control_y_new(eps_abs, eps_rel)`: tolerance on the values (a_y = 1, a_dydt = 0).
    /// NEST's iaf_cond_exp, iaf_cond_alpha and hh_psc_alpha use (1e-3, 0).
    public static func y(epsAbs: Double, epsRel: Double) -> GSLStandardControl {
        GSLStandardControl(epsAbs: epsAbs, epsRel: epsRel, aY: 1, aDydt: 0)
    }

    /// `gsl_odeiv_control_yp_new(eps_abs, eps_rel)`: tolerance on the derivatives (a_y = 0,
    /// a_dydt = 1). NEST's aeif models use (gsl_error_tol, gsl_error_tol).
    public static func yp(epsAbs: Double, epsRel: Double) -> GSLStandardControl {
        GSLStandardControl(epsAbs: epsAbs, epsRel: epsRel, aY: 0, aDydt: 1)
    }

    /// Whether the control reads y' at the end of the step (GSL always computes it; when a_dydt
    /// is 0 its term is 0·finite = 0, so it can be skipped without changing any number).
    @inline(__always) var needsDerivative: Bool { aDydt != 0 }

    public enum Adjustment: Sendable { case decreased, unchanged, increased }

    /// `std_control_hadjust`: proposes a new step size from the error estimate of a step of size
    /// `h` done by a method of order `order`.
    @inline(__always)
    public func adjust(dimension: Int, order: Int, y: UnsafePointer<Double>, yerr: UnsafePointer<Double>,
                       yp: UnsafePointer<Double>?, h: inout Double) -> Adjustment {
        let S = 0.9            // safety factor
        let hOld = h
        // GSL starts from DBL_MIN so that an all-zero error still gives a finite ratio; and it
        // takes the maximum with `r > rmax ? r : rmax`, which ignores NaN ratios — kept as is.
        var rmax = Double.leastNormalMagnitude
        if let yp {
            for i in 0..<dimension {
                let D0 = epsRel * (aY * abs(y[i]) + aDydt * abs(hOld * yp[i])) + epsAbs
                let r = abs(yerr[i]) / abs(D0)
                rmax = r > rmax ? r : rmax
            }
        } else {
            // a_dydt = 0: the derivative term is 0 (see `needsDerivative`)
            for i in 0..<dimension {
                let D0 = epsRel * (aY * abs(y[i]) + 0.0) + epsAbs
                let r = abs(yerr[i]) / abs(D0)
                rmax = r > rmax ? r : rmax
            }
        }
        if rmax > 1.1 {
            // shrink, by at most a factor 5, a fraction S more than the error scaling suggests
            var r = S / _pow(rmax, 1.0 / Double(order))
            if r < 0.2 { r = 0.2 }
            h = r * hOld
            return .decreased
        } else if rmax < 0.5 {
            // grow, by at most a factor 5, and never shrink because of S < 1
            var r = S / _pow(rmax, 1.0 / (Double(order) + 1.0))
            if r > 5.0 { r = 5.0 }
            if r < 1.0 { r = 1.0 }
            h = r * hOld
            return .increased
        }
        return .unchanged
    }
}

/// Scratch space for one RKF45 integration (GSL keeps it in the step and evolve objects):
/// k2…k6, ytmp, yerr, dydt_in (doubles as k1), dydt_out and the copy of y used to undo a
/// rejected step. A view on caller-owned memory; copying it copies the pointer.
public struct RKF45Workspace {
    public let base: UnsafeMutablePointer<Double>
    public let dimension: Int

    /// Doubles of scratch needed for a system of `dimension` variables.
    public static func scratchCount(dimension: Int) -> Int { 10 * dimension }

    public init(_ base: UnsafeMutablePointer<Double>, dimension: Int) {
        self.base = base
        self.dimension = dimension
    }

    @inline(__always) func slot(_ k: Int) -> UnsafeMutablePointer<Double> { base + k &* dimension }
    @inline(__always) var k2: UnsafeMutablePointer<Double> { slot(0) }
    @inline(__always) var k3: UnsafeMutablePointer<Double> { slot(1) }
    @inline(__always) var k4: UnsafeMutablePointer<Double> { slot(2) }
    @inline(__always) var k5: UnsafeMutablePointer<Double> { slot(3) }
    @inline(__always) var k6: UnsafeMutablePointer<Double> { slot(4) }
    @inline(__always) var ytmp: UnsafeMutablePointer<Double> { slot(5) }
    @inline(__always) var yerr: UnsafeMutablePointer<Double> { slot(6) }
    @inline(__always) var dydtIn: UnsafeMutablePointer<Double> { slot(7) }
    @inline(__always) var dydtOut: UnsafeMutablePointer<Double> { slot(8) }
    @inline(__always) var ySave: UnsafeMutablePointer<Double> { slot(9) }
}

/// GSL's `rkf45` stepper and `gsl_odeiv_evolve_apply`.
public enum RKF45 {
    /// `rkf45_order`: GSL reports 5, and the control's exponents (1/5 to shrink, 1/6 to grow) use it.
    public static let order = 5

    // Fehlberg's tableau as GSL writes it (the divisions are exact-rounded at compile or load
    // time either way, so the constants are bit-identical to GSL's).
    static let ah0 = 1.0 / 4.0, ah1 = 3.0 / 8.0, ah2 = 12.0 / 13.0, ah3 = 1.0, ah4 = 1.0 / 2.0
    static let b30 = 3.0 / 32.0, b31 = 9.0 / 32.0
    static let b40 = 1932.0 / 2197.0, b41 = -7200.0 / 2197.0, b42 = 7296.0 / 2197.0
    static let b50 = 8341.0 / 4104.0, b51 = -32832.0 / 4104.0, b52 = 29440.0 / 4104.0, b53 = -845.0 / 4104.0
    static let b60 = -6080.0 / 20520.0, b61 = 41040.0 / 20520.0, b62 = -28352.0 / 20520.0,
               b63 = 9295.0 / 20520.0, b64 = -5643.0 / 20520.0
    // GSL advances with the 5th-order weights (local extrapolation)…
    static let c1 = 902880.0 / 7618050.0, c3 = 3953664.0 / 7618050.0, c4 = 3855735.0 / 7618050.0,
               c5 = -1371249.0 / 7618050.0, c6 = 277020.0 / 7618050.0
    // …and estimates the error as the difference of the 5th- and 4th-order solutions.
    static let ec1 = 1.0 / 360.0, ec3 = -128.0 / 4275.0, ec4 = -2197.0 / 75240.0, ec5 = 1.0 / 50.0,
               ec6 = 2.0 / 55.0

    /// `rkf45_apply`: one step of size `h` from (t, y), in place; `dydtIn` = f(t, y) (GSL's
    /// evolve passes it, rkf45 uses it as k1). Writes the error estimate to `yerr` and, if
    /// `dydtOut` is given, f(t + h, y_new) to it.
    @inline(__always)
    public static func step<F: ODERightHandSide>(_ f: F, t: Double, h: Double, y: UnsafeMutablePointer<Double>,
                                                 yerr: UnsafeMutablePointer<Double>, dydtIn: UnsafePointer<Double>,
                                                 dydtOut: UnsafeMutablePointer<Double>?, work: RKF45Workspace) {
        let d = work.dimension
        let k1 = dydtIn, k2 = work.k2, k3 = work.k3, k4 = work.k4, k5 = work.k5, k6 = work.k6
        let ytmp = work.ytmp
        for i in 0..<d { ytmp[i] = y[i] + ah0 * h * k1[i] }
        f(t + ah0 * h, ytmp, k2)
        for i in 0..<d { ytmp[i] = y[i] + h * (b30 * k1[i] + b31 * k2[i]) }
        f(t + ah1 * h, ytmp, k3)
        for i in 0..<d { ytmp[i] = y[i] + h * (b40 * k1[i] + b41 * k2[i] + b42 * k3[i]) }
        f(t + ah2 * h, ytmp, k4)
        for i in 0..<d { ytmp[i] = y[i] + h * (b50 * k1[i] + b51 * k2[i] + b52 * k3[i] + b53 * k4[i]) }
        f(t + ah3 * h, ytmp, k5)
        for i in 0..<d {
            ytmp[i] = y[i] + h * (b60 * k1[i] + b61 * k2[i] + b62 * k3[i] + b63 * k4[i] + b64 * k5[i])
        }
        f(t + ah4 * h, ytmp, k6)
        for i in 0..<d {
            let di = c1 * k1[i] + c3 * k3[i] + c4 * k4[i] + c5 * k5[i] + c6 * k6[i]
            y[i] += h * di
        }
        if let dydtOut { f(t + h, UnsafePointer(y), dydtOut) }
        for i in 0..<d {
            yerr[i] = h * (ec1 * k1[i] + ec3 * k3[i] + ec4 * k4[i] + ec5 * k5[i] + ec6 * k6[i])
        }
    }

    /// `gsl_odeiv_evolve_apply` with the rkf45 stepper and a standard control: makes one accepted
    /// step from `t` towards `t1` (never past it), in place on `y`, and returns how many tries
    /// were rejected on the way.
    ///
    /// As in GSL: a step longer than what is left is clipped to t1 - t (and `t` is then set to t1
    /// exactly, not t + h); after each try the control proposes a new size from the error; if it
    /// asks to shrink (and the smaller step would still move t by at least one ulp) y is restored
    /// and the step retried from the same t with the same initial derivative; otherwise the step
    /// is accepted and the proposal (grown, unchanged, or the old size when a shrink was refused)
    /// is returned in `h` for the next call. The proposal is computed from the clipped size, so a
    /// clipped final step carries its (possibly grown) clipped size into the next call — that is
    /// how NEST's per-neuron `IntegrationStep_` evolves from one simulation step to the next.
    @inline(__always) @discardableResult
    public static func evolveApply<F: ODERightHandSide>(_ f: F, control: GSLStandardControl, t: inout Double,
                                                        t1: Double, h: inout Double, y: UnsafeMutablePointer<Double>,
                                                        work: RKF45Workspace) -> Int {
        let d = work.dimension
        let t0 = t
        var h0 = h
        let dt = t1 - t0
        var failed = 0
        let ySave = work.ySave, yerr = work.yerr, dydtIn = work.dydtIn
        let dydtOut: UnsafeMutablePointer<Double>? = control.needsDerivative ? work.dydtOut : nil
        precondition(!((dt < 0 && h0 > 0) || (dt > 0 && h0 < 0)), "RKF45: step direction must match interval direction")

        ySave.update(from: y, count: d)
        // rkf45 can use dydt_in: evaluated once per call, reused by every retry
        f(t0, UnsafePointer(y), dydtIn)

        while true {
            let finalStep: Bool
            if (dt >= 0 && h0 > dt) || (dt < 0 && h0 < dt) {
                h0 = dt
                finalStep = true
            } else {
                finalStep = false
            }
            step(f, t: t0, h: h0, y: y, yerr: yerr, dydtIn: dydtIn, dydtOut: dydtOut, work: work)
            t = finalStep ? t1 : t0 + h0

            let hOld = h0
            let adj = control.adjust(dimension: d, order: order, y: UnsafePointer(y), yerr: UnsafePointer(yerr),
                                     yp: dydtOut.map { UnsafePointer($0) }, h: &h0)
            if adj == .decreased {
                let tNext = t + h0
                if abs(h0) < abs(hOld) && tNext != t {
                    // rejected: undo and retry with the smaller step
                    y.update(from: ySave, count: d)
                    failed += 1
                    continue
                }
                h0 = hOld   // cannot shrink any further: keep the step and its size
            }
            break
        }
        h = h0
        return failed
    }
}

// How NEST's neurons drive the solver: once per simulation step and neuron, from t = 0 to the
// resolution h, with the step size carried over from the previous simulation step.
extension RKF45 {
    /// Runs `body` with room for the ODE state of `dimension` variables (`y`), `extra` more
    /// doubles right after it, and the workspace after those, all on the stack: what a model's
    /// update needs, taken once per call.
    @inline(__always)
    public static func withState<R>(dimension d: Int, extra: Int = 0,
                                    _ body: (_ y: UnsafeMutablePointer<Double>, RKF45Workspace) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(of: Double.self, capacity: d + extra + RKF45Workspace.scratchCount(dimension: d)) { buf in
            let y = buf.baseAddress!
            return try body(y, RKF45Workspace(y + d + extra, dimension: d))
        }
    }

    /// The step size to start a neuron's simulation step with: the one it carried over, or the
    /// resolution `h` if it has none yet (0, as NEST's init leaves IntegrationStep_).
    @inline(__always)
    public static func carriedStepSize(_ stored: Double, resolution h: Double) -> Double {
        stored > 0 ? stored : h
    }

    /// Integrates `y` from t = 0 to t = `h` in the steps GSL's evolve accepts, starting with step
    /// size `hs` and leaving in it the size proposed for the next simulation step.
    @inline(__always)
    public static func advance<F: ODERightHandSide>(_ f: F, control: GSLStandardControl, over h: Double,
                                                    stepSize hs: inout Double, y: UnsafeMutablePointer<Double>,
                                                    work: RKF45Workspace) {
        var t = 0.0, substeps = 0
        while t < h {
            evolveApply(f, control: control, t: &t, t1: h, h: &hs, y: y, work: work)
            substeps &+= 1
            if substeps > maxSubsteps {
                // The state runs away (I_e of 1e40 pA shrinks the step towards zero): give up.
                // A non-finite state stops the run with the engine's error naming the neuron
                // and the step, where the loop would otherwise run for hours.
                for k in 0..<work.dimension { y[k] = .nan }
                hs = h
                return
            }
        }
    }

    /// Internal steps one simulation step may take. NEST's models need a handful at their
    /// resolutions; this many means the solution has run away.
    public static let maxSubsteps = 100_000
}

/// A neuron model whose right-hand side needs, besides y, only its own constants, the stimulus
/// current of the step and whether the neuron is refractory (NEST's iaf_cond_exp, iaf_cond_alpha,
/// aeif_cond_exp). It writes its dynamics as `derivatives`; `RefractoryRHS` hands them to `RKF45`.
protocol RefractoryODENeuron {
    /// Number of ODE state variables (columns 0 to dimension - 1, in NEST's order).
    static var dimension: Int { get }
    /// Writes dy/dt to `f`.
    func derivatives(_ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>, iStim: Double, refractory: Bool)
}

/// The right-hand side of a `RefractoryODENeuron` for one neuron and step.
struct RefractoryRHS<Model: RefractoryODENeuron>: ODERightHandSide {
    let model: Model
    let iStim: Double
    let refractory: Bool
    var dimension: Int { Model.dimension }

    @inline(__always)
    func callAsFunction(_ t: Double, _ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>) {
        model.derivatives(y, f, iStim: iStim, refractory: refractory)
    }
}
