import PlexusCore

/// Spikes of one recorded population, in time order (then sender order).
public struct RecordedSpikes: Sendable {
    public let population: String
    /// NEST-style gids: 1-based node numbers in creation order.
    public var gids: [Int] = []
    public var times: [Double] = []
}

/// Multimeter samples of one population: `values[v][row]`, rows ordered by time then gid.
public struct RecordedStates: Sendable {
    public let population: String
    public let variables: [String]
    public let intervalSteps: Int64
    public var times: [Double] = []
    public var gids: [Int] = []
    public var values: [[Double]]
}

public struct PointResults: Sendable {
    public var spikes: [RecordedSpikes]
    public var states: [RecordedStates]
    /// Weights logged by weight recorders, by time, then source, then target.
    public var weights: [WeightEvent] = []
    /// Totals of the structural recording, when the experiment asks for one.
    public var structural: StructuralRecording? = nil
    /// Spikes emitted by all neurons and generators, recorded or not.
    public var totalSpikes: Int
    public var simulatedSteps: Int64
}

/// A multimeter of the run loop: which state columns of which population, how often.
struct Meter {
    let population: NeuronPopulation
    let variables: [Int]
    let names: [String]
    let interval: Int64
}

/// Per-thread scratch of the run loop: input ring buffers and spike lists.
final class ThreadState {
    let nLocal: Int
    /// Channel pairs in a spike ring row (ReceptorLayout): nLocal, plus receptor ports.
    let nPairs: Int
    let ringLength: Int
    let spikeRing: Storage<Double>    // [slot][pair][excitatory, inhibitory]
    let currentRing: Storage<Double>  // [slot][neuron]
    var outputs: [SpikeOutput]        // one per epoch parity
    let stepOffsets: [Storage<Int>]   // per parity: spike list offset at each step of the epoch
    var samples: [GrowableBuffer<Double>]
    var error: PlexusError?
    var emitted = 0
    var weights: [WeightEvent] = []
    /// Precise-timing targets (`PointNeuronModel.isPrecise`) among this thread's channel pairs:
    /// 1 where the pair is such a neuron's; nil when the thread has none (then off-grid spikes
    /// are delivered as on-grid ones and nothing below is allocated).
    let precisePairs: Storage<UInt8>?
    /// Per ring slot: the off-grid spikes arriving in that step at precise targets, in arrival
    /// order until the step sorts them (`PreciseEvents`).
    let preciseEvents: UnsafeMutablePointer<GrowableBuffer<PreciseEvent>>?

    init(nLocal: Int, nPairs: Int, ringLength: Int, epoch: Int, multimeters: Int, precisePairs: [UInt8]? = nil) {
        self.nLocal = nLocal
        self.nPairs = nPairs
        self.ringLength = ringLength
        spikeRing = Storage(repeating: 0, count: max(1, ringLength * nPairs * 2))
        currentRing = Storage(repeating: 0, count: max(1, ringLength * nLocal))
        outputs = [SpikeOutput(capacity: 1024), SpikeOutput(capacity: 1024)]
        stepOffsets = [Storage(repeating: 0, count: epoch + 1), Storage(repeating: 0, count: epoch + 1)]
        samples = (0..<multimeters).map { _ in GrowableBuffer(capacity: 1024) }
        if let precisePairs {
            self.precisePairs = Storage(precisePairs)
            let events = UnsafeMutablePointer<GrowableBuffer<PreciseEvent>>.allocate(capacity: ringLength)
            for k in 0..<ringLength { (events + k).initialize(to: GrowableBuffer(capacity: 64)) }
            preciseEvents = events
        } else {
            self.precisePairs = nil
            preciseEvents = nil
        }
    }

    deinit {
        if let preciseEvents {
            for k in 0..<ringLength { preciseEvents[k].free() }
            preciseEvents.deinitialize(count: ringLength)
            preciseEvents.deallocate()
        }
        outputs[0].list.free()
        outputs[1].list.free()
        for k in samples.indices { samples[k].free() }
    }
}

extension PointNetwork {
    /// Simulates `totalSteps` steps: a `PointSimulation` advanced once to the end.
    public func run(progress: ((Double) -> Void)? = nil) throws -> PointResults {
        let simulation = PointSimulation(self)
        try simulation.advance(to: totalSteps, progress: progress)
        return simulation.results(final: true)
    }
}

/// A point network being simulated: the run loop's state between calls (input rings, spike
/// lists, recorded spikes and samples, the step reached), so that a run can be advanced in
/// pieces, with parameters changed between them (`PointSimulation+Changes.swift`), as NEST's
/// Simulate calls do. Advancing to 100 ms and then to 150 ms gives the same numbers as one
/// advance to 150 ms: epochs end early at an advance's end, and delivery order does not depend
/// on where epochs end.
///
/// Threads update their own neurons for one epoch (min delay), exchange the epoch's spikes once
/// (a `SpikeExchange`: between threads, the team's barrier), then each delivers every spike of
/// the epoch to the targets it owns, in the fixed order (step, generators, parts in order,
/// neurons by gid): sums are bit-identical for any thread count.
public final class PointSimulation {
    public let network: PointNetwork
    /// Where the epochs' spikes cross between the parts (the threads' barrier; with ranks, their gather).
    let exchange: any SpikeExchange<Spike>
    /// Steps simulated so far: the next step to compute.
    public private(set) var step: Int64 = 0
    /// Epochs run so far (the exchange's and the hooks' epoch numbers continue across advances).
    var epochIndex: Int64 = 0
    /// Set when an advance failed: the state is partly updated and cannot go on.
    public private(set) var failure: PlexusError?
    var finished = false

    let meters: [Meter]
    let spikeRecorders: [(name: String, nodes: Range<Int>)]
    let recordedNode: UnsafeMutableBufferPointer<Int32>
    let states: [ThreadState]
    // Spikes of spike_generators, emitted by member 0, per epoch parity.
    let generatorOut: UnsafeMutablePointer<SpikeOutput>
    let generatorOffsets: UnsafeMutablePointer<Int>       // [parity][step of the epoch + 1]
    let generatorCursor: UnsafeMutableBufferPointer<Int>
    /// Recorded spikes: (step, node, offset within the step in ms; 0 on the grid).
    let recorded: UnsafeMutablePointer<GrowableBuffer<(Int64, UInt32, Double)>>
    var watch = MemoryWatch()
    let nodeOfNeuron: [Int]
    /// Device populations as described, with the changes made so far (`set`).
    var deviceDescriptions: [String: PopulationDescription] = [:]

