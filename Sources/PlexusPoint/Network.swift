import PlexusCore

/// A population as placed in the network: its nodes are the 0-based node indices
/// `firstNode ..< firstNode + size` (NEST's gids minus one, in creation order).
public struct PopulationInfo: Sendable {
    public enum Kind: Sendable {
        case neuron(Int)            // index into `PointNetwork.neuronPopulations`
        case device(DeviceKind)
    }
    public let name: String
    public let model: String
    public let size: Int
    public let firstNode: Int
    public let kind: Kind

    public var nodes: Range<Int> { firstNode..<(firstNode + size) }
    public var isNeuron: Bool { if case .neuron = kind { return true } else { return false } }
}

/// A point-neuron network compiled from a `PointExperiment`: state as structure of arrays per
/// population, synapses in per-thread CSR tables, device inputs, all ready to run. Building is
/// parallel and deterministic: every random number is keyed by (seed, purpose, statement, gid),
/// so the same network comes out for any number of threads.
public final class PointNetwork {
    public let experiment: PointExperiment
    public let grid: TimeGrid
    public let totalSteps: Int64
    public let seed: UInt64
    public let populations: [PopulationInfo]
    public let neuronPopulations: [NeuronPopulation]
    public let neuronCount: Int
    public let nodeCount: Int
    public let team: ThreadTeam
    /// The ranks of the run (MPI, or one process); this rank builds and updates only its own
    /// neurons and the synapses onto them (Ranks.swift).
    public let communicator: any Communicator
    /// Neuron indices owned by each part of the whole run: thread t of rank r is part
    /// r * threads + t (contiguous, in node order).
    public let globalPartitions: [Range<Int>]
    /// Neuron indices owned by each thread of this rank.
    public let partitions: [Range<Int>]
    /// The neuron indices of this rank (its threads' parts joined): all of them for one process.
    public let localNeurons: Range<Int>
    /// With several ranks and the targeted exchange: where this rank's neurons' spikes go.
    public internal(set) var spikeRoutes: SpikeRoutes?
    public internal(set) var connectivity: [ThreadConnectivity] = []
    /// Per thread: where each neuron's spike input sits in a ring row (receptor ports).
    var receptorLayouts: [ReceptorLayout] = []
    /// Plastic synapses (and static ones that need per-synapse handling), per thread.
    var plastic: [PlasticConnectivity] = []
    var plasticRules: [PlasticRule] = []
    /// volume_transmitter nodes and the connections that feed them.
    var volumeTransmitters: [VolumeTransmitterNode] = []
    var transmitterInputs = VolumeTransmitterInputs(nodes: 0)
    var transmitterPoisson: [TransmitterPoisson] = []
    /// tau_minus of this rank's neurons (NEST keeps it on the postsynaptic neuron for STDP), by
    /// neuron index less `localNeurons.lowerBound`.
    var tauMinus: [Double] = []
    var tauMinusTriplet: [Double] = []
    /// Calcium parameters and, when declared, the structural plasticity engine.
    let structural = StructuralHook()
    var deviceInputs: [DeviceInputs] = []
    var currentGenerators = CurrentGenerators()
    var spikeGenerators: [SpikeGeneratorNode] = []
    /// Epoch length in steps: the smallest delay of any synapse (spikes need not be exchanged
    /// more often).
    public internal(set) var minDelay: Int = 0
    public internal(set) var maxDelay: Int = 0
    /// No synapse set `minDelay`: it is a default epoch length, not a delay of the network.
    var minDelayIsDefault = false
    /// Smallest and largest synapse delay of this rank's synapses (steps; Int.max and 0 without
    /// any), from which `joinRanks` takes the run's.
    var localDelays = (min: Int.max, max: 0)
    /// Number of static synapses (excluding device inputs and plastic synapses).
    public var synapseCount: Int { connectivity.reduce(0) { $0 + $1.synapseCount } }
    /// Number of plastic synapses (with per-synapse state).
    public var plasticSynapseCount: Int { plastic.reduce(0) { $0 + $1.count } }
    /// Number of per-target device connections (Poisson trains, currents).
    public var deviceConnectionCount: Int { deviceInputs.reduce(0) { $0 + $1.poisson.count + $1.precisePoisson.count + $1.currents.count } }
    /// Bytes of static connectivity per synapse (words + weights + row offsets).
    public var bytesPerSynapse: Double {
        let n = synapseCount
        return n > 0 ? Double(connectivityBytes) / Double(n) : 0
    }
    /// Bytes of this rank's static synapse tables (words, weights, source rows).
    var connectivityBytes: Int {
        connectivity.reduce(0) { $0 + $1.words.count * 4 + $1.weights.count * 4 + $1.rows.bytes }
    }

