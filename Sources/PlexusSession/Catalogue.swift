import PlexusCable
import PlexusCore
import PlexusIO
import PlexusMass
import PlexusPoint

/// Every model kind of every engine with its parameters, defaults and units: `plexus models`.
public enum Catalogue {
    /// The NESTML description the built-in neuron or synapse model `name` is generated from, headed by its
    /// place in the repository: `plexus models NAME --source`.
    public static func neuronDescription(_ name: String) throws -> String {
        if let d = ModelCatalog.builtInDescription(name) { return "# \(d.file)\n" + d.text }
        if ModelCatalog.neuron(name) != nil || SynapseModel(rawValue: name) != nil {
            throw PlexusError("\(name) is written in Swift, not generated from a description (docs/nestml.md says which built-in models are, and why the others are not)")
        }
        throw PlexusError(PlexusError.unknownMessage("neuron model", name, known: ModelCatalog.neuronModels.keys.sorted()))
    }

    /// The listing, one kind after another; only `name` and only `engine` when given. Throws
    /// when `name` matches nothing, listing the known names.
    public static func listing(name: String? = nil, engine: RunRecord.Engine? = nil) throws -> String {
        var lines: [String] = []
        var shown = 0
        // A description file (.nestml): its models, built and installed first.
        var name = name, engine = engine, only: Set<String>? = nil
        if let n = name, n.hasSuffix(".nestml") {
            let models = try NeuronModelFiles.installModels([n])
            only = Set(models.neurons.map(\.name) + models.synapses.map(\.name))
            name = nil
            engine = .point
        }
        func wanted(_ n: String, _ e: RunRecord.Engine) -> Bool {
            let ok = (name == nil || name == n) && (engine == nil || engine == e) && (only?.contains(n) ?? true)
            if ok { shown += 1 }
            return ok
        }
        func wantedAny(_ names: [String], _ e: RunRecord.Engine) -> Bool {
            let ok = (name == nil || names.contains(name!)) && (engine == nil || engine == e)
            if ok { shown += 1 }
            return ok
        }
        func row(_ name: String, _ value: Double, _ unit: String, _ doc: String) {
            textRow(name, unit.isEmpty ? OutputText.number(value) : "\(OutputText.number(value)) \(unit)", doc)
        }
        func textRow(_ name: String, _ v: String, _ doc: String) {
            lines.append("  \(name.padding(toLength: max(18, name.count), withPad: " ", startingAt: 0)) \(v.padding(toLength: max(14, v.count), withPad: " ", startingAt: 0)) \(doc)")
        }
        for (model, type) in ModelCatalog.neuronModels.sorted(by: { $0.key < $1.key }) where wanted(model, .point) {
            let origin = type.source.map { "generated from \($0); " } ?? ""
            lines.append("\(model)  (point neuron; \(origin)weights in \(Reports.unitOf(model: model, variable: "weight") ?? "pA"))")
            for p in type.parameters { row(p.name, p.defaultValue, p.unit.symbol, p.doc) }
            // Multisynapse models: one value per receptor port (receptor_type 1 ... K, K the length).
            var defaults = ParameterValues(specs: type.parameters)
            for a in type.arrayParameters {
                defaults.arrays[a.name] = a.defaultValue
                textRow(a.name, "[" + a.defaultValue.map { OutputText.number($0) }.joined(separator: ", ") + "] \(a.unit.symbol)",
                        a.doc + " (a list, one per receptor port)")
            }
            lines.append("  recordables: \(type.state(for: defaults).filter(\.recordable).map(\.name).joined(separator: ", "))")
        }
        for (device, kind) in ModelCatalog.deviceModels.sorted(by: { $0.key < $1.key }) where wanted(device, .point) {
            lines.append("\(device)  (device)")
            for p in kind.parameters { row(p.name, p.defaultValue, p.unit.symbol, p.doc) }
            for l in kind.listParameters { lines.append("  \(l.name.padding(toLength: max(18, l.name.count), withPad: " ", startingAt: 0)) [list]") }
        }
        for synapse in SynapseModel.allCases where wanted(synapse.rawValue, .point) {
            let extra = synapse.needsVolumeTransmitter ? "; needs volume_transmitter" : ""
            let origin = synapse.source.map { "generated from \($0); " } ?? ""
            lines.append("\(synapse.rawValue)  (synapse; \(origin)weight and delay as for every synapse\(extra))")
            for p in synapse.parameters { row(p.name, p.defaultValue, p.unit.symbol, p.doc) }
        }
        if wanted(WaveformRelaxation.synapseModel, .point) {
            lines.append("\(WaveformRelaxation.synapseModel)  (synapse; electrical coupling of hh_psc_alpha_gap neurons)")
            lines.append("  weight             conductance g in nS; no delay; rule one_to_one with make_symmetric: true, or all_to_all within a population")
            let w = WaveformRelaxation()
            lines.append("  kernel settings    use_wfr \(w.useWFR), wfr_comm_interval 1 ms, wfr_tol \(OutputText.number(w.tolerance)), wfr_max_iterations \(w.maxIterations), wfr_interpolation_order \(w.interpolationOrder)")
        }
        for rule in ConnectionRules.all where wanted(rule.name, .point) {
            lines.append("\(rule.name)  (connection rule) \(rule.doc)")
            for p in rule.parameters {
                let kind = rule.wholeNumberParameters.contains(p.name) ? "whole number" : "number"
                let range = p.lo.isFinite || p.hi.isFinite ? " [range \(OutputText.number(p.lo)) .. \(OutputText.number(p.hi))]" : ""
                textRow(p.name, "required", "\(p.doc) (\(kind))\(range)")
            }
            lines.append("  allow_autapses true, allow_multapses true (NEST's defaults)")
        }
        for (mech, info) in MechanismCatalog.all.sorted(by: { $0.key < $1.key }) where wanted(mech, .cable) {
            lines.append("\(mech)  (cable \(info.kind == .density ? "density" : "point") mechanism) \(info.doc)")
            for p in info.parameters { row(p.name, p.defaultValue, p.unit.symbol, p.doc) }
            if !info.state.isEmpty { lines.append("  state: \(info.stateNames.joined(separator: ", "))") }
        }
        for model in MassModels.all.sorted(by: { $0.name < $1.name }) where wanted(model.name, .mass) {
            lines.append("\(model.name)  (neural mass) \(model.doc)")
            for p in model.description.parameters {
                let range = p.lo.isFinite || p.hi.isFinite ? " [range \(OutputText.number(p.lo)) .. \(OutputText.number(p.hi))]" : ""
                if p.isVector {
                    textRow(p.name, "[" + p.defaults.map { OutputText.number($0) }.joined(separator: ", ") + "]", "\(p.doc) (vector of \(p.defaults.count))")
                } else {
                    row(p.name, p.defaults[0], "", "\(p.doc)\(range)")
                }
            }
            lines.append("  state variables: \(model.stateVariables.map(\.name).joined(separator: ", ")); variables of interest: \(model.variablesOfInterest.joined(separator: ", "))")
        }
        for coupling in MassCouplings.all where wanted(coupling.name, .mass) {
            lines.append("\(coupling.name)  (neural-mass coupling) c_i = \(coupling.doc)")
            for p in coupling.parameters { row(p.name, p.defaultValue, p.unit.symbol, p.doc) }
        }
        for integrator in MassIntegrators.all where wantedAny(integrator.tvbNames, .mass) {
            lines.append("\(integrator.tvbNames.joined(separator: ", "))  (neural-mass integrator) \(integrator.doc)")
            lines.append("  dt                 required       step in ms")
            lines.append("  noise              (Stochastic)   additive: {nsig: D}, dW = sqrt(2 D dt) z; D per state variable or one for all")
        }
        for monitor in MonitorKind.allCases where wanted(monitor.rawValue, .mass) {
            lines.append("\(monitor.rawValue)  (neural-mass monitor) \(monitor.doc)")
            for p in monitor.parameters { row(p.name, p.defaultValue, p.unit.symbol, p.doc) }
        }
        if let name, shown == 0 {
            let all = ModelCatalog.allNames + SynapseModel.allCases.map(\.rawValue) + [WaveformRelaxation.synapseModel] + MechanismCatalog.all.keys.sorted()
                + ConnectionRules.names + MassModels.names + MassCouplings.names + MassIntegrators.names
                + MonitorKind.allCases.map(\.rawValue)
            throw PlexusError("unknown model '\(name)'\(engine.map { " in the \($0.rawValue) engine" } ?? "")\(PlexusError.didYouMean(name, all)); known: \(all.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
