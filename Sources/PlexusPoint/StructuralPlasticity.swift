import PlexusCore

// Structural plasticity as NEST 3.10 does it (Butz & van Ooyen 2013; NEST's SPManager,
// SynapticElement, GrowthCurve*, StructuralPlasticityNode):
//
// - every neuron keeps a calcium trace: Ca decays with tau_Ca and jumps by beta_Ca at each of its
//   spikes (Ca is brought to the spike time first, then beta_Ca is added);
// - neurons of populations with `synaptic_elements` grow or retract elements z(t) after a growth
//   curve driven by Ca: gaussian and sigmoid by forward Euler at the resolution (restarting from
//   the exact Ca at every update), linear in closed form; z is clamped at 0 after each update.
//   Updates happen at each spike, at structural updates, at record times and at the end (NEST:
//   spikes, structural updates and the end of each Simulate call, which a script ends to read
//   Ca or z), so the Euler restarts are NEST's;
// - at every epoch start whose time is a multiple of `update_interval` (t = 0 included), for each
//   structural synapse in name order: neurons with fewer pre elements than bound ones lose random
//   outgoing synapses of that model, then neurons short of post elements lose random incoming
//   ones, then the vacant pre and post elements (floor(z) − connected, listed by gid) are paired
//   at random (the longer list shuffled and cut to the shorter); afterwards every vacant element
//   count decays by tau_vacant.
//
// Connection statements whose synapse model names a structural synapse make its initial synapses
// (both ends bind an element, as NEST's Connect with pre/post_synaptic_element in syn_spec).
//
// The deletions and pairings are drawn by thread 0 from Philox streams keyed by (seed, synapse,
// update number, neuron), over lists in gid order: the same connectivity for any thread count
// (NEST 3.10 refuses structural plasticity with more than one thread).
// Structural synapses live in their own per-thread tables, rebuilt at each update (compact
// layout, one (weight, delay) kind per synapse and target population), delivered after the
// static ones. Static connections of the experiment are never touched.

// MARK: description

/// A synaptic element of the neurons of one population (NEST's `synaptic_elements` entry).
public struct SynapticElementDescription: Sendable, Equatable {
    /// gaussian, linear or sigmoid.
    public var growthCurve: String
    /// Elements per ms at most (NEST's growth_rate, default 1).
    public var growthRate: Double
    /// Curve parameters in Ca units; nil: NEST's defaults (eps 0.7, eta 0.1, psi 0.1).
    public var eps: Double?
    public var eta: Double?
    public var psi: Double?
    /// Initial number of elements.
    public var z: Double
    /// Fraction of the vacant elements lost at each update (NEST's default 0.1).
    public var tauVacant: Double
    /// NEST's `continuous`: whether z counts as a real number (true) or floor(z) where NEST reads
    /// the element count (which targets a pre-side deletion may pick).
    public var continuous: Bool

    public init(growthCurve: String = "linear", growthRate: Double = 1, eps: Double? = nil, eta: Double? = nil,
                psi: Double? = nil, z: Double = 0, tauVacant: Double = 0.1, continuous: Bool = true) {
        self.growthCurve = growthCurve
        self.growthRate = growthRate
        self.eps = eps
        self.eta = eta
        self.psi = psi
        self.z = z
        self.tauVacant = tauVacant
        self.continuous = continuous
    }
}

/// A synapse that structural plasticity creates and deletes (an entry of NEST's
/// `structural_plasticity_synapses`).
public struct StructuralSynapseDescription: Sendable, Equatable {
    public var name: String
    public var synapseModel: String
    public var preSynapticElement: String
    public var postSynapticElement: String
    /// Weight and delay of every new synapse.
    public var weight: Quantity
    public var delay: Quantity
    public var allowAutapses: Bool

    public init(name: String, synapseModel: String = "static_synapse", preSynapticElement: String,
                postSynapticElement: String, weight: Quantity = Quantity(1), delay: Quantity = Quantity(1, "ms"),
                allowAutapses: Bool = true) {
        self.name = name
        self.synapseModel = synapseModel
        self.preSynapticElement = preSynapticElement
        self.postSynapticElement = postSynapticElement
        self.weight = weight
        self.delay = delay
        self.allowAutapses = allowAutapses
    }
}

public struct StructuralPlasticityDescription: Sendable, Equatable {
    /// NEST's structural_plasticity_update_interval (ms; default 10000 ms).
    public var updateInterval: Quantity
    public var synapses: [StructuralSynapseDescription]
    /// Synaptic elements by population name, then element name.
    public var elements: [String: [String: SynapticElementDescription]]
    /// Sample totals (Ca, elements, connections) every `recordInterval`; nil: no recording.
    public var recordInterval: Quantity?

    public init(updateInterval: Quantity = Quantity(10000, "ms"), synapses: [StructuralSynapseDescription] = [],
                elements: [String: [String: SynapticElementDescription]] = [:], recordInterval: Quantity? = nil) {
        self.updateInterval = updateInterval
        self.synapses = synapses
        self.elements = elements
        self.recordInterval = recordInterval
    }
}

/// Totals sampled at every record time: `values[c][k]` is column `columns[c]` at `times[k]`.
/// Columns: `<pop>.Ca` (mean), `<pop>.<element>.z` and `.connected` (sums over the population),
/// `<synapse>.<source pop>.<target pop>` (number of structural synapses).
public struct StructuralRecording: Sendable {
    public var columns: [String] = []
    public var times: [Double] = []
    public var values: [[Double]] = []

    public func column(_ name: String) -> [Double]? { columns.firstIndex(of: name).map { values[$0] } }
}

/// Calcium parameters of a neuron population (NEST's tau_Ca, beta_Ca, Ca on every neuron).
struct CalciumParameters {
    var tau = 10000.0
    var beta = 0.001
    var initial = 0.0
}

// MARK: engine state

