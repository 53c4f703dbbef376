import PlexusCore
import Foundation

/// Ready-made figures over plain arrays, for every engine's report: histograms, line plots,
/// scatter plots with Pearson's r, heatmaps with a colour bar.
public enum Plots {
    /// One series of a line plot.
    public struct Series: Sendable, Equatable {
        public var label: String?
        public var xs: [Double]
        public var ys: [Double]
        public var color: Color?
        public init(_ label: String?, xs: [Double], ys: [Double], color: Color? = nil) {
            self.label = label; self.xs = xs; self.ys = ys; self.color = color
        }
    }

    /// Line plot of several series; each is reduced to at most `maxPoints` points by keeping the
    /// minimum and maximum of every pixel column (`Decimate.minMax`), so spikes and peaks stay.
    public static func lines(id: String, title: String, caption: String, x: Axis, y: Axis, series: [Series],
                             maxPoints: Int = 1600, height: Double = 220) -> Figure {
        let marks: [Mark] = series.enumerated().map { k, s in
            let (xs, ys) = Decimate.minMax(xs: s.xs, ys: s.ys, buckets: maxPoints / 2)
            return .line(LineMark(xs: xs, ys: ys, color: s.color ?? Color.series(k), width: 1.3, label: series.count > 1 ? s.label : nil))
        }
        return Figure(id: id, title: title, caption: caption, panels: [Panel(x: x, y: y, marks: marks, height: height)])
    }

    /// Histogram(s) of values; `bins` from `Histogram.edges`. Several data sets overlap, translucent.
    public static func histogram(id: String, title: String, caption: String, x: Axis, y: Axis = Axis("count", includeZero: true),
                                 sets: [(label: String?, counts: Histogram)], note: String? = nil,
                                 rules: [RuleMark] = [], height: Double = 200, width: Double = 760) -> Figure {
        // Up to three sets overlap as translucent bars; more are drawn as outlines.
        var marks: [Mark] = sets.enumerated().map { k, s in
            if sets.count > 3 {
                let c = s.counts
                return .line(LineMark(xs: c.edges, ys: c.counts + [c.counts.last ?? 0], color: Color.series(k), width: 1.4, steps: true, label: s.label))
            }
            return .bars(BarMark(edges: s.counts.edges, heights: s.counts.counts, color: Color.series(k), opacity: sets.count > 1 ? 0.55 : 0.8,
                                 label: sets.count > 1 ? s.label : nil))
        }
        marks += rules.map(Mark.rule)
        var yAxis = y
        yAxis.includeZero = true
        // The x axis spans the bins exactly (edges off the grid of nice numbers stay off it).
        var xAxis = x
        let lo = sets.compactMap { $0.counts.edges.first }.min(), hi = sets.compactMap { $0.counts.edges.last }.max()
        if xAxis.range == nil, let lo, let hi, lo < hi { xAxis.range = lo...hi }
        return Figure(id: id, title: title, caption: caption, width: width,
                      panels: [Panel(x: xAxis, y: yAxis, marks: marks, height: height, note: note)])
    }

    /// Scatter plot with the least-squares line and Pearson's r in the corner (FC against SC).
    public static func scatter(id: String, title: String, caption: String, x: Axis, y: Axis, xs: [Double], ys: [Double],
                               fit: Bool = true, height: Double = 320, width: Double = 480) -> Figure {
        var marks: [Mark] = [.points(PointMark(xs: xs, ys: ys, color: Color.series(0), radius: 2.2, opacity: 0.5))]
        let r = Correlation.pearson(xs, ys)
        if fit, let (a, b) = Correlation.leastSquares(xs, ys) {
            let finite = xs.filter(\.isFinite)
            if let lo = finite.min(), let hi = finite.max(), lo < hi {
                marks.append(.line(LineMark(xs: [lo, hi], ys: [a + b * lo, a + b * hi], color: Color.series(3), width: 1.5)))
            }
        }
        let note = "r = \(r.isFinite ? Ticks.fixed(r, decimals: 3) : "–") (n = \(min(xs.count, ys.count)))"
        return Figure(id: id, title: title, caption: caption, width: width,
                      panels: [Panel(x: x, y: y, marks: marks, height: height, note: note)])
    }

