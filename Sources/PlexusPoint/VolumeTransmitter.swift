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
    /// Steps between triggers: deliver_interval × the min delay.
    var periodSteps: Int64
}

/// What one thread knows of one volume transmitter: every thread sees every spike in delivery,
/// so each keeps an identical copy and no thread waits for another.
struct VolumeTransmitterState {
    /// Dopamine spikes on their way: (arrival step, multiplicity), in delivery order.
    var pending: [(step: Int64, multiplicity: Double)] = []
    /// Spikes since the last trigger, after the trigger's own entry.
    var spikes: [DopaSpike] = [DopaSpike(time: 0, multiplicity: 0)]
    /// This thread's dopamine synapses bound to the transmitter (indices into the plastic tables).
    var synapses: [Int] = []
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

/// Sources that project onto volume transmitters, by source node (CSR).
struct VolumeTransmitterInputs {
    var offsets: [Int]
    var transmitters: [Int32] = []
    var delays: [Int32] = []

    init(nodes: Int) { offsets = Array(repeating: 0, count: nodes + 1) }

    var isEmpty: Bool { transmitters.isEmpty }
}

extension PlasticRule {
    // Parameter order of `SynapseModel.stdpDopamine.parameters`.
    @inline(__always) var aPlus: Double { p[0] }
    @inline(__always) var aMinus: Double { p[1] }
    @inline(__always) var tauPlus: Double { p[2] }
    @inline(__always) var tauC: Double { p[3] }
    @inline(__always) var tauN: Double { p[4] }

    /// Integrates the weight over a span of length -minusDt in which c decays from c0 and n from n0.
    @inline(__always)
    func dopamineWeightUpdate(_ s: inout PlasticState, c0: Double, n0: Double, minusDt: Double) {
        let taus = (tauC + tauN) / (tauC * tauN)
        var w = s.weight - c0 * (n0 / taus * _expm1(taus * minusDt) - p[5] * tauC * _expm1(minusDt / tauC))
        if w < p[6] { w = p[6] }
        if w > p[7] { w = p[7] }
        s.weight = w
    }

    /// Takes in the next dopamine spike: n decays to it and jumps by multiplicity / tau_n.
    @inline(__always)
    func takeDopamineSpike(_ s: inout PlasticState, _ spikes: UnsafeBufferPointer<DopaSpike>) {
        let i = Int(s.index)
        let minusDt = spikes[i].time - spikes[i + 1].time
        s.index += 1
        s.c = s.c * _exp(minusDt / tauN) + spikes[i + 1].multiplicity / tauN
    }

    /// Brings the weight and the traces from t0 to t1 through the dopamine spikes in between.
    func processDopamine(_ s: inout PlasticState, _ spikes: UnsafeBufferPointer<DopaSpike>, _ t0: Double, _ t1: Double) {
        let eps = PostArchive.eps
        @inline(__always) func nextArrives() -> Bool {
            spikes.count > Int(s.index) + 1 && t1 - spikes[Int(s.index) + 1].time > -eps
        }
        if nextArrives() {
            let n0 = s.c * _exp((spikes[Int(s.index)].time - t0) / tauN)
            dopamineWeightUpdate(&s, c0: s.b, n0: n0, minusDt: t0 - spikes[Int(s.index) + 1].time)
            takeDopamineSpike(&s, spikes)
            while nextArrives() {
                let cd = s.b * _exp((t0 - spikes[Int(s.index)].time) / tauC)
                dopamineWeightUpdate(&s, c0: cd, n0: s.c, minusDt: spikes[Int(s.index)].time - spikes[Int(s.index) + 1].time)
                takeDopamineSpike(&s, spikes)
            }
            let cd = s.b * _exp((t0 - spikes[Int(s.index)].time) / tauC)
            dopamineWeightUpdate(&s, c0: cd, n0: s.c, minusDt: spikes[Int(s.index)].time - t1)
        } else {
            let n0 = s.c * _exp((spikes[Int(s.index)].time - t0) / tauN)
            dopamineWeightUpdate(&s, c0: s.b, n0: n0, minusDt: t0 - t1)
        }
        s.b *= _exp((t0 - t1) / tauC)
    }

