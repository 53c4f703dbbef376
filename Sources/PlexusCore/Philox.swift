/// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011).
///
/// A stream is a pure function of (seed, purpose, id, time word, block counter), so any thread may
/// draw any neuron's numbers in any order and get the same values: results do not depend on the
/// number of threads or on iteration order.
@frozen public struct Philox4x32: Sendable {
    @usableFromInline static let m0: UInt64 = 0xD251_1F53
    @usableFromInline static let m1: UInt64 = 0xCD9E_8D57
    @usableFromInline static let w0: UInt32 = 0x9E37_79B9
    @usableFromInline static let w1: UInt32 = 0xBB67_AE85

    /// One block: 4 × 32 random bits for the given counter and key.
    @inlinable @inline(__always)
    public static func block(_ c0: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32,
                             key k0: UInt32, _ k1: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        var x0 = c0, x1 = c1, x2 = c2, x3 = c3
        var a = k0, b = k1
        for _ in 0..<10 {
            let p0 = m0 &* UInt64(x0)
            let p1 = m1 &* UInt64(x2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            x0 = hi1 ^ x1 ^ a
            x1 = lo1
            x2 = hi0 ^ x3 ^ b
            x3 = lo0
            a = a &+ w0
            b = b &+ w1
        }
        return (x0, x1, x2, x3)
    }
}

/// What a random stream is used for. Distinct purposes never share numbers.
public enum RandomPurpose: UInt32, Sendable {
    case connectionSources = 1
    case connectionTargets = 2
    case connectionWeights = 3
    case connectionDelays = 4
    case connectionCount = 5
    case poissonInput = 6
    case noiseInput = 7
    case initialState = 8
    case structuralPlasticity = 9
    /// Optimisers' candidate draws (PlexusFit).
    case optimizer = 10
    /// Whether a stochastic synapse passes a spike on (bernoulli_synapse).
    case synapseTransmission = 11
    /// gamma_sup_generator and ppd_sup_generator (per target and step).
    case spikeProcess = 12
    /// poisson_generator_ps (per target and event).
    case precisePoisson = 13
    /// Draws of generated neuron models (NESTML's random_normal, random_uniform), per neuron and step.
    case generatedModel = 14
    case user = 15
}

/// A sequential stream of random numbers keyed by (seed, purpose, index, id, time).
/// `index` separates e.g. different connection statements; `id` is usually a gid; `time` a step.
@frozen public struct RandomStream: Sendable {
    @usableFromInline let k0: UInt32, k1: UInt32
    @usableFromInline let c1: UInt32, c2: UInt32, c3: UInt32
    @usableFromInline var counter: UInt32 = 0
    @usableFromInline var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    @usableFromInline var used: Int = 4
    /// Box-Muller makes normals in pairs; the second waits here for the next call.
    @usableFromInline var spare: Double = .nan

    @inlinable
    public init(seed: UInt64, purpose: RandomPurpose, index: UInt32 = 0, id: UInt64, time: UInt32 = 0) {
        (k0, k1) = Self.key(seed: seed)
        c1 = time
        c2 = UInt32(truncatingIfNeeded: id) ^ (UInt32(truncatingIfNeeded: id >> 32) &* 0x85EB_CA6B)
        c3 = (purpose.rawValue << 24) ^ index ^ (UInt32(truncatingIfNeeded: id >> 32) << 12)
    }

    /// The Philox key of every stream of `seed`: the seed whitened, so that nearby seeds give
    /// unrelated keys. Generated C kernels (plexus_point_runtime.h) draw from it the same numbers.
    @inlinable
    public static func key(seed: UInt64) -> (UInt32, UInt32) {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (UInt32(truncatingIfNeeded: z), UInt32(truncatingIfNeeded: z >> 32))
    }

