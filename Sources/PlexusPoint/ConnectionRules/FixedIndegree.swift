import PlexusCore

/// NEST's `fixed_indegree`: every target draws `indegree` sources at random (distinct without
/// multapses), from its own stream.
public struct FixedIndegree: ConnectionRuleKind {
    public static let name = "fixed_indegree"
    public static let doc = "every target gets indegree sources drawn at random"
    public static let parameters: [ParameterSpec] = [.init("indegree", .one, 0, "synapses per target")]
    public static let wholeNumberParameters: Set<String> = ["indegree"]

    public let indegree: Int

    public init(indegree: Int) { self.indegree = indegree }
    public init(_ arguments: ConnectionRuleArguments) throws { indegree = try arguments.whole("indegree") }
    public var arguments: ConnectionRuleArguments { ConnectionRuleArguments(Self.name, ["indegree": .whole(indegree)]) }

    public func expectedSynapses(_ shape: ConnectionShape) -> Double { Double(indegree) * Double(shape.targets) }

    public func validate(_ shape: ConnectionShape) throws {
        try shape.checkDegree(indegree, "indegree", pool: shape.sources, partners: "sources")
    }

    @inline(__always)
    public func connect<Sink: ConnectionSink>(_ shape: ConnectionShape, keys: Range<Int>, targets: Range<Int>, into sink: inout Sink) {
        var chosen = Set<Int>()
        for j in keys {
            let gid = shape.targetFirstNode + j
            var rng = shape.stream(.connectionSources, id: gid)
            sink.key(gid)
            drawSources(indegree, onto: j, shape, &rng, &chosen, &sink)
        }
    }
}

/// Draws `k` sources for target `j` (distinct without multapses, never j itself without autapses
/// within one population): fixed_indegree and fixed_total_number.
@inline(__always)
func drawSources<Sink: ConnectionSink>(_ k: Int, onto j: Int, _ shape: ConnectionShape, _ rng: inout RandomStream,
                                       _ chosen: inout Set<Int>, _ sink: inout Sink) {
    let nSrc = shape.sources, noAutapse = shape.noAutapse
    if shape.multapses {
        for _ in 0..<k {
            var i = rng.nextInt(below: nSrc)
            while noAutapse && i == j { i = rng.nextInt(below: nSrc) }
            sink.connect(i, j)
        }
    } else {
        chosen.removeAll(keepingCapacity: true)
        for _ in 0..<k {
            var i = rng.nextInt(below: nSrc)
            while (noAutapse && i == j) || chosen.contains(i) { i = rng.nextInt(below: nSrc) }
            chosen.insert(i)
            sink.connect(i, j)
        }
    }
}

extension ConnectionShape {
    /// Checks a fixed number `k` of partners per node drawn from `pool` candidates (the sources
    /// of a target for fixed_indegree, the targets of a source for fixed_outdegree).
    func checkDegree(_ k: Int, _ name: String, pool: Int, partners: String) throws {
        let path = self.path + "." + name
        guard k >= 0 else { throw PlexusError.outOfRange(name, Double(k), "must be >= 0", keyPath: path) }
        let avail = pool - (noAutapse ? 1 : 0)
        if !multapses && k > avail {
            throw PlexusError("\(name) \(k) exceeds the \(avail) possible \(partners) without multapses", keyPath: path)
        }
        if avail <= 0 && k > 0 { throw PlexusError("no possible \(partners.dropLast()) without autapses", keyPath: path) }
    }
}
