import Foundation
import PlexusCore
import PlexusModel
import PlexusPoint
import Yams

/// Experiment files (YAML) decoded into the same description types as the Swift API.
public enum ExperimentFile: ExperimentDecoder {
    /// The engine an experiment file is for: its `engine:` key, `point` when absent.
    public static func engine(_ text: String, file: String) throws -> RunRecord.Engine {
        try ExperimentSource(text, file: file).engine
    }

    /// The YAML tree of an experiment file; syntax errors name the line (YAMLText.compose).
    public static func compose(_ text: String, file: String) throws -> Node {
        try YAMLText.compose(text, file: file, what: "experiment file")
    }

    public static func decode(_ source: ExperimentSource) throws -> PointExperiment {
        let root = source.root, file = source.file
        let top = try YNode(node: root, file: file, path: "").mapping(
            allowed: ["engine", "resolution", "duration", "seed", "populations", "connections", "record", "description", "kernel",
                      "structural_plasticity", "fit", "models"])
        if let engine = top["engine"] {
            let e = try engine.string()
            guard e == "point" else {
                throw engine.error("engine '\(e)' is not a point-neuron experiment; run it with `plexus run`")
            }
        }
        guard let durationNode = top["duration"] else { throw PlexusError("missing key 'duration'", file: file, keyPath: "duration") }
        guard let popsNode = top["populations"] else { throw PlexusError("missing key 'populations'", file: file, keyPath: "populations") }
        let resolution = try top["resolution"]?.quantity() ?? Quantity(0.1, "ms")
        let duration = try durationNode.quantity()
        var seed: UInt64 = 1
        if let s = top["seed"] {
            guard let v = UInt64(try s.string()) else { throw s.error("seed must be a whole number >= 0") }
            seed = v
        }
        // Neuron models from description files, installed before the populations name them.
        var modelFiles: [String] = []
        if let list = top["models"] {
            for item in try list.sequence() {
                let name = try item.string()
                let path = name.hasPrefix("/") ? name : URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(name).path
                guard FileManager.default.fileExists(atPath: path) else { throw item.error("no model file '\(name)' (looked in \(path))") }
                modelFiles.append(path)
            }
            do { try NeuronModelFiles.install(modelFiles) } catch let e as PlexusError {
                throw PlexusError(e.message, file: e.file ?? file, line: e.line ?? list.line, keyPath: e.file == nil ? "models" : e.keyPath)
            }
        }
        var populations: [PopulationDescription] = []
        for (name, node) in try popsNode.mapping() {
            populations.append(try population(name, node))
        }
        var connections: [ConnectionDescription] = []
        if let c = top["connections"] {
            for item in try c.sequence() { connections.append(try connection(item)) }
        }
        var recordings: [RecordingDescription] = []
        var structuralRecordings: [YNode] = []
        if let r = top["record"] {
            for item in try r.sequence() {
                if try isStructuralRecording(item) { structuralRecordings.append(item); continue }
                recordings.append(try recording(item))
            }
        }
        // Quantities are checked against their dimensions here already, so a unit error is
        // reported with its line rather than later by key path only.
        _ = try wrapLine(top["resolution"]) { try resolution.value(in: .ms, name: "resolution") }
        _ = try wrapLine(durationNode) { try duration.value(in: .ms, name: "duration") }
        var experiment = PointExperiment(resolution: resolution, duration: duration, seed: seed, populations: populations,
                                         connections: connections, recordings: recordings,
                                         waveformRelaxation: try waveformRelaxation(top["kernel"]))
        experiment.structuralPlasticity = try structuralPlasticity(top["structural_plasticity"], populations: popsNode,
                                                                   recordings: structuralRecordings)
        experiment.modelFiles = modelFiles
        try readRandomStreams(top["kernel"], into: &experiment)
        if case .nest = experiment.randomStreams, let s = top["seed"], !(1..<(1 << 32)).contains(seed) {
            throw s.error("seed must be in (0, 2^32) with random_streams: nest (it is NEST's rng_seed), got \(seed)")
        }
        return experiment
    }

    static func population(_ name: String, _ node: YNode) throws -> PopulationDescription {
        let m = try node.mapping(allowed: ["model", "size", "params", "synaptic_elements"])
        guard let model = m["model"] else { throw node.error("population '\(name)' needs a model") }
        var size = 1
        if let s = m["size"] {
            size = try s.int()
            guard size >= 1 else { throw s.error("size must be >= 1, got \(size)") }
        }
        var params: [String: ParameterValue] = [:]
        if let p = m["params"] {
            for (key, v) in try p.mapping() { params[key] = try parameterValue(v) }
        }
        let modelName = try model.string()
        guard ModelCatalog.neuron(modelName) != nil || ModelCatalog.deviceModels[modelName] != nil else {
            throw model.error(PlexusError.unknownMessage("model", modelName, known: ModelCatalog.allNames, listedAs: "known models"))
        }
        return PopulationDescription(name: name, model: modelName, size: size, params: params)
    }

