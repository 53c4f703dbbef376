import PlexusCore

// Dopamine-modulated STDP (NEST's stdp_dopamine_synapse with a volume_transmitter; Izhikevich
// 2007, Potjans et al. 2010). The volume transmitter collects the spikes of the dopaminergic
// neurons connected to it; every `deliver_interval` min-delays it hands the list to all its
// synapses, which bring their eligibility trace c, dopamine trace n and weight up to that time.
// Between those triggers a synapse reads the list when a presynaptic spike passes through it.
//
// NEST's order is kept exactly: a trigger at the end of a slice comes before the delivery of
// that slice's spikes, so a synapse may be brought to t_trig and then see a presynaptic spike
// stamped earlier (its update then runs backwards over that gap, as in NEST).

/// One entry of a volume transmitter's spike list: a dopamine spike (its arrival time and
/// multiplicity) or, at index 0, the time of the last trigger with multiplicity 0.
struct DopaSpike {
    var time: Double
    var multiplicity: Double
}

/// A volume_transmitter node of the network.
struct VolumeTransmitterNode {
    let node: Int
    /// NEST's deliver_interval: triggers every this many min delays.
    let deliverInterval: Int64
}

/// What one thread knows of one volume transmitter: every thread sees every spike in delivery,
/// so each keeps an identical copy and no thread waits for another.
struct VolumeTransmitterState {
    /// Dopamine spikes on their way: (arrival step, multiplicity), in delivery order.
    var pending: [(step: Int64, multiplicity: Double)] = []
    /// Spikes since the last trigger, after the trigger's own entry.
    var spikes: [DopaSpike] = [DopaSpike(time: 0, multiplicity: 0)]
}

/// A poisson_generator's train onto one volume transmitter (each transmitter its own train, as
/// NEST's generator sends each target its own): counts drawn per emission step from a keyed
/// stream, so every thread's copy of the transmitter sees the same spikes.
struct TransmitterPoisson {
    let transmitter: Int
    let lambda: Double          // mean count per step
    let delay: Int64            // steps
    let startStep: Int64        // active for emission steps e with start < e <= stop
    let stopStep: Int64
    let stream: UInt32          // statement index
    let id: UInt64              // transmitter node
}

/// Sources that project onto volume transmitters, by source node (CSR; no rows when none does).
struct VolumeTransmitterInputs {
    var offsets: [Int]
    var transmitters: [Int32] = []
    var delays: [Int32] = []

    init(nodes: Int) { offsets = Array(repeating: 0, count: nodes + 1) }

    var isEmpty: Bool { transmitters.isEmpty }
}

/// The volume transmitters of a network as an epoch hook: each thread keeps its own copy of every
/// transmitter (in its `PlasticConnectivity`), fed with every spike it delivers, and triggers its
/// dopamine synapses, so no thread waits for another.
final class VolumeTransmitterHook: EpochHook {
    let nodes: [VolumeTransmitterNode]
    let inputs: VolumeTransmitterInputs
    let poisson: [TransmitterPoisson]
    /// Each thread's plastic synapses, with its copies of the transmitters.
    let plastic: [PlasticConnectivity]
    let grid: TimeGrid
    let seed: UInt64
    /// The run's min delay in steps (with ranks, set again once they agree on it).
    var minDelay: Int64

    init(nodes: [VolumeTransmitterNode], inputs: VolumeTransmitterInputs, poisson: [TransmitterPoisson],
         plastic: [PlasticConnectivity], grid: TimeGrid, seed: UInt64, minDelay: Int64) {
        self.minDelay = minDelay
        self.nodes = nodes
        self.inputs = inputs
        self.poisson = poisson
        self.plastic = plastic
        self.grid = grid
        self.seed = seed
    }