    public convenience init(_ network: PointNetwork) {
        let exchange: any SpikeExchange<Spike>
        if network.communicator.size == 1 {
            exchange = ThreadSpikeExchange<Spike>(team: network.team)
        } else if let routes = network.spikeRoutes {
            exchange = RankSpikeExchange<Spike>(team: network.team, communicator: network.communicator, routes: routes) { Int($0.gid) }
        } else {
            exchange = RankSpikeExchange<Spike>(team: network.team, communicator: network.communicator)
        }
        self.init(network, exchange: exchange)
    }

    init(_ network: PointNetwork, exchange: any SpikeExchange<Spike>) {
        self.network = network
        self.exchange = exchange
        let m = network.minDelay
        var meters: [Meter] = []
        var spikeRecorders: [(name: String, nodes: Range<Int>)] = []
        // Rank 0 records; the other ranks keep no table of the nodes.
        let records = network.communicator.rank == 0
        recordedNode = .allocate(capacity: records ? max(1, network.nodeCount) : 1)
        recordedNode.initialize(repeating: -1)
        for r in network.experiment.recordings {
            let info = network.population(named: r.population)!
            switch r {
            case .spikes:
                if records { for n in info.nodes where recordedNode[n] < 0 { recordedNode[n] = Int32(spikeRecorders.count) } }
                spikeRecorders.append((info.name, info.nodes))
            case .multimeter(_, let vars, let interval):
                guard case .neuron(let ni) = info.kind else { continue }
                let pop = network.neuronPopulations[ni]
                // Validated when the network was built (validateRecordings).
                var ms = 1.0
                if let interval, let v = try? interval.value(in: .ms, name: "interval") { ms = v }
                meters.append(Meter(population: pop, variables: vars.map { v in pop.stateNames.firstIndex(of: v)! },
                                    names: vars, interval: max(1, network.grid.steps(ms))))
            }
        }
        self.meters = meters
        self.spikeRecorders = spikeRecorders
        let ringLength = network.maxDelay + m
        states = (0..<network.team.count).map {
            ThreadState(nLocal: network.partitions[$0].count, nPairs: network.receptorLayouts[$0].pairs, ringLength: ringLength,
                        epoch: m, multimeters: meters.count, precisePairs: network.precisePairs(thread: $0))
        }
        generatorOut = .allocate(capacity: 2)
        generatorOut.initialize(to: SpikeOutput(capacity: 256))
        (generatorOut + 1).initialize(to: SpikeOutput(capacity: 256))
        generatorOffsets = .allocate(capacity: 2 * (m + 1))
        generatorOffsets.initialize(repeating: 0, count: 2 * (m + 1))
        generatorCursor = .allocate(capacity: max(1, network.spikeGenerators.count))
        generatorCursor.initialize(repeating: 0)
        recorded = .allocate(capacity: 1)
        recorded.initialize(to: GrowableBuffer(capacity: 4096))
        // The node of each of this rank's neurons (index less `localNeurons.lowerBound`).
        let localNeurons = network.localNeurons
        var nodeOfNeuron = [Int](repeating: 0, count: localNeurons.count)
        for p in network.neuronPopulations {
            let lo = max(localNeurons.lowerBound, p.firstNeuron), hi = min(localNeurons.upperBound, p.firstNeuron + p.size)
            for i in lo..<max(lo, hi) { nodeOfNeuron[i - localNeurons.lowerBound] = p.firstNode + i - p.firstNeuron }
        }
        self.nodeOfNeuron = nodeOfNeuron
        for p in network.experiment.populations where ModelCatalog.deviceModels[p.model] != nil { deviceDescriptions[p.name] = p }
    }

    deinit {
        generatorOut[0].list.free()
        generatorOut[1].list.free()
        generatorOut.deinitialize(count: 2)
        generatorOut.deallocate()
        generatorOffsets.deallocate()
        generatorCursor.deallocate()
        recordedNode.deallocate()
        recorded.pointee.free()
        recorded.deinitialize(count: 1)
        recorded.deallocate()
    }

    /// Bytes this rank sent and received in the ranks' spike gathers so far, and the epochs they
    /// took (nil for one process: threads share memory).
    public var exchangeTraffic: (sent: Int, received: Int, epochs: Int64)? {
        guard let ranks = exchange as? RankSpikeExchange<Spike> else { return nil }
        return (ranks.bytesSent, ranks.bytesReceived, epochIndex)
    }

    /// Simulates steps `step ..< end`. `progress` is called by one thread after each epoch with
    /// the fraction of this advance done. A failure (a NaN blow-up, memory) is thrown and ends
    /// the simulation: later advances throw it again.
    public func advance(to end: Int64, progress: ((Double) -> Void)? = nil) throws {
        if let failure { throw failure }
        precondition(!finished, "advance after the final results")
        guard end > step else { return }
        network.nestStreams?.startRun(at: step, h: network.grid.h)
        try exchange.advance(self, to: end, progress: progress)   // the loop specialised for the exchange's type
        network.structuralPlasticity?.bringUpToDate(to: step)
    }