    /// NEST's `send`: the presynaptic spike at `t` (delay `d`, all dendritic) passes; returns the
    /// weight it carries.
    func transmitDopamine(_ s: inout PlasticState, at t: Double, delay d: Double, archive: inout PostArchive,
                          spikes: UnsafeBufferPointer<DopaSpike>) -> Double {
        var t0 = s.tLast
        for k in archive.history(s.tLast - d, t - d) {
            let tPost = archive.times[k] + d
            processDopamine(&s, spikes, t0, tPost)
            t0 = tPost
            // Eligibility from the pair (earlier pre, this post).
            if t - archive.times[k] > PostArchive.eps { s.b += aPlus * s.a * _exp((s.tLast - t0) / tauPlus) }
        }
        processDopamine(&s, spikes, t0, t)
        s.b -= aMinus * archive.trace(at: t - d)
        let w = s.weight
        s.a = s.a * _exp((s.tLast - t) / tauPlus) + 1
        s.tLast = t
        return w
    }

    /// NEST's `trigger_update_weight`: brings the synapse to the trigger time `tTrig`.
    func triggerDopamine(_ s: inout PlasticState, at tTrig: Double, delay d: Double, archive: inout PostArchive,
                         spikes: UnsafeBufferPointer<DopaSpike>) {
        var t0 = s.tLast
        for k in archive.history(s.tLast - d, tTrig - d) {
            let tPost = archive.times[k] + d
            processDopamine(&s, spikes, t0, tPost)
            t0 = tPost
            s.b += aPlus * s.a * _exp((s.tLast - t0) / tauPlus)
        }
        processDopamine(&s, spikes, t0, tTrig)
        s.c *= _exp((spikes[Int(s.index)].time - tTrig) / tauN)
        s.a *= _exp((s.tLast - tTrig) / tauPlus)
        s.tLast = tTrig
        s.index = 0
    }
}

extension PointNetwork {
    /// Spikes of `gid` emitted in step `s` that go to volume transmitters join their pending lists.
    @inline(__always)
    func feedVolumeTransmitters(_ spike: Spike, step s: Int64, _ pl: PlasticConnectivity) {
        let gid = Int(spike.gid)
        let lo = transmitterInputs.offsets[gid], hi = transmitterInputs.offsets[gid + 1]
        guard lo < hi else { return }
        for k in lo..<hi {
            pl.transmitters[Int(transmitterInputs.transmitters[k])].pending.append(
                (s + Int64(transmitterInputs.delays[k]), spike.multiplicity))
        }
    }

    /// The volume transmitters' work at the end of the epoch [e0, e1), before its spikes are
    /// delivered: spikes arriving in the epoch join the list (one entry per step, stamped at the
    /// end of the arrival step), and at a trigger time every dopamine synapse of this thread is
    /// brought up to date and the list starts again.
    func volumeTransmitterEpoch(_ pl: PlasticConnectivity, from e0: Int64, to e1: Int64) {
        for v in pl.transmitters.indices {
            // Poisson trains: what was emitted `delay` steps before each step of this epoch.
            for p in transmitterPoisson where p.transmitter == v {
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
            guard e1 % volumeTransmitters[v].periodSteps == 0 else { continue }
            let tTrig = grid.time(e1)
            pl.transmitters[v].spikes.withUnsafeBufferPointer { spikes in
                for k in pl.transmitters[v].synapses {
                    let rule = plasticRules[Int(pl.rules[k])]
                    let a = Int(pl.archiveOf[Int(pl.targets[k])])
                    rule.triggerDopamine(&pl.states[k], at: tTrig, delay: grid.time(Int64(pl.delays[k])),
                                         archive: &pl.archives[a], spikes: spikes)
                }
            }
            pl.transmitters[v].spikes.removeAll(keepingCapacity: true)
            pl.transmitters[v].spikes.append(DopaSpike(time: tTrig, multiplicity: 0))
        }
    }
}
