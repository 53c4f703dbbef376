import Foundation

// NEST 3's random numbers, draw for draw, so that a NEST script run on Plexus can see the same
// Poisson counts and noise currents as on NEST (kernel `random_streams: nest`). NEST gives each
// virtual process a `std::mt19937_64` seeded through Melissa O'Neill's `seed_seq_fe128` with
// (rng_seed, a constant, the VP), and draws through libstdc++'s distributions; the NEST 3.10
// wheel on PyPI is built with GCC 10, whose normal and Poisson algorithms are those below.
// Sequential by nature: Plexus's own randomness is the counter-based `RandomStream`.

/// O'Neill's fixed-entropy seed sequence with four 32-bit words (randutils' `seed_seq_fe128`),
/// as NEST seeds its generators with it.
public struct SeedSequenceFE128: Sendable {
    private var mixer: [UInt32] = [0, 0, 0, 0]

    public init(_ entropy: [UInt32]) {
        var hashConstant: UInt32 = 0x43b0_d7e5
        func hash(_ v: UInt32) -> UInt32 {
            var value = v ^ hashConstant
            hashConstant = hashConstant &* 0x931e_8875
            value = value &* hashConstant
            return value ^ (value >> 16)
        }
        func mix(_ x: UInt32, _ y: UInt32) -> UInt32 {
            let r = 0xca01_f9dd &* x &- 0x4973_f715 &* y
            return r ^ (r >> 16)
        }
        for i in 0..<4 { mixer[i] = hash(i < entropy.count ? entropy[i] : 0) }
        for src in 0..<4 {
            for dest in 0..<4 where dest != src { mixer[dest] = mix(mixer[dest], hash(mixer[src])) }
        }
        for value in entropy.dropFirst(4) {
            for dest in 0..<4 { mixer[dest] = mix(mixer[dest], hash(value)) }
        }
        // Four words need no extra stirring (randutils stirs only for two or fewer).
    }

    /// `generate(first, last)`: `count` words.
    public func generate(_ count: Int) -> [UInt32] {
        var hashConstant: UInt32 = 0x8b51_f9dd
        return (0..<count).map { i in
            var value = mixer[i % 4] ^ hashConstant
            hashConstant = hashConstant &* 0x58f3_8ded
            value = value &* hashConstant
            return value ^ (value >> 16)
        }
    }
}

/// The 64-bit Mersenne Twister (`std::mt19937_64`).
public struct MT19937_64: Sendable {
    private var state: [UInt64]
    private var index = 312

    /// `std::mt19937_64(5489)`, the standard's default seed.
    public init(seed: UInt64 = 5489) {
        state = [UInt64](repeating: 0, count: 312)
        state[0] = seed
        for i in 1..<312 {
            state[i] = 6_364_136_223_846_793_005 &* (state[i - 1] ^ (state[i - 1] >> 62)) &+ UInt64(i)
        }
    }

    /// `engine.seed(sseq)`: 624 words from the sequence, two per state word (low word first).
    public init(_ sequence: SeedSequenceFE128) {
        let words = sequence.generate(624)
        state = (0..<312).map { UInt64(words[2 * $0]) | UInt64(words[2 * $0 + 1]) << 32 }
        // An all-zero state (upper bits of the first word) cannot run: the standard sets one bit.
        if state[0] & ~UInt64(0x7fff_ffff) == 0 && state.dropFirst().allSatisfy({ $0 == 0 }) { state[0] = 1 << 63 }
    }

