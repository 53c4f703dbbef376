import XCTest
@testable import Plexus

/// Plastic synapses against NEST 3.10 (../shared/reference/nest/plasticity): weights within
/// 1e-9, membrane potentials within 1e-6 mV.
final class PlasticityTests: XCTestCase {
    /// Two parrots driven by their own spike generators (delay 1 ms, so they fire at the given
    /// times), connected by an stdp_synapse on the post parrot's receptor 1 (updated, not repeated).
    func stdpRun(pre: [Double], post: [Double], duration: Double, parameters: [String: Quantity] = [:]) throws -> PointResults {
        let q = { (ts: [Double]) in ts.map { Quantity(($0 - 1) * 10 / 10, "ms") } }
        let exp = PointExperiment(
            duration: Quantity(duration, "ms"),
            populations: [
                PopulationDescription(name: "sg_pre", model: "spike_generator", params: ["spike_times": .list(q(pre))]),
                PopulationDescription(name: "sg_post", model: "spike_generator", params: ["spike_times": .list(q(post))]),
                PopulationDescription(name: "pre", model: "parrot_neuron"),
                PopulationDescription(name: "post", model: "parrot_neuron"),
            ],
            connections: [
                ConnectionDescription(source: "sg_pre", target: "pre"),
                ConnectionDescription(source: "sg_post", target: "post"),
                ConnectionDescription(source: "pre", target: "post", synapse: SynapseDescription(
                    model: "stdp_synapse", weight: .constant(Quantity(50)), delay: .constant(Quantity(1, "ms")),
                    parameters: parameters, receptor: 1, recordWeights: true)),
            ],
            recordings: [.spikes(population: "pre"), .spikes(population: "post")])
        return try PointNetwork(exp).run()
    }

    func testSTDPPairingProtocol() throws {
        let pre = try Reference.csv("nest/plasticity/stdp_pairs_pre_spikes.csv")["t_ms"]!
        let post = try Reference.csv("nest/plasticity/stdp_pairs_post_spikes.csv")["t_ms"]!
        let ref = try Reference.csv("nest/plasticity/stdp_pairs_weights.csv")
        let res = try stdpRun(pre: pre, post: post, duration: 1000)
        XCTAssertEqual(res.spikes[0].times, pre, "the pre parrot fires at the requested times")
        XCTAssertEqual(res.spikes[1].times, post, "receptor 1: the post parrot ignores the plastic input")
        XCTAssertEqual(res.weights.map(\.time), ref["t_pre_ms"]!)
        XCTAssertEqual(res.weights.count, ref["weight"]!.count)
        for (mine, nest) in zip(res.weights.map(\.weight), ref["weight"]!) {
            XCTAssertEqual(mine, nest, accuracy: 1e-9)
        }
    }

    func testSTDPWindow() throws {
        let ref = try Reference.csv("nest/plasticity/stdp_window.csv")
        for (dt, dw) in zip(ref["dt_post_minus_pre_ms"]!, ref["dw"]!) {
            let res = try stdpRun(pre: [100, 600], post: [100 + dt], duration: 700)
            XCTAssertEqual(res.weights.last!.weight - 50, dw, accuracy: 1e-9, "dt = \(dt) ms")
        }
    }

    /// tsodyks_synapse: a 20 Hz train and a recovery probe into iaf_psc_exp (tau_syn_ex = tau_psc).
    func tsodyks(_ variant: String, _ params: [String: Quantity]) throws {
        let pre = (1...14).map { 50.0 * Double($0) } + [950]
        let exp = PointExperiment(
            duration: Quantity(1000, "ms"),
            populations: [
                PopulationDescription(name: "sg", model: "spike_generator", params: ["spike_times": .list(pre.map { Quantity($0 - 1, "ms") })]),
                PopulationDescription(name: "parrot", model: "parrot_neuron"),
                PopulationDescription(name: "n", model: "iaf_psc_exp", params: ["tau_syn_ex": .number(3, "ms")]),
            ],
            connections: [
                ConnectionDescription(source: "sg", target: "parrot"),
                ConnectionDescription(source: "parrot", target: "n", synapse: SynapseDescription(
                    model: "tsodyks_synapse", weight: .constant(Quantity(500, "pA")), delay: .constant(Quantity(1, "ms")), parameters: params)),
            ],
            recordings: [.multimeter(population: "n", variables: ["V_m", "I_syn_ex"], interval: Quantity(0.1, "ms"))])
        let ref = try Reference.csv("nest/plasticity/tsodyks_\(variant)_vm.csv")
        let res = try PointNetwork(exp).run().states[0]
        XCTAssertEqual(res.times.count, ref["t_ms"]!.count)
        let dv = zip(res.values[0], ref["V_m"]!).map { abs($0 - $1) }.max()!
        let di = zip(res.values[1], ref["I_syn_ex"]!).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(dv, 1e-6, "\(variant): V_m")
        XCTAssertLessThanOrEqual(di, 1e-6, "\(variant): I_syn_ex (pA)")
    }

    func testTsodyksDepressing() throws { try tsodyks("depressing", [:]) }

    func testTsodyksFacilitating() throws {
        try tsodyks("facilitating", ["U": Quantity(0.1), "tau_rec": Quantity(100, "ms"), "tau_fac": Quantity(1000, "ms")])
    }

