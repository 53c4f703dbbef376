import XCTest
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusSession
@testable import PlexusIO
import Foundation

/// Connection rules produce what NEST's rules promise, and the same network for any thread count.
final class ConnectionRuleTests: XCTestCase {
    func network(_ rule: ConnectionRule, src: Int = 50, tgt: Int = 40, same: Bool = false, autapses: Bool = true,
                 multapses: Bool = true, weight: Distribution = .constant(Quantity(1)),
                 delay: Distribution = .constant(Quantity(1, "ms")), threads: Int = 1, seed: UInt64 = 3) throws -> PointNetwork {
        var pops = [PopulationDescription(name: "A", model: "iaf_psc_delta", size: src)]
        if !same { pops.append(PopulationDescription(name: "B", model: "iaf_psc_delta", size: tgt)) }
        let exp = PointExperiment(duration: Quantity(1, "ms"), seed: seed, populations: pops, connections: [
            ConnectionDescription(source: "A", target: same ? "A" : "B", rule: rule, allowAutapses: autapses,
                                  allowMultapses: multapses, synapse: SynapseDescription(weight: weight, delay: delay))])
        return try PointNetwork(exp, threads: threads)
    }

    func indegrees(_ s: [SynapseInfo]) -> [Int: Int] { s.reduce(into: [:]) { $0[$1.target, default: 0] += 1 } }
    func outdegrees(_ s: [SynapseInfo]) -> [Int: Int] { s.reduce(into: [:]) { $0[$1.source, default: 0] += 1 } }

    func testAllToAllAndOneToOne() throws {
        XCTAssertEqual(try network(.allToAll).synapses().count, 50 * 40)
        let a2a = try network(.allToAll, same: true, autapses: false).synapses()
        XCTAssertEqual(a2a.count, 50 * 49)
        XCTAssertFalse(a2a.contains { $0.source == $0.target })
        let o2o = try network(.oneToOne, src: 30, tgt: 30).synapses()
        XCTAssertEqual(o2o.map(\.target), o2o.map { $0.source + 30 })
        XCTAssertThrowsError(try network(.oneToOne, src: 30, tgt: 31))
    }

    /// An explicit list (NEST's Connect of node-id arrays, PyNN's FromListConnector): exactly the
    /// pairs listed, a pair twice is two synapses, the same for any thread count; bad lists are
    /// refused with the key path of the entry, in YAML with its line.
    func testPairs() throws {
        let sources = [0, 3, 3, 49, 7], targets = [5, 0, 0, 39, 5]
        for threads in [1, 2] {
            let s = try network(ConnectionRule(Pairs(sources: sources, targets: targets)), threads: threads).synapses()
            XCTAssertEqual(s.map { [$0.source, $0.target] }.sorted { $0.lexicographicallyPrecedes($1) },
                           zip(sources, targets).map { [$0 + 1, $1 + 51] }.sorted { $0.lexicographicallyPrecedes($1) }, "\(threads) threads")
        }
        XCTAssertThrowsError(try network(ConnectionRule(Pairs(sources: [0, 50], targets: [1, 2])))) {
            XCTAssertEqual(($0 as! PlexusError).keyPath, "connections[0].sources[1]")
        }
        XCTAssertThrowsError(try network(ConnectionRule(Pairs(sources: [0], targets: [40])))) {
            XCTAssertEqual(($0 as! PlexusError).keyPath, "connections[0].targets[0]")
        }
        XCTAssertThrowsError(try network(ConnectionRule(Pairs(sources: [1, 2], targets: [2, 2])), same: true, autapses: false)) {
            XCTAssert(($0 as! PlexusError).message.contains("to itself"))
        }
        XCTAssertThrowsError(try Pairs(sources: [0, 1], targets: [0]))
        XCTAssertThrowsError(try Pairs(sources: [-1], targets: [0]))

        let yaml = """
        duration: 5 ms
        populations:
          a: {model: hh_psc_alpha_gap, size: 4}
          s: {model: spike_generator, params: {spike_times: [1 ms]}}
        connections:
          - {source: a, target: a, rule: pairs, sources: [0, 2], targets: [1, 3], make_symmetric: true, synapse: {model: gap_junction, weight: 0.5}}
          - {source: s, target: a, rule: pairs, sources: [0], targets: [2], synapse: {weight: 100}}
          - {source: a, target: a, rule: pairs, sources: [0, 1], targets: 3}
        """
        let folder = temporaryFolder()
        let file = folder.file("pairs.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Session.run(RunRequest(file: file.path, out: folder.file("run").path, quiet: true, noReport: true))) {
            let e = $0 as! PlexusError
            XCTAssertEqual(e.line, 8, e.message)   // the third statement
            XCTAssert(e.message.contains("takes a list of whole numbers"), e.message)
        }
        try yaml.replacingOccurrences(of: "targets: 3}", with: "targets: [3, 3]}").write(to: file, atomically: true, encoding: .utf8)
        let run = try Session.run(RunRequest(file: file.path, out: folder.file("run").path, quiet: true, noReport: true))
        XCTAssertEqual(run.record.counts.first { $0.name == "synapses" }?.value, 3)

        // Long lists in .npy files beside the experiment, with a weight and delay per pair.
        try Data(NpyFormat.file(shape: [3], values: [0, 1, 1])).write(to: folder.file("s.npy"))
        try Data(NpyFormat.file(shape: [3], values: [3, 3, 2])).write(to: folder.file("t.npy"))
        try Data(NpyFormat.file(shape: [3], values: [5, 6, 7])).write(to: folder.file("w.npy"))
        try yaml.replacingOccurrences(of: "sources: [0, 1], targets: 3}",
                                      with: "sources: {npy: s.npy}, targets: {npy: t.npy}, weights: {npy: w.npy}, delays: [1.5, 2, 2.5]}")
            .write(to: file, atomically: true, encoding: .utf8)
        let network = try PointNetwork(ExperimentFile.decode(try ExperimentSource(contentsOf: file.path)))
        let third = network.synapses().filter { $0.source <= 4 && $0.target <= 4 }
        XCTAssertEqual(third.map { [Double($0.source), Double($0.target), $0.weight, $0.delay] }.sorted { $0.lexicographicallyPrecedes($1) },
                       [[1, 4, 5, 1.5], [2, 3, 7, 2.5], [2, 4, 6, 2]])
        try Data(NpyFormat.file(shape: [3], values: [0, 1.5, 1])).write(to: folder.file("s.npy"))
        XCTAssertThrowsError(try PointNetwork(ExperimentFile.decode(try ExperimentSource(contentsOf: file.path)))) {
            XCTAssert(($0 as! PlexusError).message.contains("sources[1] = 1.5 is not a whole number"), "\($0)")
        }
        try Data(NpyFormat.file(shape: [3], values: [0, 1, 1])).write(to: folder.file("s.npy"))
        try FileManager.default.removeItem(at: folder.file("w.npy"))
        XCTAssertThrowsError(try PointNetwork(ExperimentFile.decode(try ExperimentSource(contentsOf: file.path)))) {
            XCTAssert(($0 as! PlexusError).message.contains("w.npy"), "\($0)")
            XCTAssertEqual(($0 as! PlexusError).line, 8)
        }
    }