    /// A mapping of parameter values as a population's `params` holds them (`{I_e: 376 pA,
    /// V_m: [-70, -65]}`; JSON is YAML too), for changes during a run; errors name `path.key`.
    public static func parameters(_ text: String, file: String, path: String) throws -> [String: ParameterValue] {
        let root = try YAMLText.compose(text, file: file, what: "parameter changes")
        var params: [String: ParameterValue] = [:]
        for (key, v) in try YNode(node: root, file: file, path: path).mapping() { params[key] = try parameterValue(v) }
        return params
    }

    /// A list of numbers written out (`[0, 3, 5]`) or kept in a numpy file (`{npy: pairs.npy}`, a
    /// 1-d array; relative paths from the experiment file's folder), for long lists such as a
    /// `pairs` rule's.
    static func numberList(_ node: YNode, what: String) throws -> [Double] {
        if node.isSequence { return try node.sequence().map { try $0.double() } }
        guard node.isMapping else { throw node.error(what + " (or {npy: file})") }
        let m = try node.mapping(allowed: ["npy"])
        guard let f = m["npy"] else { throw node.error(what + " (or {npy: file})") }
        let name = try f.string()
        let path = name.hasPrefix("/") ? name : URL(fileURLWithPath: node.file).deletingLastPathComponent().appendingPathComponent(name).path
        let array: NpyArray
        do { array = try NpyArray(contentsOf: path) } catch let e as PlexusError {
            throw PlexusError("\(path): \(e.message)", file: node.file, line: f.line, keyPath: f.path)
        }
        guard array.shape.count == 1 else {
            throw f.error("\(name): a list needs a 1-d array, this one has shape \(array.shape)")
        }
        return array.values
    }

    static func parameterValue(_ node: YNode) throws -> ParameterValue {
        if node.isSequence { return .list(try node.sequence().map { try $0.quantity() }) }
        if node.isMapping { return .distribution(try distribution(node)) }
        return .quantity(try node.quantity())
    }

    static func distribution(_ node: YNode) throws -> Distribution {
        if !node.isMapping { return .constant(try node.quantity()) }
        let m = try node.mapping(allowed: ["distribution", "mean", "std", "min", "max", "mu", "sigma", "beta", "low", "high"])
        guard let kind = m["distribution"] else { throw node.error("a distribution needs `distribution: uniform|normal|normal_clipped|lognormal|exponential`") }
        func need(_ k: String) throws -> Quantity {
            guard let v = m[k] else { throw node.error("distribution '\(try kind.string())' needs '\(k)'") }
            return try v.quantity()
        }
        switch try kind.string() {
        case "uniform":
            return .uniform(min: try m["low"] != nil ? need("low") : need("min"), max: try m["high"] != nil ? need("high") : need("max"))
        case "normal":
            if m["min"] != nil || m["max"] != nil {
                return .normalClipped(mean: try need("mean"), std: try need("std"),
                                      min: try m["min"]?.quantity() ?? Quantity(-.infinity), max: try m["max"]?.quantity() ?? Quantity(.infinity))
            }
            return .normal(mean: try need("mean"), std: try need("std"))
        case "normal_clipped":
            return .normalClipped(mean: try need("mean"), std: try need("std"),
                                  min: try m["min"]?.quantity() ?? Quantity(-.infinity), max: try m["max"]?.quantity() ?? Quantity(.infinity))
        case "lognormal":
            return .lognormal(mu: try need("mu").value, sigma: try need("sigma").value)
        case "exponential":
            return .exponential(beta: try need("beta"))
        case let other:
            throw kind.error(PlexusError.unknownMessage("distribution", other, known: ["uniform", "normal", "normal_clipped", "lognormal", "exponential"]))
        }
    }

    /// Every rule's parameters (from `ConnectionRules.all`) and the keys common to all rules.
    static let ruleKeys: [String] = {
        var keys: [String] = []
        for rule in ConnectionRules.all {
            for p in rule.parameters.map(\.name) + rule.listParameters + rule.valueListParameters where !keys.contains(p) { keys.append(p) }
        }
        return keys + ["allow_autapses", "allow_multapses", "make_symmetric"]
    }()