    /// Neuron index of a node, from the neuron populations' ranges (no table of N entries).
    let neuronOfNode: NodeNeurons
    /// Resolved numeric parameters of each device population (defaults filled in), by name.
    public private(set) var deviceParameters: [String: [String: Double]] = [:]
    var generatorOfNode: [Int: Int] = [:]
    /// Gap junctions and their waveform relaxation (GapJunctions.swift); nil without junctions.
    var gapLayer: GapJunctionLayer?
    /// Device draws in NEST's order, with `RandomStreams.nest`.
    var nestStreams: NestStreams?
    /// What acts once per epoch of the run loop (EpochHook.swift), in `EpochHooks.kinds` order.
    var epochHooks: [any EpochHook] = []

    public convenience init(_ experiment: PointExperiment, threads: Int = 1) throws {
        try self.init(experiment, team: ThreadTeam(threads: threads))
    }

    public convenience init(_ experiment: PointExperiment, team: ThreadTeam) throws {
        try self.init(experiment, team: team, communicator: SingleProcess.shared)
    }

    /// This rank's part of the network; no collective is called (`PointNetwork.distributed`
    /// agrees on errors and joins the ranks' delays).
    init(_ experiment: PointExperiment, team: ThreadTeam, communicator: any Communicator) throws {
        self.experiment = experiment
        self.team = team
        self.communicator = communicator
        let h = try wrap("resolution") { try experiment.resolution.value(in: .ms, name: "resolution") }
        grid = try TimeGrid(resolution: h)
        try Self.checkTime(h, "resolution", grid: grid, keyPath: "resolution")
        let duration = try wrap("duration") { try experiment.duration.value(in: .ms, name: "duration") }
        guard duration.isFinite, duration >= 0 else {
            throw PlexusError.outOfRange("duration", duration, "must be a finite number of ms >= 0", keyPath: "duration")
        }
        try Self.checkTime(duration, "duration", grid: grid, keyPath: "duration")
        guard grid.isOnGrid(duration) else {
            throw PlexusError("duration \(duration) ms is not a multiple of the resolution \(h) ms", keyPath: "duration")
        }
        totalSteps = grid.steps(duration)
        seed = experiment.seed

        // Neuron models from description files (installed already when the experiment came from a file).
        if !experiment.modelFiles.isEmpty { try NeuronModelFiles.install(experiment.modelFiles) }
        // Populations: nodes in creation order.
        var infos: [PopulationInfo] = []
        var neuronPops: [NeuronPopulation] = []
        var node = 0, neuron = 0
        var neuronBytes = 0.0
        var seen = Set<String>()
        var neuronRanges: [(firstNode: Int, firstNeuron: Int, size: Int)] = []
        var spikeGens: [SpikeGeneratorNode] = []
        var devices: [String: DevicePopulation] = [:]
        // The neurons (dense indices) whose state this rank holds: its threads' parts.
        let parts = communicator.size * team.count
        let neuronTotal = experiment.populations.reduce(0) { ModelCatalog.neuron($1.model) == nil ? $0 : $0 + max(0, $1.size) }
        let rankNeurons = ThreadTeam.part(communicator.rank * team.count, of: neuronTotal, parts: parts).lowerBound
            ..< ThreadTeam.part((communicator.rank + 1) * team.count - 1, of: neuronTotal, parts: parts).upperBound
        // NEST's draws while its script builds the network, in the script's order (NestDraws).
        var nestDraws: NestDraws?
        if case .nest(let vps) = experiment.randomStreams, vps >= 1, seed > 0, seed < 1 << 32 {
            nestDraws = NestDraws(experiment, virtualProcesses: vps, seed: UInt32(seed))
        }
        for (pi, pop) in experiment.populations.enumerated() {
            let path = "populations.\(pop.name)"
            guard !pop.name.isEmpty else { throw PlexusError("population name is empty", keyPath: "populations[\(pi)]") }
            guard seen.insert(pop.name).inserted else { throw PlexusError("population '\(pop.name)' is defined twice", keyPath: path) }
            guard pop.size >= 1 else { throw PlexusError.outOfRange("size", Double(pop.size), "must be >= 1", keyPath: path + ".size") }
            // gids are 32-bit (spikes carry UInt32, neuron indices Int32); checked before the
            // state is allocated, where a huge size would overflow.
            guard pop.size <= Self.maxNodes - node else {
                throw PlexusError("size \(pop.size) is too large: a network holds at most \(Self.maxNodes) nodes, and \(node) come before '\(pop.name)'",
                                  keyPath: path + ".size")
            }
            if let type = ModelCatalog.neuron(pop.model) {
                // State columns and the input ring of every neuron, before they are allocated.
                neuronBytes += Double(pop.size) * Double(8 * (type.state.count + 2))
                try ResourceUsage.checkFits(neuronBytes, "the state of its \(neuron + pop.size) neurons", keyPath: path + ".size")
                // tau_minus belongs to every neuron that can be the target of STDP (NEST's
                // archiving node), not to a model's dynamics.
                var own = pop
                func archiveTime(_ key: String, _ value: Double) throws -> Double {
                    guard let v = own.params.removeValue(forKey: key) else { return value }
                    let kp = path + ".params.\(key)"
                    guard case .quantity(let q) = v else { throw PlexusError("\(key) takes one number", keyPath: kp) }
                    let t = try wrap(kp) { try q.value(in: .ms, name: key) }
                    guard t > 0, t.isFinite else { throw PlexusError.outOfRange(key, t, "must be > 0 ms", keyPath: kp) }
                    return t
                }
                let local = min(max(rankNeurons.lowerBound - neuron, 0), pop.size)..<min(max(rankNeurons.upperBound - neuron, 0), pop.size)
                tauMinus += Array(repeating: try archiveTime("tau_minus", 20), count: local.count)
                tauMinusTriplet += Array(repeating: try archiveTime("tau_minus_triplet", 110), count: local.count)
                structural.calcium.append(try Self.takeCalcium(&own, path: path))
                let (params, initial) = try Self.resolveNeuronParameters(type, own, path: path, seed: seed, grid: grid,
                                                                         populationIndex: pi, firstNode: node, local: local,
                                                                         drawn: nestDraws?.values[pi] ?? [:])
                do {
                    let p = try type.makePopulation(name: pop.name, parameters: params, resolution: h, size: pop.size, local: local,
                                                    firstNode: node, firstNeuron: neuron, initial: initial, seed: seed)
                    infos.append(PopulationInfo(name: pop.name, model: pop.model, size: pop.size, firstNode: node,
                                                kind: .neuron(neuronPops.count)))
                    neuronPops.append(p)
                } catch let e as PlexusError {
                    throw e.under(path + ".params")
                }
                neuronRanges.append((node, neuron, pop.size))
                neuron += pop.size
            } else if let kind = ModelCatalog.deviceModels[pop.model] {
                let device = try DevicePopulation(kind, pop, path: path, grid: grid)
                infos.append(PopulationInfo(name: pop.name, model: pop.model, size: pop.size, firstNode: node, kind: .device(kind)))
                devices[pop.name] = device
                if case .spikes(let train) = device.output {
                    if let packets = train.packets {
                        // Drawn here with Plexus's streams; slice by slice by NestStreams with NEST's.
                        var nest = false
                        if case .nest = experiment.randomStreams { nest = true }
                        let seed = experiment.seed, grid = grid
                        for k in 0..<pop.size {
                            let drawn = nest ? SpikeTrain(steps: [], multiplicities: []) : packets.plexusTrain(seed: seed, node: node + k, grid: grid)
                            spikeGens.append(SpikeGeneratorNode(node: node + k, steps: drawn.steps, multiplicities: drawn.multiplicities, packets: packets))
                        }
                    } else {
                        spikeGens += (0..<pop.size).map { SpikeGeneratorNode(node: node + $0, steps: train.steps, multiplicities: train.multiplicities,
                                                                          offsets: train.offsets) }
                    }
                }
            } else {
                throw PlexusError("unknown model '\(pop.model)'; known models: \(ModelCatalog.allNames.joined(separator: ", "))",
                                  keyPath: path + ".model")
            }
            node += pop.size
        }
        populations = infos
        neuronPopulations = neuronPops
        neuronCount = neuron
        nodeCount = node
        self.neuronOfNode = NodeNeurons(neuronRanges)
        for (name, device) in devices { deviceParameters[name] = device.parameters.dictionary }
        spikeGenerators = spikeGens
        assert(neuron == neuronTotal)
        localNeurons = rankNeurons
        globalPartitions = (0..<parts).map { ThreadTeam.part($0, of: neuron, parts: parts) }
        partitions = Array(globalPartitions[(communicator.rank * team.count)..<((communicator.rank + 1) * team.count)])
        if communicator.size > 1 { try refuseAcrossRanks() }
        receptorLayouts = partitions.map { ReceptorLayout(part: $0, populations: neuronPops) }

        try validateRecordings()
        let statements = try resolveConnections(devices: devices, drawn: nestDraws?.connections ?? [:])
        if let error = nestDraws?.tooBig { throw error }   // the statements' own errors first
        try build(statements)
        try buildGapJunctions()
        try setUpStructuralPlasticity()
        epochHooks = try makeEpochHooks()
        if let given = experiment.nestMinDelay {
            let ms = try wrap("kernel.min_delay") { try given.value(in: .ms, name: "min_delay") }
            guard grid.isOnGrid(ms), ms >= grid.h * (1 - 1e-9) else {
                throw PlexusError("min_delay \(ms) ms must be a multiple of the resolution \(grid.h) ms", keyPath: "kernel.min_delay")
            }
            let smallest = connectivity.map(\.minDelay).min() ?? Int.max
            guard grid.steps(ms) <= smallest else {
                throw PlexusError("min_delay \(ms) ms is longer than the smallest synapse delay, \(grid.time(Int64(smallest))) ms (NEST refuses such delays)",
                                  keyPath: "kernel.min_delay")
            }
        }
        if case .nest(let vps) = experiment.randomStreams {
            guard seed > 0 && seed < 1 << 32 else {
                throw PlexusError.outOfRange("seed", Double(seed), "must be in (0, 2^32) for NEST's random streams (NEST's rng_seed)", keyPath: "seed")
            }
            guard vps >= 1 else {
                throw PlexusError.outOfRange("total_num_virtual_procs", Double(vps), "must be >= 1", keyPath: "kernel.total_num_virtual_procs")
            }
            // NEST draws a Poisson count for a volume transmitter too, in the same order; Plexus
            // draws those its own way, which would shift every later NEST draw.
            guard transmitterPoisson.isEmpty else {
                throw PlexusError("a poisson_generator onto a volume_transmitter is not supported with random_streams: nest",
                                  keyPath: "kernel.random_streams")
            }
            // NEST's pulsepacket_generator sends each VP's own draw to the targets there; Plexus
            // has one train per generator.
            if vps > 1, let g = spikeGenerators.first(where: { $0.packets != nil }) {
                throw PlexusError("a pulsepacket_generator with random_streams: nest needs one virtual process (NEST draws a train per virtual process)",
                                  keyPath: "populations.\(populations.first { $0.nodes.contains(g.node) }?.name ?? "")")
            }
            if let gids = experiment.nestGids, gids.count != nodeCount {
                throw PlexusError("nest_gids has \(gids.count) gids for \(nodeCount) nodes", keyPath: "kernel.nest_gids")
            }
            for (name, k) in experiment.nestDrawPoints.sorted(by: { $0.key < $1.key }) {
                guard population(named: name) != nil else {
                    throw PlexusError("no population named '\(name)'", keyPath: "kernel.nest_draw_points.\(name)")
                }
                guard k <= experiment.connections.count else {
                    throw PlexusError.outOfRange("nest_draw_points.\(name)", Double(k),
                                                 "must be at most the \(experiment.connections.count) connection statements",
                                                 keyPath: "kernel.nest_draw_points.\(name)")
                }
            }
            for (k, name) in experiment.nestNoiseRecorders.enumerated() {
                let kp = "kernel.nest_noise_recorders[\(k)]"
                guard let info = population(named: name) else { throw PlexusError("no population named '\(name)'", keyPath: kp) }
                guard info.model == NoiseGenerator.name else {
                    throw PlexusError("'\(name)' is a \(info.model); a multimeter records the current of a noise_generator", keyPath: kp)
                }
                guard vps == 1 else {
                    throw PlexusError("recording from a noise_generator is only possible with one virtual process (NEST's rule: its replicas on each process average different targets)",
                                      keyPath: kp)
                }
            }
            // nestDraws exists whenever these checks pass (made with the same conditions above).
            nestStreams = NestStreams(network: self, virtualProcesses: vps, engines: nestDraws!.engines)
        }
    }

