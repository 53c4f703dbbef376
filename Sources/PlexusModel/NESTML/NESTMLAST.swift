// The NESTML syntax tree: what a .nestml file says, before any meaning is given to it. The
// parser (NESTMLParser.swift) builds it from NESTML 9's grammar (PyNestMLParser.g4); a lowering gives
// names their meaning, checks units and refuses what Plexus cannot run. Every declaration,
// equation, port, statement and block keeps its 1-based source line; expressions and units are
// plain values (no lines) so they compare structurally and map one to one onto the model
// language's `Expr` (Symbolic.swift): number, variable (name), unary, binary, call, plus the
// NESTML extras (quantities with units, booleans, strings, inf, the ternary).
//
// All the types live in the `NESTML` namespace (`NESTML.Expr`, `NESTML.Model`, ...) so that they
// never clash with the NMODL tree's `Expr`, `Statement` and `Declaration`.

/// Namespace of the NESTML front end's syntax tree.
public enum NESTML {}

extension NESTML {
    // MARK: - Units and types

    /// An exact rational exponent of a unit: `ms**-1` is -1/1, `m**(1/2)` is 1/2, `s**1.5` is 3/2.
    public struct Rational: Equatable, Hashable, Sendable, CustomStringConvertible {
        public var numerator: Int
        public var denominator: Int
        /// Reduced, with a positive denominator.
        public init(_ numerator: Int, _ denominator: Int = 1) {
            var (n, d) = denominator < 0 ? (-numerator, -denominator) : (numerator, denominator)
            var (a, b) = (abs(n), d)
            while b != 0 { (a, b) = (b, a % b) }
            if a > 1 { n /= a; d /= a }
            self.numerator = n
            self.denominator = d
        }
        public var value: Double { Double(numerator) / Double(denominator) }
        public var description: String {
            if denominator == 1 { return String(numerator) }
            return numerator < 0 ? "-(\(-numerator)/\(denominator))" : "(\(numerator)/\(denominator))"
        }
    }

    /// A physical unit as written: `mV`, `1/ms`, `nS/ms`, `ms**-1*mV**-1`, `(mV*ms)**(1/2)`.
    /// Parentheses are not kept (the tree is the grouping).
    public indirect enum UnitExpr: Equatable, Hashable, Sendable, CustomStringConvertible {
        /// A unit name with its SI prefix, as written: `mV`, `pA`, `ms`, `nS`, `Hz`.
        case symbol(String)
        /// The integer before `/` in `1/ms` (the grammar allows no other numbers in a unit).
        case factor(Int)
        /// `a * b`
        case product(UnitExpr, UnitExpr)
        /// `a / b`
        case quotient(UnitExpr, UnitExpr)
        /// `a ** e`
        case power(UnitExpr, Rational)

        /// Every unit name in the expression, in order of appearance.
        public var symbols: [String] {
            switch self {
            case .symbol(let s): return [s]
            case .factor: return []
            case .product(let a, let b), .quotient(let a, let b): return a.symbols + b.symbols
            case .power(let a, _): return a.symbols
            }
        }

        /// NESTML source for the unit, parenthesised only where the grammar needs it.
        public var description: String { text(0) }

        /// Unit precedences: `*` and `/` 1 (left-associative), `**` 2, names and numbers 3.
        /// `1/...` takes a whole product on its right (`1/ms*mV` is `1/(ms*mV)`), so it is
        /// parenthesised wherever it is an operand.
        func text(_ context: Int) -> String {
            switch self {
            case .symbol(let s): return s
            case .factor(let n): return String(n)
            case .product(let a, let b), .quotient(let a, let b):
                let op: String
                if case .product = self { op = "*" } else { op = "/" }
                let s: String
                if case .factor(let n) = a, op == "/" {
                    let right = b.text(2)
                    s = "\(n)/" + right
                    return context > 0 ? "(\(s))" : s
                }
                s = a.text(1) + op + b.text(2)
                return context > 1 ? "(\(s))" : s
            case .power(let a, let e):
                let s = "\(a.text(3))**\(e)"
                return context > 2 ? "(\(s))" : s
            }
        }
    }

    /// The type of a declaration, parameter, inline expression, continuous port or function result.
    public enum DataType: Equatable, Hashable, Sendable, CustomStringConvertible {
        case integer, real, string, boolean, void
        /// A physical unit (a real number in that unit).
        case unit(UnitExpr)

