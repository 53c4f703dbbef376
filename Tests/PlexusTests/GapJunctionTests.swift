import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusIO

/// hh_psc_alpha_gap, gap_junction and NEST's waveform relaxation against NEST 3.10 runs
/// (tools/nest_reference/gap_junctions.py regenerates Tests/Fixtures/gap_*), thread-count
/// independence, and the refusals of bad gap-junction input.
final class GapJunctionTests: XCTestCase {
    static var fixtures: URL { Repo.fixtures }

    // The fixtures are read with JSONDecoder: JSONSerialization (swift-corelibs-foundation)
    // misreads some decimals by one ulp (-68.13968332788612 becomes ...613), which moved the
    // network's parameters and, through its chaotic dynamics, V_m by up to 2e-6 mV.
    struct Scenario: Decodable {
        let spikes: [String: [Double]]
        let min_delay_ms: Double
    }
    struct Inputs: Decodable {
        let dc: [String: Double]
        let spikes_ex, spikes_in: [Double]
        let w_ex, w_in: Double
    }
    struct TwoNeuronFixture: Decodable {
        let g_nS: Double
        let I_e: [Double]
        let scenarios: [String: Scenario]
        let inputs: Inputs
        let min_delay_with_comm_interval_2ms: [String: Double]
    }
    struct NetworkFixture: Decodable {
        let neurons: Int
        let duration_ms: Double
        let I_e: [Double]
        let gap_junctions: [[Double]]
        let chemical: [[Double]]
        let min_delay_ms: Double
        let spikes: [[Double]]
        let vm_every_1ms: [[Double]]
    }

    static let twoNeuronFixture: TwoNeuronFixture = try! JSONDecoder().decode(
        TwoNeuronFixture.self, from: Data(contentsOf: fixtures.appendingPathComponent("gap_two_neurons.json")))
    static let networkFixture: NetworkFixture = try! JSONDecoder().decode(
        NetworkFixture.self, from: Data(contentsOf: fixtures.appendingPathComponent("gap_network.json")))