    func testFixedIndegree() throws {
        let s = try network(.fixedIndegree(20), same: true, autapses: false, multapses: false).synapses()
        XCTAssertEqual(indegrees(s).count, 50)
        XCTAssert(indegrees(s).values.allSatisfy { $0 == 20 })
        XCTAssertFalse(s.contains { $0.source == $0.target }, "no autapses")
        XCTAssertEqual(Set(s.map { [$0.source, $0.target] }).count, s.count, "no multapses")
        XCTAssertThrowsError(try network(.fixedIndegree(50), same: true, autapses: false, multapses: false), "only 49 sources exist")
    }

    func testFixedOutdegree() throws {
        let s = try network(.fixedOutdegree(15), multapses: false).synapses()
        XCTAssertEqual(outdegrees(s).count, 50)
        XCTAssert(outdegrees(s).values.allSatisfy { $0 == 15 })
        XCTAssertEqual(Set(s.map { [$0.source, $0.target] }).count, s.count)
    }

    func testFixedTotalNumber() throws {
        let s = try network(.fixedTotalNumber(777)).synapses()
        XCTAssertEqual(s.count, 777)
        // Targets are chosen uniformly: every one of the 40 should get some of ~19.
        XCTAssertEqual(indegrees(s).count, 40)
    }

    func testPairwiseBernoulli() throws {
        let s = try network(.pairwiseBernoulli(0.2), src: 200, tgt: 200).synapses()
        // 40,000 pairs, p = 0.2: 8000 ± 80 (sd); 5 sd bounds.
        XCTAssertEqual(Double(s.count), 8000, accuracy: 400)
        XCTAssertEqual(try network(.pairwiseBernoulli(1), src: 10, tgt: 10).synapses().count, 100)
        XCTAssertEqual(try network(.pairwiseBernoulli(0), src: 10, tgt: 10).synapses().count, 0)
    }

    func testWeightAndDelayDistributions() throws {
        let s = try network(.allToAll, src: 100, tgt: 100,
                            weight: .normalClipped(mean: Quantity(2), std: Quantity(1), min: Quantity(1.5), max: Quantity(3)),
                            delay: .uniform(min: Quantity(1, "ms"), max: Quantity(3, "ms"))).synapses()
        XCTAssert(s.allSatisfy { $0.weight >= 1.5 && $0.weight <= 3 })
        XCTAssert(s.allSatisfy { $0.delay >= 1 && $0.delay <= 3 })
        // Delays are whole steps of 0.1 ms.
        XCTAssert(s.allSatisfy { abs($0.delay * 10 - ($0.delay * 10).rounded()) < 1e-9 })
        let mean = s.map(\.delay).reduce(0, +) / Double(s.count)
        XCTAssertEqual(mean, 2, accuracy: 0.05)
        XCTAssertThrowsError(try network(.allToAll, delay: .uniform(min: Quantity(0, "ms"), max: Quantity(0.01, "ms")))) { e in
            XCTAssert("\(e)".contains("below the resolution"), "\(e)")
        }
    }

