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
    let entry: UnsafePointer<plx_synapse_model>
    let library: SharedLibrary

    init(_ description: PointSynapseDescription, entry: UnsafePointer<plx_synapse_model>, library: SharedLibrary) {
        self.description = description
        self.entry = entry
        self.library = library
        let builtIn = SynapseModel.kinds.contains { $0.name == description.name } || description.name == WaveformRelaxation.synapseModel
        name = builtIn ? description.name + "_nestml" : description.name
    }

    public var libraryPath: String { library.path }
    /// The C the library was built from (kept beside it).
    public var librarySource: String {
        (try? String(contentsOfFile: (library.path as NSString).deletingPathExtension + ".c", encoding: .utf8)) ?? ""
    }

    /// Statement parameters: the file's parameters, then the initial values of the state.
    public var parameters: [ParameterSpec] {
        description.parameters.map { ParameterSpec($0.name, PhysicalUnit.named($0.unit) ?? .one, $0.defaultValue, $0.doc) }
    }

    /// The synapse kind for a statement's parameters `p` (`given`: the keys the statement set;
    /// the other initial values follow the file's expressions of the parameters).
    func make(parameters p: ParameterValues, given: Set<String>, resolution h: Double) throws -> any PointSynapseModel {
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
        for inv in description.invariants where inv.variable != "w" && !inv.holds(values) {
            throw PlexusError("\(inv.variable) = \(values[inv.variable].map { "\($0)" } ?? "?") breaks \(description.name)'s condition [[\(inv.text)]] (\(description.file):\(inv.line))",
                              keyPath: inv.variable)
        }
        var x = SIMD8<Double>(repeating: 0)
        for (v, value) in initial.enumerated() { x[v] = value }
        let core = GeneratedSynapseCore(model: self, constants: Storage(constants), initial: x,
                                        weightConditions: description.invariants.filter { $0.variable == "w" }, values: values)
        switch (description.readsPostSpikes, description.draws) {
        case (false, false): return GeneratedSynapse<PreOnly>(core)
        case (true, false): return GeneratedSynapse<PrePost>(core)
        case (false, true): return GeneratedSynapse<PreOnlyDrawing>(core)
        case (true, true): return GeneratedSynapse<PrePostDrawing>(core)
        }
    }
}

/// What varies between generated synapse models at the engine's level, as types (the tables are
/// specialised per type): whether the target keeps its spike history, whether each synapse has
/// its own random stream.
protocol GeneratedSynapseTraits: Sendable {
    static var readsPost: Bool { get }
    static var draws: Bool { get }
}
enum PreOnly: GeneratedSynapseTraits { static var readsPost: Bool { false }; static var draws: Bool { false } }
enum PrePost: GeneratedSynapseTraits { static var readsPost: Bool { true }; static var draws: Bool { false } }
enum PreOnlyDrawing: GeneratedSynapseTraits { static var readsPost: Bool { false }; static var draws: Bool { true } }
enum PrePostDrawing: GeneratedSynapseTraits { static var readsPost: Bool { true }; static var draws: Bool { true } }

/// One statement's compiled model: the handlers, the constants under its parameters, a new
/// synapse's state.
struct GeneratedSynapseCore: @unchecked Sendable {
    let model: GeneratedSynapseModel
    let constants: Storage<Double>
    let initial: SIMD8<Double>
    let weightConditions: [PointNeuronDescription.Invariant]
    /// The statement's parameters and initial values by name (for the weight's conditions).
    let values: [String: Double]
}

/// The state of one generated synapse: the model's variables (weight first) inline, the time it
/// was last brought up to, and the key of its random stream.
struct GeneratedSynapseState: SynapseState {
    var x: SIMD8<Double>
    var tLast: Double
    var id: UInt64
    var index: UInt32
    var weight: Double { x[0] }
    var variables: [String: Double] { [:] }
}

struct GeneratedSynapse<T: GeneratedSynapseTraits>: Sendable {
    let core: GeneratedSynapseCore
    let postTraces: [Int]

    init(_ core: GeneratedSynapseCore) {
        self.core = core
        postTraces = core.model.description.postTraces
    }
}

extension GeneratedSynapse: PointSynapseModel {
    typealias State = GeneratedSynapseState
    static var name: String { "generated" }
    static var parameters: [ParameterSpec] { [] }
    static var readsPostHistory: Bool { T.readsPost }
    static var needsIdentity: Bool { T.draws }

