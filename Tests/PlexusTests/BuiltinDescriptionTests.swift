import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusModel
@testable import PlexusPoint
@testable import PlexusIO

/// Plexus's built-in neuron (and synapse) models that are NESTML descriptions (PlexusPoint/Descriptions): they
/// lower, take no name a Swift model has, document every parameter, and keep V_m relative to E_L
/// as the Swift kernels they replaced did. Their numbers are checked against NEST by the
/// single-neuron reference tests (SingleNeuronExactTests, SingleNeuronDeltaTests), unchanged.
final class BuiltinDescriptionTests: XCTestCase {
    let described = ["hh_cond_exp_traub", "hh_psc_alpha", "iaf_cond_alpha", "iaf_cond_exp", "iaf_psc_alpha", "iaf_psc_delta", "iaf_psc_exp", "izhikevich", "mat2_psc_exp"]

    /// What every built-in description holds, neuron or synapse: it lowered, takes no Swift
    /// model's name, is marked built-in, lives in a file named after it that the catalogue finds
    /// and the model's `source` names, and documents every parameter (the trailing comments, as
    /// `plexus models` lists them).
    struct Described {
        let name: String, isBuiltIn: Bool, file: String, source: String?, parameters: [(name: String, doc: String)]
    }

    func assertBuiltIn(_ models: [Described], are names: [String], swiftNames: Set<String>,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(ModelCatalog.refusedBuiltInDescriptions.map(\.description), [], file: file, line: line)
        XCTAssertEqual(models.map(\.name).sorted(), names, file: file, line: line)
        for m in models {
            XCTAssertFalse(swiftNames.contains(m.name), "\(m.name) is both a Swift model and a description", file: file, line: line)
            XCTAssertTrue(m.isBuiltIn, file: file, line: line)
            XCTAssertEqual(m.file, "<built-in>/\(m.name).nestml", "a description file is named after its model", file: file, line: line)
            XCTAssertEqual(m.source, m.file, file: file, line: line)
            XCTAssertNotNil(ModelCatalog.builtInDescription(m.name), file: file, line: line)
            for p in m.parameters { XCTAssertFalse(p.doc.isEmpty, "\(m.name).\(p.name) has no doc", file: file, line: line) }
        }
    }

    func testEveryDescriptionLowersAndIsBuiltIn() throws {
        let models = BuiltinDescriptions.neurons
        assertBuiltIn(models.map { Described(name: $0.name, isBuiltIn: $0.isBuiltIn, file: $0.description.file,
                                             source: ModelCatalog.neuron($0.name)?.source,
                                             parameters: $0.description.parameters.map { ($0.name, $0.doc) }) },
                      are: described, swiftNames: Set(ModelCatalog.neuronTypes.map { $0.name }))
        // A built-in name cannot be taken by a user's model.
        for m in models { XCTAssertThrowsError(try ModelCatalog.install(m.kind)) }
    }

    /// V_m is kept relative to E_L inside the kernel (NEST's rounding); users set and record V_m
    /// itself, and it stays where it is when E_L changes during a run (NEST's set_status).
    func testRelativeVoltageIsInvisibleToUsers() throws {
        for name in ["iaf_psc_alpha", "iaf_psc_delta", "iaf_psc_exp", "mat2_psc_exp"] {
            let kind = try XCTUnwrap(ModelCatalog.neuron(name))
            var p = kind.parameterValues(["E_L": -65])
            var initial = kind.state(for: p).map { [$0.initialValue, $0.initialValue] }
            initial[0] = [-58, -61]
            let pop = try kind.population(p, initial: initial)
            XCTAssertEqual(pop.recordedValue(variable: 0, neuron: 0), -58, name)
            XCTAssertEqual(pop.recordedValue(variable: 0, neuron: 1), -61, name)
            pop.setState(variable: 0, values: [-52], neurons: 1..<2)
            XCTAssertEqual(pop.recordedValue(variable: 0, neuron: 1), -52, name)
            p["E_L"] = -75
            try pop.setParameters(p, resolution: 0.1)
            XCTAssertEqual(pop.recordedValue(variable: 0, neuron: 0), -58, name)
            XCTAssertEqual(pop.recordedValue(variable: 0, neuron: 1), -52, name)
            // Without input V_m now relaxes toward the new E_L.
            let spikes = UnsafeMutablePointer<Double>.allocate(capacity: 4), current = UnsafeMutablePointer<Double>.allocate(capacity: 2)
            defer { spikes.deallocate(); current.deallocate() }
            spikes.initialize(repeating: 0, count: 4); current.initialize(repeating: 0, count: 2)
            var out = SpikeOutput()
            pop.update(0..<2, StepInput(spikes: spikes, current: current, step: 0), &out)
            XCTAssertLessThan(pop.recordedValue(variable: 0, neuron: 0), -58, name)
        }
    }