    public func population(named name: String) -> PopulationInfo? { populations.first { $0.name == name } }

    /// Keys of a neuron population's params that belong to the network's set-up, not to the
    /// model: the STDP archive's time constants and structural plasticity's calcium
    /// (taken out in `init` and `takeCalcium`); fixed once the network is built.
    static let setUpKeys: Set<String> = ["tau_minus", "tau_minus_triplet", "tau_Ca", "beta_Ca", "Ca"]

    // MARK: parameters

    static func resolveNeuronParameters(_ type: NeuronKind, _ pop: PopulationDescription, path: String,
                                        seed: UInt64, grid: TimeGrid, populationIndex: Int,
                                        firstNode: Int, local: Range<Int>? = nil,
                                        drawn: [String: [Double]] = [:]) throws -> (ParameterValues, [[Double]]) {
        // Initial values are drawn (and kept) for the `local` neurons only, indexed from 0; every
        // given value is still checked, so that all ranks find the same errors. `drawn`: values
        // of distributions drawn already, one per neuron (NEST's streams: NestDraws).
        let local = local ?? 0..<pop.size
        var params = ParameterValues(specs: type.parameters)
        for a in type.arrayParameters { params.arrays[a.name] = a.defaultValue }
        // Array parameters first: they set a multisynapse model's ports, hence its state columns.
        for a in type.arrayParameters {
            guard let value = pop.params[a.name] else { continue }
            let kp = "\(path).params.\(a.name)"
            let qs: [Quantity]
            switch value {
            case .list(let l): qs = l
            case .quantity(let q): qs = [q]
            case .distribution: throw PlexusError("parameter \(a.name) takes a list of numbers (one per receptor port), not a distribution", keyPath: kp)
            }
            params.arrays[a.name] = try qs.enumerated().map { i, q in
                let x = try wrap("\(kp)[\(i)]") { try q.value(in: a.unit, name: a.name) }
                guard x.isFinite else { throw PlexusError("\(a.name)[\(i)] = \(x) must be finite", keyPath: "\(kp)[\(i)]") }
                return x
            }
        }
        let states = type.state(for: params)
        var initial = states.map { Array(repeating: $0.initialValue, count: local.count) }
        for key in pop.params.keys.sorted() {
            let value = pop.params[key]!
            let kp = "\(path).params.\(key)"
            if type.arrayParameters.contains(where: { $0.name == key }) { continue }
            if let k = type.parameters.firstIndex(where: { $0.name == key }) {
                guard case .quantity(let q) = value else {
                    throw PlexusError("parameter \(key) takes one number, not a list or distribution", keyPath: kp)
                }
                do { params.values[k] = try q.value(in: type.parameters[k].unit, name: key) }
                catch let e as PlexusError { throw PlexusError(e.message, keyPath: kp) }
                try type.parameters[k].check(params.values[k], keyPath: kp)
                // Models turn times into whole steps (t_ref) or propagators; infinity traps
                // the one and gives NaN in the other.
                if type.parameters[k].dimension == .time {
                    try checkTime(params.values[k], key, grid: grid, keyPath: kp, stepLimit: false)
                }
            } else if let v = states.firstIndex(where: { $0.name == key && $0.recordable }) {
                let dim = states[v].unit
                let sampler: Sampler
                switch value {
                case .quantity(let q): sampler = .constant(try wrap(kp) { try q.value(in: dim, name: key) })
                case .distribution(let d): sampler = try wrap(kp) { try d.sampler(dim, name: key) }
                case .list(let qs):
                    // One initial value per neuron, in order (PyNEST's `nodes.V_m = [...]`).
                    guard qs.count == pop.size else {
                        throw PlexusError("initial value of \(key): \(qs.count) values for \(pop.size) neurons", keyPath: kp)
                    }
                    for (i, q) in qs.enumerated() {
                        let x = try wrap("\(kp)[\(i)]") { try q.value(in: dim, name: key) }
                        guard !x.isNaN, x.isFinite || !states[v].initialValue.isFinite else {
                            throw PlexusError("initial value of \(key) must be finite, got \(x)", keyPath: "\(kp)[\(i)]")
                        }
                        if local.contains(i) { initial[v][i - local.lowerBound] = x }
                    }
                    continue
                }
                // A NaN start would only surface as a NaN blow-up during the run; an infinite
                // one too, except for variables whose default is infinite.
                try checkNotNaN(sampler, key, keyPath: kp)
                if states[v].initialValue.isFinite, !largestMagnitude(sampler).isFinite {
                    if case .constant(let x) = sampler { throw PlexusError("initial value of \(key) must be finite, got \(x)", keyPath: kp) }
                    throw PlexusError("initial value of \(key): the distribution can draw infinite values", keyPath: kp)
                }
                if let values = drawn[key] {
                    for i in local { initial[v][i - local.lowerBound] = values[i] }
                    continue
                }
                for i in local {
                    var rng = RandomStream(seed: seed, purpose: .initialState, index: UInt32(populationIndex << 8 | v),
                                           id: UInt64(firstNode + i))
                    initial[v][i - local.lowerBound] = sampler.draw(&rng)
                }
            } else {
                let known = type.parameters.map(\.name) + type.arrayParameters.map(\.name) + states.filter(\.recordable).map(\.name)
                throw PlexusError("unknown parameter '\(key)' for model \(type.name)\(PlexusError.didYouMean(key, known)); known: \(known.joined(separator: ", "))", keyPath: kp)
            }
        }
        return (params, initial)
    }

