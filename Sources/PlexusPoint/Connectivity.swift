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
/// The source's row is found through `rows` (`SourceRows`: entries only for the sources with
/// synapses here). Rows are ordered by statement then target, so delivery walks memory forwards.
public final class ThreadConnectivity: @unchecked Sendable {
    public let targetBits: Int
    public let targetMask: UInt32
    public internal(set) var rows: SourceRows { didSet { rowView = rows.view } }
    /// `rows` as raw pointers, for the delivery loop (no reference counting per spike).
    public private(set) var rowView: SourceRowsView
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
        rows = SourceRows(nodes: nodes)
        rowView = rows.view
        words = Storage(repeating: 0, count: 0)
        weights = Storage(repeating: 0, count: 0)
    }

    /// Largest delay (steps) the word layout can hold for this thread.
    public var delayCapacity: Int { 1 << (32 - targetBits) }

    public var synapseCount: Int { words.count }
}

/// Where each source node's synapses lie in a table: rows only for sources that have synapses
/// there. Nodes come in blocks of 64; a block keeps a presence mask and the number of its first
/// present row, so a table costs 12 bytes per 64 nodes of the whole network plus 8 bytes per
/// source it holds, instead of 8 bytes per node (a per-thread table of N_total entries is what
/// keeps a rank's memory from falling with more ranks). Finding a row is a mask test and a
/// popcount.
public struct SourceRows: @unchecked Sendable {
    let masks: Storage<UInt64>
    let firstRow: Storage<UInt32>
    /// Row r holds synapses `starts[r] ..< starts[r + 1]`.
    let starts: Storage<Int>

    /// No synapses.
    init(nodes: Int) {
        masks = Storage(repeating: 0, count: max(1, (nodes + 63) / 64))
        firstRow = Storage(repeating: 0, count: max(1, (nodes + 63) / 64))
        starts = Storage(repeating: 0, count: 1)
    }

    /// Rows for the sources with a nonzero count (`counts[node]` synapses each), in node order.
    init(counts: UnsafePointer<UInt32>, nodes: Int) {
        let blocks = max(1, (nodes + 63) / 64)
        masks = Storage(repeating: 0, count: blocks)
        firstRow = Storage(repeating: 0, count: blocks)
        var present = 0
        for b in 0..<blocks {
            firstRow[b] = UInt32(present)
            var m: UInt64 = 0
            for k in 0..<Swift.min(64, nodes - b * 64) where counts[b * 64 + k] > 0 { m |= 1 << UInt64(k) }
            masks[b] = m
            present += m.nonzeroBitCount
        }
        starts = Storage(repeating: 0, count: present + 1)
        var r = 0
        for node in 0..<nodes where counts[node] > 0 {
            starts[r + 1] = starts[r] + Int(counts[node])
            r += 1
        }
    }

    var view: SourceRowsView { SourceRowsView(masks: masks.base, firstRow: firstRow.base, starts: starts.base) }

    /// The row of `node`, nil when it has no synapses here.
    public func row(of node: Int) -> Int? { view.row(of: node) }

    /// The synapses of `node` (an empty range when it has none here).
    public func synapses(of node: Int) -> Range<Int> {
        guard let r = row(of: node) else { return 0..<0 }
        return starts[r]..<starts[r &+ 1]
    }

    /// Every source with synapses here, in node order.
    public var sources: [Int] {
        var out: [Int] = []
        out.reserveCapacity(starts.count - 1)
        for b in 0..<masks.count {
            var m = masks[b]
            while m != 0 {
                out.append(b * 64 + m.trailingZeroBitCount)
                m &= m &- 1
            }
        }
        return out
    }

    var total: Int { starts[starts.count - 1] }
    var bytes: Int { masks.count * 12 + starts.count * 8 }
}

/// `SourceRows` read through raw pointers (valid while the table's `rows` is).
@frozen public struct SourceRowsView {
    public let masks: UnsafePointer<UInt64>
    public let firstRow: UnsafePointer<UInt32>
    public let starts: UnsafePointer<Int>

    @usableFromInline init(masks: UnsafeMutablePointer<UInt64>, firstRow: UnsafeMutablePointer<UInt32>, starts: UnsafeMutablePointer<Int>) {
        self.masks = UnsafePointer(masks)
        self.firstRow = UnsafePointer(firstRow)
        self.starts = UnsafePointer(starts)
    }

    /// The row of `node`, nil when it has no synapses here: its block's mask bit, then the
    /// block's first row plus the present nodes before it.
    @inlinable @inline(__always)
    public func row(of node: Int) -> Int? {
        let b = node &>> 6
        let m = masks[b]
        let bit = UInt64(1) &<< UInt64(node & 63)
        if m & bit == 0 { return nil }
        return Int(firstRow[b]) &+ (m & (bit &- 1)).nonzeroBitCount
    }
}

/// Input from devices that act on each target separately (NEST's DS events): Poisson trains and
/// currents. Stored by the thread that owns the targets, sorted by target.
/// One target of a poisson_generator_ps: its train's next spike (stamp step and offset, as NEST
/// keeps it) and how many intervals were drawn (the key of the next draw).
struct PrecisePoissonInput {
    var target: Int32        // thread-local channel pair
    var delay: Int32         // steps
    var weight: Double
    var train: PrecisePoissonTrain
    var stream: UInt32       // statement index
    var id: UInt64           // target gid | input << 32 | source << 48
    var nextStamp: Int64 = -1   // -1: not started
    var nextOffset: Double = 0
    var draws: UInt32 = 0
}

final class DeviceInputs {
    struct PoissonInput {
        var target: Int32        // thread-local neuron index
        var delay: Int32         // steps
        var weight: Double
        var lambda: Double       // mean count per step
        var table: Int32         // index into `poissonTables`; -1 - k: stateful process input k (`processInputs`)
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
    /// Stateful processes (gamma_sup_generator, ppd_sup_generator): Poisson inputs whose `table`
    /// is -1 - k are process input k, of process `processes[processInputs[k].process]` with its
    /// state at `processState[processInputs[k].state...]` (Plexus's streams; with NEST's,
    /// `NestStreams` keeps the state).
    var processes: [SpikeProcess] = []
    var processInputs: [(process: Int32, state: Int)] = []
    var processState: [UInt64] = []

    /// Adds a target's process state; returns its process input index.
    func addProcessInput(_ process: SpikeProcess) -> Int32 {
        var k = processes.firstIndex(of: process) ?? -1
        if k < 0 {
            k = processes.count
            processes.append(process)
        }
        let at = processState.count
        if process.stateWords > 0 {
            processState.append(contentsOf: repeatElement(0, count: process.stateWords))
            processState.withUnsafeMutableBufferPointer { process.initialize($0.baseAddress! + at) }
        }
        processInputs.append((Int32(k), at))
        return Int32(processInputs.count - 1)
    }
    /// poisson_generator_ps inputs (`PrecisePoissonInput`), with their trains' state.
    var precisePoisson: [PrecisePoissonInput] = []
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
    /// Off-grid offsets (ms) of a spike_generator with precise_times; nil on the grid.
    var offsets: [Double]? = nil
    /// A pulsepacket_generator's packets (NestStreams draws its steps with NEST's streams).
    var packets: PulsePackets? = nil
}

/// A weight logged by a weight recorder: after the synapse transmitted the spike at `time`.
public struct WeightEvent: Sendable, Equatable {
    public let time: Double
    public let source: Int      // 1-based gids
    public let target: Int
    public let weight: Double
}