/// The network's structural plasticity: parameters read from neuron params while the network is
/// built, and the engine once it is set up.
final class StructuralHook {
    var calcium: [CalciumParameters] = []   // per neuron population
    var engine: StructuralPlasticity?
    /// Connection statements whose synapse model is a structural synapse: their synapses start
    /// the structural edge lists (NEST's Connect with pre/post_synaptic_element in syn_spec).
    var initial: [(statement: ConnectionStatement, synapse: String)] = []
}

struct GrowthCurveSpec: Equatable {
    enum Kind { case gaussian, linear, sigmoid }
    var kind: Kind
    var eps: Double
    var xi: Double = 0        // gaussian: (eta + eps) / 2
    var invZeta: Double = 0   // gaussian: 2 sqrt(ln 2) / (eta − eps)
    var psi: Double = 0
}

struct ElementSlot {
    var element: Int          // index into the element names
    var curve: GrowthCurveSpec
    var growthRate: Double
    var tauVacant: Double
    var continuous: Bool
}

final class StructuralPlasticity: EpochHook, @unchecked Sendable {
    struct Synapse {
        var name: String
        var pre: Int, post: Int       // element indices
        var autapses: Bool
        var delay: Int                // steps
        var weights: [Double]         // per neuron population (unit resolved; 1 onto parrots)
    }

    let h: Double
    let neuronCount: Int
    let elementNames: [String]
    let synapses: [Synapse]
    let updateSteps: Int64
    let recordSteps: Int64?
    let seed: UInt64
    let populationNames: [String]
    let populationRanges: [Range<Int>]   // neuron indices
    let nodeOfNeuron: [Int]
    let nodeCount: Int

    // Per neuron.
    let ca: Storage<Double>
    let caTime: Storage<Int64>           // step of the last update
    let tauCa: Storage<Double>
    let betaCa: Storage<Double>
    let population: Storage<Int32>
    // Per element, per neuron (0 where the population lacks the element).
    let z: [Storage<Double>]
    let connected: [Storage<Int32>]
    let hasElement: [Storage<Bool>]
    // Element slots of each population: slots[slotStart[p] ..< slotStart[p + 1]].
    let slots: Storage<ElementSlot>
    let slotStart: [Int]
    // Runs of slots with the same growth curve (rates may differ): the Euler loop computes the
    // curve once per step for the whole run. runSlot[runStart[r] ..< runStart[r + 1]] are the
    // slots of run r; the runs of population p are popRunStart[p] ..< popRunStart[p + 1].
    let runSlot: Storage<Int32>
    let runStart: [Int]
    let popRunStart: [Int]

    /// Structural synapses, per synapse: (source, target) neuron indices.
    var sources: [[Int32]]
    var targets: [[Int32]]
    /// Delivery tables, per thread (each thread replaces its own at each update).
    final class Table { var conn: ThreadConnectivity; init(_ c: ThreadConnectivity) { conn = c } }
    var tables: [Table] = []
    let partitions: [Range<Int>]
    let kinds: [(weight: Double, delay: Int)]
    var updates: UInt32 = 0
    var recording = StructuralRecording()
    /// Neuron index of each node (-1: a device), for the spikes of `afterUpdates`.
    var neuronOfNode = NodeNeurons([])
    /// Ranks (nil: one process) and each rank's neurons. Every rank keeps the whole network's
    /// elements and structural synapses and runs the same update on them: before it, the ranks
    /// share their own neurons' Ca and elements (`shareState`), so every rank deletes and pairs
    /// alike and builds the tables of its own targets.
    var communicator: (any Communicator)?
    var rankNeurons: [Range<Int>] = []

    init(h: Double, neuronCount: Int, elementNames: [String], synapses: [Synapse], updateSteps: Int64,
         recordSteps: Int64?, seed: UInt64, populationNames: [String], populationRanges: [Range<Int>],
         calcium: [CalciumParameters], slotsByPopulation: [[ElementSlot]], initialZ: [[Double]],
         nodeOfNeuron: [Int], nodeCount: Int, partitions: [Range<Int>]) {
        self.h = h
        self.neuronCount = neuronCount
        self.elementNames = elementNames
        self.synapses = synapses
        self.updateSteps = updateSteps
        self.recordSteps = recordSteps
        self.seed = seed
        self.populationNames = populationNames
        self.populationRanges = populationRanges
        self.nodeOfNeuron = nodeOfNeuron
        self.nodeCount = nodeCount
        self.partitions = partitions
        let n = max(1, neuronCount)
        ca = Storage(repeating: 0, count: n)
        caTime = Storage(repeating: 0, count: n)
        tauCa = Storage(repeating: 10000, count: n)
        betaCa = Storage(repeating: 0.001, count: n)
        population = Storage(repeating: 0, count: n)
        z = elementNames.map { _ in Storage(repeating: 0, count: n) }
        connected = elementNames.map { _ in Storage(repeating: 0, count: n) }
        hasElement = elementNames.map { _ in Storage(repeating: false, count: n) }
        var flat: [ElementSlot] = [], start = [0]
        for (p, range) in populationRanges.enumerated() {
            for i in range {
                ca[i] = calcium[p].initial
                tauCa[i] = calcium[p].tau
                betaCa[i] = calcium[p].beta
                population[i] = Int32(p)
            }
            for (k, s) in slotsByPopulation[p].enumerated() {
                for i in range {
                    z[s.element][i] = initialZ[p][k]
                    hasElement[s.element][i] = true
                }
            }
            flat += slotsByPopulation[p]
            start.append(flat.count)
        }
        slots = Storage(flat)
        slotStart = start
        var rs: [Int32] = [], rStart = [0], pStart = [0]
        for p in populationRanges.indices {
            var left = Array(start[p]..<start[p + 1])
            while let k = left.first {
                let same = left.filter { flat[$0].curve == flat[k].curve }
                rs += same.map { Int32($0) }
                rStart.append(rs.count)
                left.removeAll { flat[$0].curve == flat[k].curve }
            }
            pStart.append(rStart.count - 1)
        }
        runSlot = Storage(rs.isEmpty ? [0] : rs)
        runStart = rStart
        popRunStart = pStart
        sources = synapses.map { _ in [] }
        targets = synapses.map { _ in [] }
        var ks: [(weight: Double, delay: Int)] = []
        for s in synapses { for w in s.weights { ks.append((w, s.delay)) } }
        kinds = ks
        tables = partitions.indices.map { Table(makeTable($0)) }
        if recordSteps != nil {
            var cols: [String] = []
            for (p, name) in populationNames.enumerated() {
                cols.append("\(name).Ca")
                for k in slotStart[p]..<slotStart[p + 1] {
                    cols.append("\(name).\(elementNames[flat[k].element]).z")
                    cols.append("\(name).\(elementNames[flat[k].element]).connected")
                }
            }
            for s in synapses {
                for a in populationNames { for b in populationNames { cols.append("\(s.name).\(a).\(b)") } }
            }
            recording.columns = cols
            recording.values = cols.map { _ in [] }
        }
    }

