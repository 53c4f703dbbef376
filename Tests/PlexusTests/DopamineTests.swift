import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusIO

/// stdp_dopamine_synapse with a volume_transmitter against NEST 3.10
/// (tools/nest_reference/stdp_dopamine.py regenerates Tests/Fixtures/stdp_dopamine.json).
final class DopamineTests: XCTestCase {
    static let fixture: [String: Any] = {
        let url = Repo.fixtures.appendingPathComponent("stdp_dopamine.json")
        return (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String: Any] ?? [:]
    }()

    /// The NEST script's network: pre, post and dopamine spikes from spike generators (relayed
    /// by parrots for pre and dopamine), the plastic connection pre → post.
    func experiment(_ name: String, duration: Double, threads: Int = 1) throws -> PointExperiment {
        let f = Self.fixture
        guard let cases = f["cases"] as? [String: Any], let c = cases[name] as? [String: Any] else {
            throw XCTSkip("Tests/Fixtures/stdp_dopamine.json is missing or has no case \(name)")
        }
        let times = { (key: String) in ParameterValue.list((f[key] as! [Double]).map { Quantity($0 - 1, "ms") }) }
        let parrot = (c["target"] as! String) == "parrot_neuron"
        let synapse = (c["synapse"] as! [String: Double]).mapValues { Quantity($0) }
        let postParams: [String: ParameterValue] = ["tau_minus": .number(c["tau_minus"] as! Double, "ms")]
        let one = Distribution.constant(Quantity(1, "ms"))
        return PointExperiment(
            duration: Quantity(duration, "ms"),
            populations: [
                PopulationDescription(name: "sg_pre", model: "spike_generator", params: ["spike_times": times("pre_ms")]),
                PopulationDescription(name: "sg_post", model: "spike_generator", params: ["spike_times": times("post_ms")]),
                PopulationDescription(name: "sg_dopa", model: "spike_generator", params: ["spike_times": times("dopamine_ms")]),
                PopulationDescription(name: "pre", model: "parrot_neuron"),
                PopulationDescription(name: "dopa", model: "parrot_neuron"),
                PopulationDescription(name: "vt", model: "volume_transmitter",
                                      params: ["deliver_interval": .number(c["deliver_interval"] as! Double)]),
                PopulationDescription(name: "post", model: c["target"] as! String, params: postParams),
            ],
            connections: [
                ConnectionDescription(source: "sg_pre", target: "pre", synapse: SynapseDescription(delay: one)),
                ConnectionDescription(source: "sg_dopa", target: "dopa", synapse: SynapseDescription(delay: one)),
                ConnectionDescription(source: "dopa", target: "vt", synapse: SynapseDescription(delay: one)),
                ConnectionDescription(source: "sg_post", target: "post", synapse: SynapseDescription(
                    weight: .constant(Quantity(parrot ? 1 : c["drive_weight"] as! Double)), delay: one)),
                ConnectionDescription(source: "pre", target: "post", synapse: SynapseDescription(
                    model: "stdp_dopamine_synapse", weight: .constant(Quantity(c["weight"] as! Double)),
                    delay: .constant(Quantity(c["delay"] as! Double, "ms")), parameters: synapse,
                    receptor: parrot ? 1 : 0, recordWeights: true, volumeTransmitter: "vt")),
            ],
            recordings: parrot ? [.spikes(population: "post")]
                : [.spikes(population: "post"), .multimeter(population: "post", variables: ["V_m"], interval: Quantity(0.5, "ms"))])
    }

    func check(_ name: String) throws {
        let c = (Self.fixture["cases"] as? [String: Any])?[name] as? [String: Any] ?? [:]
        let duration = Self.fixture["duration"] as? Double ?? 0
        let net = try PointNetwork(try experiment(name, duration: duration))
        let res = try net.run()
        let post = c["post_spikes"] as! [Double]
        XCTAssertEqual(res.spikes[0].times.count, post.count, "\(name): post spikes")
        for (a, b) in zip(res.spikes[0].times, post) { XCTAssertEqual(a, b, accuracy: 1e-9, "\(name): post spike") }
        // The weight after each transmitted pre spike (weight recorder).
        let weights = c["weights"] as! [[Double]]
        XCTAssertEqual(res.weights.map(\.time), weights.map { $0[0] }, "\(name): weight recorder times")
        var worst = 0.0
        for (mine, nest) in zip(res.weights, weights) { worst = max(worst, abs(mine.weight - nest[1])) }
        XCTAssertLessThanOrEqual(worst, 1e-9, "\(name): weight recorder")
        XCTAssertGreaterThan(Set(weights.map { $0[1] }).count, 5, "the protocol must change the weight")
        if let vm = c["V_m"] as? [[Double]] {
            let mine = res.states[0]
            // NEST's multimeter hands over its last min delay (1 ms) of samples only in the next
            // Simulate call: its rows stop at T - 1 ms.
            XCTAssertEqual(mine.times.count, vm.count + 2)
            var dv = 0.0
            for (k, row) in vm.enumerated() where k < mine.times.count {
                XCTAssertEqual(mine.times[k], row[0], accuracy: 1e-9)
                dv = max(dv, abs(mine.values[0][k] - row[1]))
            }
            XCTAssertLessThanOrEqual(dv, 1e-6, "\(name): V_m (mV)")
            print("dopamine \(name): max |dV_m| \(dv) mV")
        }
        print("dopamine \(name): max |dw| \(worst) over \(weights.count) pre spikes")
    }

