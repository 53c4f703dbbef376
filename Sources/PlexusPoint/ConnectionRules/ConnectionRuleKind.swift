import PlexusCore

// The seam between the point-neuron engine and its connection rules. A rule kind is a value type
// that conforms to `ConnectionRuleKind`: it declares NEST's name and its parameters once, checks
// itself against the population sizes, and draws the connections onto a given set of local
// targets, calling a sink for every synapse. The engine owns everything else: the weight and
// delay streams (keyed by the node the rule names with `key`), the synapse tables, the threads.
// Adding a rule is one new file in this folder.
//
// Determinism: a rule draws from streams it makes with `ConnectionShape.stream(_:id:)`, keyed by
// a node: the target's, or for rules that draw targets (`keyedBySource`) the source's. Each key
// node's synapses depend on its own streams only, so the engine may call the rule for any split of
// the key nodes (threads, batches) and get the same network; draws onto targets of other threads
// still happen (`sink.skip()`) so that a source's streams stay aligned.

/// A connection rule kind. See the comment at the top of this file. Every conformance in this
/// module is listed in `ConnectionRules.all`.
// @registry(ConnectionRules.all)
public protocol ConnectionRuleKind: Sendable {
    /// NEST's rule name, e.g. `fixed_indegree`.
    static var name: String { get }
    static var doc: String { get }
    /// NEST's rule parameters (indegree, p, ...); every one must be given. Dimensionless.
    static var parameters: [ParameterSpec] { get }
    /// Parameters that take whole numbers (read and kept as `Int`). Default: none.
    static var wholeNumberParameters: Set<String> { get }
    /// Parameters that take lists of whole numbers (`pairs`' sources and targets). Default: none.
    static var listParameters: [String] { get }
    /// Optional parameters that take lists of numbers (`pairs`' weights and delays). Default: none.
    static var valueListParameters: [String] { get }
    /// Streams keyed by the source (the rule draws targets), not by the target. Default: false.
    static var keyedBySource: Bool { get }

    /// The rule with its arguments; missing ones throw (the file reader checks them first).
    init(_ arguments: ConnectionRuleArguments) throws
    /// The arguments, for the record and for comparing rules.
    var arguments: ConnectionRuleArguments { get }

    /// Checks the rule against the populations it connects; errors name the key path under
    /// `shape.path` (`connections[2].indegree`, `connections[2].rule`).
    func validate(_ shape: ConnectionShape) throws
    /// What the rule needs from the whole statement before threads draw their parts (the same in
    /// every thread): fixed_total_number splits N over the targets here. Default: itself.
    func prepared(_ shape: ConnectionShape) -> Self
    /// Draws the synapses of key nodes `keys` (population-local targets, or sources when
    /// `keyedBySource`) onto population-local targets `targets`, in a fixed order: per key node
    /// `sink.key(node id)`, then `sink.connect(source, target)` per synapse (population-local
    /// indices; the sink draws weight and delay from the key node's streams), or `sink.skip()`
    /// for a drawn target outside `targets`. Target-keyed rules get `keys` within `targets`.
    func connect<Sink: ConnectionSink>(_ shape: ConnectionShape, keys: Range<Int>, targets: Range<Int>, into sink: inout Sink)

    /// How many synapses the rule makes between the shape's populations (expected for random
    /// rules), for the memory estimate made before anything is drawn. Default: every pair.
    func expectedSynapses(_ shape: ConnectionShape) -> Double

    /// The engine's entry: `connect` specialised for the engine's sink, so that a rule's loop
    /// and the sink's draws compile together. Rules keep the default.
    func drawConnections(_ shape: ConnectionShape, keys: Range<Int>, targets: Range<Int>, into sink: inout ConnectionDrawSink)
}

extension ConnectionRuleKind {
    public static var wholeNumberParameters: Set<String> { [] }
    public static var listParameters: [String] { [] }
    public static var valueListParameters: [String] { [] }
    public static var keyedBySource: Bool { false }
    public func validate(_ shape: ConnectionShape) throws {}
    public func prepared(_ shape: ConnectionShape) -> Self { self }
    public func expectedSynapses(_ shape: ConnectionShape) -> Double { Double(shape.sources) * Double(shape.targets) }
    @inline(__always)
    public func drawConnections(_ shape: ConnectionShape, keys: Range<Int>, targets: Range<Int>, into sink: inout ConnectionDrawSink) {
        connect(shape, keys: keys, targets: targets, into: &sink)
    }
    public var name: String { Self.name }
}