    /// The network's volume transmitters, once their periods are in steps; nil without any.
    static func make(for network: PointNetwork) -> VolumeTransmitterHook? {
        guard !network.volumeTransmitters.isEmpty else { return nil }
        return VolumeTransmitterHook(nodes: network.volumeTransmitters, inputs: network.transmitterInputs,
                                     poisson: network.transmitterPoisson, plastic: network.plastic,
                                     grid: network.grid, seed: network.seed, minDelay: Int64(network.minDelay))
    }

    /// Triggers before the epoch's spikes arrive (NEST's order).
    func afterExchange(_ epoch: EpochContext) {
        trigger(plastic[epoch.thread], from: epoch.firstStep, to: epoch.endStep)
    }

    var listensToSpikes: Bool { true }

    /// Every delivered spike that goes to a transmitter joins its pending list, in delivery order.
    func delivered(_ epoch: EpochContext, spikes: DeliveredSpikes) {
        let pl = plastic[epoch.thread]
        for k in 0..<spikes.steps {
            let s = epoch.firstStep + Int64(k)
            for u in 0..<spikes.sources {
                for spike in spikes[step: k, source: u] { feed(spike, step: s, pl) }
            }
        }
    }

    /// Spikes of `gid` emitted in step `s` that go to volume transmitters join their pending lists.
    @inline(__always)
    func feed(_ spike: Spike, step s: Int64, _ pl: PlasticConnectivity) {
        let gid = Int(spike.gid)
        guard gid + 1 < inputs.offsets.count else { return }
        let lo = inputs.offsets[gid], hi = inputs.offsets[gid + 1]
        guard lo < hi else { return }
        for k in lo..<hi {
            pl.transmitters[Int(inputs.transmitters[k])].pending.append(
                (s + Int64(inputs.delays[k]), spike.multiplicity))
        }
    }

    /// The volume transmitters' work at the end of the epoch [e0, e1), before its spikes are
    /// delivered: spikes arriving in the epoch join the list (one entry per step, stamped at the
    /// end of the arrival step), and at a trigger time every dopamine synapse of this thread is
    /// brought up to date and the list starts again.
    func trigger(_ pl: PlasticConnectivity, from e0: Int64, to e1: Int64) {
        for v in pl.transmitters.indices {
            // Poisson trains: what was emitted `delay` steps before each step of this epoch.
            for p in poisson where p.transmitter == v {
                for e in max(0, e0 - p.delay)..<max(0, e1 - p.delay) where p.startStep < e && e <= p.stopStep {
                    var rng = RandomStream(seed: seed, purpose: .poissonInput, index: p.stream, id: p.id,
                                           time: UInt32(truncatingIfNeeded: e))
                    let n = rng.nextPoisson(p.lambda)
                    if n > 0 { pl.transmitters[v].pending.append((e + p.delay, Double(n))) }
                }
            }
            if !pl.transmitters[v].pending.isEmpty {
                // In place, no allocation: by arrival step, then the epoch's arrivals off the front,
                // one list entry per step (multiplicities are counts: their sum is exact).
                pl.transmitters[v].pending.sort { $0.step < $1.step }
                var q = 0
                while q < pl.transmitters[v].pending.count && pl.transmitters[v].pending[q].step < e1 {
                    let step = pl.transmitters[v].pending[q].step
                    var m = 0.0
                    while q < pl.transmitters[v].pending.count && pl.transmitters[v].pending[q].step == step {
                        m += pl.transmitters[v].pending[q].multiplicity
                        q += 1
                    }
                    pl.transmitters[v].spikes.append(DopaSpike(time: grid.endTime(ofStep: step), multiplicity: m))
                }
                pl.transmitters[v].pending.removeFirst(q)
            }
            guard e1 % (nodes[v].deliverInterval * minDelay) == 0 else { continue }
            let tTrig = grid.time(e1)
            for table in pl.tables where table.volumeTransmitter == v {
                table.kind.trigger(table, at: tTrig, pl, grid: grid)
            }
            pl.transmitters[v].spikes.removeAll(keepingCapacity: true)
            pl.transmitters[v].spikes.append(DopaSpike(time: tTrig, multiplicity: 0))
        }
    }
}