    private mutating func twist() {
        state.withUnsafeMutableBufferPointer { x in
            for i in 0..<312 {
                let y = (x[i] & 0xffff_ffff_8000_0000) | (x[(i + 1) % 312] & 0x7fff_ffff)
                x[i] = x[(i + 156) % 312] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0xb502_6f5a_a966_19e9)
            }
        }
        index = 0
    }

    public mutating func next() -> UInt64 {
        if index >= 312 { twist() }
        var y = state[index]
        index += 1
        y ^= (y >> 29) & 0x5555_5555_5555_5555
        y ^= (y << 17) & 0x71d6_7fff_eda6_0000
        y ^= (y << 37) & 0xfff7_eee0_0000_0000
        y ^= y >> 43
        return y
    }

    /// libstdc++ `generate_canonical<double, 53>` of one 64-bit draw: x / 2⁶⁴, kept below 1.
    public mutating func canonical() -> Double {
        let r = Double(next()) / 18_446_744_073_709_551_616.0
        return r < 1 ? r : 1.0.nextDown
    }

    /// NEST's `ulrand(n)`: libstdc++'s `uniform_int_distribution<unsigned long>(0, n - 1)` as
    /// GCC 10 has it (scale down by ⌊(2⁶⁴ - 1) / n⌋, rejecting draws at or above n times that;
    /// GCC 11 changed to Lemire's method, which draws other numbers). `n` >= 1.
    public mutating func ulrand(_ n: UInt64) -> UInt64 {
        let scaling = UInt64.max / n
        let past = n &* scaling
        var r: UInt64
        repeat { r = next() } while r >= past
        return r / scaling
    }
}

/// NEST's generators: which seeder constant NEST mixes with the seed for each kind.
public enum NestRandom {
    /// One virtual process's own stream (`get_vp_specific_rng`): devices' draws, neurons' noise.
    public static func virtualProcess(_ vp: Int, seed: UInt32) -> MT19937_64 {
        MT19937_64(SeedSequenceFE128([seed, 0xb84c_9bae, UInt32(vp)]))
    }

    /// The stream every MPI rank holds in the same state (`get_rank_synced_rng`): the targets
    /// of fixed_outdegree, the counts of fixed_total_number.
    public static func rankSynced(seed: UInt32) -> MT19937_64 {
        MT19937_64(SeedSequenceFE128([seed, 0xc229_212d]))
    }

    /// NEST's default `rng_seed`.
    public static let defaultSeed: UInt32 = 143_202_461
}

/// libstdc++'s `std::normal_distribution<double>`: Marsaglia's polar method, which makes two
/// values and keeps the second for the next call (so the object, not only the engine, has state).
public struct LibstdcxxNormal: Sendable {
    private var saved: Double?

    public init() {}

    public mutating func next(_ engine: inout MT19937_64) -> Double {
        if let s = saved { saved = nil; return s }
        var x = 0.0, y = 0.0, r2 = 0.0
        repeat {
            x = 2.0 * engine.canonical() - 1.0
            y = 2.0 * engine.canonical() - 1.0
            r2 = x * x + y * y
        } while r2 > 1.0 || r2 == 0.0
        let mult = (-2 * Foundation.log(r2) / r2).squareRoot()
        saved = x * mult
        return y * mult
    }
}

/// libstdc++'s `std::poisson_distribution<unsigned long>`: products of uniforms below a mean of
/// 12, Devroye's rejection method (with libstdc++'s own constants) from 12 on. Its normal
/// deviates come from a `LibstdcxxNormal` the distribution owns; a new mean (NEST's `param()`)
/// keeps that state.
public struct LibstdcxxPoisson: Sendable {
    public private(set) var mean: Double = 1
    private var normal = LibstdcxxNormal()
    // The parameter object's precomputed values (param_type::_M_initialize).
    private var lmThr = 0.0, lfm = 0.0, sm = 0.0, d = 0.0, scx = 0.0, oneOverCx = 0.0, c2b = 0.0, cb = 0.0

    public init(mean: Double = 1) { setMean(mean) }

