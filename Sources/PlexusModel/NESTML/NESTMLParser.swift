// The NESTML parser: tokens (NESTMLLexer.swift) -> NESTML.File (NESTMLAST.swift), by recursive descent over
// NESTML 9's grammar (pynestml/grammars/PyNestMLParser.g4, nestml 9.0.0, which adds `//` and
// `//=` to the grammar on GitHub). It gives no meaning to names: that is the lowering's job.
//
// The first error stops the parse: a PlexusError with the file, the 1-based line and a message
// that names the construct and the token found. Nesting of parentheses, unary operators and
// blocks, and the height of expression trees, are capped at `maxDepth`.
//
// Decisions, for the lowering's benefit:
// - Expressions follow the grammar's precedence levels exactly (see Expr.BinaryOp.precedence):
//   `**` is right-associative and binds tighter than unary minus (`-a**2` is `-(a**2)`,
//   `a ** -2` is `a ** (-2)`); `and` and `or` share one left-associative level; `not` takes a
//   comparison (`not a == b` is `not (a == b)`); `c ? a : b` is the loosest and is
//   left-associative (`a ? b : c ? d : e` is `(a ? b : c) ? d : e`), as ANTLR builds it.
// - A number's unit: as in NESTML, the unit written after a number binds tighter than any
//   operator: `0.1 ms**-1*mV**-1` is 0.1 in ms⁻¹·mV⁻¹, `(1 ms)**2` differs from `1 ms**2`.
//   The unit takes names joined by `*` and `/` (each with an optional `**` exponent) and, right
//   after the number only, a parenthesised unit. NESTML's parser reads such a chain greedily and
//   then moves trailing names that are variables back into the expression (its
//   UnitTypeFixerVisitor); this parser does the same once a model is read: a trailing factor
//   whose name is declared anywhere in the model (or is `t`, `e`, `pi`) becomes an operand,
//   so `2 ms * tau` is `(2 ms) * tau` and `1 ms * ms` stays 1 ms².
// - Newlines: `\` joins lines, and so does a comma at the end of a line (the lexer's
//   KERNEL_JOINING); this parser accepts such a comma wherever a comma may stand.
// - Port attributes (`<- spike(weight pA)`, `spike(weight real)` in the output block) are read
//   on the port's own line; the model library has none.
// - `output: spike` on one line (NESTML before 6) is accepted as well as the indented form.
// - Blocks: every block kind may appear more than once, in any order (as the grammar allows);
//   a block with no line in it is an error.

import Foundation
import PlexusCore

public enum NESTMLParser {
    /// The deepest nesting (of parentheses, blocks, unary operators) and the tallest expression
    /// tree accepted.
    public static let maxDepth = 200

    /// Parses NESTML source text; `path` is used in error messages.
    public static func parse(_ text: String, path: String) throws -> NESTML.File {
        let tokens = try NESTMLLexer.tokenize(Array(text.utf8), path: path)
        let parser = SyntaxParser(tokens: tokens, path: path)
        parser.comments = trailingComments(text)
        return try parser.parseFile()
    }

    /// The comment after the code of each line that has both (`C_m pF = 250 pF   # membrane
    /// capacitance`), by line: a declaration's documentation, as NESTML's documentation
    /// generator reads it.
    static func trailingComments(_ text: String) -> [Int: String] {
        var out: [Int: String] = [:]
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let hash = line.firstIndex(of: "#"), !line[..<hash].contains("\""),
                  !line[..<hash].allSatisfy(\.isWhitespace) else { continue }
            let comment = line[line.index(after: hash)...].trimmingCharacters(in: .whitespaces)
            if !comment.isEmpty { out[k + 1] = comment }
        }
        return out
    }

    /// Reads and parses a file.
    public static func parse(contentsOf path: String) throws -> NESTML.File {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path) else {
            throw PlexusError("cannot read the NESTML file", file: path)
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses one expression on its own (no model, so no unit fixing): for tests and tools.
    public static func parseExpression(_ text: String, path: String = "<expression>") throws -> NESTML.Expr {
        let tokens = try NESTMLLexer.tokenize(Array(text.utf8), path: path)
        let p = SyntaxParser(tokens: tokens, path: path)
        let e = try p.expression()
        try p.expectNewline("after the expression")
        guard p.tok.kind == .endOfFile else { throw p.unexpected("the end of the expression") }
        return e
    }

    /// The block keywords of a model body.
    public static let blockKeywords = ["state", "parameters", "internals", "equations", "input", "output", "update",
                                       "onReceive", "onCondition", "function"]
}

