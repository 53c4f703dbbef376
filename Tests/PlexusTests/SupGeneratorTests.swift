import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusIO
@testable import PlexusPoint

/// gamma_sup_generator, ppd_sup_generator and sinusoidal_poisson_generator: with
/// `random_streams: nest`, spike for spike NEST 3.10's (tools/nest_reference/sup_generators.py made Tests/Fixtures/sup_generators.json); with
/// Plexus's streams, the statistics of the processes (rate, CV, dead time), the same for any
/// threads.
final class SupGeneratorTests: XCTestCase {
    /// A scenario of the fixture as Plexus's file: the generators, then 4 parrots each, in NEST's
    /// creation order (so the gids and the generators' update order are NEST's).
    static func yaml(_ scenario: [String: Any], seed: Int, parrots: Int, kernel: String) throws -> String {
        let generators = try XCTUnwrap(scenario["generators"] as? [[String: Any]])
        let units = ["rate": "Hz", "frequency": "Hz", "amplitude": "Hz", "dead_time": "ms", "start": "ms", "stop": "ms"]
        var lines = ["resolution: \(try XCTUnwrap(scenario["resolution_ms"] as? Double)) ms", "duration: \(try XCTUnwrap(scenario["duration_ms"] as? Double)) ms", "seed: \(seed)",
                     kernel, "populations:"]
        for (k, g) in generators.enumerated() {
            let params = try XCTUnwrap(g["params"] as? [String: Double]).sorted { $0.key < $1.key }
                .map { "\($0.key): \($0.value)\(units[$0.key].map { " " + $0 } ?? "")" }.joined(separator: ", ")
            lines.append("  g\(k): {model: \(try XCTUnwrap(g["model"] as? String)), params: {\(params)}}")
        }
        for k in generators.indices { lines.append("  p\(k): {model: parrot_neuron, size: \(parrots)}") }
        lines.append("connections:")
        for k in generators.indices { lines.append("  - {source: g\(k), target: p\(k), synapse: {weight: 1, delay: 1 ms}}") }
        lines.append("record:")
        for k in generators.indices { lines.append("  - {type: spike_recorder, population: p\(k)}") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The recorded rows as (time, gid) → rows, sorted as the fixture.
    static func counted(_ results: PointResults) -> [(time: Double, gid: Int, count: Int)] {
        var counts: [Key: Int] = [:]
        for r in results.spikes {
            for (t, g) in zip(r.times, r.gids) { counts[Key(time: t, gid: g), default: 0] += 1 }
        }
        return counts.sorted { ($0.key.time, $0.key.gid) < ($1.key.time, $1.key.gid) }.map { ($0.key.time, $0.key.gid, $0.value) }
    }
    struct Key: Hashable { var time: Double; var gid: Int }

    func testSpikesAreNESTsWithNESTsStreams() throws {
        let ref = try Reference.json("sup_generators.json")
        let scenarios = try XCTUnwrap(ref["scenarios"] as? [String: [String: Any]])
        let seed = try XCTUnwrap(ref["seed"] as? Int), parrots = try XCTUnwrap(ref["parrots_per_generator"] as? Int)
        XCTAssertEqual(scenarios.count, 5)
        for (name, s) in scenarios.sorted(by: { $0.key < $1.key }) {
            let vps = try XCTUnwrap(s["vps"] as? Int)
            let text = try Self.yaml(s, seed: seed, parrots: parrots,
                                     kernel: "kernel: {random_streams: nest, total_num_virtual_procs: \(vps)}")
            for threads in [1, 2] {
                let res = try PointNetwork(try ExperimentFile.decode(text, file: "\(name).yaml"), threads: threads).run()
                let got = Self.counted(res)
                let times = try XCTUnwrap(s["times_ms"] as? [Double]), senders = try XCTUnwrap(s["senders"] as? [Int])
                let counts = try XCTUnwrap(s["counts"] as? [Int])
                XCTAssertGreaterThan(times.count, 300, name)
                XCTAssertEqual(got.count, times.count, "\(name), \(threads) threads: rows")
                var firstDifference: Int? = nil
                for i in 0..<min(got.count, times.count) {
                    let g = got[i]
                    let same = abs(g.time - times[i]) <= 1e-9 && g.gid == senders[i] && g.count == counts[i]
                    if !same {
                        firstDifference = i
                        break
                    }
                }
                if let i = firstDifference {
                    XCTFail("\(name), \(threads) threads: row \(i) is \(got[i]), NEST's (\(times[i]), \(senders[i]), \(counts[i]))")
                }
            }
        }
    }

    static func run(_ model: String, _ params: String, parrots: Int = 40, duration: Double = 10000, threads: Int = 1,
                    seed: Int = 7) throws -> [Int: [Double]] {
        let text = """
        resolution: 0.1 ms
        duration: \(duration) ms
        seed: \(seed)
        populations:
          g: {model: \(model), params: {\(params)}}
          p: {model: parrot_neuron, size: \(parrots)}
        connections:
          - {source: g, target: p, synapse: {delay: 1 ms}}
        record:
          - {type: spike_recorder, population: p}
        """
        let res = try PointNetwork(try ExperimentFile.decode(text, file: "sup.yaml"), threads: threads).run()
        var trains: [Int: [Double]] = [:]
        for (t, g) in zip(res.spikes[0].times, res.spikes[0].gids) { trains[g, default: []].append(t) }
        return trains
    }

    static func intervals(_ trains: [Int: [Double]]) -> [Double] {
        trains.values.flatMap { t in zip(t.dropFirst(), t).map { $0 - $1 } }
    }

    static func cv(_ x: [Double]) -> Double {
        let m = x.reduce(0, +) / Double(x.count)
        let v = x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count - 1)
        return v.squareRoot() / m
    }

    /// One gamma process of shape k: rate as asked, CV 1/√k; trains of different targets differ,
    /// and the numbers do not depend on threads.
    func testGammaStatisticsWithPlexusStreams() throws {
        let trains = try Self.run("gamma_sup_generator", "rate: 20 Hz, gamma_shape: 4, n_proc: 1")
        XCTAssertEqual(trains.count, 40)
        let total = trains.values.reduce(0) { $0 + $1.count }
        // 40 trains × 10 s × 20 Hz = 8000 spikes; a gamma(4) count has sd ≈ √(8000/4) ≈ 45.
        XCTAssertEqual(Double(total), 8000, accuracy: 250)
        XCTAssertEqual(Self.cv(Self.intervals(trains)), 0.5, accuracy: 0.03)
        XCTAssertNotNil(trains[2])
        XCTAssertNotEqual(trains[2], trains[3])
        let two = try Self.run("gamma_sup_generator", "rate: 20 Hz, gamma_shape: 4, n_proc: 1", threads: 2)
        XCTAssertEqual(trains, two)
        let other = try Self.run("gamma_sup_generator", "rate: 20 Hz, gamma_shape: 4, n_proc: 1", seed: 8)
        XCTAssertNotEqual(trains, other)
        // A superposition of many: the rate n_proc × rate, nearly Poisson (CV near 1).
        let many = try Self.run("gamma_sup_generator", "rate: 5 Hz, gamma_shape: 3, n_proc: 400", parrots: 4, duration: 2000)
        let manyTotal = many.values.reduce(0) { $0 + $1.count }
        XCTAssertEqual(Double(manyTotal), 4 * 2 * 5 * 400, accuracy: 4 * 2 * 5 * 400 * 0.04)
    }

    /// One Poisson process with dead time d: no interval shorter than d, rate as asked, the CV of
    /// a shifted exponential (1 - rate·d).
    func testPpdStatisticsWithPlexusStreams() throws {
        let trains = try Self.run("ppd_sup_generator", "rate: 50 Hz, dead_time: 5 ms, n_proc: 1")
        let isi = Self.intervals(trains)
        XCTAssertGreaterThanOrEqual(isi.min()!, 5 - 1e-9)
        let total = trains.values.reduce(0) { $0 + $1.count }
        XCTAssertEqual(Double(total), 40 * 10 * 50, accuracy: 40 * 10 * 50 * 0.04)
        XCTAssertEqual(Self.cv(isi), 0.75, accuracy: 0.03)
        XCTAssertEqual(trains, try Self.run("ppd_sup_generator", "rate: 50 Hz, dead_time: 5 ms, n_proc: 1", threads: 2))
        // Rate modulation: more spikes in the sine's positive half period.
        let mod = try Self.run("ppd_sup_generator", "rate: 50 Hz, dead_time: 2 ms, n_proc: 20, frequency: 5 Hz, relative_amplitude: 1",
                               parrots: 4, duration: 4000)
        let times = mod.values.flatMap { $0 }
        let up = times.filter { $0.truncatingRemainder(dividingBy: 200) < 100 }.count
        XCTAssertGreaterThan(Double(up), 0.6 * Double(times.count))
    }

    /// sinusoidal_poisson_generator with Plexus's streams: the mean rate, more spikes where the
    /// sine is up, independent trains per target or one shared train, the same for any threads.
    func testSinusoidalStatisticsWithPlexusStreams() throws {
        let params = "rate: 50 Hz, amplitude: 40 Hz, frequency: 5 Hz"
        let trains = try Self.run("sinusoidal_poisson_generator", params, duration: 4000)
        let times = trains.values.flatMap { $0 }
        let expected: Double = 40 * 4 * 50
        XCTAssertEqual(Double(times.count), expected, accuracy: expected * 0.05)
        // sin(2π·5 Hz·t) > 0 in the first 100 ms of every 200 (spikes arrive 1.1 ms later).
        let up = times.filter { ($0 - 1.1).truncatingRemainder(dividingBy: 200) < 100 }.count
        let upFraction: Double = 0.5 + 40 / (50 * Double.pi)
        XCTAssertEqual(Double(up) / Double(times.count), upFraction, accuracy: 0.03)
        XCTAssertNotNil(trains[2])
        XCTAssertNotEqual(trains[2], trains[3])
        XCTAssertEqual(trains, try Self.run("sinusoidal_poisson_generator", params, duration: 4000, threads: 2))
        let shared = try Self.run("sinusoidal_poisson_generator", params + ", individual_spike_trains: 0", parrots: 5, duration: 1000)
        XCTAssertEqual(shared.count, 5)
        XCTAssertGreaterThan(shared[2]?.count ?? 0, 20)
        for g in 3...6 { XCTAssertEqual(shared[g], shared[2]) }
    }

    /// Values NEST refuses are refused, naming the parameter.
    func testBadParametersAreRefusedWithTheirKeyPath() {
        let cases: [(String, String, String)] = [
            ("gamma_sup_generator", "rate: -1 Hz", "populations.g.params.rate"),
            ("gamma_sup_generator", "gamma_shape: 0", "populations.g.params.gamma_shape"),
            ("gamma_sup_generator", "gamma_shape: 1.5", "populations.g.params.gamma_shape"),
            ("gamma_sup_generator", "n_proc: 0", "populations.g.params.n_proc"),
            ("gamma_sup_generator", "rate: 5000 Hz, gamma_shape: 3", "populations.g.params.rate"),
            ("ppd_sup_generator", "rate: -5 Hz", "populations.g.params.rate"),
            ("ppd_sup_generator", "dead_time: -1 ms", "populations.g.params.dead_time"),
            ("ppd_sup_generator", "rate: 200 Hz, dead_time: 5 ms", "populations.g.params.rate"),
            ("ppd_sup_generator", "n_proc: 0", "populations.g.params.n_proc"),
            ("ppd_sup_generator", "relative_amplitude: 1.5", "populations.g.params.relative_amplitude"),
            ("ppd_sup_generator", "relative_amplitude: -0.1", "populations.g.params.relative_amplitude"),
            ("ppd_sup_generator", "stop: 1 ms, start: 2 ms", "populations.g.params.stop"),
            ("sinusoidal_poisson_generator", "individual_spike_trains: 2", "populations.g.params.individual_spike_trains"),
        ]
        for (model, params, keyPath) in cases {
            XCTAssertThrowsError(try Self.run(model, params, parrots: 1, duration: 1), "\(model) \(params)") { e in
                XCTAssertEqual((e as? PlexusError)?.keyPath, keyPath, "\(model) \(params): \(e)")
            }
        }
    }
}

/// pulsepacket_generator: with `random_streams: nest`, spike for spike NEST 3.10's
/// (tools/nest_reference/pulsepacket_generator.py made Tests/Fixtures/pulsepacket_generator.json:
/// packets drawn in the first slice, later ones, an activity window, sdev 0, and a
/// poisson_generator whose draws interleave with theirs); with Plexus's streams, the packets'
/// statistics.
final class PulsepacketGeneratorTests: XCTestCase {
    static let units = ["rate": "Hz", "sdev": "ms", "start": "ms", "stop": "ms"]

