/// A point-synapse model lowered from its description (a NESTML synapse file): its parameters
/// (one set per connection statement), the state every synapse carries (the weight first), and
/// the C source of its handlers (plexus_point.h, `plx_synapse_model`).
public struct PointSynapseDescription: Sendable {
    public var name: String
    /// The description file (for errors and provenance).
    public var file: String
    /// Per-statement parameters, then the initial values of the state variables other than the
    /// weight (a statement may set them; by default they follow the file's initial expressions).
    public var parameters: [PointNeuronDescription.Parameter]
    /// How many of `parameters` are the file's parameters (the rest are initial values).
    public var parameterCount: Int
    /// State of one synapse in the C's order; entry 0 is the weight.
    public var state: [PointNeuronDescription.StateVariable]
    /// Names of the internal constants (after the parameters), for errors.
    public var internals: [String]
    /// Whether the model has a postsynaptic spike port (then the target keeps its spike history).
    public var readsPostSpikes: Bool
    /// Whether a handler draws random numbers (each synapse then has its own stream).
    public var draws: Bool
    /// The post-spike traces (NESTML moves them into the postsynaptic neuron): state variables
    /// only the post handler changes; the pre handler reads them before a post spike at the
    /// same time. Indices into `state`.
    public var postTraces: [Int]
    /// What of the target's spike archive the handlers read besides the spike times.
    public var archiveReads: ArchiveReads = []
    /// How many state variables (after the weight) a statement may set: the rest, at the end of
    /// `state`, are hidden (`@plexus::hidden`: neither set, listed nor recorded).
    public var settableStateCount: Int { state.count - 1 - hiddenStateCount }
    public var hiddenStateCount: Int { state.filter { !$0.recordable }.count }
    /// The hidden state variable that is the time of the last presynaptic spike
    /// (`@plexus::last_spike_time`): the engine sets it to t after each one and keeps no copy of
    /// its own. Without one, the engine keeps that time after the model's state.
    public var lastSpikeTimeIndex: Int?
    /// Declared conditions on parameters and initial values (the weight's too).
    public var invariants: [PointNeuronDescription.Invariant] = []
    public var cSource: String
    public var entrySymbol: String

    /// The traces of the target that NEST's archiving node keeps (plexus_point.h, PLX_ARCHIVE_...),
    /// read through Plexus's built-in functions post_Kminus(), post_nearest_Kminus() and
    /// post_Kminus_triplet().
    public struct ArchiveReads: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// K⁻ at t − d (NEST's get_K_value).
        public static let kminus = ArchiveReads(rawValue: 1)
        /// The nearest-neighbour K⁻ at t − d (NEST's get_K_values).
        public static let nearestKminus = ArchiveReads(rawValue: 2)
        /// K⁻_triplet just after each postsynaptic spike.
        public static let kminusTriplet = ArchiveReads(rawValue: 4)
    }

    public init(name: String, file: String, parameters: [PointNeuronDescription.Parameter], parameterCount: Int,
                state: [PointNeuronDescription.StateVariable], internals: [String], readsPostSpikes: Bool, draws: Bool,
                postTraces: [Int], cSource: String, entrySymbol: String) {
        self.name = name; self.file = file; self.parameters = parameters; self.parameterCount = parameterCount
        self.state = state; self.internals = internals; self.readsPostSpikes = readsPostSpikes; self.draws = draws
        self.postTraces = postTraces; self.cSource = cSource; self.entrySymbol = entrySymbol
    }
}
