import PlexusCore

/// Which random numbers the devices draw.
public enum RandomStreams: Sendable, Equatable {
    /// Plexus's own counter-based streams, keyed by (seed, statement, target, step): the same
    /// numbers for any threads.
    case plexus
    /// NEST 3's: one `mt19937_64` per virtual process seeded as NEST seeds it, drawn in NEST's
    /// order, so that a script's Poisson counts and noise currents are NEST's own (the same seed
    /// and number of virtual processes). NEST also draws from these streams when it builds random
    /// connections and random parameter values, which Plexus draws its own way; a script with
    /// those sees NEST's device draws only where nothing else drew first.
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
    /// One input as a generator's target: the thread holding it and its index there.
    struct Target {
        var thread: Int32
        var input: Int32
    }
    /// A target's ring of drawn values (slot = emission step mod `ringLength`), in its thread's
    /// `DeviceInputs.nestCounts` or `nestCurrents` (which the network keeps alive).
    struct Ring<Element> {
        var base: UnsafeMutablePointer<Element>
    }
    enum Source {
        case poisson(LibstdcxxPoisson, startStep: Int64, stopStep: Int64)
        /// noise_generator: its next drawing step (NEST's `next_step_`) and current values.
        case noise(LibstdcxxNormal, CurrentWaveform, nextStep: Int64, values: [Double])
    }
    /// One generator's replica on one virtual process (NEST replicates devices on every VP).
    struct Generator {
        var node: Int
        var source: Source
        var targets: [Target]
        var counts: [Ring<Int32>] = []
        var currents: [Ring<Double>] = []
    }
    struct VirtualProcess {
        var engine: MT19937_64
        var generators: [Generator]
    }

    var processes: [VirtualProcess]
    /// NEST's min_delay (steps): the length of its update slices, aligned at step 0.
    let slice: Int64
    /// Slots per input in the rings: every emission between the oldest one not yet arrived and
    /// the end of the last slice drawn.
    let ringLength: Int64
    /// Emission steps below this one are drawn.
    var drawnUntil: Int64 = 0

    init(network net: PointNetwork, virtualProcesses: Int, seed: UInt32) {
        let minDelay = net.nestMinDelay()
        slice = Int64(minDelay == Int.max ? 1 : minDelay)   // NEST: one step without connections
        var longest = 0
        for d in net.deviceInputs {
            for p in d.poisson { longest = max(longest, Int(p.delay)) }
            for c in d.currents { longest = max(longest, Int(c.delay)) }
        }
        ringLength = Int64(longest + net.minDelay) + slice + 1
        // Inputs grouped by (VP of the target, generator), each group in creation order:
        // (statement, target gid, ordinal), NEST's connection order for one generator.
        struct Entry { var vp: Int; var node: Int; var order: (UInt32, UInt64); var target: Target; var noise: Int32 }
        var entries: [Entry] = []
        // A target's VP is its NEST gid modulo the VPs (NEST numbers recorders too: nest_gids).
        let gidOf: (Int) -> Int = { node in net.experiment.nestGids?[node] ?? node + 1 }
        for (t, d) in net.deviceInputs.enumerated() {
            for (q, p) in d.poisson.enumerated() {
                let gid = gidOf(Int(p.id & 0xffff_ffff))
                entries.append(Entry(vp: gid % virtualProcesses, node: Int(p.source), order: (p.stream, UInt64(gid) << 16 | p.id >> 32 & 0xffff),
                                     target: Target(thread: Int32(t), input: Int32(q)), noise: -1))
            }
            for (q, c) in d.currents.enumerated() where net.currentGenerators.list[Int(c.generator)].noise {
                let gid = gidOf(Int(c.id & 0xffff_ffff))
                entries.append(Entry(vp: gid % virtualProcesses, node: net.currentGenerators.nodes[Int(c.generator)],
                                     order: (c.stream, UInt64(gid) << 16), target: Target(thread: Int32(t), input: Int32(q)),
                                     noise: c.generator))
            }
        }
        entries.sort { ($0.vp, $0.node, $0.order.0, $0.order.1) < ($1.vp, $1.node, $1.order.0, $1.order.1) }
        processes = (0..<virtualProcesses).map { VirtualProcess(engine: NestRandom.virtualProcess($0, seed: seed), generators: []) }
        for e in entries {
            var gens = processes[e.vp].generators
            if gens.last?.node != e.node {
                let source: Source
                if e.noise >= 0 {
                    let g = net.currentGenerators.list[Int(e.noise)]
                    source = .noise(LibstdcxxNormal(), Self.waveform(g), nextStep: 0, values: [])
                } else {
                    let p = net.deviceInputs[Int(e.target.thread)].poisson[Int(e.target.input)]
                    source = .poisson(LibstdcxxPoisson(mean: p.lambda), startStep: p.startStep, stopStep: p.stopStep)
                }
                gens.append(Generator(node: e.node, source: source, targets: []))
            }
            gens[gens.count - 1].targets.append(e.target)
            processes[e.vp].generators = gens
        }
        for v in processes.indices {
            for g in processes[v].generators.indices {
                if case .noise(let n, let w, let next, _) = processes[v].generators[g].source {
                    processes[v].generators[g].source = .noise(n, w, nextStep: next, values: Array(repeating: 0, count: processes[v].generators[g].targets.count))
                }
            }
        }
        for d in net.deviceInputs {
            d.nestCounts = Storage(repeating: 0, count: d.poisson.count * Int(ringLength))
            d.nestCurrents = Storage(repeating: 0, count: d.currents.count * Int(ringLength))
        }
        for v in processes.indices {
            for g in processes[v].generators.indices {
                let gen = processes[v].generators[g]
                if case .noise = gen.source {
                    processes[v].generators[g].currents = gen.targets.map {
                        Ring(base: net.deviceInputs[Int($0.thread)].nestCurrents.base + Int($0.input) * Int(ringLength))
                    }
                } else {
                    processes[v].generators[g].counts = gen.targets.map {
                        Ring(base: net.deviceInputs[Int($0.thread)].nestCounts.base + Int($0.input) * Int(ringLength))
                    }
                }
            }
        }
    }

