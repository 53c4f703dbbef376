import PlexusCore

/// Which random numbers the devices draw.
public enum RandomStreams: Sendable, Equatable {
    /// Plexus's own counter-based streams, keyed by (seed, statement, target, step): the same
    /// numbers for any threads.
    case plexus
    /// NEST 3's: one `mt19937_64` per virtual process seeded as NEST seeds it, drawn in NEST's
    /// order, so that a script's Poisson counts and noise currents are NEST's own (the same seed
    /// and number of virtual processes). Random initial values, the connections of
    /// fixed_indegree, pairwise_bernoulli and fixed_outdegree and random weights and delays are
    /// NEST's too (`NestDraws`); fixed_total_number is Plexus's, after which NEST's draws differ.
    case nest(virtualProcesses: Int)
}

/// Device draws in NEST's order (`RandomStreams.nest`). NEST updates each virtual process's
/// nodes in gid order once per min-delay slice: a poisson_generator draws a count per step of
/// the slice, then per target (its connections in creation order), from the VP-specific stream
/// of the target's VP; a noise_generator draws a value per target when its `dt` has passed. The
/// order depends on where slices end, so the draws are made slice by slice ahead of the steps
/// that need them and kept per input in a ring, which `applyDeviceInputs` reads instead of
/// drawing. Thread 0 draws; the others wait at a barrier (this mode is for reproducing NEST
/// scripts, not for speed).
final class NestStreams {
    enum Source {
        case poisson(LibstdcxxPoisson, startStep: Int64, stopStep: Int64)
        /// noise_generator: its next drawing step (NEST's `next_step_`) and current values.
        case noise(LibstdcxxNormal, CurrentWaveform, nextStep: Int64, values: [Double])
        /// gamma_sup_generator, ppd_sup_generator: the states of its targets on this VP.
        case process(ProcessTargets)
        /// pulsepacket_generator: its packets, drawn into `network.spikeGenerators[generator]`.
        case packets(PacketDraws)
    }
    /// A pulsepacket_generator's state as NEST keeps it: the packets whose draw is due
    /// (`start_center_idx_ ..< stop_center_idx_`), its normal distribution, the drawn spike
    /// steps not sent yet (sorted).
    final class PacketDraws {
        let packets: PulsePackets
        let generator: Int
        var startIndex = 0, stopIndex = 0
        var normal = LibstdcxxNormal()
        var pending: [Int64] = []
        var sent = 0

        init(_ packets: PulsePackets, generator: Int) {
            self.packets = packets
            self.generator = generator
            prepare(now: 0)
        }

        /// NEST's pre_run_hook at the start of each Simulate (`now` ms): the packets within the
        /// tolerance around now are due again, those more than it before now are skipped.
        func prepare(now: Double) {
            let times = packets.pulseTimes, tolerance = packets.tolerance
            startIndex = 0
            stopIndex = 0
            while stopIndex < times.count && times[stopIndex] - now <= tolerance {
                if abs(times[stopIndex] - now) > tolerance { startIndex += 1 }
                stopIndex += 1
            }
        }

        /// NEST's update for the slice `steps`: the spikes it sends, (step, multiplicity).
        func update(_ steps: Range<Int64>, engine: inout MT19937_64, ticsPerStep tps: Int64) -> [(Int64, Double)] {
            let times = packets.pulseTimes
            let t = steps.lowerBound
            let active = packets.startStep < t + 2 && t + 2 <= packets.stopStep
            if (startIndex == times.count && sent == pending.count) || !active { return [] }
            let tTics = t * tps
            while stopIndex < times.count && (1 / 1000.0) * Double(PulsePackets.tics(times[stopIndex]) - tTics) <= packets.tolerance {
                stopIndex += 1
            }
            if startIndex < stopIndex {
                pending.removeFirst(sent)
                sent = 0
                while startIndex < stopIndex {
                    for _ in 0..<packets.activity {
                        let x = packets.sdev * normal.next(&engine) + times[startIndex]
                        let tics = PulsePackets.tics(x)
                        if tics >= tTics { pending.append(PulsePackets.steps(tics: tics, ticsPerStep: tps)) }
                    }
                    startIndex += 1
                }
                pending.sort()
            }
            var out: [(Int64, Double)] = []
            while sent < pending.count && pending[sent] < steps.upperBound {
                let e = pending[sent]
                var n = 0
                while sent < pending.count && pending[sent] == e { n += 1; sent += 1 }
                out.append((e, Double(n)))
            }
            return out
        }
    }
    /// One process generator's targets on one VP, in port order (NEST's `B_.internal_states_` or
    /// `age_distributions_`): each its state and its own distribution objects.
    final class ProcessTargets {
        let process: SpikeProcess
        var state: [UInt64] = []
        var binomials: [LibstdcxxBinomial] = []
        var poissons: [LibstdcxxPoisson] = []
        /// sinusoidal_poisson_generator: its oscillator (NEST's pre_run_hook at t = 0, turned by
        /// h·omega per step) and its one Poisson distribution (`V_.poisson_dist_`).
        var y0 = 0.0, y1 = 0.0
        let sinH: Double, cosH: Double
        var poisson = LibstdcxxPoisson()

