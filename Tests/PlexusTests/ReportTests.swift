import Foundation
import XCTest
@testable import Plexus

/// The run report: statistics of known spike trains, the same report from memory and from the
/// run folder's files, a self-contained page, and bounded size for big networks.
final class ReportTests: XCTestCase {
    /// n neurons firing regularly at `rate` Hz, neuron i shifted by i·shift ms.
    func regular(n: Int, rate: Double, duration: Double, firstGid: Int = 1, shift: Double = 0) -> PointReportData.Spikes {
        var gids: [Int] = [], times: [Double] = []
        let period = 1000 / rate
        var rows: [(Double, Int)] = []
        for i in 0..<n {
            var t = period + Double(i) * shift
            while t <= duration { rows.append((t, firstGid + i)); t += period }
        }
        rows.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        for (t, g) in rows { gids.append(g); times.append(t) }
        return PointReportData.Spikes(population: "R", firstGid: firstGid, size: n, gids: gids, times: times)
    }

    func testStatisticsOfKnownTrains() {
        let data = PointReportData(durationMs: 1000, resolutionMs: 0.1, spikes: [regular(n: 20, rate: 50, duration: 1000)], traces: [])
        let s = PointReport.statistics(data)[0]
        XCTAssertEqual(PointReport.transient(data), 100)
        XCTAssertEqual(s.meanRate, 50, accuracy: 1e-9, "45 spikes in (100, 1000] ms per neuron")
        XCTAssertEqual(s.meanCV, 0, accuracy: 1e-9, "regular firing")
        XCTAssertEqual(s.neuronsWithCV, 20)
        XCTAssertEqual(s.meanFano, 0, accuracy: 1e-9, "5 spikes in every 100 ms window")
        // A population rate modulated at 40 Hz: the spectrum peaks there (a regular train would
        // put equal peaks at every harmonic).
        var gids: [Int] = [], times: [Double] = []
        for step in 1...1000 {
            let k = Int((10 * (1 + sin(2 * Double.pi * 40 * Double(step) / 1000))).rounded())
            for j in 0..<k { gids.append(1 + (step * 7 + j) % 20); times.append(Double(step)) }
        }
        let modulated = PointReportData(durationMs: 1000, resolutionMs: 0.1,
                                        spikes: [.init(population: "M", firstGid: 1, size: 20, gids: gids, times: times)], traces: [])
        XCTAssertEqual(PointReport.statistics(modulated)[0].spectralPeak, 40, accuracy: 2)
        // Fano factor of a known count sequence: counts 0, 2, 0, 2 -> mean 1, var 1.
        let t = SpikeTrains(gids: [1, 1, 1, 1], times: [110, 120, 310, 320], firstGid: 1, count: 1)
        XCTAssertEqual(t.fanoFactors(window: 100, from: 0, to: 400), [1])
        XCTAssertEqual(t.intervals(from: 0), [10, 190, 10])
        XCTAssertEqual(t.rates(from: 0, to: 400), [10])
    }

    func testSpikeTrainsMatchDictionaryCV() {
        // The CSR statistics give the old dictionary-based meanCV's numbers.
        var rng = SystemRandomNumberGenerator()
        var gids: [Int] = [], times: [Double] = []
        for _ in 0..<3000 { gids.append(Int.random(in: 5...60, using: &rng)); times.append(Double.random(in: 0...1000, using: &rng)) }
        var trains: [Int: [Double]] = [:]
        for (g, t) in zip(gids, times) where t >= 100 { trains[g, default: []].append(t) }
        var cvs: [Double] = []
        for g in trains.keys.sorted() {
            let ts = trains[g]!.sorted()
            guard ts.count >= 3 else { continue }
            let isi = zip(ts.dropFirst(), ts).map { $0 - $1 }
            let m = isi.reduce(0, +) / Double(isi.count)
            let v = isi.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(isi.count)
            cvs.append(v.squareRoot() / m)
        }
        XCTAssertEqual(SpikeAnalysis.meanCV(gids: gids, times: times, from: 100), cvs.reduce(0, +) / Double(cvs.count), accuracy: 1e-12)
    }

