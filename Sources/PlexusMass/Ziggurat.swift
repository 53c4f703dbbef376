import PlexusCore

/// Standard normal deviates by the ziggurat method (Marsaglia & Tsang 2000, in Doornik's 2005
/// form with independent bits for the layer and the value): 128 layers; about 99 % of draws take
/// one 64-bit random word, a table look-up and a compare, no transcendental function. The noise of
/// a step costs a few nanoseconds per state variable instead of a logarithm, a square root and a
/// sine or cosine (Box-Muller).
enum Ziggurat {
    static let layers = 128
    static let r = 3.442619855899
    static let v = 9.91256303526217e-3
    /// x[0] = v / f(r) (base strip), x[1] = r, ..., x[128] = 0.
    static let x: [Double] = {
        var x = [Double](repeating: 0, count: layers + 1)
        var f = _exp(-0.5 * r * r)
        x[0] = v / f
        x[1] = r
        for i in 2..<layers {
            x[i] = (-2 * _log(v / x[i - 1] + f)).squareRoot()
            f = _exp(-0.5 * x[i] * x[i])
        }
        x[layers] = 0
        return x
    }()
    /// ratio[i] = x[i+1] / x[i]: |u| below it is inside the rectangle of layer i.
    static let ratio: [Double] = (0..<layers).map { x[$0 + 1] / x[$0] }

    /// One N(0, 1) deviate from the 32-bit word `w` (7 bits choose the layer, the other 25 the
    /// signed position: resolution 2^-24 of the layer width); `more` supplies further randomness
    /// for the rare (about 1.2 %) draws that fall outside the rectangles.
    @inline(__always)
    static func normal(_ w: UInt32, _ more: () -> RandomStream, _ xs: UnsafePointer<Double>, _ rs: UnsafePointer<Double>) -> Double {
        let i = Int(w & 0x7F)
        let u = (Double(Int32(bitPattern: w) >> 7) + 0.5) * 0x1p-24
        if abs(u) < rs[i] { return u * xs[i] }
        var rng = more()
        return slow(i, u, &rng, xs, rs)
    }

    /// `normal` of `count` words at once, into out[0 ..< count]: eight at a time in vectors (the
    /// layer look-ups as loads), the rare draws outside the rectangles then one by one with
    /// `more(j)` for draw j. Each value is the one `normal` makes from its word.
    static func normals(_ words: UnsafePointer<UInt32>, count: Int, into out: UnsafeMutablePointer<Double>,
                        _ xs: UnsafePointer<Double>, _ rs: UnsafePointer<Double>, more: (Int) -> RandomStream) {
        typealias V = SIMD8<Double>
        var j = 0
        while j &+ 8 <= count {
            let w = UnsafeRawPointer(words + j).loadUnaligned(as: SIMD8<UInt32>.self)
            let layer = w & 0x7F
            let u = (V(SIMD8<Int32>(truncatingIfNeeded: w) &>> 7) + 0.5) * 0x1p-24
            var x = V(), r = V()
            for l in 0..<8 { let i = Int(layer[l]); x[l] = xs[i]; r[l] = rs[i] }
            UnsafeMutableRawPointer(out + j).storeBytes(of: u * x, as: V.self)
            let inside = u.replacing(with: -u, where: u .< 0) .< r
            if !VectorMath.allTrue(inside) {
                for l in 0..<8 where !inside[l] {
                    var rng = more(j + l)
                    out[j + l] = slow(Int(layer[l]), u[l], &rng, xs, rs)
                }
            }
            j &+= 8
        }
        while j < count {
            out[j] = normal(words[j], { more(j) }, xs, rs)
            j &+= 1
        }
    }

    static func slow(_ i0: Int, _ u0: Double, _ rng: inout RandomStream, _ xs: UnsafePointer<Double>, _ rs: UnsafePointer<Double>) -> Double {
        var i = i0, u = u0, first = true
        while true {
            if !first {
                let w = rng.nextUInt32()
                i = Int(w & 0x7F)
                u = 2 * rng.nextDouble() - 1
                if abs(u) < rs[i] { return u * xs[i] }
            }
            first = false
            if i == 0 {
                // Tail beyond r (Marsaglia 1964).
                var t = 0.0, y = 0.0
                repeat {
                    t = _log(rng.nextOpenDouble()) / r
                    y = _log(rng.nextOpenDouble())
                } while -2 * y < t * t
                return u < 0 ? t - r : r - t
            }
            let xx = u * xs[i]
            let f0 = _exp(-0.5 * (xs[i] * xs[i] - xx * xx))
            let f1 = _exp(-0.5 * (xs[i + 1] * xs[i + 1] - xx * xx))
            if f1 + rng.nextDouble() * (f0 - f1) < 1.0 { return xx }
        }
    }
}