    /// Same plastic network, same weights, whatever the thread count.
    func testPlasticNetworkIsThreadIndependent() throws {
        func run(_ threads: Int) throws -> PointResults {
            let exp = PointExperiment(
                duration: Quantity(300, "ms"), seed: 5,
                populations: [
                    PopulationDescription(name: "E", model: "iaf_psc_alpha", size: 200, params: ["I_e": .number(300, "pA"),
                        "V_m": .distribution(.uniform(min: Quantity(-70, "mV"), max: Quantity(-55, "mV")))]),
                    PopulationDescription(name: "pg", model: "poisson_generator", params: ["rate": .number(8000, "Hz")]),
                ],
                connections: [
                    ConnectionDescription(source: "pg", target: "E", synapse: SynapseDescription(weight: .constant(Quantity(30, "pA")))),
                    ConnectionDescription(source: "E", target: "E", rule: .fixedIndegree(20), synapse: SynapseDescription(
                        model: "stdp_synapse", weight: .uniform(min: Quantity(10), max: Quantity(40)),
                        delay: .uniform(min: Quantity(1, "ms"), max: Quantity(2, "ms")), recordWeights: true)),
                ],
                recordings: [.spikes(population: "E")])
            return try PointNetwork(exp, threads: threads).run()
        }
        let a = try run(1), b = try run(2)
        XCTAssertGreaterThan(a.weights.count, 1000)
        XCTAssertEqual(a.weights, b.weights)
        XCTAssertEqual(a.spikes[0].times, b.spikes[0].times)
        XCTAssertNotEqual(Set(a.weights.map(\.weight)).count, 1, "weights must have changed")
    }

    /// stdp_triplet_synapse against a NEST 3.10 run of a triplet-rich protocol
    /// (tools/nest_reference/stdp_triplet.py regenerates Tests/Fixtures/stdp_triplet_*).
    func testSTDPTripletMatchesNEST() throws {
        let fixtures = Repo.fixtures
        let proto = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("stdp_triplet_protocol.json"))) as! [String: Any]
        let pre = proto["pre_ms"] as! [Double], post = proto["post_ms"] as! [Double]
        let syn = (proto["synapse"] as! [String: Double]).mapValues { Quantity($0) }
        let q = { (ts: [Double]) in ts.map { Quantity($0 - 1, "ms") } }
        let exp = PointExperiment(
            duration: Quantity(1000, "ms"),
            populations: [
                PopulationDescription(name: "sg_pre", model: "spike_generator", params: ["spike_times": .list(q(pre))]),
                PopulationDescription(name: "sg_post", model: "spike_generator", params: ["spike_times": .list(q(post))]),
                PopulationDescription(name: "pre", model: "parrot_neuron"),
                PopulationDescription(name: "post", model: "parrot_neuron", params: [
                    "tau_minus": .number(proto["tau_minus"] as! Double, "ms"),
                    "tau_minus_triplet": .number(proto["tau_minus_triplet"] as! Double, "ms")]),
            ],
            connections: [
                ConnectionDescription(source: "sg_pre", target: "pre"),
                ConnectionDescription(source: "sg_post", target: "post"),
                ConnectionDescription(source: "pre", target: "post", synapse: SynapseDescription(
                    model: "stdp_triplet_synapse", weight: .constant(Quantity(proto["weight"] as! Double)),
                    delay: .constant(Quantity(proto["delay"] as! Double, "ms")), parameters: syn, receptor: 1, recordWeights: true)),
            ])
        let res = try PointNetwork(exp).run()
        let text = try String(contentsOf: fixtures.appendingPathComponent("stdp_triplet_weights.csv"), encoding: .utf8)
        let ref = text.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map { Double($0)! } }
        XCTAssertEqual(res.weights.count, ref.count)
        for (mine, nest) in zip(res.weights, ref) {
            XCTAssertEqual(mine.time, nest[0], accuracy: 1e-9)
            XCTAssertEqual(mine.weight, nest[1], accuracy: 1e-9, "t = \(nest[0]) ms")
        }
        XCTAssertNotEqual(ref.first![1], ref.last![1], "the protocol must change the weight")
    }

    func testBadPlasticParameters() throws {
        func build(_ syn: SynapseDescription, target: String = "iaf_psc_alpha") -> PlexusError? {
            let exp = PointExperiment(duration: Quantity(1, "ms"), populations: [
                PopulationDescription(name: "a", model: target, size: 2)],
                connections: [ConnectionDescription(source: "a", target: "a", synapse: syn)])
            do { _ = try PointNetwork(exp); return nil } catch let e as PlexusError { return e } catch { return nil }
        }
        let negTau = build(SynapseDescription(model: "stdp_synapse", weight: .constant(Quantity(1)), parameters: ["tau_plus": Quantity(-5, "ms")]))
        XCTAssertEqual(negTau?.keyPath, "connections[0].synapse.tau_plus")
        let overWmax = build(SynapseDescription(model: "stdp_synapse", weight: .constant(Quantity(150)), parameters: ["Wmax": Quantity(100)]))
        XCTAssertEqual(overWmax?.keyPath, "connections[0].synapse.weight")
        XCTAssert(overWmax?.description.contains("weight 150.0 breaks stdp_synapse's condition") == true
                  && overWmax?.description.contains("with Wmax = 100.0") == true, "\(String(describing: overWmax))")
        let unknown = build(SynapseDescription(model: "tsodyks_synapse", parameters: ["tau_foo": Quantity(1)]))
        XCTAssertEqual(unknown?.keyPath, "connections[0].synapse.tau_foo")
        let badU = build(SynapseDescription(model: "tsodyks2_synapse", parameters: ["U": Quantity(1.5)]))
        XCTAssertNotNil(badU)
        let receptor = build(SynapseDescription(receptor: 1))
        XCTAssert(receptor?.description.contains("receptor_type 1") == true)
    }
}