    /// The network does not depend on the number of threads (draws are keyed by gid).
    func testSameNetworkForAnyThreadCount() throws {
        for rule in [ConnectionRule.fixedIndegree(10), .fixedOutdegree(10), .pairwiseBernoulli(0.1), .fixedTotalNumber(500)] {
            let key = { (s: SynapseInfo) in [s.source, s.target, Int(s.delay * 10)] }
            let one = try network(rule, weight: .normal(mean: Quantity(1), std: Quantity(0.1)),
                                  delay: .uniform(min: Quantity(1, "ms"), max: Quantity(2, "ms")), threads: 1).synapses()
            let two = try network(rule, weight: .normal(mean: Quantity(1), std: Quantity(0.1)),
                                  delay: .uniform(min: Quantity(1, "ms"), max: Quantity(2, "ms")), threads: 2).synapses()
            XCTAssertEqual(one.map(key).sorted { $0.lexicographicallyPrecedes($1) }, two.map(key).sorted { $0.lexicographicallyPrecedes($1) }, "\(rule)")
            XCTAssertEqual(one.map(\.weight).sorted(), two.map(\.weight).sorted(), "\(rule)")
        }
    }
}

/// The counter-based generator and the samplers built on it.
final class RandomTests: XCTestCase {
    func testStreamsAreReproducibleAndDistinct() {
        // Draw first, assert after: mutating a captured stream inside XCTAssert's autoclosure
        // crashed a debug build.
        func draws(seed: UInt64, id: UInt64) -> [UInt32] {
            var r = RandomStream(seed: seed, purpose: .user, id: id)
            return (0..<8).map { _ in r.nextUInt32() }
        }
        let a = draws(seed: 1, id: 5), b = draws(seed: 1, id: 5), c = draws(seed: 1, id: 6), d = draws(seed: 2, id: 5)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertNotEqual(a, d)
    }

    func testMomentsOfDistributions() {
        var r = RandomStream(seed: 9, purpose: .user, id: 0)
        let n = 100_000
        func moments(_ f: () -> Double) -> (Double, Double) {
            var s = 0.0, s2 = 0.0
            for _ in 0..<n { let x = f(); s += x; s2 += x * x }
            let m = s / Double(n)
            return (m, s2 / Double(n) - m * m)
        }
        let u = moments { r.nextDouble() }
        XCTAssertEqual(u.0, 0.5, accuracy: 0.005); XCTAssertEqual(u.1, 1.0 / 12, accuracy: 0.002)
        let g = moments { r.nextNormal() }
        XCTAssertEqual(g.0, 0, accuracy: 0.01); XCTAssertEqual(g.1, 1, accuracy: 0.02)
        for lambda in [0.3, 2.0, 20.0, 150.0] {
            let p = moments { Double(r.nextPoisson(lambda)) }
            XCTAssertEqual(p.0, lambda, accuracy: 5 * (lambda / Double(n)).squareRoot() + 1e-3, "Poisson mean, lambda \(lambda)")
            XCTAssertEqual(p.1, lambda, accuracy: 0.03 * lambda + 0.01, "Poisson variance, lambda \(lambda)")
        }
        let table = PoissonTable(lambda: 2)
        let t = moments { () -> Double in
            let u = r.nextDouble()
            return Double(PoissonTable.count(u, cdf: table.cdf, guide: table.guide, guideCount: table.guide.count))
        }
        XCTAssertEqual(t.0, 2, accuracy: 0.02); XCTAssertEqual(t.1, 2, accuracy: 0.05)
        let b = moments { Double(r.nextBinomial(1000, 0.3)) }
        XCTAssertEqual(b.0, 300, accuracy: 0.5); XCTAssertEqual(b.1, 210, accuracy: 6)
        for k in [1, 7, 1000] { XCTAssert((0..<1000).allSatisfy { _ in (0..<k).contains(r.nextInt(below: k)) }) }
    }
}

/// SHA-256 of provenance records against known digests (FIPS 180-4 vector, and a long input
/// whose digest Python's hashlib gives), through both the buffer and the sequence paths.
final class SHA256Tests: XCTestCase {
    func testKnownDigests() {
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = (0..<1000).flatMap { _ in (0..<256).map { UInt8($0) } }
        let digest = "b57b64b198d5d59ce5a22a9b9f25e72a7d081476d432051aa923f3dbebb90934"
        XCTAssertEqual(SHA256.hex(long), digest)
        XCTAssertEqual(long.withUnsafeBytes { SHA256.hex(buffer: $0) }, digest)
        var split = SHA256()
        long.withUnsafeBytes { all in
            split.update(buffer: UnsafeRawBufferPointer(rebasing: all[0..<100]))
            split.update(buffer: UnsafeRawBufferPointer(rebasing: all[100...]))
        }
        XCTAssertEqual(split.finalize(), digest)
    }
}
