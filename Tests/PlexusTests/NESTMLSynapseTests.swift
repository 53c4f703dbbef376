import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusModel
@testable import PlexusPoint
@testable import PlexusIO

/// NESTML synapse models (nestml 9.0.0's library, Tests/Fixtures/nestml/synapses) lowered to C
/// and run by the point engine's plastic tables, against NEST 3.10's built-in counterparts on
/// the pairing protocol of the plasticity tests (parrots driven by spike generators; the
/// plastic connection on the post parrot's receptor 1; the weight after every pre spike).
final class NESTMLSynapseTests: XCTestCase {
    static func synapseFile(_ name: String) -> String { Repo.fixtures.appendingPathComponent("nestml/synapses/\(name).nestml").path }

    /// Every synapse model of the library lowers and compiles, or is refused naming the construct.
    func testLibrarySynapsesLowerAndCompileOrAreRefused() throws {
        let folder = Repo.fixtures.appendingPathComponent("nestml/synapses").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".nestml") }.sorted()
        XCTAssertEqual(files.count, 10)
        var lowered: [PointSynapseDescription] = []
        var refused: [String: PlexusError] = [:]
        for f in files {
            do { lowered += try NESTMLLowering.models(contentsOf: folder + "/" + f).synapses } catch let e as PlexusError { refused[f] = e }
        }
        XCTAssertEqual(Set(refused.keys), ["neuromodulated_stdp_synapse.nestml", "stdsp_synapse.nestml"])
        let vt = try XCTUnwrap(refused["neuromodulated_stdp_synapse.nestml"])
        XCTAssertTrue(vt.message.contains("'mod_spikes'") && vt.message.contains("third-factor"), vt.message)
        XCTAssertEqual(vt.line, 78)
        XCTAssertTrue(vt.file?.hasSuffix("neuromodulated_stdp_synapse.nestml") == true)
        let cont = try XCTUnwrap(refused["stdsp_synapse.nestml"])
        XCTAssertTrue(cont.message.contains("continuous input port 'dAP_trace'"), cont.message)
        XCTAssertEqual(lowered.count, 8)
        let models = try GeneratedSynapseModel.compile(lowered)
        XCTAssertEqual(models.map(\.description.name), lowered.map(\.name))
        // Built-in names get NESTML's "_nestml" suffix; the others keep theirs.
        XCTAssertEqual(Set(models.map(\.name)), ["noisy_synapse", "static_synapse_nestml", "stdp_nn_pre_centered_synapse", "stdp_nn_restr_symm_synapse",
                                                 "stdp_nn_symm_synapse_nestml", "stdp_synapse_nestml", "stdp_triplet_synapse_nestml", "tsodyks_synapse_nestml"])
        let stdp = try XCTUnwrap(lowered.first { $0.name == "stdp_synapse" })
        XCTAssertEqual(stdp.state.map(\.name), ["w", "pre_trace", "post_trace"])
        XCTAssertEqual(stdp.postTraces.map { stdp.state[$0].name }, ["post_trace"])
        let triplet = try XCTUnwrap(lowered.first { $0.name == "stdp_triplet_synapse" })
        XCTAssertEqual(triplet.postTraces.map { triplet.state[$0].name }, ["tr_o1", "tr_o2"])
        let tsodyks = try XCTUnwrap(lowered.first { $0.name == "tsodyks_synapse" })
        XCTAssertFalse(tsodyks.readsPostSpikes)
        XCTAssertEqual(tsodyks.parameters.first { $0.name == "u" }?.defaultValue, 0.5, "u's initial value is U")
    }

    /// Pre and post parrots firing at the given times, a plastic connection of `model` between
    /// them on the post parrot's receptor 1; the weights logged after each pre spike.
    static func pairing(file: String, model: String, parameters: [String: Double], weight: Double, delay: Double,
                        pre: [Double], post: [Double], duration: Double, threads: Int = 1) throws -> [WeightEvent] {
        func times(_ ts: [Double]) -> String { "[" + ts.map { "\($0 - 1) ms" }.joined(separator: ", ") + "]" }
        let params = parameters.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)\($0.key.hasPrefix("tau") ? " ms" : "")" }.joined(separator: ", ")
        let yaml = """
            resolution: 0.1 ms
            duration: \(duration) ms
            models: [\(file)]
            populations:
              sg_pre: {model: spike_generator, params: {spike_times: \(times(pre))}}
              sg_post: {model: spike_generator, params: {spike_times: \(times(post))}}
              pre: {model: parrot_neuron}
              post: {model: parrot_neuron}
            connections:
              - {source: sg_pre, target: pre, synapse: {delay: 1 ms}}
              - {source: sg_post, target: post, synapse: {delay: 1 ms}}
              - {source: pre, target: post, synapse: {model: \(model), weight: \(weight), delay: \(delay) ms, receptor_type: 1, record_weights: true, \(params)}}
            record:
              - {type: spike_recorder, population: pre}
              - {type: spike_recorder, population: post}

            """
        let res = try PointNetwork(try ExperimentFile.decode(yaml, file: "pairing.yaml"), threads: threads).run()
        XCTAssertEqual(res.spikes[0].times, pre, "the pre parrot fires at the requested times")
        XCTAssertEqual(res.spikes[1].times, post, "receptor 1: the post parrot ignores the plastic input")
        return res.weights
    }

    /// stdp_synapse.nestml with its defaults (NEST's stdp_synapse defaults) on the plasticity
    /// tests' pairing protocol, against NEST's built-in stdp_synapse.
    func testSTDPPairsMatchNESTsBuiltIn() throws {
        let pre = try Reference.csv("nest/plasticity/stdp_pairs_pre_spikes.csv")["t_ms"]!
        let post = try Reference.csv("nest/plasticity/stdp_pairs_post_spikes.csv")["t_ms"]!
        let ref = try Reference.csv("nest/plasticity/stdp_pairs_weights.csv")
        let w = try Self.pairing(file: Self.synapseFile("stdp_synapse"), model: "stdp_synapse_nestml", parameters: [:],
                                 weight: 50, delay: 1, pre: pre, post: post, duration: 1000)
        XCTAssertEqual(w.map(\.time), ref["t_pre_ms"]!)
        let worst = zip(w.map(\.weight), ref["weight"]!).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, 1e-12)
        print("stdp_synapse.nestml vs NEST stdp_synapse: max |dw| \(worst) over \(w.count) pre spikes")
    }

    /// Every case of tools/nest_reference/nestml_synapse_twins.py (Tests/Fixtures/
    /// nestml_synapse_twins.json): the NESTML file against NEST's built-in model with the mapped
    /// parameters, the weight (tsodyks: the event weight) after every pre spike within 1e-12
    /// relative. Two cases differ by design: NEST's stdp_nn_symm_synapse and
    /// stdp_nn_restr_synapse pair post spikes before the first pre spike with a pre spike at
    /// t = 0, the NESTML files do not (their pre trace starts at 0); their `_no_early_post`
    /// twins, without such post spikes, must match.
    func testNESTMLSynapsesMatchNESTsBuiltIns() throws {
        let fixture = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: Repo.fixtures.appendingPathComponent("nestml_synapse_twins.json"))) as? [String: Any])
        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 11)
        let duration = try XCTUnwrap(fixture["duration_ms"] as? Double)
        var checked = 0
        for c in cases {
            let name = c["name"] as! String
            let file = Self.synapseFile(((c["nestml_file"] as! String) as NSString).deletingPathExtension)
            let model = try XCTUnwrap(try NeuronModelFiles.installModels([file]).synapses.first).name
            let ref = (c["weights"] as! [[Double]])
            let w = try Self.pairing(file: file, model: model, parameters: c["nestml_parameters"] as! [String: Double],
                                     weight: c["weight"] as! Double, delay: c["delay_ms"] as! Double,
                                     pre: c["pre_ms"] as! [Double], post: c["post_ms"] as! [Double], duration: duration)
            XCTAssertEqual(w.map(\.time), ref.map { $0[0] }, name)
            let worst = zip(w.map(\.weight), ref.map { $0[1] }).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
            if name == "stdp_nn_symm" || name == "stdp_nn_restr_symm" {
                XCTAssertGreaterThan(worst, 1e-3, "\(name): NEST pairs the early post spikes with a pre spike at 0")
            } else {
                XCTAssertLessThanOrEqual(worst, 1e-12, name)
                checked += 1
            }
            print("\(name): \(model) vs NEST \(c["nest_model"] as! String): max relative |dw| \(worst) over \(w.count) pre spikes")
        }
        XCTAssertGreaterThanOrEqual(checked, 9)
    }

    /// A small network with NESTML synapses: STDP (reads the targets' spikes) between excitatory
    /// neurons with a weight recorder, noisy_synapse (its own random draws) from the drive.
    static func network(duration: Int = 200) throws -> PointExperiment {
        let yaml = """
            resolution: 0.1 ms
            duration: \(duration) ms
            seed: 11
            models: [\(synapseFile("stdp_synapse")), \(synapseFile("noisy_synapse"))]
            populations:
              E: {model: iaf_psc_alpha, size: 120, params: {V_m: {distribution: uniform, min: -70 mV, max: -55 mV}}}
              drive: {model: poisson_generator, params: {rate: 9000 Hz}}
              P: {model: parrot_neuron, size: 120}
            connections:
              - {source: drive, target: P, synapse: {delay: 1 ms}}
              - {source: P, target: E, rule: one_to_one, synapse: {model: noisy_synapse, weight: 12, delay: 1 ms, A_noise: 3}}
              - {source: E, target: E, rule: fixed_indegree, indegree: 20, synapse: {model: stdp_synapse_nestml, weight: 20, delay: 1.5 ms, Wmax: 60, lambda: 0.05, tau_tr_post: 30 ms, record_weights: true}}
            record:
              - {type: spike_recorder, population: E}

            """
        return try ExperimentFile.decode(yaml, file: "nestml_synapses.yaml")
    }

    /// The same spikes and weights for 1, 2 and 3 threads, and for 2 ranks of 2 threads (noisy
    /// synapses draw from each synapse's own stream, keyed by source, target, statement and step).
    func testNetworkWithNESTMLSynapsesIsIndependentOfThreadsAndRanks() throws {
        let exp = try Self.network()
        let runs = try [1, 2, 3].map { try PointNetwork(exp, threads: $0).run() }
        XCTAssertGreaterThan(runs[0].spikes[0].times.count, 200, "the network is meant to fire")
        XCTAssertGreaterThan(runs[0].weights.count, 1000)
        XCTAssertTrue(runs[0].weights.contains { $0.weight != 20 }, "STDP changes weights")
        func key(_ w: WeightEvent) -> String { "\(w.time) \(w.source) \(w.target) \(w.weight)" }
        for r in runs.dropFirst() {
            XCTAssertEqual(r.spikes[0].times, runs[0].spikes[0].times)
            XCTAssertEqual(r.spikes[0].gids, runs[0].spikes[0].gids)
            XCTAssertEqual(r.weights.map(key).sorted(), runs[0].weights.map(key).sorted())
        }
        let ranks = try RankTests.run(exp, ranks: 2, threads: 2).get()
        XCTAssertEqual(ranks.spikes[0].times, runs[0].spikes[0].times)
        XCTAssertEqual(ranks.spikes[0].gids, runs[0].spikes[0].gids)
    }

    /// noisy_synapse passes w + A_noise N(0, 1): the weights it logs have that mean and spread
    /// (20,000 draws: mean within 4 standard errors, standard deviation within 3 %), and
    /// a different seed draws differently.
    func testNoisySynapseDrawsItsDistribution() throws {
        func run(seed: Int) throws -> [Double] {
            let yaml = """
                resolution: 0.1 ms
                duration: 500 ms
                seed: \(seed)
                models: [\(Self.synapseFile("noisy_synapse"))]
                populations:
                  drive: {model: poisson_generator, params: {rate: 2000 Hz}}
                  src: {model: parrot_neuron, size: 20}
                  dst: {model: parrot_neuron, size: 2}
                connections:
                  - {source: drive, target: src, synapse: {delay: 1 ms}}
                  - {source: src, target: dst, synapse: {model: noisy_synapse, weight: 5, delay: 1 ms, A_noise: 2, receptor_type: 1, record_weights: true}}

                """
            return try PointNetwork(try ExperimentFile.decode(yaml, file: "noisy.yaml")).run().weights.map(\.weight)
        }
        let w = try run(seed: 3)
        XCTAssertGreaterThan(w.count, 20_000)
        let mean = w.reduce(0, +) / Double(w.count)
        let sd = (w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(w.count - 1)).squareRoot()
        XCTAssertEqual(mean, 5, accuracy: 4 * 2 / Double(w.count).squareRoot())
        XCTAssertEqual(sd, 2, accuracy: 0.06)
        XCTAssertNotEqual(try run(seed: 4).prefix(100), w.prefix(100)[...])
    }

    /// Misspelt parameters, non-finite values and unsupported constructs: errors naming the key
    /// path or the file and line.
    func testBadInput() throws {
        func build(_ synapse: String) throws {
            let yaml = """
                duration: 10 ms
                models: [\(Self.synapseFile("stdp_synapse"))]
                populations:
                  a: {model: parrot_neuron}
                  b: {model: parrot_neuron}
                connections:
                  - {source: a, target: b, synapse: \(synapse)}

                """
            _ = try PointNetwork(try ExperimentFile.decode(yaml, file: "bad.yaml"))
        }
        XCTAssertThrowsError(try build("{model: stdp_synapse_nestml, weight: 1, lamda: 0.1}")) { e in
            let e = e as! PlexusError
            XCTAssertTrue(e.message.contains("unknown parameter 'lamda'") && e.message.contains("lambda"), e.message)
            XCTAssertEqual(e.keyPath, "connections[0].synapse.lamda")
        }
        XCTAssertThrowsError(try build("{model: stdp_synapse_nestml, weight: 1, tau_tr_pre: .nan}")) { e in
            XCTAssertTrue((e as! PlexusError).message.contains("must be finite"), "\(e)")
        }
        // The file's conditions: [[Wmax >= 0]] on a parameter, [[w >= 0]] on the weight.
        XCTAssertThrowsError(try build("{model: stdp_synapse_nestml, weight: 1, Wmax: -5}")) { e in
            let e = e as! PlexusError
            XCTAssertTrue(e.message.contains("Wmax = -5.0 breaks stdp_synapse's condition [[Wmax >= 0]]") && e.message.contains("stdp_synapse.nestml:"), e.message)
            XCTAssertEqual(e.keyPath, "connections[0].synapse.Wmax")
        }
        XCTAssertThrowsError(try build("{model: stdp_synapse_nestml, weight: -1}")) { e in
            XCTAssertTrue((e as! PlexusError).message.contains("weight -1.0 breaks stdp_synapse's condition [[w >= 0]]"), "\(e)")
        }
        let tmp = temporaryFolder("nestml-synapse")
        let path = tmp.write("emit_delay_synapse.nestml", """
            model emit_delay_synapse:
                parameters:
                    w real = 1
                input:
                    pre_spikes <- spike
                output:
                    spike
                onReceive(pre_spikes):
                    emit_spike(w, 2 ms)

            """)
        XCTAssertThrowsError(try NeuronModelFiles.installModels([path])) { e in
            let e = e as! PlexusError
            XCTAssertEqual(e.line, 9)
            XCTAssertTrue(e.message.contains("emit_spike() with a delay"), e.message)
        }
    }
}