    public mutating func setMean(_ mean: Double) {
        self.mean = mean
        guard mean >= 12 else { lmThr = Foundation.exp(-mean); return }
        let m = mean.rounded(.down)
        lmThr = Foundation.log(mean)
        lfm = Foundation.lgamma(m + 1)
        sm = m.squareRoot()
        let pi4 = 0.7853981633974483096156608458198757
        let dx = (2 * m * Foundation.log(32 * m / pi4)).squareRoot()
        d = Foundation.round(Swift.max(6.0, Swift.min(m, dx)))
        let cx = 2 * m + d
        scx = (cx / 2).squareRoot()
        oneOverCx = 1 / cx
        c2b = (pi4 * cx).squareRoot() * Foundation.exp(oneOverCx)
        cb = 2 * cx * Foundation.exp(-d * oneOverCx * (1 + d / 2)) / d
    }

    public mutating func next(_ engine: inout MT19937_64) -> Int {
        guard mean >= 12 else {
            var x = 0
            var prod = 1.0
            repeat {
                prod *= engine.canonical()
                x += 1
            } while prod > lmThr
            return x - 1
        }
        let naf = (1 - Double.ulpOfOne) / 2
        let thr = 18_446_744_073_709_551_615.0 + naf
        let m = mean.rounded(.down)
        let spi2 = 1.2533141373155002512078826424055226
        let c1 = sm * spi2
        let c2 = c2b + c1
        let c3 = c2 + 1
        let c4 = c3 + 1
        let c178 = 0.0128205128205128205128205128205128
        let e178 = 1.0129030479320018583185514777512983
        let c5 = c4 + e178
        let c = cb + c5
        let twoCx = 2 * (2 * m + d)
        var x = 0.0
        while true {
            let u = c * engine.canonical()
            let e = -Foundation.log(1.0 - engine.canonical())
            var w = 0.0
            if u <= c1 {
                let n = normal.next(&engine)
                let y = -Swift.abs(n) * sm - 1
                x = y.rounded(.down)
                w = -n * n / 2
                if x < -m { continue }
            } else if u <= c2 {
                let n = normal.next(&engine)
                let y = 1 + Swift.abs(n) * scx
                x = y.rounded(.up)
                w = y * (2 - y) * oneOverCx
                if x > d { continue }
            } else if u <= c3 {
                x = -1
            } else if u <= c4 {
                x = 0
            } else if u <= c5 {
                x = 1
                w = c178
            } else {
                let v = -Foundation.log(1.0 - engine.canonical())
                let y = d + v * twoCx / d
                x = y.rounded(.up)
                w = -d * oneOverCx * (1 + y / 2)
            }
            let reject = w - e - x * lmThr > lfm - Foundation.lgamma(x + m + 1) || x + m >= thr
            if !reject { break }
        }
        return Int(x + m + naf)
    }
}

/// libstdc++'s `std::binomial_distribution<unsigned long>` as NEST draws it (a new parameter
/// object per call, `dist(rng, param_type(t, p))`): Devroye's rejection method (Non-Uniform
/// Random Variate Generation, ch. X.4, with libstdc++'s constants) when t·min(p, 1-p) >= 8 and
/// the waiting-time method otherwise, both counting the successes of min(p, 1-p). Its normal
/// deviates come from a `LibstdcxxNormal` the distribution owns, whose saved value outlives calls.
public struct LibstdcxxBinomial: Sendable {
    private var normal = LibstdcxxNormal()

    public init() {}

