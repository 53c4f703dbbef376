import PlexusCore

/// Static synapses of the targets one thread owns, in compressed sparse rows by source node.
///
/// Two layouts, chosen when the network is built:
/// - compact, 4 bytes per synapse, when every statement has a constant weight and delay (Brunel,
///   most hand-built networks): one `UInt32` word with the thread-local target index in its low
///   `targetBits` bits and, above them, the index of the statement's (weight, delay) pair in
///   `kinds` — weights stay in double precision;
/// - general, 8 bytes per synapse: the word holds the target and (delay − 1) in steps, and a
///   `Float` weight sits beside it.
/// The source's row is found through `offsets` (one entry per node). Rows are ordered by
/// statement then target, so delivery walks memory forwards.
public final class ThreadConnectivity: @unchecked Sendable {
    public let targetBits: Int
    public let targetMask: UInt32
    public let offsets: Storage<Int>
    public var words: Storage<UInt32>
    public var weights: Storage<Float>
    public internal(set) var minDelay: Int = Int.max
    public internal(set) var maxDelay: Int = 0
    /// Compact layout: (weight, delay in steps) of each synapse kind; nil in the general layout.
    public internal(set) var kinds: [(weight: Double, delay: Int)]?
    var kindWeights = Storage<Double>(repeating: 0, count: 0)
    var kindDelays = Storage<Int>(repeating: 0, count: 0)

    init(nodes: Int, localNeurons: Int) {
        var bits = 1
        while (1 << bits) < max(localNeurons, 2) { bits += 1 }
        targetBits = bits
        targetMask = UInt32((1 << bits) - 1)
        offsets = Storage(repeating: 0, count: nodes + 1)
        words = Storage(repeating: 0, count: 0)
        weights = Storage(repeating: 0, count: 0)
    }

    /// Largest delay (steps) the word layout can hold for this thread.
    public var delayCapacity: Int { 1 << (32 - targetBits) }

    public var synapseCount: Int { words.count }
}

/// Input from devices that act on each target separately (NEST's DS events): Poisson trains and
/// currents. Stored by the thread that owns the targets, sorted by target.
final class DeviceInputs {
    struct PoissonInput {
        var target: Int32        // thread-local neuron index
        var delay: Int32         // steps
        var weight: Double
        var lambda: Double       // mean count per step
        var table: Int32         // index into `poissonTables`
        var startStep: Int64     // active for steps s with start < s <= stop (NEST's is_active)
        var stopStep: Int64
        var stream: UInt32       // statement index
        var source: Int32        // the generator's node
        var id: UInt64           // target gid | ordinal << 32
    }
    struct CurrentInput {
        var target: Int32
        var delay: Int32
        var weight: Double
        var generator: Int32     // index into `currentGenerators.list`
        var stream: UInt32
        var id: UInt64
    }
    var poisson: [PoissonInput] = []
    /// One cumulative table per distinct mean (usually one per generator).
    var poissonTables: [PoissonTable] = []
    /// The tables' cumulative probabilities in stable storage, for the run loop.
    var poissonTableStorage: [(cdf: Storage<Double>, guide: Storage<Int32>)] = [] {
        didSet { poissonTablePointers = poissonTableStorage.map { ($0.cdf.base, $0.guide.base, $0.guide.count) } }
    }
    var poissonTablePointers: [(cdf: UnsafeMutablePointer<Double>, guide: UnsafeMutablePointer<Int32>, count: Int)] = []
    /// Random words drawn for the current pair of steps, per Poisson input: one Philox block
    /// gives two 53-bit uniforms, so it is computed every other step.
    var poissonWords: [UInt64] = []
    /// Sparse inputs (mean count per step below `PoissonTable.sparseLimit`): the step of the next
    /// non-empty step (-1 before the first draw) and the number of events so far. Drawing the
    /// gaps between events costs one random block per event instead of one per step.
    var poissonNext: [Int64] = []
    var poissonEvents: [UInt32] = []
    var currents: [CurrentInput] = []
    /// Per current input: the index into `CurrentGenerators.changes` of its generator's next
    /// amplitude change (emission steps only grow, so each input walks the changes once).
    var currentCursors: [Int32] = []
    /// Device changes made during a run (`PointSimulation.set`), one per input, taking effect at
    /// the step where the first emission under the new values arrives; in arrival order.
    struct Switch {
        var arrival: Int64
        /// The first emission step under the new values.
        var emission: Int64
        var input: Int
        /// A Poisson input's new mean, table and window; nil for a current input.
        var poisson: (lambda: Double, table: Int32, startStep: Int64, stopStep: Int64)?
        /// A current input's new generator (index into `currentGenerators.list`).
        var generator: Int32 = -1
    }
    var switches: [Switch] = []
    var nextSwitch = 0
    /// With NEST's streams (`NestStreams`): the count each Poisson input drew for an emission
    /// step and the value of each noise current, in rings of `NestStreams.ringLength` slots.
    var nestCounts = Storage<Int32>(repeating: 0, count: 0)
    var nestCurrents = Storage<Double>(repeating: 0, count: 0)
}

/// One node of a current-emitting device (`DeviceOutput.current`) as the run loop reads it: no
/// references, so reading it per connection and step costs no reference counting.
struct CurrentGenerator {
    /// Amplitude before the first change (dc_generator's amplitude, noise_generator's mean).
    var amplitude: Double
    /// Its amplitude changes: `CurrentGenerators.changes[firstChange..<changeEnd]`.
    var firstChange: Int32, changeEnd: Int32
    var noise: Bool
    var std: Double, stdMod: Double, omega: Double, phase: Double
    var dtSteps: Int64
    /// ac_generator's sine (amplitude 0: none).
    var sineAmplitude = 0.0, sineOmega = 0.0, sinePhase = 0.0
    /// Active for generator steps s with start < s + 2 <= stop (NEST's rule for current
    /// generators: their current reaches the neuron's dynamics two steps later).
    var startStep: Int64, stopStep: Int64

    @inline(__always) func isActive(_ s: Int64) -> Bool { startStep < s + 2 && s + 2 <= stopStep }
}

/// Every current generator node of the network and their amplitude changes, in one array.
struct CurrentGenerators {
    var list: [CurrentGenerator] = []
    var changes: [CurrentWaveform.Change] = []
    /// The device node of each generator (a change during a run appends a new generator).
    var nodes: [Int] = []

    var count: Int { list.count }

    mutating func append(_ w: CurrentWaveform, node: Int) {
        nodes.append(node)
        let first = Int32(changes.count)
        changes += w.changes
        let noise = w.noise ?? GaussianNoise(std: 0, stdMod: 0, omega: 0, phase: 0, dtSteps: 10)
        var g = CurrentGenerator(amplitude: w.amplitude, firstChange: first, changeEnd: Int32(changes.count),
                                 noise: w.noise != nil, std: noise.std, stdMod: noise.stdMod, omega: noise.omega,
                                 phase: noise.phase, dtSteps: noise.dtSteps, startStep: w.startStep, stopStep: w.stopStep)
        if let sine = w.sine { (g.sineAmplitude, g.sineOmega, g.sinePhase) = (sine.amplitude, sine.omega, sine.phase) }
        list.append(g)
    }
}

/// One spike_generator node: its spikes as (step in which it is emitted, multiplicity).
struct SpikeGeneratorNode {
    var node: Int
    var steps: [Int64]
    var multiplicities: [Double]
}

/// A weight logged by a weight recorder: after the synapse transmitted the spike at `time`.
public struct WeightEvent: Sendable, Equatable {
    public let time: Double
    public let source: Int      // 1-based gids
    public let target: Int
    public let weight: Double
}