    static func value(_ key: String, _ v: Any) throws -> String {
        if let list = v as? [Double] { return "[" + list.map { "\($0) ms" }.joined(separator: ", ") + "]" }
        let x = try XCTUnwrap(v as? Double)
        return "\(x)\(units[key].map { " " + $0 } ?? "")"
    }

    func testSpikesAreNESTsWithNESTsStreams() throws {
        let ref = try Reference.json("pulsepacket_generator.json")
        let generators = try XCTUnwrap(ref["generators"] as? [[String: Any]])
        var lines = ["resolution: 0.1 ms", "duration: \(try XCTUnwrap(ref["duration_ms"] as? Double)) ms",
                     "seed: \(try XCTUnwrap(ref["seed"] as? Int))", "kernel: {random_streams: nest, total_num_virtual_procs: 1}",
                     "populations:"]
        for (k, g) in generators.enumerated() {
            let params = try XCTUnwrap(g["params"] as? [String: Any]).sorted { $0.key < $1.key }
                .map { "\($0.key): \(try Self.value($0.key, $0.value))" }.joined(separator: ", ")
            lines.append("  g\(k): {model: \(try XCTUnwrap(g["model"] as? String)), params: {\(params)}}")
        }
        for k in generators.indices { lines.append("  p\(k): {model: parrot_neuron, size: 2}") }
        lines.append("connections:")
        for k in generators.indices { lines.append("  - {source: g\(k), target: p\(k), synapse: {weight: 1, delay: 1 ms}}") }
        lines.append("record:")
        for k in generators.indices { lines.append("  - {type: spike_recorder, population: p\(k)}") }
        let text = lines.joined(separator: "\n") + "\n"
        let times = try XCTUnwrap(ref["times_ms"] as? [Double]), senders = try XCTUnwrap(ref["senders"] as? [Int])
        let counts = try XCTUnwrap(ref["counts"] as? [Int])
        XCTAssertGreaterThan(times.count, 500)
        for threads in [1, 2] {
            let got = SupGeneratorTests.counted(try PointNetwork(try ExperimentFile.decode(text, file: "pp.yaml"), threads: threads).run())
            XCTAssertEqual(got.count, times.count, "\(threads) threads: rows")
            for i in 0..<min(got.count, times.count) {
                let g = got[i]
                if abs(g.time - times[i]) > 1e-9 || g.gid != senders[i] || g.count != counts[i] {
                    XCTFail("\(threads) threads: row \(i) is \(g), NEST's (\(times[i]), \(senders[i]), \(counts[i]))")
                    break
                }
            }
        }
    }

