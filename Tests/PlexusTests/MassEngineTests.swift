import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusMass
@testable import PlexusIO

/// The neural-mass engine's own properties: thread independence, the time-blocked float64 path
/// against TVB's float32 arithmetic for every model and coupling, integrators, noise, monitors,
/// synthetic connectomes, sweeps, experiment files.
final class MassEngineTests: XCTestCase {
    /// A small connectome with self-links and a spread of delays (some shorter than a block).
    func smallConnectome(_ n: Int = 24, seed: UInt64 = 5) throws -> Connectome {
        var c = try Connectome.synthetic(regions: n, density: 0.35, seed: seed, meanInStrength: 3)
        for i in stride(from: 0, to: n, by: 3) { c.weights[i * n + i] = 0.4 }
        for q in 0..<(n * n) { c.tractLengths[q] *= 0.06 }
        return c
    }

    func experiment(_ c: Connectome, model: String, coupling: String, params: [String: Double] = [:],
                    scheme: IntegrationScheme = .heun, stochastic: Bool = false, dt: Double = 0.1, duration: Double = 40,
                    monitors: [MonitorDescription] = [MonitorDescription(.raw)]) -> MassExperiment {
        MassExperiment(connectivity: .given(c), speed: 3, model: MassModelDescription(name: model),
                       coupling: CouplingDescription(name: coupling, params: params),
                       integrator: IntegratorDescription(scheme: scheme, stochastic: stochastic, dt: dt, nsig: [1e-4]),
                       duration: duration, monitors: monitors, seed: 11)
    }

    /// A duration off the dt grid runs ceil(duration/dt) steps, as TVB does, and says so in the
    /// run's warnings instead of rounding silently; one on the grid says nothing.
    func testDurationOffTheGridRunsTVBsStepsAndSaysSo() throws {
        let c = try Connectome.synthetic(regions: 4, density: 0.5, seed: 1)
        let off = try MassNetwork(experiment(c, model: "Generic2dOscillator", coupling: "Linear", duration: 10.05), connectome: c)
        XCTAssertEqual(off.steps, 101)
        XCTAssertTrue(off.warnings.contains { $0.contains("not a whole number of steps") && $0.contains("101 steps") }, "\(off.warnings)")
        let on = try MassNetwork(experiment(c, model: "Generic2dOscillator", coupling: "Linear", duration: 10), connectome: c)
        XCTAssertEqual(on.steps, 100)
        XCTAssertFalse(on.warnings.contains { $0.contains("whole number of steps") })
    }

    func testThreadCountDoesNotChangeResults() throws {
        let c = try Connectome.synthetic(regions: 50, density: 0.3, seed: 9)
        var outs: [[Double]] = []
        for threads in [1, 2, 3] {
            let e = experiment(c, model: "Generic2dOscillator", coupling: "Linear", params: ["a": 0.0152], stochastic: true, dt: 0.0625,
                               duration: 60, monitors: [MonitorDescription(.raw), MonitorDescription(.temporalAverage, period: 1)])
            let sim = try MassNetwork(e, connectome: c, threads: threads)
            XCTAssertEqual(sim.threads, threads)
            let r = try sim.run()
            outs.append(r.monitors[0].values + r.monitors[1].values)
        }
        XCTAssertEqual(outs[0], outs[1])
        XCTAssertEqual(outs[0], outs[2])
    }

