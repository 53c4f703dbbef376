import PlexusCore

// The seam between the point engine and its synapse models. A synapse model kind is a value type
// that conforms to `PointSynapseModel`, one file per kind in this folder: it declares its NEST
// name and parameters (names, units, defaults), keeps the parameters of one connection statement
// as named constants (checked in `init`), declares the state each synapse carries (NEST's
// per-connection members) and the update rules: what a presynaptic spike does (NEST's `send`,
// which also takes in the postsynaptic spikes since the last one from the target's archive) and,
// for dopamine-modulated models, what a volume transmitter's trigger does.
//
// The engine owns the tables (PlasticSynapses.swift): one per statement and thread, with the
// synapses of that model stored inline (`State` unboxed), and it runs each table's rows in code
// specialised for its model (one dynamic dispatch per row, none per synapse). A model never sees
// threads, rows or ring buffers.

/// The state of one synapse of a model.
protocol SynapseState {
    /// The weight as it stands (NEST's `weight`).
    var weight: Double { get }
    /// The model's other state variables by NEST's names (for inspection, not for hot paths).
    var variables: [String: Double] { get }
}

/// A presynaptic spike reaching one synapse.
struct PreSynapticSpike {
    /// The spike's stamp (ms): the end of the step in which the source fired.
    let time: Double
    /// The synapse's delay (ms). As in NEST's STDP models all of it is dendritic: a postsynaptic
    /// spike at t_post reaches the synapse at t_post + delay.
    let delay: Double
    /// The volume transmitter's dopamine spikes since its last trigger (entry 0: that trigger),
    /// for models with `needsVolumeTransmitter`; empty otherwise.
    let dopamine: UnsafeBufferPointer<DopaSpike>
    /// The step the source fired in, and the run's seed: the key of a stochastic synapse's draws.
    let step: Int64
    let seed: UInt64
    /// The spike's count (1 for neurons; a parrot's count, a spike_generator's multiplicity).
    let multiplicity: Double
}

/// A synapse model kind. See the comment at the top of this file. Every conformance in this module
/// is listed in `SynapseModel.kinds`.
// @registry(SynapseModel.kinds)
protocol PointSynapseModel: SpecialisedSynapseCode, Sendable {
    associatedtype State: SynapseState

    /// NEST's model name, e.g. `stdp_synapse`.
    static var name: String { get }
    /// Parameters and initial values of the state with NEST's names and defaults (weight and
    /// delay are separate).
    static var parameters: [ParameterSpec] { get }
    /// Whether the rule reads the postsynaptic spike history (NEST's archiving node): the target
    /// then records its spikes with the traces K⁻.
    static var readsPostHistory: Bool { get }
    /// Whether the synapse needs a `volume_transmitter` (the dopamine signal).
    static var needsVolumeTransmitter: Bool { get }
    /// Whether each synapse needs its own identity (`initialState(weight:identity:)`), the same
    /// for any threads and ranks: the key of a stochastic synapse's own random draws.
    static var needsIdentity: Bool { get }
    /// Whether `preSpike` returns how many of the spike's count pass the synapse (each then
    /// carries the synapse's weight), rather than the weight each of them carries.
    static var decidesCount: Bool { get }

    /// Checks the resolved parameters (NEST's rules), throwing `PlexusError` naming the parameter,
    /// and keeps them.
    init(parameters p: ParameterValues) throws
    /// Checks the statement's weight against the parameters (a constant one; drawn ones are checked
    /// one by one with `rejection(ofDrawnWeight:)`). Default: any weight.
    func validate(weight: Sampler) throws
    /// Why a weight drawn for one synapse is not allowed ("is beyond ..."), or nil.
    func rejection(ofDrawnWeight w: Double) -> String?

    /// The model's name as statements use it. Default: `name`.
    var modelName: String { get }
    /// `readsPostHistory` and `needsIdentity` of this statement's model (a generated model
    /// knows them per instance). Defaults: the static ones.
    var readsPostSpikes: Bool { get }
    var needsOwnIdentity: Bool { get }

    /// The state of a new synapse with weight `weight`.
    func initialState(weight: Double) -> State
    /// The same, for models with `needsIdentity`. Default: `initialState(weight:)`.
    func initialState(weight: Double, identity: SynapseIdentity) -> State
    /// A presynaptic spike passes the synapse (NEST's `send`): updates the state, taking in the
    /// target's spikes since the last presynaptic one from `post` (models with
    /// `readsPostHistory`), and returns the weight the spike carries (models with `decidesCount`:
    /// how many of its count pass).
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double
    /// The volume transmitter's trigger at `time` (NEST's `trigger_update_weight`): brings the
    /// synapse (delay `delay` ms) up to that time through the dopamine spikes in `dopamine`.
    /// Default: nothing.
    func dopamineTrigger(_ s: inout State, at time: Double, delay: Double, post: inout PostArchive,
                         dopamine: UnsafeBufferPointer<DopaSpike>)
}