    var synapseCount: Int { sources.reduce(0) { $0 + $1.count } }

    // MARK: calcium and elements (each thread, its own neurons)

    /// Brings neuron `n`'s elements and Ca from its last update to step boundary `t` (NEST's
    /// update_synaptic_elements).
    @inline(__always)
    func advance(_ n: Int, to t: Int64) {
        let t0 = caTime[n]
        if t0 >= t { return }
        let ca0 = ca[n], tau = tauCa[n]
        let p = Int(population[n])
        let steps = Int(t - t0)
        let dtMs = Double(t - t0) * h
        let slots = self.slots.base, runSlot = self.runSlot.base
        for r in popRunStart[p]..<popRunStart[p + 1] {
            let a = runStart[r], count = runStart[r + 1] - a
            let curve = slots[Int(runSlot[a])].curve
            if curve.kind == .linear {
                for q in a..<(a + count) {
                    let s = slots[Int(runSlot[q])]
                    let zp = z[s.element].base + n
                    let caT = ca0 * _exp(-dtMs / tau)
                    zp.pointee = max(s.growthRate * tau * (caT - ca0) / s.curve.eps + s.growthRate * dtMs + zp.pointee, 0)
                }
                continue
            }
            // Forward Euler from the exact Ca at the last update, as NEST: per step
            // z += (h · growth_rate) · shape(Ca), the shape shared by the run.
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * count) { buf in
                let acc = buf.baseAddress!, hr = acc + count
                for q in 0..<count {
                    let s = slots[Int(runSlot[a + q])]
                    acc[q] = z[s.element][n]
                    hr[q] = h * s.growthRate
                }
                var c = ca0
                if curve.kind == .gaussian {
                    let invTau = 1.0 / tau, xi = curve.xi, iz = curve.invZeta
                    for _ in 0..<steps {
                        c = c - ((c * invTau) * h)
                        let x = (c - xi) * iz
                        let shape = 2.0 * _exp(-(x * x)) - 1.0
                        for q in 0..<count { acc[q] += hr[q] * shape }
                    }
                } else {
                    let eps = curve.eps, psi = curve.psi
                    for _ in 0..<steps {
                        c = c - ((c / tau) * h)
                        let shape = (2.0 / (1.0 + _exp((c - eps) / psi))) - 1.0
                        for q in 0..<count { acc[q] = acc[q] + hr[q] * shape }
                    }
                }
                for q in 0..<count { z[slots[Int(runSlot[a + q])].element][n] = max(acc[q], 0) }
            }
        }
        ca[n] = ca0 * _exp(-dtMs / tau)
        caTime[n] = t
    }

    /// End of an epoch on one thread: Ca and elements of the neurons that fired, brought to each
    /// spike (then Ca += beta_Ca). Other neurons wait for the next update or record time: NEST
    /// brings every neuron up to date only at its structural updates and at the end of each
    /// Simulate call, which a NEST script ends to read Ca or z — our record times.
    func endEpoch(spikes: ThreadSpikes, from e0: Int64, to e1: Int64) {
        let stepOffsets = spikes.stepOffsets, spikes = spikes.spikes
        for k in 0..<Int(e1 - e0) {
            for q in stepOffsets[k]..<stepOffsets[k + 1] {
                let n = neuronOfNode[Int(spikes[q].gid)]
                advance(n, to: e0 + Int64(k) + 1)
                ca[n] += betaCa[n]
            }
        }
    }

    // MARK: the update (thread 0)

    @inline(__always) func vacant(_ e: Int, _ n: Int) -> Int { Int(z[e][n].rounded(.down)) - Int(connected[e][n]) }

    /// NEST's connect_synaptic_element(name, ±1): more bound elements than floor(z) raise z to
    /// their number (keeping its fraction). This holds for deletions too: the first synapse
    /// deleted from a neuron whose z fell two or more below its bound elements lifts z back to
    /// bound − 1, so the rest of the deleted synapses' elements are vacant again and may be
    /// paired anew in the same update (NEST 3.10 does this; see testDeletionAndCreationMatchNEST).
    @inline(__always) func bind(_ e: Int, _ n: Int, _ by: Int32 = 1) {
        let c = connected[e][n] + by
        connected[e][n] = c
        let zz = z[e][n], f = zz.rounded(.down)
        if Double(c) > f { z[e][n] = Double(c) + (zz - f) }
    }

    /// The element count NEST reads for a target (floor(z) unless continuous).
    @inline(__always) func count(_ e: Int, _ n: Int) -> Double {
        guard hasElement[e][n] else { return 0 }
        let p = Int(population[n])
        for k in slotStart[p]..<slotStart[p + 1] where slots[k].element == e {
            return slots[k].continuous ? z[e][n] : z[e][n].rounded(.down)
        }
        return 0
    }

    /// Picks `k` of `0..<n` uniformly without replacement, in draw order (a partial shuffle).
    static func choose(_ k: Int, of n: Int, _ rng: inout RandomStream, into idx: inout [Int]) {
        idx.removeAll(keepingCapacity: true)
        idx.append(contentsOf: 0..<n)
        for i in 0..<min(k, n) {
            let j = i + rng.nextInt(below: n - i)
            idx.swapAt(i, j)
        }
        idx.removeLast(n - min(k, n))
    }

    /// Most synaptic elements of one kind on one neuron: ten times the synapses of a cortical
    /// pyramidal cell (about 1e4), far beyond what growth curves reach in NEST's examples.
    static let maxElements = 100_000.0

    /// Set when an element count runs away (see `update`); the run then fails with it.
    var failure: PlexusError?

    func update() {
        let k = updates
        updates &+= 1
        guard failure == nil else { return }
        // Element counts become whole numbers of synapses: one that is not finite or beyond
        // `maxElements` (a growth rate of 1e20 or 5550, a calcium trace driven past its range)
        // stops the rule with the neuron, element and time, instead of overflowing or creating
        // synapses until the machine's memory is gone.
        for (e, name) in elementNames.enumerated() {
            for n in 0..<neuronCount where hasElement[e][n] && !(abs(z[e][n]) < Self.maxElements) {
                failure = PlexusError("structural plasticity: neuron gid \(nodeOfNeuron[n] + 1) has \(z[e][n]) \(name) elements at update \(k) "
                                      + "(t = \(Double(Int64(k) * updateSteps) * h) ms); its growth_rate, tau_Ca or growth curve makes the count run away",
                                      keyPath: "structural_plasticity")
                return
            }
        }
        var idx: [Int] = []
        for (si, s) in synapses.enumerated() {
            func stream(_ phase: UInt64, _ id: Int) -> RandomStream {
                RandomStream(seed: seed, purpose: .structuralPlasticity, index: UInt32(si), id: UInt64(id) | phase << 40, time: k)
            }
            var src = sources[si], tgt = targets[si]
            var alive = [Bool](repeating: true, count: src.count)
            // Rows by source, then by target, in edge order.
            func rows(_ key: [Int32]) -> (offsets: [Int], edges: [Int]) {
                var off = [Int](repeating: 0, count: neuronCount + 1)
                for x in key { off[Int(x) + 1] += 1 }
                for i in 0..<neuronCount { off[i + 1] += off[i] }
                var cur = off, edges = [Int](repeating: 0, count: key.count)
                for (q, x) in key.enumerated() { edges[cur[Int(x)]] = q; cur[Int(x)] += 1 }
                return (off, edges)
            }
            // 1. Too few pre elements: delete outgoing synapses (to targets that have the post element).
            var bySource: (offsets: [Int], edges: [Int])?
            for n in 0..<neuronCount where hasElement[s.pre][n] {
                let v = vacant(s.pre, n)
                guard v < 0 else { continue }
                if bySource == nil { bySource = rows(src) }
                let r = bySource!
                let candidates = r.edges[r.offsets[n]..<r.offsets[n + 1]].filter { count(s.post, Int(tgt[$0])) != 0 }
                var rng = stream(1, n)
                Self.choose(-v, of: candidates.count, &rng, into: &idx)
                for i in idx {
                    let q = candidates[i]
                    alive[q] = false
                    bind(s.pre, n, -1)
                    bind(s.post, Int(tgt[q]), -1)
                }
            }
            // 2. Too few post elements: delete incoming synapses.
            var byTarget: (offsets: [Int], edges: [Int])?
            for n in 0..<neuronCount where hasElement[s.post][n] {
                let v = vacant(s.post, n)
                guard v < 0 else { continue }
                if byTarget == nil { byTarget = rows(tgt) }
                let r = byTarget!
                let candidates = r.edges[r.offsets[n]..<r.offsets[n + 1]].filter { alive[$0] }
                var rng = stream(2, n)
                Self.choose(-v, of: candidates.count, &rng, into: &idx)
                for i in idx {
                    let q = candidates[i]
                    alive[q] = false
                    bind(s.pre, Int(src[q]), -1)
                    bind(s.post, n, -1)
                }
            }
            if alive.contains(false) {
                var w = 0
                for q in 0..<src.count where alive[q] {
                    src[w] = src[q]; tgt[w] = tgt[q]; w += 1
                }
                src.removeLast(src.count - w)
                tgt.removeLast(tgt.count - w)
            }
            // 3. Pair vacant pre and post elements at random.
            var pre: [Int32] = [], post: [Int32] = []
            for n in 0..<neuronCount {
                if hasElement[s.pre][n] { let v = vacant(s.pre, n); if v > 0 { pre += repeatElement(Int32(n), count: v) } }
                if hasElement[s.post][n] { let v = vacant(s.post, n); if v > 0 { post += repeatElement(Int32(n), count: v) } }
            }
            if !pre.isEmpty && !post.isEmpty {
                var rng = stream(3, 0)
                if pre.count > post.count {
                    Self.choose(post.count, of: pre.count, &rng, into: &idx)
                    pre = idx.map { pre[$0] }
                } else {
                    Self.choose(pre.count, of: post.count, &rng, into: &idx)
                    post = idx.map { post[$0] }
                }
                for (a, b) in zip(pre, post) {
                    if a == b && !s.autapses { continue }
                    bind(s.pre, Int(a))
                    bind(s.post, Int(b))
                    src.append(a)
                    tgt.append(b)
                }
            }
            sources[si] = src
            targets[si] = tgt
        }
    }

    /// After the update, on each thread: vacant elements decay by tau_vacant; the thread's
    /// delivery table is rebuilt.
    func finishUpdate(thread t: Int) {
        guard failure == nil else { return }
        for n in partitions[t] {
            let p = Int(population[n])
            for k in slotStart[p]..<slotStart[p + 1] {
                let e = slots[k].element
                let v = vacant(e, n)
                if v > 0 { z[e][n] -= Double(v) * slots[k].tauVacant }
            }
        }
        tables[t].conn = makeTable(t)
    }

    /// Compact CSR by source node of the structural synapses onto thread `t`'s neurons.
    func makeTable(_ t: Int) -> ThreadConnectivity {
        let part = partitions[t]
        let conn = ThreadConnectivity(nodes: nodeCount, localNeurons: part.count)
        conn.kinds = kinds
        conn.kindWeights = Storage(kinds.map(\.weight))
        conn.kindDelays = Storage(kinds.map(\.delay))
        let pops = populationRanges.count
        let counts = Storage<UInt32>(repeating: 0, count: max(1, nodeCount))
        for si in synapses.indices {
            for (a, b) in zip(sources[si], targets[si]) where part.contains(Int(b)) { counts[nodeOfNeuron[Int(a)]] += 1 }
        }
        conn.rows = SourceRows(counts: counts.base, nodes: nodeCount)
        conn.words = Storage(repeating: 0, count: conn.rows.total)
        var cur = Array(UnsafeBufferPointer(start: conn.rows.starts.base, count: conn.rows.starts.count - 1))
        let rows = conn.rowView
        let shift = UInt32(conn.targetBits)
        for si in synapses.indices {
            for (a, b) in zip(sources[si], targets[si]) where part.contains(Int(b)) {
                let row = rows.row(of: nodeOfNeuron[Int(a)])!
                let kind = UInt32(si * pops + Int(population[Int(b)]))
                conn.words[cur[row]] = UInt32(Int(b) - part.lowerBound) | kind << shift
                cur[row] += 1
            }
        }
        return conn
    }

    // MARK: hooks of the run loop

    /// At the start of the epoch that begins at step `e0`, on every thread: at record times
    /// thread 0 samples the totals; at update times it updates the structure, then each thread
    /// lets its vacant elements decay and rebuilds its table. Two barriers, only at those epochs.
    func epochStart(thread t: Int, step e0: Int64, team: ThreadTeam) {
        let isUpdate = e0 % updateSteps == 0
        let isRecord = recordSteps.map { e0 % $0 == 0 } ?? false
        guard isUpdate || isRecord else { return }
        for n in partitions[t] { advance(n, to: e0) }
        team.barrier()
        if t == 0 {
            shareState()
            if isRecord { sample(at: e0) }
            if isUpdate { update() }
        }
        team.barrier()
        if isUpdate { finishUpdate(thread: t) }
    }

    /// Ranks (one thread of each): every rank's Ca, its time and the element counts of its own
    /// neurons, into every rank's copy. The bound counts (`connected`) need no sharing: every
    /// rank's update changes them alike.
    func shareState() {
        guard let comm = communicator else { return }
        let mine = rankNeurons[comm.rank]
        let width = 2 + z.count
        var send = [Double](repeating: 0, count: mine.count * width)
        for (k, n) in mine.enumerated() {
            send[k * width] = ca[n]
            send[k * width + 1] = Double(bitPattern: UInt64(bitPattern: caTime[n]))
            for e in z.indices { send[k * width + 2 + e] = z[e][n] }
        }
        for (q, part) in comm.gather(send, root: nil).enumerated() where q != comm.rank {
            for (k, n) in rankNeurons[q].enumerated() {
                ca[n] = part[k * width]
                caTime[n] = Int64(bitPattern: part[k * width + 1].bitPattern)
                for e in z.indices { z[e][n] = part[k * width + 2 + e] }
            }
        }
    }

    /// Every neuron's Ca and elements brought to step `t`, as NEST does at the end of each
    /// Simulate call (what a script then reads; the next Simulate integrates on from there).
    func bringUpToDate(to t: Int64) {
        if communicator != nil {
            // Each rank brings its own neurons to the end; the others' come with the sharing.
            for n in rankNeurons[communicator!.rank] { advance(n, to: t) }
            shareState()
        }
        for n in 0..<neuronCount { advance(n, to: t) }
    }

    /// A population's Ca (`variable` "Ca") or an element's count ("synaptic_elements.NAME.z")
    /// or bound elements ("....z_connected") per neuron; nil for other variables.
    func state(population: String, variable: String) throws -> [Double]? {
        guard let p = populationNames.firstIndex(of: population) else { return nil }
        let range = populationRanges[p]
        if variable == "Ca" { return range.map { ca[$0] } }
        let parts = variable.split(separator: ".").map(String.init)
        guard parts.count == 3, parts[0] == "synaptic_elements", ["z", "z_connected"].contains(parts[2]) else { return nil }
        guard let e = elementNames.firstIndex(of: parts[1]), range.allSatisfy({ hasElement[e][$0] }) else {
            throw PlexusError("population '\(population)' has no synaptic element '\(parts[1])'",
                              keyPath: "populations.\(population).synaptic_elements")
        }
        return parts[2] == "z" ? range.map { z[e][$0] } : range.map { Double(connected[e][$0]) }
    }

    /// After the run: the sample at its end time, if that is a record time.
    func finish(totalSteps: Int64) -> StructuralRecording? {
        bringUpToDate(to: totalSteps)
        guard let r = recordSteps else { return nil }
        if totalSteps > 0 && totalSteps % r == 0 { sample(at: totalSteps) }
        return recording
    }

    // MARK: the epoch hook

    /// The network's engine (set up by `setUpStructuralPlasticity`), nil without structural plasticity.
    static func make(for network: PointNetwork) -> StructuralPlasticity? {
        guard let engine = network.structural.engine else { return nil }
        engine.neuronOfNode = network.neuronOfNode
        return engine
    }

    /// Updates and record times (`epochStart`, with its barriers).
    func beforeUpdates(_ epoch: EpochContext, rings: InputRings) {
        epochStart(thread: epoch.thread, step: epoch.firstStep, team: epoch.team)
    }

    /// Ca and elements of the neurons that fired (`endEpoch`).
    func afterUpdates(_ epoch: EpochContext, own: ThreadSpikes) {
        endEpoch(spikes: own, from: epoch.firstStep, to: epoch.endStep)
    }

    /// The structural synapses onto the thread's neurons (rebuilt at each update).
    func deliveryTable(thread: Int) -> ThreadConnectivity? { tables[thread].conn }

    func finish(totalSteps: Int64, results: inout PointResults) {
        results.structural = finish(totalSteps: totalSteps)
    }

    // MARK: recording (thread 0, between updates)

    func sample(at step: Int64) {
        guard recordSteps != nil else { return }
        var row: [Double] = []
        for (p, range) in populationRanges.enumerated() {
            var sum = 0.0
            for i in range { sum += ca[i] }
            row.append(range.isEmpty ? 0 : sum / Double(range.count))
            for k in slotStart[p]..<slotStart[p + 1] {
                let e = slots[k].element
                var zs = 0.0, cs = 0
                for i in range { zs += z[e][i]; cs += Int(connected[e][i]) }
                row.append(zs)
                row.append(Double(cs))
            }
        }
        let pops = populationRanges.count
        for si in synapses.indices {
            var counts = [Int](repeating: 0, count: pops * pops)
            for (a, b) in zip(sources[si], targets[si]) {
                counts[Int(population[Int(a)]) * pops + Int(population[Int(b)])] += 1
            }
            row += counts.map(Double.init)
        }
        recording.times.append(Double(step) * h)
        for c in row.indices { recording.values[c].append(row[c]) }
    }
}