    func testParrotProtocolMatchesNEST() throws { try check("parrot") }

    func testNeuronProtocolMatchesNEST() throws { try check("neuron") }

    /// The synapse state (weight, eligibility c, dopamine trace n, Kplus) at times inside the
    /// run, where only the volume transmitter's triggers have moved it: NEST's GetStatus after
    /// Simulate in 10 ms pieces.
    func testSynapseStateBetweenSpikesMatchesNEST() throws {
        let cases = try ["parrot", "neuron"].map { name -> (String, [[Double]]) in
            let c = (Self.fixture["cases"] as? [String: Any])?[name] as? [String: Any] ?? [:]
            guard let states = c["states"] as? [[Double]] else { throw XCTSkip("no states in the fixture") }
            return (name, states)
        }
        for (name, states) in cases {
            var worst = [0.0, 0.0, 0.0, 0.0]
            for row in states.enumerated().filter({ $0.offset % 7 == 3 || $0.offset == states.count - 1 }).map(\.element) {
                let net = try PointNetwork(try experiment(name, duration: row[0]))
                _ = try net.run()
                let syn = net.plasticSynapses().filter { $0.model == "stdp_dopamine_synapse" }
                XCTAssertEqual(syn.count, 1)
                let s = syn[0]
                let mine = [s.weight, s.state["c"]!, s.state["n"]!, s.state["Kplus"]!]
                for k in 0..<4 { worst[k] = max(worst[k], abs(mine[k] - row[k + 1])) }
            }
            print("dopamine \(name) state: max |dw| \(worst[0]), |dc| \(worst[1]), |dn| \(worst[2]), |dKplus| \(worst[3])")
            for k in 0..<4 { XCTAssertLessThanOrEqual(worst[k], 1e-9, "\(name): \(["weight", "c", "n", "Kplus"][k])") }
        }
    }

    func testThreadCountDoesNotChangeResults() throws {
        var exp = try experiment("neuron", duration: 300)
        // Several targets, spread over the threads.
        exp.populations[6].size = 5
        let a = try PointNetwork(exp, threads: 1).run()
        let b = try PointNetwork(exp, threads: 2).run()
        XCTAssertEqual(a.spikes[0].times, b.spikes[0].times)
        XCTAssertEqual(a.spikes[0].gids, b.spikes[0].gids)
        XCTAssertEqual(a.weights, b.weights)
        XCTAssertEqual(a.states[0].values, b.states[0].values)
    }

    /// The provenance record's resolved experiment holds the synapse model's parameters, the
    /// given ones and the defaults, and the volume transmitter.
    func testResolvedExperimentHasSynapseParameters() throws {
        let net = try PointNetwork(try experiment("parrot", duration: 10))
        let resolved = Provenance.resolved(net)
        let conns = try XCTUnwrap(resolved["connections"] as? [[String: Any]])
        let syn = try XCTUnwrap(conns[4]["synapse"] as? [String: Any])
        XCTAssertEqual(syn["volume_transmitter"] as? String, "vt")
        XCTAssertEqual(syn["receptor_type"] as? Int, 1)
        XCTAssertEqual(syn["record_weights"] as? Bool, true)
        let params = try XCTUnwrap(syn["params"] as? [String: Any])
        XCTAssertEqual(params["tau_c"] as? Double, 150)      // given
        XCTAssertEqual(params["Kplus"] as? Double, 0)        // default
        XCTAssertEqual(Set(params.keys), Set(SynapseModel.stdpDopamine.parameters.map(\.name)))
        XCTAssertNil((conns[0]["synapse"] as? [String: Any])?["params"], "a static synapse has no model parameters")
    }