        public var description: String {
            switch self {
            case .integer: return "integer"
            case .real: return "real"
            case .string: return "string"
            case .boolean: return "boolean"
            case .void: return "void"
            case .unit(let u): return u.description
            }
        }
    }

    // MARK: - Expressions

    /// A variable reference (or the left side of an ODE, assignment or declaration): `V_m`,
    /// `V_m'` (order 1), `g_ex''` (order 2), `spikes[i]`, `rate_values[N]` (a vector's size in a
    /// declaration). NESTML names may contain `$` (`g_AMPA$`).
    public struct Variable: Equatable, Hashable, Sendable, CustomStringConvertible {
        public var name: String
        /// The `[...]` after the name: an element of a vector, or a vector's size in a declaration.
        public var index: Expr?
        /// The number of primes: the order of the derivative.
        public var order: Int

        public init(_ name: String, index: Expr? = nil, order: Int = 0) {
            self.name = name; self.index = index; self.order = order
        }

        public var description: String {
            name + (index.map { "[\($0)]" } ?? "") + String(repeating: "'", count: order)
        }
    }

    /// An expression. Parentheses are not kept: the tree is the grouping, and `description`
    /// prints NESTML source that parses back to the same tree.
    public indirect enum Expr: Equatable, Hashable, Sendable, CustomStringConvertible {
        /// A numeric literal, with the unit written after it: `10` (integer), `0.1`, `250 pF`,
        /// `0.1 ms**-1*mV**-1` (the unit binds tighter than any operator, as in NESTML).
        case number(Double, isInteger: Bool, unit: UnitExpr?)
        case boolean(Bool)
        case string(String)
        /// `inf`
        case infinity
        /// A variable, a unit used as a value (`1/ms` is 1 divided by the variable `ms`), or a
        /// predefined constant (`t`, `e`, `pi`): names are resolved by the lowering.
        case variable(Variable)
        /// `f(a, b)`: a function of the model or a built-in (`exp`, `convolve`, `steps`,
        /// `random_normal`, `integrate_odes`, `emit_spike`, ...).
        case call(String, [Expr])
        case unary(UnaryOp, Expr)
        case binary(BinaryOp, Expr, Expr)
        /// `condition ? ifTrue : ifFalse`
        case conditional(Expr, Expr, Expr)

        public enum UnaryOp: String, Sendable, CaseIterable {
            case plus = "+", minus = "-", bitNot = "~", not = "not"
        }

        public enum BinaryOp: String, Sendable, CaseIterable {
            case power = "**"
            case multiply = "*", divide = "/", floorDivide = "//", modulo = "%"
            case add = "+", subtract = "-"
            case bitAnd = "&", bitXor = "^", bitOr = "|", shiftLeft = "<<", shiftRight = ">>"
            case less = "<", lessEqual = "<=", equal = "==", notEqual = "!=", greaterEqual = ">=", greater = ">"
            case and = "and", or = "or"

            /// NESTML's binding strength (the ANTLR grammar's precedence levels): `**` 10,
            /// `* / // %` 8, `+ -` 7, bit operators 6, comparisons 5, `and`/`or` 3 (one level,
            /// left-associative: `a or b and c` is `(a or b) and c`). Unary `+ - ~` bind at 9
            /// (`-a**2` is `-(a**2)`), `not` at 4 (`not a == b` is `not (a == b)`), the ternary at 2.
            public var precedence: Int {
                switch self {
                case .power: return 10
                case .multiply, .divide, .floorDivide, .modulo: return 8
                case .add, .subtract: return 7
                case .bitAnd, .bitXor, .bitOr, .shiftLeft, .shiftRight: return 6
                case .less, .lessEqual, .equal, .notEqual, .greaterEqual, .greater: return 5
                case .and, .or: return 3
                }
            }
        }

        /// Shorthand for a unitless number.
        public static func num(_ x: Double) -> Expr { .number(x, isInteger: false, unit: nil) }
        /// Shorthand for an integer literal.
        public static func int(_ n: Int) -> Expr { .number(Double(n), isInteger: true, unit: nil) }
        /// Shorthand for a plain variable reference.
        public static func name(_ n: String, order: Int = 0) -> Expr { .variable(Variable(n, order: order)) }

        /// Calls `body` on the expression and every subexpression (vector indices included),
        /// parents before children.
        public func forEachNode(_ body: (Expr) -> Void) {
            body(self)
            switch self {
            case .number, .boolean, .string, .infinity: break
            case .variable(let v): v.index?.forEachNode(body)
            case .call(_, let args): for a in args { a.forEachNode(body) }
            case .unary(_, let a): a.forEachNode(body)
            case .binary(_, let a, let b): a.forEachNode(body); b.forEachNode(body)
            case .conditional(let c, let a, let b): c.forEachNode(body); a.forEachNode(body); b.forEachNode(body)
            }
        }

        /// Every variable name read (derivatives included, function names excluded).
        public var variableNames: Set<String> {
            var out = Set<String>()
            forEachNode { if case .variable(let v) = $0 { out.insert(v.name) } }
            return out
        }

        /// Every function called, with nesting.
        public var calledFunctions: Set<String> {
            var out = Set<String>()
            forEachNode { if case .call(let f, _) = $0 { out.insert(f) } }
            return out
        }

        /// The binding strength of the expression's top operator (11 for atoms).
        var precedence: Int {
            switch self {
            case .binary(let op, _, _): return op.precedence
            case .unary(.not, _): return 4
            case .unary: return 9
            case .conditional: return 2
            default: return 11
            }
        }

        /// NESTML source, parenthesised only where needed: parsing it gives this tree back.
        public var description: String { source(unitGuard: false) }

        /// `unitGuard`: the text is followed by `*`, `/` or `**`, which would extend the unit of
        /// a number that ends it (`(2 ms) * tau` is not `2 ms*tau`), so such a number is
        /// parenthesised.
        func source(unitGuard: Bool) -> String {
            switch self {
            case .number(let x, let isInteger, let unit):
                var s = isInteger && x.magnitude < 1e18 ? String(Int64(x)) : Expr.realLiteral(x)
                if let unit { s += " " + unit.description }
                return unit != nil && unitGuard ? "(\(s))" : s
            case .boolean(let b): return b ? "true" : "false"
            case .string(let s): return Expr.quoted(s)
            case .infinity: return "inf"
            case .variable(let v): return v.description
            case .call(let f, let args): return "\(f)(\(args.map(\.description).joined(separator: ", ")))"
            case .unary(let op, let a):
                let inner = a.precedence < precedence ? "(\(a))" : a.source(unitGuard: unitGuard)
                switch op {
                case .not: return "not " + inner
                default:
                    // `- -x`, not `--x`.
                    if case .unary = a { return op.rawValue + " " + inner }
                    return op.rawValue + inner
                }
            case .binary(let op, let a, let b):
                let p = op.precedence
                let rightAssoc = op == .power
                let extendsUnit = op == .multiply || op == .divide || op == .power
                let left = a.precedence < p || (rightAssoc && a.precedence <= p) ? "(\(a))" : a.source(unitGuard: extendsUnit)
                let right = b.precedence < p || (!rightAssoc && b.precedence <= p) ? "(\(b))" : b.source(unitGuard: unitGuard)
                return "\(left) \(op.rawValue) \(right)"
            case .conditional(let c, let t, let f):
                let cs = c.precedence <= 2 ? "(\(c))" : c.description
                let fs = f.precedence <= 2 ? "(\(f))" : f.source(unitGuard: unitGuard)
                return "\(cs) ? \(t) : \(fs)"
            }
        }

        /// Every operator application in parentheses: `(a - (b * (c ** (-2))))`. For reading
        /// precedence in tests and messages.
        public var parenthesized: String {
            switch self {
            case .number, .boolean, .string, .infinity, .variable: return description
            case .call(let f, let args): return "\(f)(\(args.map(\.parenthesized).joined(separator: ", ")))"
            case .unary(let op, let a): return "(\(op == .not ? "not " : op.rawValue)\(a.parenthesized))"
            case .binary(let op, let a, let b): return "(\(a.parenthesized) \(op.rawValue) \(b.parenthesized))"
            case .conditional(let c, let t, let f): return "(\(c.parenthesized) ? \(t.parenthesized) : \(f.parenthesized))"
            }
        }

        static func realLiteral(_ x: Double) -> String {
            if x.isInfinite { return x > 0 ? "inf" : "-inf" }
            let s = "\(x)"
            return s.contains(".") || s.contains("e") || s.contains("n") ? s : s + ".0"
        }

        static func quoted(_ s: String) -> String {
            var out = "\""
            for c in s {
                switch c {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                default: out.append(c)
                }
            }
            return out + "\""
        }
    }

