import Foundation
import PlexusCore

/// The expression language of rate-model descriptions (docs/rate-models.md): a subset of Python
/// with numpy's functions, parsed with Python's precedence so that the same text means the same
/// thing here and in numpy (the checker in tools/tvb_reference evaluates it there).
///
/// Into the shared `Expr`: `**` is `.power`, `&` / `|` are `.and` / `.or`, `a % b` is the call
/// `mod(a, b)` (Python's floor modulo), and a constant subscript of a vector parameter `P_e[3]`
/// is the name `P_e[3]`.
public struct RateExpressionParser {
    enum Token: Equatable {
        case number(Double)
        case name(String)
        case op(String)
        case end
    }

    let text: String
    var tokens: [(Token, Int)] = []
    var at = 0

    /// Functions an expression may call, with their argument counts.
    public static let functions: [String: Int] = [
        "exp": 1, "log": 1, "log10": 1, "sqrt": 1, "sin": 1, "cos": 1, "tan": 1, "arcsin": 1, "arccos": 1,
        "arctan": 1, "sinh": 1, "cosh": 1, "tanh": 1, "abs": 1, "sign": 1, "erf": 1, "erfc": 1,
        "power": 2, "minimum": 2, "maximum": 2, "hypot": 2, "arctan2": 2, "fma": 3, "where": 3, "local": 1,
    ]

    /// Parses `text`; errors give the column (1-based) and what was expected.
    public static func parse(_ text: String) throws -> Expr {
        var p = RateExpressionParser(text: text)
        try p.tokenize()
        let e = try p.comparison()
        guard case .end = p.peek else { throw p.fail("unexpected \(p.describe(p.peek))") }
        return e
    }

    func fail(_ message: String) -> PlexusError {
        let column = at < tokens.count ? tokens[at].1 + 1 : text.count + 1
        return PlexusError("\(message) at column \(column) of '\(text)'")
    }

    var peek: Token { at < tokens.count ? tokens[at].0 : .end }

    func describe(_ t: Token) -> String {
        switch t {
        case .number(let x): return "number \(x)"
        case .name(let n): return "name '\(n)'"
        case .op(let o): return "'\(o)'"
        case .end: return "end of expression"
        }
    }

