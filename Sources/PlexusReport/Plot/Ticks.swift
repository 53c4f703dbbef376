import Foundation

/// Axis ticks at "nice" numbers (1, 2 or 5 times a power of ten; Heckbert, Graphics Gems 1990)
/// and their labels.
public enum Ticks {
    /// The nice number closest to `x` (> 0) from {1, 2, 5, 10} × 10^k.
    public static func niceStep(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let e = (log10(x)).rounded(.down)
        let p = pow(10, e)
        let f = x / p
        let n: Double = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10
        return n * p
    }

    /// Tick step for about `target` ticks over lo...hi.
    public static func step(lo: Double, hi: Double, target: Int) -> Double {
        niceStep((hi - lo) / Double(max(target, 1)))
    }

    /// The multiples of `step` inside lo...hi (with a tolerance of 1e-9 step at both ends).
    public static func linear(lo: Double, hi: Double, step: Double) -> [Double] {
        guard step > 0, hi >= lo, (hi - lo) / step < 1000 else { return [] }
        let first = (lo / step - 1e-9).rounded(.up)
        let last = (hi / step + 1e-9).rounded(.down)
        guard first <= last else { return [] }
        return stride(from: first, through: last, by: 1).map { k in
            let v = k * step
            return abs(v) < step * 1e-9 ? 0 : v
        }
    }

    /// Decades 10^k inside lo...hi (both > 0); when there are fewer than two, the 1-2-5 steps.
    public static func logarithmic(lo: Double, hi: Double) -> [Double] {
        guard lo > 0, hi >= lo else { return [] }
        let a = log10(lo) - 1e-9, b = log10(hi) + 1e-9
        var decades = Array(stride(from: a.rounded(.up), through: b.rounded(.down), by: 1)).map { pow(10, $0) }
        if decades.count > 8 {
            let every = Int((Double(decades.count) / 6).rounded(.up))
            decades = decades.enumerated().filter { $0.offset % every == 0 }.map(\.element)
        }
        if decades.count >= 2 { return decades }
        var out: [Double] = []
        for e in stride(from: a.rounded(.down), through: b.rounded(.up), by: 1) {
            for m in [1.0, 2, 5] {
                let v = m * pow(10, e)
                if v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) { out.append(v) }
            }
        }
        return out
    }

    /// Labels for ticks with a common step: as many decimals as the step needs, no "-0";
    /// exponent notation ("2e6", "5e-4") only for very large or very small magnitudes.
    public static func labels(_ ticks: [Double], step: Double) -> [String] {
        let big = ticks.map(abs).max() ?? 0
        if big >= 1e6 || (big > 0 && big < 1e-3) { return ticks.map(exponential) }
        let decimals = step > 0 ? max(0, Int((-log10(step) - 1e-9).rounded(.up))) : 0
        return ticks.map { fixed($0, decimals: min(decimals, 6)) }
    }

    /// Labels for logarithmic ticks: "0.01", "1", "100", "1e4".
    public static func logLabels(_ ticks: [Double]) -> [String] {
        ticks.map { v in
            let e = log10(v)
            if e >= 4 || e <= -3 { return exponential(v) }
            let decimals = max(0, Int((-e - 1e-9).rounded(.up)))
            return fixed(v, decimals: decimals)
        }
    }

    /// `v` with exactly `decimals` decimals (no "-0").
    public static func fixed(_ v: Double, decimals: Int) -> String {
        guard v.isFinite else { return "\(v)" }
        let scale = pow(10, Double(decimals))
        var n = (v * scale).rounded()
        if n == 0 { n = 0 }
        let negative = n < 0
        let digits = String(Int64(abs(n)))
        guard decimals > 0 else { return (negative ? "-" : "") + digits }
        let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
        let cut = padded.index(padded.endIndex, offsetBy: -decimals)
        return (negative ? "-" : "") + padded[..<cut] + "." + padded[cut...]
    }

    /// "2e6", "2.5e-4".
    public static func exponential(_ v: Double) -> String {
        guard v != 0, v.isFinite else { return v == 0 ? "0" : "\(v)" }
        let e = Int(log10(abs(v)).rounded(.down))
        var m = v / pow(10, Double(e))
        if abs(m) >= 9.9995 { m /= 10; return exponentialText(m, e + 1) }
        return exponentialText(m, e)
    }

    private static func exponentialText(_ m: Double, _ e: Int) -> String {
        var s = fixed(m, decimals: 3)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return "\(s)e\(e)"
    }

    /// A short human-readable number for tables: 3 significant digits, thousands unseparated.
    public static func short(_ v: Double, digits: Int = 3) -> String {
        guard v.isFinite else { return v.isNaN ? "–" : (v > 0 ? "∞" : "-∞") }
        if v == 0 { return "0" }
        let e = Int(log10(abs(v)).rounded(.down))
        if e >= 7 || e < -4 { return exponential(v) }
        return fixed(v, decimals: max(0, digits - 1 - e))
    }
}
