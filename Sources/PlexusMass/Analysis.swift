import PlexusCore

/// Functional connectivity and its comparison with structure, as TVB's scripts compute them.
public enum FunctionalConnectivity {
    /// Pearson correlation between the columns of `series` (samples x regions, row-major), like
    /// `numpy.corrcoef(series.T)`: `cov_ij / sd_i / sd_j`, clipped to [-1, 1]; NaN for a constant
    /// region.
    public static func pearson(_ series: [Double], samples: Int, regions n: Int) -> [Double] {
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

    /// Pearson correlation of the upper triangles (i < j) of two n x n matrices; pairs where either
    /// is NaN are left out. Returns NaN when fewer than two pairs remain or one side is constant.
    public static func upperTriangleCorrelation(_ a: [Double], _ b: [Double], regions n: Int) -> Double {
        var xs: [Double] = [], ys: [Double] = []
        for i in 0..<n {
            for j in (i + 1)..<n where !a[i * n + j].isNaN && !b[i * n + j].isNaN {
                xs.append(a[i * n + j]); ys.append(b[i * n + j])
            }
        }
        return correlation(xs, ys)
    }

    /// FC-vs-SC: correlation of FC's upper triangle with that of the symmetrised weights (W + W^T)/2.
    public static func fcVsSC(_ fc: [Double], weights: [Double], regions n: Int) -> Double {
        var sym = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { sym[i * n + j] = 0.5 * (weights[i * n + j] + weights[j * n + i]) } }
        return upperTriangleCorrelation(fc, sym, regions: n)
    }

    /// FC-vs-FC: correlation of the upper triangles of two FC matrices (e.g. simulated vs empirical).
    public static func fcVsFC(_ a: [Double], _ b: [Double], regions n: Int) -> Double {
        upperTriangleCorrelation(a, b, regions: n)
    }

    public static func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let m = min(x.count, y.count)
        guard m >= 2 else { return .nan }
        var mx = 0.0, my = 0.0
        for k in 0..<m { mx += x[k]; my += y[k] }
        mx /= Double(m); my /= Double(m)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for k in 0..<m {
            let dx = x[k] - mx, dy = y[k] - my
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy
        }
        return sxy / (sxx.squareRoot() * syy.squareRoot())
    }
}

/// FC of one run, as configured by an experiment's `fc` section.
public struct FCResult: Sendable {
    /// Index of the monitor it was computed from.
    public let monitor: Int
    public let variable: String
    public let samplesUsed: Int
    public let matrix: [Double]
    public let fcSC: Double
    /// Against `fc.empirical`, when given.
    public let fcFC: Double?

    /// Computes FC from `result` according to `d` (nil = defaults: the last bold/balloon monitor,
    /// or the last monitor, all samples).
    public init(_ result: MassResults, connectome: Connectome, description d: FCDescription?) throws {
        let d = d ?? FCDescription()
        let ms = result.monitors
        guard !ms.isEmpty else { throw PlexusError("FC needs a monitor", keyPath: "fc") }
        let idx = d.monitor ?? (ms.lastIndex { $0.description.kind == .bold || $0.description.kind == .balloon } ?? ms.count - 1)
        guard idx >= 0, idx < ms.count else { throw PlexusError("fc.monitor \(idx) is not a monitor index (0..<\(ms.count))", keyPath: "fc.monitor") }
        let m = ms[idx]
        let n = m.regions
        let keep = m.times.indices.filter { m.times[$0] > d.discard }
        guard keep.count >= 2 else {
            throw PlexusError("FC needs at least 2 samples after \(d.discard) ms; monitor \(idx) (\(m.description.kind.rawValue)) has \(keep.count)",
                              keyPath: "fc.discard")
        }
        var series = [Double](repeating: 0, count: keep.count * n)
        for (r, k) in keep.enumerated() { for i in 0..<n { series[r * n + i] = m.value(sample: k, variable: 0, region: i) } }
        monitor = idx
        variable = m.variables[0]
        samplesUsed = keep.count
        matrix = FunctionalConnectivity.pearson(series, samples: keep.count, regions: n)
        fcSC = FunctionalConnectivity.fcVsSC(matrix, weights: connectome.weights, regions: n)
        if let e = d.empirical {
            guard e.count == n * n else { throw PlexusError("the empirical FC has \(e.count) values; \(n) regions need \(n * n)", keyPath: "fc.compare") }
            fcFC = FunctionalConnectivity.fcVsFC(matrix, e, regions: n)
        } else {
            fcFC = nil
        }
    }
}