        init(_ process: SpikeProcess, h: Double) {
            self.process = process
            sinH = _sin(h * process.omega)
            cosH = _cos(h * process.omega)
            prepare(now: 0)
        }

        /// sinusoidal_poisson_generator's pre_run_hook at the start of each Simulate (`now` ms).
        func prepare(now: Double) {
            guard process.kind == .sinusoidal else { return }
            y0 = process.amplitude * _cos(process.omega * now + process.phase)
            y1 = process.amplitude * _sin(process.omega * now + process.phase)
        }

        func addTarget() {
            let at = state.count
            if process.stateWords > 0 {
                state.append(contentsOf: repeatElement(0, count: process.stateWords))
                state.withUnsafeMutableBufferPointer { process.initialize($0.baseAddress! + at) }
            }
            binomials.append(LibstdcxxBinomial())
            poissons.append(LibstdcxxPoisson())
        }
    }
    /// One generator's replica on one virtual process (NEST replicates devices on every VP), with
    /// the rings of its targets there (slot = emission step mod `ringLength`), in the targets'
    /// threads' `DeviceInputs.nestCounts` (Poisson) or `nestCurrents` (noise), which the network
    /// keeps alive.
    struct Generator {
        var node: Int
        var source: Source
        var counts: [UnsafeMutablePointer<Int32>] = []
        var currents: [UnsafeMutablePointer<Double>] = []
        /// A recorded noise_generator (`nest_noise_recorders`, one VP): its index in `recorded`.
        var recorder: Int = -1
        /// A noise_generator's std modulation as NEST computes it: (cos, sin) of the phase, set at
        /// the start of each run (`startRun`) and turned by omega·h in every active step.
        var oscillator = (0.0, 0.0)
    }
    struct VirtualProcess {
        var engine: MT19937_64
        var generators: [Generator]
    }

    var processes: [VirtualProcess]
    unowned let network: PointNetwork
    /// NEST's min_delay (steps): the length of its update slices, aligned at step 0.
    let slice: Int64
    /// Slots per input in the rings: every emission between the oldest one not yet arrived and
    /// the end of the last slice drawn.
    let ringLength: Int64
    /// Emission steps below this one are drawn.
    var drawnUntil: Int64 = 0
    /// The recorded noise generators' nodes, and each one's `I` (NEST's recordable: the mean of
    /// the values it sends, 0 while inactive) at every emission step drawn.
    let recordedNodes: [Int]
    private(set) var recorded: [[Double]]