/// NESTML 9's reserved words (PyNestMLLexer.g4): never a variable's name.
private let keywords: Set<String> = [
    "integer", "real", "string", "boolean", "void", "function", "inline", "return", "if", "elif", "else", "for",
    "while", "in", "step", "inf", "and", "or", "not", "recordable", "kernel", "model", "state", "parameters",
    "internals", "update", "equations", "input", "output", "continuous", "onReceive", "onCondition", "spike",
    "inhibitory", "excitatory", "true", "True", "false", "False",
]

private final class SyntaxParser {
    typealias Expr = NESTML.Expr

    var tokens: [NESTMLToken]
    let path: String
    var pos = 0
    var depth = 0
    /// Open blocks, outermost first: end-of-file errors name the innermost.
    var open: [(what: String, line: Int)] = []

    /// Trailing comments by line (`NESTMLParser.trailingComments`): declarations' docs.
    var comments: [Int: String] = [:]

    init(tokens: [NESTMLToken], path: String) {
        self.tokens = tokens
        self.path = path
    }

    // MARK: - Tokens

    var tok: NESTMLToken { tokens[pos] }
    var next: NESTMLToken { tokens[min(pos + 1, tokens.count - 1)] }
    var previous: NESTMLToken? { pos > 0 ? tokens[pos - 1] : nil }

    func advance() { if pos < tokens.count - 1 { pos += 1 } }

    func isSymbol(_ s: String) -> Bool { tok.kind == .symbol && tok.text == s }
    func isWord(_ w: String) -> Bool { tok.kind == .word && tok.text == w }
    var isName: Bool { tok.kind == .word && !keywords.contains(tok.text) }

    func accept(_ s: String) -> Bool {
        guard isSymbol(s) else { return false }
        advance()
        return true
    }

    func acceptWord(_ w: String) -> Bool {
        guard isWord(w) else { return false }
        advance()
        return true
    }

    func expect(_ s: String, _ why: @autoclosure () -> String) throws {
        guard accept(s) else { throw unexpected("'\(s)' \(why())") }
    }

    func expectWord(_ w: String, _ why: @autoclosure () -> String) throws {
        guard acceptWord(w) else { throw unexpected("'\(w)' \(why())") }
    }

    /// `]`, splitting a `]]` the lexer made of two (`x[y[1]]`).
    func expectCloseBracket(_ why: @autoclosure () -> String) throws {
        if isSymbol("]]") {
            tokens[pos].text = "]"
            return
        }
        try expect("]", why())
    }

    /// A name that is not a keyword.
    func name(_ what: @autoclosure () -> String) throws -> String {
        guard isName else {
            if tok.kind == .word { throw fail("expected \(what()), found the keyword '\(tok.text)' (a reserved word)") }
            throw unexpected(what())
        }
        defer { advance() }
        return tok.text
    }

    func expectNewline(_ why: @autoclosure () -> String) throws {
        guard tok.kind == .newline else { throw unexpected("the end of the line \(why())") }
        advance()
    }

    // MARK: - Errors

    func fail(_ message: String, line: Int? = nil) -> PlexusError {
        PlexusError(message, file: path, line: line ?? tok.line)
    }

    /// "expected X, found Y", or, at the end of the file, which block was left open.
    func unexpected(_ expected: String) -> PlexusError {
        if tok.kind == .endOfFile, let inner = open.last {
            return fail("expected \(expected), found the end of the file inside \(inner.what) (line \(inner.line))")
        }
        if tok.kind == .indent {
            return fail("bad indentation: expected \(expected), found a line indented deeper than the one before it")
        }
        return fail("expected \(expected), found \(describe(tok))")
    }

    func describe(_ t: NESTMLToken) -> String {
        switch t.kind {
        case .endOfFile: return "the end of the file"
        case .newline: return "the end of the line"
        case .indent: return "an indented line"
        case .dedent: return "the end of the indented block"
        case .string: return "the string \"\(shortened(t.text))\""
        case .word where keywords.contains(t.text): return "the keyword '\(t.text)'"
        case .word, .integer, .real, .symbol: return "'\(shortened(t.text))'"
        }
    }

    func shortened(_ s: String) -> String { s.count > 40 ? String(s.prefix(40)) + "..." : s }

