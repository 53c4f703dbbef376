import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusIO

/// NEST's random streams (NestRandom.swift) against the draws of the same generators compiled
/// from NEST's seeding header and libstdc++ (tools/nest_rng/make_reference.sh): raw words,
/// uniforms, normals (with the saved second value) and Poisson counts on both of libstdc++'s
/// methods, from one distribution object whose mean changes as NEST's poisson_generator's does.
final class NestRandomTests: XCTestCase {
    func testStreamsMatchNESTsGeneratorsDrawForDraw() throws {
        let text = try String(contentsOf: Repo.fixtures.appendingPathComponent("nest_rng_reference.txt"), encoding: .utf8)
        var engine = MT19937_64()
        var normal = LibstdcxxNormal()
        var poisson = LibstdcxxPoisson()
        var key: (UInt32, Int) = (0, -1)
        var checked = 0
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            let seed = UInt32(f[1])!, vp = Int(f[2])!
            if key != (seed, vp) {
                key = (seed, vp)
                engine = NestRandom.virtualProcess(vp, seed: seed)
                normal = LibstdcxxNormal()
                poisson = LibstdcxxPoisson()
            }
            switch f[0] {
            case "raw":
                for v in f[3...] { XCTAssertEqual(engine.next(), UInt64(v)!, "\(line)"); checked += 1 }
            case "uniform":
                for v in f[3...] { XCTAssertEqual(engine.canonical(), Double(v)!, "\(line)"); checked += 1 }
            case "normal":
                for v in f[3...] { XCTAssertEqual(normal.next(&engine), Double(v)!, "\(line)"); checked += 1 }
            case "poisson":
                poisson.setMean(Double(f[3])!)
                for v in f[4...] { XCTAssertEqual(poisson.next(&engine), Int(v)!, "\(line)"); checked += 1 }
            default: XCTFail("unknown line \(line)")
            }
        }
        XCTAssertEqual(checked, 4 * (4 + 4 + 7 + 9 * 12))
    }

    func testDefaultSeededEngineIsTheStandardsMT19937_64() {
        // The C++ standard fixes the 10000th draw of a default-constructed mt19937_64.
        var engine = MT19937_64()
        for _ in 0..<9999 { _ = engine.next() }
        XCTAssertEqual(engine.next(), 9_981_545_732_273_789_042)
    }
}

/// The point engine with `kernel: {random_streams: nest}`: NEST's own numbers are checked by the
/// Python tests (python/tests/test_nest.py, case random_streams, against NEST 3.10); these check
/// the engine's rules and the file's errors.
final class NestStreamsEngineTests: XCTestCase {
    static let yaml = """
    resolution: 0.1 ms
    duration: 60 ms
    seed: 12345
    kernel: {random_streams: nest, total_num_virtual_procs: 3}
    populations:
      parrots: {model: parrot_neuron, size: 7}
      n: {model: iaf_psc_alpha, size: 4, params: {I_e: 150 pA}}
      pg: {model: poisson_generator, params: {rate: 30000 Hz}}
      fast: {model: poisson_generator, params: {rate: 150000 Hz, start: 5 ms}}
      noise: {model: noise_generator, params: {std: 80 pA, dt: 0.5 ms}}
    connections:
      - {source: pg, target: parrots}
      - {source: fast, target: parrots, synapse: {delay: 2 ms}}
      - {source: pg, target: n, synapse: {weight: 20}}
      - {source: noise, target: n}
    record:
      - {type: spike_recorder, population: parrots}
      - {type: multimeter, population: n, variables: [V_m], interval: 0.5 ms}
    """

    func run(threads: Int, yaml: String = yaml) throws -> PointResults {
        try PointNetwork(try ExperimentFile.decode(yaml, file: "nest_streams.yaml"), threads: threads).run()
    }

    /// NEST's virtual processes, not Plexus's threads, decide the numbers.
    func testNumbersDependOnVirtualProcessesNotThreads() throws {
        let one = try run(threads: 1)
        XCTAssertGreaterThan(one.spikes[0].times.count, 500)
        let two = try run(threads: 2)
        XCTAssertEqual(one.spikes[0].times, two.spikes[0].times)
        XCTAssertEqual(one.spikes[0].gids, two.spikes[0].gids)
        XCTAssertEqual(one.states[0].values[0].map(\.bitPattern), two.states[0].values[0].map(\.bitPattern))
        let otherVPs = try run(threads: 1, yaml: Self.yaml.replacingOccurrences(of: "total_num_virtual_procs: 3", with: "total_num_virtual_procs: 2"))
        XCTAssertNotEqual(one.spikes[0].times, otherVPs.spikes[0].times)
        let plexusStreams = try run(threads: 1, yaml: Self.yaml.replacingOccurrences(of: "kernel: {random_streams: nest, total_num_virtual_procs: 3}", with: ""))
        XCTAssertNotEqual(one.spikes[0].times, plexusStreams.spikes[0].times)
    }

