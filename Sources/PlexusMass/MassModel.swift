import PlexusCore

// The seam between the neural-mass engine and its models, TVB style: a model declares its
// parameters (name, default, suggested range, doc), state variables (initial range and hard
// boundaries), coupling variables and default variables of interest once; that one declaration
// feeds validation, sweeps, `plexus models` and the provenance record. The engine owns the
// state (structure of arrays, `x[v*stride + i]`) and calls `dfun` over ranges of regions.

/// One state variable: TVB's `state_variable_range` (where random initial conditions are drawn)
/// and `state_variable_boundaries` (hard bounds the integrator clamps to after every stage).
public struct MassStateVariable: Sendable {
    public let name: String
    public let rangeLo: Double
    public let rangeHi: Double
    public let lower: Double?
    public let upper: Double?

    public init(_ name: String, range: (Double, Double), lower: Double? = nil, upper: Double? = nil) {
        self.name = name
        self.rangeLo = range.0
        self.rangeHi = range.1
        self.lower = lower
        self.upper = upper
    }
}

/// A neural-mass model kind. Every conformance in this module is listed in `MassModels.all`.
// @registry(MassModels.all)
public protocol MassModel: Sendable {
    /// TVB's class name, e.g. `Generic2dOscillator`.
    static var name: String { get }
    static var doc: String { get }
    static var parameters: [ParameterSpec] { get }
    static var stateVariables: [MassStateVariable] { get }
    /// TVB's `cvar`: indices of the state variables that enter the coupling (and the history).
    static var couplingVariables: [Int] { get }
    /// How many coupling terms `dfun` reads (`c[0]`, `c[1]`...).
    static var couplingTerms: Int { get }
    /// TVB's default `variables_of_interest` (what monitors record unless told otherwise).
    static var variablesOfInterest: [String] { get }

    /// Parameter values in the order of `parameters`.
    init(_ values: [Double])

    /// Derivatives of regions `range`: state `x[v*stride + i]`, coupling `c[m*stride + i]`,
    /// result `dx[v*stride + i]`. Expression order follows TVB's kernels (numba/numpy), so the
    /// float64 arithmetic is the same operation by operation.
    func dfun(_ x: UnsafePointer<Double>, _ c: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>,
              stride: Int, range: Range<Int>)
}

extension MassModel {
    public static func parameterIndex(_ name: String) -> Int? { parameters.firstIndex { $0.name == name } }
    public static func stateIndex(_ name: String) -> Int? { stateVariables.firstIndex { $0.name == name } }
    public static var defaults: [Double] { parameters.map(\.defaultValue) }
}

/// Every model the engine knows, by TVB class name (`all` is generated from the conformances).
public enum MassModels {
    public static func named(_ name: String) -> (any MassModel.Type)? { all.first { $0.name == name } }

    public static var names: [String] { all.map { $0.name } }
}