    /// `steps(t)` is NEST's Time(ms(t)).get_steps(): the C helper gives PlexusCore's
    /// nestDurationSteps on and off the grid of several resolutions.
    func testStepsIsNESTsGetSteps() throws {
        let text = """
            model steps_probe:
                parameters:
                    t ms = 1 ms
                internals:
                    n real = steps(t)
                state:
                    V_m mV = 0 mV
                update:
                    V_m = n * 1 mV
            """
        let d = try NESTMLLowering.neurons(NESTMLParser.parse(text, path: "steps.nestml"))
        let model = try XCTUnwrap(try GeneratedNeuronModel.compile(d).first)
        for h in [0.1, 0.05, 0.25, 1.0] {
            for t in [0, 0.1, 0.12, 0.15, 0.1999, 0.2, 0.2001, 0.0004, 0.0006, 1.05, 2, 7.3, 10.000001] {
                var p = ParameterValues(specs: model.kind.parameters)
                p["t"] = t
                let c = try model.constants(p, resolution: h)
                XCTAssertEqual(c[p.specs.count + model.description.internals.firstIndex(of: "n")!],
                               Double(nestDurationSteps(t, resolution: h)), "t = \(t), h = \(h)")
            }
        }
    }

    /// A spike port times the literal that makes it a weight is the weight sum itself (not
    /// 0.001 w 1000, which moves the last bit of some weights).
    func testPortTimesSecondIsTheWeightItself() throws {
        let d = try NESTMLLowering.neurons(contentsOf: Repo.root.appendingPathComponent("Sources/PlexusPoint/Descriptions/iaf_psc_exp.nestml").path)
        XCTAssertTrue(d[0].cSource.contains("(S[1] * K[12]) + w_0"), d[0].cSource)
        XCTAssertFalse(d[0].cSource.contains("0.001 * w_"))
        // Weights such as 0.9 pA do not survive 0.001 w 1000: the rule is what keeps them exact.
        XCTAssertNotEqual(0.001 * 0.9 * 1000, 0.9)
    }

