import PlexusCore

/// A sampled probe: one value per sample time.
public struct ProbeTrace: Sendable {
    public let gid: Int
    public let name: String
    public let location: MLocation
    public var times: [Double] = []
    public var values: [Double] = []
}

public struct CableResults: Sendable {
    /// Spikes sorted by time then gid: (gid, detector index on the cell, time in ms).
    public var spikes: [(gid: Int, detector: Int, time: Double)]
    public var probes: [ProbeTrace]
    public var simulatedSteps: Int64
    public var events: Int
    /// Membrane voltage of every CV of the asked cells at the asked times (`run(snapshots:)`),
    /// ordered by time then gid.
    public var snapshots: [CVSnapshot] = []
}

/// The voltage of each CV of one cell at one time (CVs in the order of `CVShape.cv`).
public struct CVSnapshot: Sendable {
    public let time: Double
    public let gid: Int
    public let voltage: [Double]
}

/// Which cells' CV voltages `run` keeps, and when (times are rounded to the nearest step and
/// clamped to the run; a report draws the morphology coloured by them).
public struct SnapshotRequest: Sendable {
    public var times: [Double]
    public var gids: [Int]
    public init(times: [Double], gids: [Int]) { self.times = times; self.gids = gids }
}

/// An event waiting for its step: synapse instance (store tag in the top bits) and weight.
typealias PendingEvent = MechanismEvent

/// Per-thread scratch of the run: event buckets per step (a ring over the maximum delay) and
/// this epoch's spikes.
final class CableThreadState {
    var buckets: [GrowableBuffer<PendingEvent>]
    var spikes: [GrowableBuffer<(UInt32, Double)>]   // per epoch parity: (source, time)
    /// Per epoch parity: [0, spike count], the whole epoch as the exchange's one "step".
    let published = [Storage<Int>(repeating: 0, count: 2), Storage<Int>(repeating: 0, count: 2)]
    var samples: [GrowableBuffer<Double>]            // per probe
    var error: PlexusError?
    var events = 0
    var snapshots: [CVSnapshot] = []
    var poissonNext: [Double]
    var poissonRNG: [RandomStream]

    init(ring: Int, probes: Int, poisson: [CableNetwork.PoissonSource]) {
        buckets = (0..<ring).map { _ in GrowableBuffer(capacity: 16) }
        spikes = [GrowableBuffer(capacity: 64), GrowableBuffer(capacity: 64)]
        samples = (0..<probes).map { _ in GrowableBuffer(capacity: 256) }
        poissonRNG = poisson.map { RandomStream(seed: $0.seed, purpose: .user, index: 2, id: $0.id) }
        poissonNext = []
        for (k, p) in poisson.enumerated() {
            poissonNext.append(p.rate > 0 ? p.start + poissonRNG[k].nextExponential() / (p.rate / 1000) : .infinity)
        }
    }

    deinit {
        for k in buckets.indices { buckets[k].free() }
        spikes[0].free(); spikes[1].free()
        for k in samples.indices { samples[k].free() }
    }
}

extension CableNetwork {
    /// Simulates the whole duration. Threads advance their own cells for one epoch (the minimum
    /// delay), exchange the epoch's spikes once (a `SpikeExchange`: between threads, the team's
    /// barrier), then each turns every spike of the epoch, in (time, source) order, into events
    /// for the synapses it owns. Results are bit-identical for any number of threads.
    ///
    /// With several ranks the epoch's spikes are gathered from every rank (MPI_Allgatherv, as
    /// Arbor does), the run is collective, and rank 0 returns every rank's spikes, probe traces
    /// and snapshots (the other ranks return none).
    public func run(progress: ((Double) -> Void)? = nil, snapshots request: SnapshotRequest? = nil) throws -> CableResults {
        if communicator.size > 1 {
            return try run(exchange: RankSpikeExchange<(UInt32, Double)>(team: team, communicator: communicator), progress: progress,
                           snapshots: request)
        }
        return try run(exchange: ThreadSpikeExchange<(UInt32, Double)>(team: team), progress: progress, snapshots: request)
    }