    /// `engines`: one per virtual process, as NEST's script left them after building the
    /// network (`NestDraws`).
    init(network net: PointNetwork, virtualProcesses: Int, engines: [MT19937_64]) {
        network = net
        let minDelay = net.nestMinDelay()
        slice = Int64(minDelay == Int.max ? 1 : minDelay)   // NEST: one step without connections
        var longest = 0
        for d in net.deviceInputs {
            for p in d.poisson { longest = max(longest, Int(p.delay)) }
            for c in d.currents { longest = max(longest, Int(c.delay)) }
        }
        ringLength = Int64(longest + net.minDelay) + slice + 1
        let ring = Int(ringLength)
        for d in net.deviceInputs {
            d.nestCounts = Storage(repeating: 0, count: d.poisson.count * ring)
            d.nestCurrents = Storage(repeating: 0, count: d.currents.count * ring)
        }
        // Inputs grouped by (VP of the target, generator), each group in creation order:
        // (statement, target gid, ordinal), NEST's connection order for one generator. A
        // target's VP is its NEST gid modulo the VPs (NEST numbers recorders too: nest_gids).
        struct Entry { var vp: Int; var node: Int; var order: (UInt32, UInt64); var thread: Int; var input: Int; var noise: Int32 }
        let gidOf: (Int) -> Int = { node in net.experiment.nestGids?[node] ?? node + 1 }
        var entries: [Entry] = []
        for (t, d) in net.deviceInputs.enumerated() {
            for (q, p) in d.poisson.enumerated() {
                let gid = gidOf(Int(p.id & 0xffff_ffff))
                // A sinusoidal_poisson_generator with one train for all (NEST: has_proxies) is one
                // node on its own VP, drawing there for every target.
                var vp = gid % virtualProcesses
                if p.table < 0 && d.processes[Int(d.processInputs[Int(-1 - p.table)].process)].shared {
                    vp = gidOf(Int(p.source)) % virtualProcesses
                }
                entries.append(Entry(vp: vp, node: Int(p.source), order: (p.stream, UInt64(gid) << 16 | p.id >> 32 & 0xffff),
                                     thread: t, input: q, noise: -1))
            }
            for (q, c) in d.currents.enumerated() where net.currentGenerators.list[Int(c.generator)].noise {
                let gid = gidOf(Int(c.id & 0xffff_ffff))
                entries.append(Entry(vp: gid % virtualProcesses, node: net.currentGenerators.nodes[Int(c.generator)],
                                     order: (c.stream, UInt64(gid) << 16), thread: t, input: q, noise: c.generator))
            }
        }
        entries.sort { ($0.vp, $0.node, $0.order.0, $0.order.1) < ($1.vp, $1.node, $1.order.0, $1.order.1) }
        processes = engines.map { VirtualProcess(engine: $0, generators: []) }
        recordedNodes = net.experiment.nestNoiseRecorders.flatMap { net.population(named: $0)!.nodes }
        recorded = recordedNodes.map { _ in [] }
        for e in entries {
            let d = net.deviceInputs[e.thread]
            if processes[e.vp].generators.last?.node != e.node {
                let source: Source
                if e.noise >= 0 {
                    source = .noise(LibstdcxxNormal(), Self.waveform(net.currentGenerators.list[Int(e.noise)]), nextStep: 0, values: [])
                } else if d.poisson[e.input].table < 0 {
                    let slot = d.processInputs[Int(-1 - d.poisson[e.input].table)]
                    source = .process(ProcessTargets(d.processes[Int(slot.process)], h: net.grid.h))
                } else {
                    let p = d.poisson[e.input]
                    source = .poisson(LibstdcxxPoisson(mean: p.lambda), startStep: p.startStep, stopStep: p.stopStep)
                }
                processes[e.vp].generators.append(Generator(node: e.node, source: source,
                                                            recorder: e.noise >= 0 ? recordedNodes.firstIndex(of: e.node) ?? -1 : -1))
            }
            let g = processes[e.vp].generators.count - 1
            if e.noise >= 0 {
                processes[e.vp].generators[g].currents.append(d.nestCurrents.base + e.input * ring)
            } else {
                processes[e.vp].generators[g].counts.append(d.nestCounts.base + e.input * ring)
                if case .process(let targets) = processes[e.vp].generators[g].source { targets.addTarget() }
            }
        }
        // pulsepacket_generators (one VP: Network refuses more), in gid order among the others.
        for (g, gen) in net.spikeGenerators.enumerated() {
            guard let packets = gen.packets else { continue }
            let at = processes[0].generators.firstIndex { $0.node > gen.node } ?? processes[0].generators.count
            processes[0].generators.insert(Generator(node: gen.node, source: .packets(PacketDraws(packets, generator: g))), at: at)
        }
        for v in processes.indices {
            for g in processes[v].generators.indices {
                if case .noise(let n, let w, let next, _) = processes[v].generators[g].source {
                    let targets = processes[v].generators[g].currents.count
                    processes[v].generators[g].source = .noise(n, w, nextStep: next, values: Array(repeating: 0, count: targets))
                }
            }
        }
    }

