import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusCable
@testable import PlexusReport
@testable import PlexusIO

/// The cable report: CV voltage snapshots and shapes from the engine, the morphology figure's
/// colours read back from its SVG, and the size of a large network's report.
final class CableReportTests: XCTestCase {
    /// Soma (one CV) and a 200-µm dendrite in 10 CVs along x; hh soma, passive dendrite, a
    /// current step into the soma from 2 ms, a voltage probe at the soma centre every step.
    static func ballAndStick(duration: Double = 20) throws -> CableExperiment {
        var tree = SegmentTree()
        let soma = try tree.append(parent: -1, prox: MPoint(0, 0, 0, 6.3), dist: MPoint(12.6, 0, 0, 6.3), tag: 1)
        _ = try tree.append(parent: soma, prox: MPoint(12.6, 0, 0, 0.5), dist: MPoint(212.6, 0, 0, 0.5), tag: 3)
        var cell = CableCellDescription(tree: tree)
        cell.discretization = CVPolicy([.init(.single, region: .soma), .init(.perBranch(10), region: .dend)])
        cell.paints = [Paint(.soma, MechanismDescription("hh")), Paint(.dend, MechanismDescription("pas", ["g": 0.001, "e": -65]))]
        cell.places = [.iclamp(.somaCenter, delay: 2, duration: 30, amplitude: 0.1)]
        cell.probes = [Probe(.somaCenter, variable: "v", label: "soma")]
        return CableExperiment(resolution: 0.025, duration: duration, cells: [("bas", cell)],
                                       populations: [CablePopulation(name: "c", cell: "bas", size: 1)])
    }

    func testSnapshotOfTheSomaCVEqualsTheSomaProbeAtThatTime() throws {
        let desc = try Self.ballAndStick()
        let times = [0.0, 5.0, 12.5, 20.0]
        let results = try CableNetwork(desc).run(snapshots: SnapshotRequest(times: times, gids: [0]))
        XCTAssertEqual(results.snapshots.map(\.time), times)
        let shape = try desc.cells[0].1.cvShape(gid: 0)
        let probe = results.probes[0]
        for s in results.snapshots {
            XCTAssertEqual(s.voltage.count, shape.cvCount)
            // The soma is one CV whose centre is the probe's location: the probe reads that CV.
            let k = try XCTUnwrap(probe.times.firstIndex { abs($0 - s.time) < 1e-9 })
            XCTAssertEqual(s.voltage[0], probe.values[k], accuracy: 1e-12, "t = \(s.time)")
        }
        // Not all at rest: the current step depolarises the soma and the dendrite follows it.
        let late = results.snapshots[2].voltage
        XCTAssertGreaterThan(late[0], -64)
        XCTAssertNotEqual(late.min()!, late.max()!)
    }

    func testShapePiecesCoverTheMorphologyOnceInEveryCV() throws {
        let shape = try Self.ballAndStick().cells[0].1.cvShape(gid: 0)
        XCTAssertEqual(shape.cvCount, 11)
        XCTAssertEqual(Set(shape.cv), Set(0..<11))
        var length = 0.0
        for k in 0..<shape.count {
            length += ((shape.x1[k] - shape.x0[k]) * (shape.x1[k] - shape.x0[k]) + (shape.y1[k] - shape.y0[k]) * (shape.y1[k] - shape.y0[k])).squareRoot()
        }
        XCTAssertEqual(length, 212.6, accuracy: 1e-9)
        // The soma CV keeps the soma's radius, the dendrite's CVs 20 µm each with theirs.
        XCTAssertEqual(shape.r0[shape.cv.firstIndex(of: 0)!], 6.3)
        for k in 0..<shape.count where shape.cv[k] != 0 {
            XCTAssertEqual(shape.x1[k] - shape.x0[k], 20, accuracy: 1e-9)
            XCTAssertEqual(shape.r0[k], 0.5)
        }
    }

