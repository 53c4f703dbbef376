import PlexusCore

// The description of a point-neuron experiment: plain values, built by the Swift API or decoded
// from an experiment file (PlexusIO) — the same types either way. Nothing here runs; `PointNetwork`
// compiles a validated description into engine state.

/// A parameter value as written by the user: a number with an optional unit, a list (spike
/// times), or a random distribution (initial states, weights, delays).
public enum ParameterValue: Sendable, Equatable {
    case quantity(Quantity)
    case list([Quantity])
    case distribution(Distribution)

    public static func number(_ v: Double, _ unit: String? = nil) -> ParameterValue { .quantity(Quantity(v, unit)) }
}

/// Random distributions for weights, delays and initial values, with NEST's names and meanings.
public enum Distribution: Sendable, Equatable {
    case constant(Quantity)
    case uniform(min: Quantity, max: Quantity)
    case normal(mean: Quantity, std: Quantity)
    /// Normal redrawn until it falls in [min, max] (NEST's `normal` with clipping is redraw-based
    /// in `nest.math.redraw`; here: rejection).
    case normalClipped(mean: Quantity, std: Quantity, min: Quantity, max: Quantity)
    /// exp(N(mu, sigma)): mu and sigma of the underlying normal (NEST's `lognormal`).
    case lognormal(mu: Double, sigma: Double)
    /// Exponential with scale `beta` (mean), NEST's `exponential` takes beta.
    case exponential(beta: Quantity)

    /// Resolves units into `unit`, checks parameters, returns a sampler.
    public func sampler(_ unit: PhysicalUnit, name: String) throws -> Sampler {
        func c(_ q: Quantity) throws -> Double { try q.value(in: unit, name: name) }
        switch self {
        case .constant(let q): return .constant(try c(q))
        case .uniform(let a, let b):
            let lo = try c(a), hi = try c(b)
            guard lo <= hi else { throw PlexusError("\(name): uniform needs min <= max, got min \(lo) max \(hi)") }
            return .uniform(lo, hi)
        case .normal(let m, let s):
            let sd = try c(s)
            guard sd >= 0 else { throw PlexusError.outOfRange("\(name).std", sd, "must be >= 0") }
            return .normal(try c(m), sd)
        case .normalClipped(let m, let s, let a, let b):
            let sd = try c(s), lo = try c(a), hi = try c(b)
            guard sd >= 0 else { throw PlexusError.outOfRange("\(name).std", sd, "must be >= 0") }
            guard lo < hi else { throw PlexusError("\(name): normal_clipped needs min < max, got \(lo), \(hi)") }
            let mean = try c(m)
            // Values are redrawn until they fall inside (NEST's redraw); refuse intervals that
            // the distribution almost never reaches instead of looping for ever.
            let cdf = { (x: Double) in sd > 0 ? 0.5 * (1 + _erf((x - mean) / (sd * 2.0.squareRoot()))) : (x >= mean ? 1 : 0) }
            let mass = cdf(hi) - cdf(lo)
            guard mass >= 1e-4 else {
                throw PlexusError("\(name): normal(mean \(mean), std \(sd)) falls in [\(lo), \(hi)] with probability \(mass); redrawing would not end")
            }
            return .normalClipped(mean, sd, lo, hi)
        case .lognormal(let mu, let sigma):
            guard sigma >= 0 else { throw PlexusError.outOfRange("\(name).sigma", sigma, "must be >= 0") }
            return .lognormal(mu, sigma)
        case .exponential(let beta):
            let b = try c(beta)
            guard b > 0 else { throw PlexusError.outOfRange("\(name).beta", b, "must be > 0") }
            return .exponential(b)
        }
    }
}

/// A distribution with units resolved: draws numbers in canonical units.
public enum Sampler: Sendable, Equatable {
    case constant(Double)
    case uniform(Double, Double)
    case normal(Double, Double)
    case normalClipped(Double, Double, Double, Double)
    case lognormal(Double, Double)
    case exponential(Double)