    /// NEST draws slice by slice (min_delay): the slice length orders the draws of generators
    /// that share a virtual process, so the kernel's min_delay changes the numbers; one longer
    /// than a synapse's delay is refused, as NEST refuses the synapse.
    func testMinDelayOrdersTheDraws() throws {
        let computed = try run(threads: 1)
        let given = Self.yaml.replacingOccurrences(of: "total_num_virtual_procs: 3}", with: "total_num_virtual_procs: 3, min_delay: 0.1 ms}")
        let sliced = try run(threads: 1, yaml: given)
        XCTAssertNotEqual(computed.spikes[0].times, sliced.spikes[0].times)
        XCTAssertEqual(sliced.spikes[0].times, try run(threads: 2, yaml: given).spikes[0].times)
        let tooLong = Self.yaml.replacingOccurrences(of: "total_num_virtual_procs: 3}", with: "total_num_virtual_procs: 3, min_delay: 3 ms}")
            .replacingOccurrences(of: "connections:", with: "connections:\n  - {source: n, target: n, synapse: {delay: 2 ms}}")
        XCTAssertThrowsError(try run(threads: 1, yaml: tooLong)) { e in
            XCTAssertTrue("\(e)".contains("min_delay 3.0 ms is longer than the smallest synapse delay, 2.0 ms"), "\(e)")
            XCTAssertTrue("\(e)".contains("kernel.min_delay"), "\(e)")
        }
        let offGrid = Self.yaml.replacingOccurrences(of: "total_num_virtual_procs: 3}", with: "total_num_virtual_procs: 3, min_delay: 0.15 ms}")
        XCTAssertThrowsError(try run(threads: 1, yaml: offGrid)) { e in
            XCTAssertTrue("\(e)".contains("must be a multiple of the resolution"), "\(e)")
        }
    }

    /// NEST's gids (recorders numbered too) decide the targets' VPs: other gids, other numbers;
    /// one gid per node.
    func testNestGidsDecideTheVirtualProcesses() throws {
        let plain = try run(threads: 1)
        let nodes = 7 + 4 + 3
        let shifted = Self.yaml.replacingOccurrences(of: "total_num_virtual_procs: 3}",
                                                     with: "total_num_virtual_procs: 3, nest_gids: \((2...(nodes + 1)).map { $0 })}")
        XCTAssertNotEqual(plain.spikes[0].times, try run(threads: 1, yaml: shifted).spikes[0].times)
        let asDefault = Self.yaml.replacingOccurrences(of: "total_num_virtual_procs: 3}",
                                                       with: "total_num_virtual_procs: 3, nest_gids: \((1...nodes).map { $0 })}")
        XCTAssertEqual(plain.spikes[0].times, try run(threads: 1, yaml: asDefault).spikes[0].times)
        let short = Self.yaml.replacingOccurrences(of: "total_num_virtual_procs: 3}", with: "total_num_virtual_procs: 3, nest_gids: [1, 2]}")
        XCTAssertThrowsError(try run(threads: 1, yaml: short)) { e in
            XCTAssertTrue("\(e)".contains("nest_gids has 2 gids for \(nodes) nodes"), "\(e)")
        }
    }

