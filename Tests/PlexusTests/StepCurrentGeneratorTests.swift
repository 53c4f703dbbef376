import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusIO

/// step_current_generator against NEST 3.10 (tools/nest_reference/step_current_generator.py wrote
/// Tests/Fixtures/step_current_generator.json and _vm.csv): each case is run as an experiment
/// file, through the same path as `plexus run`, and must give NEST's V_m within 1e-9 mV at every
/// 0.1 ms sample and NEST's spike times. Also: the refusals of bad amplitude lists.
final class StepCurrentGeneratorTests: XCTestCase {
    struct Generator: Decodable {
        let amplitude_times: [Double]
        let amplitude_values: [Double]
        let allow_offgrid_times: Bool?
        let origin: Double?
        let start: Double?
        let stop: Double?
    }
    struct Case: Decodable {
        let model: String
        let weight: Double
        let delay: Double
        let generator: Generator
        let spikes: [Double]
        let nest_amplitude_times: [Double]
    }
    struct Fixture: Decodable {
        let resolution_ms: Double
        let duration_ms: Double
        let nest_version: String
        let cases: [String: Case]
    }

    static func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Reference.url("step_current_generator.json")))
    }

    /// The experiment file of one case: one neuron, the generator, V_m every step, spikes.
    static func yaml(_ c: Case, _ f: Fixture) -> String {
        let g = c.generator
        var params = [
            "amplitude_times: [\(g.amplitude_times.map { "\($0) ms" }.joined(separator: ", "))]",
            "amplitude_values: [\(g.amplitude_values.map { "\($0) pA" }.joined(separator: ", "))]",
        ]
        if let a = g.allow_offgrid_times { params.append("allow_offgrid_times: \(a)") }
        for (k, v) in [("origin", g.origin), ("start", g.start), ("stop", g.stop)] { if let v { params.append("\(k): \(v) ms") } }
        return """
            resolution: \(f.resolution_ms) ms
            duration: \(f.duration_ms) ms
            populations:
              n: {model: \(c.model)}
              scg:
                model: step_current_generator
                params:
            \(params.map { "      " + $0 }.joined(separator: "\n"))
            connections:
              - {source: scg, target: n, synapse: {weight: \(c.weight), delay: \(c.delay) ms}}
            record:
              - {type: multimeter, population: n, variables: [V_m], interval: \(f.resolution_ms) ms}
              - {type: spike_recorder, population: n}

            """
    }

    func testMatchesNEST() throws {
        let f = try Self.fixture()
        let vm = try Reference.csv("step_current_generator_vm.csv")
        XCTAssertEqual(f.cases.count, 3)
        var summary: [String] = []
        for (name, c) in f.cases.sorted(by: { $0.key < $1.key }) {
            let experiment = try ExperimentFile.decode(Self.yaml(c, f), file: "\(name).yaml")
            let net = try PointNetwork(experiment)
            // The amplitude times as NEST stored them (off-grid ones moved to the end of their step).
            let scg = try XCTUnwrap(net.population(named: "scg"))
            let device = try StepCurrentGenerator(DeviceParameters(StepCurrentGenerator.self, given: experiment.populations.first { $0.name == "scg" }!.params,
                                                                   path: "populations.scg", grid: net.grid), grid: net.grid)
            XCTAssertEqual(scg.model, StepCurrentGenerator.name)
            XCTAssertEqual(device.stepStamps.map { net.grid.time($0) }, c.nest_amplitude_times.map { (($0 * 1e9).rounded()) / 1e9 }, name)

            let res = try net.run()
            let mine = res.states[0].values[0], ref = try XCTUnwrap(vm[name], "column \(name)")
            XCTAssertEqual(res.states[0].times, vm["time_ms"]!.map { ($0 * 1e9).rounded() / 1e9 }, name)
            XCTAssertEqual(mine.count, ref.count, name)
            var worst = 0.0, at = 0
            for k in 0..<min(mine.count, ref.count) where !(abs(mine[k] - ref[k]) <= worst) {
                worst = abs(mine[k] - ref[k])
                at = k
            }
            summary.append("\(name) (\(c.model)): max |V_m - NEST| \(String(format: "%.3g", worst)) mV at t = \(res.states[0].times[at]) ms, spikes \(res.spikes[0].times.count) (NEST \(c.spikes.count))")
            XCTAssertLessThanOrEqual(worst, 1e-9, "\(name): V_m \(mine[at]) vs NEST \(ref[at]) at t = \(res.states[0].times[at]) ms")
            XCTAssertEqual(res.spikes[0].times, c.spikes.map { ($0 * 1e9).rounded() / 1e9 }, "\(name): spike times")
            XCTAssertFalse(c.spikes.isEmpty, "\(name): the case is meant to make the neuron fire")
        }
        print("step_current_generator vs NEST \(f.nest_version):\n  " + summary.joined(separator: "\n  "))
    }

    /// NEST rounds times to its 1 µs tic before asking whether they are on the grid: 2.0004 ms is
    /// 2 ms; 2.05 ms is not on the 0.1 ms grid unless allow_offgrid_times, which moves it to 2.1 ms.
    func testGridAsNESTSeesIt() throws {
        let grid = try TimeGrid(resolution: 0.1)
        func stamps(_ times: [Double], offgrid: Bool = false) throws -> [Int64] {
            var given: [String: ParameterValue] = ["amplitude_times": .list(times.map { Quantity($0, "ms") }),
                                                   "amplitude_values": .list(times.map { _ in Quantity(1, "pA") })]
            if offgrid { given["allow_offgrid_times"] = .number(1) }
            return try StepCurrentGenerator(DeviceParameters(StepCurrentGenerator.self, given: given, path: "p", grid: grid), grid: grid).stepStamps
        }
        XCTAssertEqual(try stamps([2.0004, 3]), [20, 30])
        XCTAssertEqual(try stamps([2.05, 2.11], offgrid: true), [21, 22])
        XCTAssertThrowsError(try stamps([2.05]))
        XCTAssertEqual(try stamps([0.01], offgrid: true), [1])
    }

    // MARK: bad input

    private func userError(_ yaml: String) -> PlexusError? {
        do {
            _ = try PointNetwork(ExperimentFile.decode(yaml, file: "bad.yaml"))
            return nil
        } catch let e as PlexusError {
            return ExperimentFile.locate(e, file: "bad.yaml", index: ExperimentFile.lineIndex(yaml))
        } catch {
            XCTFail("not a PlexusError: \(error)")
            return nil
        }
    }

    func testRefusals() {
        func file(_ params: String) -> String {
            """
            resolution: 0.1 ms
            duration: 10 ms
            populations:
              n: {model: iaf_psc_alpha}
              scg:
                model: step_current_generator
                params:
            \(params)
            connections:
              - {source: scg, target: n}

            """
        }
        let cases: [(String, String, [String])] = [
            ("      amplitude_times: [1 ms, 2.05 ms]\n      amplitude_values: [1 pA, 2 pA]",
             "populations.scg.params.amplitude_times[1]", ["2.05 ms is not on the 0.1 ms grid", "allow_offgrid_times"]),
            ("      amplitude_times: [1 ms, 1 ms]\n      amplitude_values: [1 pA, 2 pA]",
             "populations.scg.params.amplitude_times[1]", ["strictly increasing"]),
            ("      allow_offgrid_times: true\n      amplitude_times: [2.05 ms, 2.1 ms]\n      amplitude_values: [1 pA, 2 pA]",
             "populations.scg.params.amplitude_times[1]", ["strictly increasing", "step 21"]),
            ("      amplitude_times: [0 ms]\n      amplitude_values: [1 pA]",
             "populations.scg.params.amplitude_times[0]", ["times > 0 ms"]),
            ("      amplitude_times: [1 ms, 2 ms]\n      amplitude_values: [1 pA]",
             "populations.scg.params.amplitude_values", ["amplitude_times has 2 values but amplitude_values has 1"]),
            ("      amplitude_times: [1 ms]",
             "populations.scg.params.amplitude_times", ["amplitude_values has 0"]),
            ("      amplitude_times: [1 ms]\n      amplitude_values: [1 mV]",
             "populations.scg.params.amplitude_values[0]", ["mV"]),
            ("      allow_offgrid_times: 2", "populations.scg.params.allow_offgrid_times", ["true or false"]),
            ("      amplitude_times: [inf]\n      amplitude_values: [1 pA]",
             "populations.scg.params.amplitude_times[0]", ["out of range"]),
        ]
        for (params, path, mentions) in cases {
            guard let e = userError(file(params)) else { XCTFail("accepted: \(params)"); continue }
            print("BAD INPUT: \(e)")
            XCTAssertEqual(e.keyPath, path, "\(e)")
            XCTAssertNotNil(e.line, "\(e)")
            for m in mentions { XCTAssertTrue(e.message.contains(m), "'\(m)' missing from: \(e)") }
        }
    }
}
