import XCTest
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusSession
import Foundation

/// A point simulation advanced in pieces, with changes between them (PyNEST's Simulate calls with
/// SetStatus in between). NEST's own numbers for changes are checked by the Python tests
/// (python/tests/test_nest.py, case changes_between_simulates); these check the engine's rules.
final class ContinuingRunTests: XCTestCase {
    /// Plastic and static synapses, Poisson, noise, dc and spike_generator input, recorders.
    func network(threads: Int, duration: Double = 120) throws -> PointNetwork {
        let exp = PointExperiment(
            duration: Quantity(duration, "ms"), seed: 11,
            populations: [
                PopulationDescription(name: "E", model: "iaf_psc_exp", size: 40, params: ["I_e": .number(150, "pA")]),
                PopulationDescription(name: "I", model: "iaf_cond_alpha", size: 10),
                PopulationDescription(name: "pg", model: "poisson_generator", params: ["rate": .number(9000, "Hz")]),
                PopulationDescription(name: "noise", model: "noise_generator", params: ["mean": .number(50, "pA"), "std": .number(80, "pA")]),
                PopulationDescription(name: "dc", model: "dc_generator", params: ["amplitude": .number(120, "pA")]),
                PopulationDescription(name: "sg", model: "spike_generator", params: ["spike_times": .list([Quantity(3, "ms"), Quantity(57.3, "ms")])]),
            ],
            connections: [
                ConnectionDescription(source: "pg", target: "E", synapse: SynapseDescription(weight: .constant(Quantity(12)), delay: .constant(Quantity(1.5, "ms")))),
                ConnectionDescription(source: "noise", target: "I"),
                ConnectionDescription(source: "dc", target: "I", synapse: SynapseDescription(delay: .constant(Quantity(2.2, "ms")))),
                ConnectionDescription(source: "sg", target: "E", synapse: SynapseDescription(weight: .constant(Quantity(200)))),
                ConnectionDescription(source: "E", target: "I", rule: try ConnectionRule(name: "fixed_indegree", arguments: ["indegree": .whole(8)]),
                                      synapse: SynapseDescription(model: "stdp_synapse", weight: .constant(Quantity(3)), delay: .constant(Quantity(1.2, "ms")))),
                ConnectionDescription(source: "I", target: "E", rule: try ConnectionRule(name: "fixed_indegree", arguments: ["indegree": .whole(4)]),
                                      synapse: SynapseDescription(weight: .constant(Quantity(-20)), delay: .constant(Quantity(0.8, "ms")))),
            ],
            recordings: [.spikes(population: "E"), .spikes(population: "I"),
                         .multimeter(population: "I", variables: ["V_m", "g_ex"], interval: Quantity(0.5, "ms"))])
        return try PointNetwork(exp, threads: threads)
    }

    func assertSame(_ a: PointResults, _ b: PointResults, _ what: String) {
        XCTAssertEqual(a.totalSpikes, b.totalSpikes, what)
        XCTAssertEqual(a.spikes.map(\.times), b.spikes.map(\.times), what)
        XCTAssertEqual(a.spikes.map(\.gids), b.spikes.map(\.gids), what)
        XCTAssertEqual(a.states.map(\.times), b.states.map(\.times), what)
        XCTAssertEqual(a.states.map { $0.values.map { $0.map(\.bitPattern) } }, b.states.map { $0.values.map { $0.map(\.bitPattern) } }, what)
    }

    /// Advancing in pieces (ends off the min-delay grid, empty pieces) gives the run in one piece,
    /// bit for bit, for 1 and 2 threads.
    func testPiecesGiveTheWholeRun() throws {
        let whole = try network(threads: 1).run()
        XCTAssertGreaterThan(whole.totalSpikes, 50, "the comparison needs activity")
        for threads in [1, 2] {
            let sim = PointSimulation(try network(threads: threads))
            for ms in [0.3, 13.7, 13.7, 50, 88.8, 120] { try sim.advance(to: sim.network.grid.steps(ms)) }
            assertSame(whole, sim.results(final: true), "\(threads) threads")
        }
    }

