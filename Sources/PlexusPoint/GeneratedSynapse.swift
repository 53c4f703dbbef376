import Foundation
import CPlexusMechanism
import PlexusCore
import PlexusModel

/// A synapse model compiled from a description (a NESTML synapse file) into a shared library
/// that exports `plexus_synapse_models` (plexus_point.h). NESTMLSynapseLowering.swift has the
/// semantics; the engine runs it through the plastic tables like the built-in synapse models.
public final class GeneratedSynapseModel: @unchecked Sendable {
    public let description: PointSynapseDescription
    /// The name statements use: the file's, with `_nestml` appended when a built-in synapse model
    /// has it (NESTML's NEST target names its models so when asked to: suffix "_nestml").
    public let name: String
    /// Whether this is one of Plexus's built-in models (Descriptions/*.nestml).
    public let isBuiltIn: Bool
    let compiled: CompiledEntry<plx_synapse_model>

    init(_ description: PointSynapseDescription, entry: UnsafePointer<plx_synapse_model>, library: SharedLibrary) {
        self.description = description
        isBuiltIn = false
        compiled = CompiledEntry(library: library, entry: entry)
        let builtIn = SynapseModel.kinds.contains { $0.name == description.name } || description.name == WaveformRelaxation.synapseModel
            || BuiltinDescriptions.synapseNames.contains(description.name)
        name = builtIn ? description.name + "_nestml" : description.name
    }

    /// A built-in model whose handlers `load` compiles (or finds in the cache) on first use.
    init(builtIn description: PointSynapseDescription, load: @escaping () throws -> (SharedLibrary, UnsafePointer<plx_synapse_model>)) {
        self.description = description
        isBuiltIn = true
        compiled = CompiledEntry(load: load)
        name = description.name
    }

    /// The compiled library and the model's entry in its table (compiled on first use).
    func kernel() throws -> (library: SharedLibrary, entry: UnsafePointer<plx_synapse_model>) { try compiled.get() }

    /// The compiled library, and the C it was built from (kept beside it).
    public var libraryPath: String { compiled.libraryPath }
    public var librarySource: String { compiled.librarySource }

    /// Statement parameters: the file's parameters, then the initial values of the state.
    public var parameters: [ParameterSpec] {
        description.parameters.map(\.spec)
    }

    /// The synapse kind for a statement's parameters `p` (`given`: the keys the statement set;
    /// the other initial values follow the file's expressions of the parameters).
    func make(parameters p: ParameterValues, given: Set<String>, resolution h: Double) throws -> any PointSynapseModel {
        let entry = try kernel().entry
        let m = entry.pointee
        let np = Int(m.parameter_count)
        var constants = [Double](repeating: 0, count: Int(m.constant_count))
        for i in 0..<np { constants[i] = p.values[i] }
        constants.withUnsafeMutableBufferPointer { m.internals($0.baseAddress!, h) }
        for i in np..<constants.count where !constants[i].isFinite {
            let k = i - np
            throw PlexusError("\(k < description.internals.count ? description.internals[k] : "an internal") = \(constants[i]) is not finite under these parameters",
                              keyPath: p.specs.first?.name)
        }
        var initial = [Double](repeating: 0, count: Int(m.state_count))
        constants.withUnsafeBufferPointer { c in initial.withUnsafeMutableBufferPointer { m.initial_state(c.baseAddress!, $0.baseAddress!) } }
        for v in 1..<initial.count {
            guard v <= description.settableStateCount else {
                guard initial[v].isFinite else {
                    throw PlexusError("the initial value of \(description.state[v].name) is \(initial[v])", file: description.file)
                }
                continue
            }
            let k = np + v - 1
            if given.contains(p.specs[k].name) { initial[v] = p.values[k] }
            guard initial[v].isFinite else {
                throw PlexusError("the initial value of \(description.state[v].name) is \(initial[v])", keyPath: p.specs[k].name)
            }
        }
        // The file's conditions ([[...]]) on parameters and initial values; the weight's are
        // checked per synapse (`rejection(ofDrawnWeight:)`).
        var values: [String: Double] = [:]
        for (spec, v) in zip(p.specs, p.values) { values[spec.name] = v }
        for (v, st) in description.state.enumerated() where v > 0 { values[st.name] = initial[v] }
        for inv in description.invariants where inv.variable != "w" {
            if let why = inv.violation(values, model: description.name, file: description.file) {
                throw PlexusError("\(inv.variable) = \(values[inv.variable].map { "\($0)" } ?? "?") \(why)", keyPath: inv.variable)
            }
        }
        let n = initial.count, lanes = n + (description.lastSpikeTimeIndex == nil ? 1 : 0) + (description.draws ? 2 : 0)
        let core = GeneratedSynapseCore(model: self, entry: entry, constants: Storage(constants), initial: initial,
                                        weightConditions: description.invariants.filter { $0.variable == "w" }, values: values)
        switch lanes {
        case ...2: return GeneratedSynapse2(core: core)
        case 3: return GeneratedSynapse3(core: core)
        case 4: return GeneratedSynapse4(core: core)
        case 5: return GeneratedSynapse5(core: core)
        case 6: return GeneratedSynapse6(core: core)
        case 7...8: return GeneratedSynapse8(core: core)
        case 9...10: return GeneratedSynapse10(core: core)
        default:
            throw PlexusError("\(description.name) has \(n) state variables\(description.draws ? " and draws random numbers" : ""): a synapse holds at most \(description.draws ? 7 : 9)",
                              file: description.file)
        }
    }
}