// MARK: set-up from the description

extension PointNetwork {
    /// Structural plasticity of the network, when the experiment declares it.
    var structuralPlasticity: StructuralPlasticity? { structural.engine }

    /// Number of synapses that structural plasticity created and that exist now.
    public var structuralSynapseCount: Int { structural.engine?.synapseCount ?? 0 }

    func isStructuralSynapse(_ model: String) -> Bool {
        experiment.structuralPlasticity?.synapses.contains { $0.name == model } ?? false
    }

    /// A connection statement whose synapse model names a structural synapse: checked here, its
    /// synapses are made when structural plasticity is set up (with that synapse's weight and
    /// delay; both ends bind an element, as NEST's Connect with the element names in syn_spec).
    func structuralIntervalError(_ ms: Double, _ key: String, _ keyPath: String) -> PlexusError {
        PlexusError("\(key) \(ms) ms must be a positive multiple of the min delay \(Double(minDelay) * grid.h) ms (the network exchanges spikes, and NEST updates the structure, only at those times)",
                    keyPath: keyPath)
    }

    /// Structural updates and records happen at epoch starts: their interval must be a multiple of the min delay.
    func checkStructuralInterval(_ steps: Int64, _ key: String, _ keyPath: String) throws {
        guard steps > 0, steps % Int64(minDelay) == 0 else { throw structuralIntervalError(grid.time(steps), key, keyPath) }
    }

