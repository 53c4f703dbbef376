import PlexusCore
import PlexusModel
import PlexusPoint

// Experiment-file syntax of structural plasticity (point engine):
//
//   structural_plasticity:
//     update_interval: 100 ms            # NEST's structural_plasticity_update_interval (default 10000 ms)
//     synapses:                          # NEST's structural_plasticity_synapses
//       synapse_ex: {synapse_model: static_synapse, pre_synaptic_element: Axon_ex,
//                    post_synaptic_element: Den_ex, weight: 585 pA, delay: 1 ms, allow_autapses: true}
//   populations:
//     E:
//       model: iaf_psc_alpha
//       params: {tau_Ca: 1000 ms, beta_Ca: 0.01}
//       synaptic_elements:
//         Den_ex: {growth_curve: gaussian, growth_rate: 0.001, eta: 0.0, eps: 0.05, z: 0, tau_vacant: 0.1, continuous: false}
//   connections:                         # optional initial structural synapses (their weight and
//     - {source: E, target: E, rule: fixed_indegree, indegree: 5, synapse: {model: synapse_ex}}   # delay)
//   record:
//     - type: structural                 # structural.csv: mean Ca, element and connection totals
//       interval: 100 ms                 # default: the update interval

extension ExperimentFile {
    static let elementKeys = ["growth_curve", "growth_rate", "eps", "eta", "psi", "z", "tau_vacant", "continuous"]
    static let structuralSynapseKeys = ["synapse_model", "model", "pre_synaptic_element", "post_synaptic_element",
                                        "weight", "delay", "allow_autapses"]

    /// Whether a `record:` item is the structural recording (`type: structural`).
    static func isStructuralRecording(_ node: YNode) throws -> Bool {
        guard node.isMapping, let type = try node.mapping().first(where: { $0.0 == "type" })?.1 else { return false }
        return try type.string() == "structural"
    }

    /// The structural plasticity of a point experiment: the top-level block, the populations'
    /// `synaptic_elements` and a `type: structural` recording; nil when none of them is present.
    static func structuralPlasticity(_ block: YNode?, populations: YNode, recordings: [YNode]) throws -> StructuralPlasticityDescription? {
        var sp = StructuralPlasticityDescription()
        var present = block != nil
        if let block {
            let m = try block.mapping(allowed: ["update_interval", "synapses"])
            if let u = m["update_interval"] {
                sp.updateInterval = try u.quantity()
                _ = try wrapLine(u) { try sp.updateInterval.value(in: .ms, name: "update_interval") }
            }
            if let syns = m["synapses"] {
                for (name, node) in try syns.mapping() {
                    let s = try node.mapping(allowed: structuralSynapseKeys)
                    guard let pre = s["pre_synaptic_element"] else { throw node.error("structural synapse '\(name)' needs pre_synaptic_element") }
                    guard let post = s["post_synaptic_element"] else { throw node.error("structural synapse '\(name)' needs post_synaptic_element") }
                    var d = StructuralSynapseDescription(name: name, preSynapticElement: try pre.string(),
                                                         postSynapticElement: try post.string())
                    if let model = s["synapse_model"] ?? s["model"] { d.synapseModel = try model.string() }
                    if let w = s["weight"] {
                        guard !w.isMapping, !w.isSequence else { throw w.error("weight of a structural synapse takes one number") }
                        d.weight = try w.quantity()
                    }
                    if let dl = s["delay"] {
                        guard !dl.isMapping, !dl.isSequence else { throw dl.error("delay of a structural synapse takes one number") }
                        d.delay = try dl.quantity()
                        _ = try wrapLine(dl) { try d.delay.value(in: .ms, name: "delay") }
                    }
                    if let a = s["allow_autapses"] { d.allowAutapses = try a.bool() }
                    sp.synapses.append(d)
                }
            }
        }
        for (popName, node) in try populations.mapping() where node.isMapping {
            guard let se = try node.mapping().first(where: { $0.0 == "synaptic_elements" })?.1 else { continue }
            present = true
            var elements: [String: SynapticElementDescription] = [:]
            for (name, e) in try se.mapping() {
                let m = try e.mapping(allowed: elementKeys)
                var d = SynapticElementDescription()
                if let c = m["growth_curve"] {
                    d.growthCurve = try c.string()
                    guard ["gaussian", "linear", "sigmoid"].contains(d.growthCurve) else {
                        throw c.error("unknown growth curve '\(d.growthCurve)'; known: gaussian, linear, sigmoid")
                    }
                }
                if let v = m["growth_rate"] { d.growthRate = try v.double() }
                if let v = m["eps"] { d.eps = try v.double() }
                if let v = m["eta"] { d.eta = try v.double() }
                if let v = m["psi"] { d.psi = try v.double() }
                if let v = m["z"] { d.z = try v.double() }
                if let v = m["tau_vacant"] { d.tauVacant = try v.double() }
                if let v = m["continuous"] { d.continuous = try v.bool() }
                elements[name] = d
            }
            sp.elements[popName] = elements
        }
        for r in recordings {
            present = true
            let m = try r.mapping(allowed: ["type", "interval"])
            if let i = m["interval"] {
                let q = try i.quantity()
                _ = try wrapLine(i) { try q.value(in: .ms, name: "interval") }
                sp.recordInterval = q
            } else {
                sp.recordInterval = sp.updateInterval
            }
        }
        if recordings.count > 1 { throw recordings[1].error("only one structural recording per experiment") }
        return present ? sp : nil
    }
}

extension RunOutput {
    /// structural.csv: `t_ms` then one column per total of the structural recording (mean Ca per
    /// population, sums of z and bound elements per population and element, structural synapses
    /// per synapse and population pair), one row per record time.
    public mutating func writeStructural(_ results: PointResults) throws {
        guard let r = results.structural else { return }
        try write("structural.csv") { out in
            out.line((["t_ms"] + r.columns).joined(separator: ","))
            for k in r.times.indices {
                var line = OutputText.number(r.times[k])
                for c in r.values { line += "," + OutputText.number(c[k]) }
                out.line(line)
            }
        }
    }
}