    /// The float64 engine (time-blocked history, pre-functions folded into the history) against
    /// TVB's arithmetic (float32 history and weights, per-step gathers) for every model with the
    /// couplings it accepts: the two differ only by float32 rounding.
    func testBlockedEngineAgreesWithTVBArithmetic() throws {
        let c = try smallConnectome()
        let cases: [(String, String, [String: Double])] = [
            ("Generic2dOscillator", "Linear", ["a": 0.05, "b": 0.01]),
            ("Generic2dOscillator", "Scaling", ["a": 0.05]),
            ("Generic2dOscillator", "Difference", ["a": 0.05]),
            ("Generic2dOscillator", "Sigmoidal", ["a": 1, "sigma": 2]),
            ("ReducedWongWang", "Linear", ["a": 0.05]),
            ("JansenRit", "SigmoidalJansenRit", ["a": 10]),
            ("JansenRit", "Linear", ["a": 0.001]),
            ("Kuramoto", "Kuramoto", ["a": 0.2]),
            ("WilsonCowan", "Linear", ["a": 0.1]),
            ("MontbrioPazoRoxin", "Linear", ["a": 0.1]),
            ("MontbrioPazoRoxin", "Difference", ["a": 0.1]),
        ]
        for (model, coupling, params) in cases {
            var results: [MassResults] = []
            for p in MassPrecision.allCases {
                var e = experiment(c, model: model, coupling: coupling, params: params, dt: 0.05, duration: 20)
                e.precision = p
                if model == "MontbrioPazoRoxin" { e.model.params = ["eta": -4.6, "J": 14.5, "Delta": 0.7] }
                let sim = try MassNetwork(e, connectome: c)
                if p == .float64 {
                    XCTAssertGreaterThan(sim.perStepEdges, (c.count + 2) / 3, "off-diagonal short edges too")
                    XCTAssertGreaterThan(sim.blockedEdges, 0)
                }
                results.append(try sim.run())
            }
            let a = results[0].monitors[0].values, b = results[1].monitors[0].values
            var worst = 0.0, scale = 0.0
            for k in a.indices { worst = max(worst, abs(a[k] - b[k])); scale = max(scale, abs(b[k])) }
            print("MASS ENGINE \(model) + \(coupling): float64 vs float32 arithmetic max |diff| \(worst) (scale \(scale))")
            XCTAssertTrue(a.allSatisfy(\.isFinite))
            XCTAssertLessThan(worst, 1e-5 * max(1, scale), "\(model) + \(coupling)")
            XCTAssertGreaterThan(worst, 0, "\(model) + \(coupling): the two paths are different code")
        }
    }

    /// Coupling makes a difference (the engine really delays and sums): an uncoupled run differs.
    func testCouplingActsWithDelays() throws {
        let c = try smallConnectome()
        let coupled = try MassNetwork(experiment(c, model: "Generic2dOscillator", coupling: "Linear", params: ["a": 0.1]), connectome: c).run()
        let uncoupled = try MassNetwork(experiment(c, model: "Generic2dOscillator", coupling: "Linear", params: ["a": 0]), connectome: c).run()
        XCTAssertNotEqual(coupled.monitors[0].values, uncoupled.monitors[0].values)
    }

    func testIntegratorsOnExactSolutions() throws {
        // Uncoupled Kuramoto: theta(t) = theta0 + omega t, exact for every scheme.
        let c = try Connectome.synthetic(regions: 5, density: 0.5, seed: 1)
        for scheme in IntegrationScheme.allCases {
            var e = experiment(c, model: "Kuramoto", coupling: "Kuramoto", params: ["a": 0], scheme: scheme, dt: 0.25, duration: 10)
            e.model.params = ["omega": 0.5]
            e.initialHistory = ["theta": .constant(1)]
            let r = try MassNetwork(e, connectome: c).run().monitors[0]
            XCTAssertEqual(r.value(sample: r.samples - 1, variable: 0, region: 3), 1 + 0.5 * 10, accuracy: 1e-12, "\(scheme)")
        }
        // Convergence order on an uncoupled WilsonCowan node: errors at dt and dt/2 vs a fine RK4.
        func final(_ scheme: IntegrationScheme, _ dt: Double) throws -> Double {
            var e = experiment(c, model: "WilsonCowan", coupling: "Linear", params: ["a": 0], scheme: scheme, dt: dt, duration: 20)
            e.model.params = ["P": 1.5]
            e.initialHistory = ["E": .constant(0.3), "I": .constant(0.1)]
            let r = try MassNetwork(e, connectome: c).run().monitors[0]
            return r.value(sample: r.samples - 1, variable: 0, region: 0)
        }
        let exact = try final(.rk4, 0.01)
        for (scheme, order) in [(IntegrationScheme.euler, 1.0), (.heun, 2.0), (.rk4, 4.0)] {
            let e1 = abs(try final(scheme, 1.0) - exact), e2 = abs(try final(scheme, 0.5) - exact)
            let observed = _log(e1 / e2) / _log(2)
            print("MASS INTEGRATOR \(scheme): order \(observed)")
            XCTAssertEqual(observed, order, accuracy: 0.35, "\(scheme)")
        }
    }