    /// Plexus's decorators are checked: an unknown one, or one in the wrong block, is refused
    /// naming the file and line.
    func testUnknownPlexusDecoratorsAreRefused() throws {
        func refusal(_ state: String, _ parameters: String = "E_L mV = -70 mV") -> PlexusError? {
            let text = """
                model deco:
                    parameters:
                        \(parameters)
                    state:
                        \(state)
                """
            do { _ = try NESTMLLowering.neurons(NESTMLParser.parse(text, path: "deco.nestml")); return nil } catch { return error as? PlexusError }
        }
        XCTAssertNil(refusal("V_m mV = -70 mV @plexus::relative_to_E_L"))
        XCTAssertNil(refusal("r real = 0 @plexus::hidden"))
        let unknown = try XCTUnwrap(refusal("V_m mV = -70 mV @plexus::relative"))
        XCTAssertEqual(unknown.file, "deco.nestml")
        XCTAssertEqual(unknown.line, 5)
        XCTAssertTrue(unknown.message.contains("@plexus::relative is not a Plexus decorator"), unknown.message)
        XCTAssertTrue(try XCTUnwrap(refusal("V_m mV = -70 mV @plexus::allows_infinity")).message.contains("@plexus::hidden"))
        XCTAssertTrue(try XCTUnwrap(refusal("V_m mV = -70 mV @plexus::relative_to_E_L", "V_rest mV = -70 mV")).message.contains("needs a parameter E_L"))
        // Other namespaces are NESTML's or other tools' business.
        XCTAssertNil(refusal("V_m mV = -70 mV @nest::anything"))
        // Synapses take `hidden` on their state, not on the weight (the connection's).
        func synapse(_ state: String) -> String {
            """
            model deco_synapse:
                state:
                    \(state.hasPrefix("w ") ? state : "w real = 1\n        " + state)
                input:
                    pre_spikes <- spike
                onReceive(pre_spikes):
                    emit_spike(w)
            """
        }
        let hidden = try NESTMLLowering.models(NESTMLParser.parse(synapse("t_last ms = -1 ms @plexus::hidden"), path: "s.nestml")).synapses[0]
        XCTAssertEqual(hidden.parameters.map(\.name), [], "a hidden variable is no statement parameter")
        XCTAssertEqual(hidden.hiddenStateCount, 1)
        XCTAssertEqual(hidden.state.map(\.recordable), [true, false])
        let last = try NESTMLLowering.models(NESTMLParser.parse(synapse("t_last ms = -1 ms @plexus::last_spike_time"), path: "s.nestml")).synapses[0]
        XCTAssertEqual(last.lastSpikeTimeIndex, 1)
        XCTAssertEqual(last.parameters.map(\.name), [])
        let assigned = synapse("t_last ms = -1 ms @plexus::last_spike_time").replacingOccurrences(of: "emit_spike(w)", with: "t_last = t\n        emit_spike(w)")
        XCTAssertThrowsError(try NESTMLLowering.models(NESTMLParser.parse(assigned, path: "s.nestml"))) { e in
            XCTAssertTrue("\(e)".contains("s.nestml:8") && "\(e)".contains("set after each one, not by the model"), "\(e)")
        }
        XCTAssertThrowsError(try NESTMLLowering.models(NESTMLParser.parse(synapse("t_last real = 0 @plexus::last_spike_time"), path: "s.nestml"))) { e in
            XCTAssertTrue("\(e)".contains("must be in ms"), "\(e)")
        }
        XCTAssertThrowsError(try NESTMLLowering.models(NESTMLParser.parse(synapse("w real = 1 @plexus::hidden"), path: "s.nestml"))) { e in
            XCTAssertTrue("\(e)".contains("@plexus::hidden is not a Plexus decorator here (this place takes none)"), "\(e)")
        }
        XCTAssertThrowsError(try NESTMLLowering.models(NESTMLParser.parse(synapse("x real = 1 @plexus::numeric"), path: "s.nestml"))) { e in
            XCTAssertTrue("\(e)".contains("this place takes @plexus::hidden"), "\(e)")
        }
    }

    let describedSynapses = ["stdp_nn_symm_synapse", "stdp_pl_synapse_hom", "stdp_synapse", "stdp_triplet_synapse", "tsodyks2_synapse", "tsodyks_synapse"]

