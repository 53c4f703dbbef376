// The NMODL syntax tree: what a .mod file says, before any meaning is given to it. The parser
// (Parser.swift) builds it; the lowering (NMODLLowering.swift) turns it into the model IR,
// where names are resolved and unsupported constructs are refused. Every statement and
// declaration keeps its 1-based source line so errors can say file:line.

/// An arithmetic or logical expression.
public indirect enum Expr: Equatable, Sendable, CustomStringConvertible {
    case number(Double)
    case name(String)
    /// -x, !x
    case unary(UnaryOp, Expr)
    case binary(BinaryOp, Expr, Expr)
    /// f(a, b): a FUNCTION of the file or a built-in (exp, log, fabs, pow, ...).
    case call(String, [Expr])

    public enum UnaryOp: String, Sendable { case negate = "-", not = "!" }
    public enum BinaryOp: String, Sendable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", power = "^"
        case less = "<", greater = ">", lessEqual = "<=", greaterEqual = ">=", equal = "==", notEqual = "!="
        case and = "&&", or = "||"
    }

    public var description: String {
        switch self {
        case .number(let x): return x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
        case .name(let n): return n
        case .unary(let op, let e): return "\(op.rawValue)(\(e))"
        case .binary(let op, let a, let b): return "(\(a) \(op.rawValue) \(b))"
        case .call(let f, let args): return "\(f)(\(args.map(\.description).joined(separator: ", ")))"
        }
    }
}

/// One term of a reaction side: `2 A` is (2, "A"). A name may carry an index in NMODL
/// (`C[i]`); arrays are refused by the parser.
public struct ReactionTerm: Equatable, Sendable {
    public var coefficient: Int
    public var name: String
    public init(_ coefficient: Int, _ name: String) { self.coefficient = coefficient; self.name = name }
}

public struct Statement: Equatable, Sendable {
    public var line: Int
    public var kind: Kind
    public init(line: Int, _ kind: Kind) { self.line = line; self.kind = kind }

    public indirect enum Kind: Equatable, Sendable {
        /// `x = e`
        case assign(String, Expr)
        /// `x' = e` (in a DERIVATIVE block)
        case derivative(String, Expr)
        /// `LOCAL a, b`
        case local([String])
        /// `if (c) { ... } else if ... else { ... }` (else-if chains nest in `otherwise`)
        case ifElse(Expr, [Statement], [Statement])
        /// `while (c) { ... }`
        case whileLoop(Expr, [Statement])
        /// A PROCEDURE (or FUNCTION, value unused) called as a statement: `rates(v)`.
        case call(String, [Expr])
        /// `SOLVE block [METHOD m]` / `SOLVE block STEADYSTATE m`.
        case solve(block: String, method: String?, steadyState: Bool)
        /// `~ a + b <-> c (kf, kb)`; `~ a -> (k)` (a one-way loss) has an empty `rhs` and a
        /// backward rate of 0.
        case reaction(lhs: [ReactionTerm], rhs: [ReactionTerm], forward: Expr, backward: Expr)
        /// `~ a << (flux)`: a flux into state `a`
        case flux(String, Expr)
        /// `CONSERVE a + b + c = total`
        case conserve([ReactionTerm], Expr)
        /// `~ lhs = rhs`: an equation of a LINEAR or NONLINEAR block (or, rarely, a DERIVATIVE
        /// block), e.g. NaV's `~ C1 + C2 + O = 1`; solved for the block's states.
        case equation(Expr, Expr)
        /// `TABLE names [DEPEND deps] FROM lo TO hi WITH n`: a cache NEURON may use; Plexus
        /// computes the values exactly and keeps the statement for the record.
        case table(names: [String], depend: [String], from: Expr, to: Expr, with: Expr)
        /// `net_send(delay, flag)`, `net_event(t)`, `WATCH ...`, `FOR_NETCONS`, `VERBATIM`, ...
        /// kept by name so the lowering can refuse it with its line (never silently skipped).
        case unsupported(String)
    }
}

/// A variable declared in PARAMETER, STATE, ASSIGNED or CONSTANT.
public struct Declaration: Equatable, Sendable {
    public var line: Int
    public var name: String
    /// The default (PARAMETER, CONSTANT) or the initial value (`x0 = 1` forms are not special).
    public var value: Double?
    /// The unit as written, e.g. "mV", "S/cm2", "1/ms", "mA/cm2"; nil when absent.
    public var unit: String?
    /// `<lo, hi>` range, when given.
    public var range: (Double, Double)? {
        get { rangeLow.flatMap { lo in rangeHigh.map { (lo, $0) } } }
        set { rangeLow = newValue?.0; rangeHigh = newValue?.1 }
    }
    public var rangeLow: Double?
    public var rangeHigh: Double?
    /// Arrays (`x[4]`) are refused by the parser, so this is always a scalar.
    public init(line: Int, name: String, value: Double? = nil, unit: String? = nil) {
        self.line = line; self.name = name; self.value = value; self.unit = unit
    }
}

