import CPlexusMechanism
import PlexusCore

// The cable engine's mechanism interface, after Arbor's mechanism ABI (arbor/mechanism_abi.h):
// a mechanism declares its fields (parameters with units, defaults and docs; per-instance
// constants; state variables) and four phases, each a kernel over a range of instances:
//
//   initialize       state at the initial voltage, once, before the first step
//   computeCurrents  add its current (nA, outward positive) and conductance dI/dV (µS) to the CVs
//                    its instances sit on, at the step's starting voltage
//   advanceState     integrate its state over dt with the step's new voltage
//   applyEvents      (point mechanisms receiving events) add an event's weight to an instance
//
// The engine owns the instance storage: structure of arrays, one contiguous column per field, per
// mechanism and thread group. A kernel gets the base pointers (`MechanismPack`) and an index
// range, and the engine calls each mechanism once per phase over all its instances, through the
// conformance's own (specialised) static methods: no per-CV dispatch, no dynamic call per
// instance. Adding a mechanism is one new file in Mechanisms/ declaring
// `public enum Name: CableMechanism`; the KindRegistry plugin lists it in
// `MechanismCatalog.mechanisms`, from which experiment files, `plexus models` and probes read.
//
// Step order (Arbor's): deliver events; zero the per-CV current and conductance; computeCurrents
// of every mechanism (in `MechanismCatalog.ordered`: density mechanisms, synapses, stimuli); add
// folded conductances in the matrix assembly; solve the cable equation (implicit Euler, Hines);
// advanceState; test thresholds.

/// A per-instance value of a mechanism: a constant computed at build from the parameters, or a
/// state variable.
public struct CableField: Sendable {
    public let name: String
    public let unit: PhysicalUnit
    public let doc: String
    public init(_ name: String, _ unit: PhysicalUnit, _ doc: String = "") {
        self.name = name; self.unit = unit; self.doc = doc
    }
}

/// What a kernel sees of one mechanism's instances in one cell group (Arbor's
/// `arb_mechanism_ppack`). Field `f` (the declared `constants`, then the declared `state`) of
/// instance `k` is `field(f)[k]`; instance `k` sits on slot `node[k]` of the per-slot arrays.
public struct MechanismPack {
    /// Number of instances (rows).
    public let count: Int
    /// Slot of each instance in the group's per-CV arrays.
    public let node: UnsafeMutablePointer<Int32>
    /// Column-major fields: field f starts at `fields + f · count`.
    public let fields: UnsafeMutablePointer<Double>
    /// Per slot: membrane voltage (mV), and the current (nA) and conductance (µS) being summed.
    public let voltage: UnsafeMutablePointer<Double>
    public let current: UnsafeMutablePointer<Double>
    public let conductance: UnsafeMutablePointer<Double>

    @inline(__always) public func field(_ f: Int) -> UnsafeMutablePointer<Double> { fields + f &* count }
}

/// Where an instance is at build time, for deriving its constants.
public struct InstanceContext: Sendable {
    /// Membrane area (µm²) that the instance covers in its CV (density mechanisms; 0 for point
    /// mechanisms). S/cm² · area · 0.01 = µS.
    public let area: Double
    /// Membrane area of the whole CV (µm²).
    public var cvArea: Double = 0
    /// Cell temperature (°C).
    public let temperature: Double
    /// Time step (ms).
    public let dt: Double
}

/// The step a phase is called for: it starts at `time` and lasts `dt` (ms).
public struct StepTime: Sendable {
    public let time: Double
    public let dt: Double
}

/// An event waiting for its step: target (store tag in the top bits, instance below) and weight
/// (the ABI's `plx_event`, so that generated kernels read the list as it is).
public typealias MechanismEvent = plx_event

/// This step's events of a thread group; those whose tag is `tag` belong to the mechanism the
/// list is given to.
public struct MechanismEvents {
    public let list: UnsafeBufferPointer<MechanismEvent>
    public let tag: UInt32
    /// Bits of the instance index (1...31).
    public let shift: UInt32

    /// Calls `body(instance, weight)` for each of the mechanism's events, in arrival order.
    @inline(__always) public func forEach(_ body: (_ instance: Int, _ weight: Double) -> Void) {
        let mask = (UInt32(1) &<< shift) &- 1
        for e in list where e.target &>> shift == tag { body(Int(e.target & mask), Double(e.weight)) }
    }
}

/// How a mechanism whose current is g·(v − e) may be folded into the matrix assembly instead of
/// running `computeCurrents` (the names are of its fields).
public enum ConductanceFolding: Sendable {
    case none
    /// g and e are constants: their per-CV sums (g, g·e) are made once at build; no kernel runs
    /// per step (pas). The mechanism has no state.
    case constant(g: String, e: String)
    /// g is a state, e a constant: the first instance on each CV is stored per CV (one row per
    /// slot, rows without an instance all zero) and the assembly reads g and e there; advance and
    /// events run on those rows as on any; `computeCurrents` runs only for the other instances
    /// (expsyn). One mechanism of a group uses this layout: the first in engine order.
    case perCV(g: String, e: String)
}

