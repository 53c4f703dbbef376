import Foundation
import PlexusCore
import PlexusModel
import PlexusCable

/// `engine: cable` experiment files, decoded into the cable engine's description types (the same
/// ones the Swift API builds). Every error names the file, line and key path.
///
/// ```yaml
/// engine: cable
/// mechanisms: [allen/mechanisms]          # optional: folders of .mod files (NMODL) the cells use
/// resolution: 0.025 ms
/// duration: 80 ms
/// cells:
///   bas:
///     morphology: {swc: data/ball_and_stick.swc, dialect: neuron}   # or {generator: busyring, depth: 4}
///     discretization: {per_branch: 40}       # max_extent: 10 um | every_segment: true | single: true; region: dend; or a list
///     temperature: 6.3 degC
///     defaults: {Ra: 150 ohm*cm, cm: 1 uF/cm2, V_init: -65 mV}
///     paint: [{region: soma, mechanism: hh}, {region: dend, mechanism: pas, params: {g: 0.0005 S/cm2, e: -70 mV}}]
///     place: [{locset: soma_center, iclamp: {delay: 5 ms, duration: 20 ms, amplitude: 0.3 nA}},
///             {locset: "(location 1 0.5)", synapse: expsyn, label: syn, params: {tau: 2 ms}}]
///     detectors: [{locset: soma_center, threshold: -10 mV}]
///     probes: [{locset: soma_center, variable: v, interval: 0.1 ms, label: soma}]
/// populations: {c: {cell: bas, size: 1}}
/// connections: [{source: "c[0]", target: "c[1]", synapse: syn, weight: 0.01 uS, delay: 5 ms},
///               {rule: ring, population: c, synapse: syn, weight: 0.01 uS, delay: 5 ms, group_size: 10}]
/// generators: [{population: c, cells: [0], synapse: syn, weight: 0.01 uS, times: [1 ms]}]   # or regular: / poisson:
/// report: {times: [12 ms, 30 ms], cells: [0]}   # optional: when and which cells report.html draws coloured by voltage
/// ```
public enum CableExperimentFile: ExperimentDecoder {
    public static func decode(_ source: ExperimentSource) throws -> CableExperiment {
        let root = source.root, file = source.file
        let top = try YNode(node: root, file: file, path: "").mapping(
            allowed: ["engine", "mechanisms", "resolution", "duration", "seed", "cells", "populations", "connections", "generators", "record", "description", "report", "fit"])
        if let e = top["engine"], try e.string() != "cable" {
            throw e.error("engine '\(try e.string())' is not a cable experiment")
        }
        guard let durationNode = top["duration"] else { throw PlexusError("missing key 'duration'", file: file, keyPath: "duration") }
        guard let cellsNode = top["cells"] else { throw PlexusError("missing key 'cells'", file: file, keyPath: "cells") }
        guard let popsNode = top["populations"] else { throw PlexusError("missing key 'populations'", file: file, keyPath: "populations") }
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        // Mechanism folders first: cells name their mechanisms.
        var folders: [String] = []
        if let mn = top["mechanisms"] {
            let items = mn.isSequence ? try mn.sequence() : [mn]
            for item in items {
                let path = try item.string()
                let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
                    throw item.error("no folder '\(path)' (looked in \(url.path)): `mechanisms:` lists folders of .mod files")
                }
                folders.append(url.standardizedFileURL.path)
            }
        }
        let catalogue: MechanismCatalogue
        do { catalogue = try MechanismCatalogue.with(folders: folders) } catch let e as PlexusError {
            throw e.file == nil ? top["mechanisms"]!.error(e.message) : e
        }
        let resolution = try top["resolution"].map { try value($0, .ms, "resolution") } ?? 0.025
        guard resolution > 0 else { throw top["resolution"]!.error("resolution must be a positive time") }
        let duration = try value(durationNode, .ms, "duration")
        guard duration >= 0 else { throw durationNode.error("duration must be >= 0 ms") }
        var cells: [(String, CableCellDescription)] = []
        for (name, node) in try cellsNode.mapping() { cells.append((name, try cell(node, base: base, catalogue: catalogue))) }
        var pops: [CablePopulation] = []
        for (name, node) in try popsNode.mapping() {
            let m = try node.mapping(allowed: ["cell", "size"])
            guard let c = m["cell"] else { throw node.error("population '\(name)' needs `cell:`") }
            let cname = try c.string()
            guard cells.contains(where: { $0.0 == cname }) else {
                throw c.error("unknown cell '\(cname)'; defined cells: \(cells.map(\.0).joined(separator: ", "))")
            }
            let size = try m["size"]?.int() ?? 1
            guard size >= 1 else { throw m["size"]!.error("size must be >= 1, got \(size)") }
            pops.append(CablePopulation(name: name, cell: cname, size: size))
        }
        var net = CableExperiment(resolution: resolution, duration: duration, cells: cells, populations: pops)
        net.mechanismFolders = folders
        if let s = top["seed"] {
            guard let v = UInt64(try s.string()) else { throw s.error("seed must be a whole number >= 0") }
            net.seed = v
        }
        if let c = top["connections"] {
            for item in try c.sequence() { net.connections.append(try connection(item, net)) }
        }
        if let g = top["generators"] {
            for item in try g.sequence() { net.generators.append(try generator(item, net)) }
        }
        if let r = top["report"] { _ = try reportOptions(r, duration: duration) }
        if let r = top["record"] {
            let m = try r.mapping(allowed: ["spikes"])
            if let s = m["spikes"] { net.recordSpikes = try s.bool() }
        }
        return net
    }

    /// The optional `report:` section: times at which report.html draws the morphology coloured
    /// by voltage, and the gids of the cells drawn (nil = the report's choice).
    public struct ReportOptions: Sendable, Equatable {
        public var times: [Double]?
        public var cells: [Int]?
    }

    public static func reportOptions(_ text: String, file: String = "<string>") throws -> ReportOptions {
        try reportOptions(ExperimentSource(text, file: file))
    }

    public static func reportOptions(_ source: ExperimentSource) throws -> ReportOptions {
        let root = source.root, file = source.file
        let top = Dictionary(try YNode(node: root, file: file, path: "").mapping(), uniquingKeysWith: { a, _ in a })
        guard let r = top["report"] else { return ReportOptions() }
        let duration = try top["duration"].map { try value($0, .ms, "duration") } ?? .infinity
        return try reportOptions(r, duration: duration)
    }

    static func reportOptions(_ node: YNode, duration: Double) throws -> ReportOptions {
        let m = try node.mapping(allowed: ["times", "cells"])
        var o = ReportOptions()
        if let t = m["times"] {
            o.times = try t.sequence().map { n in
                let x = try value(n, .ms, "time")
                guard x >= 0, x <= duration else { throw n.error("report times must lie in 0 ... \(duration) ms (the run)") }
                return x
            }
        }
        if let c = m["cells"] {
            o.cells = try c.sequence().map { n in
                let g = try n.int()
                guard g >= 0 else { throw n.error("cells are gids >= 0") }
                return g
            }
        }
        return o
    }

    static func value(_ node: YNode, _ unit: PhysicalUnit, _ name: String) throws -> Double {
        let q = try node.quantity()
        do { return try q.value(in: unit, name: name) } catch let e as PlexusError { throw node.error(e.message) }
    }

    static func cell(_ node: YNode, base: URL, catalogue: MechanismCatalogue = .builtin) throws -> CableCellDescription {
        let m = try node.mapping(allowed: ["morphology", "allen", "discretization", "temperature", "defaults", "ions", "paint", "place", "detectors", "probes"])
        var c: CableCellDescription
        if let a = m["allen"] {
            // An Allen Cell Types model: morphology, passive properties, channels and CVs from its files.
            if let other = ["morphology", "discretization"].first(where: { m[$0] != nil }) {
                throw m[other]!.error("`\(other)` comes from the Allen model (`allen:`); leave it out")
            }
            let am = try a.mapping(allowed: ["morphology", "fit", "scale"])
            guard let morph = am["morphology"], let fit = am["fit"] else { throw a.error("`allen:` needs `morphology:` (an SWC file) and `fit:` (its *_fit.json)") }
            func file(_ n: YNode) throws -> String {
                let rel = try n.string()
                let path = rel.hasPrefix("/") ? rel : base.appendingPathComponent(rel).path
                guard FileManager.default.fileExists(atPath: path) else { throw n.error("file not found: \(path)") }
                return path
            }
            var scales: [String: Double] = [:]
            if let sc = am["scale"] {
                for (name, v) in try sc.mapping() {
                    let x = try v.double()
                    guard x.isFinite, x >= 0 else { throw v.error("a scale is a finite number >= 0, got \(x)") }
                    scales[name] = x
                }
            }
            do {
                c = try AllenModel.cell(morphology: try file(morph), fit: try file(fit), catalogue: catalogue, scales: scales)
            } catch let e as PlexusError where e.message.hasPrefix("scale names") {
                throw am["scale"]!.error(e.message)
            }
        } else {
            guard let morph = m["morphology"] else { throw node.error("a cell needs `morphology:` (or `allen:`)") }
            c = CableCellDescription(morphology: try morphology(morph, base: base))
        }
        if let d = m["discretization"] { c.discretization = try discretization(d) }
        if let t = m["temperature"] { c.temperature = try value(t, .degC, "temperature") }
        if let d = m["defaults"] {
            let dm = try d.mapping(allowed: ["Ra", "cm", "V_init", "Vm"])
            if let v = dm["Ra"] { c.axialResistivity = try value(v, .ohm_cm, "Ra"); guard c.axialResistivity > 0 else { throw v.error("Ra must be > 0") } }
            if let v = dm["cm"] { c.membraneCapacitance = try value(v, .uF_per_cm2, "cm"); guard c.membraneCapacitance > 0 else { throw v.error("cm must be > 0") } }
            if let v = dm["V_init"] ?? dm["Vm"] { c.initialVoltage = try value(v, .mV, "V_init") }
        }
        if let ions = m["ions"] {
            // ions: {na: {reversal: 53 mV}, ca: {inside: 5e-5, outside: 2}}: concentrations in mM;
            // without a reversal potential it is Nernst's of the concentrations.
            var set = c.ions ?? [:]
            for (name, node) in try ions.mapping() {
                let im = try node.mapping(allowed: ["reversal", "inside", "outside"])
                var sp = set[name] ?? IonSpecies.defaults[name] ?? IonSpecies(inside: 1, outside: 1, reversal: nil)
                if im["inside"] != nil || im["outside"] != nil { sp.reversal = nil }
                if let v = im["inside"] { sp.internalConcentration = try v.double(); guard sp.internalConcentration > 0, sp.internalConcentration.isFinite else { throw v.error("inside must be a positive concentration (mM)") } }
                if let v = im["outside"] { sp.externalConcentration = try v.double(); guard sp.externalConcentration > 0, sp.externalConcentration.isFinite else { throw v.error("outside must be a positive concentration (mM)") } }
                if let v = im["reversal"] { sp.reversal = try value(v, .mV, "reversal") }
                set[name] = sp
            }
            c.ions = set
        }
        if let p = m["paint"] {
            for item in try p.sequence() {
                let pm = try item.mapping(allowed: ["region", "mechanism", "params", "cm"])
                guard let r = pm["region"] else { throw item.error("a paint needs `region:`") }
                if let cmNode = pm["cm"] {
                    if pm["mechanism"] != nil { throw item.error("a paint sets `cm:` or a `mechanism:`, not both") }
                    let v = try value(cmNode, .uF_per_cm2, "cm")
                    guard v > 0 else { throw cmNode.error("cm must be > 0") }
                    c.capacitancePaints = (c.capacitancePaints ?? []) + [RegionValue(try region(r), v)]
                    continue
                }
                guard let mech = pm["mechanism"] else { throw item.error("a paint needs `mechanism:` (or `cm:`)") }
                let desc = try mechanism(mech, pm["params"], kind: .density, catalogue: catalogue)
                c.paints.append(Paint(try region(r), desc))
            }
        }
        if let p = m["place"] {
            for item in try p.sequence() {
                let pm = try item.mapping(allowed: ["locset", "iclamp", "clamp", "synapse", "label", "params"])
                guard let l = pm["locset"] else { throw item.error("a place needs `locset:`") }
                let ls = try locset(l)
                if let ic = pm["iclamp"] {
                    let im = try ic.mapping(allowed: ["delay", "duration", "amplitude"])
                    let delay = try im["delay"].map { try value($0, .ms, "delay") } ?? 0
                    let dur = try im["duration"].map { try value($0, .ms, "duration") } ?? .infinity
                    guard let a = im["amplitude"] else { throw ic.error("an iclamp needs `amplitude:`") }
                    guard dur >= 0 else { throw im["duration"]!.error("duration must be >= 0 ms") }
                    c.places.append(.iclamp(ls, delay: delay, duration: dur, amplitude: try value(a, .nA, "amplitude")))
                } else if let cl = pm["clamp"] {
                    c.places.append(.clamp(ls, try clamp(cl, base: base)))
                } else if let s = pm["synapse"] {
                    let desc = try mechanism(s, pm["params"], kind: .point, catalogue: catalogue)
                    guard let label = pm["label"] else { throw item.error("a synapse needs `label:` (connections name it)") }
                    c.places.append(.synapse(ls, desc, label: try label.string()))
                } else {
                    throw item.error("a place needs `iclamp:`, `clamp:` or `synapse:`")
                }
            }
        }
        if let d = m["detectors"] {
            for item in try d.sequence() {
                let dm = try item.mapping(allowed: ["locset", "threshold", "label"])
                guard let l = dm["locset"] else { throw item.error("a detector needs `locset:`") }
                let thr = try dm["threshold"].map { try value($0, .mV, "threshold") } ?? -10
                c.detectors.append(Detector(try locset(l), threshold: thr, label: try dm["label"]?.string() ?? "detector"))
            }
        }
        if let p = m["probes"] {
            for item in try p.sequence() {
                let pm = try item.mapping(allowed: ["locset", "variable", "label", "interval"])
                guard let l = pm["locset"] else { throw item.error("a probe needs `locset:`") }
                let variable = try pm["variable"]?.string() ?? "v"
                if variable != "v" {
                    let parts = variable.split(separator: ".").map(String.init)
                    guard parts.count == 2, let info = catalogue.info(parts[0]), info.probeable.contains(where: { $0.name == parts[1] }) else {
                        throw pm["variable"]!.error(catalogue.unknownProbeVariable(variable))
                    }
                }
                var interval: Double?
                if let i = pm["interval"] {
                    interval = try value(i, .ms, "interval")
                    guard interval! > 0 else { throw i.error("interval must be > 0 ms") }
                }
                c.probes.append(Probe(try locset(l), variable: variable, label: try pm["label"]?.string(), interval: interval))
            }
        }
        return c
    }

    /// A current clamp's time course: exactly one of
    /// `steps: [{delay, duration, amplitude}, ...]`, `pulses: {start, width, interval, count, amplitude}`,
    /// `ramp: {start, stop, from, to}`, `envelope: [[t, I], ...]` (linear between points, the
    /// last held) or `file: stim.csv` (rows t_ms, I_nA; linear between rows, off after the last).
    static func clamp(_ node: YNode, base: URL) throws -> CurrentEnvelope {
        let m = try node.mapping(allowed: ["steps", "pulses", "ramp", "envelope", "file"])
        guard m.count == 1, let (key, v) = m.first else {
            throw node.error("a clamp needs exactly one of steps, pulses, ramp, envelope, file")
        }
        do {
            switch key {
            case "steps":
                return try .steps(try v.sequence().map { s in
                    let sm = try s.mapping(allowed: ["delay", "duration", "amplitude"])
                    guard let a = sm["amplitude"] else { throw s.error("a step needs `amplitude:`") }
                    return (try sm["delay"].map { try value($0, .ms, "delay") } ?? 0,
                            try sm["duration"].map { try value($0, .ms, "duration") } ?? .infinity, try value(a, .nA, "amplitude"))
                })
            case "pulses":
                let pm = try v.mapping(allowed: ["start", "width", "interval", "count", "amplitude"])
                for k in ["width", "interval", "count", "amplitude"] where pm[k] == nil { throw v.error("pulses need `\(k):`") }
                return try .pulses(start: try pm["start"].map { try value($0, .ms, "start") } ?? 0, width: try value(pm["width"]!, .ms, "width"),
                                   interval: try value(pm["interval"]!, .ms, "interval"), count: try pm["count"]!.int(),
                                   amplitude: try value(pm["amplitude"]!, .nA, "amplitude"))
            case "ramp":
                let rm = try v.mapping(allowed: ["start", "stop", "from", "to"])
                for k in ["start", "stop", "to"] where rm[k] == nil { throw v.error("a ramp needs `\(k):`") }
                return try .ramp(start: try value(rm["start"]!, .ms, "start"), stop: try value(rm["stop"]!, .ms, "stop"),
                                 from: try rm["from"].map { try value($0, .nA, "from") } ?? 0, to: try value(rm["to"]!, .nA, "to"))
            case "envelope":
                var t: [Double] = [], a: [Double] = []
                for (k, p) in try v.sequence().enumerated() {
                    let pair = try p.sequence()
                    guard pair.count == 2 else { throw p.error("envelope point \(k) needs [time, amplitude]") }
                    t.append(try value(pair[0], .ms, "time")); a.append(try value(pair[1], .nA, "amplitude"))
                }
                return try CurrentEnvelope(times: t, amplitudes: a)
            default:
                let rel = try v.string()
                let path = rel.hasPrefix("/") ? rel : base.appendingPathComponent(rel).path
                return try timeCourse(path)
            }
        } catch let e as PlexusError where e.file == nil { throw v.error(e.message) }
    }

    /// A recorded or designed current: CSV rows `t_ms,I_nA` (a header line allowed), times
    /// non-decreasing; the current is off after the last row.
    static func timeCourse(_ path: String) throws -> CurrentEnvelope {
        guard let data = FileManager.default.contents(atPath: path) else { throw PlexusError("cannot read the time course file", file: path) }
        var t: [Double] = [], a: [Double] = []
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.isEmpty || fields == [""] || fields[0].hasPrefix("#") { continue }
            guard fields.count == 2, let x = Double(fields[0]), let y = Double(fields[1]) else {
                if t.isEmpty && i == 0 { continue }   // a header
                throw PlexusError("expected two numbers (t_ms, I_nA), found '\(line)'", file: path, line: i + 1)
            }
            guard x.isFinite, y.isFinite else { throw PlexusError("values must be finite, found '\(line)'", file: path, line: i + 1) }
            if let last = t.last, x < last { throw PlexusError("times must not decrease (\(last) ms then \(x) ms)", file: path, line: i + 1) }
            guard t.count < 50_000_000 else { throw PlexusError("more than 5e7 rows", file: path, line: i + 1) }
            t.append(x); a.append(y)
        }
        guard let end = t.last else { throw PlexusError("the time course file has no rows", file: path) }
        t.append(end); a.append(0)
        return try CurrentEnvelope(times: t, amplitudes: a)
    }

    static func morphology(_ node: YNode, base: URL) throws -> MorphologySource {
        let m = try node.mapping(allowed: ["swc", "dialect", "generator", "depth", "extra_tags"])
        if let swc = m["swc"] {
            let rel = try swc.string()
            let path = rel.hasPrefix("/") ? rel : base.appendingPathComponent(rel).path
            var dialect = SWC.Dialect.neuron
            if let d = m["dialect"] {
                guard let v = SWC.Dialect(rawValue: try d.string()) else { throw d.error("unknown SWC dialect '\(try d.string())'; known: neuron, arbor") }
                dialect = v
            }
            let extra = try m["extra_tags"].map { Set(try $0.sequence().map { try $0.int() }) } ?? []
            guard FileManager.default.fileExists(atPath: path) else { throw swc.error("SWC file not found: \(path)") }
            return .tree(try SWC.load(path, dialect: dialect, extraTags: extra))
        }
        if let g = m["generator"] {
            guard try g.string() == "busyring" else { throw g.error("unknown morphology generator '\(try g.string())'; known: busyring") }
            let depth = try m["depth"]?.int() ?? 4
            guard depth >= 2 else { throw m["depth"]!.error("depth must be >= 2") }
            return .busyring(BusyringShape(depth: depth))
        }
        throw node.error("a morphology needs `swc: FILE` or `generator: busyring`")
    }

    static func discretization(_ node: YNode) throws -> CVPolicy {
        if node.isSequence { return CVPolicy(try node.sequence().flatMap { try discretization($0).parts }) }
        let m = try node.mapping(allowed: ["per_branch", "max_extent", "every_segment", "single", "neuron_dl", "region"])
        let reg = try m["region"].map(region) ?? .all
        var parts: [CVPolicy.Part] = []
        if let n = m["per_branch"] {
            let v = try n.int()
            guard v >= 1 else { throw n.error("per_branch must be >= 1, got \(v)") }
            parts.append(.init(.perBranch(v), region: reg))
        }
        if let e = m["max_extent"] {
            let v = try value(e, .um, "max_extent")
            guard v > 0 else { throw e.error("max_extent must be a positive length") }
            parts.append(.init(.maxExtent(v), region: reg))
        }
        if let e = m["neuron_dl"] {
            let v = try value(e, .um, "neuron_dl")
            guard v > 0 else { throw e.error("neuron_dl must be a positive length") }
            parts.append(.init(.neuronSegments(v), region: reg))
        }
        if let e = m["every_segment"], try e.bool() { parts.append(.init(.everySegment, region: reg)) }
        if let s = m["single"], try s.bool() { parts.append(.init(.single, region: reg)) }
        guard parts.count == 1 else { throw node.error("a discretization needs exactly one of per_branch, max_extent, neuron_dl, every_segment, single") }
        return CVPolicy(parts)
    }

    static func region(_ node: YNode) throws -> Region {
        do { return try Region(parsing: try node.string()) } catch let e as PlexusError { throw node.error(e.message) }
    }

    static func locset(_ node: YNode) throws -> Locset {
        do { return try Locset(parsing: try node.string()) } catch let e as PlexusError { throw node.error(e.message) }
    }

    static func mechanism(_ node: YNode, _ params: YNode?, kind: MechanismInfo.Kind, catalogue: MechanismCatalogue) throws -> MechanismDescription {
        let name = try node.string()
        guard let info = catalogue.info(name) else { throw node.error(catalogue.unknownMechanism(name)) }
        guard info.kind == kind else {
            throw node.error(kind == .density ? "'\(name)' is a point mechanism: place it with `synapse:` at a locset" : "'\(name)' is a density mechanism: paint it on a region")
        }
        var desc = MechanismDescription(name)
        if let p = params {
            for (k, v) in try p.mapping() {
                guard let spec = info.parameters.first(where: { $0.name == k }) else {
                    throw v.error("mechanism '\(name)' has no parameter '\(k)'\(PlexusError.didYouMean(k, info.parameters.map(\.name))); its parameters: \(info.parameters.map(\.name).joined(separator: ", "))")
                }
                let x = try value(v, spec.unit, "\(name).\(k)")
                guard x.isFinite else { throw v.error("\(name).\(k) must be finite") }
                desc.params[k] = x
            }
        }
        return desc
    }

    /// "pop[3]" or "pop" (index 0 when `single`).
    static func cellRef(_ node: YNode, _ net: CableExperiment) throws -> Int {
        let s = try node.string()
        var name = s, index = 0
        if let open = s.firstIndex(of: "["), s.hasSuffix("]") {
            name = String(s[..<open])
            guard let i = Int(s[s.index(after: open)..<s.index(before: s.endIndex)]) else { throw node.error("'\(s)': expected population[index]") }
            index = i
        }
        guard let r = net.gids(of: name) else {
            throw node.error("unknown population '\(name)'; populations: \(net.populations.map(\.name).joined(separator: ", "))")
        }
        guard index >= 0, index < r.count else { throw node.error("'\(s)': population \(name) has cells 0..<\(r.count)") }
        return r.lowerBound + index
    }

    static func target(_ m: [String: YNode], _ node: YNode) throws -> TargetRef {
        guard let s = m["synapse"] else { throw node.error("needs `synapse:` (a synapse label of the target cell)") }
        return TargetRef(try s.string(), try m["index"]?.int() ?? 0)
    }

    static func connection(_ node: YNode, _ net: CableExperiment) throws -> CableConnectionSet {
        let m = try node.mapping(allowed: ["source", "detector", "target", "synapse", "index", "weight", "delay", "rule", "population",
                                           "group_size", "count", "min_delay"])
        let rule = try m["rule"]?.string() ?? "one"
        func need(_ k: String) throws -> YNode {
            guard let v = m[k] else { throw node.error("connection rule '\(rule)' needs `\(k):`") }
            return v
        }
        func pop() throws -> String {
            let n = try need("population")
            let p = try n.string()
            guard net.gids(of: p) != nil else { throw n.error("unknown population '\(p)'") }
            return p
        }
        switch rule {
        case "one":
            let src = try cellRef(try need("source"), net), tgt = try cellRef(try need("target"), net)
            let delay = try value(try need("delay"), .ms, "delay")
            guard delay > 0 else { throw m["delay"]!.error("delay must be > 0 ms") }
            return .list([CableConnection(source: src, detector: try m["detector"]?.int() ?? 0, target: tgt, synapse: try target(m, node),
                                          weight: try value(try need("weight"), .uS, "weight"), delay: delay)])
        case "ring":
            let delay = try value(try need("delay"), .ms, "delay")
            guard delay > 0 else { throw m["delay"]!.error("delay must be > 0 ms") }
            let p = try pop()
            return .ring(population: p, groupSize: try m["group_size"]?.int() ?? net.gids(of: p)!.count, synapse: try target(m, node),
                         weight: try value(try need("weight"), .uS, "weight"), delay: delay)
        case "busyring_extra":
            let md = try value(try need("min_delay"), .ms, "min_delay")
            guard md > 0 else { throw m["min_delay"]!.error("min_delay must be > 0 ms") }
            return .busyringExtra(population: try pop(), count: try need("count").int(), label: try target(m, node).label,
                                  weight: try m["weight"].map { try value($0, .uS, "weight") } ?? 0, minDelay: md)
        default:
            throw m["rule"]!.error("unknown connection rule '\(rule)'; known: ring, busyring_extra (or none for one connection)")
        }
    }

    static func generator(_ node: YNode, _ net: CableExperiment) throws -> EventGenerator {
        let m = try node.mapping(allowed: ["population", "cells", "every", "synapse", "index", "weight", "times", "regular", "poisson"])
        guard let p = m["population"] else { throw node.error("a generator needs `population:`") }
        let pop = try p.string()
        guard let r = net.gids(of: pop) else { throw p.error("unknown population '\(pop)'") }
        var cells: [Int]?
        if let c = m["cells"] {
            cells = try c.sequence().map { n in
                let i = try n.int()
                guard i >= 0, i < r.count else { throw n.error("cell index \(i) is outside population '\(pop)' (size \(r.count))") }
                return i
            }
        }
        if let e = m["every"] {
            let k = try e.int()
            guard k >= 1 else { throw e.error("every must be >= 1") }
            cells = Array(stride(from: 0, to: r.count, by: k))
        }
        guard let w = m["weight"] else { throw node.error("a generator needs `weight:`") }
        let weight = try value(w, .uS, "weight")
        let schedule: EventGenerator.Schedule
        if let t = m["times"] {
            schedule = .explicit(try t.sequence().map { n in
                let x = try value(n, .ms, "time")
                guard x >= 0 else { throw n.error("event times must be >= 0 ms") }
                return x
            })
        } else if let reg = m["regular"] {
            let rm = try reg.mapping(allowed: ["start", "interval", "stop"])
            guard let i = rm["interval"] else { throw reg.error("a regular schedule needs `interval:`") }
            let interval = try value(i, .ms, "interval")
            guard interval > 0 else { throw i.error("interval must be > 0 ms") }
            schedule = .regular(start: try rm["start"].map { try value($0, .ms, "start") } ?? 0, interval: interval,
                                stop: try rm["stop"].map { try value($0, .ms, "stop") } ?? .infinity)
        } else if let po = m["poisson"] {
            let pm = try po.mapping(allowed: ["rate", "start", "stop", "seed"])
            guard let rn = pm["rate"] else { throw po.error("a poisson schedule needs `rate:`") }
            let rate = try value(rn, .Hz, "rate")
            guard rate >= 0 else { throw rn.error("rate must be >= 0 Hz") }
            var seed: UInt64 = 0
            if let s = pm["seed"] { guard let v = UInt64(try s.string()) else { throw s.error("seed must be a whole number >= 0") }; seed = v }
            schedule = .poisson(rate: rate, start: try pm["start"].map { try value($0, .ms, "start") } ?? 0,
                                stop: try pm["stop"].map { try value($0, .ms, "stop") } ?? .infinity, seed: seed)
        } else {
            throw node.error("a generator needs `times:`, `regular:` or `poisson:`")
        }
        return EventGenerator(population: pop, cells: cells, synapse: try target(m, node), weight: weight, schedule: schedule)
    }
}
