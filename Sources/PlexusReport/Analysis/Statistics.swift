/// Plain descriptive statistics (NaN for empty input).
public enum Statistics {
    public static func mean(_ x: [Double]) -> Double {
        x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count)
    }

    /// Population variance (divides by n, as numpy's default).
    public static func variance(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        let m = mean(x)
        return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count)
    }

    /// Linear interpolation between order statistics (numpy's default "linear" method) of
    /// ascending `sorted` at q in [0, 1].
    public static func quantile(sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = (Double(sorted.count) - 1) * min(max(q, 0), 1)
        let i = Int(h.rounded(.down))
        let j = min(i + 1, sorted.count - 1)
        return sorted[i] + (h - Double(i)) * (sorted[j] - sorted[i])
    }

    public static func median(_ x: [Double]) -> Double { quantile(sorted: x.sorted(), 0.5) }
}
