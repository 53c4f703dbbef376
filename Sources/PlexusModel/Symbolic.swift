import Foundation

// Symbolic algebra on expressions, as far as the solvers need it: folding constants,
// substituting names, differentiating, and splitting an expression that is linear in a name
// into its two coefficients (cnexp, implicit Euler on linear systems, conductances).

extension Expr {
    public static func + (a: Expr, b: Expr) -> Expr { .binary(.add, a, b).simplified }
    public static func - (a: Expr, b: Expr) -> Expr { .binary(.subtract, a, b).simplified }
    public static func * (a: Expr, b: Expr) -> Expr { .binary(.multiply, a, b).simplified }
    public static func / (a: Expr, b: Expr) -> Expr { .binary(.divide, a, b).simplified }
    public static prefix func - (a: Expr) -> Expr { .unary(.negate, a).simplified }

    public var isZero: Bool { if case .number(let x) = self { return x == 0 } else { return false } }
    public var isOne: Bool { if case .number(let x) = self { return x == 1 } else { return false } }
    public var constantValue: Double? { if case .number(let x) = self { return x } else { return nil } }

    /// Calls `body` on the expression and every subexpression, parents before children, operands
    /// and arguments left to right.
    public func forEachNode(_ body: (Expr) -> Void) {
        body(self)
        switch self {
        case .number, .name: break
        case .unary(_, let a): a.forEachNode(body)
        case .binary(_, let a, let b): a.forEachNode(body); b.forEachNode(body)
        case .call(_, let args): for a in args { a.forEachNode(body) }
        }
    }

    /// Every name the expression reads (function names excluded).
    public var names: Set<String> {
        var out = Set<String>()
        forEachNode { if case .name(let n) = $0 { out.insert(n) } }
        return out
    }

    /// Every function called, with nesting.
    public var calledFunctions: Set<String> {
        var out = Set<String>()
        forEachNode { if case .call(let f, _) = $0 { out.insert(f) } }
        return out
    }

    /// The expression with names replaced (simplified).
    public func substituting(_ map: [String: Expr]) -> Expr {
        switch self {
        case .number: return self
        case .name(let n): return map[n] ?? self
        case .unary(let op, let a): return Expr.unary(op, a.substituting(map)).simplified
        case .binary(let op, let a, let b): return Expr.binary(op, a.substituting(map), b.substituting(map)).simplified
        case .call(let f, let args): return Expr.call(f, args.map { $0.substituting(map) }).simplified
        }
    }

    /// The expression with names renamed (not simplified: keeps the written form).
    public func renaming(_ map: [String: String]) -> Expr {
        switch self {
        case .number: return self
        case .name(let n): return .name(map[n] ?? n)
        case .unary(let op, let a): return .unary(op, a.renaming(map))
        case .binary(let op, let a, let b): return .binary(op, a.renaming(map), b.renaming(map))
        case .call(let f, let args): return .call(f, args.map { $0.renaming(map) })
        }
    }

    /// Constant folding and the identities 0 + x, 1·x, 0·x, x/1, x^1, x^0, −(−x). Only rules
    /// that are exact in floating point for finite x (0·x is taken as 0: values are finite in a
    /// model that runs).
    public var simplified: Expr {
        switch self {
        case .number, .name: return self
        case .unary(let op, let a):
            if op == .negate {
                if case .number(let x) = a { return .number(-x) }
                if case .unary(.negate, let inner) = a { return inner }
            }
            return self
        case .binary(let op, let a, let b):
            if case .number(let x) = a, case .number(let y) = b, let v = Expr.fold(op, x, y) { return .number(v) }
            switch op {
            case .add:
                if a.isZero { return b }
                if b.isZero { return a }
                if case .unary(.negate, let nb) = b { return .binary(.subtract, a, nb) }
            case .subtract:
                if b.isZero { return a }
                if a.isZero { return Expr.unary(.negate, b).simplified }
                if case .unary(.negate, let nb) = b { return .binary(.add, a, nb) }
            case .multiply:
                if a.isZero || b.isZero { return .number(0) }
                if a.isOne { return b }
                if b.isOne { return a }
                if case .number(-1) = a { return Expr.unary(.negate, b).simplified }
                if case .number(-1) = b { return Expr.unary(.negate, a).simplified }
            case .divide:
                if a.isZero { return .number(0) }
                if b.isOne { return a }
            case .power:
                if b.isOne { return a }
                if b.isZero { return .number(1) }
            default: break
            }
            return self
        case .call(let f, let args):
            if args.allSatisfy({ $0.constantValue != nil }), let v = Expr.foldCall(f, args.map { $0.constantValue! }) { return .number(v) }
            return self
        }
    }