    // MARK: - Declarations and equations

    /// `@homogeneous`, `@heterogeneous`, `@namespace::name` after a declaration, ODE or inline.
    public enum Decorator: Equatable, Hashable, Sendable {
        case homogeneous, heterogeneous
        case namespaced(namespace: String, name: String)
    }

    /// A variable declaration in a state, parameters or internals block, or a local one in a
    /// statement block: `V_m mV = E_L`, `a, b real = 0`, `rate_times[N] ms = 0 ms`,
    /// `recordable x real = 1 [[x >= 0]]`.
    public struct Declaration: Equatable, Sendable {
        public var line: Int
        /// The names declared, each with its vector size (`index`) and primes (`V_m' mV/ms` in
        /// an old-style state block).
        public var variables: [Variable]
        public var type: DataType
        /// The default or initial value.
        public var value: Expr?
        /// `[[ invariant ]]`: a condition the value must meet.
        public var invariant: Expr?
        public var isRecordable: Bool
        /// `inline` before the names (the grammar allows it; the model library does not use it).
        public var isInline: Bool
        public var decorators: [Decorator]
        /// The comment after the declaration on its line (its documentation), or "".
        public var doc = ""

        public init(line: Int, variables: [Variable], type: DataType, value: Expr? = nil, invariant: Expr? = nil,
                    isRecordable: Bool = false, isInline: Bool = false, decorators: [Decorator] = []) {
            self.line = line; self.variables = variables; self.type = type; self.value = value
            self.invariant = invariant; self.isRecordable = isRecordable; self.isInline = isInline
            self.decorators = decorators
        }
    }