    /// Strokes and coordinates of the morphology figure's pieces: (colour, width, [x0, y0, x1, y1]).
    static func segments(_ svg: String) -> [(color: String, width: Double, lines: [[Double]])] {
        var out: [(String, Double, [[Double]])] = []
        for part in svg.components(separatedBy: "<path class=\"segment\" ").dropFirst() {
            let color = String(part.dropFirst("stroke=\"".count).prefix(7))
            let width = Double(part.components(separatedBy: "stroke-width=\"")[1].prefix { $0 != "\"" })!
            let d = part.components(separatedBy: " d=\"")[1].prefix { $0 != "\"" }
            let lines = d.split(separator: "M").map { piece in
                piece.split(whereSeparator: { $0 == "L" || $0 == " " }).map { Double($0)! }
            }
            out.append((color, width, lines))
        }
        return out
    }

    func testMorphologyColoursAreTheCVVoltagesOnTheColourBar() throws {
        // Three pieces in CVs 0, 1, 2 along x at -70, -40 and -10 mV.
        let shape = CableReportData.Shape(gid: 0, cv: [0, 1, 2], x0: [0, 100, 200], y0: [0, 0, 0], z0: [0, 0, 0],
                                          x1: [100, 200, 300], y1: [0, 0, 0], z1: [0, 0, 0], r0: [1, 1, 1], r1: [1, 1, 1])
        let data = CableReportData(durationMs: 10, resolutionMs: 0.025, populations: [.init(name: "c", firstGid: 0, size: 1)],
                                   spikesRecorded: false, shapes: [shape],
                                   snapshots: [.init(time: 5, gid: 0, voltage: [-70, -40, -10])])
        let sections = CableReport.sections(data)
        let figure = try XCTUnwrap(sections.flatMap(\.figures).first { $0.id == "morphology-0" })
        let svg = SVGRenderer.render(figure)
        let drawn = Self.segments(svg)
        XCTAssertEqual(drawn.count, 3, "one path per colour")
        // Left to right the pieces take the map's bottom, middle and top colours.
        let byX = drawn.sorted { $0.lines[0][0] < $1.lines[0][0] }
        let map = ColorMap.viridis
        XCTAssertEqual(byX.map(\.color), [map.color(0).hex, map.color(32.0 / 63).hex, map.color(1).hex])
        // Equal scales: 100 µm is as long on screen for each piece.
        let lengths = byX.map { $0.lines[0][2] - $0.lines[0][0] }
        XCTAssertEqual(lengths[0], lengths[1], accuracy: 0.2)
        XCTAssertEqual(lengths[1], lengths[2], accuracy: 0.2)
        // The colour bar spans -70 ... -10 mV: each tick label sits where that voltage lies on the bar.
        let bar = svg.components(separatedBy: "<g class=\"colorbar\">")[1]
        let rect = bar.components(separatedBy: "<rect ")[1]
        func attribute(_ text: String, _ name: String) -> Double { Double(text.components(separatedBy: "\(name)=\"")[1].prefix { $0 != "\"" })! }
        let top = attribute(rect, "y"), height = attribute(rect, "height")
        let ticks = bar.components(separatedBy: "<text class=\"tick-c\"").dropFirst().map { part in
            (value: Double(part.components(separatedBy: ">")[1].prefix { $0 != "<" })!, y: attribute(part, "y") - 4)
        }
        XCTAssertGreaterThanOrEqual(ticks.count, 3)
        for t in ticks {
            XCTAssertTrue((-70 ... -10).contains(t.value), "\(t.value)")
            XCTAssertEqual(-70 + 60 * (top + height - t.y) / height, t.value, accuracy: 60 * 0.1 / height + 1e-9)
        }
        XCTAssertTrue(svg.contains(">t = 5 ms</text>"))
        XCTAssertTrue(figure.caption.contains("from -70.00 to -10.00 mV"), figure.caption)
    }

    func testProbeVariablesFromLabels() {
        let probes: [(label: String?, variable: String)] = [("soma", "v"), ("gate", "hh.m"), (nil, "expsyn.g")]
        XCTAssertEqual(CableReportData.variable(ofProbe: "soma", probes: probes), "v")
        XCTAssertEqual(CableReportData.variable(ofProbe: "gate[3]", probes: probes), "hh.m")
        XCTAssertEqual(CableReportData.variable(ofProbe: "expsyn.g@(location 1 0.5)", probes: probes), "expsyn.g")
        XCTAssertEqual(CableReportData.unit(of: "v"), "mV")
        XCTAssertEqual(CableReportData.unit(of: "hh.m"), "")
    }