    /// A poisson_generator straight onto volume transmitters: each gets its own train (NEST's
    /// generator draws per target), so the dopamine trace n of a synapse averages the rate
    /// (n jumps by 1/tau_n per spike and decays with tau_n: mean n = rate in spikes per ms).
    func testPoissonGeneratorOntoVolumeTransmitters() throws {
        let k = 20, rate = 50.0
        var pops = [PopulationDescription(name: "pg", model: "poisson_generator", params: ["rate": .number(rate, "Hz")]),
                    PopulationDescription(name: "pre", model: "parrot_neuron"),
                    PopulationDescription(name: "post", model: "parrot_neuron", size: k)]
        var conns: [ConnectionDescription] = []
        for i in 0..<k {
            pops.append(PopulationDescription(name: "vt\(i)", model: "volume_transmitter"))
            conns.append(ConnectionDescription(source: "pg", target: "vt\(i)", synapse: SynapseDescription(delay: .constant(Quantity(1, "ms")))))
            conns.append(ConnectionDescription(source: "pre", target: "post", rule: .fixedTotalNumber(1), synapse: SynapseDescription(
                model: "stdp_dopamine_synapse", weight: .constant(Quantity(10)), delay: .constant(Quantity(1, "ms")),
                parameters: ["tau_n": Quantity(200, "ms")], receptor: 1, volumeTransmitter: "vt\(i)")))
        }
        let exp = PointExperiment(duration: Quantity(2000, "ms"), seed: 9, populations: pops, connections: conns)
        let a = try PointNetwork(exp, threads: 1)
        _ = try a.run()
        let n = a.plasticSynapses().map { $0.state["n"]! }
        XCTAssertEqual(n.count, k)
        let mean = n.reduce(0, +) / Double(k)
        // Shot noise: sd of n = sqrt(rate / (2 tau_n)) = 0.011 per ms; of the mean of 20, 0.0025.
        print("dopamine n from Poisson trains: mean \(mean) (expected \(rate / 1000)), values \(n.prefix(5))")
        XCTAssertEqual(mean, rate / 1000, accuracy: 0.0125)
        XCTAssertGreaterThan(Set(n).count, k / 2, "independent trains per transmitter")
        let b = try PointNetwork(exp, threads: 2)
        _ = try b.run()
        // (listed by thread, so compared as sets of values)
        XCTAssertEqual(b.plasticSynapses().map { $0.state["n"]! }.sorted(), n.sorted(), "the same trains for any thread count")
        // NEST draws these counts in the same stream as the other devices': not emulated, refused.
        var nest = exp
        nest.randomStreams = .nest(virtualProcesses: 1)
        XCTAssertThrowsError(try PointNetwork(nest, threads: 1)) { e in
            XCTAssertTrue("\(e)".contains("a poisson_generator onto a volume_transmitter is not supported with random_streams: nest"), "\(e)")
            XCTAssertTrue("\(e)".contains("kernel.random_streams"), "\(e)")
        }
    }

    // MARK: bad input

    func yamlError(_ yaml: String) -> PlexusError? {
        let url = URL(fileURLWithPath: temporaryFolder("plexus-dopamine").write("experiment.yaml", yaml))
        do {
            _ = try PointNetwork(try ExperimentFile.load(url.path))
            return nil
        } catch let e as PlexusError {
            return ExperimentFile.locate(e, file: url.path, index: ExperimentFile.lineIndex(yaml))
        } catch {
            XCTFail("not a PlexusError: \(error)")
            return nil
        }
    }

    func base(synapse: String, vt: String = "  vt: {model: volume_transmitter}") -> String {
        """
        duration: 100 ms
        populations:
          pre: {model: parrot_neuron}
          post: {model: iaf_psc_alpha}
        \(vt)
        connections:
          - source: pre
            target: post
            synapse: \(synapse)
        """
    }

    func testDopamineSynapseWithoutVolumeTransmitter() throws {
        let e = try XCTUnwrap(yamlError(base(synapse: "{model: stdp_dopamine_synapse, weight: 10}")))
        print("BAD INPUT: \(e)")
        XCTAssertTrue(e.description.contains("No volume transmitter"), e.description)
        XCTAssertEqual(e.line, 9, e.description)
        let notVT = try XCTUnwrap(yamlError(base(synapse: "{model: stdp_dopamine_synapse, weight: 10, volume_transmitter: pre}")))
        XCTAssertTrue(notVT.description.contains("'pre' is not a population of model volume_transmitter"), notVT.description)
        XCTAssertEqual(notVT.line, 9, notVT.description)
        let other = try XCTUnwrap(yamlError(base(synapse: "{model: stdp_synapse, weight: 10, volume_transmitter: vt}")))
        XCTAssertTrue(other.description.contains("takes no volume_transmitter"), other.description)
    }

    func testDopamineParametersOutOfRange() throws {
        for (params, mention) in [("tau_c: -5", "tau_c"), ("tau_n: 0", "tau_n"), ("Wmax: 5", "Wmax = 5.0 is below the weight 10.0"),
                                  ("Wmin: 20, Wmax: 50", "Wmin = 20.0 is above the weight 10.0"), ("Kplus: -1", "Kplus")] {
            let e = try XCTUnwrap(yamlError(base(synapse: "{model: stdp_dopamine_synapse, weight: 10, volume_transmitter: vt, \(params)}")), params)
            XCTAssertTrue(e.description.contains(mention), e.description)
            XCTAssertEqual(e.line, 9, e.description)
        }
        let interval = try XCTUnwrap(yamlError(base(synapse: "{model: stdp_dopamine_synapse, weight: 10, volume_transmitter: vt}",
                                                    vt: "  vt: {model: volume_transmitter, params: {deliver_interval: 0.5}}")))
        XCTAssertTrue(interval.description.contains("deliver_interval"), interval.description)
        XCTAssertEqual(interval.line, 5, interval.description)
    }
}