    /// FFTW gives the hand-written DFT's numbers, and the PSD integrates to the variance.
    func testSpectrumThroughFFTW() {
        let n = 500
        let x = (0..<n).map { j in sin(2 * Double.pi * 80 * Double(j) / 1000) + 0.3 * cos(Double(j * j % 17)) }
        let (f, p) = SpikeAnalysis.powerSpectrum(x, dt: 1)
        XCTAssertEqual(f.count, n / 2 + 1)
        XCTAssertEqual(f[1], 2, accuracy: 1e-12, "1/(n dt) = 2 Hz")
        let mean = x.reduce(0, +) / Double(n)
        for k in [0, 1, 40, 123, 250] {
            var re = 0.0, im = 0.0
            for j in 0..<n {
                re += (x[j] - mean) * cos(-2 * Double.pi * Double(k * j) / Double(n))
                im += (x[j] - mean) * sin(-2 * Double.pi * Double(k * j) / Double(n))
            }
            XCTAssertEqual(p[k], re * re + im * im, accuracy: 1e-8 * max(1, p[k]), "bin \(k)")
        }
        XCTAssertEqual(f[p.indices.max { p[$0] < p[$1] }!], 80)
        let (_, d) = SpikeAnalysis.powerSpectralDensity(x, dt: 1)
        let variance = Statistics.variance(x)
        XCTAssertEqual(d.reduce(0, +) * f[1], variance, accuracy: 1e-9 * variance, "Parseval")
    }