    /// A matrix (rows top to bottom) or a grid over two parameters, with a colour bar.
    /// `xValues`/`yValues` give the cell centres on numeric axes (evenly spaced; a sweep's
    /// parameter values); without them the axes count cells, labelled by `xLabels`/`yLabels`.
    public static func heatmap(id: String, title: String, caption: String, values: [[Double]], x: Axis, y: Axis,
                               colorBar: (label: String, unit: String?), colorMap: ColorMap = .viridis,
                               range: ClosedRange<Double>? = nil, xValues: [Double]? = nil, yValues: [Double]? = nil,
                               matrix: Bool = true, size: Double = 420) -> Figure {
        let reduced = Decimate.blockMean(values, maxSide: 120)
        let rows = reduced.count, cols = reduced.first?.count ?? 0
        var mark = HeatmapMark(values: reduced, colorMap: colorMap, range: range)
        var xa = x, ya = y
        if let xv = xValues, xv.count >= 2, cols == values.first?.count {
            mark.dx = (xv[xv.count - 1] - xv[0]) / Double(xv.count - 1)
            mark.x0 = xv[0] - mark.dx / 2
            xa.range = mark.x0...(mark.x0 + Double(cols) * mark.dx)
        } else {
            mark.x0 = -0.5
            mark.dx = Double(values.first?.count ?? 0) / Double(max(cols, 1))
            xa.range = -0.5...(Double(values.first?.count ?? 0) - 0.5)
        }
        if let yv = yValues, yv.count >= 2, rows == values.count {
            mark.dy = (yv[yv.count - 1] - yv[0]) / Double(yv.count - 1)
            mark.y0 = yv[0] - mark.dy / 2
            ya.range = mark.y0...(mark.y0 + Double(rows) * mark.dy)
        } else {
            mark.y0 = -0.5
            mark.dy = Double(values.count) / Double(max(rows, 1))
            ya.range = -0.5...(Double(values.count) - 0.5)
            ya.reversed = matrix
        }
        let bar = ColorBar(colorBar.label, unit: colorBar.unit, colorMap: colorMap, range: mark.colorRange)
        return Figure(id: id, title: title, caption: caption, width: size + 200,
                      panels: [Panel(x: xa, y: ya, marks: [.heatmap(mark)], height: size, colorBar: bar)])
    }
}

/// Counts of values in bins with edges e0 < e1 < ... (bin i holds e_i <= v < e_{i+1}; the last
/// bin also holds v = its upper edge).
public struct Histogram: Sendable, Equatable {
    public var edges: [Double]
    public var counts: [Double]

    public init(edges: [Double], counts: [Double]) { self.edges = edges; self.counts = counts }

    /// Counts `values` (NaN and values outside the edges are left out).
    public init(_ values: [Double], edges: [Double]) {
        self.edges = edges
        counts = Array(repeating: 0, count: max(edges.count - 1, 0))
        guard edges.count >= 2 else { return }
        let lo = edges[0], hi = edges[edges.count - 1]
        let uniform = Histogram.isUniform(edges)
        let w = (hi - lo) / Double(edges.count - 1)
        for v in values where v >= lo && v <= hi {
            var k: Int
            if uniform {
                k = Int(((v - lo) / w).rounded(.down))
                // Correct rounding at the edges.
                if k > 0 && v < edges[k] { k -= 1 }
                if k + 1 < edges.count - 1 && v >= edges[k + 1] { k += 1 }
            } else {
                var a = 0, b = edges.count - 1
                while b - a > 1 { let m = (a + b) / 2; if v >= edges[m] { a = m } else { b = m } }
                k = a
            }
            counts[min(max(k, 0), counts.count - 1)] += 1
        }
    }

    static func isUniform(_ e: [Double]) -> Bool {
        guard e.count > 2 else { return true }
        let w = (e[e.count - 1] - e[0]) / Double(e.count - 1)
        return e.indices.allSatisfy { abs(e[$0] - (e[0] + Double($0) * w)) <= 1e-9 * max(abs(w), 1) }
    }

    /// Edges at nice numbers covering lo...hi with about `bins` bins.
    public static func niceEdges(lo: Double, hi: Double, bins: Int) -> [Double] {
        var a = lo, b = hi
        if !(a < b) { a -= 0.5; b += 0.5 }
        let w = Ticks.niceStep((b - a) / Double(max(bins, 1)))
        let first = (a / w + 1e-9).rounded(.down) * w
        var edges: [Double] = []
        var k = 0.0
        while true {
            let e = first + k * w
            edges.append(abs(e) < w * 1e-9 ? 0 : e)
            if e >= b - 1e-9 * w && edges.count >= 2 { break }
            k += 1
            if edges.count > 10_000 { break }
        }
        // A value exactly at the top edge must not be alone in an extra bin.
        return edges
    }

