import PlexusCore

// The seam between the point-neuron engine and its stimulation devices. A device kind is a value
// type that conforms to `StimulationDevice`: it declares its parameters once (NEST's names, units,
// defaults), checks and resolves them in `init` into typed fields, and says in `output` what the
// engine does with it, in steps: an independent Poisson train to every target, a stateful
// process per target (gamma_sup, ppd_sup, sinusoidal_poisson: `SpikeProcess`), a current, one
// spike train shared by all targets through their synapses (drawn by the engine for
// pulsepacket_generator), or a volume transmitter's trigger.
// The engine compiles these outputs into its fast structures when the network is built (device
// inputs sorted by target, current generators, spike generator nodes); nothing of the device is
// called while the network runs. Adding a device kind that fits one of these outputs is one new
// file in this folder.

/// One list-valued device parameter (spike_generator's `spike_times`): the values' dimension and
/// what they mean.
public struct ListParameterSpec: Sendable {
    public let name: String
    public let unit: PhysicalUnit
    public let doc: String

    public init(_ name: String, _ unit: PhysicalUnit, _ doc: String = "") {
        self.name = name
        self.unit = unit
        self.doc = doc
    }
}

/// A stimulation device kind. See the comment at the top of this file. Every conformance in this
/// module is listed in `ModelCatalog.deviceTypes`.
// @registry(ModelCatalog.deviceTypes)
public protocol StimulationDevice: Sendable {
    /// NEST's model name, e.g. `poisson_generator`.
    static var name: String { get }
    /// Numeric parameters with NEST's names, units and defaults.
    static var parameters: [ParameterSpec] { get }
    /// Parameters that are lists rather than numbers. Default: none.
    static var listParameters: [ListParameterSpec] { get }

    /// Checks the values beyond their units (ranges, the time grid, lists that go together) and
    /// resolves them for resolution `grid`. Throws `PlexusError` with the parameter's key path
    /// relative to the population's `params` (`rate`, `spike_times[2]`).
    init(_ parameters: DeviceParameters, grid: TimeGrid) throws

    /// What the engine does with this device, resolved to steps.
    var output: DeviceOutput { get }
}

extension StimulationDevice {
    public static var listParameters: [ListParameterSpec] { [] }
}

/// What a device gives the engine. Times are emission steps: step `e` covers (e·h, (e+1)·h], and
/// what a device emits in it reaches a target `delay` steps later.
public enum DeviceOutput: Sendable {
    /// Every target its own Poisson train (NEST's poisson_generator, DS events).
    case poisson(PoissonTrain)
    /// A current into every target, scaled by the connection's (dimensionless) weight.
    case current(CurrentWaveform)
    /// The same spikes to every target, through its synapses (spike_generator).
    case spikes(SpikeTrain)
    /// Receives spikes and hands them to its dopamine synapses every `deliverInterval` min delays.
    case volumeTransmitter(deliverInterval: Int64)
    /// Every target its own superposition of renewal processes, whose state lives per target
    /// (gamma_sup_generator, ppd_sup_generator; DS events with the count as multiplicity).
    case process(SpikeProcess)
    /// Every target its own Poisson train with dead time and off-grid spike times
    /// (poisson_generator_ps).
    case precisePoisson(PrecisePoissonTrain)
}

/// A superposition of `nProc` independent renewal processes per target, as NEST's
/// gamma_sup_generator and ppd_sup_generator keep it: occupation numbers of internal states,
/// advanced once per active emission step (`startStep < e <= stopStep`) by binomial draws (Poisson
/// ones where NEST approximates), the count leaving the last state being that step's spikes.
/// - gamma: `bins` = gamma_shape states in a ring; each component moves on with probability
///   `probability` per step, and emits when it leaves the last state.
/// - deadTime: components are active (emitting with the hazard `probability` per step, times
///   `1 + amplitude·sin(omega·t)`) or refractory for `bins` steps after a spike.
public struct SpikeProcess: Sendable, Equatable {
    /// sinusoidal: an inhomogeneous Poisson process of rate `rate + amplitude·sin(omega·t + phase)`
    /// (per ms; `probability` the rate, `amplitude`, `omega`, `phase`), per target or, with
    /// `shared`, one count per step for all targets (per NEST virtual process); no state.
    public enum Kind: Sendable, Equatable { case gamma, deadTime, sinusoidal }
    public var kind: Kind
    /// Per step: gamma's transition probability, or the dead-time process's hazard.
    public var probability: Double
    /// gamma_shape, or the dead time in whole steps (NEST: floor(dead_time / h)).
    public var bins: Int
    /// Initial occupation of every state (gamma) or refractory bin (dead time).
    public var initialEach: UInt64
    /// Added to gamma's last state, or the initially active components.
    public var initialExtra: UInt64
    /// Rate modulation of the dead-time process (relative amplitude; rad/ms).
    public var amplitude: Double
    public var omega: Double
    /// sinusoidal_poisson_generator's phase (rad) and `individual_spike_trains = false`.
    public var phase: Double = 0
    public var shared = false
    /// NEST's rate > 0: a process at rate 0 draws nothing.
    public var emits: Bool
    public var startStep: Int64
    public var stopStep: Int64

