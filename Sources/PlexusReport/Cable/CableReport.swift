import Foundation

/// The cable engine's part of a run report: spikes (a table per population and, when there are
/// spikes, the point report's raster), probe traces grouped by variable, and each drawn cell's
/// morphology (x-y projection) coloured by the voltage of its CVs at the report times. Traces
/// keep the minimum and maximum per pixel column; the raster shows a subset of a large network.
public enum CableReport {
    /// Limits of the reduction (defaults suit a 760-pixel-wide figure).
    public struct Limits: Sendable {
        /// Probes drawn per variable (the rest are counted in the caption).
        public var probesPerFigure = 8
        /// Points per drawn trace.
        public var tracePoints = 1600
        /// Morphology copies (report times) drawn per cell.
        public var snapshotsPerCell = 6
        /// Spikes listed one by one below the table.
        public var listedSpikes = 20
        public init() {}
    }

    public static func sections(_ d: CableReportData, limits: Limits = Limits()) -> [ReportSection] {
        var sections: [ReportSection] = []
        if d.spikesRecorded { sections.append(spikeSection(d, limits: limits)) }
        let probeFigures = probes(d, limits: limits)
        if !probeFigures.isEmpty {
            sections.append(ReportSection(id: "probes", title: "Probe traces", figures: probeFigures))
        }
        let cells = d.shapes.compactMap { morphology($0, d, limits: limits) }
        if !cells.isEmpty {
            sections.append(ReportSection(
                id: "morphology", title: "Membrane voltage on the morphology",
                paragraphs: ["Each drawn cell is projected on the x-y plane, cut at the boundaries of the control volumes (CVs) the engine simulates; every piece takes the colour of its CV's membrane voltage at the time written above the copy. Line widths follow the diameter (at least 1.2 and at most 9 pixels). Both axes have the same scale."],
                figures: cells))
        }
        return sections
    }

    /// Spike counts per population, the spikes themselves when there are few, and the raster.
    static func spikeSection(_ d: CableReportData, limits: Limits) -> ReportSection {
        let seconds = d.durationMs / 1000
        var rows: [[String]] = []
        var spikes: [PointReportData.Spikes] = []
        for p in d.populations {
            let idx = d.spikeGids.indices.filter { d.spikeGids[$0] >= p.firstGid && d.spikeGids[$0] < p.firstGid + p.size }
            let times = idx.map { d.spikeTimes[$0] }
            let fired = Set(idx.map { d.spikeGids[$0] }).count
            let rate = seconds > 0 ? Double(times.count) / Double(p.size) / seconds : .nan
            rows.append([p.name, String(p.size), String(times.count), String(fired), Ticks.short(rate),
                         times.min().map { Ticks.short($0, digits: 5) } ?? "–"])
            spikes.append(PointReportData.Spikes(population: p.name, firstGid: p.firstGid, size: p.size,
                                                 gids: idx.map { d.spikeGids[$0] }, times: times))
        }
        var tables = [ReportTable(caption: "Spikes per population over the whole run (\(PointReport.num(d.durationMs)) ms); gids start at 0",
                                  columns: ["population", "cells", "spikes", "cells that fired", "mean rate (Hz)", "first spike (ms)"],
                                  rows: rows)]
        if !d.spikeTimes.isEmpty && d.spikeTimes.count <= limits.listedSpikes {
            let popOf = { (g: Int) in d.populations.first { g >= $0.firstGid && g < $0.firstGid + $0.size }?.name ?? "" }
            tables.append(ReportTable(caption: "Every spike (threshold crossings of the detectors)", columns: ["population", "gid", "t (ms)"],
                                      rows: zip(d.spikeGids, d.spikeTimes).map { [popOf($0), String($0), Ticks.short($1, digits: 6)] }))
        }
        var figures: [Figure] = []
        // A raster of one or two cells says no more than the list of spikes.
        let cells = d.populations.reduce(0) { $0 + $1.size }
        if !d.spikeTimes.isEmpty && (cells > 2 || d.spikeTimes.count > limits.listedSpikes) {
            let data = PointReportData(durationMs: d.durationMs, resolutionMs: d.resolutionMs, spikes: spikes, traces: [])
            figures.append(PointReport.raster(data))
        }
        return ReportSection(id: "activity", title: "Spikes", paragraphs: d.spikeTimes.isEmpty ? ["No detector crossed its threshold during the run."] : [],
                             tables: tables, figures: figures)
    }