/// A cable mechanism kind. See the comment at the top of this file.
// @registry(MechanismCatalog.native)
public protocol CableMechanism {
    /// Everything the engine knows of the mechanism besides its kernels: one value, as Arbor's
    /// `arb_mechanism_type` is, so that a generated mechanism can hand the engine the same
    /// declaration from its compiled library.
    static var info: MechanismInfo { get }

    /// Checks parameter values (in `parameters` order); throws a `PlexusError` saying why.
    static func validate(_ parameters: [Double]) throws
    /// Writes the constants of one instance (in `constants` order) from its parameter values.
    static func prepare(_ parameters: [Double], _ context: InstanceContext, into constants: UnsafeMutablePointer<Double>)
    /// Sets the state of instances `range` at the initial voltage (`m.voltage`). State columns
    /// start at zero.
    static func initialize(_ m: MechanismPack, _ range: Range<Int>)
    /// Adds the instances' currents and conductances to `m.current` and `m.conductance`.
    static func computeCurrents(_ m: MechanismPack, _ range: Range<Int>, _ step: StepTime)
    /// Advances the instances' state over the step, with the new voltage.
    static func advanceState(_ m: MechanismPack, _ range: Range<Int>, _ step: StepTime)
    /// Applies this step's events (default: `applyEvent` for each, in order).
    static func applyEvents(_ m: MechanismPack, _ events: MechanismEvents)
    /// Adds an event of `weight` to instance `k`.
    static func applyEvent(_ m: MechanismPack, instance k: Int, weight: Double)
}

extension CableMechanism {
    /// NEURON's / Arbor's name (`hh`, `expsyn`).
    public static var name: String { info.name }
    public static var kind: MechanismInfo.Kind { info.kind }
    public static var parameters: [ParameterSpec] { info.parameters }
    public static var constants: [CableField] { info.constants }
    public static var state: [CableField] { info.state }
    public static var receivesEvents: Bool { info.receivesEvents }
    public static var coalescable: Bool { info.coalescable }
    public static var folding: ConductanceFolding { info.folding }
    public static func validate(_ parameters: [Double]) throws {}
    public static func initialize(_ m: MechanismPack, _ range: Range<Int>) {}
    public static func computeCurrents(_ m: MechanismPack, _ range: Range<Int>, _ step: StepTime) {}
    public static func advanceState(_ m: MechanismPack, _ range: Range<Int>, _ step: StepTime) {}
    public static func applyEvent(_ m: MechanismPack, instance k: Int, weight: Double) {}
    @inline(__always) public static func applyEvents(_ m: MechanismPack, _ events: MechanismEvents) {
        events.forEach { k, w in applyEvent(m, instance: k, weight: w) }
    }

    /// Index of a field (constants, then state) by name.
    public static func fieldIndex(_ name: String) -> Int? {
        if let i = constants.firstIndex(where: { $0.name == name }) { return i }
        return state.firstIndex { $0.name == name }.map { constants.count + $0 }
    }
}

/// exp(x) as Arbor's cnexp integrates it: the (1,1) Padé approximant (2 + x)/(2 - x).
@inline(__always) public func padeExp(_ x: Double) -> Double { (2 + x) / (2 - x) }

/// x' = (α - x(α+β))·q10 advanced by dt as Arbor's cnexp does: x = -b/a + (x + b/a)·pade(a dt).
@inline(__always)
public func cnexp(_ x: Double, _ rates: (Double, Double), _ q10: Double, _ dt: Double) -> Double {
    let (alpha, beta) = rates
    let a = -(alpha + beta) * q10
    let ba = alpha * q10 / a
    return -ba + (x + ba) * padeExp(a * dt)
}

/// What the engine knows about a mechanism: its declaration (NEURON's and Arbor's names and
/// defaults). The kernels index the fields of an instance in the order declared here: the
/// constants, then the state.
public struct MechanismInfo: Sendable {
    public enum Kind: Sendable { case density, point }
    public let name: String
    public let kind: Kind
    public let doc: String
    /// What a file may set, in the units declared, with defaults.
    public let parameters: [ParameterSpec]
    /// Per-instance constants the kernels read, derived at build by `prepare`.
    public let constants: [CableField]
    /// Variables the kernels compute and keep per instance (a generated mechanism's ASSIGNED
    /// ones); probes may read them as they read states.
    public let assigned: [CableField]
    /// State variables (probes read them as `name.state`).
    public let state: [CableField]
    /// Point mechanisms that are synapses: connections and generators may target them.
    public let receivesEvents: Bool
    /// Whether identical instances in one CV may be one instance (state linear in the events,
    /// Arbor's synapse coalescing).
    public let coalescable: Bool
    public let folding: ConductanceFolding
    /// Ions the mechanism reads or writes (generated mechanisms).
    public let ions: [IonUse]
    /// For a generated density mechanism, the constant holding its membrane area (µm²): folded
    /// conductances are per area (S/cm²) and scaled by it.
    public let areaField: String?
    /// Where it was declared (a .mod file), for messages and `plexus models`.
    public let source: String

