import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusIO

/// NEST's multisynapse models (receptor ports) against NEST 3.10: tools/nest_reference/
/// multisynapse.py wrote Tests/Fixtures/multisynapse.json and multisynapse_<case>.csv.bz2. Each
/// case is one neuron with spike trains on every receptor port (receptor_type 1 ... K, each with
/// its own weight and delay) and a dc_generator, run as an experiment file through the engine's
/// delivery into the ports; spike times must be NEST's, V_m within 1e-6 mV for the exactly
/// integrated iaf_psc_exp_multisynapse and iaf_psc_alpha_multisynapse, 1e-3 mV for the RKF45 models; the synaptic
/// recordables (g_k, I_syn_k) within 1e-6. Also: the refusals (receptor_type out of range, array
/// lengths, time constants), each naming its key.
final class MultisynapseTests: XCTestCase {
    struct Generator: Decodable {
        let model: String
        let params: [String: Numbers]
        let weight: Double
        let delay: Double
        let receptor: Int
    }
    enum Numbers: Decodable {
        case one(Double), list([Double])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let d = try? c.decode(Double.self) { self = .one(d) } else { self = .list(try c.decode([Double].self)) }
        }
        var text: String {
            switch self {
            case .one(let d): return "\(d)"
            case .list(let l): return "[" + l.map { "\($0)" }.joined(separator: ", ") + "]"
            }
        }
    }
    struct Case: Decodable {
        let model: String
        let params: [String: Numbers]
        let recordables: [String]
        let generators: [Generator]
        let spikes: [Double]
    }
    struct Fixture: Decodable {
        let resolution_ms: Double
        let duration_ms: Double
        let nest_version: String
        let cases: [String: Case]
    }

    static func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Reference.data("multisynapse.json"))
    }

    /// The experiment file of one case (parameters in NEST's units, the model's own).
    static func yaml(_ c: Case, _ f: Fixture) -> String {
        var pops = ["  n:\n    model: \(c.model)\n    params: {"
                    + c.params.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.text)" }.joined(separator: ", ") + "}"]
        var conns: [String] = []
        for (k, g) in c.generators.enumerated() {
            let params = g.params.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.text)" }
            pops.append("  g\(k): {model: \(g.model), params: {\(params.joined(separator: ", "))}}")
            conns.append("  - {source: g\(k), target: n, synapse: {weight: \(g.weight), delay: \(g.delay) ms, receptor_type: \(g.receptor)}}")
        }
        return """
            resolution: \(f.resolution_ms) ms
            duration: \(f.duration_ms) ms
            populations:
            \(pops.joined(separator: "\n"))
            connections:
            \(conns.joined(separator: "\n"))
            record:
              - {type: multimeter, population: n, variables: [\(c.recordables.joined(separator: ", "))], interval: \(f.resolution_ms) ms}
              - {type: spike_recorder, population: n}

            """
    }

    private func check(_ name: String, vmTolerance: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try Self.fixture()
        let c = try XCTUnwrap(f.cases[name])
        let ref = try Reference.csv("multisynapse_\(name).csv")
        XCTAssertFalse(c.spikes.isEmpty, "\(name): the case is meant to make the neuron fire", file: file, line: line)
        let experiment = try ExperimentFile.decode(Self.yaml(c, f), file: "\(name).yaml")
        let res = try PointNetwork(experiment).run()
        let rec = res.states[0]
        let times = try XCTUnwrap(ref["time_ms"])
        XCTAssertEqual(rec.times, times.map { ($0 * 1e9).rounded() / 1e9 }, "\(name): sample times", file: file, line: line)
        var summary = "\(c.model) \(name) vs NEST \(f.nest_version): spikes \(res.spikes[0].times.count) (NEST \(c.spikes.count))"
        for variable in c.recordables {
            let k = try XCTUnwrap(rec.variables.firstIndex(of: variable), "\(variable) not recorded")
            let mine = rec.values[k], theirs = try XCTUnwrap(ref[variable])
            XCTAssertEqual(mine.count, theirs.count, "\(name): \(variable) sample count", file: file, line: line)
            var worst = 0.0, at = 0
            for i in 0..<min(mine.count, theirs.count) where !(abs(mine[i] - theirs[i]) <= worst) {
                worst = abs(mine[i] - theirs[i])
                at = i
            }
            summary += ", \(variable) max|err| \(String(format: "%.3g", worst))"
            // the synaptic variables carry every input: they must have moved
            XCTAssertGreaterThan(theirs.map(abs).max() ?? 0, 0, "\(name): \(variable) never moves in NEST", file: file, line: line)
            let tol = variable == "V_m" ? vmTolerance : 1e-6
            XCTAssertLessThanOrEqual(worst, tol, "\(name): \(variable) \(mine[at]) vs NEST \(theirs[at]) at t = \(times[at]) ms",
                                     file: file, line: line)
        }
        print(summary)
        XCTAssertEqual(res.spikes[0].times, c.spikes.map { ($0 * 1e9).rounded() / 1e9 }, "\(name): spike times", file: file, line: line)
    }

    func testAeifCondBetaMultisynapseMatchesNEST() throws { try check("aeif_beta", vmTolerance: 1e-3) }
    func testAeifCondAlphaMultisynapseMatchesNEST() throws { try check("aeif_alpha", vmTolerance: 1e-3) }
    func testIafPscExpMultisynapseMatchesNEST() throws { try check("psc_exp", vmTolerance: 1e-6) }
    func testIafPscAlphaMultisynapseMatchesNEST() throws { try check("psc_alpha", vmTolerance: 1e-6) }

    /// The ports really are apart: the same input on port 1 or on port 2 (other time constants)
    /// gives other traces, and a network without multisynapse neurons keeps one pair per neuron.
    func testPortsAreSeparateChannels() throws {
        func vm(receptor: Int) throws -> [Double] {
            let yaml = """
                resolution: 0.1 ms
                duration: 30 ms
                populations:
                  n: {model: iaf_psc_exp_multisynapse, params: {tau_syn: [0.5, 8.0]}}
                  g: {model: spike_generator, params: {spike_times: [5.0 ms]}}
                connections:
                  - {source: g, target: n, synapse: {weight: 500.0, delay: 1.0 ms, receptor_type: \(receptor)}}
                record:
                  - {type: multimeter, population: n, variables: [V_m, I_syn_1, I_syn_2], interval: 0.1 ms}

                """
            let res = try PointNetwork(ExperimentFile.decode(yaml, file: "ports.yaml")).run()
            return res.states[0].values[0]
        }
        let a = try vm(receptor: 1), b = try vm(receptor: 2)
        XCTAssertEqual(a.count, b.count)
        XCTAssertGreaterThan(zip(a, b).map { abs($0 - $1) }.max() ?? 0, 0.1)
        let net = try PointNetwork(ExperimentFile.decode("""
            resolution: 0.1 ms
            duration: 1 ms
            populations:
              a: {model: iaf_psc_alpha, size: 3}
              m: {model: aeif_cond_beta_multisynapse, size: 2, params: {E_rev: [0, 0, -80], tau_rise: [1, 1, 1], tau_decay: [2, 3, 4]}}

            """, file: "layout.yaml"))
        XCTAssertEqual(net.receptorLayouts.map(\.pairs).reduce(0, +), 5 + 2 * 3)
        XCTAssertEqual(net.neuronPopulations.map(\.receptorPorts), [nil, 3])
        XCTAssertEqual(net.neuronPopulations[1].recordableNames, ["V_m", "w", "g_1", "g_2", "g_3"])
    }

    /// A network mixing ordinary and multisynapse neurons, both ways, with Poisson input and spike
    /// trains on the ports and neurons split over threads in the middle of each population: 1, 2
    /// and 3 threads give the same spikes and traces (each thread lays out its own ports), and
    /// the ports were driven (the multisynapse neurons fire).
    func testMixedNetworkIsIdenticalForAnyThreadCount() throws {
        let yaml = """
            resolution: 0.1 ms
            duration: 300 ms
            seed: 7
            populations:
              a: {model: iaf_psc_alpha, size: 5, params: {I_e: 300 pA}}
              m: {model: iaf_psc_exp_multisynapse, size: 7, params: {tau_syn: [0.5, 3.0, 8.0], I_e: 200 pA}}
              b: {model: aeif_cond_beta_multisynapse, size: 4, params: {E_rev: [0, -80], tau_rise: [0.5, 1], tau_decay: [3, 8]}}
              noise: {model: poisson_generator, params: {rate: 4000 Hz}}
              sg: {model: spike_generator, params: {spike_times: [20 ms, 20.1 ms, 150 ms]}}
            connections:
              - {source: noise, target: m, synapse: {weight: 40 pA, delay: 1 ms, receptor_type: 2}}
              - {source: noise, target: b, synapse: {weight: 3 nS, delay: 1 ms, receptor_type: 1}}
              - {source: sg, target: m, synapse: {weight: -300 pA, delay: 2 ms, receptor_type: 3}}
              - {source: a, target: m, rule: fixed_indegree, indegree: 3, synapse: {weight: 150 pA, delay: 1.5 ms, receptor_type: 1}}
              - {source: m, target: b, rule: all_to_all, synapse: {weight: 2 nS, delay: 1 ms, receptor_type: 2}}
              - {source: m, target: a, rule: all_to_all, synapse: {weight: 30 pA, delay: 1 ms}}
            record:
              - {type: spike_recorder, population: m}
              - {type: spike_recorder, population: b}
              - {type: spike_recorder, population: a}
              - {type: multimeter, population: m, variables: [V_m, I_syn_1, I_syn_2, I_syn_3], interval: 0.5 ms}
              - {type: multimeter, population: b, variables: [V_m, g_1, g_2], interval: 0.5 ms}

            """
        let experiment = try ExperimentFile.decode(yaml, file: "mixed.yaml")
        let runs = try [1, 2, 3].map { try PointNetwork(experiment, threads: $0).run() }
        XCTAssertGreaterThan(runs[0].spikes[0].times.count, 10, "the multisynapse neurons should fire")
        XCTAssertGreaterThan(runs[0].spikes[1].times.count, 0, "the aeif multisynapse neurons should fire")
        for r in runs.dropFirst() {
            for k in 0..<3 {
                XCTAssertEqual(r.spikes[k].gids, runs[0].spikes[k].gids)
                XCTAssertEqual(r.spikes[k].times, runs[0].spikes[k].times)
            }
            for k in 0..<2 {
                XCTAssertEqual(r.states[k].values, runs[0].states[k].values)
            }
        }
        // every port moved
        for v in runs[0].states[0].values.dropFirst() { XCTAssertGreaterThan(v.map(abs).max() ?? 0, 0) }
        for v in runs[0].states[1].values.dropFirst() { XCTAssertGreaterThan(v.map(abs).max() ?? 0, 0) }
    }

    // MARK: refusals

    /// The error a user sees for `yaml` (compiled as `plexus run` does), located in the file.
    private func userError(_ yaml: String) -> PlexusError? {
        do {
            _ = try PointNetwork(ExperimentFile.decode(yaml, file: "bad.yaml"), threads: 2)
            return nil
        } catch let e as PlexusError {
            return ExperimentFile.locate(e, file: "bad.yaml", index: ExperimentFile.lineIndex(yaml))
        } catch {
            XCTFail("not a PlexusError: \(error)")
            return nil
        }
    }

    private func assertRefused(_ params: String, receptor: Int = 1, weight: Double = 1, keyPath suffix: String, mentions: String,
                               model: String = "aeif_cond_beta_multisynapse", file: StaticString = #filePath, line: UInt = #line) {
        let yaml = """
            resolution: 0.1 ms
            duration: 10 ms
            populations:
              n:
                model: \(model)
                params: {\(params)}
              g: {model: spike_generator, params: {spike_times: [1.0 ms]}}
            connections:
              - {source: g, target: n, synapse: {weight: \(weight), receptor_type: \(receptor)}}

            """
        guard let e = userError(yaml) else { return XCTFail("accepted: \(params), receptor_type \(receptor)", file: file, line: line) }
        XCTAssertTrue(e.keyPath?.hasSuffix(suffix) ?? false, "\(e) does not name \(suffix)", file: file, line: line)
        XCTAssertTrue(e.message.contains(mentions), "\(e.message) does not say \(mentions)", file: file, line: line)
        XCTAssertNotNil(e.line, "\(e) has no line", file: file, line: line)
    }

    func testBadInputIsRefusedNamingTheKey() {
        let ok = "E_rev: [0, -80], tau_rise: [1, 2], tau_decay: [5, 10]"
        XCTAssertNil(userError("""
            resolution: 0.1 ms
            duration: 10 ms
            populations:
              n: {model: aeif_cond_beta_multisynapse, params: {\(ok)}}
              g: {model: spike_generator, params: {spike_times: [1.0 ms]}}
            connections:
              - {source: g, target: n, synapse: {weight: 1.0, receptor_type: 2}}

            """))
        // receptor_type 0 and K + 1 (NEST: IncompatibleReceptorType)
        assertRefused(ok, receptor: 0, keyPath: "connections[0].synapse.receptor_type", mentions: "1 to 2")
        assertRefused(ok, receptor: 3, keyPath: "connections[0].synapse.receptor_type", mentions: "receptor_type 3")
        assertRefused("tau_syn: [1, 2, 3]", receptor: 4, keyPath: "synapse.receptor_type", mentions: "1 to 3", model: "iaf_psc_exp_multisynapse")
        assertRefused("tau_syn: [1, 2], E_rev: [0, 0]", receptor: 0, keyPath: "synapse.receptor_type", mentions: "1 to 2",
                      model: "aeif_cond_alpha_multisynapse")
        // array lengths that disagree
        assertRefused("E_rev: [0, -80], tau_rise: [1, 2, 3], tau_decay: [5, 10]", keyPath: "params.tau_rise", mentions: "same length")
        assertRefused("E_rev: [0], tau_syn: [1, 2]", keyPath: "params.tau_syn", mentions: "same length", model: "aeif_cond_alpha_multisynapse")
        // non-positive time constants, rise after decay, tau_syn = tau_m
        assertRefused("E_rev: [0, -80], tau_rise: [1, 0], tau_decay: [5, 10]", keyPath: "params.tau_rise", mentions: "strictly positive")
        assertRefused("E_rev: [0, -80], tau_rise: [1, 2], tau_decay: [5, -10]", keyPath: "params.tau_decay", mentions: "strictly positive")
        assertRefused("E_rev: [0, -80], tau_rise: [1, 20], tau_decay: [5, 10]", keyPath: "params.tau_rise", mentions: "tau_decay")
        assertRefused("tau_syn: [1, -2]", keyPath: "params.tau_syn", mentions: "strictly positive", model: "iaf_psc_exp_multisynapse")
        assertRefused("tau_syn: [1, 10]", keyPath: "params.tau_syn", mentions: "tau_m", model: "iaf_psc_exp_multisynapse")
        assertRefused("tau_syn: [0.5, 0]", keyPath: "params.tau_syn", mentions: "strictly positive", model: "iaf_psc_alpha_multisynapse")
        assertRefused("tau_syn: [0.5]", receptor: 2, keyPath: "synapse.receptor_type", mentions: "1 to 1", model: "iaf_psc_alpha_multisynapse")
        assertRefused("E_rev: [0, 0], tau_syn: [1, 0]", keyPath: "params.tau_syn", mentions: "strictly positive", model: "aeif_cond_alpha_multisynapse")
        // conductance weights must be positive (NEST refuses them when the spike arrives)
        assertRefused(ok, weight: -1, keyPath: "synapse.weight", mentions: "positive")
        // structural synapses arrive on receptor 0, which these models lack
        let structural = userError("""
            resolution: 0.1 ms
            duration: 10 ms
            populations:
              n:
                model: iaf_psc_exp_multisynapse
                size: 2
                synaptic_elements: {Den_ex: {growth_curve: linear, growth_rate: 0.001, eps: 0.05}}
            structural_plasticity: {update_interval: 100 ms, synapses: {syn: {pre_synaptic_element: Den_ex, post_synaptic_element: Den_ex, weight: 5 pA, delay: 1 ms}}}

            """)
        XCTAssertTrue(structural?.message.contains("receptor ports") ?? false, "\(String(describing: structural))")
        XCTAssertTrue(structural?.keyPath?.hasSuffix("synaptic_elements") ?? false, "\(String(describing: structural))")
        // a scalar parameter's usual checks still apply
        assertRefused(ok + ", C_m: 0", keyPath: "params.C_m", mentions: "C_m")
    }

    /// NEST's defaults: one port (aeif: E_rev 0 mV, tau_rise 2 ms, tau_decay 20 ms; alpha and
    /// iaf_psc_exp_multisynapse: tau_syn 2 ms).
    func testDefaultsAreOnePort() throws {
        var p = ParameterValues(specs: AeifCondBetaMultisynapse.parameters)
        for a in AeifCondBetaMultisynapse.arrayParameters { p.arrays[a.name] = a.defaultValue }
        XCTAssertEqual(AeifCondBetaMultisynapse.receptorPorts(p), 1)
        XCTAssertEqual(p.array("tau_rise"), [2])
        XCTAssertEqual(p.array("tau_decay"), [20])
        XCTAssertEqual(AeifCondBetaMultisynapse.state(for: p).filter(\.recordable).map(\.name), ["V_m", "w", "g_1"])
        XCTAssertEqual(AeifMultisynapse.betaNormalization(rise: 2, decay: 2), eulerE / 2)
    }
}