    /// Additive noise has TVB's meaning: dW = sqrt(2 D dt) z, so a free phase diffuses with
    /// variance 2 D t. Different seeds give different paths; the same seed the same.
    func testNoiseHasTVBsDiffusionCoefficient() throws {
        let n = 400
        let c = Connectome(labels: (0..<n).map { "r\($0)" }, weights: [Double](repeating: 0, count: n * n),
                           tractLengths: [Double](repeating: 0, count: n * n))
        let D = 0.01
        var e = experiment(c, model: "Kuramoto", coupling: "Kuramoto", params: ["a": 0], scheme: .euler, stochastic: true, dt: 0.5, duration: 100)
        e.model.params = ["omega": 0]
        e.integrator.nsig = [D]
        e.initialHistory = ["theta": .constant(0)]
        e.monitors = [MonitorDescription(.subSample, period: 100)]
        let r = try MassNetwork(e, connectome: c).run().monitors[0]
        var v = 0.0
        for i in 0..<n { let x = r.value(sample: 0, variable: 0, region: i); v += x * x }
        v /= Double(n)
        print("MASS NOISE: variance \(v), expected \(2 * D * 100)")
        XCTAssertEqual(v, 2 * D * 100, accuracy: 0.2 * 2 * D * 100)
        let again = try MassNetwork(e, connectome: c).run().monitors[0]
        XCTAssertEqual(again.values, r.values)
        e.seed = 12
        XCTAssertNotEqual(try MassNetwork(e, connectome: c).run().monitors[0].values, r.values)
    }

    /// Monitors: time stamps and values follow TVB (raw k*dt; sub-sample every istep; temporal
    /// average = mean of the window stamped at its centre).
    func testMonitorsFollowTVB() throws {
        let c = try smallConnectome(8)
        let e = experiment(c, model: "Generic2dOscillator", coupling: "Linear", params: ["a": 0.05], dt: 0.1, duration: 3,
                           monitors: [MonitorDescription(.raw), MonitorDescription(.subSample, period: 0.5),
                                      MonitorDescription(.temporalAverage, period: 1), MonitorDescription(.raw, variables: ["V", "W"])])
        let r = try MassNetwork(e, connectome: c).run()
        let raw = r.monitors[0], sub = r.monitors[1], tavg = r.monitors[2], both = r.monitors[3]
        XCTAssertEqual(raw.samples, 30)
        XCTAssertEqual(raw.times[0], 0.1, accuracy: 1e-12)
        assertClose(sub.times, [0.5, 1.0, 1.5, 2.0, 2.5, 3.0], accuracy: 1e-12)
        XCTAssertEqual(sub.value(sample: 1, variable: 0, region: 2), raw.value(sample: 9, variable: 0, region: 2))
        assertClose(tavg.times, [0.5, 1.5, 2.5], accuracy: 1e-12)
        var s = 0.0
        for k in 10..<20 { s += raw.value(sample: k, variable: 0, region: 4) }
        XCTAssertEqual(tavg.value(sample: 1, variable: 0, region: 4), s / 10, accuracy: 1e-15)
        XCTAssertEqual(both.variables, ["V", "W"])
        XCTAssertEqual(both.value(sample: 5, variable: 0, region: 1), raw.value(sample: 5, variable: 0, region: 1))
    }

