import PlexusCore
import Foundation

/// The neural-mass engine's part of a run report: region time series of every monitor (a
/// readable subset of regions, each around its own mean, above the mean of all regions), BOLD
/// signals, the FC matrix and FC against the structural weights; for `plexus sweep`, the sweep's
/// results over its one or two parameters. Traces keep the minimum and maximum per pixel
/// column; matrices larger than 120 regions are drawn as block means.
public enum MassReport {
    public struct Limits: Sendable {
        /// Regions drawn per time-series figure (all when there are at most this many).
        public var regionsShown = 16
        /// Points per drawn region trace.
        public var tracePoints = 800
        /// Points drawn in the FC-SC scatter (r uses all pairs).
        public var scatterPoints = 20_000
        public init() {}
    }

    public static func sections(_ d: MassReportData, limits: Limits = Limits()) -> [ReportSection] {
        var sections: [ReportSection] = []
        let neural = d.monitors.enumerated().filter { !$0.1.isBOLD && !$0.1.isSensors && !$0.1.times.isEmpty }
        if !neural.isEmpty {
            sections.append(ReportSection(id: "timeseries", title: "Region time series",
                                          figures: neural.map { timeSeries($0.1, index: $0.0, d, limits: limits) }))
        }
        let sensors = d.monitors.enumerated().filter { $0.1.isSensors && $0.1.times.count >= 2 }
        if !sensors.isEmpty {
            sections.append(ReportSection(id: "sensors", title: "Sensors (EEG, MEG, iEEG)",
                                          paragraphs: ["The region activity projected onto sensors with TVB's Projection monitors: each sample is the gain (lead field summed over each region's vertices) times the mean state over its window. Channels whose lead field is not finite (EEG's IO1, IO2; MEG's reference coils) are 0, as in TVB."],
                                          figures: sensors.flatMap { [timeSeries($0.1, index: $0.0, d, limits: limits), spectrum($0.1, index: $0.0)] }))
        }
        let bold = d.monitors.enumerated().filter { $0.1.isBOLD && !$0.1.times.isEmpty }
        if !bold.isEmpty {
            sections.append(ReportSection(id: "bold", title: "BOLD",
                                          paragraphs: ["BOLD signals of the haemodynamic monitors (TVB's Bold: the neural signal convolved with a first-order Volterra kernel; Balloon: the balloon-Windkessel model). TVB's Bold stock is zero until it has filled, so the first samples are flat."],
                                          figures: bold.map { timeSeries($0.1, index: $0.0, d, limits: limits) }))
        }
        if let fc = d.fc, fc.matrix.count == d.regions * d.regions, d.regions >= 2 {
            var figures = [fcMatrix(fc, d)]
            var tables: [ReportTable] = []
            if let w = d.weights, w.count == fc.matrix.count {
                let (figure, r, pairs) = fcVsSC(fc, weights: w, d, limits: limits)
                figures.append(figure)
                tables.append(ReportTable(columns: ["FC of", "samples", "region pairs", "FC-SC r"],
                                          rows: [[fcSource(fc, d), String(fc.samples), String(pairs), r.isFinite ? Ticks.fixed(r, decimals: 3) : "–"]]))
            }
            sections.append(ReportSection(
                id: "fc", title: "Functional connectivity",
                paragraphs: ["FC is the Pearson correlation between the time series of every two regions; FC-SC r is the Pearson correlation of FC's upper triangle with that of the symmetrised structural weights (W + Wᵀ)/2, as TVB's scripts compute it."],
                tables: tables, figures: figures))
        }
        return sections
    }

    static func fcSource(_ fc: MassReportData.FC, _ d: MassReportData) -> String {
        let m = fc.monitor >= 0 && fc.monitor < d.monitors.count ? "\(d.monitors[fc.monitor].kind) (monitor \(fc.monitor))" : "monitor \(fc.monitor)"
        return fc.variable.isEmpty ? m : "\(fc.variable) of \(m)"
    }

    /// The regions a time-series figure draws: all, or `count` evenly spaced.
    public static func shownRegions(_ n: Int, count: Int) -> [Int] {
        guard n > count, count >= 2 else { return Array(0..<n) }
        var out: [Int] = []
        for k in 0..<count {
            let i = Int((Double(k) * Double(n - 1) / Double(count - 1)).rounded())
            if out.last != i { out.append(i) }
        }
        return out
    }