    func enter() throws {
        depth += 1
        if depth > NESTMLParser.maxDepth { throw fail("nesting deeper than \(NESTMLParser.maxDepth) levels") }
    }

    func leave() { depth -= 1 }

    // MARK: - File and model

    func parseFile() throws -> NESTML.File {
        var models: [NESTML.Model] = []
        while tok.kind != .endOfFile {
            if tok.kind == .newline { advance(); continue }
            if isWord("model") {
                models.append(UnitFixer.fix(try parseModel()))
            } else if tok.kind == .indent {
                throw fail("bad indentation: a model starts at the beginning of its line ('model NAME:')")
            } else if isWord("neuron") || isWord("synapse") {
                throw fail("'\(tok.text) NAME:' is NESTML 5's syntax; NESTML 9 writes 'model NAME:'")
            } else {
                throw unexpected("'model NAME:'")
            }
        }
        if models.isEmpty { throw unexpected("'model NAME:'") }
        return NESTML.File(path: path, models: models)
    }

    /// `:` NEWLINE INDENT after a block header; `what` names the header in errors.
    func blockStart(_ what: String) throws {
        try expect(":", "after '\(what)'")
        if tok.kind != .newline { throw unexpected("the end of the line after '\(what):'") }
        let headerLine = tok.line
        advance()
        guard tok.kind == .indent else {
            let found = tok.kind == .endOfFile || (tok.kind == .dedent && tokens[pos...].allSatisfy { $0.kind == .dedent || $0.kind == .endOfFile })
                ? "the end of the file" : "no line indented deeper (a block needs at least one line; comments do not count)"
            throw fail("expected an indented block after '\(what):', found \(found)", line: headerLine)
        }
        advance()
    }

    /// Runs `body` until the DEDENT that closes the block, which it consumes.
    func blockLines(_ what: String, line: Int, _ body: () throws -> Void) throws {
        open.append((what, line))
        defer { open.removeLast() }
        try enter()
        defer { leave() }
        while tok.kind != .dedent {
            if tok.kind == .endOfFile { break }
            try body()
        }
        advance()
    }

    func parseModel() throws -> NESTML.Model {
        let line = tok.line
        advance()
        let name = try self.name("the model's name after 'model'")
        try blockStart("model \(name)")
        var blocks: [NESTML.Block] = []
        try blockLines("model \(name)", line: line) { blocks.append(try parseBlock(model: name)) }
        return NESTML.Model(line: line, name: name, blocks: blocks)
    }

    func parseBlock(model: String) throws -> NESTML.Block {
        let line = tok.line
        guard tok.kind == .word else {
            throw unexpected("a block (\(NESTMLParser.blockKeywords.map { $0 + ":" }.joined(separator: ", "))) in model '\(model)'")
        }
        let keyword = tok.text
        switch keyword {
        case "state", "parameters", "internals":
            advance()
            try blockStart(keyword)
            var decls: [NESTML.Declaration] = []
            try blockLines("the \(keyword) block", line: line) {
                decls.append(try declaration(in: "the \(keyword) block"))
                try expectNewline("after the declaration of '\(decls.last!.variables.map(\.name).joined(separator: ", "))'")
            }
            switch keyword {
            case "state": return NESTML.Block(line: line, .state(decls))
            case "parameters": return NESTML.Block(line: line, .parameters(decls))
            default: return NESTML.Block(line: line, .internals(decls))
            }
        case "equations":
            advance()
            try blockStart(keyword)
            var equations: [NESTML.Equation] = []
            try blockLines("the equations block", line: line) { equations.append(try equation()) }
            return NESTML.Block(line: line, .equations(equations))
        case "input":
            advance()
            try blockStart(keyword)
            var ports: [NESTML.InputPort] = []
            try blockLines("the input block", line: line) { ports.append(try inputPort()) }
            return NESTML.Block(line: line, .input(ports))
        case "output":
            advance()
            return NESTML.Block(line: line, .output(try outputBlock(line: line)))
        case "update":
            advance()
            return NESTML.Block(line: line, .update(try body("update", line: line)))
        case "onReceive":
            advance()
            try expect("(", "after 'onReceive'")
            let port = try name("an input port's name in 'onReceive(...)'")
            let params = try constParameters("onReceive(\(port)")
            let stmts = try body("onReceive(\(port))", line: line)
            return NESTML.Block(line: line, .onReceive(NESTML.OnReceive(line: line, port: port, parameters: params, body: stmts)))
        case "onCondition":
            advance()
            try expect("(", "after 'onCondition'")
            let condition = try expression()
            let params = try constParameters("onCondition(...")
            let stmts = try body("onCondition(...)", line: line)
            return NESTML.Block(line: line, .onCondition(NESTML.OnCondition(line: line, condition: condition, parameters: params, body: stmts)))
        case "function":
            advance()
            return NESTML.Block(line: line, .function(try function(line: line)))
        default:
            if isSymbol(":") || next.kind == .symbol && (next.text == ":" || next.text == "(") {
                throw fail(PlexusError.unknownMessage("block", keyword, known: NESTMLParser.blockKeywords, listedAs: "blocks")
                           .replacingOccurrences(of: "unknown block '\(keyword)'", with: "unknown block '\(keyword)' in model '\(model)'"))
            }
            throw unexpected("a block (\(NESTMLParser.blockKeywords.map { $0 + ":" }.joined(separator: ", "))) in model '\(model)'")
        }
    }

