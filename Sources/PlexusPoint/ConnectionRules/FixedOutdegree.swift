import PlexusCore

/// NEST's `fixed_outdegree`: every source draws `outdegree` targets at random (distinct without
/// multapses) from a stream keyed by the source, so every thread draws every source's targets
/// and keeps those in its range.
public struct FixedOutdegree: ConnectionRuleKind {
    public static let name = "fixed_outdegree"
    public static let doc = "every source gets outdegree targets drawn at random"
    public static let parameters: [ParameterSpec] = [.init("outdegree", .one, 0, "synapses per source")]
    public static let wholeNumberParameters: Set<String> = ["outdegree"]
    public static let keyedBySource = true

    public let outdegree: Int

    public init(outdegree: Int) { self.outdegree = outdegree }
    public init(_ arguments: ConnectionRuleArguments) throws { outdegree = try arguments.whole("outdegree") }
    public var arguments: ConnectionRuleArguments { ConnectionRuleArguments(Self.name, ["outdegree": .whole(outdegree)]) }

    public func expectedSynapses(_ shape: ConnectionShape) -> Double { Double(outdegree) * Double(shape.sources) }

    public func validate(_ shape: ConnectionShape) throws {
        try shape.checkDegree(outdegree, "outdegree", pool: shape.targets, partners: "targets")
    }

    @inline(__always)
    public func connect<Sink: ConnectionSink>(_ shape: ConnectionShape, keys: Range<Int>, targets: Range<Int>, into sink: inout Sink) {
        let nTgt = shape.targets, noAutapse = shape.noAutapse, multapses = shape.multapses
        var chosen = Set<Int>()
        for i in keys {
            let gid = shape.sourceFirstNode + i
            var rng = shape.stream(.connectionTargets, id: gid)
            sink.key(gid)
            chosen.removeAll(keepingCapacity: true)
            for _ in 0..<outdegree {
                var j = rng.nextInt(below: nTgt)
                while (noAutapse && i == j) || (!multapses && chosen.contains(j)) { j = rng.nextInt(below: nTgt) }
                if !multapses { chosen.insert(j) }
                if targets.contains(j) { sink.connect(i, j) } else { sink.skip() }
            }
        }
    }
}
