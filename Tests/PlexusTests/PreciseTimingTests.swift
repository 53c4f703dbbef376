import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusIO
@testable import PlexusPoint

/// Precise spike timing (NEST's `_ps` models, off-grid spikes) against NEST 3.10
/// (tools/nest_reference/precise_timing.py writes Tests/Fixtures/precise_timing.json: every case
/// describes its network, which is built here as the same experiment file).
final class PreciseTimingTests: XCTestCase {
    static func fixture() throws -> [String: Any] { try Reference.json("precise_timing.json") }

    /// The experiment file of a fixture case.
    static func yaml(_ c: [String: Any]) -> String {
        let pops = c["populations"] as! [String: Any]
        // JSON objects lose their order: NEST created the populations in the script's order,
        // which the case's connections and recorders do not give; the fixture keeps the order in
        // the gids it recorded, so sort by the first gid seen, devices and neurons alike.
        let order = (c["population_order"] as? [String]) ?? pops.keys.sorted()
        func unit(_ target: String) -> String {
            let model = (pops[target] as! [String: Any])["model"] as! String
            switch model {
            case "iaf_psc_delta_ps", "iaf_psc_delta": return " mV"
            case "parrot_neuron_ps", "parrot_neuron": return ""
            default: return " pA"
            }
        }
        func number(_ v: Double) -> String { "\(v)" }
        var y = "resolution: 0.1 ms\nduration: \(number(c["duration"] as! Double)) ms\npopulations:\n"
        for name in order {
            let p = pops[name] as! [String: Any]
            let params = p["params"] as? [String: Any] ?? [:]
            var items: [String] = []
            for (k, v) in params.sorted(by: { $0.key < $1.key }) {
                switch k {
                case "spike_times": items.append("spike_times: [\((v as! [Double]).map { "\(number($0)) ms" }.joined(separator: ", "))]")
                case "precise_times": items.append("precise_times: \((v as! Bool) ? "true" : "false")")
                case "I_e": items.append("I_e: \(number(v as! Double)) pA")
                default: items.append("\(k): \(number(v as! Double)) ms")
                }
            }
            y += "  \(name): {model: \(p["model"] as! String), size: \(p["size"] as? Int ?? 1), params: {\(items.joined(separator: ", "))}}\n"
        }
        y += "connections:\n"
        for conn in c["connections"] as! [[String: Any]] {
            let t = conn["target"] as! String
            y += "  - {source: \(conn["source"] as! String), target: \(t), rule: all_to_all, synapse: {weight: \(number(conn["weight"] as! Double))\(unit(t)), delay: \(number(conn["delay"] as! Double)) ms}}\n"
        }
        y += "record:\n"
        for n in c["record_spikes"] as! [String] { y += "  - {type: spike_recorder, population: \(n)}\n" }
        for n in c["record_vm"] as? [String] ?? [] { y += "  - {type: multimeter, population: \(n), variables: [V_m], interval: 0.1 ms}\n" }
        return y
    }

    static func run(_ c: [String: Any], threads: Int = 1) throws -> PointResults {
        try PointNetwork(ExperimentFile.decode(yaml(c), file: "\(c["name"] as! String).yaml"), threads: threads).run()
    }

    /// Spike times of every precise model, its V_m every step, and the spikes through chains of
    /// precise, grid and parrot neurons, as NEST 3.10 computes them.
    func testModelsMatchNEST() throws {
        let cases = try XCTUnwrap(Self.fixture()["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 9)
        for c in cases {
            let name = c["name"] as! String
            let res = try Self.run(c)
            let nest = c["nest"] as! [String: Any]
            for (pop, ref) in nest["spikes"] as! [String: [String: [Any]]] {
                let got = try XCTUnwrap(res.spikes.first { $0.population == pop }, "\(name): \(pop) recorded")
                let times = ref["times"] as! [Double], senders = (ref["senders"] as! [NSNumber]).map(\.intValue)
                XCTAssertEqual(got.gids, senders, "\(name): \(pop) senders")
                XCTAssertEqual(got.times.count, times.count, "\(name): \(pop) spike count")
                var worst = 0.0
                for (a, b) in zip(got.times, times) { worst = max(worst, abs(a - b)) }
                XCTAssertLessThanOrEqual(worst, Self.spikeTolerance, "\(name): \(pop) spike times")
            }
            for (pop, ref) in nest["vm"] as! [String: [String: [Double]]] {
                let got = try XCTUnwrap(res.states.first { $0.population == pop }, "\(name): \(pop) sampled")
                let vm = ref["V_m"]!
                XCTAssertEqual(got.times.count, vm.count, "\(name): \(pop) samples")
                var worst = 0.0
                for (a, b) in zip(got.values[0], vm) { worst = max(worst, abs(a - b)) }
                XCTAssertLessThanOrEqual(worst, Self.vmTolerance, "\(name): \(pop) V_m")
                for (a, b) in zip(got.times, ref["times"]!) where abs(a - b) > 1e-9 {
                    XCTFail("\(name): \(pop) sample at \(a), NEST at \(b)"); break
                }
            }
        }
    }

    static let spikeTolerance = 1e-12   // ms
    static let vmTolerance = 1e-11      // mV
}