    fileprivate func advance<Exchange: SpikeExchange<Spike>>(_ exchange: Exchange, to end: Int64, progress: ((Double) -> Void)?) throws {
        let net = network, states = states
        let m = net.minDelay
        let ringLength = net.maxDelay + m
        let first = step, firstEpoch = epochIndex
        let epochs = (end - first + Int64(m) - 1) / Int64(m)
        let meters = meters
        // NEST keeps a post spike until every STDP synapse read it and it is older than this.
        let pruneMargin = Double(net.maxDelay + net.minDelay) * net.grid.h
        let fullCheckEvery = Int64(max(1, 16 / m))
        // Epoch hooks (EpochHook.swift): one dynamic call per hook and phase per epoch.
        let hooks = net.epochHooks
        let inputFirst = hooks.contains { $0.needsEpochInputFirst }
        let listeners = hooks.filter { $0.listensToSpikes }
        let genOut = generatorOut, recordedNode = UnsafeBufferPointer(recordedNode), recorded = recorded
        let genCursor = generatorCursor, offsetsBase = generatorOffsets
        let nodeOfNeuron = nodeOfNeuron
        let recordsSpikes = net.communicator.rank == 0
        var watch = watch
        defer { self.watch = watch }

        withUnsafeMutablePointer(to: &watch) { watch in
        net.team.run { t in
            let ts = states[t]
            let part = net.partitions[t]
            let nLocal = part.count
            // The spike rings' row length (= nLocal without multisynapse neurons).
            let nPairs = ts.nPairs
            let conn = net.connectivity[t]
            let devices = net.deviceInputs[t]
            let plastic = net.plastic[t]
            let hasPlastic = plastic.count > 0
            let spikeRing = ts.spikeRing.base, currentRing = ts.currentRing.base
            // Off-grid spikes to precise targets (nil without such targets on this thread).
            let precisePairs = ts.precisePairs?.base, preciseEvents = ts.preciseEvents
            let rings = InputRings(spikes: spikeRing, currents: currentRing, ringLength: ringLength, nLocal: nLocal, nPairs: nPairs)
            // Hooks' own synapses (per epoch), and the epoch's spike lists for listeners.
            var hookTables: [ThreadConnectivity] = []
            let sources = exchange.parts + 1
            let deliveredLists = UnsafeMutablePointer<UnsafeBufferPointer<Spike>>.allocate(capacity: listeners.isEmpty ? 1 : m * sources)
            defer { deliveredLists.deallocate() }
            // Populations overlapping this thread's neurons, with local ranges.
            let mine: [(NeuronPopulation, Range<Int>)] = net.neuronPopulations.compactMap { p in
                let lo = max(part.lowerBound, p.firstNeuron), hi = min(part.upperBound, p.firstNeuron + p.size)
                return lo < hi ? (p, (lo - p.firstNeuron)..<(hi - p.firstNeuron)) : nil
            }
            // Per population of `mine`: the pair offset of its spike input in a row (its neurons'
            // own pairs, or a multisynapse population's receptor ports).
            let layout = net.receptorLayouts[t]
            let spikeOffsets: [Int] = mine.map { p, _ in
                let pi = net.neuronPopulations.firstIndex { $0 === p }!
                return layout.portOffset(population: pi) ?? (p.firstNeuron - part.lowerBound)
            }
            @inline(__always) func slot(_ step: Int64) -> Int { Int(step % Int64(ringLength)) }

            for k0 in 0..<epochs {
                let epoch = firstEpoch + k0
                let parity = Int(epoch & 1)
                let genOffsets = offsetsBase + parity * (m + 1)
                let e0 = first + k0 * Int64(m)
                let e1 = min(e0 + Int64(m), end)
                let context = EpochContext(thread: t, team: net.team, index: epoch, firstStep: e0, endStep: e1)
                ts.outputs[parity].list.removeAll()
                if t == 0 { genOut[parity].list.removeAll() }
                if let nest = net.nestStreams {
                    // NEST's draws for the emissions of this epoch (whole NEST slices).
                    if t == 0 { nest.draw(through: e1, limit: end, h: net.grid.h) }
                    net.team.barrier()
                }
                if inputFirst {
                    // A hook integrates the interval (waveform relaxation reads it as
                    // NEST's ring buffers hold it): device input of every step first.
                    for s in e0..<e1 {
                        net.applyDeviceInputs(devices, step: s, nLocal: nLocal, nPairs: nPairs, ringLength: ringLength,
                                              spikeRing: spikeRing, currentRing: currentRing, precisePairs: precisePairs,
                                              preciseEvents: preciseEvents)
                    }
                }
                for hook in hooks { hook.beforeUpdates(context, rings: rings) }
                for s in e0..<e1 {
                    let k = Int(s - e0)
                    ts.stepOffsets[parity][k] = ts.outputs[parity].count
                    // Device input arriving in this step (drawn for its emission step).
                    if !inputFirst {
                        net.applyDeviceInputs(devices, step: s, nLocal: nLocal, nPairs: nPairs, ringLength: ringLength,
                                              spikeRing: spikeRing, currentRing: currentRing, precisePairs: precisePairs,
                                              preciseEvents: preciseEvents)
                    }
                    if t == 0 {
                        genOffsets[k] = genOut[parity].count
                        for g in 0..<net.spikeGenerators.count {
                            let gen = net.spikeGenerators[g]
                            var c = genCursor[g]
                            while c < gen.steps.count && gen.steps[c] <= s {
                                if gen.steps[c] == s {
                                    genOut[parity].gidBase = UInt32(gen.node)
                                    if let offsets = gen.offsets, offsets[c] > 0 {
                                        genOut[parity].emit(0, offset: offsets[c], count: Int32(gen.multiplicities[c]))
                                    } else {
                                        genOut[parity].emit(0, multiplicity: gen.multiplicities[c])
                                    }
                                }
                                c += 1
                            }
                            genCursor[g] = c
                        }
                    }
                    let row = slot(s) * nLocal, spikeRow = slot(s) * nPairs
                    // This step's off-grid arrivals at precise targets, in time order per target.
                    let events = preciseEvents.map { $0 + slot(s) }
                    if let events, events.pointee.count > 1 { PreciseEvents.sort(events.pointee.base, count: events.pointee.count) }
                    var eventCursor = 0
                    for (q, (pop, range)) in mine.enumerated() {
                        let offset = row + pop.firstNeuron - part.lowerBound
                        var input = StepInput(spikes: spikeRing + 2 * (spikeRow + spikeOffsets[q]), current: currentRing + offset, step: s)
                        if let events, pop.isPrecise {
                            // Populations lie in pair order: their events are consecutive.
                            let list = events.pointee.base, n = events.pointee.count
                            let lo = Int32(spikeOffsets[q] + range.lowerBound), hi = Int32(spikeOffsets[q] + range.upperBound)
                            while eventCursor < n && list[eventCursor].target < lo { eventCursor += 1 }
                            var end = eventCursor
                            while end < n && list[end].target < hi { end += 1 }
                            input = StepInput(spikes: input.spikes, current: input.current, step: s, events: list + eventCursor,
                                              eventCount: end - eventCursor, eventBase: spikeOffsets[q])
                            eventCursor = end
                        }
                        pop.update(range, input, &ts.outputs[parity])
                    }
                    events?.pointee.removeAll()
                    if ts.error == nil {
                        // The step at which a value went bad, found by a cheap sentinel.
                        for (pop, range) in mine where !pop.firstColumnIsFinite(in: range) {
                            let (i, v) = pop.firstNonFinite(in: range) ?? (range.lowerBound, pop.stateNames[0])
                            ts.error = PointNetwork.nonFinite(pop, neuron: i, variable: v, at: "in the step ending at t = \(net.grid.endTime(ofStep: s)) ms")
                            break
                        }
                    }
                    (spikeRing + 2 * spikeRow).update(repeating: 0, count: 2 * nPairs)
                    (currentRing + row).update(repeating: 0, count: nLocal)
                    for (mi, meter) in meters.enumerated() where (s + 1) % meter.interval == 0 {
                        let p = meter.population
                        let lo = max(part.lowerBound, p.firstNeuron) - p.firstNeuron
                        let hi = min(part.upperBound, p.firstNeuron + p.size) - p.firstNeuron
                        if lo < hi {
                            for i in lo..<hi {
                                for v in meter.variables { ts.samples[mi].append(p.recordedValue(variable: v, neuron: i)) }
                            }
                        }
                    }
                }
                ts.stepOffsets[parity][Int(e1 - e0)] = ts.outputs[parity].count
                if !hooks.isEmpty {
                    let own = ThreadSpikes(spikes: ts.outputs[parity].list.base, stepOffsets: ts.stepOffsets[parity].base)
                    for hook in hooks { hook.afterUpdates(context, own: own) }
                }
                if t == 0 { genOffsets[Int(e1 - e0)] = genOut[parity].count }
                ts.emitted += ts.outputs[parity].count
                // Any other state variable that went bad stops the run too: a full scan
                // every ~16 steps (every epoch when delays are long), not every step.
                if ts.error == nil && (epoch % fullCheckEvery == 0 || e1 == end) {
                    for (pop, range) in mine {
                        if let (i, v) = pop.firstNonFinite(in: range) {
                            ts.error = PointNetwork.nonFinite(pop, neuron: i, variable: v, at: "by t = \(net.grid.time(e1)) ms")
                            break
                        }
                    }
                }

                // Postsynaptic spike histories for STDP (only this thread's neurons).
                if !plastic.archives.isEmpty {
                    let list = ts.outputs[parity].list
                    for s in e0..<e1 {
                        let k = Int(s - e0)
                        let t = net.grid.endTime(ofStep: s)
                        for q in ts.stepOffsets[parity][k]..<ts.stepOffsets[parity][k + 1] {
                            let n = net.neuronOfNode[Int(list[q].gid)] - part.lowerBound
                            let a = Int(plastic.archiveOf[n])
                            // A parrot repeating n arrivals spikes n times (NEST's archive holds
                            // n entries; each counts in the trace and in the pairings).
                            if a >= 0 {
                                // An off-grid spike is archived at its precise time (NEST's set_spiketime).
                                let tq = list[q].isOffGrid ? net.grid.nestStampTime(ofStep: s) - list[q].offset : t
                                for _ in 0..<max(1, Int(list[q].multiplicity)) { plastic.archives[a].record(tq, pruneMargin: pruneMargin) }
                            }
                        }
                    }
                }

                exchange.publish(part: t, epoch: epoch, steps: Int(e1 - e0), spikes: ts.outputs[parity].list.base,
                                 stepOffsets: ts.stepOffsets[parity].base)
                if exchange.exchange(part: t, epoch: epoch, failed: ts.error != nil) { return }

                for hook in hooks { hook.afterExchange(context) }
                // Synapses that hooks own (structural plasticity's), after the static ones.
                hookTables.removeAll(keepingCapacity: true)
                for hook in hooks {
                    if let c = hook.deliveryTable(thread: t) { hookTables.append(c) }
                }
                let extraTable = hookTables.first
                let hasMoreTables = hookTables.count > 1
                // Delivery: every spike of the epoch to the targets this thread owns.
                for s in e0..<e1 {
                    let k = Int(s - e0)
                    let base = slot(s)
                    let g = genOut[parity]
                    for q in genOffsets[k]..<genOffsets[k + 1] {
                        if let preciseEvents, g.list[q].isOffGrid {
                            PointNetwork.deliverOffGrid(g.list[q], from: base, conn: conn, ringLength: ringLength, nLocal: nPairs, ring: spikeRing,
                                                        precisePairs: precisePairs.unsafelyUnwrapped, events: preciseEvents)
                        } else {
                            PointNetwork.deliver(g.list[q], from: base, conn: conn, ringLength: ringLength, nLocal: nPairs, ring: spikeRing)
                        }
                        if hasPlastic {
                            net.deliverPlastic(g.list[q], step: s, plastic, ringLength: ringLength, nLocal: nPairs,
                                               ring: spikeRing, nodeOfNeuron: nodeOfNeuron, first: part.lowerBound - net.localNeurons.lowerBound, log: &ts.weights)
                        }
                    }
                    for u in 0..<exchange.parts {
                        for spike in exchange.spikes(of: u, step: k, epoch: epoch) {
                            if let preciseEvents, spike.isOffGrid {
                                PointNetwork.deliverOffGrid(spike, from: base, conn: conn, ringLength: ringLength, nLocal: nPairs, ring: spikeRing,
                                                            precisePairs: precisePairs.unsafelyUnwrapped, events: preciseEvents)
                            } else {
                                PointNetwork.deliver(spike, from: base, conn: conn, ringLength: ringLength, nLocal: nPairs, ring: spikeRing)
                            }
                            if let extraTable {
                                PointNetwork.deliver(spike, from: base, conn: extraTable, ringLength: ringLength, nLocal: nPairs, ring: spikeRing)
                                if hasMoreTables {
                                    PointNetwork.deliver(spike, from: base, throughAllButFirst: hookTables, ringLength: ringLength,
                                                         nLocal: nPairs, ring: spikeRing)
                                }
                            }
                            if hasPlastic {
                                net.deliverPlastic(spike, step: s, plastic, ringLength: ringLength, nLocal: nPairs,
                                                   ring: spikeRing, nodeOfNeuron: nodeOfNeuron, first: part.lowerBound - net.localNeurons.lowerBound, log: &ts.weights)
                            }
                        }
                    }
                }
                if !listeners.isEmpty {
                    // The epoch's spikes in delivery order, for the hooks that read them.
                    for k in 0..<Int(e1 - e0) {
                        let g = genOut[parity], lo = genOffsets[k]
                        deliveredLists[k * sources] = UnsafeBufferPointer(start: g.list.base + lo, count: genOffsets[k + 1] - lo)
                        for u in 0..<exchange.parts {
                            deliveredLists[k * sources + 1 + u] = exchange.spikes(of: u, step: k, epoch: epoch)
                        }
                    }
                    let spikes = DeliveredSpikes(lists: deliveredLists, sources: sources, steps: Int(e1 - e0))
                    for hook in listeners { hook.delivered(context, spikes: spikes) }
                }
                if t == 0 {
                    // Spike recorders, in delivery order. A spike of multiplicity n (a parrot
                    // repeating n arrivals, a generator's n events) is n rows, as NEST's
                    // spike_recorder writes it: rates from the file count every spike. Every
                    // rank sees every spike; rank 0 records them.
                    for s in e0..<e1 where recordsSpikes {
                        let k = Int(s - e0)
                        let g = genOut[parity]
                        for q in genOffsets[k]..<genOffsets[k + 1] where recordedNode[Int(g.list[q].gid)] >= 0 {
                            for _ in 0..<max(1, Int(g.list[q].multiplicity)) { recorded.pointee.append((s, g.list[q].gid, g.list[q].offset)) }
                        }
                        for u in 0..<exchange.parts {
                            for spike in exchange.spikes(of: u, step: k, epoch: epoch) where recordedNode[Int(spike.gid)] >= 0 {
                                for _ in 0..<max(1, Int(spike.multiplicity)) { recorded.pointee.append((s, spike.gid, spike.offset)) }
                            }
                        }
                    }
                    progress?(Double(e1 - first) / Double(end - first))
                    if ts.error == nil, let e = watch.pointee.check("at t = \(net.grid.endTime(ofStep: e1 - 1)) ms",
                                                                    holding: "\(recorded.pointee.count) recorded spikes, plastic weights and events",
                                                                    keyPath: "record") {
                        ts.error = e
                    }
                }
            }
        }
        }
        let localFailure = states.compactMap(\.error).first ?? hooks.compactMap(\.failure).first
        do {
            // With ranks, every rank stopped after the same epoch; all throw the same error.
            try net.communicator.agree(localFailure)
        } catch let e as PlexusError {
            failure = e
            throw e
        }
        step = end
        epochIndex = firstEpoch + epochs
    }