/// Receives a rule's synapses.
public protocol ConnectionSink {
    /// The synapses that follow draw their weights and delays from `node`'s streams.
    mutating func key(_ node: Int)
    /// A synapse from population-local source `source` to population-local target `target`.
    mutating func connect(_ source: Int, _ target: Int)
    /// A synapse onto a target outside the requested range: its weight and delay are drawn (the
    /// key node's streams stay aligned) but nothing is made.
    mutating func skip()
    /// A synapse whose rule gives its weight (target's unit) or delay (ms); nil: drawn as usual.
    mutating func connect(_ source: Int, _ target: Int, weight: Double?, delay: Double?)
}

extension ConnectionSink {
    /// Sinks that keep no values (counting) take the pair.
    public mutating func connect(_ source: Int, _ target: Int, weight: Double?, delay: Double?) { connect(source, target) }
}

/// One argument of a rule: NEST's rule parameters are whole numbers (indegree) or numbers (p).
public enum ConnectionRuleArgument: Sendable, Equatable, CustomStringConvertible {
    case whole(Int)
    case number(Double)
    case wholeList([Int])
    case numberList([Double])

    public var description: String {
        switch self {
        case .whole(let k): return "\(k)"
        case .number(let x): return "\(x)"
        case .wholeList(let l): return "[\(l.count) values]"
        case .numberList(let l): return "[\(l.count) values]"
        }
    }
}

/// A rule's arguments by parameter name.
public struct ConnectionRuleArguments: Sendable, Equatable {
    public var values: [String: ConnectionRuleArgument]
    /// The rule the arguments are for (named in errors).
    public var rule: String

    public init(_ rule: String, _ values: [String: ConnectionRuleArgument] = [:]) {
        self.rule = rule
        self.values = values
    }

    /// An optional list of numbers (nil when not given).
    public func numberList(_ name: String) throws -> [Double]? {
        switch values[name] {
        case .numberList(let l)?: return l
        case .wholeList(let l)?: return l.map(Double.init)
        case nil: return nil
        default: throw PlexusError("\(rule): \(name) takes a list of numbers", keyPath: name)
        }
    }

    public func wholeList(_ name: String) throws -> [Int] {
        switch values[name] {
        case .wholeList(let l)?: return l
        case nil: throw PlexusError("rule \(rule) needs '\(name)'", keyPath: name)
        default: throw PlexusError("\(rule): \(name) takes a list of whole numbers", keyPath: name)
        }
    }

    public func whole(_ name: String) throws -> Int {
        switch values[name] {
        case .wholeList?, .numberList?: throw PlexusError("\(rule): \(name) takes one whole number, not a list", keyPath: name)
        case .whole(let k)?: return k
        case .number(let x)?:
            guard x == x.rounded(), let k = Int(exactly: x) else { throw PlexusError("\(rule): \(name) = \(x) is not a whole number", keyPath: name) }
            return k
        case nil: throw PlexusError("rule \(rule) needs '\(name)'", keyPath: name)
        }
    }

    public func number(_ name: String) throws -> Double {
        switch values[name] {
        case .whole(let k)?: return Double(k)
        case .number(let x)?: return x
        case .wholeList?, .numberList?: throw PlexusError("\(rule): \(name) takes one number, not a list", keyPath: name)
        case nil: throw PlexusError("rule \(rule) needs '\(name)'", keyPath: name)
        }
    }
}

/// The populations a statement connects and what the rule needs to draw its connections.
public struct ConnectionShape: Sendable {
    /// Key path of the statement (`connections[2]`), for errors.
    public let path: String
    public let sourceName: String
    public let targetName: String
    public let sources: Int
    public let targets: Int
    /// Node ids of the first source and first target (stream keys).
    public let sourceFirstNode: Int
    public let targetFirstNode: Int
    public let samePopulation: Bool
    public let autapses: Bool
    public let multapses: Bool
    /// The statement's index (stream index) and the run's seed.
    public let statement: Int
    public let seed: UInt64

    public init(path: String, sourceName: String, targetName: String, sources: Int, targets: Int, sourceFirstNode: Int,
                targetFirstNode: Int, samePopulation: Bool, autapses: Bool, multapses: Bool, statement: Int, seed: UInt64) {
        self.path = path
        self.sourceName = sourceName
        self.targetName = targetName
        self.sources = sources
        self.targets = targets
        self.sourceFirstNode = sourceFirstNode
        self.targetFirstNode = targetFirstNode
        self.samePopulation = samePopulation
        self.autapses = autapses
        self.multapses = multapses
        self.statement = statement
        self.seed = seed
    }