    func validateRecordings() throws {
        for (k, r) in experiment.recordings.enumerated() {
            let kp = "record[\(k)]"
            guard let pop = population(named: r.population) else {
                throw PlexusError("no population named '\(r.population)'", keyPath: kp + ".population")
            }
            if case .multimeter(_, let vars, let interval) = r {
                guard case .neuron(let ni) = pop.kind else {
                    throw PlexusError("a multimeter records neurons; '\(pop.name)' is a \(pop.model)", keyPath: kp + ".population")
                }
                let names = neuronPopulations[ni].recordableNames
                for v in vars where !names.contains(v) {
                    throw PlexusError("\(pop.model) has no recordable '\(v)'; recordables: \(names.joined(separator: ", "))",
                                      keyPath: kp + ".variables")
                }
                if let interval {
                    let ms = try wrap(kp + ".interval") { try interval.value(in: .ms, name: "interval") }
                    guard ms > 0, grid.isOnGrid(ms) else {
                        throw PlexusError("interval \(ms) ms must be a positive multiple of the resolution \(grid.h) ms",
                                          keyPath: kp + ".interval")
                    }
                    try Self.checkTime(ms, "interval", grid: grid, keyPath: kp + ".interval")
                }
            }
        }
    }
}

// MARK: limits of the input