    func testSyntheticConnectome() throws {
        let n = 100
        let c = try Connectome.synthetic(regions: n, density: 0.27, seed: 1)
        XCTAssertEqual(c.nonzeroCount, 2 * Int((0.27 * Double(n * (n - 1) / 2)).rounded()))
        XCTAssertTrue(c.isUndirected)
        XCTAssertTrue((0..<n).allSatisfy { c.weights[$0 * n + $0] == 0 })
        XCTAssertEqual(c.weights.reduce(0, +) / Double(n), Connectome.connectivity76MeanInStrength, accuracy: 1e-9)
        XCTAssertEqual(try Connectome.synthetic(regions: n, density: 0.27, seed: 1), c, "seeded")
        XCTAssertNotEqual(try Connectome.synthetic(regions: n, density: 0.27, seed: 2).weights, c.weights)
        for i in 0..<n { XCTAssertLessThanOrEqual(c.centres[3 * i] * c.centres[3 * i] / 4900 + c.centres[3 * i + 1] * c.centres[3 * i + 1] / 7225
                                                  + c.centres[3 * i + 2] * c.centres[3 * i + 2] / 3600, 1 + 1e-12) }
        // Links prefer near pairs.
        var near = 0.0, far = 0.0, nn = 0.0, nf = 0.0
        for q in 0..<(n * n) where c.tractLengths[q] > 0 {
            if c.tractLengths[q] < 40 { near += c.weights[q] != 0 ? 1 : 0; nn += 1 } else { far += c.weights[q] != 0 ? 1 : 0; nf += 1 }
        }
        XCTAssertGreaterThan(near / nn, far / nf)
        XCTAssertEqual(Connectome.hemispheres(fromLabels: ["rA", "Lb", "lC"]), [true, false, false])
        XCTAssertEqual(Connectome.hemispheres(fromLabels: ["A_R", "B_L"]), [true, false])
        XCTAssertNil(Connectome.hemispheres(fromLabels: ["A", "rB"]))
    }

    /// A sweep over coupling strength x speed: the table does not depend on the thread count, and
    /// each point equals a plain run with that point's parameters.
    func testSweep() throws {
        let c = try smallConnectome(16)
        var e = experiment(c, model: "ReducedWongWang", coupling: "Linear", params: ["a": 0.01], stochastic: true, dt: 0.5, duration: 400,
                           monitors: [MonitorDescription(.temporalAverage, period: 4)])
        e.integrator.nsig = [1e-5]
        e.fc = FCDescription(monitor: 0, discard: 100)
        e.sweep = [SweepAxis("coupling.a", [0.0, 0.05]), SweepAxis("speed", [2, 6])]
        let one = try MassSweep(e, connectome: c, threads: 1).run()
        let two = try MassSweep(e, connectome: c, threads: 2).run()
        XCTAssertEqual(one.count, 4)
        XCTAssertEqual(one.map(\.values), [[0, 2], [0, 6], [0.05, 2], [0.05, 6]])
        XCTAssertEqual(one.map(\.mean), two.map(\.mean))
        XCTAssertEqual(one.map { $0.fcSC ?? -9 }, two.map { $0.fcSC ?? -9 })
        XCTAssertTrue(one.allSatisfy { $0.error == nil && $0.fcSC != nil })
        var p = e
        p.coupling.params["a"] = 0.05
        p.speed = 6
        p.sweep = []
        let r = try MassNetwork(p, connectome: c).run()
        let fc = try FCResult(r, connectome: c, description: p.fc)
        XCTAssertEqual(one[3].fcSC, fc.fcSC)
        XCTAssertThrowsError(try MassSweep({ var x = e; x.sweep = [SweepAxis("model.nope", [1])]; return x }(), connectome: c))
    }