    /// With ranks (collective): the structural synapses' delays enter the run's min delay as in
    /// one process (every rank has them all), the intervals are checked against it, and each
    /// rank learns the others' neurons for the sharing before each update.
    func joinStructuralRanks() throws {
        guard communicator.size > 1, let engine = structural.engine else { return }
        if let d = engine.synapses.map(\.delay).min() {
            minDelay = Swift.min(minDelayIsDefault ? Int.max : minDelay, d)
            minDelayIsDefault = false
            maxDelay = Swift.max(maxDelay, engine.synapses.map(\.delay).max()!, minDelay)
        }
        try checkStructuralInterval(engine.updateSteps, "update_interval", "structural_plasticity.update_interval")
        if let r = engine.recordSteps { try checkStructuralInterval(r, "the structural recording's interval", "record") }
        engine.communicator = communicator
        engine.rankNeurons = (0..<communicator.size).map(neuronRange(ofRank:))
    }

    func addInitialStructural(_ st: ConnectionStatement, _ c: ConnectionDescription) throws {
        let kp = st.path + ".synapse"
        guard st.source.isNeuron else {
            throw PlexusError("'\(st.source.name)' is a \(st.source.model): structural synapses connect neurons", keyPath: st.path + ".source")
        }
        guard c.synapse.receptor == 0, !c.synapse.recordWeights, c.synapse.parameters.isEmpty else {
            throw PlexusError("a structural synapse (\(c.synapse.model)) takes no receptor_type, record_weights or parameters", keyPath: kp)
        }
        guard c.synapse.weight == .constant(Quantity(1)), c.synapse.delay == .constant(Quantity(1, "ms")) else {
            throw PlexusError("synapses of \(c.synapse.model) take the weight and delay of structural_plasticity.synapses.\(c.synapse.model); leave them out here",
                              keyPath: kp)
        }
        structural.initial.append((st, c.synapse.model))
    }

