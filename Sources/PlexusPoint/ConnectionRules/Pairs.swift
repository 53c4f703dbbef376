import PlexusCore

/// An explicit list: source `sources[k]` onto target `targets[k]` (indices within the two
/// populations, from 0), as NEST's Connect with arrays of node ids and PyNN's FromListConnector
/// give them. No draws: the list is the connectivity (a pair listed twice is two synapses).
/// Optionally `weights[k]` (the target's weight unit) and `delays[k]` (ms) per pair, in place of
/// the synapse's weight and delay.
public struct Pairs: ConnectionRuleKind {
    public static let name = "pairs"
    public static let doc = "source sources[k] onto target targets[k] (indices within the populations, from 0)"
    public static let parameters: [ParameterSpec] = []
    public static var listParameters: [String] { ["sources", "targets"] }
    public static var valueListParameters: [String] { ["weights", "delays"] }

    public let sources: [Int]
    public let targets: [Int]
    public let weights: [Double]?
    public let delays: [Double]?
    /// The sources by target (stable: in list order): target j's are `bySource[offsets[j]..<offsets[j + 1]]`.
    let offsets: [Int]
    let bySource: [Int]
    /// The positions in the lists of target j's pairs, in the same order (for weights and delays).
    let byPosition: [Int]

    public init(sources: [Int], targets: [Int], weights: [Double]? = nil, delays: [Double]? = nil) throws {
        guard sources.count == targets.count else {
            throw PlexusError("pairs: \(sources.count) sources and \(targets.count) targets; they pair up one to one", keyPath: "targets")
        }
        for (name, list) in [("weights", weights), ("delays", delays)] {
            guard let list else { continue }
            guard list.count == sources.count else {
                throw PlexusError("pairs: \(list.count) \(name) for \(sources.count) pairs", keyPath: name)
            }
            if let k = list.firstIndex(where: { !$0.isFinite }) {
                throw PlexusError("pairs: \(name)[\(k)] = \(list[k]) must be finite", keyPath: "\(name)[\(k)]")
            }
        }
        self.weights = weights
        self.delays = delays
        for (name, list) in [("sources", sources), ("targets", targets)] {
            if let k = list.firstIndex(where: { $0 < 0 }) {
                throw PlexusError("pairs: \(name)[\(k)] = \(list[k]) is not an index (from 0)", keyPath: "\(name)[\(k)]")
            }
        }
        self.sources = sources
        self.targets = targets
        let n = (targets.max() ?? -1) + 1
        var counts = [Int](repeating: 0, count: n + 1)
        for t in targets { counts[t + 1] += 1 }
        for j in 0..<n { counts[j + 1] += counts[j] }
        var fill = counts, ordered = [Int](repeating: 0, count: sources.count), positions = ordered
        for (k, (s, t)) in zip(sources, targets).enumerated() {
            ordered[fill[t]] = s
            positions[fill[t]] = k
            fill[t] += 1
        }
        offsets = counts
        bySource = ordered
        byPosition = positions
    }

    public init(_ arguments: ConnectionRuleArguments) throws {
        try self.init(sources: try arguments.wholeList("sources"), targets: try arguments.wholeList("targets"),
                      weights: try arguments.numberList("weights"), delays: try arguments.numberList("delays"))
    }

    public var arguments: ConnectionRuleArguments {
        var values: [String: ConnectionRuleArgument] = ["sources": .wholeList(sources), "targets": .wholeList(targets)]
        if let weights { values["weights"] = .numberList(weights) }
        if let delays { values["delays"] = .numberList(delays) }
        return ConnectionRuleArguments(Self.name, values)
    }

    public func expectedSynapses(_ shape: ConnectionShape) -> Double { Double(sources.count) }

    public func validate(_ shape: ConnectionShape) throws {
        if let k = sources.firstIndex(where: { $0 >= shape.sources }) {
            throw PlexusError("pairs: sources[\(k)] = \(sources[k]) is outside \(shape.sourceName) (\(shape.sources) nodes)",
                              keyPath: shape.path + ".sources[\(k)]")
        }
        if let k = targets.firstIndex(where: { $0 >= shape.targets }) {
            throw PlexusError("pairs: targets[\(k)] = \(targets[k]) is outside \(shape.targetName) (\(shape.targets) nodes)",
                              keyPath: shape.path + ".targets[\(k)]")
        }
        if shape.noAutapse, let k = sources.indices.first(where: { sources[$0] == targets[$0] }) {
            throw PlexusError("pairs: pair \(k) connects node \(sources[k]) to itself, and allow_autapses is false",
                              keyPath: shape.path + ".sources[\(k)]")
        }
    }

    /// Gap junctions (which draw nothing) read the list in order.
    public var pairs: Zip2Sequence<[Int], [Int]> { zip(sources, targets) }

    @inline(__always)
    public func connect<Sink: ConnectionSink>(_ shape: ConnectionShape, keys: Range<Int>, targets: Range<Int>, into sink: inout Sink) {
        let explicit = weights != nil || delays != nil
        for j in keys where j + 1 < offsets.count {
            sink.key(shape.targetFirstNode + j)
            for q in offsets[j]..<offsets[j + 1] {
                if explicit {
                    let k = byPosition[q]
                    sink.connect(bySource[q], j, weight: weights?[k], delay: delays?[k])
                } else {
                    sink.connect(bySource[q], j)
                }
            }
        }
    }
}
