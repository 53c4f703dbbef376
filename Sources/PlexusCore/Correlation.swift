/// Correlations, once for every engine and the reports: Pearson's r, least-squares lines, and
/// functional connectivity (FC) matrices with their comparison against structure, computed as
/// TVB's scripts and numpy compute them (the FC written to fc.csv and sweep.csv is this one).
public enum Correlation {
    /// Pearson's correlation coefficient of the pairs with both values finite: NaN when fewer
    /// than two pairs remain or one side is constant.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        var xs: [Double] = [], ys: [Double] = []
        xs.reserveCapacity(min(x.count, y.count)); ys.reserveCapacity(min(x.count, y.count))
        for (a, b) in zip(x, y) where a.isFinite && b.isFinite { xs.append(a); ys.append(b) }
        let m = xs.count
        guard m >= 2 else { return .nan }
        var mx = 0.0, my = 0.0
        for k in 0..<m { mx += xs[k]; my += ys[k] }
        mx /= Double(m); my /= Double(m)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for k in 0..<m {
            let dx = xs[k] - mx, dy = ys[k] - my
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return .nan }
        return sxy / (sxx.squareRoot() * syy.squareRoot())
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

    /// FC: the Pearson correlation between the columns of `series` (samples x n, row-major), as
    /// `numpy.corrcoef(series.T)` computes it: `cov_ij / sd_i / sd_j`, clipped to [-1, 1]; NaN
    /// for a constant column. n x n, row-major.
    public static func matrix(_ series: [Double], samples: Int, columns n: Int) -> [Double] {
        precondition(series.count >= samples * n)
        var mean = [Double](repeating: 0, count: n)
        for k in 0..<samples { for i in 0..<n { mean[i] += series[k * n + i] } }
        for i in 0..<n { mean[i] /= Double(samples) }
        var centred = [Double](repeating: 0, count: samples * n)
        for k in 0..<samples { for i in 0..<n { centred[k * n + i] = series[k * n + i] - mean[i] } }
        var cov = [Double](repeating: 0, count: n * n)
        let denom = Double(max(1, samples - 1))
        centred.withUnsafeBufferPointer { x in
            cov.withUnsafeMutableBufferPointer { c in
                for i in 0..<n {
                    for j in i..<n {
                        var s = 0.0
                        for k in 0..<samples { s += x[k * n + i] * x[k * n + j] }
                        c[i * n + j] = s / denom
                        c[j * n + i] = s / denom
                    }
                }
            }
        }
        var sd = [Double](repeating: 0, count: n)
        for i in 0..<n { sd[i] = cov[i * n + i].squareRoot() }
        var fc = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                let v = cov[i * n + j] / sd[i] / sd[j]
                fc[i * n + j] = v.isNaN ? v : min(1, max(-1, v))
            }
        }
        return fc
    }

    /// The upper-triangle entries (i < j) of two n x n row-major matrices, row by row, where
    /// neither is NaN: the pairs an FC-against-SC comparison correlates.
    public static func upperTrianglePairs(_ a: [Double], _ b: [Double], n: Int) -> (a: [Double], b: [Double]) {
        var xs: [Double] = [], ys: [Double] = []
        for i in 0..<n {
            for j in (i + 1)..<n where !a[i * n + j].isNaN && !b[i * n + j].isNaN {
                xs.append(a[i * n + j]); ys.append(b[i * n + j])
            }
        }
        return (xs, ys)
    }

    /// The structural matrix an FC is compared with: (W + Wᵀ)/2.
    public static func symmetrised(_ w: [Double], n: Int) -> [Double] {
        var sym = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { sym[i * n + j] = 0.5 * (w[i * n + j] + w[j * n + i]) } }
        return sym
    }

    /// FC against SC: r of FC's upper triangle with that of the symmetrised weights.
    public static func fcVsSC(_ fc: [Double], weights: [Double], n: Int) -> Double {
        let (f, s) = upperTrianglePairs(fc, symmetrised(weights, n: n), n: n)
        return pearson(f, s)
    }

    /// FC against FC (simulated against empirical): r of the two upper triangles.
    public static func fcVsFC(_ a: [Double], _ b: [Double], n: Int) -> Double {
        let (x, y) = upperTrianglePairs(a, b, n: n)
        return pearson(x, y)
    }
}