    /// What was recorded up to `step`. `final` once at the end: hooks add their own results
    /// (structural plasticity's last sample), after which the simulation cannot advance. With
    /// ranks it is collective: rank 0 gathers every rank's samples and weights and returns the
    /// whole run's results; the other ranks return no recordings.
    public func results(final: Bool = false) -> PointResults {
        let grid = network.grid
        let comm = network.communicator
        var spikes = spikeRecorders.map { RecordedSpikes(population: $0.name) }
        for q in 0..<recorded.pointee.count {
            let (s, node, offset) = recorded.pointee[q]
            // NEST records an off-grid spike at its stamp less its offset.
            let time = offset > 0 ? grid.nestStampTime(ofStep: s) - offset : grid.endTime(ofStep: s)
            for (ri, r) in spikeRecorders.enumerated() where r.nodes.contains(Int(node)) {
                spikes[ri].gids.append(Int(node) + 1)
                spikes[ri].times.append(time)
            }
        }
        var sampled: [RecordedStates] = []
        for (mi, meter) in meters.enumerated() {
            let p = meter.population
            var rec = RecordedStates(population: p.name, variables: meter.names, intervalSteps: meter.interval,
                                     values: Array(repeating: [], count: meter.variables.count))
            let nv = meter.variables.count
            // Each part (thread of a rank) holds, per sample time, its own neurons' rows;
            // interleave by time, parts in order.
            var owned: [(Int, Int)] = []   // per part: (first population index, count)
            for part in network.globalPartitions {
                let lo = max(part.lowerBound, p.firstNeuron) - p.firstNeuron
                let hi = min(part.upperBound, p.firstNeuron + p.size) - p.firstNeuron
                owned.append((lo, max(0, hi - lo)))
            }
            let samplesCount = Int(step / meter.interval)
            var gathered: [[Double]] = []   // with ranks: each rank's threads' samples, concatenated
            if comm.size > 1 {
                gathered = comm.gather(states.flatMap { $0.samples[mi].array }, root: 0)
                if comm.rank != 0 { sampled.append(rec); continue }
            }
            // Part `part`'s sample `i`: from its thread here, or from what rank 0 gathered (each
            // rank's threads one after the other: part r·T + t starts at `partStart`).
            var partStart = [Int](repeating: 0, count: owned.count)
            if comm.size > 1 {
                let threads = states.count
                for r in 0..<comm.size {
                    var at = 0
                    for t in 0..<threads {
                        partStart[r * threads + t] = at
                        at += samplesCount * owned[r * threads + t].1 * nv
                    }
                }
            }
            func sample(_ part: Int, _ i: Int) -> Double {
                comm.size > 1 ? gathered[part / states.count][partStart[part] + i] : states[part].samples[mi][i]
            }
            for k in 0..<samplesCount {
                let time = grid.time(Int64(k + 1) * meter.interval)
                for part in 0..<owned.count {
                    let (lo, cnt) = owned[part]
                    for r in 0..<cnt {
                        rec.times.append(time)
                        rec.gids.append(p.firstNode + lo + r + 1)
                        for v in 0..<nv { rec.values[v].append(sample(part, (k * cnt + r) * nv + v)) }
                    }
                }
            }
            sampled.append(rec)
        }
        var total = states.reduce(0) { $0 + $1.emitted }
        var weights = states.flatMap(\.weights)
        if comm.size > 1 {
            total = Int(comm.sum(Int64(total)))
            let flat = weights.flatMap { [$0.time, Double($0.source), Double($0.target), $0.weight] }
            let all = Array(comm.gather(flat, root: 0).joined())
            weights = stride(from: 0, to: all.count, by: 4).map {
                WeightEvent(time: all[$0], source: Int(all[$0 + 1]), target: Int(all[$0 + 2]), weight: all[$0 + 3])
            }
        }
        // The weight breaks ties (multapses), so the order does not depend on which thread logged what.
        weights.sort { ($0.time, $0.source, $0.target, $0.weight) < ($1.time, $1.source, $1.target, $1.weight) }
        var results = PointResults(spikes: spikes, states: sampled, weights: weights, totalSpikes: total, simulatedSteps: step)
        if final && !finished {
            finished = true
            for hook in network.epochHooks { hook.finish(totalSteps: step, results: &results) }
        }
        return results
    }
}

