import PlexusCore

/// NEST's `all_to_all`: every source onto every target (without i == j when autapses are off
/// within one population).
public struct AllToAll: ConnectionRuleKind {
    public static let name = "all_to_all"
    public static let doc = "every source connects to every target"
    public static let parameters: [ParameterSpec] = []

    public init() {}
    public init(_ arguments: ConnectionRuleArguments) throws {}
    public var arguments: ConnectionRuleArguments { ConnectionRuleArguments(Self.name) }

    @inline(__always)
    public func connect<Sink: ConnectionSink>(_ shape: ConnectionShape, keys: Range<Int>, targets: Range<Int>, into sink: inout Sink) {
        let nSrc = shape.sources, noAutapse = shape.noAutapse
        for j in keys {
            sink.key(shape.targetFirstNode + j)
            for i in 0..<nSrc where !(noAutapse && i == j) { sink.connect(i, j) }
        }
    }
}
