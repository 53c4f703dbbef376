import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusIO
@testable import PlexusSession

/// bernoulli_synapse passes each spike with probability p_transmit (NEST's semantics). Its draws
/// are Plexus's own: the test checks the fraction passed, that only spikes sent pass, that the
/// run is the same for any threads, and p = 0 / 1 exactly.
final class BernoulliSynapseTests: XCTestCase {
    /// Spikes every 5 ms for 1 s (200) through a parrot to 50 parrots over bernoulli synapses;
    /// the parrots repeat what passes. Returns the spike rows of the targets.
    private func run(p: Double, threads: Int, folder: TemporaryFolder) throws -> [Substring] {
        let times = (0..<200).map { "\(Double($0) * 5 + 1) ms" }.joined(separator: ", ")
        let yaml = """
        resolution: 0.1 ms
        duration: 1010 ms
        seed: 7
        populations:
          g: {model: spike_generator, params: {spike_times: [\(times)]}}
          relay: {model: parrot_neuron, size: 1}
          targets: {model: parrot_neuron, size: 50}
        connections:
          - {source: g, target: relay, synapse: {weight: 1, delay: 1 ms}}
          - source: relay
            target: targets
            synapse: {model: bernoulli_synapse, weight: 1, delay: 2 ms, p_transmit: \(p)}
        record:
          - {type: spike_recorder, population: targets}
        """
        let file = folder.file("bernoulli.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let out = folder.file("run-\(p)-\(threads)").path
        try Session.run(RunRequest(file: file.path, out: out, threads: threads, quiet: true, noReport: true))
        return try String(contentsOfFile: out + "/spikes.csv", encoding: .utf8).split(separator: "\n").dropFirst().map { $0 }
    }

    func testSpikesPassWithTheirProbabilityTheSameForAnyThreads() throws {
        let folder = temporaryFolder()
        let one = try run(p: 0.3, threads: 1, folder: folder)
        XCTAssertEqual(try run(p: 0.3, threads: 2, folder: folder), one)
        // 50 targets × 200 spikes × 0.3 = 3000 expected, standard deviation 46.
        XCTAssertEqual(Double(one.count), 3000, accuracy: 200)
        // Each target draws on its own: their counts spread as Binomial(200, 0.3) (sd 6.5).
        var counts = [String: Int]()
        for row in one { counts[String(row.split(separator: ",")[1]), default: 0] += 1 }
        XCTAssertEqual(counts.count, 50)
        XCTAssertGreaterThan(Set(counts.values).count, 10)
        // Only spikes that were sent pass: at 1 + 5k ms, + 1 ms to the relay (a parrot repeats a
        // spike with the stamp it arrived at), + 2 ms.
        for row in one {
            let t = Double(row.split(separator: ",")[2])!
            let k = ((t - 4) / 5).rounded()
            XCTAssertEqual(t, 4 + 5 * k, accuracy: 1e-9, String(row))
        }
        XCTAssertEqual(try run(p: 0, threads: 1, folder: folder).count, 0)
        XCTAssertEqual(try run(p: 1, threads: 1, folder: folder).count, 50 * 200)
    }

    func testProbabilityOutsideZeroToOneIsRefused() throws {
        XCTAssertThrowsError(try run(p: 1.5, threads: 1, folder: temporaryFolder())) {
            let message = "\($0)"
            XCTAssertTrue(message.contains("p_transmit") && message.contains("1.5"), message)
        }
    }
}
