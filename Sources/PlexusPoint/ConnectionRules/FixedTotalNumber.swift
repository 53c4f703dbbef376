import PlexusCore

/// NEST's `fixed_total_number`: N synapses in all. N is split over the targets by a multinomial
/// draw (sequential binomials from one stream, the same in every thread), then every target
/// draws its share of sources as fixed_indegree does.
public struct FixedTotalNumber: ConnectionRuleKind {
    public static let name = "fixed_total_number"
    public static let doc = "N synapses in all, split over the targets at random"
    public static let parameters: [ParameterSpec] = [.init("N", .one, 0, "number of synapses")]
    public static let wholeNumberParameters: Set<String> = ["N"]

    public let n: Int
    /// Synapses per target, after `prepared`.
    var counts: [Int] = []

    public init(n: Int) { self.n = n }
    public init(_ arguments: ConnectionRuleArguments) throws { n = try arguments.whole("N") }
    public var arguments: ConnectionRuleArguments { ConnectionRuleArguments(Self.name, ["N": .whole(n)]) }

    public func expectedSynapses(_ shape: ConnectionShape) -> Double { Double(n) }

    public func validate(_ shape: ConnectionShape) throws {
        let path = shape.path + ".N"
        guard n >= 0 else { throw PlexusError.outOfRange("N", Double(n), "must be >= 0", keyPath: path) }
        let perTarget = shape.sources - (shape.noAutapse ? 1 : 0)
        if !shape.multapses && n > perTarget * shape.targets {
            throw PlexusError("N = \(n) exceeds the \(perTarget * shape.targets) possible pairs without multapses", keyPath: path)
        }
    }

    public func prepared(_ shape: ConnectionShape) -> FixedTotalNumber {
        // Multinomial split over targets by sequential binomials: one global stream, so every
        // thread computes the same counts.
        var rng = shape.stream(.connectionCount, id: 0)
        let nTgt = shape.targets
        var left = n
        var p = self
        p.counts = (0..<nTgt).map { j in
            let c = j == nTgt - 1 ? left : rng.nextBinomial(left, 1.0 / Double(nTgt - j))
            left -= c
            return c
        }
        return p
    }

    @inline(__always)
    public func connect<Sink: ConnectionSink>(_ shape: ConnectionShape, keys: Range<Int>, targets: Range<Int>, into sink: inout Sink) {
        var chosen = Set<Int>()
        for j in keys {
            let gid = shape.targetFirstNode + j
            var rng = shape.stream(.connectionSources, id: gid)
            sink.key(gid)
            drawSources(counts[j], onto: j, shape, &rng, &chosen, &sink)
        }
    }
}
