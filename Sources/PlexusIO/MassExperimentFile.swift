import Foundation
import PlexusCore
import PlexusModel
import PlexusMass

/// Experiment files for the neural-mass engine (`engine: mass`), decoded into `MassExperiment`,
/// the type the Swift API builds too. Shape:
/// ```yaml
/// engine: mass
/// connectivity: {tvb_data: connectivity_76}     # or {zip: my.zip} or {synthetic: {regions: 700, density: 0.27, seed: 1}}
///                                               # or {matrices: {weights: subj*/DTI_CM.mat, lengths: subj*/DTI_LEN.mat, normalize: max}}
/// speed: 3.0 mm/ms
/// model: {name: Generic2dOscillator, params: {a: -0.5}}
/// coupling: {name: Linear, params: {a: 0.0152}}
/// integrator: {name: HeunDeterministic, dt: 0.0625 ms}   # HeunStochastic: noise: {nsig: 1e-6}
/// initial_history: {V: initial_V.csv, W: 0.0}            # constant history: per region (file or list) or one value
/// duration: 500 ms
/// monitors: [{type: raw}, {type: temporal_average, period: 1 ms}, {type: bold, period: 720 ms}]
/// precision: float64                                      # or float32 (TVB's arithmetic)
/// fc: {monitor: 2, discard: 20 s, compare: empirical_fc.csv}
/// sweep: {coupling.a: {from: 0.005, to: 0.02, count: 8}, speed: [1, 2, 4] mm/ms}
/// output: {format: npy}                                   # monitor files: csv (default), npy, or [csv, npy]
/// ```
/// Relative file names are relative to the experiment file's folder.
public enum MassExperimentFile: ExperimentDecoder {
    static let topKeys = ["engine", "description", "seed", "connectivity", "speed", "model", "coupling", "integrator",
                          "initial_history", "duration", "monitors", "precision", "fc", "sweep", "models", "stimuli", "surface", "output", "fit"]