extension PointNetwork {
    /// Most nodes in one network: gids travel as UInt32 and neuron indices as Int32.
    static let maxNodes = Int(Int32.max)
    /// Largest time in ms, about NEST's range (64-bit tics at 1000 per ms reach 9.2e15 ms); the
    /// models' refractory tics (ms · 1000) stay inside Int64 too.
    public static let maxTime = 1e15
    /// Most steps a time may span: whole step counts are exact in a Double up to 2^53, and
    /// converting to Int64 cannot trap.
    static let maxSteps = 0x1p53
    /// Largest synaptic weight magnitude: synapse tables store weights as Float.
    static let maxWeight = Double(Float.greatestFiniteMagnitude)

    /// Refuses a synaptic delay (or the longest a distribution can draw), in ms, that the
    /// synapse tables (32-bit step counts) or the input rings (every neuron keeps one as long as
    /// the longest delay) cannot hold, before anything is built.
    func checkDelayFits(_ ms: Double, keyPath: String) throws {
        guard ms / grid.h <= Double(Int32.max) else {
            throw PlexusError("delay \(ms) ms is \(ms / grid.h) steps of \(grid.h) ms; at most \(Int32.max) steps are supported", keyPath: keyPath)
        }
        try ResourceUsage.checkFits((ms / grid.h + 1) * Double(neuronCount) * 24,
                                    "the input rings of its \(neuronCount) neurons over a delay of \(ms) ms (24 bytes a neuron and step)",
                                    keyPath: keyPath)
    }