    /// Successes in `t` trials of probability `p` (0 <= p <= 1).
    public mutating func next(_ engine: inout MT19937_64, trials t: UInt64, probability p: Double) -> UInt64 {
        let p12 = p <= 0.5 ? p : 1.0 - p
        let td = Double(t)
        var ret: UInt64
        if td * p12 >= 8 {
            // param_type::_M_initialize
            let np = (td * p12).rounded(.down)
            let pa = np / td
            let onep = 1 - pa
            let pi4 = 0.7853981633974483096156608458198757
            let d1x = (np * onep * Foundation.log(32 * np / (81 * pi4 * onep))).squareRoot()
            let d1 = Foundation.round(Swift.max(1.0, d1x))
            let d2x = (np * onep * Foundation.log(32 * td * onep / (pi4 * pa))).squareRoot()
            let d2 = Foundation.round(Swift.max(1.0, d2x))
            let spi2 = 1.2533141373155002512078826424055226
            let s1 = (np * onep).squareRoot() * (1 + d1 / (4 * np))
            let s2 = (np * onep).squareRoot() * (1 + d2 / (4 * td * onep))
            let c = 2 * d1 / np
            let a1 = Foundation.exp(c) * s1 * spi2
            let a12 = a1 + s2 * spi2
            let s1s = s1 * s1
            let a123 = a12 + (Foundation.exp(d1 / (td * onep)) * 2 * s1s / d1 * Foundation.exp(-d1 * d1 / (2 * s1s)))
            let s2s = s2 * s2
            let s = a123 + 2 * s2s / d2 * Foundation.exp(-d2 * d2 / (2 * s2s))
            let lf = Foundation.lgamma(np + 1) + Foundation.lgamma(td - np + 1)
            let lp1p = Foundation.log(pa / onep)
            let q = -Foundation.log(1 - (p12 - pa) / onep)
            // operator()
            let naf = (1 - Double.ulpOfOne) / 2
            let thr = 18_446_744_073_709_551_615.0 + naf
            var x = 0.0
            var reject = true
            repeat {
                let u = s * engine.canonical()
                var v = 0.0
                if u <= a1 {
                    let n = normal.next(&engine)
                    let y = s1 * Swift.abs(n)
                    reject = y >= d1
                    if !reject {
                        let e = -Foundation.log(1.0 - engine.canonical())
                        x = y.rounded(.down)
                        v = -e - n * n / 2 + c
                    }
                } else if u <= a12 {
                    let n = normal.next(&engine)
                    let y = s2 * Swift.abs(n)
                    reject = y >= d2
                    if !reject {
                        let e = -Foundation.log(1.0 - engine.canonical())
                        x = (-y).rounded(.down)
                        v = -e - n * n / 2
                    }
                } else if u <= a123 {
                    let e1 = -Foundation.log(1.0 - engine.canonical())
                    let e2 = -Foundation.log(1.0 - engine.canonical())
                    let y = d1 + 2 * s1s * e1 / d1
                    x = y.rounded(.down)
                    v = -e2 + d1 * (1 / (td - np) - y / (2 * s1s))
                    reject = false
                } else {
                    let e1 = -Foundation.log(1.0 - engine.canonical())
                    let e2 = -Foundation.log(1.0 - engine.canonical())
                    let y = d2 + 2 * s2s * e1 / d2
                    x = (-y).rounded(.down)
                    v = -e2 - d2 * y / (2 * s2s)
                    reject = false
                }
                reject = reject || x < -np || x > td - np
                if !reject {
                    let lfx = Foundation.lgamma(np + x + 1) + Foundation.lgamma(td - (np + x) + 1)
                    reject = v > lf - lfx + x * lp1p
                }
                reject = reject || x + np >= thr
            } while reject
            x += np + naf
            let xi = UInt64(x)
            ret = xi + Self.waiting(&engine, t - xi, q)
        } else {
            ret = Self.waiting(&engine, t, -Foundation.log(1 - p12))
        }
        return p12 != p ? t - ret : ret
    }

    /// libstdc++'s `_M_waiting`: sums of exponential waiting times, E/(t - x), until past `q`.
    private static func waiting(_ engine: inout MT19937_64, _ t: UInt64, _ q: Double) -> UInt64 {
        var x: UInt64 = 0
        var sum = 0.0
        repeat {
            if t == x { return x }
            let e = -Foundation.log(1.0 - engine.canonical())
            sum += e / Double(t - x)
            x += 1
        } while sum <= q
        return x - 1
    }
}
