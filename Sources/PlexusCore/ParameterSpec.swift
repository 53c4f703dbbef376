/// One declared parameter of a model kind (neuron model, synapse model, device, connection rule,
/// cable mechanism, neural-mass model, coupling): the single source for its default, unit, range,
/// validation and docs, for every engine.
public struct ParameterSpec: Sendable {
    public let name: String
    /// The unit the value is stored in (and the default given in); a user may write any unit of
    /// the same dimension.
    public let unit: PhysicalUnit
    public let defaultValue: Double
    /// The range a user is offered (TVB's `domain`, which its GUI and parameter explorations
    /// use); values outside it are allowed but reported where the engine says so. Unbounded
    /// unless declared.
    public let lo: Double
    public let hi: Double
    public let doc: String
    /// Whether +inf is a value a user may give though the default is finite (NEST's `V_th = inf`
    /// of the iaf_psc models: a neuron that never fires), where the model only compares with it.
    public private(set) var allowsPositiveInfinity = false

    public var dimension: Dimension { unit.dimension }

    /// This parameter, taking +inf too (see `allowsPositiveInfinity`).
    public func allowingPositiveInfinity() -> ParameterSpec {
        var s = self
        s.allowsPositiveInfinity = true
        return s
    }

    /// A parameter with a unit, as NEST and NEURON declare them: `.init("tau_m", .ms, 10, "membrane time constant")`.
    public init(_ name: String, _ unit: PhysicalUnit, _ defaultValue: Double, _ doc: String = "") {
        self.init(name, unit, defaultValue, lo: -.infinity, hi: .infinity, doc)
    }

    /// A dimensionless parameter with a range, as TVB declares them: `.init("a", 0.1, 0, 10, "...")`.
    public init(_ name: String, _ defaultValue: Double, _ lo: Double, _ hi: Double, _ doc: String) {
        self.init(name, .one, defaultValue, lo: lo, hi: hi, doc)
    }

    /// Refuses a user's value that no model can take: NaN, or an infinity unless the declared
    /// default is that same infinity (a bound a user may switch off, as NEST's `V_min = -inf` or
    /// a device's `stop = inf`). Infinities elsewhere reach step conversions (which trap) or
    /// propagators (NaN). Ranges a model needs beyond this (tau > 0) are the model's own checks.
    public func check(_ value: Double, keyPath: String) throws {
        if value.isNaN { throw PlexusError("\(name) is NaN", keyPath: keyPath) }
        if value.isInfinite && value != defaultValue && !(allowsPositiveInfinity && value > 0) {
            throw PlexusError("\(name) = \(value) \(unit.symbol) must be finite", keyPath: keyPath)
        }
    }

    public init(_ name: String, _ unit: PhysicalUnit, _ defaultValue: Double, lo: Double, hi: Double, _ doc: String) {
        self.name = name
        self.unit = unit
        self.defaultValue = defaultValue
        self.lo = lo
        self.hi = hi
        self.doc = doc
    }
}