    /// One block of another stream that shares this stream's seed and purpose: for hot loops
    /// that derive many short streams (one per neuron and step) without re-whitening the seed.
    @inlinable @inline(__always)
    public func block(counter: UInt32, time: UInt32, index: UInt32, id: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        let c2 = UInt32(truncatingIfNeeded: id) ^ (UInt32(truncatingIfNeeded: id >> 32) &* 0x85EB_CA6B)
        let c3 = (c3 & 0xFF00_0000) ^ index ^ (UInt32(truncatingIfNeeded: id >> 32) << 12)
        return Philox4x32.block(counter, time, c2, c3, key: k0, k1)
    }

    @inlinable @inline(__always)
    public mutating func nextUInt32() -> UInt32 {
        if used == 4 {
            buffer = Philox4x32.block(counter, c1, c2, c3, key: k0, k1)
            counter &+= 1
            used = 0
        }
        let v: UInt32
        switch used {
        case 0: v = buffer.0
        case 1: v = buffer.1
        case 2: v = buffer.2
        default: v = buffer.3
        }
        used &+= 1
        return v
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable @inline(__always)
    public mutating func nextDouble() -> Double {
        let hi = UInt64(nextUInt32() >> 5), lo = UInt64(nextUInt32() >> 6)
        return Double(hi << 26 | lo) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in (0, 1]: safe as the argument of a logarithm.
    @inlinable @inline(__always)
    public mutating func nextOpenDouble() -> Double { 1.0 - nextDouble() }

    /// Uniform integer in 0..<n (unbiased, Lemire's method).
    @inlinable
    public mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0)
        if n <= Int(UInt32.max) {
            let bound = UInt32(n)
            var m = UInt64(nextUInt32()) &* UInt64(bound)
            if UInt32(truncatingIfNeeded: m) < bound {
                let t = (0 &- bound) % bound
                while UInt32(truncatingIfNeeded: m) < t { m = UInt64(nextUInt32()) &* UInt64(bound) }
            }
            return Int(m >> 32)
        }
        // Rare: ranges beyond 2^32.
        while true {
            let v = UInt64(nextUInt32()) << 32 | UInt64(nextUInt32())
            let limit = UInt64.max - UInt64.max % UInt64(n)
            if v < limit { return Int(v % UInt64(n)) }
        }
    }

    /// Standard normal (Box-Muller, both values of a pair used in turn; deterministic).
    @inlinable
    public mutating func nextNormal() -> Double {
        if !spare.isNaN {
            let v = spare
            spare = .nan
            return v
        }
        let u1 = nextOpenDouble(), u2 = nextDouble()
        let r = (-2.0 * _log(u1)).squareRoot()
        let (s, c) = _sincos(2.0 * Double.pi * u2)
        spare = r * s
        return r * c
    }

    /// Exponential with rate 1.
    @inlinable
    public mutating func nextExponential() -> Double { -_log(nextOpenDouble()) }

    /// Poisson-distributed count with mean `lambda`.
    @inlinable
    public mutating func nextPoisson(_ lambda: Double) -> Int {
        if lambda <= 0 { return 0 }
        if lambda < 12 {
            // Inversion by sequential search: about lambda+1 comparisons.
            var p = _exp(-lambda)
            var f = p
            let u = nextDouble()
            var k = 0
            while u > f && k < 1000 {
                k += 1
                p *= lambda / Double(k)
                f += p
            }
            return k
        }
        // PTRS transformed rejection (Hörmann 1993) for large means.
        let slam = lambda.squareRoot()
        let loglam = _log(lambda)
        let b = 0.931 + 2.53 * slam
        let a = -0.059 + 0.02483 * b
        let invalpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = nextDouble() - 0.5
            let v = nextDouble()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + lambda + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            let lhs = _log(v) + _log(invalpha) - _log(a / (us * us) + b)
            let rhs = -lambda + k * loglam - logGamma(k + 1)
            if lhs <= rhs { return Int(k) }
        }
    }