    /// Takes tau_Ca, beta_Ca and Ca out of a neuron population's params (they belong to every
    /// neuron, NEST's StructuralPlasticityNode, not to the model's dynamics).
    static func takeCalcium(_ pop: inout PopulationDescription, path: String) throws -> CalciumParameters {
        var c = CalciumParameters()
        func take(_ key: String, _ unit: PhysicalUnit) throws -> Double? {
            guard let v = pop.params.removeValue(forKey: key) else { return nil }
            let kp = path + ".params.\(key)"
            guard case .quantity(let q) = v else { throw PlexusError("\(key) takes one number", keyPath: kp) }
            let x = try wrap(kp) { try q.value(in: unit, name: key) }
            guard x.isFinite else { throw PlexusError("\(key) = \(x) must be finite", keyPath: kp) }
            return x
        }
        if let t = try take("tau_Ca", .ms) {
            guard t > 0 else { throw PlexusError.outOfRange("tau_Ca", t, "must be > 0 ms", keyPath: path + ".params.tau_Ca") }
            c.tau = t
        }
        if let b = try take("beta_Ca", .one) {
            guard b > 0 else { throw PlexusError.outOfRange("beta_Ca", b, "must be > 0 (Ca integrates activity)", keyPath: path + ".params.beta_Ca") }
            c.beta = b
        }
        if let a = try take("Ca", .one) {
            guard a >= 0 else { throw PlexusError.outOfRange("Ca", a, "must be >= 0", keyPath: path + ".params.Ca") }
            c.initial = a
        }
        return c
    }