    public init(kind: Kind, probability: Double, bins: Int, initialEach: UInt64, initialExtra: UInt64,
                amplitude: Double = 0, omega: Double = 0, emits: Bool, startStep: Int64, stopStep: Int64) {
        self.kind = kind
        self.probability = probability
        self.bins = bins
        self.initialEach = initialEach
        self.initialExtra = initialExtra
        self.amplitude = amplitude
        self.omega = omega
        self.emits = emits
        self.startStep = startStep
        self.stopStep = stopStep
    }
}

/// Independent Poisson trains, one per target: `lambda` events expected per step, emitted in the
/// steps `e` with `startStep < e <= stopStep` (NEST's `is_active` for spike-emitting devices).
public struct PoissonTrain: Sendable {
    public var lambda: Double
    public var startStep: Int64
    public var stopStep: Int64

    public init(lambda: Double, startStep: Int64, stopStep: Int64) {
        self.lambda = lambda
        self.startStep = startStep
        self.stopStep = stopStep
    }
}

/// Spikes emitted in the given steps (the step that ends at the spike's time stamp), each with a
/// multiplicity that scales the synaptic weight.
public struct SpikeTrain: Sendable {
    public var steps: [Int64]
    public var multiplicities: [Double]
    /// spike_generator with precise_times: each spike's offset (ms) before the end of its step
    /// (0 on the grid); nil for on-grid trains.
    public var offsets: [Double]? = nil
    /// A pulsepacket_generator's packets, drawn by the engine (its streams, its seed) into
    /// `steps` when the network is built, or slice by slice with NEST's streams.
    public var packets: PulsePackets?

    public init(steps: [Int64], multiplicities: [Double], packets: PulsePackets? = nil) {
        precondition(steps.count == multiplicities.count, "one multiplicity per spike")
        self.steps = steps
        self.multiplicities = multiplicities
        self.packets = packets
    }
}

/// NEST's pulsepacket_generator: `activity` spikes around each of `pulseTimes` (ms, sorted),
/// their times Gaussian with standard deviation `sdev`, one train for all targets. NEST draws a
/// packet in the first update slice whose start lies within 10 sdev (1 ms for sdev 0) before
/// its centre, keeps the spikes at or after the slice's start, and puts a spike at x ms into the
/// step `ceil(x / h)` in tics (`Time(Time::ms(x)).get_steps()`); it updates while
/// `startStep < T + 2 <= stopStep` (its type is CURRENT_GENERATOR's), T the slice's first step.
public struct PulsePackets: Sendable {
    public var pulseTimes: [Double]
    public var activity: Int
    public var sdev: Double
    public var startStep: Int64
    public var stopStep: Int64

    public init(pulseTimes: [Double], activity: Int, sdev: Double, startStep: Int64, stopStep: Int64) {
        self.pulseTimes = pulseTimes
        self.activity = activity
        self.sdev = sdev
        self.startStep = startStep
        self.stopStep = stopStep
    }

    /// NEST's window around a slice start in which packets are drawn (ms).
    var tolerance: Double { sdev > 0 ? sdev * 10.0 : 1.0 }

    /// NEST's `Time(Time::ms(ms))`: tics (1000 per ms), rounded half up by truncation.
    static func tics(_ ms: Double) -> Int64 { Int64(ms * 1000.0 + 0.5) }

    /// NEST's `get_steps()`: tics rounded up to whole steps (times its inverse step in tics).
    static func steps(tics: Int64, ticsPerStep: Int64) -> Int64 {
        Int64(Double(tics + ticsPerStep - 1) * (1.0 / Double(ticsPerStep)))
    }

