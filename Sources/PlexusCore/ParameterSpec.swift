/// One declared parameter of a model kind (neuron model, synapse model, device, neural-mass model,
/// coupling): the single source for its default, unit, range, validation and docs, for every
/// engine (the cable engine's mechanisms still declare theirs with `CableParameterSpec`, whose
/// units are NEURON's).
public struct ParameterSpec: Sendable {
    public let name: String
    public let dimension: Dimension
    public let defaultValue: Double
    /// The range a user is offered (TVB's `domain`, which its GUI and parameter explorations
    /// use); values outside it are allowed but reported where the engine says so. Unbounded
    /// unless declared.
    public let lo: Double
    public let hi: Double
    public let doc: String

    /// A parameter with a unit, as NEST declares them: `.init("tau_m", .time, 10, "membrane time constant")`.
    public init(_ name: String, _ dimension: Dimension, _ defaultValue: Double, _ doc: String = "") {
        self.init(name, dimension, defaultValue, lo: -.infinity, hi: .infinity, doc)
    }

    /// A dimensionless parameter with a range, as TVB declares them: `.init("a", 0.1, 0, 10, "...")`.
    public init(_ name: String, _ defaultValue: Double, _ lo: Double, _ hi: Double, _ doc: String) {
        self.init(name, .dimensionless, defaultValue, lo: lo, hi: hi, doc)
    }

    public init(_ name: String, _ dimension: Dimension, _ defaultValue: Double, lo: Double, hi: Double, _ doc: String) {
        self.name = name
        self.dimension = dimension
        self.defaultValue = defaultValue
        self.lo = lo
        self.hi = hi
        self.doc = doc
    }
}