/// `USEION ca READ eca, cai WRITE ica VALENCE 2`
public struct IonUse: Equatable, Sendable {
    public var line: Int
    public var ion: String
    public var read: [String]
    public var write: [String]
    public var valence: Int?
}

/// The NEURON block.
public struct NeuronBlock: Equatable, Sendable {
    public enum Kind: String, Sendable { case density = "SUFFIX", point = "POINT_PROCESS", artificial = "ARTIFICIAL_CELL" }
    public var line = 0
    public var kind: Kind = .density
    public var name = ""
    public var ions: [IonUse] = []
    public var nonspecificCurrents: [String] = []
    public var electrodeCurrents: [String] = []
    public var range: [String] = []
    public var global: [String] = []
    public var pointer: [String] = []
    /// THREADSAFE and other markers with no meaning for Plexus.
    public var threadsafe = false
    public init() {}
}

/// A PROCEDURE or FUNCTION.
public struct Callable: Equatable, Sendable {
    public var line: Int
    public var name: String
    public var arguments: [String]
    public var isFunction: Bool
    public var body: [Statement]
}

/// A named block of statements (DERIVATIVE, KINETIC, LINEAR, NONLINEAR).
public struct NamedBlock: Equatable, Sendable {
    public enum Kind: String, Sendable { case derivative = "DERIVATIVE", kinetic = "KINETIC", linear = "LINEAR", nonlinear = "NONLINEAR" }
    public var line: Int
    public var kind: Kind
    public var name: String
    public var body: [Statement]
}

/// One .mod file as written.
public struct NMODLFile: Equatable, Sendable {
    /// Where it was read from (for error messages).
    public var path: String
    public var title: String?
    public var neuron = NeuronBlock()
    /// UNITS block, both sides as written (whitespace collapsed): a unit alias keeps its
    /// parentheses, `(mV) = (millivolt)` is ("(mV)", "(millivolt)"); a named constant has none,
    /// `FARADAY = (faraday) (coulomb)` is ("FARADAY", "(faraday) (coulomb)") and
    /// `FARADAY = 96485.309 (coul)` is ("FARADAY", "96485.309 (coul)").
    public var units: [(name: String, definition: String, line: Int)] = []
    public var parameters: [Declaration] = []
    public var constants: [Declaration] = []
    public var states: [Declaration] = []
    public var assigned: [Declaration] = []
    /// Top-level `LOCAL a, b`: variables of the file shared by all instances (nocmodl makes them
    /// C statics), e.g. a Q10 factor cached per temperature.
    public var locals: [Declaration] = []
    /// `DEFINE NAME 10`: the parser has already put the value in place of the name in every
    /// expression and number; kept for the record.
    public var defines: [(name: String, value: Double, line: Int)] = []
    public var initial: [Statement]?
    public var breakpoint: [Statement]?
    public var blocks: [NamedBlock] = []
    public var callables: [Callable] = []
    /// NET_RECEIVE(arguments) { body }
    public var netReceive: (line: Int, arguments: [String], body: [Statement])?
    /// Top-level blocks the lowering must refuse (INDEPENDENT, UNITSON/OFF and comments are
    /// dropped by the parser; this holds e.g. VERBATIM, FUNCTION_TABLE, BEFORE/AFTER, and the
    /// NEURON block's EXTERNAL and RANDOM declarations), with line.
    public var unsupported: [(name: String, line: Int)] = []

    public init(path: String) { self.path = path }

    public static func == (a: NMODLFile, b: NMODLFile) -> Bool {
        a.path == b.path && a.title == b.title && a.neuron == b.neuron
            && a.units.map(\.name) == b.units.map(\.name) && a.units.map(\.definition) == b.units.map(\.definition)
            && a.parameters == b.parameters && a.constants == b.constants && a.states == b.states
            && a.assigned == b.assigned && a.locals == b.locals
            && a.defines.map(\.name) == b.defines.map(\.name) && a.defines.map(\.value) == b.defines.map(\.value)
            && a.initial == b.initial && a.breakpoint == b.breakpoint
            && a.blocks == b.blocks && a.callables == b.callables
            && a.netReceive?.line == b.netReceive?.line && a.netReceive?.arguments == b.netReceive?.arguments
            && a.netReceive?.body == b.netReceive?.body
            && a.unsupported.map(\.name) == b.unsupported.map(\.name)
    }
}