    func run<Exchange: SpikeExchange<(UInt32, Double)>>(exchange: Exchange, progress: ((Double) -> Void)?,
                                                       snapshots request: SnapshotRequest?) throws -> CableResults {
        let dt = grid.h
        let snapSteps = Array(Set((request?.times ?? []).filter(\.isFinite).map { min(max(Int64(($0 / dt).rounded()), 0), totalSteps) })).sorted()
        let snapGids = Set(request?.gids ?? [])
        let nThreads = team.count
        let states = (0..<nThreads).map { CableThreadState(ring: ringLength, probes: groups[$0].probes.count, poisson: poisson[$0]) }
        for g in groups { g.clampCursor.base.update(repeating: 0, count: g.clampCursor.count) }
        let epochs = totalSteps == 0 ? 0 : (totalSteps + Int64(epochSteps) - 1) / Int64(epochSteps)
        var recorded: [(UInt32, Double)] = []
        let ring = ringLength
        let total = totalSteps
        let m = Int64(epochSteps)

        withExtendedLifetime(states) {
            withUnsafeMutablePointer(to: &recorded) { recorded in
            team.run { t in
                let st = states[t]
                let g = self.groups[t]
                let offsets = self.connOffsets[t].base, entries = self.connEntries[t].base
                let gens = self.generatorEvents[t]
                var genCursor = 0
                var snapCursor = 0
                var merged: [(UInt32, Double)] = []
                for epoch in 0..<epochs {
                    let parity = Int(epoch & 1)
                    let e0 = epoch * m, e1 = min(e0 + m, total)
                    st.spikes[parity].removeAll()
                    // Events of generators due in this epoch.
                    while genCursor < gens.count && gens[genCursor].step < e1 {
                        let e = gens[genCursor]
                        st.buckets[Int(max(e.step, e0) % Int64(ring))].append(PendingEvent(target: e.target, weight: e.weight))
                        genCursor += 1
                    }
                    let tEnd = Double(e1) * dt
                    for (k, p) in self.poisson[t].enumerated() {
                        while st.poissonNext[k] < tEnd && st.poissonNext[k] < p.stop {
                            let s = max(CableNetwork.step(of: st.poissonNext[k], dt: dt), e0)
                            st.buckets[Int(s % Int64(ring))].append(PendingEvent(target: p.target, weight: p.weight))
                            st.poissonNext[k] += st.poissonRNG[k].nextExponential() / (p.rate / 1000)
                        }
                    }
                    for s in e0..<e1 {
                        self.sample(g, st, step: s)
                        if snapCursor < snapSteps.count && snapSteps[snapCursor] == s {
                            self.snapshot(g, st, step: s, gids: snapGids); snapCursor += 1
                        }
                        let slot = Int(s % Int64(ring))
                        st.events += st.buckets[slot].count
                        CableNetwork.step(g, bucket: &st.buckets[slot], time: Double(s) * dt, dt: dt, spikes: &st.spikes[parity])
                    }
                    if e1 == total {
                        self.sample(g, st, step: e1)
                        if snapCursor < snapSteps.count && snapSteps[snapCursor] == e1 { self.snapshot(g, st, step: e1, gids: snapGids) }
                    }
                    if st.error == nil, let (i, cell) = CableNetwork.firstNonFinite(g) {
                        st.error = PlexusError("numerical blow-up: the membrane voltage of cell gid \(cell) (CV \(i)) became non-finite between t = \(self.grid.time(e0)) and \(self.grid.time(e1)) ms; a smaller resolution may be needed", keyPath: "cells")
                    }

                    st.published[parity][1] = st.spikes[parity].count
                    exchange.publish(part: t, epoch: epoch, steps: 1, spikes: st.spikes[parity].base, stepOffsets: st.published[parity].base)
                    if exchange.exchange(part: t, epoch: epoch, failed: st.error != nil) { return }

                    // Spikes of all parts in (time, source) order, then delivery to own synapses.
                    merged.removeAll(keepingCapacity: true)
                    for u in 0..<exchange.parts { merged.append(contentsOf: exchange.spikes(of: u, step: 0, epoch: epoch)) }
                    merged.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
                    for (src, time) in merged {
                        let lo = offsets[Int(src)], hi = offsets[Int(src) + 1]
                        var k = lo
                        while k < hi {
                            let c = entries[k]
                            var s = CableNetwork.step(of: time + Double(c.delay), dt: dt)
                            if s < e1 { s = e1 }
                            st.buckets[Int(s % Int64(ring))].append(PendingEvent(target: c.target, weight: c.weight))
                            k += 1
                        }
                    }
                    if t == 0 {
                        recorded.pointee += merged
                        progress?(Double(e1) / Double(max(total, 1)))
                    }
                }
            }
            }
        }
        // With ranks every rank stopped after the same epoch and throws the same error.
        try communicator.agree(states.compactMap(\.error).first)

        // Spikes: source id -> (gid, detector).
        var spikes: [(gid: Int, detector: Int, time: Double)] = []
        spikes.reserveCapacity(recorded.count)
        for (src, time) in recorded {
            var lo = 0, hi = cellCount - 1
            while lo < hi { let mid = (lo + hi + 1) / 2; if sourceStart[mid] <= Int(src) { lo = mid } else { hi = mid - 1 } }
            spikes.append((lo, Int(src) - sourceStart[lo], time))
        }
        spikes.sort { $0.time != $1.time ? $0.time < $1.time : ($0.gid != $1.gid ? $0.gid < $1.gid : $0.detector < $1.detector) }
        var traces: [ProbeTrace] = []
        for t in 0..<nThreads {
            for (k, p) in groups[t].probes.enumerated() {
                var tr = ProbeTrace(gid: p.gid, name: p.probe.name, location: p.probe.location)
                let buf = states[t].samples[k]
                for q in 0..<buf.count {
                    tr.times.append(grid.time(Int64(q) * Int64(p.probe.intervalSteps)))
                    tr.values.append(buf[q])
                }
                traces.append(tr)
            }
        }
        var events = states.reduce(0) { $0 + $1.events }
        var snapshots = states.flatMap(\.snapshots)
        if communicator.size > 1 {
            // Every rank saw every spike; rank 0 gathers the probes and snapshots, in rank (gid) order.
            events = Int(communicator.sum(Int64(events)))
            let gathered = communicator.gather(Self.encode(traces, snapshots), root: 0)
            guard communicator.rank == 0 else { return CableResults(spikes: [], probes: [], simulatedSteps: totalSteps, events: events) }
            traces = []
            snapshots = []
            for bytes in gathered {
                let (t, s) = Self.decode(bytes)
                traces += t
                snapshots += s
            }
        }
        var results = CableResults(spikes: spikes, probes: traces, simulatedSteps: totalSteps, events: events)
        results.snapshots = snapshots.sorted { $0.time != $1.time ? $0.time < $1.time : $0.gid < $1.gid }
        return results
    }