    /// `, name=literal, ...)` after onReceive's port or onCondition's condition, through the `)`.
    func constParameters(_ what: String) throws -> [NESTML.ConstParameter] {
        var params: [NESTML.ConstParameter] = []
        while accept(",") {
            let n = try name("a parameter's name (such as priority=1) in '\(what), ...)'")
            try expect("=", "after '\(n)' in '\(what), ...)'")
            let t = tok
            let value: Expr
            switch t.kind {
            case .integer: value = .number(t.value, isInteger: true, unit: nil)
            case .real: value = .number(t.value, isInteger: false, unit: nil)
            case .string: value = .string(t.text)
            case .word where t.text == "inf": value = .infinity
            case .word where ["true", "True"].contains(t.text): value = .boolean(true)
            case .word where ["false", "False"].contains(t.text): value = .boolean(false)
            default: throw unexpected("a literal (number, boolean, string or inf) for '\(n)'")
            }
            advance()
            params.append(NESTML.ConstParameter(name: n, value: value))
        }
        try expect(")", "to close '\(what)'")
        return params
    }

    // MARK: - Declarations, types and units

    func declaration(in what: String) throws -> NESTML.Declaration {
        let line = tok.line
        let recordable = acceptWord("recordable")
        let inline = acceptWord("inline")
        var variables = [try variable("a variable's name in \(what)")]
        while accept(",") { variables.append(try variable("a variable's name after ','")) }
        let shown = variables.map(\.description).joined(separator: ", ")
        let type = try dataType("the type of '\(shown)' (a unit such as mV, or real, integer, boolean, string)")
        var value: Expr?
        if accept("=") { value = try expression() }
        var invariant: Expr?
        if accept("[[") {
            invariant = try expression()
            try expect("]]", "to close the invariant '[[ ... ]]' of '\(shown)'")
        }
        var d = NESTML.Declaration(line: line, variables: variables, type: type, value: value, invariant: invariant,
                                   isRecordable: recordable, isInline: inline, decorators: try decorators())
        d.doc = comments[line] ?? ""
        return d
    }

    func decorators() throws -> [NESTML.Decorator] {
        var out: [NESTML.Decorator] = []
        while accept("@") {
            if acceptWord("homogeneous") { out.append(.homogeneous); continue }
            if acceptWord("heterogeneous") { out.append(.heterogeneous); continue }
            let ns = try name("a decorator after '@' (homogeneous, heterogeneous or namespace::name)")
            try expect("::", "after '@\(ns)'")
            out.append(.namespaced(namespace: ns, name: try name("a name after '@\(ns)::'")))
        }
        return out
    }

    /// `name`, `name[expr]`, `name'`, `name''`, ...
    func variable(_ what: @autoclosure () -> String) throws -> NESTML.Variable {
        let n = try name(what())
        var index: Expr?
        if accept("[") {
            index = try expression()
            try expectCloseBracket("to close '\(n)[...'")
        }
        var order = 0
        while accept("'") { order += 1 }
        return NESTML.Variable(n, index: index, order: order)
    }

    func dataType(_ what: @autoclosure () -> String) throws -> NESTML.DataType {
        if tok.kind == .word {
            switch tok.text {
            case "integer": advance(); return .integer
            case "real": advance(); return .real
            case "string": advance(); return .string
            case "boolean": advance(); return .boolean
            case "void": advance(); return .void
            default: break
            }
        }
        guard isName || isSymbol("(") || tok.kind == .integer else { throw unexpected(what()) }
        return .unit(try unit(0))
    }