    /// The first variable of a monitor: shown regions stacked (each around its own mean, all
    /// on one scale, labelled by region), and below the mean over all regions with its range.
    static func timeSeries(_ m: MassReportData.Monitor, index: Int, _ d: MassReportData, limits: Limits) -> Figure {
        let labels = m.columns ?? d.labels
        let n = labels.count
        let what = m.columns == nil ? "regions" : (m.isSensors ? "channels" : "areas")
        let variable = m.variables.first ?? "state"
        let shown = shownRegions(n, count: limits.regionsShown)
        let times = m.times
        // One scale for all rows: the largest peak-to-peak range fills 0.9 of a row.
        var spread = 0.0
        var means: [Double] = []
        for i in shown {
            let s = m.series[i]
            var lo = Double.infinity, hi = -Double.infinity, sum = 0.0, count = 0.0
            for v in s where v.isFinite { lo = min(lo, v); hi = max(hi, v); sum += v; count += 1 }
            if lo <= hi { spread = max(spread, hi - lo) }
            means.append(count > 0 ? sum / count : 0)
        }
        let scale = spread > 0 ? 0.9 / spread : 1
        var marks: [Mark] = []
        for (row, i) in shown.enumerated() {
            let y0 = Double(shown.count - 1 - row)
            let ys = m.series[i].map { y0 + ($0 - means[row]) * scale }
            let (dx, dy) = Decimate.minMax(xs: times, ys: ys, buckets: limits.tracePoints / 2)
            marks.append(.line(LineMark(xs: dx, ys: dy, color: Color.series(row), width: 1)))
        }
        let categories = shown.reversed().map { labels[$0] }
        let top = Panel(x: Axis("time", unit: "ms", range: (times.first ?? 0)...max(times.last ?? 1, (times.first ?? 0) + 1e-9), hidden: true),
                        y: Axis(m.columns == nil ? "region" : (m.isSensors ? "channel" : "area"), categories: categories), marks: marks,
                        height: max(120, Double(shown.count) * 26))
        // Mean and range over all regions.
        var mean = [Double](repeating: 0, count: times.count), lo = mean, hi = mean
        for k in times.indices {
            var s = 0.0, a = Double.infinity, b = -Double.infinity
            for i in 0..<n { let v = m.series[i][k]; s += v; a = min(a, v); b = max(b, v) }
            mean[k] = s / Double(max(n, 1)); lo[k] = a; hi[k] = b
        }
        let buckets = limits.tracePoints / 2
        let (mx, my) = Decimate.minMax(xs: times, ys: mean, buckets: buckets)
        let (lx, ly) = Decimate.minMax(xs: times, ys: lo, buckets: buckets)
        let (hx, hy) = Decimate.minMax(xs: times, ys: hi, buckets: buckets)
        let bottom = Panel(x: Axis("time", unit: "ms", range: top.x.range!), y: Axis(variable),
                           marks: [.line(LineMark(xs: lx, ys: ly, color: .grey, width: 0.8, label: "min, max")),
                                   .line(LineMark(xs: hx, ys: hy, color: .grey, width: 0.8)),
                                   .line(LineMark(xs: mx, ys: my, color: .black, width: 1.4, label: "mean of \(n)"))],
                           height: 130)
        let which = shown.count == n ? "all \(n) \(what)" : "\(shown.count) of \(n) \(what) (evenly spaced in \(m.columns == nil ? "connectome" : "file") order)"
        let period = m.kind == "raw" ? "every step" : "every \(PointReport.num(m.periodMs)) ms"
        let more = m.variables.count > 1 ? " (\(m.file) also holds \(m.variables.dropFirst().joined(separator: ", ")))" : ""
        let reduced = times.count > limits.tracePoints ? ", drawn as the minimum and maximum of each of \(buckets) time slices" : ""
        return Figure(
            id: "series-\(index)-\(PointReport.slug(m.kind))", title: "\(variable) of the \(monitorName(m.kind)) monitor\(m.kind == "raw" ? "" : " (every \(PointReport.num(m.periodMs)) ms)")",
            caption: "\(variable)\(more) sampled \(period) (\(times.count) samples\(reduced)): \(which), each around its own mean on one scale (the largest peak-to-peak range, \(Ticks.short(spread, digits: 3)), fills 0.9 of a row); below, the mean, minimum and maximum over all \(n) \(what).",
            panels: [top, bottom], sharedX: true)
    }

