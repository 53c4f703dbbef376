import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusReport

/// Reads an SVG the way a person reads a plot: tick labels and their positions give the axis
/// mapping; marks are mapped back to data with it.
struct SVGReader {
    let svg: String

    /// (pixel position, value) of every tick label of class `tick-x` / `tick-y`.
    func ticks(_ axis: String) -> [(pixel: Double, value: Double, label: String)] {
        let pattern = axis == "y" ? #"<text class="tick-y" x="[-0-9.]+" y="([-0-9.]+)"[^>]*>([^<]*)</text>"#
                                  : #"<text class="tick-x" x="([-0-9.]+)" y="[-0-9.]+"[^>]*>([^<]*)</text>"#
        let re = try! NSRegularExpression(pattern: pattern)
        return re.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { m in
            let p = Double(svg[Range(m.range(at: 1), in: svg)!])!
            let label = String(svg[Range(m.range(at: 2), in: svg)!])
            // y labels sit 4 px below their tick (baseline offset).
            return (axis == "y" ? p - 4 : p, Double(label) ?? .nan, label)
        }
    }

    /// Linear map from pixels to data from the first panel's ticks (least squares through them).
    func mapping(_ axis: String) -> (Double) -> Double {
        let t = ticks(axis)
        let (a, b) = Correlation.leastSquares(t.map(\.pixel), t.map(\.value))!
        return { a + b * $0 }
    }

    /// x, y, width, height of every `<rect class="bar">`.
    var bars: [(x: Double, y: Double, width: Double, height: Double)] {
        let re = try! NSRegularExpression(pattern: #"<rect class="bar" x="([-0-9.]+)" y="([-0-9.]+)" width="([-0-9.]+)" height="([-0-9.]+)"/>"#)
        return re.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { m in
            let v = (1...4).map { Double(svg[Range(m.range(at: $0), in: svg)!])! }
            return (v[0], v[1], v[2], v[3])
        }
    }

    func count(_ s: String) -> Int { svg.components(separatedBy: s).count - 1 }
}

final class PlotTests: XCTestCase {
    func testNiceNumbers() {
        XCTAssertEqual(Ticks.niceStep(0.13), 0.1)
        XCTAssertEqual(Ticks.niceStep(0.3), 0.2)
        XCTAssertEqual(Ticks.niceStep(37), 50)
        XCTAssertEqual(Ticks.niceStep(7.5), 10)
        XCTAssertEqual(Ticks.niceStep(1200), 1000)
        XCTAssertEqual(Ticks.linear(lo: 0, hi: 1000, step: 200), [0, 200, 400, 600, 800, 1000])
        XCTAssertEqual(Ticks.linear(lo: -0.35, hi: 0.35, step: 0.1).count, 7)
        XCTAssertEqual(Ticks.labels([0, 0.1, 0.2, 0.30000000000000004], step: 0.1), ["0.0", "0.1", "0.2", "0.3"], "one number of decimals per axis")
        XCTAssertEqual(Ticks.labels([-20, 0, 20], step: 20), ["-20", "0", "20"])
        XCTAssertEqual(Ticks.labels([0, 2_000_000], step: 2_000_000), ["0", "2e6"])
        XCTAssertEqual(Ticks.logarithmic(lo: 0.01, hi: 1000), [0.01, 0.1, 1, 10, 100, 1000])
        XCTAssertEqual(Ticks.logLabels([0.01, 0.1, 1, 10, 1e5]), ["0.01", "0.1", "1", "10", "1e5"])
        XCTAssertEqual(Ticks.fixed(-0.0001, decimals: 2), "0.00")
        XCTAssertEqual(Ticks.fixed(1.005, decimals: 1), "1.0")
        XCTAssertEqual(Ticks.short(32.194), "32.2")
        XCTAssertEqual(Ticks.short(0.17123), "0.171")
    }