    mutating func tokenize() throws {
        let chars = Array(text.unicodeScalars)
        var i = 0
        func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
        func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") }
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            let start = i
            if isDigit(c) || (c == "." && i + 1 < chars.count && isDigit(chars[i + 1])) {
                while i < chars.count, isDigit(chars[i]) || chars[i] == "." { i += 1 }
                if i < chars.count, chars[i] == "e" || chars[i] == "E" {
                    var j = i + 1
                    if j < chars.count, chars[j] == "+" || chars[j] == "-" { j += 1 }
                    if j < chars.count, isDigit(chars[j]) {
                        i = j
                        while i < chars.count, isDigit(chars[i]) { i += 1 }
                    }
                }
                let s = String(String.UnicodeScalarView(chars[start..<i]))
                guard let v = Double(s), v.isFinite else {
                    at = tokens.count
                    tokens.append((.end, start))
                    throw fail("'\(s)' is not a number")
                }
                tokens.append((.number(v), start))
                continue
            }
            if isNameStart(c) {
                while i < chars.count, isNameStart(chars[i]) || isDigit(chars[i]) { i += 1 }
                tokens.append((.name(String(String.UnicodeScalarView(chars[start..<i]))), start))
                continue
            }
            let two = i + 1 < chars.count ? String(String.UnicodeScalarView([c, chars[i + 1]])) : ""
            if ["**", "<=", ">=", "==", "!="].contains(two) {
                tokens.append((.op(two), start))
                i += 2
                continue
            }
            if "+-*/%()<>,&|[]".unicodeScalars.contains(c) {
                tokens.append((.op(String(c)), start))
                i += 1
                continue
            }
            at = tokens.count
            tokens.append((.end, start))
            throw fail("unexpected character '\(c)'")
        }
    }

    mutating func take(_ op: String) -> Bool {
        if case .op(let o) = peek, o == op { at += 1; return true }
        return false
    }

    mutating func expect(_ op: String) throws {
        guard take(op) else { throw fail("expected '\(op)', found \(describe(peek))") }
    }

    // Python's precedence, lowest first: comparison, |, &, + -, * /, unary + -, **.
    mutating func comparison() throws -> Expr {
        let lhs = try bitOr()
        let ops: [String: Expr.BinaryOp] = ["<": .less, ">": .greater, "<=": .lessEqual, ">=": .greaterEqual, "==": .equal, "!=": .notEqual]
        if case .op(let o) = peek, let op = ops[o] {
            at += 1
            let rhs = try bitOr()
            if case .op(let o2) = peek, ops[o2] != nil {
                throw fail("chained comparisons are not supported; write (a < b) & (b < c)")
            }
            return .binary(op, lhs, rhs)
        }
        return lhs
    }

    mutating func bitOr() throws -> Expr {
        var e = try bitAnd()
        while take("|") { e = .binary(.or, e, try bitAnd()) }
        return e
    }

    mutating func bitAnd() throws -> Expr {
        var e = try additive()
        while take("&") { e = .binary(.and, e, try additive()) }
        return e
    }

    mutating func additive() throws -> Expr {
        var e = try multiplicative()
        while true {
            if take("+") { e = .binary(.add, e, try multiplicative()) } else if take("-") { e = .binary(.subtract, e, try multiplicative()) } else { return e }
        }
    }

    mutating func multiplicative() throws -> Expr {
        var e = try unary()
        while true {
            if take("*") { e = .binary(.multiply, e, try unary()) } else if take("/") { e = .binary(.divide, e, try unary()) } else if take("%") {
                e = .call("mod", [e, try unary()])   // Python's floor modulo (numpy's and numexpr's %)
            } else { return e }
        }
    }

    mutating func unary() throws -> Expr {
        if take("-") { return .unary(.negate, try unary()) }
        if take("+") { return try unary() }
        return try power()
    }

    /// `a ** b`: right-associative, the exponent may carry a sign (`2 ** -1`).
    mutating func power() throws -> Expr {
        let base = try primary()
        if take("**") { return .binary(.power, base, try unary()) }
        return base
    }

    mutating func primary() throws -> Expr {
        let t = peek
        switch t {
        case .number(let v):
            at += 1
            return .number(v)
        case .name(let n):
            at += 1
            if take("(") {
                guard let arity = Self.functions[n] else {
                    throw fail("unknown function '\(n)'\(PlexusError.didYouMean(n, Array(Self.functions.keys)))")
                }
                var args: [Expr] = []
                if !take(")") {
                    repeat { args.append(try comparison()) } while take(",")
                    try expect(")")
                }
                guard args.count == arity else { throw fail("\(n) takes \(arity) argument\(arity == 1 ? "" : "s"), got \(args.count)") }
                return .call(n, args)
            }
            if take("[") {
                guard case .number(let k) = peek, k >= 0, k == k.rounded(), k < 1e6 else {
                    throw fail("a subscript must be a whole number (a vector parameter's element, as P_e[3])")
                }
                at += 1
                try expect("]")
                return .name("\(n)[\(Int(k))]")
            }
            return .name(n)
        case .op("("):
            at += 1
            let e = try comparison()
            try expect(")")
            return e
        default:
            throw fail("expected a number, a name or '(', found \(describe(t))")
        }
    }
}

/// Evaluates an expression of the rate language for one set of values, with the arithmetic of
/// the generated C (RateKernelWriter): the same power fast paths, comparisons as 1 or 0, floor
/// modulo. Used where a value per step is needed without compiling (stimulus time courses).
public struct RateEvaluator {
    public let expression: Expr
    /// Names the expression reads, in a fixed order; `evaluate` takes their values in this order.
    public let names: [String]

    public init(_ e: Expr) {
        expression = e
        names = e.names.sorted()
    }

    public func evaluate(_ values: [String: Double]) -> Double { Self.eval(expression) { values[$0] } }

    /// The value with names looked up by `value` (no dictionary built per call: a stimulus is
    /// evaluated every step).
    public func evaluate(_ value: (String) -> Double?) -> Double { Self.eval(expression, value) }

