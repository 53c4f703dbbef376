import ArgumentParser
import Foundation
import Plexus

@main
struct PlexusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plexus",
        abstract: "Brain simulation at every scale: point-neuron networks (NEST's job), detailed cells (Arbor's and NEURON's), whole-brain neural masses (TVB's).",
        version: Provenance.version,
        subcommands: [Run.self, Models.self, ReportCommand.self, RerunCommand.self, Sweep.self],
        defaultSubcommand: nil)
}

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the models of every engine with their parameters, defaults and units.",
        discussion: """
            Point engine: neuron models, devices and synapse models (NEST's names). Cable engine: \
            mechanisms (NEURON's and Arbor's names). Neural-mass engine: models and couplings (TVB's \
            class names).
            """)

    @Argument(help: "Show only this model, device, synapse, mechanism or coupling.")
    var name: String?

    @Option(help: "Show only one engine: point, cable or mass.")
    var engine: String?

    func validate() throws {
        if let engine, !["point", "cable", "mass"].contains(engine) {
            throw ValidationError("unknown engine '\(engine)'; engines: point, cable, mass")
        }
    }

    private func row(_ name: String, _ value: Double, _ unit: String, _ doc: String) {
        let v = unit.isEmpty ? OutputText.number(value) : "\(OutputText.number(value)) \(unit)"
        print("  \(name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(v.padding(toLength: 14, withPad: " ", startingAt: 0)) \(doc)")
    }

    func run() throws {
        var shown = 0
        func wanted(_ n: String, _ e: String) -> Bool {
            let ok = (name == nil || name == n) && (engine == nil || engine == e)
            if ok { shown += 1 }
            return ok
        }
        for (model, type) in ModelCatalog.neuronModels.sorted(by: { $0.key < $1.key }) where wanted(model, "point") {
            print("\(model)  (point neuron; weights in \(type.weightDimension == .conductance ? "nS" : type.weightDimension == .voltage ? "mV" : "pA"))")
            for p in type.parameters { row(p.name, p.defaultValue, p.dimension.canonicalUnit, p.doc) }
            print("  recordables: \(type.state.filter(\.recordable).map(\.name).joined(separator: ", "))")
        }
        for (device, kind) in ModelCatalog.deviceModels.sorted(by: { $0.key < $1.key }) where wanted(device, "point") {
            print("\(device)  (device)")
            for p in kind.parameters { row(p.name, p.defaultValue, p.dimension.canonicalUnit, p.doc) }
            for l in kind.listParameters { print("  \(l.name.padding(toLength: 18, withPad: " ", startingAt: 0)) [list]") }
        }
        for synapse in SynapseModel.allCases where wanted(synapse.rawValue, "point") {
            let extra = synapse.needsVolumeTransmitter ? "; needs volume_transmitter" : ""
            print("\(synapse.rawValue)  (synapse; weight and delay as for every synapse\(extra))")
            for p in synapse.parameters { row(p.name, p.defaultValue, p.dimension.canonicalUnit, p.doc) }
        }
        if wanted(WaveformRelaxation.synapseModel, "point") {
            print("\(WaveformRelaxation.synapseModel)  (synapse; electrical coupling of hh_psc_alpha_gap neurons)")
            print("  weight             conductance g in nS; no delay; rule one_to_one with make_symmetric: true, or all_to_all within a population")
            let w = WaveformRelaxation()
            print("  kernel settings    use_wfr \(w.useWFR), wfr_comm_interval 1 ms, wfr_tol \(OutputText.number(w.tolerance)), wfr_max_iterations \(w.maxIterations), wfr_interpolation_order \(w.interpolationOrder)")
        }
        for (mech, info) in MechanismCatalog.all.sorted(by: { $0.key < $1.key }) where wanted(mech, "cable") {
            print("\(mech)  (cable \(info.kind == .density ? "density" : "point") mechanism) \(info.doc)")
            for p in info.parameters { row(p.name, p.defaultValue, p.dimension.unit, p.doc) }
            if !info.state.isEmpty { print("  state: \(info.state.joined(separator: ", "))") }
        }
        for model in MassModels.all where wanted(model.name, "mass") {
            print("\(model.name)  (neural mass) \(model.doc)")
            for p in model.parameters { row(p.name, p.defaultValue, "", "\(p.doc) [range \(OutputText.number(p.lo)) .. \(OutputText.number(p.hi))]") }
            print("  state variables: \(model.stateVariables.map(\.name).joined(separator: ", ")); variables of interest: \(model.variablesOfInterest.joined(separator: ", "))")
        }
        for coupling in CouplingKind.allCases where wanted(coupling.rawValue, "mass") {
            print("\(coupling.rawValue)  (neural-mass coupling)")
            for p in coupling.parameters { row(p.name, p.defaultValue, "", p.doc) }
        }
        if let name, shown == 0 {
            let all = ModelCatalog.allNames + SynapseModel.allCases.map(\.rawValue) + [WaveformRelaxation.synapseModel] + MechanismCatalog.all.keys.sorted()
                + MassModels.names + CouplingKind.allCases.map(\.rawValue)
            throw ValidationError("unknown model '\(name)'\(engine.map { " in the \($0) engine" } ?? ""); known: \(all.joined(separator: ", "))")
        }
    }
}