/// One synapse's numbers inline, as many as its model needs (the tables are arrays of these: a
/// synapse costs its own size, not the largest model's): the model's state (weight first), the
/// time it was last brought up to, and for drawing models its stream's key (as bit patterns).
protocol SynapseLanes: Sendable {
    init()
}
extension SynapseLanes {
    @inline(__always)
    subscript(i: Int) -> Double {
        get { withUnsafeBytes(of: self) { $0.load(fromByteOffset: i * 8, as: Double.self) } }
        set { withUnsafeMutableBytes(of: &self) { $0.storeBytes(of: newValue, toByteOffset: i * 8, as: Double.self) } }
    }
}
struct Lanes2: SynapseLanes { var v: (Double, Double) = (0, 0) }
struct Lanes3: SynapseLanes { var v: (Double, Double, Double) = (0, 0, 0) }
struct Lanes4: SynapseLanes { var v: (Double, Double, Double, Double) = (0, 0, 0, 0) }
struct Lanes5: SynapseLanes { var v: (Double, Double, Double, Double, Double) = (0, 0, 0, 0, 0) }
struct Lanes6: SynapseLanes { var v: (Double, Double, Double, Double, Double, Double) = (0, 0, 0, 0, 0, 0) }
struct Lanes8: SynapseLanes { var v: (Double, Double, Double, Double, Double, Double, Double, Double) = (0, 0, 0, 0, 0, 0, 0, 0) }
struct Lanes10: SynapseLanes {
    var v: (Double, Double, Double, Double, Double, Double, Double, Double, Double, Double) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}

/// One statement's compiled model: its `send` and constants, a new synapse's state, and what the
/// engine asks of it.
struct GeneratedSynapseCore: @unchecked Sendable {
    let model: GeneratedSynapseModel
    let constants: Storage<Double>
    let initial: [Double]
    let weightConditions: [PointNeuronDescription.Invariant]
    /// The statement's parameters and initial values by name (for the weight's conditions).
    let values: [String: Double]
    let send: @convention(c) (UnsafeMutablePointer<plx_synapse_event>?, UnsafePointer<Double>?, UnsafeMutablePointer<Double>?,
                              UnsafePointer<Double>?, Int64) -> Void
    let readsPost: Bool
    let archiveReads: PointSynapseDescription.ArchiveReads
    let draws: Bool
    /// The lane of the time of the synapse's last update: the model's `@plexus::last_spike_time`
    /// variable, or the lane after the model's state.
    let tLastLane: Int
    /// Drawing models: the lanes of the synapse's stream id and index (after all the above).
    let keyLane: Int

    init(model: GeneratedSynapseModel, entry: UnsafePointer<plx_synapse_model>, constants: Storage<Double>, initial: [Double],
         weightConditions: [PointNeuronDescription.Invariant], values: [String: Double]) {
        self.model = model; self.constants = constants; self.initial = initial
        self.weightConditions = weightConditions; self.values = values
        send = entry.pointee.send
        readsPost = model.description.readsPostSpikes
        archiveReads = model.description.archiveReads
        draws = model.description.draws
        tLastLane = model.description.lastSpikeTimeIndex ?? initial.count
        keyLane = initial.count + (model.description.lastSpikeTimeIndex == nil ? 1 : 0)
    }
}