    /// One figure per probed variable: up to `probesPerFigure` probes; dashed lines mark the
    /// times the morphology is drawn at (on voltage figures).
    static func probes(_ d: CableReportData, limits: Limits) -> [Figure] {
        var variables: [String] = []
        for p in d.probes where !variables.contains(p.variable) { variables.append(p.variable) }
        let snapshotTimes = Set(d.snapshots.map(\.time)).sorted()
        var figures: [Figure] = []
        for v in variables {
            let all = d.probes.filter { $0.variable == v && !$0.times.isEmpty }
            guard !all.isEmpty else { continue }
            // Round robin over the probe labels (`label[k]` are the locations of one probe), so a
            // probe with many locations does not hide the others.
            var byLabel: [(String, [CableReportData.Probe])] = []
            for p in all {
                let base = p.label.firstIndex(of: "[").map { String(p.label[..<$0]) } ?? p.label
                if let k = byLabel.firstIndex(where: { $0.0 == base }) { byLabel[k].1.append(p) } else { byLabel.append((base, [p])) }
            }
            var drawn: [CableReportData.Probe] = []
            var round = 0
            while drawn.count < min(limits.probesPerFigure, all.count) {
                for (_, list) in byLabel where round < list.count && drawn.count < limits.probesPerFigure { drawn.append(list[round]) }
                round += 1
            }
            let oneCell = Set(all.map(\.gid)).count == 1
            let series = drawn.map { Plots.Series(oneCell ? $0.label : "gid \($0.gid): \($0.label)", xs: $0.times, ys: $0.values) }
            let unit = drawn[0].unit.isEmpty ? nil : drawn[0].unit
            let interval = drawn[0].times.count > 1 ? drawn[0].times[1] - drawn[0].times[0] : d.resolutionMs
            let samples = drawn.map(\.times.count).max() ?? 0
            let reduced = samples > limits.tracePoints ? ", drawn as the minimum and maximum of each of \(limits.tracePoints / 2) time slices" : ""
            let rest = all.count > drawn.count ? "; \(all.count - drawn.count) more probes of \(v) are in the probe files" : ""
            var fig = Plots.lines(
                id: "probe-\(PointReport.slug(v))", title: v == "v" ? "Membrane voltage at the probes" : "\(v) at the probes",
                caption: "\(v) of \(drawn.count) probe\(drawn.count == 1 ? "" : "s")\(oneCell ? " on cell \(all[0].gid)" : ""), sampled every \(PointReport.num(interval)) ms (\(samples) samples\(reduced))\(rest)\(v == "v" && !snapshotTimes.isEmpty ? "; dashed: the times of the morphology figures" : "").",
                x: Axis("time", unit: "ms", range: 0...d.durationMs), y: Axis(v, unit: unit), series: series,
                maxPoints: limits.tracePoints, height: 220)
            if v == "v" { fig.panels[0].marks += snapshotTimes.map { Mark.rule(RuleMark(.vertical, at: $0)) } }
            if series.count == 1 { fig.panels[0].note = drawn[0].label }
            figures.append(fig)
        }
        return figures
    }

    /// The colour range of a cell's snapshots: their finite minimum ... maximum, at least 2 mV wide.
    public static func voltageRange(_ snaps: [CableReportData.Snapshot]) -> ClosedRange<Double> {
        var lo = Double.infinity, hi = -Double.infinity
        for s in snaps { for v in s.voltage where v.isFinite { lo = min(lo, v); hi = max(hi, v) } }
        guard lo <= hi else { return -70...(-60) }
        if hi - lo < 2 { let m = (lo + hi) / 2; return (m - 1)...(m + 1) }
        return lo...hi
    }

    /// A time in ms without trailing zeros ("12.5", "13").
    static func time(_ t: Double) -> String {
        var s = Ticks.fixed(t, decimals: 4)
        if s.contains(".") { while s.hasSuffix("0") { s.removeLast() }; if s.hasSuffix(".") { s.removeLast() } }
        return s
    }

    /// The horizontal and vertical coordinates drawn: (name, start points, end points).
    static func plane(_ s: CableReportData.Shape) -> (h: (name: String, a: [Double], b: [Double]), v: (name: String, a: [Double], b: [Double])) {
        typealias Coordinate = (name: String, a: [Double], b: [Double], span: Double)
        func coordinate(_ name: String, _ a: [Double], _ b: [Double]) -> Coordinate {
            guard a.count == s.cv.count, b.count == s.cv.count, let lo = (a + b).min(), let hi = (a + b).max() else { return (name, a, b, 0) }
            return (name, a, b, hi - lo)
        }
        let axes: [Coordinate] = [coordinate("x", s.x0, s.x1), coordinate("y", s.y0, s.y1), coordinate("z", s.z0, s.z1)]
        let largest = axes.map { $0.span }.max() ?? 0
        if max(axes[0].span, axes[1].span) >= 0.05 * largest {
            return ((axes[0].name, axes[0].a, axes[0].b), (axes[1].name, axes[1].a, axes[1].b))
        }
        let sorted = axes.sorted { $0.span > $1.span }
        let (v, h) = (sorted[0], sorted[1])
        return ((h.name, h.a, h.b), (v.name, v.a, v.b))
    }