    static func waveform(_ g: CurrentGenerator) -> CurrentWaveform {
        CurrentWaveform(amplitude: g.amplitude, noise: GaussianNoise(std: g.std, stdMod: g.stdMod, omega: g.omega, phase: g.phase, dtSteps: g.dtSteps),
                        startStep: g.startStep, stopStep: g.stopStep)
    }

    /// A run starts at `step` (NEST's pre_run_hook, at each Simulate; `PointSimulation.advance`):
    /// the noise generators' std modulation and the sinusoidal generators' oscillators restart at
    /// the phase of that time, and pulse packets due around it are drawn again (those at time 0
    /// were drawn at build). NEST's Run calls after one Prepare would not restart them; each
    /// advance here is a Simulate.
    func startRun(at step: Int64, h: Double) {
        let now = (1 / 1000.0) * Double(step * max(1, Int64((h * 1000).rounded())))   // NEST's Time::get_ms
        for v in processes.indices {
            for g in processes[v].generators.indices {
                switch processes[v].generators[g].source {
                case .noise(_, let w, _, _):
                    if let noise = w.noise {
                        processes[v].generators[g].oscillator = (_cos(noise.omega * now + noise.phase), _sin(noise.omega * now + noise.phase))
                    }
                case .packets(let draws) where step > 0: draws.prepare(now: now)
                case .process(let targets) where step > 0: targets.prepare(now: now)
                default: break
                }
            }
        }
    }

    /// Draws every emission step below `end` not drawn yet, in whole NEST slices but none at or
    /// after `limit` (the end of the advance: NEST cuts its last slice at the end of Simulate).
    func draw(through end: Int64, limit: Int64, h: Double) {
        while drawnUntil < end {
            let sliceEnd = min((drawnUntil / slice + 1) * slice, limit)
            for v in processes.indices { drawSlice(v, drawnUntil..<sliceEnd, h: h) }
            drawnUntil = sliceEnd
            // A recorded generator without targets sends nothing: NEST records 0.
            for k in recorded.indices where recorded[k].count < Int(sliceEnd) {
                recorded[k].append(contentsOf: repeatElement(0, count: Int(sliceEnd) - recorded[k].count))
            }
        }
    }

