import PlexusCore

/// FC of one run, as configured by an experiment's `fc` section.
public struct FCResult: Sendable {
    /// Index of the monitor it was computed from.
    public let monitor: Int
    public let variable: String
    public let samplesUsed: Int
    /// The series it was computed from: samplesUsed x regions, row-major.
    public let series: [Double]
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
        let idx = d.monitor ?? (ms.lastIndex { $0.description.kind.isBOLD } ?? ms.count - 1)
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
        self.series = series
        matrix = Correlation.matrix(series, samples: keep.count, columns: n)
        fcSC = Correlation.fcVsSC(matrix, weights: connectome.weights, n: n)
        if let e = d.empirical {
            guard e.count == n * n else { throw PlexusError("the empirical FC has \(e.count) values; \(n) regions need \(n * n)", keyPath: "fc.compare") }
            fcFC = Correlation.fcVsFC(matrix, e, n: n)
        } else {
            fcFC = nil
        }
    }
}
