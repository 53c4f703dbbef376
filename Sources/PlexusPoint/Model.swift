import PlexusCore

// The seam between the point-neuron engine and its models. A model kind is a value type that
// conforms to `PointNeuronModel`: it declares its parameters and state once (names, units,
// defaults — NEST's), derives its constants (propagators) in `init`, and advances a range of
// neurons by one step in `update`. The engine owns the state (structure of arrays), the input
// ring buffers and the spike lists; a model never sees threads, connections or other models.
// This is also where generated models will plug in later.

/// One state variable (a column of the model's state). Recordable ones can be sampled by a
/// multimeter; all can be given an initial value in a population's params (NEST's `V_m`).
public struct StateSpec: Sendable {
    public let name: String
    public let unit: PhysicalUnit
    public let initialValue: Double
    public let recordable: Bool
    public var dimension: Dimension { unit.dimension }

    public init(_ name: String, _ unit: PhysicalUnit, initial: Double, recordable: Bool = true) {
        self.name = name
        self.unit = unit
        self.initialValue = initial
        self.recordable = recordable
    }
}

/// Resolved parameter values of one population, in the order of the model's `parameters`.
public struct ParameterValues: Sendable {
    public let specs: [ParameterSpec]
    public var values: [Double]
    /// Array-valued parameters (a multisynapse model's per-receptor values, e.g. `tau_syn`), by
    /// name, in the unit of their `ArrayParameterSpec`; empty for other models.
    public var arrays: [String: [Double]] = [:]

    public init(specs: [ParameterSpec], values: [Double]? = nil) {
        self.specs = specs
        self.values = values ?? specs.map(\.defaultValue)
    }

    /// Array parameter by name (empty if it was never set and has no default).
    public func array(_ name: String) -> [Double] { arrays[name] ?? [] }

    /// Value by name; names are checked when the description is validated, so a miss here is a
    /// programming error in a model.
    public subscript(name: String) -> Double {
        get {
            guard let i = specs.firstIndex(where: { $0.name == name }) else {
                preconditionFailure("model has no parameter \(name)")
            }
            return values[i]
        }
        set {
            guard let i = specs.firstIndex(where: { $0.name == name }) else {
                preconditionFailure("model has no parameter \(name)")
            }
            values[i] = newValue
        }
    }
}

/// One array-valued parameter of a multisynapse model: one value per receptor port (NEST's
/// `tau_syn`, `E_rev`, ...). Its length sets the number of ports.
public struct ArrayParameterSpec: Sendable {
    public let name: String
    public let unit: PhysicalUnit
    public let defaultValue: [Double]
    public let doc: String

    public init(_ name: String, _ unit: PhysicalUnit, _ defaultValue: [Double], _ doc: String = "") {
        self.name = name
        self.unit = unit
        self.defaultValue = defaultValue
        self.doc = doc
    }
}

/// State of a population as structure of arrays: variable `v` of neuron `i` is at `base[v*n + i]`.
@frozen public struct StateColumns {
    public let base: UnsafeMutablePointer<Double>
    public let n: Int

    @inlinable public init(base: UnsafeMutablePointer<Double>, n: Int) {
        self.base = base
        self.n = n
    }

    /// Pointer to the column of variable `v` (index as in the model's `state` list).
    @inlinable @inline(__always) public func column(_ v: Int) -> UnsafeMutablePointer<Double> { base + v &* n }
}

/// Input that arrived for one step, for the neurons of one population (index = neuron index in
/// the population). Spike input is split by the sign of the weight, as NEST does: `spikes[2i]`
/// holds the sum of positive weights, `spikes[2i+1]` the sum of negative ones (still negative).
/// `current[i]` is the summed current from current generators (pA) that arrived this step.
/// The engine clears both after the step.
@frozen public struct StepInput {
    public let spikes: UnsafeMutablePointer<Double>
    public let current: UnsafeMutablePointer<Double>
    /// The step being computed: it covers (step·h, (step+1)·h].
    public let step: Int64

    /// Precise-timing models only: the off-grid spikes arriving in this step at the neurons being
    /// updated, sorted by neuron, then time (larger offset first), then arrival; the neuron of
    /// an event is `Int(event.target) - eventBase`. Empty for every other model.
    public let events: UnsafePointer<PreciseEvent>
    public let eventCount: Int
    public let eventBase: Int

    @inlinable public init(spikes: UnsafeMutablePointer<Double>, current: UnsafeMutablePointer<Double>, step: Int64) {
        self.spikes = spikes
        self.current = current
        self.step = step
        self.events = UnsafePointer(bitPattern: 8)!
        self.eventCount = 0
        self.eventBase = 0
    }

    @inlinable public init(spikes: UnsafeMutablePointer<Double>, current: UnsafeMutablePointer<Double>, step: Int64,
                           events: UnsafePointer<PreciseEvent>, eventCount: Int, eventBase: Int) {
        self.spikes = spikes
        self.current = current
        self.step = step
        self.events = events
        self.eventCount = eventCount
        self.eventBase = eventBase
    }