    var modelName: String { core.model.name }

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
        var values = core.values
        values["w"] = w
        for inv in core.weightConditions where !inv.holds(values) {
            return "breaks \(core.model.description.name)'s condition [[\(inv.text)]] (\(core.model.description.file):\(inv.line))"
        }
        return nil
    }

    func initialState(weight: Double) -> State {
        var x = core.initial
        x[0] = weight
        return State(x: x, tLast: 0, id: 0, index: 0)
    }

    func initialState(weight: Double, identity: SynapseIdentity) -> State {
        var s = initialState(weight: weight)
        s.id = UInt64(UInt32(truncatingIfNeeded: identity.source)) << 32 | UInt64(UInt32(truncatingIfNeeded: identity.target))
        s.index = UInt32(truncatingIfNeeded: identity.statement) & 0xFFF | UInt32(truncatingIfNeeded: identity.multapse) << 12
        return s
    }

    /// NESTML's `send`: the target's spikes since the last presynaptic one, then this one.
    @inline(__always)
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double {
        let m = core.model.entry.pointee
        let K = UnsafePointer(core.constants.base)
        let t = spike.time, d = spike.delay
        let (k0, k1) = T.draws ? RandomStream.key(seed: spike.seed) : (0, 0)
        var ev = plx_synapse_event(t: t, h: 0, step: spike.step, key0: k0, key1: k1, id: s.id, index: s.index, weight: 0, emitted: 0)
        var tLast = s.tLast
        var before = SIMD8<Double>(repeating: 0)
        var coincident = false
        withUnsafeMutablePointer(to: &s.x) { xp in
            let S = UnsafeMutableRawPointer(xp).assumingMemoryBound(to: Double.self)
            if T.readsPost, let postSpike = m.post_spike {
                let range = post.history(tLast - d, t - d)
                for i in range {
                    let tp = post.times[i] + d
                    ev.t = tp
                    ev.h = tp - tLast
                    m.advance(&ev, K, S)
                    // A post spike at t - d: the pre handler reads the traces without it.
                    if t - tp <= PostArchive.eps {
                        coincident = true
                        for k in postTraces { before[k] = S[k] }
                    }
                    postSpike(&ev, K, S)
                    tLast = tp
                }
            }
            ev.t = t
            ev.h = t - tLast
            m.advance(&ev, K, S)
            var after = SIMD8<Double>(repeating: 0)
            if coincident { for k in postTraces { after[k] = S[k]; S[k] = before[k] } }
            m.pre_spike(&ev, K, S)
            if coincident { for k in postTraces { S[k] = after[k] } }
        }
        s.tLast = t
        return ev.emitted != 0 ? ev.weight : 0
    }

    static func synapse(_ table: PlasticTable, _ k: Int) -> (target: Int, delay: Int, weight: Double, variables: [String: Double]) {
        let table = unsafeDowncast(table, to: ModelTable<Self>.self)
        let s = table.synapses[k]
        var variables: [String: Double] = [:]
        for (v, st) in table.model.core.model.description.state.enumerated() where v > 0 { variables[st.name] = s.state.x[v] }
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
        var source = PointKernelSource.prelude
        for d in descriptions { source += "\n" + d.cSource }
        source += PointKernelSource.synapseTable(entries: descriptions.map(\.entrySymbol))
        let library = try CatalogueBuilder.sharedLibrary(source: source, cacheDirectory: cacheDirectory, compiled: compiled)
        guard let sym = library.symbol(PLX_SYNAPSE_MODELS_SYMBOL) else {
            throw PlexusError("not a Plexus synapse-model library: it exports no '\(PLX_SYNAPSE_MODELS_SYMBOL)'", file: library.path)
        }
        let entry = unsafeBitCast(sym, to: plx_synapse_models_entry.self)
        var count: Int32 = 0, version: Int32 = 0
        guard let table = entry(&count, &version), Int(count) == descriptions.count, version == PLX_POINT_ABI_VERSION else {
            throw PlexusError("the synapse-model library does not match this Plexus (ABI \(version), \(count) models): delete it to rebuild", file: library.path)
        }
        return descriptions.enumerated().map { i, d in GeneratedSynapseModel(d, entry: table + i, library: library) }
    }
}
