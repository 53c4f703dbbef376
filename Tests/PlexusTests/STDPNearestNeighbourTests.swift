import XCTest
@testable import Plexus

/// stdp_nn_symm_synapse against NEST 3.10 (tools/nest_reference/stdp_nn_symm.py regenerates
/// Tests/Fixtures/stdp_nn_symm_*): the weight after every pre spike within 1e-12.
final class STDPNearestNeighbourTests: XCTestCase {
    func testSymmetricNearestNeighbourMatchesNEST() throws {
        let proto = try Reference.json("stdp_nn_symm_protocol.json")
        let ref = try Reference.csv("stdp_nn_symm_weights.csv")
        let pre = proto["pre_ms"] as! [Double], post = proto["post_ms"] as! [Double]
        let cases = proto["cases"] as! [[String: Any]]
        // Parrots fire at the listed times: their generators are 1 ms ahead, with 1 ms delays.
        let q = { (ts: [Double]) in ParameterValue.list(ts.map { Quantity($0 - 1, "ms") }) }
        var populations = [
            PopulationDescription(name: "sg_pre", model: "spike_generator", params: ["spike_times": q(pre)]),
            PopulationDescription(name: "sg_post", model: "spike_generator", params: ["spike_times": q(post)]),
            PopulationDescription(name: "pre", model: "parrot_neuron"),
        ]
        var connections = [ConnectionDescription(source: "sg_pre", target: "pre")]
        for (k, c) in cases.enumerated() {
            populations.append(PopulationDescription(name: "post\(k)", model: "parrot_neuron",
                                                     params: ["tau_minus": .number(c["tau_minus"] as! Double, "ms")]))
            connections.append(ConnectionDescription(source: "sg_post", target: "post\(k)"))
            // Receptor 1: the post parrot's spikes are its own train, the synapse only learns.
            connections.append(ConnectionDescription(source: "pre", target: "post\(k)", synapse: SynapseDescription(
                model: "stdp_nn_symm_synapse", weight: .constant(Quantity(c["weight"] as! Double)),
                delay: .constant(Quantity(c["delay"] as! Double, "ms")),
                parameters: (c["synapse"] as! [String: Double]).mapValues { Quantity($0) }, receptor: 1, recordWeights: true)))
        }
        let exp = PointExperiment(duration: Quantity(proto["duration"] as! Double, "ms"), populations: populations,
                                  connections: connections, recordings: [.spikes(population: "pre")])
        let net = try PointNetwork(exp)
        let res = try net.run()
        XCTAssertEqual(res.spikes[0].times, pre, "the pre parrot fires at the requested times")
        var worst = 0.0
        for k in cases.indices {
            let gid = net.populations.first { $0.name == "post\(k)" }!.firstNode + 1
            let mine = res.weights.filter { $0.target == gid }
            let rows = ref["case"]!.indices.filter { Int(ref["case"]![$0]) == k }
            let times = rows.map { ref["t_pre_ms"]![$0] }, weights = rows.map { ref["weight"]![$0] }
            XCTAssertEqual(mine.map(\.time), times, "case \(k): one weight per pre spike, at its time")
            XCTAssertEqual(mine.count, weights.count)
            for (w, nest) in zip(mine.map(\.weight), weights) {
                XCTAssertEqual(w, nest, accuracy: 1e-12, "case \(k)")
                worst = max(worst, abs(w - nest))
            }
            XCTAssertGreaterThan(Set(weights).count, weights.count / 2, "case \(k): the protocol must change the weight")
        }
        print("stdp_nn_symm_synapse: max |dw| \(worst) over \(ref["weight"]!.count) pre spikes")
    }

    func testWeightAndWmaxOfOtherSigns() throws {
        let exp = { (w: Distribution, wmax: Double) in
            PointExperiment(duration: Quantity(1, "ms"), populations: [PopulationDescription(name: "a", model: "iaf_psc_alpha", size: 2)],
                            connections: [ConnectionDescription(source: "a", target: "a", synapse: SynapseDescription(
                                model: "stdp_nn_symm_synapse", weight: w, parameters: ["Wmax": Quantity(wmax)]))])
        }
        XCTAssertThrowsError(try PointNetwork(exp(.constant(Quantity(10)), -50))) { e in
            XCTAssertEqual((e as? PlexusError)?.keyPath, "connections[0].synapse.weight", "\(e)")
        }
        XCTAssertThrowsError(try PointNetwork(exp(.uniform(min: Quantity(-5), max: Quantity(5)), 50))) { e in
            XCTAssertEqual((e as? PlexusError)?.keyPath, "connections[0].synapse.weight", "\(e)")
        }
        XCTAssertNoThrow(try PointNetwork(exp(.uniform(min: Quantity(-5), max: Quantity(-1)), -50)))
    }
}