    /// Checks the structural plasticity of the description and sets it up; widens the network's
    /// delay range with the structural synapses' delays. Called after the static build.
    func setUpStructuralPlasticity() throws {
        guard let sp = experiment.structuralPlasticity else { return }
        let root = "structural_plasticity"
        // Gap junctions fix the epoch to their communication interval before this runs; a
        // structural synapse may not shorten it afterwards (nor does NEST combine the two).
        if gapLayer != nil {
            throw PlexusError("structural plasticity and gap junctions in one network are not supported", keyPath: root)
        }
        let neuronPops = neuronPopulations
        // Elements by population.
        var elementNames: [String] = []
        var slotsByPop = [[ElementSlot]](repeating: [], count: neuronPops.count)
        var zByPop = [[Double]](repeating: [], count: neuronPops.count)
        for popName in sp.elements.keys.sorted() {
            let path = "populations.\(popName).synaptic_elements"
            guard let info = population(named: popName) else {
                throw PlexusError("no population named '\(popName)'", keyPath: path)
            }
            guard case .neuron(let pi) = info.kind else {
                throw PlexusError("'\(popName)' is a \(info.model): only neurons have synaptic elements", keyPath: path)
            }
            // Structural synapses arrive on receptor 0, which a multisynapse model does not have.
            if neuronPops[pi].receptorPorts != nil {
                throw PlexusError("'\(popName)' is a \(info.model): structural plasticity onto receptor ports is not supported", keyPath: path)
            }
            for name in sp.elements[popName]!.keys.sorted() {
                let d = sp.elements[popName]![name]!
                let kp = "\(path).\(name)"
                func check(_ key: String, _ v: Double?, _ rule: (Double) -> Bool, _ text: String) throws {
                    if let v, !(v.isFinite && rule(v)) { throw PlexusError.outOfRange(key, v, text, keyPath: "\(kp).\(key)") }
                }
                try check("growth_rate", d.growthRate, { _ in true }, "must be finite")
                try check("z", d.z, { $0 >= 0 }, "must be >= 0")
                try check("tau_vacant", d.tauVacant, { $0 > 0 }, "must be > 0 (NEST: all time constants strictly positive)")
                try check("eps", d.eps, { _ in true }, "must be finite")
                try check("eta", d.eta, { _ in true }, "must be finite")
                try check("psi", d.psi, { $0 > 0 }, "must be > 0")
                var curve: GrowthCurveSpec
                func refuse(_ key: String, _ v: Double?) throws {
                    if v != nil { throw PlexusError("the \(d.growthCurve) growth curve has no parameter \(key)", keyPath: "\(kp).\(key)") }
                }
                switch d.growthCurve {
                case "gaussian":
                    try refuse("psi", d.psi)
                    let eps = d.eps ?? 0.7, eta = d.eta ?? 0.1
                    guard eta != eps else {
                        throw PlexusError("the gaussian growth curve needs eta != eps (both \(eps))", keyPath: "\(kp).eta")
                    }
                    curve = GrowthCurveSpec(kind: .gaussian, eps: eps)
                    curve.invZeta = 2.0 * 0.8325546111576977 / (eta - eps)   // 2 sqrt(ln 2) / (eta − eps)
                    curve.xi = (eta + eps) * 0.5
                case "linear":
                    try refuse("eta", d.eta)
                    try refuse("psi", d.psi)
                    let eps = d.eps ?? 0.7
                    guard eps != 0 else { throw PlexusError("the linear growth curve needs eps != 0", keyPath: "\(kp).eps") }
                    curve = GrowthCurveSpec(kind: .linear, eps: eps)
                case "sigmoid":
                    try refuse("eta", d.eta)
                    curve = GrowthCurveSpec(kind: .sigmoid, eps: d.eps ?? 0.7, psi: d.psi ?? 0.1)
                default:
                    throw PlexusError("unknown growth curve '\(d.growthCurve)'; known: gaussian, linear, sigmoid", keyPath: "\(kp).growth_curve")
                }
                var e = elementNames.firstIndex(of: name) ?? -1
                if e < 0 { e = elementNames.count; elementNames.append(name) }
                slotsByPop[pi].append(ElementSlot(element: e, curve: curve, growthRate: d.growthRate,
                                                  tauVacant: d.tauVacant, continuous: d.continuous))
                zByPop[pi].append(d.z)
            }
        }
        // Synapses, in name order (NEST keeps them in a dictionary sorted by name).
        var synapses: [StructuralPlasticity.Synapse] = []
        var seen = Set<String>()
        for (k, s) in sp.synapses.enumerated() where !seen.insert(s.name).inserted {
            throw PlexusError("structural synapse '\(s.name)' is defined twice", keyPath: "\(root).synapses[\(k)]")
        }
        var minD = Int.max, maxD = 0
        for s in sp.synapses.sorted(by: { $0.name < $1.name }) {
            let kp = "\(root).synapses.\(s.name)"
            guard s.synapseModel == "static_synapse" else {
                throw PlexusError("structural synapses must be static_synapse (got '\(s.synapseModel)'); plastic structural synapses are not supported",
                                  keyPath: kp + ".synapse_model")
            }
            guard let pre = elementNames.firstIndex(of: s.preSynapticElement) else {
                throw PlexusError("synaptic element '\(s.preSynapticElement)' is not defined on any population (populations.<name>.synaptic_elements)",
                                  keyPath: kp + ".pre_synaptic_element")
            }
            guard let post = elementNames.firstIndex(of: s.postSynapticElement) else {
                throw PlexusError("synaptic element '\(s.postSynapticElement)' is not defined on any population (populations.<name>.synaptic_elements)",
                                  keyPath: kp + ".post_synaptic_element")
            }
            let d = try wrap(kp + ".delay") { try s.delay.value(in: .ms, name: "delay") }
            try Self.checkTime(d, "delay", grid: grid, keyPath: kp + ".delay")
            guard d >= grid.h * (1 - 1e-9) else {
                throw PlexusError("delay \(d) ms is below the resolution \(grid.h) ms", keyPath: kp + ".delay")
            }
            try checkDelayFits(d, keyPath: kp + ".delay")
            let steps = Int((d / grid.h).rounded())
            var weights: [Double] = []
            for p in neuronPops {
                if p.countsSpikes { weights.append(1); continue }
                let w = try wrap(kp + ".weight") { try s.weight.value(in: p.weightUnit, name: "weight") }
                guard w.isFinite else { throw PlexusError("weight \(w) must be finite", keyPath: kp + ".weight") }
                weights.append(w)
            }
            minD = min(minD, steps)
            maxD = max(maxD, steps)
            synapses.append(.init(name: s.name, pre: pre, post: post, autapses: s.allowAutapses, delay: steps, weights: weights))
        }
        // The delay range includes the structural synapses (NEST's builder_min_delay).
        if minD != Int.max {
            // The min delay found so far (static synapses, and with volume transmitters every
            // connection), unless it is only the default of a network without synapses.
            let known = minDelayIsDefault ? Int.max : minDelay
            minDelay = min(known, minD)
            maxDelay = max(maxDelay, maxD, minDelay)
        }
        let interval = try wrap("\(root).update_interval") { try sp.updateInterval.value(in: .ms, name: "update_interval") }
        try Self.checkTime(interval, "update_interval", grid: grid, keyPath: "\(root).update_interval")
        func checkInterval(_ ms: Double, _ key: String, _ kp: String) throws -> Int64 {
            let steps = grid.steps(ms)
            guard ms > 0, grid.isOnGrid(ms) else { throw structuralIntervalError(ms, key, kp) }
            try checkStructuralInterval(steps, key, kp)
            return steps
        }
        let updateSteps = try checkInterval(interval, "update_interval", "\(root).update_interval")
        var recordSteps: Int64?
        if let r = sp.recordInterval {
            let ms = try wrap("record") { try r.value(in: .ms, name: "interval") }
            try Self.checkTime(ms, "interval", grid: grid, keyPath: "record")
            recordSteps = try checkInterval(ms, "the structural recording's interval", "record")
        }
        // Kinds per (synapse, target population) must fit beside the target index.
        var kindBits = 0
        while (1 << kindBits) < max(1, synapses.count * neuronPops.count) { kindBits += 1 }
        var nodeOfNeuron = [Int](repeating: 0, count: neuronCount)
        for p in neuronPops { for i in 0..<p.size { nodeOfNeuron[p.firstNeuron + i] = p.firstNode + i } }
        let engine = StructuralPlasticity(
            h: grid.h, neuronCount: neuronCount, elementNames: elementNames, synapses: synapses, updateSteps: updateSteps,
            recordSteps: recordSteps, seed: seed, populationNames: neuronPops.map(\.name),
            populationRanges: neuronPops.map { $0.firstNeuron..<($0.firstNeuron + $0.size) },
            calcium: structural.calcium, slotsByPopulation: slotsByPop, initialZ: zByPop,
            nodeOfNeuron: nodeOfNeuron, nodeCount: nodeCount, partitions: partitions)
        guard engine.tables.allSatisfy({ $0.conn.targetBits + kindBits <= 32 }) else {
            throw PlexusError("too many structural synapse kinds for the synapse table layout", keyPath: "\(root).synapses")
        }
        // Initial synapses of structural synapse models, in statement then rule order.
        for (st, name) in structural.initial {
            let si = synapses.firstIndex { $0.name == name }!
            let s = synapses[si]
            guard case .neuron(let a) = st.source.kind, case .neuron(let b) = st.target.kind else { continue }
            let srcFirst = neuronPops[a].firstNeuron, tgtFirst = neuronPops[b].firstNeuron
            for (pop, e, side) in [(a, s.pre, "pre"), (b, s.post, "post")] where !slotsByPop[pop].contains(where: { $0.element == e }) {
                throw PlexusError("\(name) binds \(side)-synaptic element '\(elementNames[e])', which '\(neuronPops[pop].name)' does not have",
                                  keyPath: st.path + (side == "pre" ? ".source" : ".target"))
            }
            enumerate(st, targets: 0..<st.target.size, draw: false) { i, j, _, _ in
                let src = srcFirst + i, tgt = tgtFirst + j
                engine.bind(s.pre, src)
                engine.bind(s.post, tgt)
                engine.sources[si].append(Int32(src))
                engine.targets[si].append(Int32(tgt))
            }
        }
        for t in partitions.indices { engine.tables[t].conn = engine.makeTable(t) }
        structural.engine = engine
    }
}