extension SpikeExchange where Element == Spike {
    /// Opens the simulation's exchange: the run loop is compiled for its concrete type.
    fileprivate func advance(_ simulation: PointSimulation, to end: Int64, progress: ((Double) -> Void)?) throws {
        try simulation.advance(self, to: end, progress: progress)
    }
}

extension PointNetwork {
    static func nonFinite(_ pop: NeuronPopulation, neuron i: Int, variable v: String, at when: String) -> PlexusError {
        PlexusError("numerical blow-up: \(v) of neuron gid \(pop.firstNode + i + 1) (\(pop.name), \(pop.modelName)) became non-finite \(when) (an adaptive ODE solver also stops this way after \(RKF45.maxSubsteps) internal steps in one step); a smaller resolution or other parameters may be needed",
                    keyPath: "populations.\(pop.name)")
    }

    /// Adds one spike's weights into the ring slots of its targets (the hot loop of the engine).
    @inline(__always)
    static func deliver(_ spike: Spike, from base: Int, conn: ThreadConnectivity, ringLength: Int, nLocal: Int,
                        ring: UnsafeMutablePointer<Double>) {
        let rows = conn.rowView
        guard let row = rows.row(of: Int(spike.gid)) else { return }
        let lo = rows.starts[row], hi = rows.starts[row &+ 1]
        let words = conn.words.base, weights = conn.weights.base
        let mask = conn.targetMask, shift = UInt32(conn.targetBits)
        let mult = spike.multiplicity
        var k = lo
        if conn.kinds != nil {
            let kw = conn.kindWeights.base, kd = conn.kindDelays.base
            while k < hi {
                let word = words[k]
                let kind = Int(word >> shift)
                var s = base &+ kd[kind]
                if s >= ringLength { s &-= ringLength }
                let w = kw[kind] * mult
                let idx = (s &* nLocal &+ Int(word & mask)) &* 2 &+ (w < 0 ? 1 : 0)
                ring[idx] += w
                k &+= 1
            }
            return
        }
        while k < hi {
            let word = words[k]
            var s = base &+ Int(word >> shift) &+ 1
            if s >= ringLength { s &-= ringLength }
            let w = Double(weights[k]) * mult
            let idx = (s &* nLocal &+ Int(word & mask)) &* 2 &+ (w < 0 ? 1 : 0)
            ring[idx] += w
            k &+= 1
        }
    }

