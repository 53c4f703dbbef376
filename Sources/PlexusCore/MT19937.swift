/// The 32-bit Mersenne Twister (Matsumoto & Nishimura), seeded with `init_genrand` as both
/// C++'s `std::mt19937(seed)` and numpy's legacy `RandomState(seed)` do, so Plexus can reproduce
/// draws that the peers' own scripts make (busyring's morphologies, TVB's noise). Sequential by
/// nature: Plexus's own randomness uses the counter-based `RandomStream`.
public struct MT19937: Sendable {
    var state = [UInt32](repeating: 0, count: 624)
    var index = 624

    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1812433253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7fff_ffff)
            var v = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { v ^= 0x9908_b0df }
            state[i] = v
        }
        index = 0
    }

    public mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    // What libstdc++'s distributions make of the raw draws (busyring uses them).

    /// libstdc++ `generate_canonical<double, 53>`: two draws, (a + b·2³²)/2⁶⁴, kept below 1.
    public mutating func canonicalDouble() -> Double {
        let a = Double(next()), b = Double(next())
        let r = (a + b * 4294967296.0) / 18446744073709551616.0
        return r < 1 ? r : 1.0.nextDown
    }

    /// libstdc++ `generate_canonical<float, 24>`: one draw.
    public mutating func canonicalFloat() -> Float {
        let r = Float(next()) / Float(4294967296.0)
        return r < 1 ? r : Float(1).nextDown
    }

    /// libstdc++ (GCC >= 11) `uniform_int_distribution<int>(0, range - 1)`: Lemire's method.
    public mutating func uniformInt(below range: UInt32) -> UInt32 {
        var prod = UInt64(next()) * UInt64(range)
        var low = UInt32(truncatingIfNeeded: prod)
        if low < range {
            let threshold = (0 &- range) % range
            while low < threshold {
                prod = UInt64(next()) * UInt64(range)
                low = UInt32(truncatingIfNeeded: prod)
            }
        }
        return UInt32(prod >> 32)
    }
}