    @inlinable @inline(__always) public func excitatory(_ i: Int) -> Double { spikes[2 &* i] }
    @inlinable @inline(__always) public func inhibitory(_ i: Int) -> Double { spikes[2 &* i &+ 1] }

    /// Multisynapse models (`receptorPorts` not nil): `spikes` then holds `ports` channel pairs per
    /// neuron, one per receptor port (the pair still split by sign, so that the engine's delivery
    /// loop is the same for every model); this is the summed input of port `r` (0-based, NEST's
    /// receptor_type r + 1) of neuron `i`.
    @inlinable @inline(__always) public func receptor(_ i: Int, _ r: Int, ports: Int) -> Double {
        let k = 2 &* (i &* ports &+ r)
        return spikes[k] + spikes[k &+ 1]
    }
}

/// A spike as it travels through the engine: the sender, a weight multiplier (1 for neurons;
/// the spike weight of a spike_generator; the count of a parrot neuron) and, for spikes of
/// precise-timing senders (`*_ps` models, spike_generator with precise_times), their offset
/// within the step: the spike happened at (step + 1)·h − offset, 0 <= offset < h.
///
/// The offset travels in the struct's spare room, so a spike stays 16 bytes and grid networks
/// pay nothing: `count` is 0 for an on-grid spike, whose `value` is its multiplicity; an off-grid
/// spike (offset > 0) has a whole multiplicity, kept in `count` (never 0), and `value` holds its
/// offset (ms). Only the spikes of precise senders are ever off the grid.
@frozen public struct Spike: Sendable {
    public var gid: UInt32
    /// 0: on the grid (`value` is the multiplicity); otherwise the multiplicity of an off-grid spike.
    public var count: Int32
    /// The multiplicity (on the grid) or the offset in ms (off the grid).
    public var value: Double

    @inlinable public init(gid: UInt32, multiplicity: Double = 1) {
        self.gid = gid
        self.count = 0
        self.value = multiplicity
    }

    /// A spike `offset` ms before the end of its step, of whole multiplicity `count` (an offset of
    /// 0 makes an on-grid spike).
    @inlinable public init(gid: UInt32, count: Int32, offset: Double) {
        self.gid = gid
        if offset > 0 && count != 0 {
            self.count = count
            self.value = offset
        } else {
            self.count = 0
            self.value = Double(count)
        }
    }

    /// The weight multiplier.
    @inlinable public var multiplicity: Double {
        @inline(__always) get { count == 0 ? value : Double(count) }
    }
    /// Offset (ms) before the end of the step: 0 for on-grid spikes.
    @inlinable public var offset: Double {
        @inline(__always) get { count == 0 ? 0 : value }
    }
    @inlinable public var isOffGrid: Bool { count != 0 }
}

/// One spike that arrives off the grid at a precise-timing neuron (`PointNeuronModel.isPrecise`),
/// as the engine hands it to the model: `offset` ms before the end of the step, weight times
/// multiplicity in `weight`. Spikes that arrive on the grid (offset 0) are summed in the step's
/// input channels as for every model: they act at the end of the step, after all of these.
@frozen public struct PreciseEvent: Sendable {
    /// Index of the target's channel pair in its thread's ring (engine-internal).
    public var target: Int32
    /// Order of arrival (delivery order, the same for any threads and ranks): breaks ties.
    public var sequence: Int32
    public var offset: Double
    public var weight: Double

    @inlinable public init(target: Int32, sequence: Int32, offset: Double, weight: Double) {
        self.target = target
        self.sequence = sequence
        self.offset = offset
        self.weight = weight
    }

    /// Time order within a step (larger offset first), then arrival order.
    @inlinable @inline(__always) static func before(_ a: PreciseEvent, _ b: PreciseEvent) -> Bool {
        if a.target != b.target { return a.target < b.target }
        if a.offset != b.offset { return a.offset > b.offset }
        return a.sequence < b.sequence
    }
}

/// Where a model reports the neurons that fired in the current step.
public struct SpikeOutput {
    @usableFromInline var list: GrowableBuffer<Spike>
    /// gid of neuron 0 of the population being updated.
    @usableFromInline var gidBase: UInt32 = 0

    public init(capacity: Int = 4096) { list = GrowableBuffer(capacity: capacity) }

    /// Neuron `i` (index in its population) fired in this step.
    @inlinable @inline(__always)
    public mutating func emit(_ i: Int, multiplicity: Double = 1) {
        list.append(Spike(gid: gidBase &+ UInt32(truncatingIfNeeded: i), multiplicity: multiplicity))
    }