    /// The same changes at the same times give the same numbers for any thread count; a
    /// parameter change acts on the dynamics, and a state change is read back.
    func testChangesAreDeterministicAndTakeEffect() throws {
        func run(threads: Int) throws -> (PointResults, [Double]) {
            let sim = PointSimulation(try network(threads: threads))
            try sim.advance(to: 400)
            try sim.set(population: "pg", params: ["rate": .number(20000, "Hz")])
            try sim.set(population: "noise", params: ["std": .number(0, "pA")])
            try sim.set(population: "E", params: ["V_m": .list((0..<5).map { Quantity(-60 - Double($0), "mV") })], neurons: 10..<15)
            try sim.set(population: "I", params: ["E_L": .number(-65, "mV")])
            try sim.set(population: "sg", params: ["spike_times": .list([Quantity(10, "ms"), Quantity(60, "ms")])])
            let v = try sim.state(population: "E", variable: "V_m")
            try sim.advance(to: 1200)
            return (sim.results(final: true), v)
        }
        let (one, v) = try run(threads: 1)
        let (two, _) = try run(threads: 2)
        assertSame(one, two, "changes with 1 and 2 threads")
        XCTAssertEqual(Array(v[10..<15]), [-60, -61, -62, -63, -64], "state written for neurons 10..<15 and read back")
        XCTAssertNotEqual(v[9], -60)
        let unchanged = try network(threads: 1).run()
        XCTAssertGreaterThan(one.spikes[0].times.filter { $0 > 60 }.count, unchanged.spikes[0].times.filter { $0 > 60 }.count,
                             "a higher Poisson rate makes E fire more")
        // The old spike_generator times after the change (57.3 ms) are gone; 60 ms reaches E.
        XCTAssertEqual(one.spikes[0].times.filter { $0 > 40 && $0 <= 120 }.isEmpty, false)
    }

    /// A Poisson rate set to 0 stops the input one delay after the change, not before (what was
    /// emitted before the change still arrives, as in NEST); set back, it resumes.
    func testPoissonRateChangeActsFromTheChangeOn() throws {
        let exp = PointExperiment(
            duration: Quantity(100, "ms"), seed: 5,
            populations: [
                PopulationDescription(name: "p", model: "parrot_neuron", size: 50),
                PopulationDescription(name: "pg", model: "poisson_generator", params: ["rate": .number(2000, "Hz")]),
            ],
            connections: [ConnectionDescription(source: "pg", target: "p", synapse: SynapseDescription(delay: .constant(Quantity(3, "ms"))))],
            recordings: [.spikes(population: "p")])
        let sim = PointSimulation(try PointNetwork(exp, threads: 2))
        try sim.advance(to: 500)                                     // 50 ms
        try sim.set(population: "pg", params: ["rate": .number(0, "Hz")])
        try sim.advance(to: 1000)
        try sim.set(population: "pg", params: ["rate": .number(2000, "Hz")])
        try sim.advance(to: 1500)
        let times = sim.results(final: true).spikes[0].times
        // The parrots repeat at the arrival's step end + their own 0 delay: emission e arrives
        // at step e + 30 and the parrot spikes at its end.
        XCTAssertGreaterThan(times.filter { $0 > 50 && $0 <= 53 }.count, 100, "emitted before the change: still arrives")
        XCTAssertEqual(times.filter { $0 > 53.05 && $0 <= 103 }.count, 0, "nothing emitted while the rate is 0")
        XCTAssertGreaterThan(times.filter { $0 > 103.05 }.count, 1000, "resumes (50 trains x 47 ms x 2 kHz = 4700)")
    }