    /// The built-in synapse models that are descriptions: they lower, take no name a Swift model
    /// has, document every parameter, hide the time of the last spike, and read the target's
    /// archive as the C asks. Their weights are checked against NEST by PlasticityTests,
    /// STDPNearestNeighbourTests and the STDP reference tests, unchanged.
    func testEverySynapseDescriptionLowersAndIsBuiltIn() throws {
        let models = BuiltinDescriptions.synapses
        assertBuiltIn(models.map { Described(name: $0.name, isBuiltIn: $0.isBuiltIn, file: $0.description.file,
                                             source: SynapseModel(rawValue: $0.name)?.source,
                                             parameters: $0.description.parameters.map { ($0.name, $0.doc) }) },
                      are: describedSynapses, swiftNames: Set(SynapseModel.kinds.map { $0.name }))
        for m in models {
            XCTAssertFalse(m.parameters.contains { $0.name == "t_last" }, "\(m.name): the time of the last spike is hidden")
            XCTAssertEqual(m.description.lastSpikeTimeIndex.map { m.description.state[$0].name }, "t_last", "\(m.name) keeps no second copy of it")
        }
        let reads = Dictionary(uniqueKeysWithValues: models.map { ($0.name, $0.description.archiveReads) })
        XCTAssertEqual(reads["stdp_synapse"], [.kminus])
        XCTAssertEqual(reads["stdp_pl_synapse_hom"], [.kminus])
        XCTAssertEqual(reads["stdp_nn_symm_synapse"], [.nearestKminus])
        XCTAssertEqual(reads["stdp_triplet_synapse"], [.kminus, .kminusTriplet])
        XCTAssertEqual(reads["tsodyks_synapse"], [])
        // Wmax is in the weight's unit (@plexus::weight_unit), as the Swift models had it.
        XCTAssertEqual(SynapseModel(rawValue: "stdp_synapse")?.parameters.first { $0.name == "Wmax" }?.unit, .weight)
        let withUnit = PointExperiment(duration: Quantity(1, "ms"), populations: [PopulationDescription(name: "a", model: "iaf_psc_alpha", size: 2)],
                                       connections: [ConnectionDescription(source: "a", target: "a", synapse: SynapseDescription(
                                           model: "stdp_synapse", weight: .constant(Quantity(10)), parameters: ["Wmax": Quantity(60, "pA")]))])
        XCTAssertNoThrow(try PointNetwork(withUnit))
        // A connection shows the model's variables by NEST's names, not the hidden time of the last spike.
        let tsodyks = PointExperiment(duration: Quantity(1, "ms"), populations: [PopulationDescription(name: "a", model: "iaf_psc_exp", size: 2)],
                                      connections: [ConnectionDescription(source: "a", target: "a", synapse: SynapseDescription(
                                          model: "tsodyks_synapse", weight: .constant(Quantity(10)), parameters: ["u": Quantity(0.25)]))])
        let info = try XCTUnwrap(try PointNetwork(tsodyks).plasticSynapses().first)
        XCTAssertEqual(info.model, "tsodyks_synapse")
        XCTAssertEqual(info.state, ["x": 1, "y": 0, "u": 0.25])
        // NESTML's library file of the same name is installed with NESTML's suffix.
        let user = try NESTMLLowering.models(NESTMLParser.parse(String(contentsOf: Repo.file("Tests/Fixtures/nestml/synapses/stdp_synapse.nestml"), encoding: .utf8),
                                                                path: "stdp_synapse.nestml")).synapses
        XCTAssertEqual(try GeneratedSynapseModel.compile(user).map(\.name), ["stdp_synapse_nestml"])
    }

    /// post_Kminus() and the like read the target's archive where NEST's synapses read it: K⁻ at
    /// t − d in the presynaptic handler, K⁻_triplet of the spike in the postsynaptic one; called
    /// anywhere else they are refused with file and line.
    func testArchiveReadsOnlyWhereTheyAreDefined() throws {
        func refusal(pre: String, post: String) -> String? {
            let text = """
                model reads_synapse:
                    state:
                        w real = 1
                    input:
                        pre_spikes <- spike
                        post_spikes <- spike
                    onReceive(post_spikes):
                        w += \(post)
                    onReceive(pre_spikes):
                        w += \(pre)
                        emit_spike(w)
                """
            do { _ = try NESTMLLowering.models(NESTMLParser.parse(text, path: "r.nestml")); return nil } catch { return "\(error)" }
        }
        XCTAssertNil(refusal(pre: "post_Kminus() + post_nearest_Kminus()", post: "post_Kminus_triplet()"))
        let early = try XCTUnwrap(refusal(pre: "0", post: "post_Kminus()"))
        XCTAssertTrue(early.contains("r.nestml:8") && early.contains("only the presynaptic port's onReceive"), early)
        let late = try XCTUnwrap(refusal(pre: "post_Kminus_triplet()", post: "0"))
        XCTAssertTrue(late.contains("r.nestml:10") && late.contains("only the postsynaptic port's onReceive"), late)
        XCTAssertNotNil(refusal(pre: "post_Kminus(1)", post: "0"))
    }
}