    /// Power spectral density of the first variable of a sensor monitor, averaged over its
    /// channels (log scale), from the samples after the first 10 % of the run.
    static func spectrum(_ m: MassReportData.Monitor, index: Int) -> Figure {
        let dt = m.times.count >= 2 ? m.times[1] - m.times[0] : 1
        let skip = m.times.count / 10
        let channels = m.columns?.count ?? m.series.count / max(1, m.variables.count)
        var mean: [Double] = [], freqs: [Double] = [], used = 0
        for c in 0..<channels {
            let x = Array(m.series[c].dropFirst(skip))
            guard x.count >= 4, x.contains(where: { $0 != x[0] }) else { continue }
            let (f, p) = SpikeAnalysis.powerSpectralDensity(x, dt: dt)
            if mean.isEmpty { mean = p; freqs = f } else { for k in mean.indices { mean[k] += p[k] } }
            used += 1
        }
        let points = zip(freqs, mean).dropFirst().filter { $0.1 > 0 }
        let xs = points.map(\.0), ys = points.map { _log10($0.1 / Double(max(used, 1))) }
        let variable = m.variables.first ?? "state"
        return Plots.lines(id: "spectrum-\(index)-\(PointReport.slug(m.kind))", title: "Spectrum of the \(monitorName(m.kind)) sensors (\(variable))",
                           caption: "Power spectral density of each of the \(used) non-constant channels (one-sided, units² per Hz, after the first \(skip) samples), averaged over the channels, on a log scale; frequency resolution \(Ticks.short(1000 / (Double(max(1, m.times.count - skip)) * dt), digits: 3)) Hz.",
                           x: Axis("frequency", unit: "Hz"), y: Axis("log10 power density"), series: [.init(nil, xs: xs, ys: ys)])
    }

    static func monitorName(_ kind: String) -> String {
        switch kind {
        case "raw": return "raw"
        case "temporal_average", "tavg": return "temporal-average"
        case "subsample", "sub_sample": return "sub-sample"
        case "bold": return "Bold"
        case "balloon": return "Balloon"
        case "eeg": return "EEG"
        case "meg": return "MEG"
        case "ieeg": return "iEEG"
        case "spatial_average": return "spatial-average"
        case "global_average": return "global-average"
        case "afferent_coupling": return "afferent-coupling"
        case "afferent_coupling_temporal_average": return "afferent-coupling temporal-average"
        default: return kind
        }
    }

    /// The FC matrix on a diverging colour map over -1 ... 1.
    static func fcMatrix(_ fc: MassReportData.FC, _ d: MassReportData) -> Figure {
        let n = d.regions
        let rows = (0..<n).map { i in Array(fc.matrix[(i * n)..<((i + 1) * n)]) }
        let blocks = n > 120 ? " (drawn as means of blocks of \((n + 119) / 120) x \((n + 119) / 120) regions)" : ""
        return Plots.heatmap(
            id: "fc", title: "Functional connectivity (\(n) regions)",
            caption: "Pearson correlation between the \(fcSource(fc, d)) time series of every two regions over \(fc.samples) samples\(blocks); regions in connectome order (\(d.labels.first ?? "") ... \(d.labels.last ?? "")).",
            values: rows, x: Axis("region", integer: true), y: Axis("region", integer: true),
            colorBar: ("correlation", nil), colorMap: .blueRed, range: -1...1)
    }

