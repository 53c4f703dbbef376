import PlexusCore

// Plastic synapses in the engine: the tables that hold them (one per connection statement and
// thread, typed by the statement's synapse model), their delivery, and the postsynaptic spike
// histories STDP models read. The models themselves are in Synapses/.

/// A connection statement whose synapses go through the plastic tables: its model with the
/// statement's parameters, and how its spikes are passed on.
struct PlasticRule {
    let model: any PointSynapseModel
    /// The resolved parameters in the model's order (for the run record).
    let parameters: ParameterValues
    /// Receptor 1 of a parrot neuron: the spike updates the synapse but is not passed on.
    let silent: Bool
    /// The target counts spikes (parrot_neuron): it receives 1 per spike whatever the weight.
    let unitWeight: Bool
    let recordWeights: Bool
    let statement: Int
    /// Index of the volume transmitter (stdp_dopamine_synapse), or -1.
    let volumeTransmitter: Int
    /// Source nodes of the statement.
    let sources: Range<Int>

    var kind: any PointSynapseModel.Type { type(of: model) }
}

/// Plastic synapses of the targets one thread owns: a table per plastic statement, in statement
/// order (so one spike updates and delivers in the order of the statements, then of targets),
/// and the postsynaptic spike histories of this thread's neurons.
final class PlasticConnectivity {
    /// Tables with synapses on this thread, by rule (statement) order.
    var tables: [PlasticTable] = []
    /// Postsynaptic histories of this thread's neurons that have STDP inputs.
    var archives: [PostArchive] = []
    /// Thread-local neuron index -> index into `archives`, or -1.
    var archiveOf: [Int32]
    /// This thread's copy of every volume transmitter (by index in `PointNetwork.volumeTransmitters`).
    var transmitters: [VolumeTransmitterState] = []

    init(localNeurons: Int) {
        archiveOf = Array(repeating: -1, count: localNeurons)
    }

    var count: Int { tables.reduce(0) { $0 + $1.count } }
}

/// One synapse in a table: its target (thread-local neuron index), delay (steps) and the model's
/// state, side by side so delivery walks one array.
struct PlasticSynapse<State> {
    var target: UInt32
    var delay: Int32
    var state: State
}

/// The synapses of one plastic statement on one thread, in rows by source node (within a row, in
/// the order the statement enumerates its targets). The synapses themselves are typed by the model
/// (`ModelTable<M>`); the engine reaches them through `kind`, whose entry points run in code
/// specialised for the model.
class PlasticTable {
    let kind: any PointSynapseModel.Type
    /// The model's name as statements use it.
    let modelName: String
    /// Index of the rule in `PointNetwork.plasticRules`.
    let rule: Int
    let firstSource: Int
    let sourceCount: Int
    let silent: Bool
    let unitWeight: Bool
    let recordWeights: Bool
    let volumeTransmitter: Int
    /// Row offsets: the synapses of source node `firstSource + i` are `offsets[i] ..< offsets[i + 1]`.
    let offsets: Storage<Int>
    /// Next free place per row while the table is filled.
    var cursor: [Int] = []

    init(kind: any PointSynapseModel.Type, rule r: PlasticRule, index: Int) {
        self.kind = kind
        modelName = r.model.modelName
        rule = index
        firstSource = r.sources.lowerBound
        sourceCount = r.sources.count
        silent = r.silent
        unitWeight = r.unitWeight
        recordWeights = r.recordWeights
        volumeTransmitter = r.volumeTransmitter
        offsets = Storage(repeating: 0, count: r.sources.count + 1)
    }

    var count: Int { offsets[sourceCount] }

    /// Row of source node `node`, if the statement has such a source.
    @inline(__always)
    func row(of node: Int) -> Int? {
        let i = node &- firstSource
        return UInt(bitPattern: i) < UInt(bitPattern: sourceCount) ? i : nil
    }

    /// Building, first pass: one more synapse in row `i`.
    @inline(__always)
    func count(row i: Int) { offsets[i + 1] += 1 }

    /// Building, after the count: room for the synapses.
    func allocate() {
        for i in 0..<sourceCount { offsets[i + 1] += offsets[i] }
        cursor = Array(offsets.buffer.prefix(sourceCount))
        kind.allocate(self)
    }