    /// With Plexus's streams: every packet's spikes drawn from a stream of its own (seed, node,
    /// packet), those in the steps with `startStep < e + 2 <= stopStep` and e >= 0 kept.
    func plexusTrain(seed: UInt64, node: Int, grid: TimeGrid) -> SpikeTrain {
        var steps: [Int64] = []
        let tps = grid.ticsPerStep
        for (k, centre) in pulseTimes.enumerated() {
            var rng = RandomStream(seed: seed, purpose: .spikeProcess, index: UInt32(truncatingIfNeeded: node), id: UInt64(k) | 1 << 62)
            for _ in 0..<activity {
                let e = Self.steps(tics: Self.tics(sdev * rng.nextNormal() + centre), ticsPerStep: tps)
                if e >= 0 && startStep < e + 2 && e + 2 <= stopStep { steps.append(e) }
            }
        }
        steps.sort()
        var out: [Int64] = [], counts: [Double] = []
        for e in steps {
            if out.last == e { counts[counts.count - 1] += 1 } else { out.append(e); counts.append(1) }
        }
        return SpikeTrain(steps: out, multiplicities: counts)
    }
}

/// A current (pA) as a function of the emission step `e`, sent while the generator is active:
/// `startStep < e + 2 <= stopStep` (NEST's rule for current generators, whose current reaches the
/// neuron's dynamics two steps later).
/// - deterministic part: `amplitude`, then `changes[k].amplitude` from emission step
///   `changes[k].step` on (steps strictly increasing);
/// - optional Gaussian noise on top, drawn for every target separately.
public struct CurrentWaveform: Sendable {
    public struct Change: Sendable, Equatable {
        public var step: Int64
        public var amplitude: Double
        public init(step: Int64, amplitude: Double) {
            self.step = step
            self.amplitude = amplitude
        }
    }
    public var amplitude: Double
    public var changes: [Change]
    public var noise: GaussianNoise?
    /// A sine added to the amplitude (ac_generator).
    public var sine: Sinusoid?
    public var startStep: Int64
    public var stopStep: Int64

    public init(amplitude: Double, changes: [Change] = [], noise: GaussianNoise? = nil, sine: Sinusoid? = nil,
                startStep: Int64, stopStep: Int64) {
        precondition(zip(changes, changes.dropFirst()).allSatisfy { $0.step < $1.step }, "changes strictly increasing")
        self.amplitude = amplitude
        self.changes = changes
        self.noise = noise
        self.sine = sine
        self.startStep = startStep
        self.stopStep = stopStep
    }
}

/// NEST's noise_generator on top of a current: a new value every `dtSteps` steps (counted from
/// the first active step), `amplitude + sqrt(std² + stdMod²·sin(omega·t + phase))·N(0, 1)`, for
/// every target its own draw.
public struct GaussianNoise: Sendable {
    public var std: Double
    public var stdMod: Double
    /// rad/ms
    public var omega: Double
    /// rad
    public var phase: Double
    public var dtSteps: Int64

    public init(std: Double, stdMod: Double, omega: Double, phase: Double, dtSteps: Int64) {
        self.std = std
        self.stdMod = stdMod
        self.omega = omega
        self.phase = phase
        self.dtSteps = dtSteps
    }
}

/// `amplitude·sin(omega·t + phase)` with t the end of the emission step (NEST's ac_generator
/// turns its oscillator once per step before it sends: the value for step e is at (e + 1)·h).
public struct Sinusoid: Sendable {
    /// pA
    public var amplitude: Double
    /// rad/ms
    public var omega: Double
    /// rad
    public var phase: Double

    public init(amplitude: Double, omega: Double, phase: Double) {
        self.amplitude = amplitude
        self.omega = omega
        self.phase = phase
    }
}

/// NEST's activity window of a stimulation device: active between `origin + start` and
/// `origin + stop` (ms); `stop` may be infinite.
public struct ActivityWindow: Sendable {
    public static let parameters: [ParameterSpec] = [
        .init("start", .ms, 0, "activation time, relative to origin"),
        .init("stop", .ms, .infinity, "deactivation time, relative to origin"),
        .init("origin", .ms, 0, "time origin of start and stop"),
    ]

    public let start: Double
    public let stop: Double
    public let origin: Double
    /// `origin + start` and `origin + stop` in steps (a step count far beyond any run for an
    /// infinite stop).
    public let startStep: Int64
    public let stopStep: Int64

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        start = p["start"]
        stop = p["stop"]
        origin = p["origin"]
        if stop < start {
            throw PlexusError("stop \(stop) ms is before start \(start) ms", keyPath: "stop")
        }
        startStep = grid.steps(origin + start)
        let end = origin + stop
        stopStep = end.isFinite ? grid.steps(end) : Int64.max / 4
    }
}