struct GeneratedSynapseState<L: SynapseLanes>: SynapseState {
    var x: L
    var weight: Double { x[0] }
    var variables: [String: Double] { [:] }
}

/// A generated synapse model of one state size. The engine's tables and loops are specialised per
/// model type, so each size is its own concrete type (conforming in an extension, so that the
/// registry of built-in kinds does not list them); all the code is `GeneratedSynapseKind`'s.
protocol GeneratedSynapseKind: PointSynapseModel where State == GeneratedSynapseState<Lanes> {
    associatedtype Lanes: SynapseLanes
    var core: GeneratedSynapseCore { get }
}
struct GeneratedSynapse2 { let core: GeneratedSynapseCore; typealias Lanes = Lanes2 }
struct GeneratedSynapse3 { let core: GeneratedSynapseCore; typealias Lanes = Lanes3 }
struct GeneratedSynapse4 { let core: GeneratedSynapseCore; typealias Lanes = Lanes4 }
struct GeneratedSynapse5 { let core: GeneratedSynapseCore; typealias Lanes = Lanes5 }
struct GeneratedSynapse6 { let core: GeneratedSynapseCore; typealias Lanes = Lanes6 }
struct GeneratedSynapse8 { let core: GeneratedSynapseCore; typealias Lanes = Lanes8 }
struct GeneratedSynapse10 { let core: GeneratedSynapseCore; typealias Lanes = Lanes10 }
extension GeneratedSynapse2: GeneratedSynapseKind {}
extension GeneratedSynapse3: GeneratedSynapseKind {}
extension GeneratedSynapse4: GeneratedSynapseKind {}
extension GeneratedSynapse5: GeneratedSynapseKind {}
extension GeneratedSynapse6: GeneratedSynapseKind {}
extension GeneratedSynapse8: GeneratedSynapseKind {}
extension GeneratedSynapse10: GeneratedSynapseKind {}

extension GeneratedSynapseKind {
    static var name: String { "generated" }
    static var parameters: [ParameterSpec] { [] }

    var modelName: String { core.model.name }
    var readsPostSpikes: Bool { core.readsPost }
    var needsOwnIdentity: Bool { core.draws }

    init(parameters p: ParameterValues) throws {
        throw PlexusError("a generated synapse model is made from its description (GeneratedSynapseModel.make)")
    }

    func validate(weight: Sampler) throws {
        if case .constant(let w) = weight, let why = rejection(ofDrawnWeight: w) {
            throw PlexusError("weight \(w) \(why)", keyPath: "weight")
        }
    }

    func rejection(ofDrawnWeight w: Double) -> String? {
        guard !core.weightConditions.isEmpty else { return nil }
        // Checked once per drawn synapse: evaluated without building a dictionary; the message
        // (rare) with one.
        let values = core.values
        guard core.weightConditions.contains(where: { !$0.holds { $0 == "w" ? w : values[$0] } }) else { return nil }
        var withWeight = values
        withWeight["w"] = w
        let d = core.model.description
        return core.weightConditions.lazy.compactMap { $0.violation(withWeight, model: d.name, file: d.file) }.first
    }

    func initialState(weight: Double) -> State {
        var x = Lanes()
        for (v, value) in core.initial.enumerated() { x[v] = value }
        x[0] = weight
        return State(x: x)
    }

    func initialState(weight: Double, identity: SynapseIdentity) -> State {
        var s = initialState(weight: weight)
        guard core.draws else { return s }
        let id = UInt64(UInt32(truncatingIfNeeded: identity.source)) << 32 | UInt64(UInt32(truncatingIfNeeded: identity.target))
        let index = UInt32(truncatingIfNeeded: identity.statement) & 0xFFF | UInt32(truncatingIfNeeded: identity.multapse) << 12
        s.x[core.keyLane] = Double(bitPattern: id)
        s.x[core.keyLane + 1] = Double(bitPattern: UInt64(index))
        return s
    }