    /// Edges for values that are multiples of `quantum` (rates of a fixed window, intervals on a
    /// time grid): bins are whole multiples of the quantum, about `bins` over lo...hi, and every
    /// edge lies half a quantum off the grid, so no value sits on an edge and no bin is empty
    /// by aliasing.
    public static func quantizedEdges(lo: Double, hi: Double, bins: Int, quantum q: Double) -> [Double] {
        guard q > 0 else { return niceEdges(lo: lo, hi: hi, bins: bins) }
        let m = max(1, (Ticks.niceStep((hi - lo) / Double(max(bins, 1))) / q).rounded())
        let w = m * q
        let first = ((lo / q).rounded() - 0.5) * q
        var edges = [first]
        while edges.last! < hi && edges.count < 10_001 { edges.append(first + Double(edges.count) * w) }
        if edges.count < 2 { edges.append(first + w) }
        return edges
    }

    /// Nice edges over the values from 0 (when `fromZero`) or their minimum to their
    /// `upperQuantile` quantile.
    public static func auto(_ values: [Double], bins: Int = 40, fromZero: Bool = true, upperQuantile: Double = 1) -> Histogram {
        let finite = values.filter(\.isFinite)
        guard !finite.isEmpty else { return Histogram(edges: [0, 1], counts: [0]) }
        let sorted = finite.sorted()
        let lo = fromZero ? min(0, sorted[0]) : sorted[0]
        let hi = Statistics.quantile(sorted: sorted, upperQuantile)
        return Histogram(finite, edges: niceEdges(lo: lo, hi: max(hi, lo + 1e-12), bins: bins))
    }

    public var total: Double { counts.reduce(0, +) }
}

/// Reducing data to what a plot can show.
public enum Decimate {
    /// Splits the points into `buckets` runs of consecutive samples and keeps the minimum and
    /// maximum of each (in their order): a trace drawn from the result looks the same at one
    /// bucket per pixel. Returns the input when it is small enough.
    public static func minMax(xs: [Double], ys: [Double], buckets: Int) -> ([Double], [Double]) {
        let n = min(xs.count, ys.count)
        guard buckets > 0, n > 2 * buckets else { return (Array(xs.prefix(n)), Array(ys.prefix(n))) }
        var ox: [Double] = [], oy: [Double] = []
        ox.reserveCapacity(2 * buckets); oy.reserveCapacity(2 * buckets)
        for b in 0..<buckets {
            let lo = b * n / buckets, hi = (b + 1) * n / buckets
            guard lo < hi else { continue }
            var iMin = lo, iMax = lo
            for i in lo..<hi {
                if ys[i] < ys[iMin] || ys[iMin].isNaN { iMin = i }
                if ys[i] > ys[iMax] || ys[iMax].isNaN { iMax = i }
            }
            for i in iMin == iMax ? [iMin] : [min(iMin, iMax), max(iMin, iMax)] { ox.append(xs[i]); oy.append(ys[i]) }
        }
        return (ox, oy)
    }

    /// Averages blocks of cells so that neither side exceeds `maxSide` (a large heatmap).
    public static func blockMean(_ m: [[Double]], maxSide: Int) -> [[Double]] {
        let rows = m.count, cols = m.first?.count ?? 0
        guard rows > maxSide || cols > maxSide else { return m }
        let fr = (rows + maxSide - 1) / maxSide, fc = (cols + maxSide - 1) / maxSide
        let nr = (rows + fr - 1) / fr, nc = (cols + fc - 1) / fc
        var out = Array(repeating: Array(repeating: 0.0, count: nc), count: nr)
        for r in 0..<nr {
            for c in 0..<nc {
                var s = 0.0, k = 0.0
                for i in (r * fr)..<min(rows, (r + 1) * fr) {
                    for j in (c * fc)..<min(cols, (c + 1) * fc) where m[i][j].isFinite { s += m[i][j]; k += 1 }
                }
                out[r][c] = k > 0 ? s / k : .nan
            }
        }
        return out
    }
}