    @inlinable
    public func draw(_ rng: inout RandomStream) -> Double {
        switch self {
        case .constant(let v): return v
        case .uniform(let a, let b): return a + (b - a) * rng.nextDouble()
        case .normal(let m, let s): return m + s * rng.nextNormal()
        case .normalClipped(let m, let s, let lo, let hi):
            // The interval holds at least 1e-4 of the mass (checked in `sampler`).
            while true {
                let v = m + s * rng.nextNormal()
                if v >= lo && v <= hi { return v }
            }
        case .lognormal(let mu, let sigma): return _exp(mu + sigma * rng.nextNormal())
        case .exponential(let beta): return beta * rng.nextExponential()
        }
    }

    public var isConstant: Bool { if case .constant = self { return true } else { return false } }
}

/// A group of identical nodes: neurons of one model or one stimulation device.
public struct PopulationDescription: Sendable, Equatable {
    public var name: String
    public var model: String
    public var size: Int
    public var params: [String: ParameterValue]

    public init(name: String, model: String, size: Int = 1, params: [String: ParameterValue] = [:]) {
        self.name = name
        self.model = model
        self.size = size
        self.params = params
    }
}

/// A connection rule with its arguments: one of `ConnectionRules.all` (ConnectionRules/).
/// `.allToAll`, `.fixedIndegree(100)`... name the built-in rules; `ConnectionRule(kind)` any.
public struct ConnectionRule: Sendable, Equatable, CustomStringConvertible {
    public let kind: any ConnectionRuleKind

    public init(_ kind: some ConnectionRuleKind) { self.kind = kind }
    public init(any kind: any ConnectionRuleKind) { self.kind = kind }

    /// The rule `name` of the registry with `arguments`; throws for an unknown name or a missing
    /// argument.
    public init(name: String, arguments: [String: ConnectionRuleArgument] = [:]) throws {
        guard let k = ConnectionRules.named(name) else {
            throw PlexusError(PlexusError.unknownMessage("rule", name, known: ConnectionRules.names))
        }
        kind = try k.init(ConnectionRuleArguments(name, arguments))
    }

    /// NEST's rule name.
    public var name: String { kind.name }
    public var arguments: ConnectionRuleArguments { kind.arguments }
    public var description: String { kind.arguments.values.isEmpty ? name : "\(name)(\(kind.arguments.values.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")))" }

    public static func == (a: ConnectionRule, b: ConnectionRule) -> Bool { a.name == b.name && a.arguments == b.arguments }

    public static var allToAll: ConnectionRule { ConnectionRule(AllToAll()) }
    public static var oneToOne: ConnectionRule { ConnectionRule(OneToOne()) }
    public static func fixedIndegree(_ k: Int) -> ConnectionRule { ConnectionRule(FixedIndegree(indegree: k)) }
    public static func fixedOutdegree(_ k: Int) -> ConnectionRule { ConnectionRule(FixedOutdegree(outdegree: k)) }
    public static func fixedTotalNumber(_ n: Int) -> ConnectionRule { ConnectionRule(FixedTotalNumber(n: n)) }
    public static func pairwiseBernoulli(_ p: Double) -> ConnectionRule { ConnectionRule(PairwiseBernoulli(p: p)) }
}

public struct SynapseDescription: Sendable, Equatable {
    /// NEST's synapse model name (`SynapseModel`): static_synapse, stdp_synapse, tsodyks_synapse ...
    public var model: String
    public var weight: Distribution
    public var delay: Distribution
    /// The model's own parameters and initial state (tau_plus, Wmax, U, tau_rec ...).
    public var parameters: [String: Quantity]
    /// NEST's receptor_type: 0, or 1 on a parrot_neuron (the spike updates the synapse but is
    /// not repeated by the parrot).
    public var receptor: Int
    /// Log the weight after every transmitted spike (NEST's weight_recorder) to weights.csv.
    public var recordWeights: Bool
    /// stdp_dopamine_synapse: the population (one volume_transmitter node) whose dopamine
    /// spikes modulate the synapse (NEST's common property `volume_transmitter`).
    public var volumeTransmitter: String?

    /// NEST's static_synapse defaults: weight 1, delay 1 ms.
    public init(model: String = "static_synapse", weight: Distribution = .constant(Quantity(1)),
                delay: Distribution = .constant(Quantity(1, "ms")), parameters: [String: Quantity] = [:],
                receptor: Int = 0, recordWeights: Bool = false, volumeTransmitter: String? = nil) {
        self.model = model
        self.weight = weight
        self.delay = delay
        self.parameters = parameters
        self.receptor = receptor
        self.recordWeights = recordWeights
        self.volumeTransmitter = volumeTransmitter
    }
}