    static func waveform(_ g: CurrentGenerator) -> CurrentWaveform {
        CurrentWaveform(amplitude: g.amplitude, noise: GaussianNoise(std: g.std, stdMod: g.stdMod, omega: g.omega, phase: g.phase, dtSteps: g.dtSteps),
                        startStep: g.startStep, stopStep: g.stopStep)
    }

    /// Draws every emission step below `end` not drawn yet, in whole NEST slices but none at or
    /// after `limit` (the end of the advance: NEST cuts its last slice at the end of Simulate).
    func draw(through end: Int64, limit: Int64, h: Double) {
        while drawnUntil < end {
            let sliceEnd = min((drawnUntil / slice + 1) * slice, limit)
            for v in processes.indices { drawSlice(v, drawnUntil..<sliceEnd, h: h) }
            drawnUntil = sliceEnd
        }
    }

    private func drawSlice(_ v: Int, _ steps: Range<Int64>, h: Double) {
        let ring = ringLength
        var engine = processes[v].engine
        defer { processes[v].engine = engine }
        for gi in processes[v].generators.indices {
            switch processes[v].generators[gi].source {
            case .poisson(var dist, let start, let stop):
                processes[v].generators[gi].counts.withUnsafeBufferPointer { rings in
                    for e in steps {
                        let slot = Int(e % ring)
                        if dist.mean > 0 && start < e && e <= stop {
                            for r in rings { r.base[slot] = Int32(clamping: dist.next(&engine)) }
                        } else {
                            for r in rings { r.base[slot] = 0 }
                        }
                    }
                }
                processes[v].generators[gi].source = .poisson(dist, startStep: start, stopStep: stop)
            case .noise(var normal, let w, var next, var values):
                let noise = w.noise!
                for e in steps {
                    // Current generators act two steps after their update (NEST's is_active).
                    let active = w.startStep < e + 2 && e + 2 <= w.stopStep
                    if active && e >= next {
                        let mod = noise.stdMod == 0 ? 0 : _sin(noise.omega * Double(e) * h + noise.phase) * noise.stdMod * noise.stdMod
                        let scale = (noise.std * noise.std + mod).squareRoot()
                        for k in values.indices { values[k] = w.amplitude + scale * normal.next(&engine) }
                        next = e + noise.dtSteps
                    }
                    let slot = Int(e % ring)
                    for (k, r) in processes[v].generators[gi].currents.enumerated() { r.base[slot] = values[k] }
                }
                processes[v].generators[gi].source = .noise(normal, w, nextStep: next, values: values)
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