    /// Building, second pass: the next synapse of row `i` (same order as the count); `identity`
    /// for models that need it.
    @inline(__always)
    func add(row i: Int, target: Int, delay: Int, weight: Double, identity: SynapseIdentity? = nil) {
        kind.place(self, row: i, target: target, delay: delay, weight: weight, identity: identity)
    }
}

/// A table of the synapses of model `M`.
final class ModelTable<M: PointSynapseModel>: PlasticTable {
    let model: M
    var synapses: Storage<PlasticSynapse<M.State>>

    init(model: M, rule r: PlasticRule, index: Int) {
        self.model = model
        synapses = Storage(repeating: PlasticSynapse(target: 0, delay: 0, state: model.initialState(weight: 0)), count: 0)
        super.init(kind: M.self, rule: r, index: index)
    }
}

/// What delivery of one spike needs from its thread.
struct DeliveryContext {
    /// The spike's stamp (ms).
    let time: Double
    /// Ring slot of the spike's step; the spike lands `delay` slots on.
    let slot: Int
    let ringLength: Int
    let nLocal: Int
    let ring: UnsafeMutablePointer<Double>
    let archives: UnsafeMutableBufferPointer<PostArchive>
    let archiveOf: UnsafeBufferPointer<Int32>
    /// The node of each of the rank's neurons, from the rank's first neuron.
    let nodeOfNeuron: UnsafeBufferPointer<Int>
    /// The thread's first neuron, counted from the rank's first neuron.
    let firstNeuron: Int
    let grid: TimeGrid
    let plastic: PlasticConnectivity
    /// The spike's step and the run's seed (stochastic synapses' draws).
    let step: Int64
    let seed: UInt64
}

/// The engine's entry points into code specialised for one synapse model. They are implemented
/// once, below, for every `PointSynapseModel` (a model does not implement them): called through
/// the model kind, they run the loops over a table's synapses compiled for that model, so a
/// model costs one dynamic call per row, not one per synapse.
protocol SpecialisedSynapseCode {
    /// An empty table for the synapses of `rule` (rule number `index`).
    func makeTable(rule: PlasticRule, index: Int) -> PlasticTable
    static func allocate(_ table: PlasticTable)
    static func place(_ table: PlasticTable, row i: Int, target: Int, delay: Int, weight: Double, identity: SynapseIdentity?)
    /// Delivers `spike` through row `i` of the table.
    static func deliver(_ table: PlasticTable, row i: Int, _ spike: Spike, _ c: DeliveryContext, log: inout [WeightEvent])
    /// The volume transmitter's trigger at `time` for every synapse of the table.
    static func trigger(_ table: PlasticTable, at time: Double, _ pl: PlasticConnectivity, grid: TimeGrid)
    /// Synapse `k` of the table as a user sees it.
    static func synapse(_ table: PlasticTable, _ k: Int) -> (target: Int, delay: Int, weight: Double, variables: [String: Double])
}

extension PointSynapseModel {
    func makeTable(rule: PlasticRule, index: Int) -> PlasticTable { ModelTable(model: self, rule: rule, index: index) }

    static func allocate(_ table: PlasticTable) {
        let table = unsafeDowncast(table, to: ModelTable<Self>.self)
        table.synapses = Storage(repeating: PlasticSynapse(target: 0, delay: 0, state: table.model.initialState(weight: 0)),
                                 count: table.count)
    }

    static func place(_ table: PlasticTable, row i: Int, target: Int, delay: Int, weight: Double, identity: SynapseIdentity?) {
        let table = unsafeDowncast(table, to: ModelTable<Self>.self)
        let k = table.cursor[i]
        table.cursor[i] = k + 1
        let state = identity.map { table.model.initialState(weight: weight, identity: $0) } ?? table.model.initialState(weight: weight)
        table.synapses[k] = PlasticSynapse(target: UInt32(target), delay: Int32(delay), state: state)
    }

    static func deliver(_ table: PlasticTable, row i: Int, _ spike: Spike, _ c: DeliveryContext, log: inout [WeightEvent]) {
        let table = unsafeDowncast(table, to: ModelTable<Self>.self)
        if needsVolumeTransmitter {
            c.plastic.transmitters[table.volumeTransmitter].spikes.withUnsafeBufferPointer {
                table.deliver(row: i, spike, c, dopamine: $0, log: &log)
            }
        } else {
            table.deliver(row: i, spike, c, dopamine: UnsafeBufferPointer(start: nil, count: 0), log: &log)
        }
    }

