import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusMass
@testable import PlexusReport

/// The neural-mass report: numbers read back from its figures (Pearson r on the FC-SC scatter,
/// FC heatmap cell colours, sweep grids), a run folder read back, and the size of a 700-region
/// report.
final class MassReportTests: XCTestCase {
    /// A symmetric FC-like matrix (1 on the diagonal, one NaN pair) and asymmetric weights
    /// (about a third zero) of n regions, drawn from `seed`.
    static func matrices(_ n: Int, seed: UInt32) -> (fc: [Double], weights: [Double]) {
        var rng = MT19937(seed: seed)
        var fc = [Double](repeating: 1, count: n * n), w = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n where i != j {
                if j > i { let v = 2 * rng.canonicalDouble() - 1; fc[i * n + j] = v; fc[j * n + i] = v }
                let u = rng.canonicalDouble()
                w[i * n + j] = u < 0.33 ? 0 : 3 * u
            }
        }
        fc[0 * n + 1] = .nan; fc[1 * n + 0] = .nan
        return (fc, w)
    }

    static func data(regions n: Int, samples: Int, seed: UInt32 = 7) -> MassReportData {
        let (fc, w) = matrices(n, seed: seed)
        let times = (0..<samples).map { Double($0) }
        let series = (0..<n).map { i in times.map { 0.1 * sin($0 / 20 + Double(i)) + 0.01 * Double(i) } }
        let tavg = MassReportData.Monitor(kind: "temporal_average", file: "tavg.csv", periodMs: 1, variables: ["V"], times: times, series: series)
        let boldTimes = stride(from: 0.0, to: Double(samples), by: 720).map { $0 }
        let bold = MassReportData.Monitor(kind: "bold", file: "bold.csv", periodMs: 720, variables: ["V"], times: boldTimes,
                                          series: (0..<n).map { i in boldTimes.map { cos($0 / 1000 + Double(i)) } })
        return MassReportData(durationMs: Double(samples), model: "Generic2dOscillator", labels: (0..<n).map { "R\($0)" },
                              monitors: [tavg, bold], fc: .init(matrix: fc, monitor: 0, variable: "V", samples: samples), weights: w)
    }

    func figure(_ id: String, _ sections: [ReportSection]) throws -> Figure {
        try XCTUnwrap(sections.flatMap(\.figures).first { $0.id == id }, "figure \(id)")
    }

    func testScatterPrintsThePearsonROfFCAgainstSC() throws {
        let d = Self.data(regions: 30, samples: 200)
        // TVB's way, in the engine: FC upper triangle against (W + Wᵀ)/2, NaN pairs left out.
        let expected = Correlation.fcVsSC(d.fc!.matrix, weights: d.weights!, n: 30)
        XCTAssertTrue(expected.isFinite)
        let sections = MassReport.sections(d)
        let fig = try figure("fc-sc", sections)
        let svg = SVGRenderer.render(fig)
        let note = try XCTUnwrap(svg.components(separatedBy: "class=\"note\"").dropFirst().first)
        let text = note.components(separatedBy: ">")[1].prefix { $0 != "<" }
        XCTAssertTrue(text.hasPrefix("r = "), String(text))
        let printed = try XCTUnwrap(Double(text.dropFirst(4).prefix { $0 != " " }))
        XCTAssertEqual(printed, expected, accuracy: 0.0005)
        XCTAssertTrue(text.hasSuffix("(n = \(30 * 29 / 2 - 1))"), String(text))   // one NaN pair left out
        XCTAssertTrue(fig.title.hasSuffix("(r = \(Ticks.fixed(expected, decimals: 3)))"), fig.title)
        // The table says the same.
        let table = try XCTUnwrap(sections.first { $0.id == "fc" }?.tables.first)
        XCTAssertEqual(table.rows[0].last, Ticks.fixed(expected, decimals: 3))
    }

    func testFCHeatmapCellsHaveTheColoursOfTheirCorrelations() throws {
        let n = 12
        let d = Self.data(regions: n, samples: 100)
        let svg = SVGRenderer.render(try figure("fc", MassReport.sections(d)))
        let fills = svg.components(separatedBy: "<rect class=\"cell\" ").dropFirst().map { part in
            String(part.components(separatedBy: "fill=\"")[1].prefix(7))
        }
        XCTAssertEqual(fills.count, n * n)
        for i in 0..<n {
            for j in 0..<n {
                let v = d.fc!.matrix[i * n + j]
                XCTAssertEqual(fills[i * n + j], ColorMap.blueRed.color(v, lo: -1, hi: 1).hex, "cell \(i), \(j) = \(v)")
            }
        }
        XCTAssertEqual(fills[1], Color.lightGrey.hex, "NaN")
        XCTAssertEqual(fills[0], ColorMap.blueRed.color(1).hex, "the diagonal is 1")
        // Colour bar from -1 to 1.
        let ticks = svg.components(separatedBy: "class=\"tick-c\"").dropFirst().map { Double($0.components(separatedBy: ">")[1].prefix { $0 != "<" })! }
        XCTAssertEqual(ticks.first, -1)
        XCTAssertEqual(ticks.last, 1)
    }

    func testTimeSeriesShowAnEvenSubsetOfRegionsAndBOLDHasItsOwnSection() throws {
        let d = Self.data(regions: 40, samples: 3000)
        let sections = MassReport.sections(d)
        XCTAssertEqual(sections.map(\.id), ["timeseries", "bold", "fc"])
        let fig = try figure("series-0-temporal_average", sections)
        XCTAssertEqual(MassReport.shownRegions(40, count: 16).count, 16)
        XCTAssertEqual(MassReport.shownRegions(40, count: 16).first, 0)
        XCTAssertEqual(MassReport.shownRegions(40, count: 16).last, 39)
        XCTAssertEqual(MassReport.shownRegions(10, count: 16), Array(0..<10))
        // One line per shown region, top to bottom in connectome order, each decimated.
        let shown = MassReport.shownRegions(40, count: 16)
        XCTAssertEqual(fig.panels[0].y.categories, shown.reversed().map { "R\($0)" })
        XCTAssertEqual(fig.panels[0].marks.count, 16)
        for m in fig.panels[0].marks { if case .line(let l) = m { XCTAssertLessThanOrEqual(l.xs.count, 800) } }
        XCTAssertNotNil(try? figure("series-1-bold", sections))
    }

    func testSweepHeatmapPutsEachPointAtItsParameters() throws {
        let a = [0.002, 0.01, 0.03], b = [1.0, 2, 4, 8]
        var values: [[Double]] = [], q: [Double] = []
        for x in a { for y in b { values.append([x, y]); q.append(x * 10 + y / 100) } }
        q[5] = .nan   // a failed point
        let d = MassSweepData(axes: [.init(parameter: "coupling.a", values: a), .init(parameter: "speed", values: b)], values: values,
                              fcSC: q, variable: "V", mean: q.map { _ in 0 }, std: q.map { $0 * 2 }, seconds: q.map { _ in 1 },
                              status: q.map { $0.isNaN ? "blew up" : "ok" })
        let grid = d.grid(d.fcSC)
        for (r, x) in a.enumerated() { for (c, y) in b.enumerated() where !(r == 1 && c == 1) { XCTAssertEqual(grid[r][c], x * 10 + y / 100) } }
        XCTAssertTrue(grid[1][1].isNaN)
        let sections = MassReport.sweepSections(d)
        let fig = try figure("sweep-fc-sc", sections)
        XCTAssertEqual(fig.panels[0].x.categories, ["1", "2", "4", "8"])
        XCTAssertEqual(fig.panels[0].y.categories, ["0.002", "0.01", "0.03"])
        let svg = SVGRenderer.render(fig)
        let fills = svg.components(separatedBy: "<rect class=\"cell\" ").dropFirst().map { String($0.components(separatedBy: "fill=\"")[1].prefix(7)) }
        XCTAssertEqual(fills.count, 12)
        let finite = q.filter(\.isFinite)
        let lo = finite.min()!, hi = finite.max()!
        // Rows are the first parameter from the bottom up: row r of the grid is drawn r-th.
        for r in 0..<3 { for c in 0..<4 {
            let v = grid[r][c]
            XCTAssertEqual(fills[r * 4 + c], v.isNaN ? Color.lightGrey.hex : ColorMap.viridis.color(v, lo: lo, hi: hi).hex)
        } }
        let best = try XCTUnwrap(sections[0].tables.first?.rows.first)
        XCTAssertEqual(best, ["best FC-SC r", Ticks.fixed(q.filter(\.isFinite).max()!, decimals: 3), "0.03", "8"])
        XCTAssertTrue(sections[0].tables[0].caption!.contains("12 points, 11 ran, 1 failed"))
    }

    func testRunFolderReadsBackToTheSameReport() throws {
        let dir = temporaryFolder("plexus-mass").url
        let d = Self.data(regions: 8, samples: 1500)
        func csv(_ m: MassReportData.Monitor) -> String {
            var lines = [(["t_ms"] + d.labels).joined(separator: ",")]
            for k in m.times.indices { lines.append(([m.times[k]] + m.series.map { $0[k] }).map { "\($0)" }.joined(separator: ",")) }
            return lines.joined(separator: "\n") + "\n"
        }
        func matrix(_ v: [Double]) -> String {
            let n = d.regions
            return ([(["region"] + d.labels).joined(separator: ",")] + (0..<n).map { i in
                ([d.labels[i]] + (0..<n).map { v[i * n + $0].isNaN ? "nan" : "\(v[i * n + $0])" }).joined(separator: ",")
            }).joined(separator: "\n") + "\n"
        }
        try csv(d.monitors[0]).write(to: dir.appendingPathComponent("tavg.csv"), atomically: true, encoding: .utf8)
        try csv(d.monitors[1]).write(to: dir.appendingPathComponent("bold.csv"), atomically: true, encoding: .utf8)
        try matrix(d.fc!.matrix).write(to: dir.appendingPathComponent("fc.csv"), atomically: true, encoding: .utf8)
        try matrix(d.weights!).write(to: dir.appendingPathComponent("sc.csv"), atomically: true, encoding: .utf8)
        var provenance = RunRecord(engine: .mass, experimentFile: "mass.yaml", experimentText: "", durationMs: 1500, resolutionMs: 0.1)
        provenance.model = "Generic2dOscillator"
        provenance.monitors = [.init(file: "tavg.csv", type: "temporal_average", periodMs: 1, variables: ["V"]),
                               .init(file: "bold.csv", type: "bold", periodMs: 720, variables: ["V"])]
        provenance.fc = .init(monitor: 0, variable: "V", samples: 1500, fcVsSC: nil, fcVsFC: nil)
        let read = try MassReportData.read(directory: dir.path, record: provenance)
        XCTAssertEqual(read.labels, d.labels)
        XCTAssertEqual(read.monitors, d.monitors)
        XCTAssertEqual(read.weights, d.weights)
        XCTAssertEqual(RenderedSections(MassReport.sections(read)).svgs, RenderedSections(MassReport.sections(d)).svgs)
        // A broken matrix file is named in the error.
        try "region,R0,R1\nR0,1,x\n".write(to: dir.appendingPathComponent("sc.csv"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MassReportData.read(directory: dir.path, record: provenance)) { e in
            XCTAssertTrue("\(e)".contains("sc.csv"), "\(e)")
        }
    }

    /// 700 regions, 20 000 samples: a report of a few MB, built in seconds.
    func testSevenHundredRegionReportStaysSmall() throws {
        let d = Self.data(regions: 700, samples: 20_000)
        let t0 = Date()
        let body = RenderedSections(MassReport.sections(d))
        let seconds = Date().timeIntervalSince(t0)
        let bytes = body.svgs.reduce(0) { $0 + $1.utf8.count }
        XCTAssertEqual(body.figures.map(\.id), ["series-0-temporal_average", "series-1-bold", "fc", "fc-sc"])
        XCTAssertLessThan(bytes, 4_000_000, "SVG bytes")
        XCTAssertLessThan(seconds, 30, "report build time (debug build)")
        XCTAssertTrue(body.figures[2].caption.contains("blocks of 6 x 6 regions"), body.figures[2].caption)
        XCTAssertTrue(body.figures[3].caption.contains("every 13th of 244649 drawn"), body.figures[3].caption)
        print("700-region mass report: \(bytes) bytes of SVG in \(String(format: "%.2f", seconds)) s")
    }
}