    /// An off-grid spike on a thread with precise targets: those get it as an event with its
    /// offset in the slot of its arrival step; every other target as an on-grid spike (NEST's
    /// grid models ignore the offset).
    @inline(never)
    static func deliverOffGrid(_ spike: Spike, from base: Int, conn: ThreadConnectivity, ringLength: Int, nLocal: Int,
                               ring: UnsafeMutablePointer<Double>, precisePairs: UnsafeMutablePointer<UInt8>,
                               events: UnsafeMutablePointer<GrowableBuffer<PreciseEvent>>) {
        let rows = conn.rowView
        guard let row = rows.row(of: Int(spike.gid)) else { return }
        let lo = rows.starts[row], hi = rows.starts[row &+ 1]
        let words = conn.words.base, weights = conn.weights.base
        let mask = conn.targetMask, shift = UInt32(conn.targetBits)
        let mult = spike.multiplicity, offset = spike.offset
        for k in lo..<hi {
            let word = words[k]
            var s: Int
            let w: Double
            if conn.kinds != nil {
                let kind = Int(word >> shift)
                s = base &+ conn.kindDelays.base[kind]
                w = conn.kindWeights.base[kind] * mult
            } else {
                s = base &+ Int(word >> shift) &+ 1
                w = Double(weights[k]) * mult
            }
            if s >= ringLength { s &-= ringLength }
            let pair = Int(word & mask)
            if precisePairs[pair] != 0 {
                let list = events + s
                list.pointee.append(PreciseEvent(target: Int32(pair), sequence: Int32(truncatingIfNeeded: list.pointee.count), offset: offset, weight: w))
            } else {
                ring[(s &* nLocal &+ pair) &* 2 &+ (w < 0 ? 1 : 0)] += w
            }
        }
    }

    /// A spike through hooks' tables after the first (out of line: the hot loop stays as small
    /// as with one table or none).
    @inline(never)
    static func deliver(_ spike: Spike, from base: Int, throughAllButFirst tables: [ThreadConnectivity], ringLength: Int,
                        nLocal: Int, ring: UnsafeMutablePointer<Double>) {
        for i in 1..<tables.count {
            deliver(spike, from: base, conn: tables[i], ringLength: ringLength, nLocal: nLocal, ring: ring)
        }
    }

    /// Device changes whose first new emission arrives by step `s` (`DeviceInputs.Switch`).
    @inline(never)
    func applySwitches(_ d: DeviceInputs, step s: Int64) {
        let key = RandomStream(seed: seed, purpose: .poissonInput, id: 0)
        while d.nextSwitch < d.switches.count && d.switches[d.nextSwitch].arrival <= s {
            let w = d.switches[d.nextSwitch]
            d.nextSwitch += 1
            let q = w.input
            if let p = w.poisson {
                d.poisson[q].lambda = p.lambda
                d.poisson[q].table = p.table
                d.poisson[q].startStep = p.startStep
                d.poisson[q].stopStep = p.stopStep
                let input = d.poisson[q]
                // Dense trains: this step quad's words, as the loop draws them at a quad's start.
                let b = key.block(counter: 0, time: UInt32(truncatingIfNeeded: w.emission >> 2), index: input.stream, id: input.id)
                d.poissonWords[2 * q] = UInt64(b.0) << 32 | UInt64(b.1)
                d.poissonWords[2 * q + 1] = UInt64(b.2) << 32 | UInt64(b.3)
                // Sparse trains: the next event from the change on (gaps are memoryless), drawn
                // from a block of its own, keyed by the step of the change.
                let g = key.block(counter: 1, time: UInt32(truncatingIfNeeded: w.emission), index: input.stream, id: input.id | 1 << 63)
                d.poissonNext[q] = Self.poissonGap(g.0, g.1, p.lambda, from: max(p.startStep + 1, w.emission))
            } else {
                d.currents[q].generator = w.generator
                d.currentCursors[q] = currentGenerators.list[Int(w.generator)].firstChange
            }
        }
        if d.nextSwitch == d.switches.count {
            d.switches.removeAll()
            d.nextSwitch = 0
        }
    }