    /// Source i == target j is excluded.
    @inlinable public var noAutapse: Bool { samePopulation && !autapses }

    /// The statement's stream for `purpose` keyed by node `id`.
    @inlinable @inline(__always)
    public func stream(_ purpose: RandomPurpose, id: Int) -> RandomStream {
        RandomStream(seed: seed, purpose: purpose, index: UInt32(truncatingIfNeeded: statement), id: UInt64(id))
    }
}

/// Every connection rule the engine knows, by NEST name (`all` is generated from the conformances).
public enum ConnectionRules {
    public static func named(_ name: String) -> (any ConnectionRuleKind.Type)? { all.first { $0.name == name } }
    public static var names: [String] { all.map { $0.name } }
}

/// One synapse as the engine's sink hands it on: population-local source and target, weight and
/// delay in steps.
public struct DrawnSynapse {
    public var source: Int
    public var target: Int
    public var weight: Double
    public var delay: Int
}

/// The engine's sink: draws each synapse's weight and delay from the key node's streams, in the
/// rule's order, and keeps the synapses for the build pass (`PointNetwork.enumerate`), which runs
/// its per-synapse work over them after each call of the rule (one dynamic call per batch of key
/// nodes, and the pass's work compiles into its own loop).
public struct ConnectionDrawSink: ConnectionSink {
    let seed: UInt64
    let statement: UInt32
    let draw: Bool
    let constW: Double?
    let constD: Int?
    let weight: Sampler
    let delay: Sampler
    let h: Double
    var wr: RandomStream
    var dr: RandomStream
    /// The synapses drawn since the last `clear`; the owner deallocates (`release`).
    var drawn: UnsafeMutablePointer<DrawnSynapse>
    var count = 0
    var capacity = 4096

    /// Whether a rule's explicit weights are taken (not for targets that count spikes).
    let explicitWeights: Bool

    init(seed: UInt64, statement: UInt32, draw: Bool, constW: Double?, constD: Int?, weight: Sampler, delay: Sampler, h: Double,
         explicitWeights: Bool = true) {
        self.explicitWeights = explicitWeights
        self.seed = seed
        self.statement = statement
        self.draw = draw
        self.constW = constW
        self.constD = constD
        self.weight = weight
        self.delay = delay
        self.h = h
        wr = RandomStream(seed: seed, purpose: .connectionWeights, index: statement, id: 0)
        dr = wr
        drawn = .allocate(capacity: capacity)
    }

    var batch: UnsafeBufferPointer<DrawnSynapse> { UnsafeBufferPointer(start: drawn, count: count) }
    mutating func clear() { count = 0 }
    func release() { drawn.deallocate() }

    @inline(never)
    mutating func grow() {
        let bigger = UnsafeMutablePointer<DrawnSynapse>.allocate(capacity: 2 * capacity)
        bigger.moveInitialize(from: drawn, count: count)
        drawn.deallocate()
        drawn = bigger
        capacity *= 2
    }

    @inline(__always)
    public mutating func key(_ node: Int) {
        wr = RandomStream(seed: seed, purpose: .connectionWeights, index: statement, id: UInt64(node))
        dr = RandomStream(seed: seed, purpose: .connectionDelays, index: statement, id: UInt64(node))
    }

    @inline(__always)
    mutating func value() -> (Double, Int) {
        guard draw else { return (0, 0) }
        let w = constW ?? weight.draw(&wr)
        let d = constD ?? Int((delay.draw(&dr) / h).rounded())
        return (w, d)
    }

    @inline(__always)
    public mutating func connect(_ source: Int, _ target: Int) {
        let (w, d) = value()
        if count == capacity { grow() }
        (drawn + count).initialize(to: DrawnSynapse(source: source, target: target, weight: w, delay: d))
        count += 1
    }

    @inline(__always)
    public mutating func skip() { _ = value() }

    /// The rule's own weight (unless the target counts spikes: `explicitWeights` false) or delay
    /// (ms, rounded to steps), else drawn.
    @inline(__always)
    public mutating func connect(_ source: Int, _ target: Int, weight: Double?, delay: Double?) {
        var (w, d) = value()
        if draw {
            if let weight, explicitWeights { w = weight }
            if let delay { d = Int((delay / h).rounded()) }
        }
        if count == capacity { grow() }
        (drawn + count).initialize(to: DrawnSynapse(source: source, target: target, weight: w, delay: d))
        count += 1
    }
}