    func run(_ params: String, seed: Int = 3, threads: Int = 1, kernel: String = "") throws -> PointResults {
        let text = """
        resolution: 0.1 ms
        duration: 400 ms
        seed: \(seed)
        \(kernel)
        populations:
          g: {model: pulsepacket_generator, params: {\(params)}}
          p: {model: parrot_neuron, size: 3}
        connections:
          - {source: g, target: p, synapse: {delay: 1 ms}}
        record:
          - {type: spike_recorder, population: p}
        """
        return try PointNetwork(try ExperimentFile.decode(text, file: "pp.yaml"), threads: threads).run()
    }

    /// Plexus's streams: `activity` spikes per packet around its centre with spread `sdev`, the
    /// same train to every target, independent of threads, other for another seed.
    func testPacketsWithPlexusStreams() throws {
        let res = try run("pulse_times: [100 ms, 250 ms], activity: 400, sdev: 8 ms")
        let s = res.spikes[0]
        var trains: [Int: [Double]] = [:]
        for (t, g) in zip(s.times, s.gids) { trains[g, default: []].append(t) }
        XCTAssertEqual(trains.count, 3)
        XCTAssertEqual(trains[2], trains[3], "one train for every target")
        let train = try XCTUnwrap(trains[2])
        XCTAssertEqual(train.count, 800)
        for centre in [100.0, 250.0] {
            // Sent in step ceil(x/h), stamped a step later, and 1 ms of delay.
            let packet = train.filter { abs($0 - centre) < 80 }.map { $0 - 1.1 }
            XCTAssertEqual(packet.count, 400)
            let mean = packet.reduce(0, +) / 400
            let sd = (packet.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 399).squareRoot()
            XCTAssertEqual(mean, centre, accuracy: 1.5)
            XCTAssertEqual(sd, 8, accuracy: 0.8)
        }
        XCTAssertEqual(s.times, try run("pulse_times: [100 ms, 250 ms], activity: 400, sdev: 8 ms", threads: 2).spikes[0].times)
        XCTAssertNotEqual(s.times, try run("pulse_times: [100 ms, 250 ms], activity: 400, sdev: 8 ms", seed: 4).spikes[0].times)
        // sdev 0: every spike at the centre's step; the window drops a packet outside it.
        let exact = try run("pulse_times: [50 ms, 300 ms], activity: 5, sdev: 0 ms, stop: 200 ms").spikes[0]
        XCTAssertEqual(exact.times, Array(repeating: 51.1, count: 15))
    }

    func testBadParametersAndSettingsAreRefused() {
        for (params, keyPath) in [("activity: -1", "populations.g.params.activity"), ("activity: 2.5", "populations.g.params.activity"),
                                  ("sdev: -1 ms", "populations.g.params.sdev")] {
            XCTAssertThrowsError(try run(params)) { e in
                XCTAssertEqual((e as? PlexusError)?.keyPath, keyPath, "\(params): \(e)")
            }
        }
        XCTAssertThrowsError(try run("pulse_times: [10 ms], activity: 2", kernel: "kernel: {random_streams: nest, total_num_virtual_procs: 2}")) { e in
            XCTAssertEqual((e as? PlexusError)?.keyPath, "populations.g", "\(e)")
        }
    }
}