    /// A stateful process input's spikes in emission step `e` (Plexus's streams): its state
    /// advanced by one step, drawn from a stream keyed by (seed, statement, target, step). The
    /// loop calls this for every active emission step in order, so the state is the same for
    /// any threads.
    @inline(never)
    func processSpikes(_ d: DeviceInputs, input k: Int, _ p: DeviceInputs.PoissonInput, emission e: Int64) -> Int {
        let slot = d.processInputs[k]
        let process = d.processes[Int(slot.process)]
        guard process.emits else { return 0 }
        if process.kind == .sinusoidal {
            let mean = process.sinusoidalMean(at: e, h: grid.h)
            guard mean > 0 else { return 0 }
            // One train for all targets: keyed by the generator, not the target.
            var rng = process.shared
                ? RandomStream(seed: seed, purpose: .spikeProcess, index: UInt32(truncatingIfNeeded: p.source), id: 1 << 61,
                               time: UInt32(truncatingIfNeeded: e))
                : RandomStream(seed: seed, purpose: .spikeProcess, index: p.stream, id: p.id, time: UInt32(truncatingIfNeeded: e))
            return rng.nextPoisson(mean)
        }
        var draws = PlexusProcessDraws(stream: RandomStream(seed: seed, purpose: .spikeProcess, index: p.stream, id: p.id,
                                                            time: UInt32(truncatingIfNeeded: e)))
        let prob = process.probability(at: e, ticsPerStep: grid.ticsPerStep)
        return d.processState.withUnsafeMutableBufferPointer { s in
            Int(process.step(s.baseAddress! + slot.state, p: prob, &draws))
        }
    }

    /// poisson_generator_ps spikes that arrive in step `s`: each input's train advanced through
    /// emission step s − delay, as NEST's event_hook draws it (the first spike dead_time · U after
    /// the start with probability dead_time · rate, else dead_time + an exponential interval; then
    /// dead_time + exponential intervals), its stamp and offset kept as NEST keeps them. Draw k of
    /// an input comes from the stream keyed by (seed, statement, input id, k): the same trains
    /// for any threads and ranks. Off-grid spikes reach precise targets as events, all others
    /// as on-grid input.
    @inline(never)
    func applyPrecisePoisson(_ d: DeviceInputs, step s: Int64, nPairs: Int, row: UnsafeMutablePointer<Double>,
                             precisePairs: UnsafeMutablePointer<UInt8>?, events: UnsafeMutablePointer<GrowableBuffer<PreciseEvent>>?) {
        d.precisePoisson.withUnsafeMutableBufferPointer { list in
            for q in 0..<list.count {
                let e = s &- Int64(list[q].delay)      // emission step: spikes stamped e + 1
                let train = list[q].train
                guard train.rate > 0, e >= train.startStep, e + 1 <= train.stopStep else { continue }
                let mean = train.exponentialMean, dead = train.deadTime
                func draw() -> RandomStream {
                    let k = list[q].draws
                    list[q].draws = k &+ 1
                    return RandomStream(seed: seed, purpose: .precisePoisson, index: list[q].stream, id: list[q].id, time: k)
                }
                if list[q].nextStamp < 0 {
                    var rng = draw()
                    var first: Double
                    if dead > 0 && rng.nextDouble() < dead * train.rate / 1000 {
                        first = rng.nextDouble() * dead
                    } else {
                        first = mean * rng.nextExponential() + dead
                    }
                    // A first spike at 0 (U = 0) is stamped at the start itself; NEST's stamp is
                    // then the start and never reached: keep it just after.
                    first = max(first, Double.leastNonzeroMagnitude)
                    let (steps, ms) = grid.nestMsStamp(first)
                    list[q].nextStamp = train.startStep + steps
                    list[q].nextOffset = ms - first
                }
                while list[q].nextStamp <= e + 1 {
                    let offset = list[q].nextOffset, w = list[q].weight
                    let pair = Int(list[q].target)
                    if let events, let precisePairs, precisePairs[pair] != 0, offset > 0 {
                        events.pointee.append(PreciseEvent(target: Int32(pair), sequence: Int32(truncatingIfNeeded: events.pointee.count),
                                                           offset: offset, weight: w))
                    } else {
                        row[pair &* 2 &+ (w < 0 ? 1 : 0)] += w
                    }
                    var rng = draw()
                    let next = -offset + mean * rng.nextExponential() + dead
                    if next < 0 {
                        list[q].nextOffset = -next   // still in the same step
                    } else {
                        let (steps, ms) = grid.nestMsStamp(next)
                        list[q].nextStamp += steps
                        list[q].nextOffset = ms - next
                    }
                }
            }
        }
    }

    /// First step >= `from` with a non-empty Poisson count: from + floor(E / lambda).
    @inline(__always)
    static func poissonGap(_ hi: UInt32, _ lo: UInt32, _ lambda: Double, from: Int64) -> Int64 {
        guard lambda > 0 else { return Int64.max }
        let u = Double((UInt64(hi) << 21 ^ UInt64(lo) >> 11) & ((1 << 53) - 1)) * 0x1p-53
        let gap = -_log1p(-u) / lambda
        return gap < 1e15 ? from + Int64(gap) : Int64.max
    }