    /// unitType with ANTLR's levels: `**` 4, `*` and `/` 3 (left-associative); the right side
    /// of `1/...` is read at level 2, so `1/ms*mV` is 1/(ms·mV).
    func unit(_ p: Int) throws -> NESTML.UnitExpr {
        try enter()
        defer { leave() }
        var lhs: NESTML.UnitExpr
        if accept("(") {
            lhs = try unit(0)
            try expect(")", "to close the parenthesised unit")
        } else if tok.kind == .integer {
            let n = tok
            advance()
            guard accept("/") else { throw unexpected("'/' after '\(n.text)' (a number in a unit is only written as in 1/ms)") }
            guard let value = Int(exactly: n.value) else { throw fail("number out of range in a unit: '\(n.text)'", line: n.line) }
            lhs = .quotient(.factor(value), try unit(2))
        } else {
            lhs = .symbol(try name("a unit (such as mV, 1/ms or nS/ms)"))
        }
        while true {
            if p <= 4, accept("**") {
                lhs = .power(lhs, try exponent())
            } else if p <= 3, isSymbol("*") || isSymbol("/") {
                let times = isSymbol("*")
                advance()
                let rhs = try unit(4)
                lhs = times ? .product(lhs, rhs) : .quotient(lhs, rhs)
            } else {
                return lhs
            }
        }
    }

    /// unitTypeExponent: `-`? `(` n `/` d `)`, or a signed integer or real.
    func exponent() throws -> NESTML.Rational {
        let negative = accept("-")
        let sign = negative ? -1 : 1
        if accept("(") {
            guard tok.kind == .integer, let n = Int(exactly: tok.value) else { throw unexpected("an integer numerator in the unit's exponent '(n/d)'") }
            advance()
            try expect("/", "in the unit's exponent '(n/d)'")
            guard tok.kind == .integer, let d = Int(exactly: tok.value), d != 0 else { throw unexpected("a non-zero integer denominator in the unit's exponent '(n/d)'") }
            advance()
            try expect(")", "to close the unit's exponent '(n/d)'")
            return NESTML.Rational(sign * n, d)
        }
        if !negative { _ = accept("+") }
        let t = tok
        switch t.kind {
        case .integer:
            guard let n = Int(exactly: t.value) else { throw fail("unit exponent out of range: '\(t.text)'") }
            advance()
            return NESTML.Rational(sign * n)
        case .real:
            guard let r = decimalRational(t.text) else { throw fail("unit exponent '\(t.text)' is not an exact ratio") }
            advance()
            return NESTML.Rational(sign * r.numerator, r.denominator)
        default:
            throw unexpected("an exponent (such as -1 or (1/2)) after '**' in a unit")
        }
    }