    /// Probe traces and snapshots as bytes for the ranks' gather.
    static func encode(_ traces: [ProbeTrace], _ snapshots: [CVSnapshot]) -> [UInt8] {
        var w = GatherWriter()
        w.int(traces.count)
        for t in traces {
            w.int(t.gid); w.string(t.name); w.int(t.location.branch); w.double(t.location.pos)
            w.doubles(t.times); w.doubles(t.values)
        }
        w.int(snapshots.count)
        for s in snapshots { w.double(s.time); w.int(s.gid); w.doubles(s.voltage) }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) -> ([ProbeTrace], [CVSnapshot]) {
        var r = GatherReader(bytes)
        var traces: [ProbeTrace] = []
        for _ in 0..<r.int() {
            let gid = r.int(), name = r.string(), branch = r.int(), pos = r.double()
            var t = ProbeTrace(gid: gid, name: name, location: MLocation(branch: branch, pos: pos))
            t.times = r.doubles()
            t.values = r.doubles()
            traces.append(t)
        }
        var snapshots: [CVSnapshot] = []
        for _ in 0..<r.int() {
            let time = r.double(), gid = r.int()
            snapshots.append(CVSnapshot(time: time, gid: gid, voltage: r.doubles()))
        }
        return (traces, snapshots)
    }