    static func connection(_ node: YNode) throws -> ConnectionDescription {
        let m = try node.mapping(allowed: ["source", "target", "rule", "synapse"] + ruleKeys)
        guard let src = m["source"] else { throw node.error("a connection needs a source") }
        guard let tgt = m["target"] else { throw node.error("a connection needs a target") }
        // The rule's arguments may sit next to `rule:` or inside a `rule:` mapping (NEST's conn_spec).
        var ruleArgs = m
        var ruleName = "all_to_all"
        var ruleNode = node
        if let r = m["rule"] {
            ruleNode = r
            if r.isMapping {
                let rm = try r.mapping(allowed: ["name", "rule"] + ruleKeys)
                guard let n = rm["name"] ?? rm["rule"] else { throw r.error("a rule mapping needs `name:`") }
                ruleName = try n.string()
                for (k, v) in rm where ruleKeys.contains(k) { ruleArgs[k] = v }
            } else {
                ruleName = try r.string()
            }
        }
        func arg(_ k: String) throws -> YNode {
            guard let v = ruleArgs[k] else { throw ruleNode.error("rule \(ruleName) needs '\(k)'") }
            return v
        }
        guard let kind = ConnectionRules.named(ruleName) else {
            throw ruleNode.error(PlexusError.unknownMessage("rule", ruleName, known: ConnectionRules.names))
        }
        // The rule's own parameters, whole numbers where it says so; keys of other rules are
        // ignored as before (NEST's conn_spec is checked by the rule).
        var arguments = ConnectionRuleArguments(ruleName)
        for p in kind.parameters {
            arguments.values[p.name] = kind.wholeNumberParameters.contains(p.name) ? .whole(try arg(p.name).int()) : .number(try arg(p.name).double())
        }
        for name in kind.listParameters {
            let list = try arg(name)
            let values = try numberList(list, what: "rule \(ruleName): \(name) takes a list of whole numbers")
            arguments.values[name] = .wholeList(try values.enumerated().map { k, x in
                guard x == x.rounded(), abs(x) < 0x1p53 else {
                    throw PlexusError("rule \(ruleName): \(name)[\(k)] = \(x) is not a whole number", file: list.file, line: list.line,
                                      keyPath: "\(list.path)[\(k)]")
                }
                return Int(x)
            })
        }
        for name in kind.valueListParameters {
            guard let list = ruleArgs[name] else { continue }
            arguments.values[name] = .numberList(try numberList(list, what: "rule \(ruleName): \(name) takes a list of numbers"))
        }
        let rule = ConnectionRule(any: try wrapLine(ruleNode) { try kind.init(arguments) })
        var synapse = SynapseDescription()
        if let s = m["synapse"] {
            // Besides model, weight and delay, a synapse mapping holds the model's own
            // parameters flat, as NEST's syn_spec does (checked against the model when built).
            let entries = try s.mapping()
            var sm: [String: YNode] = [:]
            for (k, v) in entries { sm[k] = v }
            if let model = sm["model"] ?? sm["synapse_model"] { synapse.model = try model.string() }
            if let r = sm["receptor_type"] { synapse.receptor = try r.int() }
            if let r = sm["record_weights"] { synapse.recordWeights = try r.bool() }
            if let v = sm["volume_transmitter"] { synapse.volumeTransmitter = try v.string() }
            try checkGapJunctionSynapse(sm)
            let reserved: Set = ["model", "synapse_model", "weight", "delay", "receptor_type", "record_weights", "volume_transmitter"]
            for (k, v) in entries where !reserved.contains(k) {
                if v.isMapping || v.isSequence { throw v.error("synapse parameter \(k) takes one number") }
                synapse.parameters[k] = try v.quantity()
            }
            if let w = sm["weight"] { synapse.weight = try distribution(w) }
            if let d = sm["delay"] {
                synapse.delay = try distribution(d)
                if case .constant(let q) = synapse.delay { _ = try wrapLine(d) { try q.value(in: .ms, name: "delay") } }
            }
        }
        return ConnectionDescription(source: try src.string(), target: try tgt.string(), rule: rule,
                                     allowAutapses: try ruleArgs["allow_autapses"]?.bool() ?? true,
                                     allowMultapses: try ruleArgs["allow_multapses"]?.bool() ?? true, synapse: synapse,
                                     makeSymmetric: try ruleArgs["make_symmetric"]?.bool() ?? false)
    }

    static func recording(_ node: YNode) throws -> RecordingDescription {
        let m = try node.mapping(allowed: ["type", "population", "variables", "interval", "record_from"])
        guard let type = m["type"] else { throw node.error("a recording needs `type: spike_recorder|multimeter|structural`") }
        guard let pop = m["population"] else { throw node.error("a recording needs a population") }
        switch try type.string() {
        case "spike_recorder", "spikes":
            return .spikes(population: try pop.string())
        case "multimeter":
            guard let vars = m["variables"] ?? m["record_from"] else { throw node.error("a multimeter needs `variables: [V_m, ...]`") }
            let names = vars.isSequence ? try vars.sequence().map { try $0.string() } : [try vars.string()]
            let interval = try m["interval"]?.quantity()
            if let i = interval { _ = try wrapLine(m["interval"]) { try i.value(in: .ms, name: "interval") } }
            return .multimeter(population: try pop.string(), variables: names, interval: interval)
        case let other:
            throw type.error(PlexusError.unknownMessage("recording type", other, known: ["spike_recorder", "multimeter", "structural"]))
        }
    }

    static func wrapLine<T>(_ node: YNode?, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as PlexusError {
            guard let node else { throw e }
            throw node.error(e.message)
        }
    }
}
