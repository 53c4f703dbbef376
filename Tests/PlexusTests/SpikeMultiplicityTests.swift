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
}