public struct ConnectionDescription: Sendable, Equatable {
    public var source: String
    public var target: String
    public var rule: ConnectionRule
    /// NEST's defaults: autapses and multapses allowed.
    public var allowAutapses: Bool
    public var allowMultapses: Bool
    public var synapse: SynapseDescription
    /// NEST's make_symmetric: also create the reverse connection (gap junctions, one_to_one).
    public var makeSymmetric: Bool

    public init(source: String, target: String, rule: ConnectionRule = .allToAll, allowAutapses: Bool = true,
                allowMultapses: Bool = true, synapse: SynapseDescription = SynapseDescription(), makeSymmetric: Bool = false) {
        self.source = source
        self.target = target
        self.rule = rule
        self.allowAutapses = allowAutapses
        self.allowMultapses = allowMultapses
        self.synapse = synapse
        self.makeSymmetric = makeSymmetric
    }
}

public enum RecordingDescription: Sendable, Equatable {
    case spikes(population: String)
    /// Samples `variables` of every neuron of `population` every `interval` ms (NEST's multimeter:
    /// rows at t = k·interval, the state at the end of the step ending at t).
    case multimeter(population: String, variables: [String], interval: Quantity?)

    public var population: String {
        switch self {
        case .spikes(let p), .multimeter(let p, _, _): return p
        }
    }
}

public struct PointExperiment: Sendable, Equatable {
    public var resolution: Quantity
    public var duration: Quantity
    public var seed: UInt64
    public var populations: [PopulationDescription]
    public var connections: [ConnectionDescription]
    public var recordings: [RecordingDescription]
    /// NEST's waveform-relaxation kernel settings (gap junctions; GapJunctions.swift).
    public var waveformRelaxation: WaveformRelaxation
    /// Structural plasticity (NEST's structural_plasticity_synapses and synaptic_elements), if any.
    public var structuralPlasticity: StructuralPlasticityDescription? = nil
    /// Which random numbers devices draw: Plexus's own, or NEST's (kernel `random_streams: nest`).
    public var randomStreams: RandomStreams = .plexus
    /// NEST's min_delay when the script set it or knows it (kernel `min_delay`): the length of
    /// NEST's update slices, which orders its random draws and times volume transmitters; nil:
    /// NEST's rule (`PointNetwork.nestMinDelay`).
    public var nestMinDelay: Quantity? = nil
    /// NEST's gid of each node (kernel `nest_gids`; NEST numbers recorders too), which decides a
    /// target's virtual process with NEST's streams; nil: node number + 1.
    public var nestGids: [Int]? = nil
    /// When NEST drew each population's random initial values (kernel `nest_draw_points`), with
    /// NEST's streams: after the first k connection statements drew theirs, as the script set
    /// them (PyNEST draws when `nodes.V_m = nest.random...` runs). Absent: k = 0, before any.
    public var nestDrawPoints: [String: Int] = [:]
    /// The rng_seed NEST's streams had while the script built the network (kernel
    /// `nest_build_seed`), when it set `rng_seed` afterwards: NEST then starts every stream afresh
    /// with `seed`, from which the devices draw. nil: the build and the devices share the streams.
    public var nestBuildSeed: UInt32? = nil
    /// noise_generator populations whose current NEST's multimeter records (kernel
    /// `nest_noise_recorders`): its `I`, the mean of the values it sends its targets, each step.
    /// With NEST's streams and one virtual process, as NEST allows.
    public var nestNoiseRecorders: [String] = []
    /// Neuron models described in files (.nestml, absolute paths): compiled and installed by
    /// name before the populations are built (`NeuronModelFiles`).
    public var modelFiles: [String] = []

    public init(resolution: Quantity = Quantity(0.1, "ms"), duration: Quantity, seed: UInt64 = 1,
                populations: [PopulationDescription], connections: [ConnectionDescription] = [],
                recordings: [RecordingDescription] = [], waveformRelaxation: WaveformRelaxation = WaveformRelaxation()) {
        self.waveformRelaxation = waveformRelaxation
        self.resolution = resolution
        self.duration = duration
        self.seed = seed
        self.populations = populations
        self.connections = connections
        self.recordings = recordings
    }
}