    /// `x' = rhs` (or `x'' = rhs`, ...) in an equations block.
    public struct ODE: Equatable, Sendable {
        public var line: Int
        /// The left side: the variable with its order (the grammar allows order 0; the lowering
        /// refuses it).
        public var lhs: Variable
        public var rhs: Expr
        public var decorators: [Decorator]
        public init(line: Int, lhs: Variable, rhs: Expr, decorators: [Decorator] = []) {
            self.line = line; self.lhs = lhs; self.rhs = rhs; self.decorators = decorators
        }
    }

    /// `kernel g = exp(-t/tau)`, or several in one statement, one per line after a trailing
    /// comma: `kernel g' = g$ - g/tau2, g$' = -g$/tau1`.
    public struct Kernel: Equatable, Sendable {
        public struct Definition: Equatable, Sendable {
            public var line: Int
            public var variable: Variable
            public var expr: Expr
            public init(line: Int, variable: Variable, expr: Expr) { self.line = line; self.variable = variable; self.expr = expr }
        }
        public var line: Int
        public var definitions: [Definition]
        public init(line: Int, definitions: [Definition]) { self.line = line; self.definitions = definitions }
    }

    /// `recordable inline I_syn pA = convolve(g, spikes) * (E - V_m)`
    public struct InlineExpression: Equatable, Sendable {
        public var line: Int
        public var name: String
        public var type: DataType
        public var expr: Expr
        public var isRecordable: Bool
        public var decorators: [Decorator]
        public init(line: Int, name: String, type: DataType, expr: Expr, isRecordable: Bool = false, decorators: [Decorator] = []) {
            self.line = line; self.name = name; self.type = type; self.expr = expr
            self.isRecordable = isRecordable; self.decorators = decorators
        }
    }

    /// One item of an equations block.
    public enum Equation: Equatable, Sendable {
        case ode(ODE)
        case kernel(Kernel)
        case inline(InlineExpression)

        public var line: Int {
            switch self {
            case .ode(let e): return e.line
            case .kernel(let k): return k.line
            case .inline(let i): return i.line
            }
        }
    }

    // MARK: - Ports

    /// `name type`: a function's parameter, or an attribute of a port (`spike(weight pA)`).
    public struct Parameter: Equatable, Sendable {
        public var name: String
        public var type: DataType
        public init(name: String, type: DataType) { self.name = name; self.type = type }
    }

    /// `name = literal` in `onReceive(port, priority=1)` or `onCondition(c, ...)`.
    public struct ConstParameter: Equatable, Sendable {
        public var name: String
        /// A literal: number, boolean, string or `inf`.
        public var value: Expr
        public init(name: String, value: Expr) { self.name = name; self.value = value }
    }

    public enum InputQualifier: String, Equatable, Hashable, Sendable {
        case excitatory, inhibitory
    }