    static func eval(_ e: Expr, _ v: (String) -> Double?) -> Double {
        switch e {
        case .number(let x): return x
        case .name(let n): return n == "pi" ? Double.pi : v(n) ?? .nan
        case .unary(.negate, let a): return -eval(a, v)
        case .unary(.not, let a): return eval(a, v) == 0 ? 1 : 0
        case .binary(let op, let a, let b):
            if op == .power { return power(eval(a, v), b, v) }
            let x = eval(a, v), y = eval(b, v)
            switch op {
            case .add: return x + y
            case .subtract: return x - y
            case .multiply: return x * y
            case .divide: return x / y
            case .less: return x < y ? 1 : 0
            case .greater: return x > y ? 1 : 0
            case .lessEqual: return x <= y ? 1 : 0
            case .greaterEqual: return x >= y ? 1 : 0
            case .equal: return x == y ? 1 : 0
            case .notEqual: return x != y ? 1 : 0
            case .and: return x != 0 && y != 0 ? 1 : 0
            case .or: return x != 0 || y != 0 ? 1 : 0
            case .power: return .nan
            }
        // A call with the wrong number of arguments (possible from other front ends than the
        // rate models', which check them) is not a number.
        case .call("where", let a): return a.count == 3 ? (eval(a[0], v) != 0 ? eval(a[1], v) : eval(a[2], v)) : .nan
        case .call("power", let a): return a.count == 2 ? power(eval(a[0], v), a[1], v) : .nan
        case .call("fma", let a) where a.count != 3: return .nan
        case .call(_, let a) where a.isEmpty: return .nan
        case .call(let f, let a):
            let x = eval(a[0], v)
            let y = a.count > 1 ? eval(a[1], v) : 0
            switch f {
            case "exp": return Foundation.exp(x)
            case "log": return Foundation.log(x)
            case "log10": return Foundation.log10(x)
            case "sqrt": return x.squareRoot()
            case "sin": return Foundation.sin(x)
            case "cos": return Foundation.cos(x)
            case "tan": return Foundation.tan(x)
            case "arcsin", "asin": return Foundation.asin(x)
            case "arccos", "acos": return Foundation.acos(x)
            case "arctan", "atan": return Foundation.atan(x)
            case "sinh": return Foundation.sinh(x)
            case "cosh": return Foundation.cosh(x)
            case "tanh": return Foundation.tanh(x)
            case "abs", "fabs": return Swift.abs(x)
            case "sign": return x > 0 ? 1 : (x < 0 ? -1 : x)
            case "erf": return Foundation.erf(x)
            case "erfc": return Foundation.erfc(x)
            case "minimum", "min", "fmin": return x.isNaN || y.isNaN ? x + y : Swift.min(x, y)
            case "maximum", "max", "fmax": return x.isNaN || y.isNaN ? x + y : Swift.max(x, y)
            case "hypot": return Foundation.hypot(x, y)
            case "arctan2", "atan2": return Foundation.atan2(x, y)
            case "fma": return Foundation.fma(x, y, eval(a[2], v))
            case "mod": return pythonMod(x, y)
            // The C spellings the NESTML front end keeps (its conditions are evaluated here too).
            case "pow": return Foundation.pow(x, y)
            case "expm1": return Foundation.expm1(x)
            case "floor": return x.rounded(.down)
            case "ceil": return x.rounded(.up)
            case "local": return 0.0 * x
            default: return .nan
            }
        }
    }

    static func power(_ x: Double, _ exponent: Expr, _ v: (String) -> Double?) -> Double {
        switch exponent.constantValue ?? exponent.negatedConstant ?? .nan {
        case 1: return x
        case 2: return x * x
        case 0.5: return x.squareRoot()
        case -1: return 1.0 / x
        default: return Foundation.pow(x, eval(exponent, v))
        }
    }

    /// Python's float `%`: the remainder takes the sign of the divisor.
    public static func pythonMod(_ a: Double, _ b: Double) -> Double {
        var r = Foundation.fmod(a, b)
        if r != 0 && (r < 0) != (b < 0) { r += b }
        return r
    }
}