    /// A sweep over ranks (as threads of one process, the code an MPI launch runs): rank 0
    /// gathers the same table, point for point and bit for bit, as one process computes; the
    /// other ranks return nothing. A failed point travels with its message.
    func testSweepOverRanksGathersTheSameTable() throws {
        let c = try smallConnectome(12)
        var e = experiment(c, model: "ReducedWongWang", coupling: "Linear", params: ["a": 0.01], stochastic: true, dt: 0.5, duration: 200,
                           monitors: [MonitorDescription(.temporalAverage, period: 4)])
        e.integrator.nsig = [1e-5]
        e.fc = FCDescription(monitor: 0, discard: 50)
        e.sweep = [SweepAxis("coupling.a", [0.0, 0.02, 0.05, 0.1]), SweepAxis("noise.nsig", [1e-5, 1e-4])]
        let one = try MassSweep(e, connectome: c, threads: 1).run(lanes: 4)
        XCTAssertEqual(one.count, 8)
        XCTAssertTrue(one.allSatisfy { $0.error == nil })
        let group = InProcessRanks(size: 3)
        final class Tables: @unchecked Sendable { var byRank = [[SweepPoint]](repeating: [], count: 3); let lock = NSLock() }
        let tables = Tables()
        let base = e
        group.run { comm in
            let points = (try? MassSweep(base, connectome: c, threads: 2).run(lanes: 4, communicator: comm)) ?? []
            tables.lock.lock(); tables.byRank[comm.rank] = points; tables.lock.unlock()
        }
        let gathered = tables.byRank[0]
        XCTAssertEqual(gathered.count, one.count)
        XCTAssertEqual(gathered.map(\.values), one.map(\.values))
        XCTAssertEqual(gathered.map(\.mean.bitPattern), one.map(\.mean.bitPattern))
        XCTAssertEqual(gathered.map(\.std.bitPattern), one.map(\.std.bitPattern))
        XCTAssertEqual(gathered.map { $0.fcSC?.bitPattern }, one.map { $0.fcSC?.bitPattern })
        XCTAssertEqual(gathered.map(\.error), one.map(\.error))
        XCTAssertTrue(tables.byRank[1].isEmpty && tables.byRank[2].isEmpty)
        // The gather's encoding keeps a missing FC, NaNs and an error message.
        var bytes: [UInt8] = []
        let failed = SweepPoint(values: [1e6, -0.0], fcSC: nil, fcFC: 0.25, mean: .nan, std: .infinity, seconds: 1.5, error: "blow-up at t = 3 ms (\"V\")")
        SweepPoint.encode(index: 41, failed, into: &bytes)
        SweepPoint.encode(index: 2, one[2], into: &bytes)
        var at = 0
        let (k, back) = SweepPoint.decode(bytes, at: &at)
        XCTAssertEqual(k, 41)
        XCTAssertEqual(back.values.map(\.bitPattern), failed.values.map(\.bitPattern))
        XCTAssertNil(back.fcSC)
        XCTAssertEqual(back.fcFC, 0.25)
        XCTAssertTrue(back.mean.isNaN)
        XCTAssertEqual(back.std, .infinity)
        XCTAssertEqual(back.error, failed.error)
        let (k2, back2) = SweepPoint.decode(bytes, at: &at)
        XCTAssertEqual(k2, 2)
        XCTAssertEqual(back2.fcSC, one[2].fcSC)
        XCTAssertNil(back2.error)
        XCTAssertEqual(at, bytes.count)
    }

    /// The example experiment files decode into the descriptions they describe.
    func testExampleFilesDecode() throws {
        for name in ["tvb76.yaml", "tvb76_rww_bold.yaml", "tvb76_sweep.yaml", "tvb76_epileptor_eeg.yaml", "tvb76_surface.yaml"] {
            let path = Repo.file("examples/\(name)").path
            let e = try MassExperimentFile.load(path)
            XCTAssertEqual(e.connectivity, .tvbData("connectivity_76"), name)
            XCTAssertGreaterThan(e.duration, 0)
            if name.contains("sweep") { XCTAssertEqual(e.sweep.count, 2) }
        }
    }
}

func assertClose(_ a: [Double], _ b: [Double], accuracy: Double, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, message, file: file, line: line) }
}