    static func trigger(_ table: PlasticTable, at time: Double, _ pl: PlasticConnectivity, grid: TimeGrid) {
        let table = unsafeDowncast(table, to: ModelTable<Self>.self)
        let syn = table.synapses.base, model = table.model
        pl.transmitters[table.volumeTransmitter].spikes.withUnsafeBufferPointer { spikes in
            pl.archiveOf.withUnsafeBufferPointer { archiveOf in
                pl.archives.withUnsafeMutableBufferPointer { archives in
                    for k in 0..<table.count {
                        let a = Int(archiveOf[Int(syn[k].target)])
                        model.dopamineTrigger(&syn[k].state, at: time, delay: grid.time(Int64(syn[k].delay)),
                                              post: &archives[a], dopamine: spikes)
                    }
                }
            }
        }
    }

    static func synapse(_ table: PlasticTable, _ k: Int) -> (target: Int, delay: Int, weight: Double, variables: [String: Double]) {
        let s = unsafeDowncast(table, to: ModelTable<Self>.self).synapses[k]
        return (Int(s.target), Int(s.delay), s.state.weight, s.state.variables)
    }
}

extension ModelTable {
    /// The hot loop: every synapse of row `i` updates its state as NEST's `send` does and passes
    /// on the weight it computed.
    @inline(__always)
    func deliver(row i: Int, _ spike: Spike, _ c: DeliveryContext, dopamine: UnsafeBufferPointer<DopaSpike>,
                 log: inout [WeightEvent]) {
        let lo = offsets[i], hi = offsets[i + 1]
        let syn = synapses.base, model = model
        let silent = silent, unitWeight = unitWeight, recordWeights = recordWeights
        let t = c.time, ring = c.ring, ringLength = c.ringLength, nLocal = c.nLocal
        var none = PostArchive()
        for k in lo..<hi {
            let d = Int(syn[k].delay), target = Int(syn[k].target)
            let event = PreSynapticSpike(time: t, delay: c.grid.time(Int64(d)), dopamine: dopamine,
                                         step: c.step, seed: c.seed, multiplicity: spike.multiplicity)
            let w: Double
            if model.readsPostSpikes {
                w = model.preSpike(&syn[k].state, event, post: &c.archives[Int(c.archiveOf[target])])
            } else {
                w = model.preSpike(&syn[k].state, event, post: &none)
            }
            if recordWeights && !(M.decidesCount && w == 0) {   // NEST records what was sent
                log.append(WeightEvent(time: t, source: Int(spike.gid) + 1,
                                       target: c.nodeOfNeuron[c.firstNeuron + target] + 1,
                                       weight: M.decidesCount ? syn[k].state.weight : w))
            }
            if silent { continue }
            var slot = c.slot + d
            if slot >= ringLength { slot -= ringLength }
            let v: Double
            if M.decidesCount {
                v = unitWeight ? w : syn[k].state.weight * w
            } else {
                v = unitWeight ? spike.multiplicity : w * spike.multiplicity
            }
            ring[(slot * nLocal + target) * 2 + (v < 0 ? 1 : 0)] += v
        }
    }
}

extension PointNetwork {
    /// Delivers one spike through the plastic synapses of this thread: each synapse updates its
    /// state as NEST's `send` does and passes on the weight it computed.
    func deliverPlastic(_ spike: Spike, step s: Int64, _ pl: PlasticConnectivity, ringLength: Int, nLocal: Int,
                        ring: UnsafeMutablePointer<Double>, nodeOfNeuron: [Int], first: Int, log: inout [WeightEvent]) {
        let gid = Int(spike.gid)
        pl.tables.withUnsafeBufferPointer { tables in
            var any = false
            for table in tables {
                if let i = table.row(of: gid), table.offsets[i] < table.offsets[i + 1] { any = true; break }
            }
            if !any { return }
            // The thread's tables as raw buffers for the loops: no uniqueness or exclusivity
            // check per synapse (they belong to this thread alone while it delivers).
            pl.archives.withUnsafeMutableBufferPointer { archives in
            pl.archiveOf.withUnsafeBufferPointer { archiveOf in
            nodeOfNeuron.withUnsafeBufferPointer { nodeOfNeuron in
                let c = DeliveryContext(time: grid.endTime(ofStep: s), slot: Int(s % Int64(ringLength)), ringLength: ringLength,
                                        nLocal: nLocal, ring: ring, archives: archives, archiveOf: archiveOf,
                                        nodeOfNeuron: nodeOfNeuron, firstNeuron: first, grid: grid, plastic: pl,
                                        step: s, seed: seed)
                for table in tables {
                    guard let i = table.row(of: gid), table.offsets[i] < table.offsets[i + 1] else { continue }
                    table.kind.deliver(table, row: i, spike, c, log: &log)
                }
            }}}
        }
    }
}