    /// NEST draws random initial values and random rules' connections from the same streams, in
    /// the script's order (`nest_draw_points`: after how many statements a population's values
    /// were set); threads do not change them; the points are checked.
    func testBuildDrawsFollowTheScriptsOrder() throws {
        let yaml = Self.yaml
            .replacingOccurrences(of: "params: {I_e: 150 pA}}", with: "params: {I_e: 150 pA, V_m: {distribution: normal, mean: -60 mV, std: 4 mV}}}")
            .replacingOccurrences(of: "connections:", with: "connections:\n  - {source: parrots, target: n, rule: fixed_indegree, indegree: 3, synapse: {weight: 30}}")
        let first = try run(threads: 1, yaml: yaml)
        XCTAssertEqual(first.states[0].values[0].map(\.bitPattern), try run(threads: 2, yaml: yaml).states[0].values[0].map(\.bitPattern))
        XCTAssertTrue(first.spikes[0].times == (try run(threads: 2, yaml: yaml)).spikes[0].times)
        let after = yaml.replacingOccurrences(of: "total_num_virtual_procs: 3}", with: "total_num_virtual_procs: 3, nest_draw_points: {n: 1}}")
        let later = try run(threads: 1, yaml: after)
        XCTAssertNotEqual(first.states[0].values[0][0], later.states[0].values[0][0])
        // The same draws in another order: the devices' draws after the build are the same.
        XCTAssertTrue(first.spikes[0].times == later.spikes[0].times)
        // rng_seed set after the build: the devices draw from fresh streams, as if nothing had
        // drawn before them.
        let plain = try run(threads: 1)
        XCTAssertFalse(first.spikes[0].times == plain.spikes[0].times)
        let reseeded = yaml.replacingOccurrences(of: "total_num_virtual_procs: 3}", with: "total_num_virtual_procs: 3, nest_build_seed: 7}")
        let fresh = try run(threads: 1, yaml: reseeded)
        XCTAssertTrue(fresh.spikes[0].times == plain.spikes[0].times)
        XCTAssertNotEqual(fresh.states[0].values[0][0], first.states[0].values[0][0])
        for (points, message) in [("{m: 1}", "no population named 'm'"), ("{n: 6}", "must be at most the 5 connection statements")] {
            let bad = yaml.replacingOccurrences(of: "total_num_virtual_procs: 3}", with: "total_num_virtual_procs: 3, nest_draw_points: \(points)}")
            XCTAssertThrowsError(try run(threads: 1, yaml: bad)) { e in
                XCTAssertTrue("\(e)".contains(message), "\(e)")
                XCTAssertTrue("\(e)".contains("kernel.nest_draw_points"), "\(e)")
            }
        }
    }

    /// A network whose drawn connections would not fit is refused before anything is drawn.
    func testTooManyDrawnConnectionsAreRefused() throws {
        let yaml = Self.yaml.replacingOccurrences(of: "connections:", with: "connections:\n  - {source: parrots, target: n, rule: fixed_indegree, indegree: 1000000000000}")
        let started = Date()
        XCTAssertThrowsError(try run(threads: 1, yaml: yaml)) { e in
            XCTAssertTrue("\(e)".contains("connections[0]"), "\(e)")
            XCTAssertTrue("\(e)".contains("memory") || "\(e)".contains("bytes"), "\(e)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testBadSettingsAreRefusedWithTheirLine() {
        let cases: [(String, String, String)] = [
            ("random_streams: nest, total_num_virtual_procs: 3", "random_streams: nset", "unknown random_streams 'nset' (did you mean 'nest'?)"),
            ("random_streams: nest, total_num_virtual_procs: 3", "random_streams: plexus, total_num_virtual_procs: 3", "total_num_virtual_procs applies to random_streams: nest"),
            ("total_num_virtual_procs: 3", "total_num_virtual_procs: 0", "total_num_virtual_procs must be in 1...4096, got 0"),
            ("seed: 12345", "seed: 0", "seed must be in (0, 2^32) with random_streams: nest"),
            ("seed: 12345", "seed: 4294967296", "seed must be in (0, 2^32) with random_streams: nest"),
            ("total_num_virtual_procs: 3}", "total_num_virtual_procs: 3, nest_gids: [1, 0.5]}", "nest_gids[1] = 0.5 is not a gid"),
            ("random_streams: nest, total_num_virtual_procs: 3", "random_streams: plexus, nest_draw_points: {n: 1}", "nest_draw_points applies to random_streams: nest"),
            ("total_num_virtual_procs: 3}", "total_num_virtual_procs: 3, nest_draw_points: {n: -1}}", "nest_draw_points.n must be a whole number >= 0, got -1"),
            ("total_num_virtual_procs: 3}", "total_num_virtual_procs: 3, nest_build_seed: 0}", "nest_build_seed must be in (0, 2^32)"),
        ]
        for (old, new, message) in cases {
            let yaml = Self.yaml.replacingOccurrences(of: old, with: new)
            XCTAssertThrowsError(try ExperimentFile.decode(yaml, file: "nest_streams.yaml"), new) { e in
                let text = "\(e)"
                XCTAssertTrue(text.contains(message), "\(new): \(text)")
                XCTAssertTrue(text.contains("nest_streams.yaml"), "\(new): \(text)")
            }
        }
    }
}