    /// Keeps the voltage of every CV of the group's asked cells at step s.
    func snapshot(_ g: CableGroup, _ st: CableThreadState, step s: Int64, gids: Set<Int>) {
        for gid in g.gids where gids.contains(gid) {
            let j = gid - g.gids.lowerBound
            let v = (0..<g.cellCVCounts[j]).map { g.v[g.slot(cell: j, cv: $0)] }
            st.snapshots.append(CVSnapshot(time: grid.time(s), gid: gid, voltage: v))
        }
    }

    func sample(_ g: CableGroup, _ st: CableThreadState, step s: Int64) {
        for (k, p) in g.probes.enumerated() where s % Int64(p.probe.intervalSteps) == 0 {
            let value: Double
            switch g.probeReads[k] {
            case .voltage(let a, let wa, let b, let wb): value = wa * g.v[a] + wb * g.v[b]
            case .field(let x): value = x.pointee
            }
            st.samples[k].append(value)
        }
    }

    static func firstNonFinite(_ g: CableGroup) -> (Int, Int)? {
        let v = g.v.base
        var bad = false
        for i in 0..<g.slotCount where !v[i].isFinite { bad = true; break }
        guard bad else { return nil }
        for (j, gid) in g.gids.enumerated() {
            for c in 0..<g.cellCVCounts[j] where !v[g.slot(cell: j, cv: c)].isFinite { return (c, gid) }
        }
        return nil
    }

    /// One time step of all cells of a group (Arbor's order): deliver the step's events, sum
    /// mechanism currents and conductances at the old voltage, solve the implicit Euler cable
    /// equation (Hines) with the folded conductances in the assembly, advance mechanism states
    /// with the new voltage, test thresholds. Each mechanism runs once per phase over all its
    /// instances of the group.
    @inline(__always)
    static func step(_ g: CableGroup, bucket: inout GrowableBuffer<PendingEvent>, time t: Double, dt: Double,
                     spikes: inout GrowableBuffer<(UInt32, Double)>) {
        let n = g.slotCount
        let v = g.v.base, d = g.d.base, u = g.u.base, invD = g.invD.base, cdt = g.cdt.base
        let I = g.current.base, G = g.conductance.base, parent = g.parent.base
        let time = StepTime(time: t, dt: dt)

        // Events.
        if bucket.count > 0 {
            let list = UnsafeBufferPointer(start: bucket.base, count: bucket.count)
            for k in g.eventKernels { k.applyEvents(MechanismEvents(list: list, tag: k.tag, shift: g.eventShift), time, g.nativeMechanisms) }
        }
        bucket.removeAll()

        I.update(repeating: 0, count: n)
        G.update(repeating: 0, count: n)
        let ions = g.ionState
        ions.zeroCurrents()
        for k in g.currentKernels { k.computeCurrents(time, g.nativeMechanisms) }
        if g.clampInstances > 0 { CableNetwork.applyClamps(g, I, t) }

        // Assemble: (C/dt + G + Σg_axial) v' - Σ g_axial v'_neighbour = (C/dt + G) v - I, with the
        // folded conductances (constant g, g·e per slot; the per-CV g with its e) added here.
        let gFixed = g.gFixed.base, geFixed = g.geFixed.base, gFolded = g.gFolded, eFolded = g.eFolded
        for i in 0..<n {
            let gs = gFolded[i]
            let gi = cdt[i] + G[i] + gFixed[i] + gs
            d[i] = gi + invD[i]
            v[i] = (cdt[i] + G[i]) * v[i] - I[i] + (geFixed[i] + gs * eFolded[i])
        }
        CableNetwork.hines(g, v: v, d: d, u: u, parent: parent)

        // States with the new voltage.
        ions.resetWrittenConcentrations()
        for k in g.stateKernels { k.advanceState(time, g.nativeMechanisms) }
        ions.updateReversals()

        // Threshold crossings, time interpolated linearly inside the step.
        let det = g.detCV.base, thr = g.detThreshold.base, crossed = g.detCrossed.base, vprev = g.detVPrev.base
        for k in 0..<g.detCV.count {
            let vv = v[Int(det[k])], th = thr[k]
            if crossed[k] == 0 {
                if vv >= th {
                    let pos = (th - vprev[k]) / (vv - vprev[k])
                    spikes.append((g.detSource[k], t + pos * dt))
                    crossed[k] = 1
                }
            } else if vv < th {
                crossed[k] = 0
            }
            vprev[k] = vv
        }
    }