    /// Refuses a time that cannot become a whole number of steps: infinite, NaN, beyond ±1e15 ms
    /// or (with `stepLimit`) beyond 2^53 steps of the resolution.
    static func checkTime(_ ms: Double, _ name: String, grid: TimeGrid, keyPath: String, stepLimit: Bool = true) throws {
        guard ms.isFinite, abs(ms) <= maxTime, !stepLimit || abs(ms / grid.h) <= maxSteps else {
            let steps = stepLimit ? " and 2^53 steps of \(grid.h) ms" : ""
            throw PlexusError("\(name) = \(ms) ms is out of range: times must be finite and within ±1e15 ms\(steps)",
                              keyPath: keyPath)
        }
    }

    /// The parameters of a resolved distribution, by the names the file uses.
    static func parameters(of s: Sampler) -> [(name: String, value: Double)] {
        switch s {
        case .constant(let v): return [("value", v)]
        case .uniform(let a, let b): return [("min", a), ("max", b)]
        case .normal(let m, let sd): return [("mean", m), ("std", sd)]
        case .normalClipped(let m, let sd, let lo, let hi): return [("mean", m), ("std", sd), ("min", lo), ("max", hi)]
        case .lognormal(let mu, let sigma): return [("mu", mu), ("sigma", sigma)]
        case .exponential(let beta): return [("beta", beta)]
        }
    }