    /// Columns of gap_two_neurons_vm.csv by header name.
    static let traces: [String: [Double]] = {
        let text = try! String(contentsOf: fixtures.appendingPathComponent("gap_two_neurons_vm.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        var cols = [String: [Double]]()
        for l in lines.dropFirst() {
            for (k, v) in l.split(separator: ",").enumerated() { cols[header[k], default: []].append(Double(v)!) }
        }
        return cols
    }()

    // MARK: two neurons

    struct TwoNeurons {
        var v: [[Double]]            // per neuron, V_m every step
        var spikes: [[Double]]       // per neuron
        var iterations: [Int]
        var epoch: Int
    }

    static func twoNeurons(_ w: WaveformRelaxation, coupled: Bool = true, inputs: Bool = false, threads: Int = 1,
                           duration: Double = 100) throws -> TwoNeurons {
        let meta = twoNeuronFixture
        let ie = meta.I_e, g = meta.g_nS
        var pops = [PopulationDescription(name: "a", model: "hh_psc_alpha_gap", params: ["I_e": .number(inputs ? 0 : ie[0], "pA")])]
        var conns: [ConnectionDescription] = []
        if coupled {
            pops.append(PopulationDescription(name: "b", model: "hh_psc_alpha_gap", params: ["I_e": .number(ie[1], "pA")]))
            conns.append(ConnectionDescription(source: "a", target: "b", rule: .oneToOne,
                                               synapse: SynapseDescription(model: "gap_junction", weight: .constant(Quantity(g, "nS"))),
                                               makeSymmetric: true))
        }
        let neurons = pops
        if inputs {
            // as NEST's scenario: dc_generator into a, excitatory and inhibitory spikes into b
            let inp = meta.inputs
            let dc = inp.dc
            let times = { (t: [Double]) in .list(t.map { Quantity($0, "ms") }) as ParameterValue }
            pops += [PopulationDescription(name: "dc", model: "dc_generator", params: dc.mapValues { .number($0) }),
                     PopulationDescription(name: "sg_ex", model: "spike_generator", params: ["spike_times": times(inp.spikes_ex)]),
                     PopulationDescription(name: "sg_in", model: "spike_generator", params: ["spike_times": times(inp.spikes_in)])]
            conns += [ConnectionDescription(source: "dc", target: "a"),
                      ConnectionDescription(source: "sg_ex", target: "b", synapse: SynapseDescription(weight: .constant(Quantity(inp.w_ex)))),
                      ConnectionDescription(source: "sg_in", target: "b", synapse: SynapseDescription(weight: .constant(Quantity(inp.w_in))))]
        }
        let exp = PointExperiment(duration: Quantity(duration, "ms"), populations: pops, connections: conns,
                                  recordings: neurons.flatMap { [.multimeter(population: $0.name, variables: ["V_m"], interval: Quantity(0.1, "ms")),
                                                               .spikes(population: $0.name)] },
                                  waveformRelaxation: w)
        let net = try PointNetwork(exp, threads: threads)
        let r = try net.run()
        return TwoNeurons(v: r.states.map { $0.values[0] }, spikes: r.spikes.map(\.times),
                          iterations: net.waveformRelaxationIterations, epoch: net.minDelay)
    }

    /// Compares a two-neuron run with NEST's scenario `name`; returns the largest |ΔV_m|.
    @discardableResult
    func checkScenario(_ name: String, _ w: WaveformRelaxation, vmTolerance: Double, inputs: Bool = false,
                       file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let sc = Self.twoNeuronFixture.scenarios[name]!
        let nestSpikes = sc.spikes
        let run = try Self.twoNeurons(w, inputs: inputs)
        XCTAssertEqual(Double(run.epoch) * 0.1, sc.min_delay_ms, accuracy: 1e-12,
                       "communication interval (NEST's min_delay)", file: file, line: line)
        var worst = 0.0, worstAt = 0
        for n in 0..<2 {
            let ref = Self.traces["\(name)_n\(n + 1)"]!
            XCTAssertEqual(run.v[n].count, ref.count, file: file, line: line)
            for k in 0..<min(ref.count, run.v[n].count) where abs(run.v[n][k] - ref[k]) > worst {
                worst = abs(run.v[n][k] - ref[k])
                worstAt = k
            }
            let mine = run.spikes[n], theirs = nestSpikes["\(n + 1)"]!
            XCTAssertEqual(mine.count, theirs.count, "neuron \(n + 1) spike count", file: file, line: line)
            for (a, b) in zip(mine, theirs) { XCTAssertEqual(a, b, accuracy: 1e-9, "neuron \(n + 1) spike time", file: file, line: line) }
        }
        let its = run.iterations
        print("GAP \(name): max|ΔV_m| = \(String(format: "%.3g", worst)) mV (at t = \(String(format: "%.1f", Double(worstAt + 1) * 0.1)) ms), spikes \(run.spikes.map(\.count)) (NEST \(nestSpikes["1"]!.count), \(nestSpikes["2"]!.count)), WFR iterations per interval: mean \(its.isEmpty ? 0 : Double(its.reduce(0, +)) / Double(its.count)), max \(its.max() ?? 0), intervals \(its.count)")
        XCTAssertLessThanOrEqual(worst, vmTolerance, "V_m of \(name)", file: file, line: line)
        return worst
    }

    /// The interval NEST derives for wfr_comm_interval 2 ms: 2 ms with only gap junctions, 1 ms
    /// once a recorder or a generator is connected (their default delay).
    func testCommunicationIntervalIsNESTsMinDelay() throws {
        let probe = Self.twoNeuronFixture.min_delay_with_comm_interval_2ms
        func interval(_ extra: String) throws -> Double {
            var pops = [PopulationDescription(name: "a", model: "hh_psc_alpha_gap", size: 2)]
            var conns = [ConnectionDescription(source: "a", target: "a", rule: .allToAll, allowAutapses: false,
                                               synapse: SynapseDescription(model: "gap_junction", weight: .constant(Quantity(5, "nS"))))]
            var rec: [RecordingDescription] = []
            switch extra {
            case "spike_recorder": rec = [.spikes(population: "a")]
            case "multimeter": rec = [.multimeter(population: "a", variables: ["V_m"], interval: nil)]
            case "dc_generator":
                pops.append(PopulationDescription(name: "dc", model: "dc_generator"))
                conns.append(ConnectionDescription(source: "dc", target: "a"))
            default: break
            }
            let exp = PointExperiment(duration: Quantity(5, "ms"), populations: pops, connections: conns, recordings: rec,
                                      waveformRelaxation: WaveformRelaxation(commInterval: Quantity(2, "ms")))
            let net = try PointNetwork(exp)
            _ = try net.run()
            return Double(net.minDelay) * net.grid.h
        }
        for (extra, nest) in probe {
            XCTAssertEqual(try interval(extra), nest, accuracy: 1e-12, extra)
        }
        XCTAssertEqual(probe["none"], 2.0)
    }

    func testUncoupledNeuronMatchesNEST() throws {
        let sc = Self.twoNeuronFixture.scenarios["single"]!
        let run = try Self.twoNeurons(WaveformRelaxation(), coupled: false)
        let ref = Self.traces["single"]!
        XCTAssertEqual(run.v[0].count, ref.count)
        var worst = 0.0
        for (a, b) in zip(run.v[0], ref) { worst = max(worst, abs(a - b)) }
        print("GAP single (uncoupled): max|ΔV_m| = \(String(format: "%.3g", worst)) mV, spikes \(run.spikes[0])")
        XCTAssertLessThanOrEqual(worst, 1e-9)
        XCTAssertTrue(run.iterations.isEmpty, "no junctions: no waveform relaxation")
        let theirs = sc.spikes["1"]!
        XCTAssertEqual(run.spikes[0].count, theirs.count)
        for (a, b) in zip(run.spikes[0], theirs) { XCTAssertEqual(a, b, accuracy: 1e-9) }
    }

    func testTwoNeuronsCubicInterpolationMatchesNEST() throws {
        try checkScenario("o3", WaveformRelaxation(), vmTolerance: 1e-6)
    }

    func testTwoNeuronsConstantInterpolationMatchesNEST() throws {
        try checkScenario("o0", WaveformRelaxation(interpolationOrder: 0), vmTolerance: 1e-6)
    }

    func testTwoNeuronsLinearInterpolationMatchesNEST() throws {
        try checkScenario("o1", WaveformRelaxation(interpolationOrder: 1), vmTolerance: 1e-6)
    }

    func testTwoNeuronsHalfMillisecondIntervalMatchesNEST() throws {
        try checkScenario("c05", WaveformRelaxation(commInterval: Quantity(0.5, "ms")), vmTolerance: 1e-6)
    }

    func testTwoNeuronsWithoutWaveformRelaxationMatchesNEST() throws {
        try checkScenario("nowfr", WaveformRelaxation(useWFR: false), vmTolerance: 1e-6)
    }

    /// With at most 3 iterations most intervals stop unconverged (V_m then differs from the
    /// converged run by up to 7 mV): equal traces mean equal iteration counts per interval.
    func testTwoNeuronsThreeIterationsMatchNEST() throws {
        try checkScenario("it3", WaveformRelaxation(maxIterations: 3), vmTolerance: 1e-6)
    }

    func testTwoNeuronsTightToleranceMatchesNEST() throws {
        try checkScenario("tol8", WaveformRelaxation(tolerance: 1e-8), vmTolerance: 1e-6)
    }

    /// dc_generator and spike input: the WFR iterations hold the I_stim of the last real step
    /// and see the interval's buffered spikes, as NEST's.
    func testTwoNeuronsWithGeneratorsMatchNEST() throws {
        try checkScenario("inputs", WaveformRelaxation(), vmTolerance: 1e-6, inputs: true)
    }

    // MARK: network

    static func network(threads: Int, recordV: Bool = false, duration: Double? = nil) throws -> (PointNetwork, PointResults, NetworkFixture) {
        let fx = networkFixture
        let n = fx.neurons
        let ie = fx.I_e
        let pops = (0..<n).map { PopulationDescription(name: "n\($0)", model: "hh_psc_alpha_gap", params: ["I_e": .number(ie[$0], "pA")]) }
        var conns: [ConnectionDescription] = []
        for gj in fx.gap_junctions {
            conns.append(ConnectionDescription(source: "n\(Int(gj[0]))", target: "n\(Int(gj[1]))", rule: .oneToOne,
                                               synapse: SynapseDescription(model: "gap_junction", weight: .constant(Quantity(gj[2], "nS"))),
                                               makeSymmetric: true))
        }
        for c in fx.chemical {
            conns.append(ConnectionDescription(source: "n\(Int(c[0]))", target: "n\(Int(c[1]))", rule: .oneToOne,
                                               synapse: SynapseDescription(weight: .constant(Quantity(c[2], "pA")),
                                                                           delay: .constant(Quantity(c[3], "ms")))))
        }
        var rec: [RecordingDescription] = pops.map { .spikes(population: $0.name) }
        if recordV { rec += pops.map { .multimeter(population: $0.name, variables: ["V_m", "Act_m", "Inact_p"], interval: nil) } }
        else { rec += pops.map { .multimeter(population: $0.name, variables: ["V_m"], interval: Quantity(1, "ms")) } }
        let exp = PointExperiment(duration: Quantity(duration ?? fx.duration_ms, "ms"), populations: pops,
                                  connections: conns, recordings: rec)
        let net = try PointNetwork(exp, threads: threads)
        return (net, try net.run(), fx)
    }

    func testNetworkMatchesNEST() throws {
        let (net, r, fx) = try Self.network(threads: 1)
        XCTAssertEqual(Double(net.minDelay) * 0.1, fx.min_delay_ms, accuracy: 1e-12)
        XCTAssertEqual(net.gapJunctionCount, 2 * fx.gap_junctions.count)
        var mine: [(Double, Int)] = []
        for s in r.spikes { for (t, g) in zip(s.times, s.gids) { mine.append((t, g)) } }
        mine.sort { $0 < $1 }
        let theirs = fx.spikes.map { ($0[0], Int($0[1])) }.sorted { $0 < $1 }
        var firstDiff: String?
        var worst = 0.0
        for (a, b) in zip(mine, theirs) {
            if a.1 != b.1 || abs(a.0 - b.0) > 1e-9 {
                if firstDiff == nil { firstDiff = "first difference: mine \(a), NEST \(b)" }
            }
            if a.1 == b.1 { worst = max(worst, abs(a.0 - b.0)) }
        }
        let its = net.waveformRelaxationIterations
        // V_m of every neuron every 1 ms
        let refV = fx.vm_every_1ms
        var worstV = 0.0
        for (k, st) in r.states.enumerated() {
            XCTAssertEqual(st.values[0].count, refV[k].count)
            for (a, b) in zip(st.values[0], refV[k]) { worstV = max(worstV, abs(a - b)) }
        }
        print("GAP network: \(mine.count) spikes (NEST \(theirs.count)), \(firstDiff ?? "all spike times and senders identical"); max|ΔV_m| \(String(format: "%.3g", worstV)) mV over \(refV.count) neurons × \(refV[0].count) samples; WFR iterations per interval: mean \(Double(its.reduce(0, +)) / Double(max(1, its.count))), max \(its.max() ?? 0)")
        XCTAssertLessThanOrEqual(worstV, 1e-6)
        XCTAssertEqual(mine.count, theirs.count)
        XCTAssertNil(firstDiff)
    }

    // MARK: determinism

    func testOneAndTwoThreadsAreBitIdentical() throws {
        // 60 ms of the network hold a few dozen spikes and ~300 WFR iterations
        let (_, a, _) = try Self.network(threads: 1, recordV: true, duration: 60)
        let (_, b, _) = try Self.network(threads: 2, recordV: true, duration: 60)
        let (_, c, _) = try Self.network(threads: 3, recordV: true, duration: 60)
        XCTAssertGreaterThan(a.totalSpikes, 10)
        for other in [b, c] {
            XCTAssertEqual(a.totalSpikes, other.totalSpikes)
            for (x, y) in zip(a.spikes, other.spikes) {
                XCTAssertEqual(x.gids, y.gids)
                XCTAssertEqual(x.times, y.times)
            }
            for (x, y) in zip(a.states, other.states) {
                for v in 0..<x.values.count {
                    XCTAssertEqual(x.values[v].map(\.bitPattern), y.values[v].map(\.bitPattern), "\(x.population) \(x.variables[v])")
                }
            }
        }
        let wfr = try Self.twoNeurons(WaveformRelaxation(), threads: 1, duration: 30)
        let wfr2 = try Self.twoNeurons(WaveformRelaxation(), threads: 2, duration: 30)
        XCTAssertEqual(wfr.v.map { $0.map(\.bitPattern) }, wfr2.v.map { $0.map(\.bitPattern) })
        XCTAssertEqual(wfr.iterations, wfr2.iterations)
    }

    /// Poisson input arriving within a communication interval must be seen by the waveform-
    /// relaxation iterations (in NEST it sits in the ring buffers before they start). Then the
    /// converged coupling is the same whatever the interval: runs at 1 ms and 0.1 ms intervals
    /// (tight tolerance) agree, while iterations blind to that input would predict the
    /// partner's waveform without it and drift apart.
    func testPoissonInputIsSeenByTheIterations() throws {
        func run(_ interval: Double) throws -> PointResults {
            let exp = PointExperiment(
                duration: Quantity(100, "ms"), seed: 4,
                populations: [
                    PopulationDescription(name: "a", model: "hh_psc_alpha_gap", params: ["I_e": .number(150, "pA")]),
                    PopulationDescription(name: "b", model: "hh_psc_alpha_gap", params: ["I_e": .number(20, "pA")]),
                    PopulationDescription(name: "pg", model: "poisson_generator", params: ["rate": .number(20000, "Hz")]),
                ],
                connections: [
                    ConnectionDescription(source: "a", target: "b", rule: .oneToOne, synapse: SynapseDescription(
                        model: "gap_junction", weight: .constant(Quantity(20, "nS"))), makeSymmetric: true),
                    ConnectionDescription(source: "pg", target: "a", synapse: SynapseDescription(
                        weight: .constant(Quantity(40, "pA")), delay: .constant(Quantity(1, "ms")))),
                ],
                recordings: [.multimeter(population: "b", variables: ["V_m"], interval: Quantity(0.1, "ms"))],
                waveformRelaxation: WaveformRelaxation(commInterval: Quantity(interval, "ms"), tolerance: 1e-10, maxIterations: 60))
            return try PointNetwork(exp).run()
        }
        let long = try run(1), short = try run(0.1)
        let x = long.states[0].values[0], y = short.states[0].values[0]
        XCTAssertEqual(x.count, y.count)
        var worst = 0.0
        for (p, q) in zip(x, y) { worst = max(worst, abs(p - q)) }
        print("gap + Poisson: max |V_m(1 ms interval) - V_m(0.1 ms interval)| = \(worst) mV over \(x.count) samples")
        XCTAssertGreaterThan(x.max()! - x.min()!, 5, "the partner must be driven through the junction")
        // What remains is the adaptive integrator's: its step size carries over from iteration
        // to iteration (as in NEST), so different iteration counts take different step
        // sequences, each within RKF45's 1e-6 absolute tolerance per step (measured: 1.4e-5 mV;
        // iterations blind to the input: 139 mV).
        XCTAssertLessThan(worst, 1e-4)
    }

    // MARK: example and bad input

    func testExampleFileRuns() throws {
        let exp = try ExperimentFile.load(Repo.file("examples/gap_junctions.yaml").path)
        let w = exp.waveformRelaxation
        XCTAssertEqual(w, WaveformRelaxation(commInterval: Quantity(1, "ms")), "the example spells out NEST's defaults")
        let net = try PointNetwork(exp, threads: 2)
        let r = try net.run()
        XCTAssertGreaterThan(r.totalSpikes, 0)
        XCTAssertGreaterThan(net.gapJunctionCount, 0)
    }

    private lazy var tmp = temporaryFolder("plexus-gap")
    private var folder: URL { tmp.url }

    private func write(_ text: String) -> String {
        tmp.write("experiment-\(UUID().uuidString).yaml", text)
    }

    /// Asserts that `yaml` fails as `plexus run` reports it: at the line holding `at`, naming
    /// every string of `mentions`.
    private func assertFails(_ yaml: String, at needle: String, mentions: [String],
                             file: StaticString = #filePath, line testLine: UInt = #line) {
        let path = write(yaml)
        let expected = yaml.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(needle) }.map { $0 + 1 }
        do {
            let exp = try ExperimentFile.load(path)
            _ = try PointNetwork(exp, threads: 2).run()
            XCTFail("no error for a bad file", file: file, line: testLine)
        } catch let e as PlexusError {
            let located = ExperimentFile.locate(e, file: path, index: ExperimentFile.lineIndex(yaml))
            let text = located.description
            print("BAD INPUT: \(text)")
            XCTAssertEqual(located.line, expected, text, file: file, line: testLine)
            for m in mentions { XCTAssertTrue(text.contains(m), "'\(m)' missing from: \(text)", file: file, line: testLine) }
        } catch {
            XCTFail("not a PlexusError: \(error)", file: file, line: testLine)
        }
    }

    private func gapFile(populations: String = "  a: {model: hh_psc_alpha_gap, size: 2}\n  b: {model: hh_psc_alpha_gap, size: 2}",
                         synapse: String = "{model: gap_junction, weight: 5 nS}", rule: String = "one_to_one",
                         extra: String = "    make_symmetric: true", kernel: String = "") -> String {
        var s = "resolution: 0.1 ms\nduration: 5 ms\n"
        if !kernel.isEmpty { s += "kernel:\n\(kernel)\n" }
        s += "populations:\n\(populations)\nconnections:\n  - source: a\n    target: b\n    rule: \(rule)\n"
        if !extra.isEmpty { s += extra + "\n" }
        s += "    synapse: \(synapse)\n"
        return s
    }

    func testValidGapFileRuns() throws {
        let path = write(gapFile(kernel: "  wfr_tol: 1e-6\n  wfr_interpolation_order: 1\n  wfr_max_iterations: 20\n  wfr_comm_interval: 0.5 ms"))
        let exp = try ExperimentFile.load(path)
        XCTAssertEqual(exp.waveformRelaxation, WaveformRelaxation(commInterval: Quantity(0.5, "ms"), tolerance: 1e-6,
                                                                  maxIterations: 20, interpolationOrder: 1))
        XCTAssertTrue(exp.connections[0].makeSymmetric)
        let net = try PointNetwork(exp)
        XCTAssertEqual(net.minDelay, 5)
        XCTAssertEqual(net.gapJunctionCount, 4)
        _ = try net.run()
        // the rule mapping form (NEST's conn_spec) works too
        let alt = try ExperimentFile.load(write(gapFile(rule: "{name: one_to_one, make_symmetric: true}", extra: "")))
        XCTAssertTrue(alt.connections[0].makeSymmetric)
    }

    func testGapJunctionOnModelWithoutSupportIsRefused() {
        assertFails(gapFile(populations: "  a: {model: iaf_psc_alpha, size: 2}\n  b: {model: hh_psc_alpha_gap, size: 2}"),
                    at: "source: a", mentions: ["does not support gap junction output", "iaf_psc_alpha", "hh_psc_alpha_gap"])
        assertFails(gapFile(populations: "  a: {model: hh_psc_alpha_gap, size: 2}\n  b: {model: iaf_psc_alpha, size: 2}"),
                    at: "target: b", mentions: ["does not support gap junction input", "iaf_psc_alpha"])
        assertFails(gapFile(populations: "  a: {model: poisson_generator, size: 2}\n  b: {model: hh_psc_alpha_gap, size: 2}"),
                    at: "source: a", mentions: ["does not support gap junction output", "poisson_generator"])
    }

    func testBadGapJunctionConnectionsAreRefused() {
        assertFails(gapFile(synapse: "{model: gap_junction, weight: -5 nS}"), at: "weight: -5", mentions: ["weight", "-5", ">= 0"])
        assertFails(gapFile(synapse: "{model: gap_junction, weight: 5 nS, delay: 1 ms}"), at: "delay: 1 ms", mentions: ["gap_junction connection has no delay"])
        assertFails(gapFile(synapse: "{model: gap_junction, weight: 5 pA}"), at: "weight: 5 pA", mentions: ["pA"])
        assertFails(gapFile(extra: ""), at: "source: a", mentions: ["make_symmetric", "one-to-one"])
        assertFails(gapFile(rule: "all_to_all", extra: ""), at: "rule: all_to_all", mentions: ["all-to-all connections with equal source and target"])
        assertFails(gapFile(rule: "all_to_all"), at: "make_symmetric", mentions: ["does not support symmetric connections"])
        assertFails(gapFile(rule: "fixed_indegree", extra: "    indegree: 1"), at: "rule: fixed_indegree", mentions: ["make_symmetric"])
        assertFails(gapFile(synapse: "{model: static_synapse, weight: 5 pA}"), at: "make_symmetric", mentions: ["make_symmetric", "gap_junction"])
        assertFails(gapFile(synapse: "{model: gap_junction, weight: 5 nS, tau: 3 ms}"), at: "tau: 3", mentions: ["tau"])
    }

    func testNegativeGateIsRefused() {
        assertFails(gapFile(populations: "  a:\n    model: hh_psc_alpha_gap\n    size: 2\n    params: {Inact_p: -0.1}\n  b: {model: hh_psc_alpha_gap, size: 2}"),
                    at: "Inact_p", mentions: ["Inact_p", "-0.1", "non-negative"])
    }

    func testBadKernelSettingsAreRefused() {
        assertFails(gapFile(kernel: "  wfr_interpolation_order: 2"), at: "wfr_interpolation_order", mentions: ["0, 1, or 3"])
        assertFails(gapFile(kernel: "  wfr_tol: -1"), at: "wfr_tol", mentions: ["wfr_tol", "zero or positive"])
        assertFails(gapFile(kernel: "  wfr_max_iterations: 0"), at: "wfr_max_iterations", mentions: ["wfr_max_iterations", "positive"])
        assertFails(gapFile(kernel: "  use_wfr: false\n  wfr_comm_interval: 2 ms"), at: "wfr_comm_interval", mentions: ["use_wfr"])
        assertFails(gapFile(kernel: "  wfr_comm_interval: 0.05 ms"), at: "wfr_comm_interval", mentions: ["resolution"])
        assertFails(gapFile(kernel: "  wfr_comm_interval: 1 mV"), at: "wfr_comm_interval", mentions: ["mV"])
        assertFails(gapFile(kernel: "  wfr_tolerance: 1"), at: "wfr_tolerance", mentions: ["wfr_tolerance"])
    }

    func testCommandLineRejectsGapJunctionOnIaf() throws {
        let yaml = gapFile(populations: "  a: {model: hh_psc_alpha_gap, size: 2}\n  b: {model: iaf_psc_alpha, size: 2}")
        let path = write(yaml)
        let r = try CLI.plexus(["run", path, "--out", folder.appendingPathComponent("out").path, "--quiet"])
        let e = r.stderr
        print("CLI: status \(r.status), stderr: \(e)")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(e.contains("does not support gap junction input"), e)
        let line = yaml.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("target: b") }! + 1
        XCTAssertTrue(e.hasPrefix("error: \(path):\(line)"), e)
    }
}
