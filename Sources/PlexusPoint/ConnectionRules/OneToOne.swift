import PlexusCore

/// NEST's `one_to_one`: source i onto target i; the populations have the same size.
public struct OneToOne: ConnectionRuleKind {
    public static let name = "one_to_one"
    public static let doc = "source i connects to target i (equal sizes)"
    public static let parameters: [ParameterSpec] = []

    public init() {}
    public init(_ arguments: ConnectionRuleArguments) throws {}
    public var arguments: ConnectionRuleArguments { ConnectionRuleArguments(Self.name) }

    public func expectedSynapses(_ shape: ConnectionShape) -> Double { Double(shape.targets) }

    public func validate(_ shape: ConnectionShape) throws {
        guard shape.sources == shape.targets else {
            throw PlexusError("one_to_one needs equal sizes; \(shape.sourceName) has \(shape.sources), \(shape.targetName) has \(shape.targets)",
                              keyPath: shape.path + ".rule")
        }
    }

    @inline(__always)
    public func connect<Sink: ConnectionSink>(_ shape: ConnectionShape, keys: Range<Int>, targets: Range<Int>, into sink: inout Sink) {
        for j in keys where !shape.noAutapse {
            sink.key(shape.targetFirstNode + j)
            sink.connect(j, j)
        }
    }
}