    /// `1.5` -> 3/2, `2e-1` -> 1/5: a decimal literal as an exact ratio (nil when too long).
    func decimalRational(_ text: String) -> NESTML.Rational? {
        let lower = text.lowercased()
        let parts = lower.split(separator: "e", omittingEmptySubsequences: false)
        var exp10 = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0]
        let pieces = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let digits = pieces.joined()
        if pieces.count == 2 { exp10 -= pieces[1].count }
        guard digits.count <= 15, var n = Int(digits.isEmpty ? "0" : digits), abs(exp10) <= 15 else { return nil }
        var d = 1
        if exp10 >= 0 { for _ in 0..<exp10 { n *= 10 } } else { for _ in 0..<(-exp10) { d *= 10 } }
        return NESTML.Rational(n, d)
    }

    // MARK: - Equations, ports, functions

    func equation() throws -> NESTML.Equation {
        let line = tok.line
        if acceptWord("kernel") {
            var defs: [NESTML.Kernel.Definition] = []
            repeat {
                let l = tok.line
                let v = try variable("a kernel's name after 'kernel'")
                try expect("=", "after the kernel '\(v)'")
                defs.append(NESTML.Kernel.Definition(line: l, variable: v, expr: try expression()))
            } while accept(",")
            _ = accept(";")
            try expectNewline("after the kernel '\(defs.last!.variable)'")
            return .kernel(NESTML.Kernel(line: line, definitions: defs))
        }
        if isWord("recordable") || isWord("inline") {
            let recordable = acceptWord("recordable")
            try expectWord("inline", "after 'recordable' in the equations block")
            let n = try name("the inline expression's name after 'inline'")
            let type = try dataType("the type of the inline expression '\(n)'")
            try expect("=", "after 'inline \(n) \(type)'")
            let e = try expression()
            _ = accept(";")
            let decorators = try decorators()
            try expectNewline("after the inline expression '\(n)'")
            return .inline(NESTML.InlineExpression(line: line, name: n, type: type, expr: e, isRecordable: recordable, decorators: decorators))
        }
        guard isName else {
            throw unexpected("an ODE (x' = ...), 'kernel' or 'inline' in the equations block")
        }
        let lhs = try variable("an ODE's variable")
        try expect("=", "after '\(lhs)' (an ODE is written x' = ...)")
        let rhs = try expression()
        _ = accept(";")
        let decorators = try decorators()
        try expectNewline("after the ODE of '\(lhs)'")
        return .ode(NESTML.ODE(line: line, lhs: lhs, rhs: rhs, decorators: decorators))
    }

    func inputPort() throws -> NESTML.InputPort {
        let line = tok.line
        let n = try name("an input port's name in the input block")
        var size: Expr?
        if accept("[") {
            size = try expression()
            try expectCloseBracket("to close '\(n)[...'")
        }
        let kind: NESTML.InputPort.Kind
        if accept("<-") {
            var qualifiers: [NESTML.InputQualifier] = []
            while tok.kind == .word, let q = NESTML.InputQualifier(rawValue: tok.text) {
                qualifiers.append(q)
                advance()
            }
            if isWord("continuous") {
                throw fail("the continuous input port '\(n)' needs a type: '\(n) pA <- continuous'")
            }
            try expectWord("spike", "after '\(n) <-' (or a type before '<-' for a continuous port: '\(n) pA <- continuous')")
            kind = .spike(qualifiers: qualifiers)
        } else {
            let type = try dataType("'<-' or a type after the input port '\(n)'")
            try expect("<-", "after '\(n) \(type)'")
            if isWord("spike") { throw fail("the spike input port '\(n)' has no type: '\(n) <- spike'") }
            try expectWord("continuous", "after '\(n) \(type) <-'")
            kind = .continuous(type)
        }
        let attributes = try attributeList()
        try expectNewline("after the input port '\(n)'")
        return NESTML.InputPort(line: line, name: n, size: size, kind: kind, attributes: attributes)
    }

    /// `(name type, ...)` after a port, or nothing.
    func attributeList() throws -> [NESTML.Parameter] {
        guard accept("(") else { return [] }
        var out: [NESTML.Parameter] = []
        if !isSymbol(")") {
            repeat {
                let n = try name("an attribute's name")
                out.append(NESTML.Parameter(name: n, type: try dataType("the type of the attribute '\(n)'")))
            } while accept(",")
        }
        try expect(")", "to close the port's attributes")
        return out
    }

    func outputBlock(line: Int) throws -> NESTML.OutputPort {
        try expect(":", "after 'output'")
        func port() throws -> NESTML.OutputPort {
            let l = tok.line
            let kind: NESTML.OutputPort.Kind
            if acceptWord("spike") { kind = .spike } else if acceptWord("continuous") { kind = .continuous } else {
                throw unexpected("'spike' or 'continuous' in the output block")
            }
            let attributes = try attributeList()
            try expectNewline("after the output port")
            return NESTML.OutputPort(line: l, kind: kind, attributes: attributes)
        }
        if tok.kind != .newline { return try port() }
        advance()
        guard tok.kind == .indent else { throw fail("expected an indented 'spike' or 'continuous' after 'output:'") }
        advance()
        let out = try port()
        guard tok.kind == .dedent else { throw unexpected("the end of the output block (it holds one port)") }
        advance()
        return out
    }

    func function(line: Int) throws -> NESTML.Function {
        let n = try name("the function's name after 'function'")
        try expect("(", "after 'function \(n)'")
        var params: [NESTML.Parameter] = []
        if !isSymbol(")") {
            repeat {
                let p = try name("a parameter's name in 'function \(n)(...)'")
                params.append(NESTML.Parameter(name: p, type: try dataType("the type of the parameter '\(p)' of '\(n)'")))
            } while accept(",")
        }
        try expect(")", "to close the parameters of 'function \(n)('")
        var returnType: NESTML.DataType?
        if !isSymbol(":") { returnType = try dataType("the return type or ':' after 'function \(n)(...)'") }
        let stmts = try body("function \(n)", line: line)
        return NESTML.Function(line: line, name: n, parameters: params, returnType: returnType, body: stmts)
    }

    // MARK: - Statements

    /// `:` NEWLINE INDENT statements DEDENT.
    func body(_ what: String, line: Int) throws -> [NESTML.Statement] {
        try blockStart(what)
        var stmts: [NESTML.Statement] = []
        try blockLines(what, line: line) { stmts.append(try statement()) }
        return stmts
    }

    func statement() throws -> NESTML.Statement {
        let line = tok.line
        if tok.kind == .word {
            switch tok.text {
            case "if":
                var branches: [NESTML.Branch] = []
                advance()
                let c = try expression()
                branches.append(NESTML.Branch(line: line, condition: c, body: try body("if", line: line)))
                while isWord("elif") {
                    let l = tok.line
                    advance()
                    let c = try expression()
                    branches.append(NESTML.Branch(line: l, condition: c, body: try body("elif", line: l)))
                }
                var otherwise: [NESTML.Statement]?
                if isWord("else") {
                    let l = tok.line
                    advance()
                    otherwise = try body("else", line: l)
                }
                return NESTML.Statement(line: line, .if(branches: branches, otherwise: otherwise))
            case "elif", "else":
                throw fail("'\(tok.text)' without an 'if' before it at the same indentation")
            case "for":
                advance()
                let v = try name("the loop variable after 'for'")
                try expectWord("in", "after 'for \(v)'")
                let from = try expression()
                try expect("...", "between the bounds of 'for \(v) in a ... b step s'")
                let to = try expression()
                try expectWord("step", "after 'for \(v) in ... \(to)' (the step is required)")
                let negative = accept("-")
                guard tok.kind == .integer || tok.kind == .real else { throw unexpected("a number after 'step'") }
                let step = negative ? -tok.value : tok.value
                advance()
                let stmts = try body("for \(v)", line: line)
                return NESTML.Statement(line: line, .for(variable: v, from: from, to: to, step: step, body: stmts))
            case "while":
                advance()
                let c = try expression()
                return NESTML.Statement(line: line, .while(c, try body("while", line: line)))
            case "return":
                advance()
                let e: Expr? = tok.kind == .newline ? nil : try expression()
                try expectNewline("after the return statement")
                return NESTML.Statement(line: line, .return(e))
            case "recordable", "inline":
                let d = try declaration(in: "a declaration")
                try expectNewline("after the declaration")
                return NESTML.Statement(line: line, .declaration(d))
            default: break
            }
        }
        guard isName else { throw unexpected("a statement") }
        if next.kind == .symbol, next.text == "(" {
            let n = tok.text
            advance()
            let args = try arguments(n)
            try expectNewline("after the call to '\(n)(...)'")
            return NESTML.Statement(line: line, .call(n, args))
        }
        let start = pos
        let v = try variable("a variable")
        if tok.kind == .symbol, let op = NESTML.AssignmentOp(rawValue: tok.text) {
            advance()
            let e = try expression()
            try expectNewline("after the assignment to '\(v)'")
            return NESTML.Statement(line: line, .assignment(v, op, e))
        }
        if isSymbol(",") || isName || isSymbol("(") || tok.kind == .integer
            || (tok.kind == .word && ["integer", "real", "string", "boolean", "void"].contains(tok.text)) {
            pos = start
            let d = try declaration(in: "a declaration")
            try expectNewline("after the declaration of '\(d.variables.map(\.name).joined(separator: ", "))'")
            return NESTML.Statement(line: line, .declaration(d))
        }
        throw unexpected("'=', '+=', '-=', '*=', '/=' or a type after '\(v)'")
    }

    // MARK: - Expressions

    /// Binary operators at `tok`, with their level.
    func binaryOperator() -> NESTML.Expr.BinaryOp? {
        switch tok.kind {
        case .symbol:
            if tok.text == "<>" { return .notEqual }
            return NESTML.Expr.BinaryOp(rawValue: tok.text)
        case .word where tok.text == "and": return .and
        case .word where tok.text == "or": return .or
        default: return nil
        }
    }

    func expression() throws -> Expr { try expression(0).expr }

    /// Precedence climbing over the grammar's levels; returns the tree and its height.
    func expression(_ p: Int) throws -> (expr: Expr, height: Int) {
        try enter()
        defer { leave() }
        var (lhs, height) = try prefix()
        while true {
            if isSymbol("?") {
                guard p <= 2 else { break }
                advance()
                let t = try expression(0)
                try expect(":", "in 'condition ? a : b'")
                let f = try expression(3)
                height = max(height, t.height, f.height) + 1
                lhs = .conditional(lhs, t.expr, f.expr)
            } else if let op = binaryOperator(), op.precedence >= p {
                advance()
                let rhs = try expression(op == .power ? 10 : op.precedence + 1)
                height = max(height, rhs.height) + 1
                lhs = .binary(op, lhs, rhs.expr)
            } else {
                break
            }
            if height > NESTMLParser.maxDepth { throw fail("expression nested deeper than \(NESTMLParser.maxDepth) levels") }
        }
        return (lhs, height)
    }

    func prefix() throws -> (Expr, Int) {
        let t = tok
        if t.kind == .symbol {
            switch t.text {
            case "(":
                advance()
                let inner = try expression(0)
                try expect(")", "to close the '(' of line \(t.line)")
                return inner
            case "+", "-", "~":
                advance()
                let operand = try expression(9)
                let op: Expr.UnaryOp = t.text == "+" ? .plus : t.text == "-" ? .minus : .bitNot
                return (.unary(op, operand.expr), operand.height + 1)
            default: break
            }
        }
        if isWord("not") {
            advance()
            let operand = try expression(4)
            return (.unary(.not, operand.expr), operand.height + 1)
        }
        return (try simpleExpression(), 1)
    }

    func simpleExpression() throws -> Expr {
        let t = tok
        switch t.kind {
        case .integer, .real:
            advance()
            return .number(t.value, isInteger: t.kind == .integer, unit: try quantityUnit())
        case .string:
            advance()
            return .string(t.text)
        case .word:
            switch t.text {
            case "true", "True": advance(); return .boolean(true)
            case "false", "False": advance(); return .boolean(false)
            case "inf": advance(); return .infinity
            default: break
            }
            guard isName else { throw expectedExpression() }
            if next.kind == .symbol, next.text == "(" {
                advance()
                return .call(t.text, try arguments(t.text))
            }
            return .variable(try variable("a variable"))
        default:
            throw expectedExpression()
        }
    }

    func expectedExpression() -> PlexusError {
        if let p = previous, p.kind == .symbol || p.kind == .word, tok.kind != .endOfFile || open.isEmpty {
            return fail("expected an expression after '\(p.text)', found \(describe(tok))")
        }
        return unexpected("an expression")
    }

    /// `(a, b, ...)` of a call to `f`; the current token is the '('.
    func arguments(_ f: String) throws -> [Expr] {
        let line = tok.line
        advance()
        var args: [Expr] = []
        if !isSymbol(")") {
            repeat { args.append(try expression()) } while accept(",")
        }
        try expect(")", "to close the call '\(f)(' of line \(line)")
        return args
    }

    /// The unit right after a number: a name or a parenthesised unit, then `**` exponents and
    /// `*`/`/` names (each with its exponent); greedy, like NESTML (see UnitFixer).
    func quantityUnit() throws -> NESTML.UnitExpr? {
        var u: NESTML.UnitExpr
        if isName, !(next.kind == .symbol && next.text == "(") {
            u = .symbol(tok.text)
            advance()
        } else if isSymbol("(") {
            // `2 (mV/ms)`: a unit only if the parentheses hold exactly one.
            let start = pos
            if let inner = try? unitGroup() { u = inner } else { pos = start; return nil }
        } else {
            return nil
        }
        u = try powers(u)
        while (isSymbol("*") || isSymbol("/")), next.kind == .word, !keywords.contains(next.text) {
            let after = tokens[min(pos + 2, tokens.count - 1)]
            if after.kind == .symbol, ["(", "[", "'"].contains(after.text) { break }
            let times = isSymbol("*")
            advance()
            let symbol = tok.text
            advance()
            let f = try powers(.symbol(symbol))
            u = times ? .product(u, f) : .quotient(u, f)
        }
        return u
    }

    func unitGroup() throws -> NESTML.UnitExpr {
        try expect("(", "")
        let u = try unit(0)
        try expect(")", "")
        return u
    }

    /// `** exponent` after a unit factor, when one follows (and reads as an exponent).
    func powers(_ base: NESTML.UnitExpr) throws -> NESTML.UnitExpr {
        var u = base
        while isSymbol("**") {
            let start = pos
            advance()
            guard let e = try? exponent() else { pos = start; break }
            u = .power(u, e)
        }
        return u
    }
}