extension PointNetwork {
    /// The resolved structural plasticity (defaults filled in), for provenance: update interval,
    /// calcium parameters and elements per population, synapses; nil without one.
    public func structuralPlasticityResolved() -> [String: Any]? {
        guard let sp = experiment.structuralPlasticity, let engine = structural.engine else { return nil }
        var pops: [String: Any] = [:]
        for (i, p) in neuronPopulations.enumerated() {
            let c = structural.calcium[i]
            var entry: [String: Any] = ["tau_Ca_ms": c.tau, "beta_Ca": c.beta, "Ca": c.initial]
            var els: [String: Any] = [:]
            for (name, d) in sp.elements[p.name] ?? [:] {
                var e: [String: Any] = ["growth_curve": d.growthCurve, "growth_rate": d.growthRate, "z": d.z,
                                        "tau_vacant": d.tauVacant, "continuous": d.continuous, "eps": d.eps ?? 0.7]
                if d.growthCurve == "gaussian" { e["eta"] = d.eta ?? 0.1 }
                if d.growthCurve == "sigmoid" { e["psi"] = d.psi ?? 0.1 }
                els[name] = e
            }
            if !els.isEmpty { entry["synaptic_elements"] = els }
            pops[p.name] = entry
        }
        var syns: [String: Any] = [:]
        for s in engine.synapses {
            var weights: [String: Any] = [:]
            for (i, p) in neuronPopulations.enumerated() { weights[p.name] = s.weights[i] }
            syns[s.name] = ["synapse_model": "static_synapse", "pre_synaptic_element": engine.elementNames[s.pre],
                            "post_synaptic_element": engine.elementNames[s.post], "delay_ms": Double(s.delay) * grid.h,
                            "weight_by_target_population": weights, "allow_autapses": s.autapses]
        }
        var out: [String: Any] = ["update_interval_ms": Double(engine.updateSteps) * grid.h, "populations": pops,
                                  "synapses": syns, "structural_synapses_now": engine.synapseCount]
        if let r = engine.recordSteps { out["record_interval_ms"] = Double(r) * grid.h }
        return out
    }
}