    /// FC against the symmetrised structural weights over the upper triangle; r over all pairs.
    static func fcVsSC(_ fc: MassReportData.FC, weights w: [Double], _ d: MassReportData, limits: Limits) -> (Figure, Double, Int) {
        let n = d.regions
        let (ys, xs) = Correlation.upperTrianglePairs(fc.matrix, Correlation.symmetrised(w, n: n), n: n)
        let r = Correlation.pearson(xs, ys)
        var fig = Plots.scatter(
            id: "fc-sc", title: "FC against SC (r = \(r.isFinite ? Ticks.fixed(r, decimals: 3) : "–"))",
            caption: "", x: Axis("structural weight (W + Wᵀ)/2"), y: Axis("FC"), xs: xs, ys: ys, width: 560)
        let every = max(1, (xs.count + limits.scatterPoints - 1) / limits.scatterPoints)
        if every > 1, case .points(var p) = fig.panels[0].marks[0] {
            p.xs = stride(from: 0, to: xs.count, by: every).map { xs[$0] }
            p.ys = stride(from: 0, to: ys.count, by: every).map { ys[$0] }
            fig.panels[0].marks[0] = .points(p)
        }
        fig.caption = "One dot per pair of regions i < j\(every > 1 ? " (every \(every)th of \(xs.count) drawn)" : " (\(xs.count))"): FC of \(fcSource(fc, d)) against the symmetrised structural weight, with the least-squares line; r is Pearson's correlation over all \(xs.count) pairs."
        return (fig, r, xs.count)
    }

    // MARK: sweeps

    /// A swept value as written in an experiment file: up to 6 significant digits, no trailing zeros.
    static func value(_ v: Double) -> String {
        var s = Ticks.short(v, digits: 6)
        if s.contains("."), !s.contains("e") { while s.hasSuffix("0") { s.removeLast() }; if s.hasSuffix(".") { s.removeLast() } }
        return s
    }

    public static func sweepSections(_ d: MassSweepData) -> [ReportSection] {
        var figures: [Figure] = []
        let ok = d.status.filter { $0 == "ok" }.count
        var rows: [[String]] = []
        if let k = d.fcSC.indices.filter({ d.fcSC[$0].isFinite }).max(by: { d.fcSC[$0] < d.fcSC[$1] }) {
            rows.append(["best FC-SC r", Ticks.fixed(d.fcSC[k], decimals: 3)] + d.values[k].map(value))
        }
        let table = ReportTable(caption: "\(d.values.count) points, \(ok) ran, \(d.values.count - ok) failed; mean time per point \(Ticks.short(Statistics.mean(d.seconds))) s",
                                columns: ["", "value"] + d.axes.map(\.parameter), rows: rows)
        let quantities: [(id: String, title: String, values: [Double], bar: String, map: ColorMap, range: ClosedRange<Double>?)] =
            [("sweep-fc-sc", "FC-SC correlation", d.fcSC, "FC-SC r", .viridis, nil)]
            + (d.fcFC.map { [("sweep-fc-fc", "FC-FC correlation", $0, "FC-FC r", .viridis, nil)] } ?? [])
            + [("sweep-std", "Standard deviation of \(d.variable)", d.std, "std \(d.variable)", .magma, nil)]
        for q in quantities {
            if d.axes.count == 2 {
                let a = d.axes[0], b = d.axes[1]
                figures.append(Plots.heatmap(
                    id: q.id, title: "\(q.title) over \(a.parameter) and \(b.parameter)",
                    caption: "\(q.title) at each of the \(a.values.count) x \(b.values.count) points (grey: failed or not computed); the axes list the swept values.",
                    values: d.grid(q.values), x: Axis(b.parameter, categories: b.values.map(value)),
                    y: Axis(a.parameter, categories: a.values.map(value)),
                    colorBar: (q.bar, nil), colorMap: q.map, range: q.range, matrix: false, size: 360))
            } else if let a = d.axes.first {
                figures.append(Plots.lines(id: q.id, title: "\(q.title) over \(a.parameter)", caption: "\(q.title) at each swept value of \(a.parameter).",
                                           x: Axis(a.parameter), y: Axis(q.bar), series: [Plots.Series(nil, xs: d.values.map { $0.first ?? .nan }, ys: q.values)]))
                if case .line(let l) = figures[figures.count - 1].panels[0].marks[0] {
                    figures[figures.count - 1].panels[0].marks.append(.points(PointMark(xs: l.xs, ys: l.ys, color: l.color, radius: 3, opacity: 1)))
                }
            }
        }
        return [ReportSection(id: "sweep", title: "Parameter sweep",
                              paragraphs: ["FC-SC r: Pearson correlation of the FC upper triangle with the symmetrised structural weights at each point; std: standard deviation over samples and regions of the first monitor's \(d.variable)."],
                              tables: [table], figures: figures)]
    }
}