    /// Neuron `i` fired `offset` ms before the end of this step (precise-timing models; several
    /// such spikes of one neuron in a step must come in time order).
    @inlinable @inline(__always)
    public mutating func emit(_ i: Int, offset: Double, count: Int32 = 1) {
        list.append(Spike(gid: gidBase &+ UInt32(truncatingIfNeeded: i), count: count, offset: offset))
    }

    public var count: Int { list.count }
}

/// A point-neuron model kind. See the comment at the top of this file. Every conformance in this
/// module is listed in `ModelCatalog.neuronTypes`.
// @registry(ModelCatalog.neuronTypes)
public protocol PointNeuronModel: Sendable {
    /// NEST's model name, e.g. `iaf_psc_alpha`.
    static var name: String { get }
    static var parameters: [ParameterSpec] { get }
    /// State columns in storage order; hidden ones (refractory counters, solver step sizes) are
    /// `recordable: false`.
    static var state: [StateSpec] { get }
    /// Unit of the weights this model receives: `.pA` (currents), `.nS` (conductances) or `.mV`
    /// (voltage jumps); `.weight` where the weight is ignored.
    static var weightUnit: PhysicalUnit { get }
    /// Whether incoming weights are ignored and each spike counts once (parrot_neuron).
    static var countsSpikes: Bool { get }
    /// Whether the model times its spikes off the grid and takes its input spikes at their
    /// precise times (NEST's `*_ps` models): the engine hands it the step's off-grid spikes
    /// (`StepInput.events`) and it emits spikes with their offsets.
    static var isPrecise: Bool { get }
    /// Whether the model's spikes carry a fraction that scales every weight they cross (its
    /// multiplicity: iaf_tum_2000's released fraction), which only such models can receive.
    static var spikesCarryRelease: Bool { get }

    /// Array-valued parameters (one value per receptor port); empty for all but multisynapse models.
    static var arrayParameters: [ArrayParameterSpec] { get }
    /// The number of receptor ports of a multisynapse model under `p` (the length of its arrays:
    /// spikes arrive on receptor_type 1 ... K, each into its own channel); nil for the models
    /// whose spikes arrive on receptor 0, split by the sign of the weight.
    static func receptorPorts(_ p: ParameterValues) -> Int?
    /// The state columns under `p`: `state` for most models; multisynapse models add per-port
    /// columns (g_1, g_2, ...).
    static func state(for p: ParameterValues) -> [StateSpec]

    /// Derives constants (propagators) for resolution `h` ms; throws on parameters out of range,
    /// naming the parameter.
    init(parameters: ParameterValues, resolution h: Double) throws

    /// Advances neurons `range` by one step of the resolution.
    func update(_ state: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput)

    /// The recorded value of state column `v` of neuron `i` (models that keep a shifted variable
    /// internally, such as V_m relative to E_L, convert here).
    func recordedValue(_ state: StateColumns, variable v: Int, neuron i: Int) -> Double

    /// Hook to put the initial state in shape after user values were written (e.g. to store V_m
    /// relative to E_L). Default: nothing.
    func prepareState(_ state: StateColumns, count: Int)

    /// Puts state kept in internal form under `old`'s constants into this model's form after a
    /// parameter change during a run, as NEST's set_status does; false (the default) leaves it to
    /// the engine, which keeps every variable's recorded value.
    func carryState(_ state: StateColumns, count: Int, from old: Self) -> Bool
}

extension PointNeuronModel {
    public static var arrayParameters: [ArrayParameterSpec] { [] }
    public static func receptorPorts(_ p: ParameterValues) -> Int? { nil }
    public static func state(for p: ParameterValues) -> [StateSpec] { state }
    public static var countsSpikes: Bool { false }
    public static var spikesCarryRelease: Bool { false }
    public static var isPrecise: Bool { false }
    public func recordedValue(_ state: StateColumns, variable v: Int, neuron i: Int) -> Double {
        state.column(v)[i]
    }
    public func prepareState(_ state: StateColumns, count: Int) {}
    public func carryState(_ state: StateColumns, count: Int, from old: Self) -> Bool { false }

    /// Index of a state variable by name.
    public static func stateIndex(_ name: String) -> Int? { state.firstIndex { $0.name == name } }
}

/// Checks shared by many models; they throw `PlexusError` naming the parameter.
public enum Check {
    public static func positive(_ p: ParameterValues, _ names: String...) throws {
        for n in names where !(p[n] > 0) {
            throw PlexusError.outOfRange(n, p[n], "must be > 0")
        }
    }
    public static func nonNegative(_ p: ParameterValues, _ names: String...) throws {
        for n in names where !(p[n] >= 0) {
            throw PlexusError.outOfRange(n, p[n], "must be >= 0")
        }
    }
    public static func less(_ p: ParameterValues, _ a: String, _ b: String) throws {
        if !(p[a] < p[b]) {
            throw PlexusError("\(a) = \(p[a]) must be below \(b) = \(p[b])", keyPath: a)
        }
    }
}