/// The parameters given to one device population, checked against its kind's declarations
/// (units, NaN, finite values, times within range), with defaults filled in.
public struct DeviceParameters: Sendable {
    /// Every numeric parameter, in the order of the kind's `parameters`.
    public let numbers: ParameterValues
    /// The list parameters that were given.
    public let lists: [String: [Double]]

    /// A numeric parameter by name; the names are the device's own declarations, so a miss is a
    /// programming error in the device.
    public subscript(name: String) -> Double { numbers[name] }

    /// A list parameter, nil when not given.
    public func list(_ name: String) -> [Double]? { lists[name] }

    /// The numeric parameters by name (provenance).
    public var dictionary: [String: Double] {
        Dictionary(uniqueKeysWithValues: zip(numbers.specs.map(\.name), numbers.values))
    }

    public init(numbers: ParameterValues, lists: [String: [Double]] = [:]) {
        self.numbers = numbers
        self.lists = lists
    }

    /// Reads `given` (a population's params) for device kind `type`; key paths of errors start
    /// at `path` (`populations.<name>`).
    public init(_ type: any StimulationDevice.Type, given: [String: ParameterValue], path: String, grid: TimeGrid) throws {
        var numbers = ParameterValues(specs: type.parameters)
        var lists: [String: [Double]] = [:]
        for key in given.keys.sorted() {
            let kp = "\(path).params.\(key)"
            if let k = type.parameters.firstIndex(where: { $0.name == key }) {
                let spec = type.parameters[k]
                guard case .quantity(let q) = given[key]! else {
                    throw PlexusError("parameter \(key) takes one number", keyPath: kp)
                }
                let v = try wrap(kp) { try q.value(in: spec.unit, name: key) }
                // Infinite only where the default is (stop = inf: never stop), which needs no
                // conversion to steps.
                try spec.check(v, keyPath: kp)
                if spec.unit.dimension == .time && v.isFinite { try PointNetwork.checkTime(v, key, grid: grid, keyPath: kp) }
                numbers.values[k] = v
            } else if let spec = type.listParameters.first(where: { $0.name == key }) {
                guard case .list(let qs) = given[key]! else {
                    throw PlexusError("parameter \(key) takes a list", keyPath: kp)
                }
                lists[key] = try qs.enumerated().map { k, q in
                    let v = try wrap("\(kp)[\(k)]") { try q.value(in: spec.unit, name: key) }
                    if spec.unit.dimension != .time && !v.isFinite {
                        throw PlexusError("\(key)[\(k)] must be finite, got \(v)", keyPath: "\(kp)[\(k)]")
                    }
                    return v
                }
            } else {
                let known = type.parameters.map(\.name) + type.listParameters.map(\.name)
                throw PlexusError("unknown parameter '\(key)' for \(type.name)\(PlexusError.didYouMean(key, known)); known: \(known.joined(separator: ", "))", keyPath: kp)
            }
        }
        self.init(numbers: numbers, lists: lists)
    }
}

/// Shared checks of device parameters; they throw `PlexusError` naming the parameter.
enum DeviceCheck {
    static func nonNegative(_ p: DeviceParameters, _ names: String...) throws {
        for n in names where p[n] < 0 {
            throw PlexusError.outOfRange(n, p[n], "must be >= 0")
        }
    }

    /// A whole number >= `minimum` (NEST's `long` parameters such as n_proc).
    static func integer(_ p: DeviceParameters, _ name: String, atLeast minimum: Double) throws -> Int {
        let v = p[name]
        guard v == v.rounded(), v >= minimum, v < 0x1p53 else {
            throw PlexusError.outOfRange(name, v, "must be a whole number >= \(Int(minimum))")
        }
        return Int(v)
    }
}

/// A device population once resolved: its typed device, the values it was given (defaults filled
/// in) and its output.
struct DevicePopulation {
    let device: any StimulationDevice
    let parameters: DeviceParameters
    let output: DeviceOutput

    init(_ type: any StimulationDevice.Type, _ pop: PopulationDescription, path: String, grid: TimeGrid) throws {
        parameters = try DeviceParameters(type, given: pop.params, path: path, grid: grid)
        do {
            device = try type.init(parameters, grid: grid)
        } catch let e as PlexusError {
            throw e.under(path + ".params")
        }
        output = device.output
    }
}