    private func drawSlice(_ v: Int, _ steps: Range<Int64>, h: Double) {
        let ring = ringLength
        let ticsPerStep = max(1, Int64((h * 1000).rounded()))
        var engine = processes[v].engine
        defer { processes[v].engine = engine }
        for gi in processes[v].generators.indices {
            switch processes[v].generators[gi].source {
            case .poisson(var dist, let start, let stop):
                let rings = processes[v].generators[gi].counts
                for e in steps {
                    let slot = Int(e % ring)
                    if dist.mean > 0 && start < e && e <= stop {
                        for r in rings { r[slot] = Int32(clamping: dist.next(&engine)) }
                    } else {
                        for r in rings { r[slot] = 0 }
                    }
                }
                processes[v].generators[gi].source = .poisson(dist, startStep: start, stopStep: stop)
            case .noise(var normal, let w, var next, var values):
                let noise = w.noise!
                let rings = processes[v].generators[gi].currents
                let turn = (_cos(noise.omega * h), _sin(noise.omega * h))
                var (y0, y1) = processes[v].generators[gi].oscillator
                defer { processes[v].generators[gi].oscillator = (y0, y1) }
                for e in steps {
                    // Current generators act two steps after their update (NEST's is_active).
                    let active = w.startStep < e + 2 && e + 2 <= w.stopStep
                    if active && noise.stdMod != 0 {
                        (y0, y1) = (turn.0 * y0 - turn.1 * y1, turn.1 * y0 + turn.0 * y1)
                    }
                    if active && e >= next {
                        let scale = (noise.std * noise.std + y1 * noise.stdMod * noise.stdMod).squareRoot()
                        for k in values.indices { values[k] = w.amplitude + scale * normal.next(&engine) }
                        next = e + noise.dtSteps
                    }
                    let slot = Int(e % ring)
                    for (k, r) in rings.enumerated() { r[slot] = values[k] }
                    let recorder = processes[v].generators[gi].recorder
                    if recorder >= 0 {
                        recorded[recorder].append(active && !values.isEmpty ? values.reduce(0, +) / Double(values.count) : 0)
                    }
                }
                processes[v].generators[gi].source = .noise(normal, w, nextStep: next, values: values)
            case .packets(let draws):
                let sent = draws.update(steps, engine: &engine, ticsPerStep: ticsPerStep)
                for (e, n) in sent {
                    network.spikeGenerators[draws.generator].steps.append(e)
                    network.spikeGenerators[draws.generator].multiplicities.append(n)
                }
            case .process(let targets) where targets.process.kind == .sinusoidal:
                // NEST's update: the oscillator turns every step, active or not; a draw per
                // target (DS events) or one for all (a SpikeEvent to this VP's targets).
                let process = targets.process
                let rings = processes[v].generators[gi].counts
                for e in steps {
                    let y0 = targets.cosH * targets.y0 - targets.sinH * targets.y1
                    targets.y1 = targets.sinH * targets.y0 + targets.cosH * targets.y1
                    targets.y0 = y0
                    var rate = process.probability
                    rate += targets.y1
                    if rate < 0 { rate = 0 }
                    let slot = Int(e % ring)
                    guard rate > 0 && process.startStep < e && e <= process.stopStep else {
                        for r in rings { r[slot] = 0 }
                        continue
                    }
                    if process.shared {
                        targets.poisson.setMean(rate * h)
                        let n = Int32(clamping: targets.poisson.next(&engine))
                        for r in rings { r[slot] = n }
                    } else {
                        for r in rings {
                            targets.poisson.setMean(rate * h)
                            r[slot] = Int32(clamping: targets.poisson.next(&engine))
                        }
                    }
                }
            case .process(let targets):
                let process = targets.process
                let rings = processes[v].generators[gi].counts
                let words = process.stateWords
                for e in steps {
                    let slot = Int(e % ring)
                    guard process.emits && process.startStep < e && e <= process.stopStep else {
                        for r in rings { r[slot] = 0 }
                        continue
                    }
                    // NEST: the hazard for the step, then an event_hook per target, in port order.
                    let p = process.probability(at: e, ticsPerStep: ticsPerStep)
                    withUnsafeMutablePointer(to: &engine) { engine in
                    targets.state.withUnsafeMutableBufferPointer { state in
                    targets.binomials.withUnsafeMutableBufferPointer { binomials in
                    targets.poissons.withUnsafeMutableBufferPointer { poissons in
                        for (k, r) in rings.enumerated() {
                            var draws = NestProcessDraws(engine: engine, binomials: binomials.baseAddress! + k, poissons: poissons.baseAddress! + k)
                            r[slot] = Int32(clamping: process.step(state.baseAddress! + k * words, p: p, &draws))
                        }
                    }
                    }
                    }
                    }
                }
            }
        }
    }

    /// A generator's new parameters during a run (`PointSimulation.set`), from its next
    /// emission on: a Poisson mean is the distribution's new parameter (its state stays, as in
    /// NEST's calibrate); a noise generator keeps its next drawing step and values.
    func change(node: Int, train: PoissonTrain) {
        for v in processes.indices {
            for g in processes[v].generators.indices where processes[v].generators[g].node == node {
                if case .poisson(var dist, _, _) = processes[v].generators[g].source {
                    dist.setMean(train.lambda)
                    processes[v].generators[g].source = .poisson(dist, startStep: train.startStep, stopStep: train.stopStep)
                }
            }
        }
    }

    func change(node: Int, waveform: CurrentWaveform) {
        for v in processes.indices {
            for g in processes[v].generators.indices where processes[v].generators[g].node == node {
                if case .noise(let normal, _, let next, let values) = processes[v].generators[g].source, waveform.noise != nil {
                    processes[v].generators[g].source = .noise(normal, waveform, nextStep: next, values: values)
                }
            }
        }
    }
}
