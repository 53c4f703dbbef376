import PlexusCore

/// The expression language of rate-model descriptions (docs/rate-models.md): a subset of Python
/// with numpy's functions, parsed with Python's precedence so that the same text means the same
/// thing here and in numpy (the checker in tools/tvb_reference evaluates it there).
///
/// Into the shared `Expr`: `**` is `.power`, `&` / `|` are `.and` / `.or`, and a constant
/// subscript of a vector parameter `P_e[3]` is the name `P_e[3]`.
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
        "power": 2, "minimum": 2, "maximum": 2, "hypot": 2, "arctan2": 2, "fma": 3, "where": 3,
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
            if "+-*/()<>,&|[]".unicodeScalars.contains(c) {
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
            if take("*") { e = .binary(.multiply, e, try unary()) } else if take("/") { e = .binary(.divide, e, try unary()) } else { return e }
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