    public static func decode(_ source: ExperimentSource) throws -> MassExperiment {
        let root = source.root, file = source.file
        let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
        let top = try YNode(node: root, file: file, path: "").mapping(allowed: topKeys)
        _ = try outputFormats(top["output"])
        if let e = top["engine"] {
            guard try e.string() == "mass" else { throw e.error("engine '\(try e.string())' is not a neural-mass experiment") }
        }
        func need(_ k: String) throws -> YNode {
            guard let v = top[k] else { throw PlexusError("missing key '\(k)'", file: file, keyPath: k) }
            return v
        }
        // connectivity
        let connNode = try need("connectivity")
        let cm = try connNode.mapping(allowed: ["tvb_data", "zip", "synthetic", "matrices"])
        guard cm.count == 1 else { throw connNode.error("give exactly one of tvb_data, zip, synthetic, matrices") }
        let connectivity: ConnectivitySource
        if let m = cm["matrices"] {
            connectivity = .matrices(try matrixConnectivity(m, base: base))
        } else if let t = cm["tvb_data"] {
            connectivity = .tvbData(try t.string())
        } else if let z = cm["zip"] {
            let p = try z.string()
            connectivity = .zip(p.hasPrefix("/") ? p : base + "/" + p)
        } else {
            let s = try cm["synthetic"]!.mapping(allowed: ["regions", "density", "seed"])
            guard let r = s["regions"], let d = s["density"] else { throw cm["synthetic"]!.error("synthetic needs regions and density") }
            var seed: UInt64 = 1
            if let sn = s["seed"] {
                guard let v = UInt64(try sn.string()) else { throw sn.error("seed must be a whole number >= 0") }
                seed = v
            }
            let n = try r.int()
            guard n >= 2 else { throw r.error("regions must be >= 2, got \(n)") }
            let dens = try d.double()
            guard dens > 0, dens <= 1 else { throw d.error("density must be in (0, 1], got \(dens)") }
            connectivity = .synthetic(regions: n, density: dens, seed: seed)
        }
        let speed = try top["speed"].map { try speedValue($0) } ?? 3.0
        // model
        var model = try modelDescription(try need("model"))
        if let f = top["models"] {
            model.folders = try (f.isSequence ? f.sequence() : [f]).map { n in
                let p = try n.string()
                return p.hasPrefix("/") ? p : base + "/" + p
            }
        }
        let coupling = try top["coupling"].map { try named($0, defaultName: "Linear", allowed: ["name", "params"]) { CouplingDescription(name: $0, params: $1) } }
            ?? CouplingDescription()
        // integrator
        let inode = try need("integrator")
        let im = try inode.mapping(allowed: ["name", "dt", "noise", "nsig"])
        let iname = try im["name"]?.string() ?? "HeunDeterministic"
        guard let (kind, stochastic) = MassIntegrators.named(iname) else {
            throw (im["name"] ?? inode).error(PlexusError.unknownMessage("integrator", iname, known: MassIntegrators.names.sorted()))
        }
        let scheme = IntegrationScheme(kind)
        guard let dtNode = im["dt"] else { throw inode.error("the integrator needs dt (e.g. dt: 0.1 ms)") }
        let dt = try time(dtNode)
        guard dt > 0 else { throw dtNode.error("dt must be > 0, got \(dt) ms") }
        var nsig = [1.0]
        var nsigNode = im["nsig"]
        var numpySeed: UInt32?
        var numpySkip = 0
        var noiseKind = IntegratorDescription.NoiseKind.additive
        var ntau = 0.0
        if let nz = im["noise"] {
            let nm = try nz.mapping(allowed: ["nsig", "type", "numpy_seed", "numpy_skip", "ntau", "b"])
            if let t = nm["type"] {
                switch try t.string() {
                case "additive": break
                case "multiplicative": noiseKind = .multiplicative(a: 1, b: 0)
                case let other: throw t.error(PlexusError.unknownMessage("noise type", other, known: ["additive", "multiplicative"]))
                }
            }
            if let b = nm["b"] {
                guard case .multiplicative = noiseKind else { throw b.error("b is the multiplicative noise's equation (type: multiplicative)") }
                let bm = try b.mapping(allowed: ["a", "b"])
                let a = try bm["a"]?.double() ?? 1, c = try bm["b"]?.double() ?? 0
                guard a.isFinite, c.isFinite else { throw b.error("b: {a, b} must be finite") }
                noiseKind = .multiplicative(a: a, b: c)
            }
            if let t = nm["ntau"] {
                ntau = try time(t)
                guard ntau >= 0, ntau.isFinite else { throw t.error("ntau must be >= 0 ms (0: white noise), got \(ntau)") }
            }
            nsigNode = nm["nsig"] ?? nsigNode
            if let s = nm["numpy_seed"] {
                guard let v = UInt32(try s.string()) else { throw s.error("numpy_seed must be a whole number in 0...4294967295") }
                numpySeed = v
            }
            if let s = nm["numpy_skip"] {
                numpySkip = try s.int()
                guard numpySkip >= 0 else { throw s.error("numpy_skip must be >= 0") }
            }
        }
        if let ns = nsigNode {
            nsig = ns.isSequence ? try ns.sequence().map { try $0.double() } : [try ns.double()]
            for v in nsig where !(v >= 0) { throw ns.error("nsig must be >= 0 (TVB's D), got \(v)") }
        }
        if stochastic, nsigNode == nil { throw inode.error("\(iname) needs noise: {nsig: D} (TVB's additive noise D: dW = sqrt(2 D dt) z)") }
        if !stochastic, nsigNode != nil { throw nsigNode!.error("\(iname) is deterministic: use \(iname.replacingOccurrences(of: "Deterministic", with: "Stochastic")) for noise") }
        var integrator = IntegratorDescription(scheme: scheme, stochastic: stochastic, dt: dt, nsig: nsig)
        integrator.numpySeed = numpySeed
        integrator.numpySkip = numpySkip
        integrator.noise = noiseKind
        integrator.ntau = ntau
        // initial history
        var initial: [String: InitialValue] = [:]
        if let ih = top["initial_history"] {
            for (k, v) in try ih.mapping() {
                if v.isSequence {
                    initial[k] = .perRegion(try v.sequence().map { try $0.double() })
                } else if let x = try? v.double() {
                    guard x.isFinite else { throw v.error("initial value is \(x)") }
                    initial[k] = .constant(x)
                } else {
                    let p = try v.string()
                    initial[k] = .perRegion(try readValues(p.hasPrefix("/") ? p : base + "/" + p, node: v))
                }
            }
        }
        let durNode = try need("duration")
        let duration = try time(durNode)
        guard duration > 0 else { throw durNode.error("duration must be > 0, got \(duration) ms") }
        // monitors
        var monitors: [MonitorDescription] = []
        if let ms = top["monitors"] {
            for item in try ms.sequence() { monitors.append(try monitor(item)) }
        } else {
            monitors = [MonitorDescription(.raw)]
        }
        var precision = MassPrecision.float64
        if let p = top["precision"] {
            guard let v = MassPrecision(rawValue: try p.string()) else { throw p.error("precision must be float64 or float32") }
            precision = v
        }
        var seed: UInt64 = 42
        if let s = top["seed"] {
            guard let v = UInt64(try s.string()) else { throw s.error("seed must be a whole number >= 0") }
            seed = v
        }
        var fc: FCDescription?
        if let f = top["fc"] {
            let fm = try f.mapping(allowed: ["monitor", "discard", "compare"])
            var d = FCDescription()
            if let m = fm["monitor"] {
                if let k = try? m.int() {
                    guard k >= 0, k < monitors.count else { throw m.error("monitor \(k) is not an index of monitors (0..<\(monitors.count))") }
                    d.monitor = k
                } else {
                    let name = try m.string()
                    guard let k = monitors.lastIndex(where: { $0.stem == name || $0.kind.rawValue == name }) else {
                        throw m.error("no monitor of type '\(name)'")
                    }
                    d.monitor = k
                }
            }
            if let dn = fm["discard"] { d.discard = try time(dn) }
            if let c = fm["compare"] {
                let p = try c.string()
                d.empirical = try readValues(p.hasPrefix("/") ? p : base + "/" + p, node: c)
            }
            fc = d
        }
        var sweep: [SweepAxis] = []
        if let s = top["sweep"] {
            let entries = try s.mapping()
            guard (1...2).contains(entries.count) else { throw s.error("a sweep takes one or two parameters, got \(entries.count)") }
            for (param, v) in entries { sweep.append(SweepAxis(param, try sweepValues(param, v))) }
        }
        var e = MassExperiment(connectivity: connectivity, speed: speed, model: model, coupling: coupling, integrator: integrator,
                               initialHistory: initial, duration: duration, monitors: monitors, precision: precision, seed: seed,
                               fc: fc, sweep: sweep)
        if let sn = top["surface"] {
            let sm = try sn.mapping(allowed: ["region_mapping", "local_connectivity", "coupling_strength"])
            guard let rm = sm["region_mapping"], let lc = sm["local_connectivity"] else {
                throw sn.error("a surface needs region_mapping and local_connectivity (e.g. regionMapping_16k_76.txt, local_connectivity_16384.mat)")
            }
            let cs = try sm["coupling_strength"]?.double() ?? 1.0
            guard cs.isFinite else { throw sm["coupling_strength"]!.error("coupling_strength is \(cs)") }
            e.surfaceFiles = SurfaceFiles(regionMapping: SensorFileReader.locate(try rm.string(), base: base, folder: "regionMapping"),
                                          localConnectivity: SensorFileReader.locate(try lc.string(), base: base, folder: "local_connectivity"),
                                          couplingStrength: cs)
        }
        if let st = top["stimuli"] {
            e.stimuli = try (st.isSequence ? st.sequence() : [st]).map { try stimulus($0, base: base) }
        }
        return e
    }

