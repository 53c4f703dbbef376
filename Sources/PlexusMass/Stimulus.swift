import PlexusCore
import PlexusModel

/// The region stimuli of a run, resolved: for each, the temporal pattern as a function of t (ms),
/// its weights and the state variables it drives. `fill` writes one step's stimulus,
/// `s[v*n + i] = sum over stimuli of weight_i * pattern(t)`, 0 where no stimulus drives v.
struct MassStimuli {
    struct One {
        let pattern: (Double) -> Double
        let weights: [Double]
        let variables: [Int]
        /// Per variable: whether this stimulus is the first to drive it (it stores, later ones add).
        var first: [Bool] = []
    }

    let stimuli: [One]
    /// Every state variable some stimulus drives.
    let driven: [Int]

    /// `regionMapping` (a surface run): each vertex takes its region's weight, as TVB's
    /// `StimuliRegion.configure_space(region_mapping)` does; the weights are given per region.
    init(_ descriptions: [StimulusDescription], model: MassModelKind, labels: [String], regionMapping: [Int]? = nil) throws {
        let n = labels.count
        var out: [One] = []
        for (k, var d) in descriptions.enumerated() {
            let path = "stimuli[\(k)]"
            if let byLabel = d.weightsByLabel {
                d.weights = [Double](repeating: 0, count: n)
                for (label, w) in byLabel.sorted(by: { $0.key < $1.key }) {
                    guard let i = labels.firstIndex(of: label) else {
                        throw PlexusError(PlexusError.unknownMessage("region", label, known: labels), keyPath: "\(path).weights.\(label)")
                    }
                    d.weights[i] = w
                }
            }
            guard d.weights.count == n else {
                throw PlexusError("\(d.weights.count) weights for \(n) regions", keyPath: "\(path).weights")
            }
            for (i, w) in d.weights.enumerated() where !w.isFinite {
                throw PlexusError("the weight of region \(i) is \(w)", keyPath: "\(path).weights")
            }
            var variables = model.description.stimulated
            if let names = d.variables {
                variables = try names.map { name in
                    guard let v = model.stateIndex(name) else {
                        throw PlexusError(PlexusError.unknownMessage("state variable", name, known: model.stateVariables.map(\.name)),
                                          keyPath: "\(path).variables")
                    }
                    return v
                }
            }
            let weights = regionMapping.map { mapping in mapping.map { d.weights[$0] } } ?? d.weights
            out.append(One(pattern: try Self.pattern(d.pattern, path: path), weights: weights, variables: variables))
        }
        var seen = Set<Int>()
        for k in out.indices { out[k].first = out[k].variables.map { seen.insert($0).inserted } }
        stimuli = out
        driven = seen.sorted()
    }

    static func pattern(_ p: StimulusDescription.Pattern, path: String) throws -> (Double) -> Double {
        switch p {
        case .equation(let name, let given):
            guard let eq = StimulusDescription.equations[name] else {
                throw PlexusError(PlexusError.unknownMessage("temporal equation", name, known: StimulusDescription.equations.keys.sorted()),
                                  keyPath: "\(path).equation")
            }
            var values = eq.defaults
            for (k, v) in given {
                guard values[k] != nil else {
                    throw PlexusError(PlexusError.unknownMessage("parameter of \(name)", k, known: eq.defaults.keys.sorted()), keyPath: "\(path).params.\(k)")
                }
                guard v.isFinite else { throw PlexusError("\(k) is \(v)", keyPath: "\(path).params.\(k)") }
                values[k] = v
            }
            let e = RateEvaluator(try RateExpressionParser.parse(eq.text))
            return { t in e.evaluate { $0 == "t" ? t : values[$0] } }
        case .expression(let text):
            let parsed: Expr
            do { parsed = try RateExpressionParser.parse(text) } catch let err as PlexusError {
                throw PlexusError(err.message, keyPath: "\(path).expression")
            }
            for name in parsed.names where name != "t" && name != "pi" {
                throw PlexusError("unknown name '\(name)': a stimulus expression reads t (ms) only", keyPath: "\(path).expression")
            }
            let e = RateEvaluator(parsed)
            return { t in e.evaluate { $0 == "t" ? t : nil } }
        case .timeCourse(let times, let values):
            guard times.count == values.count, !times.isEmpty else {
                throw PlexusError("a time course needs as many values as times, at least one", keyPath: "\(path).file")
            }
            for k in 1..<max(1, times.count) where !(times[k] > times[k - 1]) {
                throw PlexusError("times must increase: \(times[k]) ms after \(times[k - 1]) ms", keyPath: "\(path).file")
            }
            for v in values + times where !v.isFinite { throw PlexusError("a time course value is \(v)", keyPath: "\(path).file") }
            return { t in
                if t < times[0] { return 0 }
                if t >= times[times.count - 1] { return values[values.count - 1] }
                var lo = 0, hi = times.count - 1
                while hi - lo > 1 {
                    let mid = (lo + hi) / 2
                    if times[mid] <= t { lo = mid } else { hi = mid }
                }
                let f = (t - times[lo]) / (times[hi] - times[lo])
                return values[lo] + f * (values[hi] - values[lo])
            }
        }
    }

    /// The stimulus of the step that starts at t, for nodes r (regions, or a surface's vertices).
    func fill(_ s: UnsafeMutablePointer<Double>, n: Int, t: Double, range r: Range<Int>) {
        for st in stimuli {
            let p = st.pattern(t)
            for (j, v) in st.variables.enumerated() {
                // The first stimulus of a variable is stored as TVB stores its one stimulus (w * p,
                // signed zeros included); further ones are added.
                if st.first[j] {
                    for i in r { s[v * n + i] = st.weights[i] * p }
                } else {
                    for i in r { s[v * n + i] += st.weights[i] * p }
                }
            }
        }
    }
}