    /// The cell's x-y projection once per report time, side by side (a tall cell) or stacked
    /// (a wide one), coloured by CV voltage on one colour bar.
    static func morphology(_ s: CableReportData.Shape, _ d: CableReportData, limits: Limits) -> Figure? {
        var snaps = d.snapshots.filter { $0.gid == s.gid }.sorted { $0.time < $1.time }
        guard !snaps.isEmpty, !s.cv.isEmpty else { return nil }
        if snaps.count > limits.snapshotsPerCell {
            let n = snaps.count, k = limits.snapshotsPerCell
            snaps = (0..<k).map { snaps[$0 * (n - 1) / (k - 1)] }
        }
        let range = voltageRange(snaps)
        // The x-y projection, unless the cell barely extends in x and y (a generated cell laid
        // out along z): then the plane of its two largest extents, the largest one vertical.
        let (h, v) = plane(s)
        let reach = min(s.r0.max() ?? 0, 20)
        let xmin = (h.a + h.b).min()! - reach, xmax = (h.a + h.b).max()! + reach
        let ymin = (v.a + v.b).min()! - reach, ymax = (v.a + v.b).max()! + reach
        let xspan = max(xmax - xmin, 1), yspan = max(ymax - ymin, 1)
        let n = Double(snaps.count)
        let sideBySide = yspan >= 0.6 * xspan
        // Data units per pixel (about 620 pixels of plot width), for gaps and label room.
        let u = (sideBySide ? n * xspan * 1.15 : xspan) / 620
        let label = 22 * u
        var marks: [Mark] = []
        var tx: [Double] = [], ty: [Double] = [], texts: [String] = []
        var lo = (x: Double.infinity, y: Double.infinity), hi = (x: -Double.infinity, y: -Double.infinity)
        for (k, snap) in snaps.enumerated() {
            let dx = sideBySide ? Double(k) * (xspan * 1.1 + 10 * u) : 0
            let dy = sideBySide ? 0 : -Double(k) * (yspan + label + 10 * u)
            let values = s.cv.map { $0 >= 0 && $0 < snap.voltage.count ? snap.voltage[$0] : .nan }
            marks.append(.segments(SegmentMark(x0: h.a.map { $0 + dx }, y0: v.a.map { $0 + dy }, x1: h.b.map { $0 + dx }, y1: v.b.map { $0 + dy },
                                               radii: zip(s.r0, s.r1).map { ($0 + $1) / 2 }, values: values, range: range)))
            tx.append((xmin + xmax) / 2 + dx); ty.append(ymax + dy + label / 2)
            texts.append("t = \(time(snap.time)) ms")
            lo = (min(lo.x, xmin + dx), min(lo.y, ymin + dy)); hi = (max(hi.x, xmax + dx), max(hi.y, ymax + dy + label))
        }
        marks.append(.text(TextMark(xs: tx, ys: ty, texts: texts)))
        // Keep the height (equal scales) within 0.3 ... 1.4 of the width (a flat cell still gets
        // a colour bar tall enough to read).
        var xr = lo.x...hi.x, yr = lo.y...hi.y
        let ratio = (yr.upperBound - yr.lowerBound) / (xr.upperBound - xr.lowerBound)
        if ratio < 0.3 {
            let pad = (0.3 * (xr.upperBound - xr.lowerBound) - (yr.upperBound - yr.lowerBound)) / 2
            yr = (yr.lowerBound - pad)...(yr.upperBound + pad)
        } else if ratio > 1.4 {
            let pad = ((yr.upperBound - yr.lowerBound) / 1.4 - (xr.upperBound - xr.lowerBound)) / 2
            xr = (xr.lowerBound - pad)...(xr.upperBound + pad)
        }
        let x = Axis(h.name, unit: "µm", range: xr, hidden: sideBySide && snaps.count > 1)
        let y = Axis(v.name, unit: "µm", range: yr, hidden: !sideBySide && snaps.count > 1)
        let pop = d.populations.first { s.gid >= $0.firstGid && s.gid < $0.firstGid + $0.size }?.name
        let cvs = Set(s.cv).count
        let pointCVs = max(0, (snaps.map(\.voltage.count).max() ?? 0) - cvs)
        let panel = Panel(x: x, y: y, marks: marks, colorBar: ColorBar("membrane voltage", unit: "mV", colorMap: .viridis, range: range),
                          equalAspect: true)
        return Figure(id: "morphology-\(s.gid)", title: "Voltage on cell \(s.gid)\(pop.map { " (\($0))" } ?? "") at \(snaps.count) time\(snaps.count == 1 ? "" : "s")",
                      caption: "Cell \(s.gid): \(s.cv.count) pieces in \(cvs) CVs\(pointCVs > 0 ? " (its other \(pointCVs) CVs have no length: points at forks)" : ""), \(h.name)-\(v.name) projection\(h.name == "x" && v.name == "y" ? "" : " (the cell hardly extends in x-y; branches laid out along one line overlap)"), \(snaps.count == 1 ? "" : sideBySide ? "copies side by side (the \(h.name) offsets are not positions; the \(v.name) axis gives the size), " : "copies stacked (the \(v.name) offsets are not positions; the \(h.name) axis gives the size), ")coloured by the CV's membrane voltage from \(Ticks.short(range.lowerBound, digits: 4)) to \(Ticks.short(range.upperBound, digits: 4)) mV.",
                      panels: [panel])
    }
}