    /// The plot of a known histogram, read back from its SVG: tick labels are nice numbers with
    /// the right positions, and every bar's height and span give back the counts and edges.
    func testHistogramReadsBackFromSVG() {
        // 1 value in [0,1), 2 in [1,2), ..., 10 in [9,10].
        var values: [Double] = []
        for k in 0..<10 { for j in 0...k { values.append(Double(k) + 0.5 * Double(j) / Double(k + 1)) } }
        let h = Histogram(values, edges: (0...10).map(Double.init))
        XCTAssertEqual(h.counts, (1...10).map(Double.init))
        let fig = Plots.histogram(id: "h", title: "known", caption: "", x: Axis("value", unit: "ms"), y: Axis("count"),
                                  sets: [(label: nil, counts: h)])
        let svg = SVGReader(svg: SVGRenderer.render(fig))
        // Ticks: nice numbers, evenly spaced, covering the data.
        let yt = svg.ticks("y")
        XCTAssertEqual(yt.map(\.label), ["0", "2", "4", "6", "8", "10"])
        let xt = svg.ticks("x")
        XCTAssertEqual(xt.map(\.label), (0...10).map(String.init), "a wider axis gets more ticks")
        for t in [xt, yt] {
            let gaps = zip(t.dropFirst(), t).map { $0.pixel - $1.pixel }
            for g in gaps { XCTAssertEqual(g, gaps[0], accuracy: 0.15) }
        }
        XCTAssertTrue(svg.svg.contains(">value (ms)</text>"), "axis title with unit")
        // Bars: their tops and sides map back to the counts and edges.
        let toY = svg.mapping("y"), toX = svg.mapping("x")
        let bars = svg.bars
        XCTAssertEqual(bars.count, 10)
        for (k, b) in bars.enumerated() {
            XCTAssertEqual(toY(b.y), h.counts[k], accuracy: 0.05, "bar \(k) height")
            XCTAssertEqual(toY(b.y + b.height), 0, accuracy: 0.05, "bar \(k) base")
            XCTAssertEqual(toX(b.x), h.edges[k], accuracy: 0.02, "bar \(k) left edge")
            XCTAssertEqual(toX(b.x + b.width), h.edges[k + 1], accuracy: 0.02, "bar \(k) right edge")
        }
    }

    func testHistogramBinsAndEdges() {
        let h = Histogram([0, 0.5, 1, 1.999, 2, 3], edges: [0, 1, 2, 3])
        XCTAssertEqual(h.counts, [2, 2, 2], "the last bin holds its upper edge")
        let e = Histogram.niceEdges(lo: 0, hi: 11.7, bins: 60)
        XCTAssertEqual(e.first, 0)
        XCTAssertGreaterThanOrEqual(e.last!, 11.7)
        XCTAssertEqual(e[1] - e[0], 0.2, accuracy: 1e-12)
        let auto = Histogram.auto([1, 2, 3, 100], bins: 10, upperQuantile: 1)
        XCTAssertEqual(auto.total, 4)
    }

    func testLineAxesAndLogScale() {
        let f = (1...100).map(Double.init)
        let fig = Plots.lines(id: "l", title: "log", caption: "", x: Axis("f", unit: "Hz"), y: Axis("power", scale: .log),
                              series: [Plots.Series("a", xs: f, ys: f.map { 0.05 * $0 * $0 })])
        let svg = SVGReader(svg: SVGRenderer.render(fig))
        // 0.05 ... 500: decades 0.1 ... 1000 inside a 0.01 ... 1000 axis.
        XCTAssertEqual(svg.ticks("y").map(\.label), ["0.01", "0.1", "1", "10", "100", "1000"])
        let t = svg.ticks("y")
        let gaps = zip(t.dropFirst(), t).map { $0.pixel - $1.pixel }
        for g in gaps { XCTAssertEqual(g, gaps[0], accuracy: 0.15, "decades equally spaced") }
        XCTAssertEqual(svg.count("class=\"line\""), 1)
    }

    func testDecimationKeepsExtremes() {
        let n = 100_000
        let xs = (0..<n).map(Double.init)
        var ys = xs.map { sin($0 / 1000) }
        ys[54_321] = 50   // a spike, one sample wide
        let (dx, dy) = Decimate.minMax(xs: xs, ys: ys, buckets: 500)
        XCTAssertLessThanOrEqual(dx.count, 1000)
        XCTAssertEqual(dy.max(), 50)
        XCTAssertEqual(dy.min()!, ys.min()!, accuracy: 1e-12)
        XCTAssertEqual(dx, dx.sorted(), "time order kept")
        let m = Decimate.blockMean(Array(repeating: Array(repeating: 2.0, count: 300), count: 250), maxSide: 100)
        XCTAssertEqual(m.count, 84)
        XCTAssertEqual(m[0].count, 100)
        XCTAssertEqual(m[10][10], 2)
    }

