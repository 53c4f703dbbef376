import PlexusCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The seam between the delayed-coupling machinery and TVB's long-range coupling functions,
// `c_i = post( sum_j w_ij * pre(x_i, x_j(t - tau_ij)) )`, evaluated once per step from the
// history (the state at t_n and the delayed states) and used by every stage of the integrator.
//
// A coupling is one file in Couplings/: its TVB name, parameters (default, range, doc as TVB
// declares them), `pre` and `post`, and how TVB evaluates it. The formulas are written once,
// generic over the arithmetic: the float64 engine runs them in Double, the float32 option (TVB's
// own arithmetic) runs `pre` on float32 history values the way numpy promotes types. The engine
// (DelayedCoupling.swift) is generic over the coupling type and specialised once per run.

/// Floating-point arithmetic the coupling formulas are written in: `Double` (the float64 engine,
/// and TVB wherever a float64 parameter enters) and `Float` (TVB's float32 history).
public protocol CouplingReal: BinaryFloatingPoint {
    static func exp(_ x: Self) -> Self
    static func sin(_ x: Self) -> Self
    static func cos(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
}

extension Double: CouplingReal {
    @inlinable @inline(__always) public static func exp(_ x: Double) -> Double { _exp(x) }
    @inlinable @inline(__always) public static func sin(_ x: Double) -> Double { _sin(x) }
    @inlinable @inline(__always) public static func cos(_ x: Double) -> Double { _cos(x) }
    @inlinable @inline(__always) public static func tanh(_ x: Double) -> Double { _couplingTanh(x) }
}

extension Float: CouplingReal {
    @inlinable @inline(__always) public static func exp(_ x: Float) -> Float { _couplingExpf(x) }
    @inlinable @inline(__always) public static func sin(_ x: Float) -> Float { _couplingSinf(x) }
    @inlinable @inline(__always) public static func cos(_ x: Float) -> Float { _couplingCosf(x) }
    @inlinable @inline(__always) public static func tanh(_ x: Float) -> Float { _couplingTanhf(x) }
}

@usableFromInline func _couplingTanh(_ x: Double) -> Double { tanh(x) }
@usableFromInline func _couplingExpf(_ x: Float) -> Float { expf(x) }
@usableFromInline func _couplingSinf(_ x: Float) -> Float { sinf(x) }
@usableFromInline func _couplingCosf(_ x: Float) -> Float { cosf(x) }
@usableFromInline func _couplingTanhf(_ x: Float) -> Float { tanhf(x) }

/// The coupling variables of one region as a formula sees them: `x[k]` is the k-th coupling
/// variable that enters the output being computed (`x[0]` for one-variable couplings; `x[0]`,
/// `x[1]` = y1, y2 for SigmoidalJansenRit), or the k-th history channel of that output.
public struct CouplingValues<T> {
    @usableFromInline let base: UnsafePointer<T>
    @usableFromInline let offsets: UnsafePointer<Int>

    @inlinable init(_ base: UnsafePointer<T>, _ offsets: UnsafePointer<Int>) {
        self.base = base
        self.offsets = offsets
    }

    @inlinable public subscript(k: Int) -> T { base[offsets[k]] }
}

/// How TVB 2.10 evaluates a coupling, which fixes its float32 arithmetic (history and weights are
/// float32 in TVB's SparseHistory).
public enum TVBCouplingForm: Sendable {
    /// A `SparseCoupling`: `pre` over the nonzero weights of each row in column order, products
    /// summed like `numpy.add.reduceat` into an array of the history's type (float32).
    case sparse
    /// A plain `Coupling`: `pre` over every column (delayed state 0 where the weight is 0), products
    /// summed like `ndarray.sum(axis)` in the type of the products.
    case dense
}

/// A TVB long-range coupling function. Every conformance in this module is listed in
/// `MassCouplings.all`; one new file in Couplings/ adds a coupling.
///
/// Types follow numpy's promotion in TVB: operations among history values happen in `H` (Float in
/// the float32 option, Double otherwise), operations with a parameter (float64 arrays in TVB) in
/// `P`. `pre` must convert to `P` exactly where TVB's expression first meets a parameter.
// @registry(MassCouplings.all)
public protocol MassCoupling: Sendable {
    /// TVB's class name, e.g. `Linear`.
    static var name: String { get }
    static var doc: String { get }
    static var parameters: [ParameterSpec] { get }

    /// Coupling variables that enter one output (`pre` reads `x[0] ..< x[inputsPerOutput]`): 1 when
    /// each coupling variable is coupled on its own, 2 for SigmoidalJansenRit (y1 - y2).
    static var inputsPerOutput: Int { get }
    /// Why a model with `couplingVariables` coupling variables cannot use this coupling, or nil.
    static func unsupported(couplingVariables: Int) -> String?
    /// Why these parameter values (in the order of `parameters`) cannot run, and the parameter
    /// to name, or nil.
    static func unsupported(parameters values: [Double]) -> (parameter: String, reason: String)?