    /// Device input that arrives in step `s`: what each Poisson train or current generator emitted
    /// `delay` steps earlier, drawn now from the streams of that emission step (so the numbers are
    /// those of a draw at emission) and added to the slot the neurons read next. Writing the
    /// current slot, not one `delay` steps ahead, keeps these writes in cache: the ring row for
    /// s + delay was last touched a whole ring ago.
    func applyDeviceInputs(_ d: DeviceInputs, step s: Int64, nLocal: Int, nPairs: Int, ringLength: Int,
                           spikeRing: UnsafeMutablePointer<Double>, currentRing: UnsafeMutablePointer<Double>,
                           precisePairs: UnsafeMutablePointer<UInt8>? = nil,
                           preciseEvents: UnsafeMutablePointer<GrowableBuffer<PreciseEvent>>? = nil) {
        let base = Int(s % Int64(ringLength))
        if !d.precisePoisson.isEmpty {
            applyPrecisePoisson(d, step: s, nPairs: nPairs, row: spikeRing + 2 * base * nPairs, precisePairs: precisePairs,
                                events: preciseEvents.map { $0 + base })
        }
        let nestRing = nestStreams.map { Int($0.ringLength) } ?? 0
        let nestCounts = d.nestCounts.base, nestCurrents = d.nestCurrents.base
        if d.nextSwitch < d.switches.count && d.switches[d.nextSwitch].arrival <= s { applySwitches(d, step: s) }
        d.poisson.withUnsafeBufferPointer { list in
        d.poissonWords.withUnsafeMutableBufferPointer { words in
        d.poissonNext.withUnsafeMutableBufferPointer { next in
        d.poissonEvents.withUnsafeMutableBufferPointer { events in
        d.poissonTablePointers.withUnsafeBufferPointer { tables in
            // Keys are whitened once per call, not per draw.
            let key = RandomStream(seed: seed, purpose: .poissonInput, id: 0)
            let row = spikeRing + 2 * base * nPairs
            for q in 0..<list.count {
                let p = list[q]
                let e = s &- Int64(p.delay)            // emission step (none before the first)
                guard e >= 0 && p.startStep < e && e <= p.stopStep else { continue }
                var n = 0
                if nestRing > 0 {
                    n = Int(nestCounts[q &* nestRing &+ Int(e % Int64(nestRing))])   // drawn by NestStreams
                } else if p.table < 0 {
                    n = processSpikes(d, input: Int(-1 &- p.table), p, emission: e)
                } else if p.lambda < PoissonTable.sparseLimit {
                    // Sparse train: the number of empty steps before the next non-empty one is
                    // geometric, floor(E / lambda) with E ~ Exp(1); the count there is Poisson
                    // conditioned on >= 1. Same distribution as a draw per step, one random
                    // block per event; keyed by the event number, so thread-independent.
                    if next[q] < 0 {
                        let b = key.block(counter: 0, time: 0, index: p.stream, id: p.id | 1 << 63)
                        // The first step that can emit: after the start, and not before step 0
                        // (a generator switched on before t = 0; the gaps are memoryless).
                        next[q] = Self.poissonGap(b.0, b.1, p.lambda, from: max(p.startStep + 1, 0))
                    }
                    guard next[q] == e else { continue }
                    let k = events[q] &+ 1
                    events[q] = k
                    let b = key.block(counter: 0, time: k, index: p.stream, id: p.id | 1 << 63)
                    let u = Double(UInt64(b.2) << 21 ^ UInt64(b.3) >> 11) * 0x1p-53
                    let t = tables[Int(p.table)]
                    let u0 = t.cdf[0]
                    n = max(1, PoissonTable.count(u0 + u * (1 - u0), cdf: t.cdf, guide: t.guide, guideCount: t.count))
                    next[q] = Self.poissonGap(b.0, b.1, p.lambda, from: e + 1)
                } else if p.lambda <= PoissonTable.tableLimit {
                    // One random block serves four steps, 32 bits each (a count's probability
                    // is then resolved to 2^-32, far below anything a run can detect). Keyed by
                    // (seed, poisson, statement, id, step quad): independent of threads and of
                    // which steps were active before.
                    let lane = Int(e & 3)
                    if lane == 0 || p.startStep + 1 == e {
                        let b = key.block(counter: 0, time: UInt32(truncatingIfNeeded: e >> 2), index: p.stream, id: p.id)
                        words[2 * q] = UInt64(b.0) << 32 | UInt64(b.1)
                        words[2 * q + 1] = UInt64(b.2) << 32 | UInt64(b.3)
                    }
                    let word = words[2 &* q &+ lane >> 1] >> (32 &* UInt64(~lane & 1))
                    let u = Double(UInt32(truncatingIfNeeded: word)) * 0x1p-32
                    let t = tables[Int(p.table)]
                    n = PoissonTable.count(u, cdf: t.cdf, guide: t.guide, guideCount: t.count)
                } else {
                    var rng = RandomStream(seed: seed, purpose: .poissonInput, index: p.stream, id: p.id,
                                           time: UInt32(truncatingIfNeeded: e))
                    n = rng.nextPoisson(p.lambda)
                }
                // No branch on n == 0 (a fifth to a third of the steps at the usual means, and
                // unpredictable): adding w · 0 leaves the slot bit for bit as it was.
                let w = p.weight * Double(n)
                row[Int(p.target) &* 2 &+ (w < 0 ? 1 : 0)] += w
            }
        }
        }
        }
        }
        }
        if d.currents.isEmpty { return }
        d.currents.withUnsafeBufferPointer { list in
        d.currentCursors.withUnsafeMutableBufferPointer { cursors in
        currentGenerators.list.withUnsafeBufferPointer { generators in
        currentGenerators.changes.withUnsafeBufferPointer { changes in
            for q in 0..<list.count {
                let c = list[q]
                let g = generators[Int(c.generator)]
                let e = s &- Int64(c.delay)            // emission step (none before the first)
                guard e >= 0 && g.isActive(e) else { continue }
                var amplitude = g.amplitude
                if g.changeEnd > g.firstChange {
                    // Piecewise constant: the last change at or before e (the cursor only moves on).
                    var k = Int(cursors[q])
                    while k < Int(g.changeEnd) && changes[k].step <= e { k += 1 }
                    cursors[q] = Int32(k)
                    if k > Int(g.firstChange) { amplitude = changes[k - 1].amplitude }
                }
                if g.sineAmplitude != 0 {
                    amplitude += g.sineAmplitude * _sin(g.sineOmega * Double(e + 1) * grid.h + g.sinePhase)
                }
                if g.noise && nestRing > 0 {
                    amplitude = nestCurrents[q &* nestRing &+ Int(e % Int64(nestRing))]   // drawn by NestStreams
                } else if g.noise {
                    // A new value every dt steps, counted from the first active step (NEST).
                    let first = max(0, g.startStep - 1)
                    let draw = (e - first) / g.dtSteps
                    var rng = RandomStream(seed: seed, purpose: .noiseInput, index: c.stream, id: c.id,
                                           time: UInt32(truncatingIfNeeded: draw))
                    // The std modulation's phase runs from the first active step, as NEST's
                    // oscillator turns only while the generator is active (NestStreams).
                    let mod = g.stdMod == 0 ? 0 : _sin(g.omega * Double(e - first + 1) * grid.h + g.phase) * g.stdMod * g.stdMod
                    amplitude = amplitude + (g.std * g.std + mod).squareRoot() * rng.nextNormal()
                }
                currentRing[base * nLocal + Int(c.target)] += c.weight * amplitude
            }
        }
        }
        }
        }
    }
}
