import PlexusCore

/// NEST's `pairwise_bernoulli`: every (source, target) pair independently with probability p.
/// Each target skips geometrically to its next source, O(p·n) work per target.
public struct PairwiseBernoulli: ConnectionRuleKind {
    public static let name = "pairwise_bernoulli"
    public static let doc = "every pair connects with probability p"
    public static let parameters: [ParameterSpec] = [.init("p", .one, 0, lo: 0, hi: 1, "connection probability")]

    public let p: Double

    public init(p: Double) { self.p = p }
    public init(_ arguments: ConnectionRuleArguments) throws { p = try arguments.number("p") }
    public var arguments: ConnectionRuleArguments { ConnectionRuleArguments(Self.name, ["p": .number(p)]) }

    public func expectedSynapses(_ shape: ConnectionShape) -> Double { p * Double(shape.sources) * Double(shape.targets) }

    public func validate(_ shape: ConnectionShape) throws {
        guard p >= 0, p <= 1 else { throw PlexusError.outOfRange("p", p, "must be in [0, 1]", keyPath: shape.path + ".p") }
    }

    @inline(__always)
    public func connect<Sink: ConnectionSink>(_ shape: ConnectionShape, keys: Range<Int>, targets: Range<Int>, into sink: inout Sink) {
        guard p > 0 else { return }
        let nSrc = shape.sources, noAutapse = shape.noAutapse
        let logq = _log1p(-p)
        for j in keys {
            let gid = shape.targetFirstNode + j
            var rng = shape.stream(.connectionSources, id: gid)
            sink.key(gid)
            var i = -1
            while true {
                // Geometric skip to the next connected source.
                i += p >= 1 ? 1 : 1 + Int((_log(rng.nextOpenDouble()) / logq).rounded(.down))
                if i >= nSrc { break }
                if noAutapse && i == j { continue }
                sink.connect(i, j)
            }
        }
    }
}