    public init(_ name: String, _ kind: Kind, _ doc: String, parameters: [ParameterSpec], constants: [CableField] = [],
                assigned: [CableField] = [], state: [CableField] = [], receivesEvents: Bool = false, coalescable: Bool = false,
                folding: ConductanceFolding = .none, ions: [IonUse] = [], areaField: String? = nil, source: String = "") {
        self.name = name; self.kind = kind; self.doc = doc; self.parameters = parameters
        self.constants = constants; self.assigned = assigned; self.state = state; self.receivesEvents = receivesEvents
        self.coalescable = coalescable; self.folding = folding; self.ions = ions; self.areaField = areaField
        self.source = source
    }

    /// An ion a mechanism uses: which of its per-CV quantities it reads and writes.
    public struct IonUse: Sendable, Equatable {
        public var name: String
        public var valence: Int
        public var readsReversal, readsInternal, readsExternal, writesCurrent, writesInternal, writesExternal: Bool
    }

    public var stateNames: [String] { state.map(\.name) }

    /// Every field in the kernels' order: constants, assigned, state.
    public var fields: [CableField] { constants + assigned + state }
    /// Index of a field (constants, then assigned, then state) by name.
    public func fieldIndex(_ name: String) -> Int? { fields.firstIndex { $0.name == name } }
    /// Fields a probe may read (`name.field`): assigned variables and states.
    public var probeable: [CableField] { (assigned + state).filter { !$0.name.hasPrefix("_") } }
}

/// A mechanism and its parameters in the engine's units (absent ones take the default).
public struct MechanismDescription: Sendable, Equatable, Codable {
    public var name: String
    public var params: [String: Double]
    public init(_ name: String, _ params: [String: Double] = [:]) { self.name = name; self.params = params }

    /// Checks the name and parameter names against `catalogue`; returns its entry.
    public func validated(kind: MechanismInfo.Kind? = nil, in catalogue: MechanismCatalogue = .builtin) throws -> MechanismInfo {
        guard let info = catalogue.info(name) else { throw PlexusError(catalogue.unknownMechanism(name), keyPath: "mechanism") }
        if let kind, kind != info.kind {
            throw PlexusError("'\(name)' is a \(info.kind == .density ? "density mechanism (paint it on a region)" : "point mechanism (place it at a locset)")", keyPath: "mechanism")
        }
        for (k, v) in params {
            guard info.parameters.contains(where: { $0.name == k }) else {
                throw PlexusError("mechanism '\(name)' has no parameter '\(k)'\(PlexusError.didYouMean(k, info.parameters.map(\.name))); its parameters: \(info.parameters.map(\.name).joined(separator: ", "))", keyPath: "params.\(k)")
            }
            guard v.isFinite else { throw PlexusError("\(name).\(k) must be a finite number, got \(v)", keyPath: "params.\(k)") }
        }
        return info
    }

    /// Validated as `validated(kind:in:)`: the mechanism's index in the catalogue's `ordered`,
    /// its kind and the parameter values in its `parameters` order.
    func resolved(kind: MechanismInfo.Kind, in catalogue: MechanismCatalogue) throws -> (index: Int, type: MechanismKind, values: [Double]) {
        _ = try validated(kind: kind, in: catalogue)
        let i = catalogue.index[name]!
        let type = catalogue.ordered[i]
        return (i, type, type.info.parameters.map { params[$0.name] ?? $0.defaultValue })
    }

    /// A parameter's value (given, else the built-in mechanism's default; NaN if neither).
    public func value(_ p: String) -> Double {
        params[p] ?? MechanismCatalog.all[name]?.parameters.first { $0.name == p }?.defaultValue ?? .nan
    }

    enum CodingKeys: String, CodingKey { case name, params }

    /// Written with every parameter, defaults filled in (the provenance record's resolved
    /// experiment); reading it back gives the same mechanism.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        var all = params
        for spec in MechanismCatalog.all[name]?.parameters ?? [] where all[spec.name] == nil { all[spec.name] = spec.defaultValue }
        try c.encode(all, forKey: .params)
    }
}