    /// NESTML's `send` (generated): the target's spikes since the last presynaptic one, then this one.
    @inline(__always)
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double {
        let t = spike.time, d = spike.delay, lane = core.tLastLane
        var ev = plx_synapse_event(t: t, t_last: s.x[lane], delay: d, h: 0, step: spike.step, key0: 0, key1: 0, id: 0, index: 0,
                                   weight: 0, emitted: 0, post_kminus: 0, post_nearest_kminus: 0, post_kminus_triplet: nil,
                                   post_kminus_triplet_now: 0)
        if core.draws {
            (ev.key0, ev.key1) = RandomStream.key(seed: spike.seed)
            ev.id = s.x[core.keyLane].bitPattern
            ev.index = UInt32(truncatingIfNeeded: s.x[core.keyLane + 1].bitPattern)
        }
        let send = core.send, K = UnsafePointer(core.constants.base)
        withUnsafeMutableBytes(of: &s.x) { raw in
            let S = raw.baseAddress!.assumingMemoryBound(to: Double.self)
            let range = core.readsPost ? post.history(ev.t_last - d, t - d) : 0..<0
            let reads = core.archiveReads
            if !reads.isEmpty {
                // What NEST's built-in STDP synapses read from the archive at t - d.
                if reads.contains(.kminus) { ev.post_kminus = post.trace(at: t - d) }
                if reads.contains(.nearestKminus) {
                    ev.post_nearest_kminus = post.latest(before: t - d).map { _exp(($0.time - (t - d)) * (1 / post.tauMinus)) } ?? 0
                }
            }
            if range.isEmpty {
                send(&ev, K, S, nil, 0)
            } else if reads.contains(.kminusTriplet) {
                post.times.withUnsafeBufferPointer { times in
                    post.kminusTriplet.withUnsafeBufferPointer { triplet in
                        ev.post_kminus_triplet = triplet.baseAddress! + range.lowerBound
                        send(&ev, K, S, times.baseAddress! + range.lowerBound, Int64(range.count))
                    }
                }
            } else {
                post.times.withUnsafeBufferPointer { send(&ev, K, S, $0.baseAddress! + range.lowerBound, Int64(range.count)) }
            }
        }
        s.x[lane] = t
        return ev.emitted != 0 ? ev.weight : 0
    }

    static func synapse(_ table: PlasticTable, _ k: Int) -> (target: Int, delay: Int, weight: Double, variables: [String: Double]) {
        let table = unsafeDowncast(table, to: ModelTable<Self>.self)
        let s = table.synapses[k]
        var variables: [String: Double] = [:]
        for (v, st) in table.model.core.model.description.state.enumerated() where v > 0 && st.recordable { variables[st.name] = s.state.x[v] }
        return (Int(s.target), Int(s.delay), s.state.weight, variables)
    }
}

/// Synapse models from description files, by the name statements use.
enum GeneratedSynapses {
    nonisolated(unsafe) private static var installed: [String: GeneratedSynapseModel] = [:]
    private static let lock = NSLock()

    static func install(_ m: GeneratedSynapseModel) {
        lock.lock(); defer { lock.unlock() }
        installed[m.name] = m
    }

    static func named(_ name: String) -> GeneratedSynapseModel? {
        lock.lock(); defer { lock.unlock() }
        return installed[name]
    }

    static var all: [GeneratedSynapseModel] {
        lock.lock(); defer { lock.unlock() }
        return Array(installed.values)
    }
}

extension GeneratedSynapseModel {
    /// Compiles lowered synapse descriptions into one library (content-hashed cache) and loads
    /// their models, in the order given.
    public static func compile(_ descriptions: [PointSynapseDescription], cacheDirectory: String? = nil,
                               compiled: ((Double) -> Void)? = nil) throws -> [GeneratedSynapseModel] {
        guard !descriptions.isEmpty else { return [] }
        let (library, table) = try library(descriptions, cacheDirectory: cacheDirectory, compiled: compiled)
        return descriptions.enumerated().map { i, d in GeneratedSynapseModel(d, entry: table + i, library: library) }
    }

    /// The library of `descriptions` (compiled, or found in the cache) and its table of models.
    static func library(_ descriptions: [PointSynapseDescription], cacheDirectory: String? = nil,
                        compiled: ((Double) -> Void)? = nil) throws -> (SharedLibrary, UnsafePointer<plx_synapse_model>) {
        try loadModelTable(
            descriptions.map(\.cSource), table: PointKernelSource.synapseTable(entries: descriptions.map(\.entrySymbol)),
            symbol: PLX_SYNAPSE_MODELS_SYMBOL, what: "synapse-model", count: descriptions.count, cacheDirectory: cacheDirectory, compiled: compiled)
    }
}