    func testJSONValue() throws {
        let v = try JSONValue(parsing: #"{"a": [1, 2.5, -3e2], "b": {"c": "x\"y\u00e9"}, "d": true, "e": null}"#)
        XCTAssertEqual(v["a"]?.array?.compactMap(\.double), [1, 2.5, -300])
        XCTAssertEqual(v[path: "b.c"]?.string, "x\"yé")
        XCTAssertEqual(v["d"], .bool(true))
        XCTAssertEqual(v["e"], .null)
        XCTAssertThrowsError(try JSONValue(parsing: "{\"a\": }"))
    }

    /// A small network run in memory, written as a run folder, read back: the report's data and
    /// its figures are the same both ways.
    func testReportFromFilesEqualsReportFromMemory() throws {
        let exp = PointExperiment(
            duration: Quantity(300, "ms"),
            populations: [PopulationDescription(name: "E", model: "iaf_psc_delta", size: 40),
                          PopulationDescription(name: "I", model: "iaf_psc_delta", size: 10),
                          PopulationDescription(name: "noise", model: "poisson_generator", params: ["rate": .number(12000, "Hz")])],
            connections: [ConnectionDescription(source: "noise", target: "E", synapse: SynapseDescription(weight: .constant(Quantity(0.2, "mV")))),
                          ConnectionDescription(source: "noise", target: "I", synapse: SynapseDescription(weight: .constant(Quantity(0.2, "mV")))),
                          ConnectionDescription(source: "E", target: "I", rule: .fixedIndegree(5),
                                                synapse: SynapseDescription(model: "stdp_synapse", weight: .constant(Quantity(0.5)), recordWeights: true))],
            recordings: [.spikes(population: "E"), .spikes(population: "I"),
                         .multimeter(population: "E", variables: ["V_m"], interval: Quantity(0.5, "ms"))])
        let net = try PointNetwork(exp)
        let results = try net.run()
        let dir = temporaryFolder("plexus-report").url
        var out = try RunOutput(directory: dir.path)
        try out.writeSpikes(results)
        try out.writeStates(results)
        try out.writeWeights(results)
        var record = RunRecord(engine: .point, experimentFile: "report.yaml", experimentText: "", durationMs: 300, resolutionMs: 0.1,
                               experiment: try JSONValue(foundation: Provenance.resolved(net)))
        record.seed = 1
        record.timings = [.init("read", 0.1), .init("build", 0.2), .init("simulate", 0.3), .init("write", 0.05), .init("total", 0.65)]
        record.populations = Provenance.populations(net)
        record.spikesRecorded = Provenance.spikesRecorded(exp)
        let (provenance, text) = try out.writeRecord(record)

        let memory = PointReportData(
            durationMs: 300, resolutionMs: 0.1,
            spikes: results.spikes.map { r in
                let info = net.population(named: r.population)!
                return .init(population: r.population, firstGid: info.firstNode + 1, size: info.size, gids: r.gids, times: r.times)
            },
            traces: results.states.map { .init(population: $0.population, variables: $0.variables, units: ["mV"], times: $0.times, gids: $0.gids, values: $0.values) },
            weights: .init(times: results.weights.map(\.time), sources: results.weights.map(\.source), targets: results.weights.map(\.target),
                           weights: results.weights.map(\.weight), unit: "mV"))
        let files = try PointReportData.read(directory: dir.path, record: provenance,
                                             unitOf: { _, v in v == "V_m" || v == "weight" ? "mV" : nil })
        XCTAssertGreaterThan(results.weights.count, 10, "the plastic synapses logged their weights")
        XCTAssertEqual(files.weights?.weights, memory.weights?.weights)
        XCTAssertEqual(files.weights?.targets, memory.weights?.targets)
        XCTAssertEqual(files.durationMs, 300)
        XCTAssertEqual(files.spikes.map(\.population), ["E", "I"])
        for (a, b) in zip(memory.spikes, files.spikes) {
            XCTAssertEqual(a.gids, b.gids); XCTAssertEqual(a.times, b.times)
            XCTAssertEqual(a.firstGid, b.firstGid); XCTAssertEqual(a.size, b.size)
        }
        XCTAssertEqual(files.traces.count, 1)
        XCTAssertEqual(files.traces[0].values, memory.traces[0].values)
        XCTAssertEqual(files.traces[0].gids, memory.traces[0].gids)
        XCTAssertGreaterThan(memory.spikes[0].times.count, 100, "the network fired")

        let a = RenderedSections(PointReport.sections(memory)), b = RenderedSections(PointReport.sections(files))
        XCTAssertEqual(a.svgs, b.svgs)
        XCTAssertEqual(a.figures.map(\.id), ["raster", "rates", "isi", "cv", "spectrum", "trace-E-V_m", "weights"])

        let html = RunReport(title: "t", summary: RunReport.commonSummary(provenance), body: a, timings: RunReport.timings(provenance),
                             provenanceText: text, provenance: provenance).html()
        // Self-contained: nothing fetched from anywhere (the SVG namespace is a name, not a load).
        let stripped = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        XCTAssertFalse(stripped.contains("http://") || stripped.contains("https://") || stripped.contains(" src="))
        // Table of figures, numbered figures, timings in phase order, provenance with outputs.
        for (k, f) in a.figures.enumerated() {
            XCTAssertTrue(html.contains("<a href=\"#fig-\(f.id)\">"))
            XCTAssertTrue(html.contains("<h3>Figure \(k + 1). "))
        }
        XCTAssertEqual(RunReport.timings(provenance).map(\.0), ["read", "build", "simulate", "write", "total"])
        XCTAssertTrue(html.contains("multimeter_E.csv") && html.contains("spikes.csv") && html.contains("weights.csv"))
        XCTAssertTrue(html.contains("<section id=\"provenance\">"))
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, a.figures.count)
    }