    /// One line of the input block: `exc_spikes <- excitatory spike`, `spikes[N] <- spike`,
    /// `I_stim pA <- continuous`.
    public struct InputPort: Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            /// A spike port with its qualifiers (in order, as written).
            case spike(qualifiers: [InputQualifier])
            /// A continuous-time port of the given type.
            case continuous(DataType)
        }
        public var line: Int
        public var name: String
        /// `[N]`: a vector of ports.
        public var size: Expr?
        public var kind: Kind
        /// Attributes written after the port, `<- spike(weight pA)` (none in the model library).
        public var attributes: [Parameter]

        public init(line: Int, name: String, size: Expr? = nil, kind: Kind, attributes: [Parameter] = []) {
            self.line = line; self.name = name; self.size = size; self.kind = kind; self.attributes = attributes
        }

        public var isSpike: Bool { if case .spike = kind { return true } else { return false } }
        public var qualifiers: [InputQualifier] { if case .spike(let q) = kind { return q } else { return [] } }
    }

    /// The output block: `output:` then `spike` (or `continuous`) on an indented line.
    public struct OutputPort: Equatable, Sendable {
        public enum Kind: String, Equatable, Sendable { case spike, continuous }
        public var line: Int
        public var kind: Kind
        /// `spike(weight real, delay ms)` attributes, when written.
        public var attributes: [Parameter]
        public init(line: Int, kind: Kind, attributes: [Parameter] = []) {
            self.line = line; self.kind = kind; self.attributes = attributes
        }
    }

    // MARK: - Statements

    public enum AssignmentOp: String, Equatable, Sendable, CaseIterable {
        case assign = "=", add = "+=", subtract = "-=", multiply = "*=", divide = "/=", floorDivide = "//="
    }

    /// One `if` / `elif` branch.
    public struct Branch: Equatable, Sendable {
        public var line: Int
        public var condition: Expr
        public var body: [Statement]
        public init(line: Int, condition: Expr, body: [Statement]) { self.line = line; self.condition = condition; self.body = body }
    }

    /// A statement of an update, onReceive, onCondition or function block.
    public struct Statement: Equatable, Sendable {
        public var line: Int
        public var kind: Kind
        public init(line: Int, _ kind: Kind) { self.line = line; self.kind = kind }

        public indirect enum Kind: Equatable, Sendable {
            /// `x = e`, `x += e`, `w[i] -= e`, ...
            case assignment(Variable, AssignmentOp, Expr)
            /// A local variable: `w_ real = ...`.
            case declaration(Declaration)
            /// A call as a statement: `integrate_odes(V_m)`, `emit_spike()`, `println("...")`.
            case call(String, [Expr])
            /// `return` or `return e`
            case `return`(Expr?)
            /// `if c: ... elif d: ... else: ...` (the `if` and every `elif` in `branches`).
            case `if`(branches: [Branch], otherwise: [Statement]?)
            /// `for i in from ... to step s:` (the step is a signed literal).
            case `for`(variable: String, from: Expr, to: Expr, step: Double, body: [Statement])
            /// `while c:`
            case `while`(Expr, [Statement])
        }
    }

    // MARK: - Blocks and models

    /// `function name(a mV, b real) 1/ms:` with its statements.
    public struct Function: Equatable, Sendable {
        public var line: Int
        public var name: String
        public var parameters: [Parameter]
        /// nil when the function returns nothing (no type written).
        public var returnType: DataType?
        public var body: [Statement]
        public init(line: Int, name: String, parameters: [Parameter], returnType: DataType?, body: [Statement]) {
            self.line = line; self.name = name; self.parameters = parameters; self.returnType = returnType; self.body = body
        }
    }

    /// `onReceive(port, priority=1):` with its statements.
    public struct OnReceive: Equatable, Sendable {
        public var line: Int
        public var port: String
        public var parameters: [ConstParameter]
        public var body: [Statement]
        public init(line: Int, port: String, parameters: [ConstParameter] = [], body: [Statement]) {
            self.line = line; self.port = port; self.parameters = parameters; self.body = body
        }
    }

    /// `onCondition(V_m >= V_th):` with its statements.
    public struct OnCondition: Equatable, Sendable {
        public var line: Int
        public var condition: Expr
        public var parameters: [ConstParameter]
        public var body: [Statement]
        public init(line: Int, condition: Expr, parameters: [ConstParameter] = [], body: [Statement]) {
            self.line = line; self.condition = condition; self.parameters = parameters; self.body = body
        }
    }

    /// One block of a model body, with the line of its header.
    public struct Block: Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            case state([Declaration])
            case parameters([Declaration])
            case internals([Declaration])
            case equations([Equation])
            case input([InputPort])
            case output(OutputPort)
            case update([Statement])
            case onReceive(OnReceive)
            case onCondition(OnCondition)
            case function(Function)
        }
        public var line: Int
        public var kind: Kind
        public init(line: Int, _ kind: Kind) { self.line = line; self.kind = kind }

        /// The block's keyword: `state`, `parameters`, ..., `onReceive`, `function`.
        public var keyword: String {
            switch kind {
            case .state: return "state"
            case .parameters: return "parameters"
            case .internals: return "internals"
            case .equations: return "equations"
            case .input: return "input"
            case .output: return "output"
            case .update: return "update"
            case .onReceive: return "onReceive"
            case .onCondition: return "onCondition"
            case .function: return "function"
            }
        }
    }

    /// `model name:` and its blocks. NESTML allows a block kind more than once (two state
    /// blocks are one state); the accessors below join them in source order.
    public struct Model: Equatable, Sendable {
        public var line: Int
        public var name: String
        /// The blocks in source order.
        public var blocks: [Block]
        public init(line: Int, name: String, blocks: [Block]) { self.line = line; self.name = name; self.blocks = blocks }

        public var state: [Declaration] { blocks.flatMap { if case .state(let d) = $0.kind { return d } else { return [] } } }
        public var parameters: [Declaration] { blocks.flatMap { if case .parameters(let d) = $0.kind { return d } else { return [] } } }
        public var internals: [Declaration] { blocks.flatMap { if case .internals(let d) = $0.kind { return d } else { return [] } } }
        public var equations: [Equation] { blocks.flatMap { if case .equations(let e) = $0.kind { return e } else { return [] } } }
        public var odes: [ODE] { equations.compactMap { if case .ode(let e) = $0 { return e } else { return nil } } }
        public var kernels: [Kernel] { equations.compactMap { if case .kernel(let k) = $0 { return k } else { return nil } } }
        public var inlines: [InlineExpression] { equations.compactMap { if case .inline(let i) = $0 { return i } else { return nil } } }
        public var inputPorts: [InputPort] { blocks.flatMap { if case .input(let p) = $0.kind { return p } else { return [] } } }
        public var outputs: [OutputPort] { blocks.compactMap { if case .output(let o) = $0.kind { return o } else { return nil } } }
        /// The update block's statements (nil when the model has none).
        public var update: [Statement]? {
            let bodies = blocks.compactMap { if case .update(let s) = $0.kind { return s } else { return nil } }
            return bodies.isEmpty ? nil : bodies.flatMap { $0 }
        }
        public var onReceive: [OnReceive] { blocks.compactMap { if case .onReceive(let r) = $0.kind { return r } else { return nil } } }
        public var onCondition: [OnCondition] { blocks.compactMap { if case .onCondition(let c) = $0.kind { return c } else { return nil } } }
        public var functions: [Function] { blocks.compactMap { if case .function(let f) = $0.kind { return f } else { return nil } } }
    }

    /// One .nestml file: its models (usually one).
    public struct File: Equatable, Sendable {
        /// Where it was read from (for error messages).
        public var path: String
        public var models: [Model]
        public init(path: String, models: [Model]) { self.path = path; self.models = models }
    }
}

extension Array where Element == NESTML.Statement {
    /// Calls `body` on every statement, those nested in if, for and while after their parent.
    public func forEachStatement(_ body: (NESTML.Statement) -> Void) {
        for s in self {
            body(s)
            switch s.kind {
            case .if(let branches, let otherwise):
                for b in branches { b.body.forEachStatement(body) }
                otherwise?.forEachStatement(body)
            case .for(_, _, _, _, let b), .while(_, let b): b.forEachStatement(body)
            case .assignment, .declaration, .call, .return: break
            }
        }
    }

    /// The assignments among them (nested ones included), in order: target and value.
    public var assignments: [(NESTML.Variable, NESTML.Expr)] {
        var out: [(NESTML.Variable, NESTML.Expr)] = []
        forEachStatement { if case .assignment(let v, _, let e) = $0.kind { out.append((v, e)) } }
        return out
    }
}