    func testColorMaps() {
        XCTAssertEqual(ColorMap.viridis.color(0).hex, "#440154")
        XCTAssertEqual(ColorMap.viridis.color(1).hex, "#fde725")
        XCTAssertEqual(ColorMap.viridis.color(0.5).hex, "#21918c")
        XCTAssertEqual(ColorMap.blueRed.color(0, lo: -1, hi: 1).hex, "#f7f7f7")
        XCTAssertEqual(Color(hex: "#1f77b4"), Color(31, 119, 180))
    }

    /// An FC matrix as a heatmap: one cell per entry, coloured by the map, with a colour bar
    /// whose ticks span the range.
    func testHeatmapWithColorBar() {
        let series: [[Double]] = (0..<6).map { (i: Int) -> [Double] in
            (0..<200).map { (t: Int) -> Double in
                let phase = Double(t) / 10 + Double(i % 3)
                return sin(phase) + 0.1 * Double(i) * cos(Double(t))
            }
        }
        let flat = (0..<200).flatMap { t in series.map { $0[t] } }   // samples x regions
        let matrix = Correlation.matrix(flat, samples: 200, columns: 6)
        let fc = (0..<6).map { Array(matrix[($0 * 6)..<($0 * 6 + 6)]) }
        XCTAssertEqual(fc[2][2], 1)
        XCTAssertEqual(fc[0][3], fc[3][0])
        let fig = Plots.heatmap(id: "fc", title: "FC", caption: "", values: fc, x: Axis("region"), y: Axis("region"),
                                colorBar: ("correlation", nil), colorMap: .blueRed, range: -1...1)
        let svg = SVGRenderer.render(fig)
        let r = SVGReader(svg: svg)
        XCTAssertEqual(r.count("class=\"cell\""), 36)
        XCTAssertTrue(svg.contains("class=\"colorbar\""))
        let bar = try! NSRegularExpression(pattern: #"class="tick-c"[^>]*>([^<]*)<"#)
        let labels = bar.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { String(svg[Range($0.range(at: 1), in: svg)!]) }
        XCTAssertEqual(labels, ["-1.0", "-0.5", "0.0", "0.5", "1.0"])
        // The diagonal (r = 1) has the map's top colour.
        XCTAssertTrue(svg.contains("fill=\"\(ColorMap.blueRed.color(1).hex)\""))
        // Rows run top to bottom: row 0 is at the top.
        XCTAssertTrue(r.ticks("y").first!.pixel < r.ticks("y").last!.pixel)
    }

    func testScatterShowsPearsonR() {
        let xs = (0..<50).map(Double.init)
        let fig = Plots.scatter(id: "s", title: "FC vs SC", caption: "", x: Axis("SC"), y: Axis("FC"), xs: xs, ys: xs.map { 2 * $0 + 1 })
        let svg = SVGRenderer.render(fig)
        XCTAssertTrue(svg.contains(">r = 1.000 (n = 50)</text>"))
        XCTAssertEqual(Correlation.pearson([1, 2, 3], [3, 2, 1]), -1, accuracy: 1e-12)
        XCTAssertTrue(Correlation.pearson([1, 1, 1], [1, 2, 3]).isNaN)
        XCTAssertEqual(Correlation.upperTrianglePairs([1, 2, 3, 2, 1, 4, 3, 4, 1], [1, 2, 3, 2, 1, .nan, 3, 4, 1], n: 3).a, [2, 3])
    }

    func testSweepHeatmapOnParameterAxes() {
        let g = [4.0, 5, 6, 7], eta = [1.0, 2, 3]
        let values = eta.map { e in g.map { $0 * e } }
        let fig = Plots.heatmap(id: "sweep", title: "rate", caption: "", values: values, x: Axis("g"), y: Axis("eta"),
                                colorBar: ("rate", "Hz"), xValues: g, yValues: eta, matrix: false)
        let r = SVGReader(svg: SVGRenderer.render(fig))
        XCTAssertEqual(r.count("class=\"cell\""), 12)
        let x = r.ticks("x").map(\.value)
        XCTAssertTrue(x.contains(4) && x.contains(7), "parameter values on the x axis: \(x)")
    }

    func testTextIsEscaped() {
        let fig = Plots.lines(id: "e", title: "a < b & \"c\"", caption: "", x: Axis("x<y"), y: Axis("y"),
                              series: [Plots.Series(nil, xs: [0, 1], ys: [0, 1])])
        let svg = SVGRenderer.render(fig)
        XCTAssertTrue(svg.contains("a &lt; b &amp; &quot;c&quot;"))
        XCTAssertTrue(svg.contains(">x&lt;y</text>"))
        XCTAssertFalse(svg.contains("x<y"))
    }
}
