import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusIO

/// The point run loop's epoch-hook seam (EpochHook.swift): which hooks a network gets, and that
/// a hook added from outside the engine is called in every phase, on every thread, with the
/// epoch's spikes, and changes nothing by being there.
final class EpochHookTests: XCTestCase {
    static func network(_ example: String, threads: Int = 1) throws -> PointNetwork {
        try PointNetwork(try ExperimentFile.load(Repo.examples.appendingPathComponent(example).path), threads: threads)
    }

    func testRegistryListsTheThreeMechanisms() {
        XCTAssertEqual(EpochHooks.kinds.map { String(describing: $0) },
                       ["GapJunctionLayer", "StructuralPlasticity", "VolumeTransmitterHook"])
    }

    func testEachExampleGetsItsHooks() throws {
        func kinds(_ example: String) throws -> [String] {
            try Self.network(example).epochHooks.map { String(describing: type(of: $0)) }
        }
        XCTAssertEqual(try kinds("single_neuron.yaml"), [])
        XCTAssertEqual(try kinds("gap_junctions.yaml"), ["GapJunctionLayer"])
        XCTAssertEqual(try kinds("structural_plasticity.yaml"), ["StructuralPlasticity"])
        XCTAssertEqual(try kinds("dopamine_stdp.yaml"), ["VolumeTransmitterHook"])
    }

    /// Records, per thread, what the loop hands it. Each thread writes only its own slots.
    final class PhaseRecorder: EpochHook {
        static func make(for network: PointNetwork) -> PhaseRecorder? { nil }
        let threads: Int
        /// [thread]: phases in call order (1 before, 2 after updates, 3 after exchange, 4 delivered).
        var phases: [[Int]]
        var epochs: [[Int64]]
        var ownSpikes: [Int]
        var deliveredFromParts: [Int]
        var deliveredFromGenerators: [Int]
        var finished = 0

        init(threads: Int) {
            self.threads = threads
            phases = Array(repeating: [], count: threads)
            epochs = Array(repeating: [], count: threads)
            ownSpikes = Array(repeating: 0, count: threads)
            deliveredFromParts = Array(repeating: 0, count: threads)
            deliveredFromGenerators = Array(repeating: 0, count: threads)
        }

        // The arrays are sized before the run, so each thread's writes touch only its element;
        // the lock keeps the arrays' copy-on-write checks from racing.
        let lock = NSLock()
        func note(_ t: Int, _ phase: Int) { lock.lock(); phases[t].append(phase); lock.unlock() }

        func beforeUpdates(_ epoch: EpochContext, rings: InputRings) {
            note(epoch.thread, 1)
            lock.lock(); epochs[epoch.thread].append(epoch.index); lock.unlock()
        }
        func afterUpdates(_ epoch: EpochContext, own: ThreadSpikes) {
            note(epoch.thread, 2)
            var n = 0
            for k in 0..<epoch.steps { n += own[step: k].count }
            lock.lock(); ownSpikes[epoch.thread] += n; lock.unlock()
        }
        func afterExchange(_ epoch: EpochContext) { note(epoch.thread, 3) }
        var listensToSpikes: Bool { true }
        func delivered(_ epoch: EpochContext, spikes: DeliveredSpikes) {
            note(epoch.thread, 4)
            XCTAssertEqual(spikes.steps, epoch.steps)
            var parts = 0, generators = 0
            for k in 0..<spikes.steps {
                generators += spikes[step: k, source: 0].count
                for u in 1..<spikes.sources { parts += spikes[step: k, source: u].count }
            }
            lock.lock()
            deliveredFromParts[epoch.thread] += parts
            deliveredFromGenerators[epoch.thread] += generators
            lock.unlock()
        }
        func finish(totalSteps: Int64, results: inout PointResults) { finished += 1 }
    }

    func testAHookFromOutsideSeesEveryPhaseAndChangesNothing() throws {
        for example in ["gap_junctions.yaml", "dopamine_stdp.yaml"] {
            let threads = 2
            let plain = try Self.network(example, threads: threads)
            let expected = try plain.run()
            let net = try Self.network(example, threads: threads)
            let recorder = PhaseRecorder(threads: threads)
            net.epochHooks.append(recorder)
            let results = try net.run()

            XCTAssertEqual(results.totalSpikes, expected.totalSpikes, example)
            XCTAssertEqual(results.spikes.map(\.gids), expected.spikes.map(\.gids), example)
            XCTAssertEqual(results.spikes.map(\.times), expected.spikes.map(\.times), example)
            XCTAssertEqual(results.states.map(\.values), expected.states.map(\.values), example)

            let epochs = Int((net.totalSteps + Int64(net.minDelay) - 1) / Int64(net.minDelay))
            XCTAssertGreaterThan(results.totalSpikes, 0, example)
            XCTAssertEqual(recorder.finished, 1, example)
            XCTAssertEqual(recorder.ownSpikes.reduce(0, +), results.totalSpikes, example)
            for t in 0..<threads {
                XCTAssertEqual(recorder.epochs[t], (0..<Int64(epochs)).map { $0 }, example)
                XCTAssertEqual(recorder.phases[t], Array(repeating: [1, 2, 3, 4], count: epochs).flatMap { $0 }, example)
                // Every thread sees every spike of the network, and the same generator spikes.
                XCTAssertEqual(recorder.deliveredFromParts[t], results.totalSpikes, example)
                XCTAssertEqual(recorder.deliveredFromGenerators[t], recorder.deliveredFromGenerators[0], example)
            }
        }
    }
}