    /// Refuses a distribution with a NaN parameter: it would draw NaN for every neuron or synapse.
    static func checkNotNaN(_ s: Sampler, _ name: String, keyPath: String) throws {
        for p in parameters(of: s) where p.value.isNaN {
            if case .constant = s { throw PlexusError("\(name) is NaN", keyPath: keyPath) }
            throw PlexusError("\(name): the distribution's \(p.name) is NaN", keyPath: keyPath)
        }
    }

    /// Bound on the magnitude of any value `s` draws. RandomStream's uniforms are at least 2^-53,
    /// so a standard normal (Box-Muller) stays within ±8.6 and a unit exponential below 36.8;
    /// 10 and 40 leave a margin.
    static func largestMagnitude(_ s: Sampler) -> Double {
        switch s {
        case .constant(let v): return abs(v)
        case .uniform(let a, let b): return max(abs(a), abs(b))
        case .normal(let m, let sd): return abs(m) + 10 * sd
        case .normalClipped(let m, let sd, let lo, let hi):
            // Draws lie in [lo, hi] and near m; when all are rejected, m clamped to [lo, hi].
            return max(min(max(abs(lo), abs(hi)), abs(m) + 10 * sd), abs(min(max(m, lo), hi)))
        case .lognormal(let mu, let sigma): return _exp(mu + 10 * sigma)
        case .exponential(let beta): return 40 * beta
        }
    }
}

/// Runs `body`, re-placing any PlexusError at key path `path`.
@inline(__always)
func wrap<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as PlexusError {
        var e = e
        e.keyPath = path
        throw e
    }
}

/// The neuron index of each node (-1 for a device node), from the neuron populations' node
/// ranges: a binary search over the populations instead of a table of one entry per node.
struct NodeNeurons: Sendable {
    let firstNode: [Int]
    let firstNeuron: [Int]
    let size: [Int]

    init(_ ranges: [(firstNode: Int, firstNeuron: Int, size: Int)]) {
        let r = ranges.filter { $0.size > 0 }
        firstNode = r.map(\.firstNode)
        firstNeuron = r.map(\.firstNeuron)
        size = r.map(\.size)
    }

    @inline(__always)
    subscript(node: Int) -> Int {
        // The last population that starts at or before the node.
        var lo = 0, hi = firstNode.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if firstNode[mid] <= node { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return -1 }
        let k = node - firstNode[lo - 1]
        return k < size[lo - 1] ? firstNeuron[lo - 1] + k : -1
    }
}