extension PointSynapseModel {
    static var readsPostHistory: Bool { false }
    static var needsVolumeTransmitter: Bool { false }
    static var needsIdentity: Bool { false }
    static var decidesCount: Bool { false }
    var modelName: String { Self.name }
    var readsPostSpikes: Bool { Self.readsPostHistory }
    var needsOwnIdentity: Bool { Self.needsIdentity }
    func initialState(weight: Double, identity: SynapseIdentity) -> State { initialState(weight: weight) }
    func validate(weight: Sampler) throws {}
    func rejection(ofDrawnWeight w: Double) -> String? { nil }
    func dopamineTrigger(_ s: inout State, at time: Double, delay: Double, post: inout PostArchive,
                         dopamine: UnsafeBufferPointer<DopaSpike>) {}
}

/// Who a synapse is, whatever the threads and ranks: its statement, source and target nodes, and
/// its rank among the synapses of that statement between the same two nodes (multapses).
struct SynapseIdentity {
    let statement: Int
    let source: Int
    let target: Int
    let multapse: Int

    /// The key of a stream of random numbers of this synapse (`RandomStream`'s index and id).
    var streamIndex: UInt32 { UInt32(truncatingIfNeeded: statement) ^ UInt32(truncatingIfNeeded: multapse) << 20 }
    var streamID: UInt64 { UInt64(UInt32(truncatingIfNeeded: source)) << 32 | UInt64(UInt32(truncatingIfNeeded: target)) }
}

/// A synapse model by NEST name, as the rest of Plexus names it (`plexus models`, the run
/// record): `allCases`, `rawValue`, `parameters`, `needsVolumeTransmitter`. It was an enum of the
/// built-in models; the old case names remain as static members.
public struct SynapseModel: Hashable, Sendable, CaseIterable, RawRepresentable {
    let kind: any PointSynapseModel.Type
    /// A model from a description file (NESTML), installed by name for the process.
    let generated: GeneratedSynapseModel?

    init(_ kind: any PointSynapseModel.Type) { self.kind = kind; generated = nil }

    /// `kind` is then only a stand-in: every property asks `generated` first.
    init(generated g: GeneratedSynapseModel) { kind = GeneratedSynapse2.self; generated = g }

    public init?(rawValue: String) {
        if let kind = Self.kinds.first(where: { $0.name == rawValue }) {
            self.init(kind)
        } else if let g = BuiltinDescriptions.synapse(named: rawValue) ?? GeneratedSynapses.named(rawValue) {
            self.init(generated: g)
        } else {
            return nil
        }
    }

    /// NEST's name (a generated model's: its file's, see `GeneratedSynapseModel.name`).
    public var rawValue: String { generated?.name ?? kind.name }
    /// Every synapse model, by name: the built-in ones and those installed from description files.
    public static var allCases: [SynapseModel] {
        (kinds.map(SynapseModel.init) + (BuiltinDescriptions.synapses + GeneratedSynapses.all).map(SynapseModel.init(generated:)))
            .sorted { $0.rawValue < $1.rawValue }
    }
    /// Parameters and initial state with NEST's names and defaults (weight and delay are separate).
    public var parameters: [ParameterSpec] { generated?.parameters ?? kind.parameters }
    /// Whether the synapse needs a `volume_transmitter` (the dopamine signal).
    public var needsVolumeTransmitter: Bool { generated == nil && kind.needsVolumeTransmitter }
    /// The description file of a generated model (`<built-in>/NAME.nestml` for a built-in one).
    public var source: String? { generated?.description.file }

    /// The model of one statement: its resolved parameters `p`, of which the statement set `given`.
    func make(parameters p: ParameterValues, given: Set<String>, resolution h: Double) throws -> any PointSynapseModel {
        if let generated { return try generated.make(parameters: p, given: given, resolution: h) }
        return try kind.init(parameters: p)
    }

    public static func == (a: SynapseModel, b: SynapseModel) -> Bool { a.rawValue == b.rawValue }
    public func hash(into h: inout Hasher) { h.combine(rawValue) }

    // The enum's cases that callers use.
    public static var staticSynapse: SynapseModel { SynapseModel(StaticSynapse.self) }
    public static var stdpDopamine: SynapseModel { SynapseModel(STDPDopamineSynapse.self) }
}