    /// What cannot change is refused with the key path; a refused change leaves the run able to go on.
    func testRefusedChanges() throws {
        let sim = PointSimulation(try network(threads: 1))
        try sim.advance(to: 100)
        XCTAssertThrowsError(try sim.set(population: "E", params: ["I_e": .number(1)], neurons: 0..<3)) {
            let e = $0 as! PlexusError
            XCTAssertEqual(e.keyPath, "populations.E.params.I_e")
            XCTAssert(e.message.contains("whole population"), e.message)
        }
        XCTAssertThrowsError(try sim.set(population: "E", params: ["tau_m": .number(-1, "ms")])) {
            XCTAssertEqual(($0 as! PlexusError).keyPath, "populations.E.params.tau_m")
        }
        XCTAssertThrowsError(try sim.set(population: "E", params: ["tau_mm": .number(1, "ms")])) {
            XCTAssert(($0 as! PlexusError).message.contains("did you mean 'tau_m'"))
        }
        XCTAssertThrowsError(try sim.set(population: "E", params: ["tau_minus": .number(10, "ms")])) {
            XCTAssert(($0 as! PlexusError).message.contains("cannot be changed during a run"))
        }
        XCTAssertThrowsError(try sim.set(population: "pg", params: ["rate": .number(-1, "Hz")]))
        XCTAssertThrowsError(try sim.set(population: "nope", params: [:]))
        XCTAssertThrowsError(try sim.set(population: "E", params: ["V_m": .list([Quantity(-60)])], neurons: 0..<2)) {
            XCTAssert(($0 as! PlexusError).message.contains("1 values for 2 neurons"))
        }
        try sim.advance(to: 200)
        XCTAssertEqual(sim.step, 200)
    }

    /// A run in pieces records its changes in provenance.json; `plexus rerun` makes them again
    /// at the same times and gets the same files, byte for byte.
    func testChangesAreRecordedAndRerun() throws {
        let folder = temporaryFolder()
        let file = folder.file("pieces.yaml")
        try """
        duration: 50 ms
        seed: 4
        populations:
          n: {model: iaf_psc_alpha, size: 20, params: {I_e: 300 pA}}
          pg: {model: poisson_generator, params: {rate: 10000 Hz}}
        connections:
          - {source: pg, target: n, synapse: {weight: 20, delay: 1 ms}}
          - {source: n, target: n, rule: {name: fixed_indegree, indegree: 5}, synapse: {weight: 30, delay: 1.5 ms}}
        record:
          - {type: spike_recorder, population: n}
          - {type: multimeter, population: n, variables: [V_m], interval: 1 ms}
        """.write(to: file, atomically: true, encoding: .utf8)
        var request = RunRequest(file: file.path, out: folder.file("run").path, threads: 2, quiet: true, noReport: true)
        request.keepArrays = true
        let run = try ContinuingRun(request)
        try run.advance(to: 30)
        try run.set(population: "n", params: "{I_e: 0 pA}")
        try run.set(population: "pg", params: "{rate: 20000}")
        try run.set(population: "n", params: "{V_m: [-50, -51]}", neurons: 3..<5)
        try run.advance(to: 80.5)
        let outcome = try run.finish()
        XCTAssertEqual(outcome.record.changes?.count, 3)
        XCTAssertEqual(outcome.record.changes?.last, RunRecord.Change(atMs: 30, population: "n", params: "{V_m: [-50, -51]}", neurons: [3, 2]))
        XCTAssertEqual(outcome.record.durationMs, 80.5)
        let rerun = try Session.rerun(directory: outcome.directory, threads: 1)
        XCTAssertTrue(rerun.identical, rerun.comparisons.filter { !$0.identical }.map(\.file).joined(separator: ", "))
        XCTAssertGreaterThan(rerun.comparisons.count, 1)
        // Without the changes the files differ: the comparison above could fail.
        let plain = try Session.run(RunRequest(file: file.path, out: folder.file("plain").path, threads: 1, quiet: true, noReport: true))
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: plain.directory + "/spikes.csv")),
                          try Data(contentsOf: URL(fileURLWithPath: outcome.directory + "/spikes.csv")))
    }
}