    /// The current of each time-course clamp at the step's start t (nA, injected), each with
    /// its own cursor into its envelope's points.
    static func applyClamps(_ g: CableGroup, _ I: UnsafeMutablePointer<Double>, _ t: Double) {
        let times = g.clampTimes.base, amps = g.clampAmplitudes.base, cursor = g.clampCursor.base
        for c in 0..<g.clampInstances {
            let start = Int(g.clampStart[c])
            var k = Int(cursor[c])
            let value = CurrentEnvelope.value(at: t, times: times + start, amplitudes: amps + start, count: Int(g.clampCount[c]), cursor: &k)
            cursor[c] = Int32(k)
            I[Int(g.clampSlot[c])] -= value
        }
    }

    /// Hines elimination on the interleaved blocks (a group of one cell: a scalar solve): from
    /// the leaves to the root, then back, `lanes` (8) cells at a time, so that eight independent chains of divisions are in flight
    /// (each cell's operations in the same order as a scalar solve). Each diagonal is replaced by
    /// its reciprocal once it is final: one division per CV.
    @inline(__always)
    static func hines(_ g: CableGroup, v: UnsafeMutablePointer<Double>, d: UnsafeMutablePointer<Double>,
                      u: UnsafeMutablePointer<Double>, parent: UnsafeMutablePointer<Int32>) {
        typealias V = SIMD8<Double>
        @inline(__always) func load(_ p: UnsafeMutablePointer<Double>, _ i: Int) -> V {
            UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
        }
        @inline(__always) func store(_ x: V, _ p: UnsafeMutablePointer<Double>, _ i: Int) {
            UnsafeMutableRawPointer(p + i).storeBytes(of: x, as: V.self)
        }
        if g.lanes == 1 {
            // One cell: the same operations as one lane below, in the same order.
            for b in 0..<g.blockBase.count {
                let base = g.blockBase[b], rows = g.blockRows[b]
                var i = base &+ rows &- 1
                while i > base {
                    let uu = u[i], rd = 1 / d[i], vv = v[i]
                    d[i] = rd
                    let f = uu * rd
                    let p = Int(parent[i])
                    d[p] -= f * uu
                    v[p] -= f * vv
                    i &-= 1
                }
                v[base] = v[base] / d[base]
                var r = base &+ 1
                while r < base &+ rows {
                    v[r] = (v[r] - u[r] * v[Int(parent[r])]) * d[r]
                    r &+= 1
                }
            }
            return
        }
        let one = V(repeating: 1)
        for b in 0..<g.blockBase.count {
            let base = g.blockBase[b], rows = g.blockRows[b]
            var r = rows - 1
            while r > 0 {
                let i = base &+ r &* 8
                let uu = load(u, i), rd = one / load(d, i), vv = load(v, i)
                store(rd, d, i)
                let f = uu * rd
                let fu = f * uu, fv = f * vv
                for l in 0..<8 {
                    let p = Int(parent[i &+ l])
                    d[p] -= fu[l]
                    v[p] -= fv[l]
                }
                r &-= 1
            }
            store(load(v, base) / load(d, base), v, base)
            for r in 1..<max(rows, 1) {
                let i = base &+ r &* 8
                var vp = V()
                for l in 0..<8 { vp[l] = v[Int(parent[i &+ l])] }
                store((load(v, i) - load(u, i) * vp) * load(d, i), v, i)
            }
        }
    }
}
