import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusIO
@testable import PlexusPoint

/// A noise_generator's `I` kept for a multimeter (kernel `nest_noise_recorders`, NEST's streams):
/// the mean of the values it sends its targets each step, 0 while inactive; the values equal
/// NEST's own (python/tests nest_cases `noise_generator_recorded`). Here: what it holds and
/// what is refused.
final class NoiseRecordingTests: XCTestCase {
    private func experiment(kernel: String, populations: String = "") throws -> PointExperiment {
        try ExperimentFile.decode("""
        resolution: 0.1 ms
        duration: 20 ms
        populations:
          n: {model: iaf_psc_alpha, size: 3}
          noise: {model: noise_generator, params: {mean: 100 pA, std: 50 pA, dt: 0.5 ms, start: 2 ms, stop: 8 ms}}
        \(populations)
        connections:
          - {source: noise, target: n, synapse: {weight: 1, delay: 1 ms}}
        kernel: \(kernel)
        """, file: "noise.yaml")
    }

    func testTheMeanOfTheValuesSentWhileActive() throws {
        let sim = try PointSimulation(PointNetwork(try experiment(kernel: "{random_streams: nest, nest_noise_recorders: [noise]}"), threads: 2))
        try sim.advance(to: 60)
        try sim.advance(to: 100)      // a second run (NEST's Simulate)
        let I = try sim.state(population: "noise", variable: "I")
        XCTAssertEqual(I.count, 100)
        // Active while start < step + 2 <= stop: emission steps 19 ... 78.
        XCTAssertTrue(I[..<19].allSatisfy { $0 == 0 } && I[79...].allSatisfy { $0 == 0 }, "\(I)")
        let active = Array(I[19...78])
        XCTAssertTrue(active.allSatisfy { $0 != 0 })
        // A new value every 5 steps, held in between; the mean of three N(100, 50²) is near 100.
        for k in stride(from: 0, to: 60, by: 5) { XCTAssertEqual(Set(active[k..<k + 5]).count, 1, "step \(19 + k)") }
        XCTAssertEqual(active.reduce(0, +) / 60, 100, accuracy: 60)
        XCTAssertThrowsError(try sim.state(population: "noise", variable: "V_m")) { XCTAssertTrue("\($0)".contains("records I only"), "\($0)") }
    }

    func testRefusedWhereNESTRefusesOrTheKeyIsWrong() throws {
        let cases: [(String, String, String)] = [
            ("{random_streams: nest, total_num_virtual_procs: 2, nest_noise_recorders: [noise]}", "only possible with one virtual process", "kernel.nest_noise_recorders[0]"),
            ("{random_streams: nest, nest_noise_recorders: [n]}", "a multimeter records the current of a noise_generator", "kernel.nest_noise_recorders[0]"),
            ("{random_streams: nest, nest_noise_recorders: [nosie]}", "no population named 'nosie'", "kernel.nest_noise_recorders[0]"),
            ("{random_streams: plexus, nest_noise_recorders: [noise]}", "applies to random_streams: nest", "nest_noise_recorders"),
        ]
        for (kernel, words, keyPath) in cases {
            XCTAssertThrowsError(try PointNetwork(try experiment(kernel: kernel), threads: 1), kernel) { e in
                XCTAssertTrue("\(e)".contains(words) && "\(e)".contains(keyPath), "\(kernel): \(e)")
            }
        }
    }
}