    /// Binomial(n, p) count.
    @inlinable
    public mutating func nextBinomial(_ n: Int, _ p: Double) -> Int {
        if n <= 0 || p <= 0 { return 0 }
        if p >= 1 { return n }
        if n < 64 {
            var c = 0
            for _ in 0..<n where nextDouble() < p { c += 1 }
            return c
        }
        // Inversion on the waiting times between successes (geometric skips): exact, O(n·p) work.
        if Double(n) * p < 30 || Double(n) * (1 - p) < 30 {
            let flip = p > 0.5
            let q = flip ? 1 - p : p
            let lq = _log1p(-q)
            var c = 0, pos = 0
            while true {
                pos += Int((_log(nextOpenDouble()) / lq).rounded(.down)) + 1
                if pos > n { break }
                c += 1
            }
            return flip ? n - c : c
        }
        // Large n·p: split in halves recursively keeps exactness with bounded depth.
        let h = n / 2
        return nextBinomial(h, p) + nextBinomial(n - h, p)
    }
}

/// log Γ(x) for x > 0 (Lanczos, 15 digits), for the Poisson rejection sampler.
@inlinable
public func logGamma(_ x: Double) -> Double {
    let g = 7.0
    if x < 0.5 { return _log(Double.pi / _sin(Double.pi * x)) - logGamma(1 - x) }
    let xx = x - 1
    let t = xx + g + 0.5
    // Lanczos coefficients (g = 7, n = 9), summed without an array so nothing allocates.
    var a = 0.99999999999980993
    a += 676.5203681218851 / (xx + 1)
    a += -1259.1392167224028 / (xx + 2)
    a += 771.32342877765313 / (xx + 3)
    a += -176.61502916214059 / (xx + 4)
    a += 12.507343278686905 / (xx + 5)
    a += -0.13857109526572012 / (xx + 6)
    a += 9.9843695780195716e-6 / (xx + 7)
    a += 1.5056327351493116e-7 / (xx + 8)
    return 0.5 * _log(2 * Double.pi) + (xx + 0.5) * _log(t) - t + _log(a)
}

/// Poisson counts by inversion of a precomputed cumulative table: no exp or division per draw,
/// which matters when every neuron draws its Poisson input every step. Means above 100 fall
/// back to the rejection sampler of `RandomStream`.
public struct PoissonTable: Sendable {
    public let lambda: Double
    /// cdf[k] = P(X <= k); the last entry is 1 so the search always ends.
    public let cdf: [Double]
    /// Guide table (Chen & Asau): guide[j] is the smallest k with cdf[k] > j/guide.count, so a
    /// search that starts there takes about one comparison instead of lambda + 1.
    public let guide: [Int32]

    /// Largest mean served by a table.
    public static let tableLimit = 100.0
    /// Below this mean per step, trains are drawn event by event (gaps, then counts >= 1).
    public static let sparseLimit = 0.3

    public init(lambda: Double) {
        self.lambda = lambda
        guard lambda > 0, lambda <= Self.tableLimit else { cdf = [1]; guide = [0]; return }
        var c: [Double] = []
        var p = _exp(-lambda), f = p
        var k = 0
        // Stop once the remaining tail is below 2^-53 (u cannot resolve it).
        while 1 - f > 0x1p-53 && k < 10_000 {
            c.append(f)
            k += 1
            p *= lambda / Double(k)
            f += p
        }
        c.append(1)
        cdf = c
        let g = max(256, 8 * c.count)
        var guide = [Int32](repeating: 0, count: g)
        var first = 0
        for j in 0..<g {
            while Double(j) / Double(g) >= c[first] { first += 1 }
            guide[j] = Int32(first)
        }
        self.guide = guide
    }

    /// The count for a uniform u in [0, 1) (tables passed as pointers for hot loops).
    @inlinable @inline(__always)
    public static func count(_ u: Double, cdf: UnsafePointer<Double>, guide: UnsafePointer<Int32>, guideCount: Int) -> Int {
        var k = Int(guide[Int(u * Double(guideCount))])
        // With 8 buckets per entry the answer is almost always k or k + 1: two branch-free
        // steps, then a loop that is rarely entered (so its branch predicts well).
        k &+= u >= cdf[k] ? 1 : 0
        k &+= u >= cdf[k] ? 1 : 0
        while u >= cdf[k] { k &+= 1 }
        return k
    }

}