/// The postsynaptic spike history NEST's ArchivingNode keeps for neurons with STDP inputs:
/// spike times with the trace K⁻ just after each, pruned once every incoming synapse read them.
struct PostArchive {
    var times: [Double] = []
    var kminus: [Double] = []
    var kminusTriplet: [Double] = []
    var reads: [Int32] = []
    var first = 0              // entries before `first` are pruned
    var Kminus = 0.0
    var KminusTriplet = 0.0
    var lastSpike = -1.0
    var incoming: Int32 = 0
    var tauMinus = 20.0
    var tauMinusTriplet = 110.0

    static let eps = 1e-6      // NEST's stdp_eps

    /// NEST's set_spiketime: prune what all synapses have read (keeping a margin of delays),
    /// then append the spike with the updated trace.
    mutating func record(_ t: Double, pruneMargin: Double) {
        while times.count - first > 1 {
            if reads[first] >= incoming && t - times[first + 1] > pruneMargin + Self.eps { first += 1 } else { break }
        }
        if first > 64 && first * 2 > times.count {
            times.removeFirst(first); kminus.removeFirst(first); kminusTriplet.removeFirst(first); reads.removeFirst(first)
            first = 0
        }
        Kminus = Kminus * _exp((lastSpike - t) / tauMinus) + 1
        KminusTriplet = KminusTriplet * _exp((lastSpike - t) / tauMinusTriplet) + 1
        lastSpike = t
        times.append(t); kminus.append(Kminus); kminusTriplet.append(KminusTriplet); reads.append(0)
    }

    /// K⁻ at time t from the last spike strictly before t (NEST's get_K_value).
    func trace(at t: Double) -> Double {
        // Usually the last spike is already before t: its time and trace are kept in the
        // struct (the last entry is never pruned), so the history arrays are not touched.
        if lastSpike >= 0 && t - lastSpike > Self.eps { return Kminus * _exp((lastSpike - t) / tauMinus) }
        var i = times.count - 1
        while i >= first {
            if t - times[i] > Self.eps { return kminus[i] * _exp((times[i] - t) / tauMinus) }
            i -= 1
        }
        return 0
    }

    /// The last spike strictly before t, with the traces just after it (the search of NEST's
    /// get_K_values); nil when there is none.
    func latest(before t: Double) -> (time: Double, kminus: Double, kminusTriplet: Double)? {
        if lastSpike >= 0 && t - lastSpike > Self.eps { return (lastSpike, Kminus, KminusTriplet) }
        var i = times.count - 1
        while i >= first {
            if t - times[i] > Self.eps { return (times[i], kminus[i], kminusTriplet[i]) }
            i -= 1
        }
        return nil
    }

    /// Entries with t1 < t <= t2 (NEST's get_history, with its eps), marking them read.
    mutating func history(_ t1: Double, _ t2: Double) -> Range<Int> {
        // No entry lies above t1 when the last one does not: answer without touching the arrays
        // (for most synapse events; each touch of another neuron's history is a cache miss).
        if lastSpike < t1 + Self.eps { return 0..<0 }
        let first = first
        return times.withUnsafeBufferPointer { times in
            reads.withUnsafeMutableBufferPointer { reads in
                var hi = times.count
                while hi > first && times[hi - 1] >= t2 + Self.eps { hi -= 1 }
                var lo = hi
                while lo > first && times[lo - 1] >= t1 + Self.eps { lo -= 1; reads[lo] += 1 }
                return lo..<hi
            }
        }
    }
}