    /// The structural-plasticity section: calcium per population, elements (z solid, bound
    /// dashed, one colour per element) and synapse counts of the pairs that ever had synapses.
    func testStructuralSection() throws {
        let times = [0.0, 100, 200, 300]
        let st = PointReportData.Structural(
            columns: ["E.Ca", "E.Axon.z", "E.Axon.connected", "syn.E.E", "syn.E.I"],
            times: times, values: [[0, 0.01, 0.02, 0.025], [0, 1.5, 3.2, 4.0], [0, 1, 3, 4], [0, 1, 3, 4], [0, 0, 0, 0]])
        let d = PointReportData(durationMs: 300, resolutionMs: 0.1, spikes: [], traces: [], structural: st)
        let section = try XCTUnwrap(PointReport.sections(d).first { $0.id == "structural" })
        XCTAssertEqual(section.figures.map(\.id), ["structural-calcium", "structural-elements", "structural-synapses"])
        func lines(_ f: Figure) -> [LineMark] { f.panels[0].marks.compactMap { if case .line(let l) = $0 { return l } else { return nil } } }
        let ca = lines(section.figures[0])
        XCTAssertEqual(ca.map(\.label), ["E"])
        XCTAssertEqual(ca[0].ys, st.values[0])
        let elements = lines(section.figures[1])
        XCTAssertEqual(elements.map(\.label), ["E.Axon (z)", "E.Axon (bound)"])
        XCTAssertEqual(elements.map(\.dashed), [false, true])
        XCTAssertEqual(elements[0].color, elements[1].color, "an element's z and bound share a colour")
        let synapses = lines(section.figures[2])
        XCTAssertEqual(synapses.map(\.label), ["syn: E → E"], "the pair without synapses is left out")
        XCTAssertEqual(synapses[0].ys, [0, 1, 3, 4])
        XCTAssertTrue(synapses[0].steps, "counts change at updates: drawn as steps")
        // The rendered calcium axis reaches the largest value.
        let svg = SVGRenderer.render(section.figures[0])
        XCTAssertTrue(svg.contains(">0.025<") || svg.contains(">0.03<"), "y ticks cover the calcium range")
    }

    /// A big network's report stays small: the raster draws a bounded number of spikes.
    func testBigNetworkReportIsBounded() {
        let n = 20_000, duration = 500.0
        var gids: [Int] = [], times: [Double] = []
        var state: UInt64 = 12345
        for step in 1...Int(duration) {
            for _ in 0..<400 {   // 400 spikes per ms: 20 Hz per neuron
                state = state &* 6364136223846793005 &+ 1442695040888963407
                gids.append(1 + Int((state >> 33) % UInt64(n)))
                times.append(Double(step))
            }
        }
        let data = PointReportData(durationMs: duration, resolutionMs: 0.1,
                                   spikes: [.init(population: "E", firstGid: 1, size: n, gids: gids, times: times)], traces: [])
        let limits = PointReport.Limits()
        let fig = PointReport.raster(data, limits: limits)
        guard case .ticks(let ticks) = fig.panels[0].marks[0] else { return XCTFail("raster marks") }
        XCTAssertLessThanOrEqual(ticks.xs.count, limits.rasterSpikes * 11 / 10)
        XCTAssertGreaterThan(ticks.xs.count, 1000)
        let body = RenderedSections(PointReport.sections(data))
        let bytes = body.svgs.reduce(0) { $0 + $1.utf8.count }
        XCTAssertLessThan(bytes, 2_000_000, "figures of 200,000 spikes: \(bytes) bytes")
        let stats = PointReport.statistics(data)[0]
        XCTAssertEqual(stats.meanRate, 20, accuracy: 1e-9, "all spikes counted, not the drawn subset")
    }

    /// A long run's spectrum (bins far finer than the kernel) is smoothed by block averages and
    /// interpolation in linear time; it agrees with the exact kernel sum (a 500 s run's report
    /// spent minutes on 1e10 exponentials).
    func testGaussianSmoothingOfAFineSpectrumMatchesTheExactSum() {
        let n = 5000, df = 0.002, sigma = 1.0
        let f = (0..<n).map { Double($0) * df }
        let p = f.map { 1 + _sin(3 * $0) + 5 * _exp(-0.5 * ($0 - 6) * ($0 - 6)) + ($0 > 4 && $0 < 4.01 ? 50 : 0) }
        let fast = SpikeAnalysis.gaussianSmooth(f, p, sigma: sigma)
        var worst = 0.0
        for i in stride(from: 0, to: n, by: 7) {
            var num = 0.0, den = 0.0
            for j in 0..<n where abs(f[j] - f[i]) <= 8 * sigma {
                let d = (f[i] - f[j]) / sigma, w = _exp(-0.5 * d * d)
                num += w * p[j]; den += w
            }
            worst = max(worst, abs(fast[i] - num / den))
        }
        print("gaussianSmooth, 5000 bins of 0.002 Hz, sigma 1 Hz: max difference to the exact sum \(worst)")
        XCTAssertLessThan(worst, 1e-3)
    }
}
