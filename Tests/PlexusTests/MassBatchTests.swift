import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusMass

/// Batches (MassBatch): parameter points run as the SIMD lanes of one simulation give each
/// point's numbers of a run of its own, bit for bit, for every kind of coupling path (history of
/// the state or of source terms, fused or gathered post-functions, self-connections, delays
/// shorter and longer than a time block), noise, monitors and lane counts; a lane that blows up
/// fails alone.
final class MassBatchTests: XCTestCase {
    /// A small connectome with self-links and a spread of delays (some shorter than a block).
    func connectome(_ n: Int = 12) throws -> Connectome {
        var c = try Connectome.synthetic(regions: n, density: 0.4, seed: 3, meanInStrength: 2)
        for i in stride(from: 0, to: n, by: 3) { c.weights[i * n + i] = 0.3 }
        for q in 0..<(n * n) { c.tractLengths[q] *= 0.08 }
        return c
    }

    func experiment(_ c: Connectome, model: String, coupling: String, params: [String: Double], couplingParams: [String: Double],
                    stochastic: Bool, nsig: [Double] = [1e-4], monitors: [MonitorDescription]) -> MassExperiment {
        MassExperiment(connectivity: .given(c), speed: 3, model: MassModelDescription(name: model, params: params),
                       coupling: CouplingDescription(name: coupling, params: couplingParams),
                       integrator: IntegratorDescription(scheme: .heun, stochastic: stochastic, dt: 0.1, nsig: nsig),
                       duration: 40, monitors: monitors, seed: 21)
    }

    /// Every lane's monitors against the same point run alone.
    func assertLanesEqualRuns(_ points: [MassExperiment], _ c: Connectome, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertNil(MassBatch.incompatibility(points), file: file, line: line)
        let batch = try MassBatch(points, connectome: c)
        let lanes = batch.run()
        XCTAssertEqual(lanes.count, points.count, file: file, line: line)
        for (k, (e, lane)) in zip(points, lanes).enumerated() {
            let alone = try MassNetwork(e, connectome: c, threads: 1).run()
            let got = try lane.get()
            XCTAssertEqual(got.monitors.count, alone.monitors.count, file: file, line: line)
            for (m, (a, b)) in zip(got.monitors, alone.monitors).enumerated() {
                XCTAssertGreaterThan(a.samples, 0, "lane \(k) monitor \(m) (\(a.description.kind.rawValue)) recorded nothing", file: file, line: line)
                XCTAssertEqual(a.times, b.times, "lane \(k) monitor \(m) times", file: file, line: line)
                XCTAssertEqual(a.regions, b.regions, file: file, line: line)
                // Bit for bit (a NaN would fail this too).
                XCTAssertEqual(a.values.map(\.bitPattern), b.values.map(\.bitPattern), "lane \(k) monitor \(m) (\(a.description.kind.rawValue))", file: file, line: line)
            }
        }
    }

    func testLinearCouplingLanesEqualRunsAlone() throws {
        let c = try connectome()
        var balloon = MonitorDescription(.balloon, period: 10)
        balloon.sample = 1
        let monitors = [MonitorDescription(.raw), MonitorDescription(.temporalAverage, period: 1), MonitorDescription(.afferentCoupling),
                        MonitorDescription(.bold, period: 10), balloon]
        // Six lanes: one SIMD4 chunk and one SIMD2 chunk per region.
        let points = (0..<6).map { k in
            experiment(c, model: "Generic2dOscillator", coupling: "Linear", params: ["a": -2.0 + 0.1 * Double(k)],
                       couplingParams: ["a": 0.01 + 0.004 * Double(k), "b": 0.001 * Double(k)], stochastic: false, monitors: monitors)
        }
        try assertLanesEqualRuns(points, c)
    }

    /// Difference reads the target (sums gathered with the row sums); the noise is shared, each
    /// lane with its own nsig, one without noise on a variable.
    func testStochasticDifferenceCouplingLanesEqualRunsAlone() throws {
        let c = try connectome()
        let monitors = [MonitorDescription(.raw), MonitorDescription(.neurolibBold, period: 5)]
        let nsigs: [[Double]] = [[1e-4], [2e-4, 0], [0, 5e-5], [3e-4], [1e-3, 1e-5], [0, 0], [2e-5], [4e-4, 2e-4], [1e-4]]
        let points = nsigs.enumerated().map { k, nsig in
            experiment(c, model: "Generic2dOscillator", coupling: "Difference", params: ["a": -1.0 + 0.1 * Double(k)],
                       couplingParams: ["a": 0.1 * Double(k)], stochastic: true, nsig: nsig, monitors: monitors)
        }
        try assertLanesEqualRuns(points, c)
    }

    /// A wide batch (17 lanes: two SIMD8 groups and one lane more, 272 sums per target and time
    /// block) on 13 regions with long delays: the lane-major history is cut into several source
    /// tiles, each region's block is summed in chunks of 64 and 16, and the regions that do not
    /// fill a group of four are summed alone.
    func testWideBatchWithTiledHistoryLanesEqualRunsAlone() throws {
        var c = try Connectome.synthetic(regions: 13, density: 0.5, seed: 5, meanInStrength: 2)
        for i in stride(from: 0, to: 13, by: 4) { c.weights[i * 13 + i] = 0.2 }
        let points = (0..<17).map { k in
            experiment(c, model: "Generic2dOscillator", coupling: "Difference", params: ["a": -1.5 + 0.05 * Double(k)],
                       couplingParams: ["a": 0.02 * Double(k)], stochastic: true, nsig: [1e-4 * Double(k % 3)],
                       monitors: [MonitorDescription(.raw), MonitorDescription(.temporalAverage, period: 1)])
        }
        let batch = try MassBatch(points, connectome: c)
        // BlockedCoupling's tiles hold about 512 KiB of history: more than one here.
        XCTAssertGreaterThan(batch.historyBytes / 13, 512 * 1024 / 13, "a region's rows exceed a thirteenth of a tile")
        try assertLanesEqualRuns(points, c)
    }

