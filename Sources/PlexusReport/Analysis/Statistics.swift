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

/// Correlations: Pearson's r, least-squares lines and functional connectivity matrices.
public enum Correlation {
    /// Pearson's correlation coefficient of the pairs with both values finite (NaN when fewer
    /// than two pairs or a constant side).
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        var sx = 0.0, sy = 0.0, n = 0.0
        for (a, b) in zip(x, y) where a.isFinite && b.isFinite { sx += a; sy += b; n += 1 }
        guard n >= 2 else { return .nan }
        let mx = sx / n, my = sy / n
        var cxy = 0.0, cxx = 0.0, cyy = 0.0
        for (a, b) in zip(x, y) where a.isFinite && b.isFinite {
            cxy += (a - mx) * (b - my); cxx += (a - mx) * (a - mx); cyy += (b - my) * (b - my)
        }
        guard cxx > 0, cyy > 0 else { return .nan }
        return cxy / (cxx * cyy).squareRoot()
    }

    /// Intercept a and slope b of y ≈ a + b·x (least squares over finite pairs).
    public static func leastSquares(_ x: [Double], _ y: [Double]) -> (Double, Double)? {
        var sx = 0.0, sy = 0.0, n = 0.0
        for (a, b) in zip(x, y) where a.isFinite && b.isFinite { sx += a; sy += b; n += 1 }
        guard n >= 2 else { return nil }
        let mx = sx / n, my = sy / n
        var cxy = 0.0, cxx = 0.0
        for (a, b) in zip(x, y) where a.isFinite && b.isFinite { cxy += (a - mx) * (b - my); cxx += (a - mx) * (a - mx) }
        guard cxx > 0 else { return nil }
        let slope = cxy / cxx
        return (my - slope * mx, slope)
    }

    /// Functional connectivity: the matrix of Pearson correlations between the time series
    /// `series[i]` (one per region or neuron), 1 on the diagonal of non-constant series.
    public static func matrix(_ series: [[Double]]) -> [[Double]] {
        let n = series.count
        var fc = Array(repeating: Array(repeating: Double.nan, count: n), count: n)
        for i in 0..<n {
            for j in i..<n {
                let r = i == j ? (Statistics.variance(series[i]) > 0 ? 1 : .nan) : pearson(series[i], series[j])
                fc[i][j] = r; fc[j][i] = r
            }
        }
        return fc
    }

    /// The upper-triangle entries (i < j) of a square matrix, row by row: the pairs a
    /// FC-versus-SC scatter plot compares.
    public static func upperTriangle(_ m: [[Double]]) -> [Double] {
        var out: [Double] = []
        for i in m.indices { for j in (i + 1)..<m.count where j < m[i].count { out.append(m[i][j]) } }
        return out
    }
}