    static func fold(_ op: BinaryOp, _ x: Double, _ y: Double) -> Double? {
        switch op {
        case .add: return x + y
        case .subtract: return x - y
        case .multiply: return x * y
        case .divide: return y == 0 ? nil : x / y
        case .power: return Foundation.pow(x, y)
        case .less: return x < y ? 1 : 0
        case .greater: return x > y ? 1 : 0
        case .lessEqual: return x <= y ? 1 : 0
        case .greaterEqual: return x >= y ? 1 : 0
        case .equal: return x == y ? 1 : 0
        case .notEqual: return x != y ? 1 : 0
        case .and: return (x != 0 && y != 0) ? 1 : 0
        case .or: return (x != 0 || y != 0) ? 1 : 0
        }
    }

    static func foldCall(_ f: String, _ a: [Double]) -> Double? {
        guard a.count == 1 else { return nil }
        switch f {
        case "exp": return Foundation.exp(a[0])
        case "fabs": return Swift.abs(a[0])
        case "sqrt": return a[0] >= 0 ? Foundation.sqrt(a[0]) : nil
        default: return nil
        }
    }

    /// ∂self/∂x, or nil where it cannot say (a user FUNCTION of x, a comparison of x).
    public func derivative(_ x: String) -> Expr? {
        guard names.contains(x) else { return .number(0) }
        switch self {
        case .number: return .number(0)
        case .name(let n): return .number(n == x ? 1 : 0)
        case .unary(.negate, let a): return a.derivative(x).map { -$0 }
        case .unary(.not, _): return nil
        case .binary(let op, let a, let b):
            guard let da = a.derivative(x), let db = b.derivative(x) else { return nil }
            switch op {
            case .add: return da + db
            case .subtract: return da - db
            case .multiply: return da * b + a * db
            case .divide:
                if db.isZero { return da / b }
                return (da * b - a * db) / (b * b)
            case .power:
                if db.isZero { // a^c: c a^(c-1) a'
                    if da.isZero { return .number(0) }
                    return b * Expr.binary(.power, a, b - .number(1)).simplified * da
                }
                // a^b = exp(b ln a)
                return self * (db * .call("log", [a]) + b * da / a)
            default: return nil
            }
        case .call(let f, let args):
            guard args.count == 1, let da = args[0].derivative(x) else { return nil }
            let u = args[0]
            switch f {
            case "exp": return self * da
            case "log": return da / u
            case "sqrt": return da / (.number(2) * self)
            case "sin": return .call("cos", [u]) * da
            case "cos": return -(.call("sin", [u])) * da
            case "tanh": return (.number(1) - self * self) * da
            default: return nil
            }
        }
    }

    /// Splits the expression as `a + b·x` with a and b free of x, or nil if it is not linear in x.
    public func linear(in x: String) -> (a: Expr, b: Expr)? {
        guard let b = derivative(x) else { return nil }
        guard !b.names.contains(x) else { return nil }
        let a = substituting([x: .number(0)])
        guard !a.names.contains(x) else { return nil }
        return (a, b)
    }
}