    /// One region stimulus: `{equation: PulseTrain, params: {...}}`, `{expression: "0.1*sin(t)"}` or
    /// `{file: course.csv}` (time_ms,value rows), with `weights` (a list, one per region, or
    /// `{label: w}`: regions not named get 0) and optional `variables`.
    static func stimulus(_ node: YNode, base: String) throws -> StimulusDescription {
        let m = try node.mapping(allowed: ["equation", "params", "expression", "file", "weights", "variables"])
        let given = ["equation", "expression", "file"].filter { m[$0] != nil }
        guard given.count == 1 else { throw node.error("a stimulus needs one of equation, expression or file") }
        let pattern: StimulusDescription.Pattern
        if let eq = m["equation"] {
            pattern = .equation(try eq.string(), try m["params"].map(finiteValues) ?? [:])
        } else if let ex = m["expression"] {
            if let p = m["params"] { throw p.error("params go with equation:") }
            pattern = .expression(try ex.string())
        } else {
            let f = m["file"]!
            let p = try f.string()
            let path = p.hasPrefix("/") ? p : base + "/" + p
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw f.error("cannot read '\(path)'")
            }
            var times: [Double] = [], values: [Double] = []
            for (k, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") || (k == 0 && line.first.map { !$0.isNumber && $0 != "-" && $0 != "." } == true) { continue }
                let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                guard fields.count == 2, let t = Double(fields[0]), let v = Double(fields[1]), t.isFinite, v.isFinite else {
                    throw PlexusError("expected 'time_ms,value', got '\(line)'", file: path, line: k + 1)
                }
                times.append(t)
                values.append(v)
            }
            pattern = .timeCourse(times: times, values: values)
        }
        guard let w = m["weights"] else { throw node.error("a stimulus needs weights (one per region, or {region label: weight})") }
        var weights: [Double] = []
        var labels: [String: Double]?
        if w.isSequence {
            weights = try w.sequence().map { try $0.double() }
        } else {
            var d: [String: Double] = [:]
            for (k, v) in try w.mapping() { d[k] = try v.double() }
            labels = d
        }
        var s = StimulusDescription(pattern, weights: weights, variables: try m["variables"].map { try $0.sequence().map { try $0.string() } })
        s.weightsByLabel = labels
        return s
    }

    /// `model: {name, params}`: a parameter is one value, or a list (one value per region, or a
    /// vector parameter's elements).
    static func modelDescription(_ node: YNode) throws -> MassModelDescription {
        if !node.isMapping { return MassModelDescription(name: try node.string()) }
        let m = try node.mapping(allowed: ["name", "params"])
        guard let name = try m["name"]?.string() else { throw node.error("needs name:") }
        var d = MassModelDescription(name: name)
        if let p = m["params"] {
            for (k, v) in try p.mapping() {
                if v.isSequence {
                    let items = try v.sequence()
                    guard !items.isEmpty else { throw v.error("\(k): an empty list") }
                    d.lists[k] = try items.map { item in
                        let x = try item.double()
                        guard x.isFinite else { throw item.error("\(k) is \(x)") }
                        return x
                    }
                } else {
                    let x = try v.double()
                    guard x.isFinite else { throw v.error("\(k) is \(x)") }
                    d.params[k] = x
                }
            }
        }
        return d
    }

    static func named<T>(_ node: YNode, defaultName: String?, allowed: [String], _ make: (String, [String: Double]) -> T) throws -> T {
        if !node.isMapping { return make(try node.string(), [:]) }
        let m = try node.mapping(allowed: allowed)
        guard let name = try m["name"]?.string() ?? defaultName else { throw node.error("needs name:") }
        return make(name, try m["params"].map(finiteValues) ?? [:])
    }

    /// `{name: value, ...}` of finite plain numbers.
    static func finiteValues(_ node: YNode) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for (k, v) in try node.mapping() {
            let x = try v.double()
            guard x.isFinite else { throw v.error("\(k) is \(x)") }
            out[k] = x
        }
        return out
    }

    /// The names a monitor declares under `group` (kernel, params), as a file writes them.
    static func settings(of kind: MonitorKind, under group: String) -> [String] {
        kind.parameters.compactMap { $0.name.hasPrefix(group + ".") ? String($0.name.dropFirst(group.count + 1)) : nil }
    }

    static func time(_ node: YNode) throws -> Double {
        let q = try node.quantity()
        do { return try q.value(in: .ms, name: node.path) } catch let e as PlexusError { throw node.error(e.message) }
    }

    /// mm/ms (= m/s), or a plain number of mm/ms.
    static func speedValue(_ node: YNode) throws -> Double {
        let q = try node.quantity()
        let v: Double
        switch q.unit ?? "mm/ms" {
        case "mm/ms", "m/s": v = q.value
        case "mm/s": v = q.value / 1000
        case "cm/s": v = q.value / 100
        default: throw node.error("unit '\(q.unit!)' does not fit a speed; use mm/ms (or m/s)")
        }
        guard v.isFinite, v > 0 else { throw node.error("speed must be a positive number of mm/ms, got \(v)") }
        return v
    }

    /// The formats of a run's monitor files (`output: {format: csv | npy | [csv, npy]}`), in
    /// the order given; csv when the file has no `output` key.
    public static func outputFormats(_ source: ExperimentSource) throws -> [MassOutputFormat] {
        let top = try YNode(node: source.root, file: source.file, path: "").mapping(allowed: topKeys)
        return try outputFormats(top["output"])
    }

    static func outputFormats(_ node: YNode?) throws -> [MassOutputFormat] {
        guard let node else { return [.csv] }
        let m = try node.mapping(allowed: ["format"])
        guard let f = m["format"] else { throw node.error("output needs format: \(MassOutputFormat.allCases.map(\.rawValue).joined(separator: "|")) (or a list of them)") }
        let items = f.isSequence ? try f.sequence() : [f]
        guard !items.isEmpty else { throw f.error("format lists no format; give csv, npy or [csv, npy]") }
        var formats: [MassOutputFormat] = []
        for item in items {
            let name = try item.string()
            guard let v = MassOutputFormat(rawValue: name) else {
                throw item.error(PlexusError.unknownMessage("output format", name, known: MassOutputFormat.allCases.map(\.rawValue)))
            }
            guard !formats.contains(v) else { throw item.error("format '\(name)' is listed twice") }
            formats.append(v)
        }
        return formats
    }

    /// `matrices: {weights: FILES, lengths: FILES, weights_key:, lengths_key:, normalize: none|max,
    /// drop_regions: [..], self_connections: true|false, labels: [..]}`; FILES is a path, a glob
    /// or a list of them.
    static func matrixConnectivity(_ node: YNode, base: String) throws -> MatrixConnectivity {
        let m = try node.mapping(allowed: ["weights", "lengths", "weights_key", "lengths_key", "normalize", "drop_regions",
                                           "self_connections", "labels"])
        func files(_ key: String) throws -> [String] {
            guard let f = m[key] else { throw node.error("matrices needs \(key) (a file, a glob such as subjects/*/DTI_CM.mat, or a list)") }
            let patterns = f.isSequence ? try f.sequence() : [f]
            guard !patterns.isEmpty else { throw f.error("no \(key) files") }
            return try patterns.flatMap { p in
                do { return try MatrixFile.expand(try p.string(), base: base) } catch let e as PlexusError { throw p.error(e.message) }
            }
        }
        var c = MatrixConnectivity(weights: try files("weights"), lengths: try files("lengths"))
        c.weightsKey = try m["weights_key"]?.string()
        c.lengthsKey = try m["lengths_key"]?.string()
        if let n = m["normalize"] {
            guard let v = MatrixConnectivity.Normalization(rawValue: try n.string()) else {
                throw n.error(PlexusError.unknownMessage("normalize", try n.string(), known: MatrixConnectivity.Normalization.allCases.map(\.rawValue)))
            }
            c.normalize = v
        }
        if let d = m["drop_regions"] {
            c.dropRegions = try d.sequence().map { r in
                let k = try r.int()
                guard k >= 0 else { throw r.error("a region index is >= 0, got \(k)") }
                return k
            }
        }
        if let s = m["self_connections"] { c.selfConnections = try s.bool() }
        if let l = m["labels"] { c.labels = try l.sequence().map { try $0.string() } }
        return c
    }

    static func monitor(_ node: YNode) throws -> MonitorDescription {
        let m = try node.mapping(allowed: ["type", "period", "variables", "sample", "kernel", "params", "sensors", "projection",
                                           "region_mapping", "reference", "sigma", "spatial_mask", "default_mask",
                                           "input_offset", "input_scale"])
        var kinds: [String: MonitorKind] = ["subsample": .subSample, "tavg": .temporalAverage]
        for k in MonitorKind.allCases { kinds[k.rawValue] = k }
        guard let t = m["type"] else { throw node.error("a monitor needs type: \(MonitorKind.allCases.map(\.rawValue).joined(separator: "|"))") }
        guard let kind = kinds[try t.string()] else {
            throw t.error(PlexusError.unknownMessage("monitor type", try t.string(), known: MonitorKind.allCases.map(\.rawValue)))
        }
        var d = MonitorDescription(kind)
        if let p = m["period"] {
            d.period = try time(p)
            guard d.period > 0 else { throw p.error("period must be > 0") }
        } else {
            switch kind {
            case .raw, .afferentCoupling: break
            case .bold, .balloon, .neurolibBold: d.period = 2000
            case .eeg, .meg, .ieeg, .spatialAverage, .globalAverage: d.period = 1000.0 / 1024.0   // TVB's default
            default: throw node.error("a \(try t.string()) monitor needs a period")
            }
        }
        for key in ["sensors", "projection", "region_mapping", "reference", "sigma"] where m[key] != nil && !kind.isProjection {
            throw m[key]!.error("\(key) is an eeg, meg or ieeg monitor setting")
        }
        for key in ["spatial_mask", "default_mask"] where m[key] != nil && kind != .spatialAverage {
            throw m[key]!.error("\(key) is a spatial_average monitor setting")
        }
        if kind.isProjection {
            let base = (node.file as NSString).deletingLastPathComponent
            var f = SensorFileReader.defaults(kind)
            if let s = m["sensors"] { f.sensors = try s.string() }
            if let p = m["projection"] { f.projection = try p.string() }
            if let r = m["region_mapping"] { f.regionMapping = try r.string() }
            f.sensors = SensorFileReader.locate(f.sensors, base: base, folder: "sensors")
            f.projection = f.projection.map { SensorFileReader.locate($0, base: base, folder: "projectionMatrix") }
            f.regionMapping = f.regionMapping.map { SensorFileReader.locate($0, base: base, folder: "regionMapping") }
            if let r = m["reference"] {
                guard kind == .eeg else { throw r.error("reference is an eeg monitor setting") }
                f.reference = try r.string()
            }
            if let s = m["sigma"] {
                f.sigma = try s.double()
                guard f.sigma > 0, f.sigma.isFinite else { throw s.error("sigma must be > 0") }
            }
            d.sensorFiles = f
        }
        if let mask = m["spatial_mask"] { d.spatialMask = try mask.sequence().map { try $0.int() } }
        if let dm = m["default_mask"] {
            let mask = try dm.string()
            guard ["cortical", "hemispheres", "region_mapping"].contains(mask) else {
                throw dm.error(PlexusError.unknownMessage("default_mask", mask, known: ["cortical", "hemispheres", "region_mapping"]))
            }
            d.defaultMask = mask
        }
        if let v = m["variables"] { d.variables = v.isSequence ? try v.sequence().map { try $0.string() } : [try v.string()] }
        if let s = m["sample"] {
            guard kind == .balloon else { throw s.error("sample is a balloon monitor setting") }
            d.sample = try time(s)
            guard d.sample > 0 else { throw s.error("sample must be > 0") }
        }
        if let k = m["kernel"] {
            guard kind == .bold else { throw k.error("kernel is a bold monitor setting") }
            for (name, v) in try k.mapping() {
                let x = try v.double()
                switch name {
                case "tau_s": d.volterra.tau_s = x
                case "tau_f": d.volterra.tau_f = x
                case "k_1": d.volterra.k_1 = x
                case "V_0": d.volterra.V_0 = x
                case "length": d.volterra.length = try time(v)
                default: throw v.error(PlexusError.unknownMessage("kernel parameter", name, known: settings(of: .bold, under: "kernel")))
                }
            }
        }
        for key in ["input_offset", "input_scale"] {
            guard let v = m[key] else { continue }
            guard kind == .neurolibBold else { throw v.error("\(key) is a neurolib_bold monitor setting") }
            if key == "input_offset" { d.inputOffset = try v.double() } else { d.inputScale = try v.double() }
        }
        if let p = m["params"], kind == .neurolibBold {
            for (name, v) in try p.mapping() {
                let x = try v.double()
                switch name {
                case "rho": d.neurolibBold.rho = x
                case "alpha": d.neurolibBold.alpha = x
                case "V0": d.neurolibBold.V0 = x
                case "gamma": d.neurolibBold.gamma = x
                case "kappa": d.neurolibBold.kappa = x
                case "tau": d.neurolibBold.tau = x
                default: throw v.error(PlexusError.unknownMessage("neurolib_bold parameter", name, known: settings(of: .neurolibBold, under: "params")))
                }
            }
        } else if let p = m["params"] {
            guard kind == .balloon else { throw p.error("params is a balloon or neurolib_bold monitor setting") }
            for (name, v) in try p.mapping() {
                let x = try v.double()
                switch name {
                case "tau_s": d.balloon.tau_s = x
                case "tau_f": d.balloon.tau_f = x
                case "tau_o": d.balloon.tau_o = x
                case "alpha": d.balloon.alpha = x
                case "TE": d.balloon.TE = x
                case "V0": d.balloon.V0 = x
                case "E0": d.balloon.E0 = x
                case "epsilon": d.balloon.epsilon = x
                case "nu_0": d.balloon.nu_0 = x
                case "r_0": d.balloon.r_0 = x
                case "RBM": d.balloon.RBM = x != 0
                case "nonlinear": d.balloon.nonlinear = x != 0
                default: throw v.error(PlexusError.unknownMessage("balloon parameter", name, known: settings(of: .balloon, under: "params")))
                }
            }
        }
        return d
    }

    /// `[v1, v2, ...]` (units allowed), `{values: [...]}`, `{from: a, to: b, count: k}` (inclusive grid).
    static func sweepValues(_ param: String, _ node: YNode) throws -> [Double] {
        func number(_ n: YNode) throws -> Double {
            if param == "speed" { return try speedValue(n) }
            let q = try n.quantity()
            return q.value
        }
        if node.isSequence { return try node.sequence().map(number) }
        let m = try node.mapping(allowed: ["values", "from", "to", "count"])
        if let v = m["values"] { return try v.sequence().map(number) }
        guard let a = m["from"], let b = m["to"], let c = m["count"] else { throw node.error("give values: [...] or from/to/count") }
        let lo = try number(a), hi = try number(b), k = try c.int()
        guard k >= 1 else { throw c.error("count must be >= 1") }
        if k == 1 { return [lo] }
        return (0..<k).map { lo + (hi - lo) * Double($0) / Double(k - 1) }
    }

    /// Numbers from a CSV/text file: one value per region (a column, a row, or `label,value` lines),
    /// or a matrix (read row by row). A header line without numbers is skipped.
    static func readValues(_ path: String, node: YNode) throws -> [Double] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw node.error("cannot read '\(path)'")
        }
        var out: [Double] = []
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let fields = raw.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\r" || $0 == ";" })
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            let nums = fields.map { Double($0) }
            if nums.allSatisfy({ $0 == nil }) && out.isEmpty { continue }   // header
            if fields.count >= 2 && nums[0] == nil && nums.dropFirst().allSatisfy({ $0 != nil }) {
                out += nums.dropFirst().map { $0! }                          // label,value...
                continue
            }
            for (k, v) in nums.enumerated() {
                guard let v, v.isFinite else { throw PlexusError("'\(fields[k])' (column \(k + 1)) is not a finite number", file: path, line: lineNo) }
                out.append(v)
            }
        }
        return out
    }
}

/// The formats a neural-mass run writes its monitors in (`output: {format: ...}`).
public enum MassOutputFormat: String, CaseIterable, Sendable {
    /// `t_ms` then one column per region (and variable), shortest round-trip decimals.
    case csv
    /// numpy's .npy: float64, shape (samples, 1 + columns), column 0 t_ms (`RunOutput.writeMonitorNpy`).
    case npy
}