    /// How TVB evaluates it (which sums are float32).
    static var tvbForm: TVBCouplingForm { get }
    /// The type of `pre` in TVB's float32 arithmetic: Float while `pre` only combines history
    /// values (x_j, x_j - x_i, sin(x_j - x_i)), Double once it involves a parameter.
    associatedtype TVBPre: CouplingReal

    /// Parameter values in the order of `parameters`, for a model with `couplingVariables`
    /// coupling variables.
    init(_ values: [Double], couplingVariables: Int)

    /// TVB's pre-summation function of target values `xi` (at t_n) and delayed source values `xj`.
    func pre<H: CouplingReal, P: CouplingReal>(_ xi: CouplingValues<H>, _ xj: CouplingValues<H>) -> P
    /// TVB's post-summation function of the weighted sum (float64 in TVB for every coupling).
    func post(_ gx: Double) -> Double

    // The float64 engine sums delayed values from a history written once per step, in time
    // blocks, so what it sums must depend on the source only. A `pre` that reads the target is
    // split: `history` gives the source terms, `gather` combines their sums with the target.

    /// Whether `pre` reads the target (then `history` and `gather` split it into source terms).
    static var preReadsTarget: Bool { get }
    /// Whether the float64 history holds the coupling variables themselves (`history` is the
    /// identity): the state is copied and zero-delay self-connections are read from it.
    static var historyHoldsState: Bool { get }
    /// Float64 history channels per output.
    static var historyChannelsPerOutput: Int { get }
    /// The float64 history channels of one output for source values `xj`.
    func history(_ xj: CouplingValues<Double>, _ out: UnsafeMutablePointer<Double>)
    /// `gx` of one output from the weighted sums `s[k]` of its history channels, the target's
    /// values `xi` and its sum of weights.
    func gather(_ s: CouplingValues<Double>, _ xi: CouplingValues<Double>, rowSum: Double) -> Double

    /// The engine of one run, specialised for this coupling type (implemented once, below; a
    /// coupling does not implement it).
    static func makeDelayedCoupling(_ setup: DelayedCouplingSetup) -> DelayedCouplingRun
}

extension MassCoupling {
    public static var inputsPerOutput: Int { 1 }
    public static func unsupported(couplingVariables: Int) -> String? { nil }
    public static func unsupported(parameters values: [Double]) -> (parameter: String, reason: String)? { nil }
    public static var preReadsTarget: Bool { false }
    public static var historyHoldsState: Bool { false }
    public static var historyChannelsPerOutput: Int { 1 }

    /// Coupling terms produced from `ncvar` coupling variables.
    public static func outputs(ncvar: Int) -> Int { ncvar / inputsPerOutput }
    /// Float64 history channels for `ncvar` coupling variables.
    static func historyChannels(ncvar: Int) -> Int { outputs(ncvar: ncvar) * historyChannelsPerOutput }

    public static func parameterIndex(_ name: String) -> Int? { parameters.firstIndex { $0.name == name } }
    public static var defaults: [Double] { parameters.map(\.defaultValue) }

    /// A `pre` of the source only, applied as a state enters the history.
    @inlinable @inline(__always)
    public func history(_ xj: CouplingValues<Double>, _ out: UnsafeMutablePointer<Double>) {
        out[0] = pre(xj, xj) as Double
    }

    @inlinable @inline(__always)
    public func gather(_ s: CouplingValues<Double>, _ xi: CouplingValues<Double>, rowSum: Double) -> Double { s[0] }

    public static func makeDelayedCoupling(_ setup: DelayedCouplingSetup) -> DelayedCouplingRun {
        makeDelayedCouplingRun(self, setup)
    }
}

/// Every coupling the engine knows, by TVB class name (`all` is generated from the conformances).
public enum MassCouplings {
    public static func named(_ name: String) -> (any MassCoupling.Type)? { all.first { $0.name == name } }

    public static var names: [String] { all.map { $0.name } }
}

// MARK: - Compatibility

/// A coupling kind by TVB name (the couplings were an enum; `MassCouplings.all` lists them now).
public struct CouplingKind: RawRepresentable, CaseIterable, Hashable, Sendable {
    public let type: any MassCoupling.Type

    public init(_ type: any MassCoupling.Type) { self.type = type }

    public init?(rawValue: String) {
        guard let t = MassCouplings.named(rawValue) else { return nil }
        type = t
    }

    public var rawValue: String { type.name }
    public static var allCases: [CouplingKind] { MassCouplings.all.map(CouplingKind.init) }
    public var parameters: [ParameterSpec] { type.parameters }
    public func outputs(ncvar: Int) -> Int { type.outputs(ncvar: ncvar) }
}
