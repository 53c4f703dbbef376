import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusIO
@testable import PlexusSession

/// A spike of multiplicity n (a parrot_neuron repeating n spikes that arrived in one step) is n
/// rows in spikes.csv, as NEST's spike_recorder writes it (tools/nest_reference/
/// parrot_multiplicity.py); it used to be one row, biasing rates and Fano factors low.
final class SpikeMultiplicityTests: XCTestCase {
    func testParrotRepeatsAreRecordedOncePerSpikeAsNESTDoes() throws {
        let ref = try Reference.json("parrot_multiplicity.json")
        let expected = try XCTUnwrap(ref["times_ms"] as? [String: [Double]])
        let yaml = """
        resolution: 0.1 ms
        duration: 10 ms
        populations:
          g1: {model: spike_generator, params: {spike_times: [1 ms, 2 ms]}}
          g2: {model: spike_generator, params: {spike_times: [1 ms]}}
          g3: {model: spike_generator, params: {spike_times: [1 ms, 3 ms]}}
          first: {model: parrot_neuron, size: 1}
          second: {model: parrot_neuron, size: 1}
        connections:
          - {source: g1, target: first, synapse: {weight: 1, delay: 1 ms}}
          - {source: g2, target: first, synapse: {weight: 1, delay: 1 ms}}
          - {source: g3, target: first, synapse: {weight: 1, delay: 1 ms}}
          - {source: first, target: second, synapse: {weight: 1, delay: 1 ms}}
        record:
          - {type: spike_recorder, population: first}
          - {type: spike_recorder, population: second}
        """
        let folder = temporaryFolder()
        let file = folder.file("parrots.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        for threads in [1, 2] {
            let out = folder.file("run\(threads)").path
            try Session.run(RunRequest(file: file.path, out: out, threads: threads, quiet: true, noReport: true))
            let rows = try String(contentsOfFile: out + "/spikes.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            for name in ["first", "second"] {
                let times = rows.map { $0.split(separator: ",") }.filter { $0[0] == name }.map { Double($0[2])! }
                XCTAssertEqual(times, expected[name], "\(name), \(threads) threads")
            }
        }
    }

    /// iaf_tum_2000's spikes carry their released fraction as their multiplicity: it scales the
    /// weight on receptor 1 of another iaf_tum_2000 (python/tests: against NEST), and nowhere else
    /// may they go, nor may other spikes come in there. Each is refused with the key path.
    func testReleaseCarryingSpikesReachOnlyReceptorOneOfIafTum2000() throws {
        func run(_ target: String, receptor: Int, source: String = "tum") throws {
            let yaml = """
            duration: 10 ms
            populations:
              tum: {model: iaf_tum_2000, params: {I_e: 1000 pA}}
              plain: {model: iaf_psc_exp}
              target: {model: \(target)}
            connections:
              - {source: \(source), target: target, synapse: {weight: 100, delay: 1 ms, receptor_type: \(receptor)}}
            """
            let file = temporaryFolder().file("tum.yaml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            try Session.run(RunRequest(file: file.path, out: file.deletingLastPathComponent().appendingPathComponent("run").path, quiet: true, noReport: true))
        }
        try run("iaf_tum_2000", receptor: 1)
        for (target, receptor, source, key) in [("iaf_tum_2000", 0, "tum", "receptor_type"), ("iaf_psc_exp", 0, "tum", "target"),
                                                ("iaf_tum_2000", 1, "plain", "receptor_type")] {
            XCTAssertThrowsError(try run(target, receptor: receptor, source: source), "\(source) -> \(target) on \(receptor)") {
                let e = $0 as! PlexusError
                XCTAssertEqual(e.keyPath, "connections[0].\(key == "target" ? "target" : "synapse.receptor_type")", e.message)
                XCTAssertNotNil(e.line, "located in the file")
            }
        }
    }
}