    /// A 1000-cell network with 50 spikes per cell and 1000 voltage probes of 4000 samples: the
    /// report keeps a few MB and builds in seconds.
    func testLargeNetworkReportStaysSmall() throws {
        let cells = 1000, samples = 4000
        var rng = SystemRandomNumberGenerator()
        var gids: [Int] = [], times: [Double] = []
        for t in stride(from: 0.0, to: 1000, by: 0.02) { gids.append(Int.random(in: 0..<cells, using: &rng)); times.append(t) }
        let sampleTimes = (0..<samples).map { Double($0) * 0.25 }
        let probes = (0..<cells).map { g in
            CableReportData.Probe(gid: g, label: "soma", variable: "v", unit: "mV", times: sampleTimes,
                                  values: sampleTimes.map { -65 + 10 * sin($0 / 10 + Double(g)) })
        }
        // A branching cell of 2000 pieces.
        var x0: [Double] = [], y0: [Double] = [], x1: [Double] = [], y1: [Double] = []
        for k in 0..<2000 {
            let a = Double(k % 40) * 0.157, r = Double(k / 40) * 5
            x0.append(r * cos(a)); y0.append(r * sin(a)); x1.append((r + 5) * cos(a)); y1.append((r + 5) * sin(a))
        }
        let shape = CableReportData.Shape(gid: 0, cv: Array(0..<2000), x0: x0, y0: y0, z0: x0.map { _ in 0 }, x1: x1, y1: y1,
                                          z1: x0.map { _ in 0 }, r0: x0.map { _ in 0.5 }, r1: x0.map { _ in 0.5 })
        let snapshots = [100.0, 400, 700, 900].map { t in
            CableReportData.Snapshot(time: t, gid: 0, voltage: (0..<2000).map { -65 + Double($0 % 90) })
        }
        let data = CableReportData(durationMs: 1000, resolutionMs: 0.025, populations: [.init(name: "net", firstGid: 0, size: cells)],
                                   spikeGids: gids, spikeTimes: times, probes: probes, shapes: [shape], snapshots: snapshots)
        let t0 = Date()
        let body = RenderedSections(CableReport.sections(data))
        let seconds = Date().timeIntervalSince(t0)
        let bytes = body.svgs.reduce(0) { $0 + $1.utf8.count }
        XCTAssertEqual(body.figures.map(\.id), ["raster", "probe-v", "morphology-0"])
        XCTAssertLessThan(bytes, 3_000_000, "SVG bytes")
        XCTAssertLessThan(seconds, 20, "report build time (debug build)")
        XCTAssertTrue(body.figures[1].caption.contains("992 more probes of v"), body.figures[1].caption)
        print("1000-cell cable report: \(bytes) bytes of SVG in \(String(format: "%.2f", seconds)) s")
    }
}

/// The optional `report:` section of cable experiment files.
final class CableReportOptionsTests: XCTestCase {
    static let base = """
    engine: cable
    duration: 20 ms
    cells:
      c: {morphology: {generator: busyring, depth: 2}}
    populations:
      p: {cell: c, size: 3}

    """

    func testReportTimesAndCellsAreRead() throws {
        let text = Self.base + "report: {times: [1 ms, 0.0125 s], cells: [0, 2]}\n"
        _ = try CableExperimentFile.decode(text)
        let o = try CableExperimentFile.reportOptions(text)
        XCTAssertEqual(o.times, [1, 12.5])
        XCTAssertEqual(o.cells, [0, 2])
        XCTAssertEqual(try CableExperimentFile.reportOptions(Self.base), CableExperimentFile.ReportOptions())
    }

    func testBadReportSectionsNameTheLine() {
        for (bad, message) in [("report: {times: [30 ms]}", "report times must lie in 0 ... 20"),
                               ("report: {times: [5 mV]}", "time"),
                               ("report: {colours: viridis}", "colours")] {
            XCTAssertThrowsError(try CableExperimentFile.decode(Self.base + bad + "\n", file: "x.yaml")) { e in
                let text = "\(e)"
                XCTAssertTrue(text.contains("x.yaml:7"), text)
                XCTAssertTrue(text.contains(message), text)
            }
        }
    }
}