    /// HyperbolicTangent's history holds source terms of the state (per lane's parameters);
    /// Kuramoto's holds two per variable (sin and cos), gathered with the target's phase.
    func testSourceTermHistoriesLanesEqualRunsAlone() throws {
        let c = try connectome()
        let tanh = (0..<3).map { k in
            experiment(c, model: "Generic2dOscillator", coupling: "HyperbolicTangent", params: [:],
                       couplingParams: ["a": 0.5 + Double(k), "midpoint": 0.1 * Double(k)], stochastic: true,
                       monitors: [MonitorDescription(.subSample, period: 0.5)])
        }
        try assertLanesEqualRuns(tanh, c)
        let kuramoto = (0..<5).map { k in
            experiment(c, model: "Kuramoto", coupling: "Kuramoto", params: ["omega": 1 + 0.1 * Double(k)],
                       couplingParams: ["a": 0.2 * Double(k)], stochastic: false, monitors: [MonitorDescription(.raw)])
        }
        try assertLanesEqualRuns(kuramoto, c)
    }

    /// A lane that becomes unstable reports its own error (step, region); the others finish as
    /// they would alone.
    func testUnstableLaneFailsAlone() throws {
        let c = try connectome()
        let points = [0.02, 900.0, 0.03].map { a in
            experiment(c, model: "Generic2dOscillator", coupling: "Linear", params: [:], couplingParams: ["a": a],
                       stochastic: false, monitors: [MonitorDescription(.raw)])
        }
        let lanes = try MassBatch(points, connectome: c).run()
        let alone = Result { try MassNetwork(points[1], connectome: c, threads: 1).run() }
        guard case .failure(let batchError) = lanes[1], case .failure(let aloneError) = alone else {
            return XCTFail("coupling a = 900 should blow up, alone and in the batch")
        }
        XCTAssertEqual("\(batchError)", "\(aloneError)")
        XCTAssertTrue("\(batchError)".contains("unstable"), "\(batchError)")
        for k in [0, 2] {
            let want = try MassNetwork(points[k], connectome: c, threads: 1).run()
            XCTAssertEqual(try lanes[k].get().monitors[0].values, want.monitors[0].values, "lane \(k)")
        }
    }

    /// What cannot share one simulation is named; the policy batches only stochastic runs.
    func testIncompatiblePointsAreNamedAndPolicy() throws {
        let c = try connectome()
        let base = experiment(c, model: "Generic2dOscillator", coupling: "Linear", params: [:], couplingParams: [:], stochastic: true,
                              monitors: [MonitorDescription(.raw)])
        var faster = base
        faster.speed = 6
        XCTAssertTrue(MassBatch.incompatibility([base, faster])?.contains("speed") ?? false)
        var averaged = base
        averaged.monitors = [MonitorDescription(.globalAverage, period: 1)]
        XCTAssertTrue(MassBatch.incompatibility([averaged, averaged])?.contains("global_average") ?? false)
        XCTAssertThrowsError(try MassBatch([base, faster], connectome: c))
        XCTAssertGreaterThan(MassBatch.lanes(for: try MassNetwork(base, connectome: c), requested: 64), 1)
        var deterministic = base
        deterministic.integrator.stochastic = false
        XCTAssertEqual(MassBatch.lanes(for: try MassNetwork(deterministic, connectome: c), requested: 64), 1)
    }

    /// A sweep gives the same table with and without batches.
    func testSweepWithLanesEqualsOneByOne() throws {
        let c = try connectome()
        var e = experiment(c, model: "Generic2dOscillator", coupling: "Linear", params: [:], couplingParams: [:], stochastic: true,
                           monitors: [MonitorDescription(.temporalAverage, period: 1)])
        e.sweep = [SweepAxis("coupling.a", [0.01, 0.02, 0.03]), SweepAxis("noise.nsig", [1e-5, 1e-4])]
        let sweep = try MassSweep(e, connectome: c, threads: 2)
        let one = sweep.run(lanes: 1), batched = sweep.run(lanes: 8)
        XCTAssertEqual(one.map(\.mean), batched.map(\.mean))
        XCTAssertEqual(one.map(\.std), batched.map(\.std))
        XCTAssertEqual(one.map { $0.fcSC ?? -9 }, batched.map { $0.fcSC ?? -9 })

        // A speed axis (other delays): points are grouped by speed, in the table's order still.
        e.sweep = [SweepAxis("coupling.a", [0.01, 0.02, 0.03]), SweepAxis("speed", [2, 4])]
        let bySpeed = try MassSweep(e, connectome: c, threads: 1)
        let one2 = bySpeed.run(lanes: 1), batched2 = bySpeed.run(lanes: 8)
        XCTAssertEqual(one2.map(\.values), batched2.map(\.values))
        XCTAssertEqual(one2.map(\.mean), batched2.map(\.mean))
        XCTAssertEqual(one2.map(\.std), batched2.map(\.std))
        XCTAssertTrue(batched2.allSatisfy { $0.error == nil })
        // Three points per speed ran as one batch each: their times are the batch's shares.
        XCTAssertEqual(Set([0, 2, 4].map { batched2[$0].seconds }).count, 1, "\(batched2.map(\.seconds))")
    }
}
