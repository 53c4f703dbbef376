// The NMODL parser: tokens (Lexer.swift) -> NMODLFile (AST.swift), by recursive descent over
// NEURON 9's grammar (nocmodl's src/nmodl/parse1.ypp). It gives no meaning to names: that is
// the lowering's job. Statements are not line-separated in NMODL (`m = minf h = hinf` is two
// statements), so nothing here looks at line ends; lines only go into the tree and errors.
//
// The first error stops the parse: a PlexusError with the file, the 1-based line and a message
// that names the construct and the token found. Nesting (parentheses, unary chains, blocks,
// else-if chains) and the height of expression trees are capped at `maxDepth`, so hostile input
// can neither overflow the stack here nor in whoever walks the tree later. (At the cap a debug
// build needs about 1 MB of stack, a release build under 512 KB.)
//
// Decisions, for the lowering's benefit:
// - Units in expressions: as in nocmodl (`expr: real units`), a parenthesised group right
//   after a number literal is that number's unit and is dropped: `.01 (ms)`, `1(um)`,
//   `(celsius - 6.3)/10 (degC)`. Anywhere else parentheses group an expression, so `(1)` and
//   `(1e-3) * x` are numbers. NMODL has no implicit multiplication, so this is never ambiguous.
// - DEFINE NAME n: the value replaces the name wherever a number or expression may stand; the
//   definitions are also kept in `defines`.
// - COMPARTMENT, LONGITUDINAL_DIFFUSION, FROM loops, WATCH, FOR_NETCONS, LAG, net_send,
//   net_event, net_move, VERBATIM and the INITIAL block of a NET_RECEIVE become
//   `.unsupported(name)` with their line (their contents are checked for balance, not kept).
// - EXTERNAL and RANDOM in the NEURON block go to `unsupported` (top level) with their line;
//   REPRESENTS, THREADSAFE's meaning, CONDUCTANCE hints, PROTECT, MUTEXLOCK/MUTEXUNLOCK and
//   UNITSON/UNITSOFF are dropped (none changes what a single-threaded step computes).
// - Strings are allowed only as call arguments (printf's format) and are not kept.
// - `~` means what the enclosing block says (nocmodl's lexcontext): a reaction in KINETIC, an
//   equation in LINEAR, NONLINEAR and DERIVATIVE; anywhere else it is an error. In KINETIC,
//   `~ a << (f)` is a flux and `~ a + b -> (k)` a one-way loss (a reaction with no products).
// - An empty file, or one of comments only, is a valid (empty) NMODLFile: the lowering says
//   what a mechanism lacks.
// - Arrays (`x[4]`, `ca[i]`) are refused wherever they appear.

import Foundation
import PlexusCore

public enum NMODLParser {
    /// The deepest nesting (of parentheses, blocks, unary operators, else-if chains) and the
    /// tallest expression tree accepted.
    public static let maxDepth = 200

    /// Parses NMODL source text; `path` is used in error messages.
    public static func parse(_ text: String, path: String) throws -> NMODLFile {
        let bytes = Array(text.utf8)
        let tokens = try NMODLLexer.tokenize(bytes, path: path)
        return try SyntaxParser(tokens: tokens, bytes: bytes, path: path).parseFile()
    }

    /// Reads and parses a file.
    public static func parse(contentsOf path: String) throws -> NMODLFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path) else {
            throw PlexusError("cannot read the NMODL file", file: path)
        }
        // Invalid UTF-8 becomes U+FFFD, which the parser refuses wherever it is not in a comment.
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }
}

/// Words with a meaning of their own: never a variable's name.
private let keywords: Set<String> = [
    "NEURON", "UNITS", "PARAMETER", "ASSIGNED", "STATE", "CONSTANT", "INDEPENDENT", "DEPENDENT",
    "INITIAL", "BREAKPOINT", "DERIVATIVE", "KINETIC", "LINEAR", "NONLINEAR", "PROCEDURE", "FUNCTION",
    "NET_RECEIVE", "BEFORE", "AFTER", "FUNCTION_TABLE", "CONSTRUCTOR", "DESTRUCTOR", "DISCRETE",
    "PARTIAL", "DEFINE", "INCLUDE", "LOCAL",
    "SUFFIX", "POINT_PROCESS", "ARTIFICIAL_CELL", "USEION", "READ", "WRITE", "VALENCE", "REPRESENTS",
    "NONSPECIFIC_CURRENT", "ELECTRODE_CURRENT", "RANGE", "GLOBAL", "POINTER", "BBCOREPOINTER",
    "THREADSAFE", "EXTERNAL", "RANDOM",
    "SOLVE", "METHOD", "STEADYSTATE", "SOLVEFOR", "CONSERVE", "COMPARTMENT", "LONGITUDINAL_DIFFUSION",
    "TABLE", "DEPEND", "FROM", "TO", "WITH", "BY", "START", "WATCH", "FOR_NETCONS", "PROTECT",
    "MUTEXLOCK", "MUTEXUNLOCK", "LAG", "CONDUCTANCE",
    "if", "else", "while", "IF", "ELSE", "WHILE",
]

private let topLevelBlocks = [
    "NEURON", "UNITS", "PARAMETER", "ASSIGNED", "STATE", "CONSTANT", "INDEPENDENT", "INITIAL", "BREAKPOINT",
    "DERIVATIVE", "KINETIC", "LINEAR", "NONLINEAR", "PROCEDURE", "FUNCTION", "NET_RECEIVE", "DEFINE", "LOCAL",
]

private let neuronStatements = [
    "SUFFIX", "POINT_PROCESS", "ARTIFICIAL_CELL", "USEION", "NONSPECIFIC_CURRENT", "ELECTRODE_CURRENT",
    "RANGE", "GLOBAL", "POINTER", "BBCOREPOINTER", "THREADSAFE", "EXTERNAL", "RANDOM", "REPRESENTS",
]

/// Keywords that open a top-level block: met where a statement should be, they mean a '}' is
/// missing before them.
private let topLevelKeywords: Set<String> = [
    "NEURON", "UNITS", "PARAMETER", "ASSIGNED", "STATE", "CONSTANT", "INDEPENDENT", "DEPENDENT",
    "BREAKPOINT", "DERIVATIVE", "KINETIC", "LINEAR", "NONLINEAR", "PROCEDURE", "FUNCTION", "NET_RECEIVE",
    "BEFORE", "AFTER", "FUNCTION_TABLE", "CONSTRUCTOR", "DESTRUCTOR", "DISCRETE", "PARTIAL", "DEFINE",
    "INCLUDE",
]

private final class SyntaxParser {
    /// An expression with the height of its tree (kept alongside so it never needs a recursive
    /// walk to be measured).
    struct Node { var expr: Expr; var height: Int }

    /// What `~` means inside the block being parsed.
    enum Context { case kinetic, equations, other }

    let tokens: [NMODLToken]
    let bytes: [UInt8]
    let path: String
    var pos = 0
    var file: NMODLFile
    /// Open blocks, outermost first: end-of-file errors name the outermost.
    var open: [(what: String, line: Int)] = []
    var depth = 0
    var defines: [String: Double] = [:]
    var context = Context.other
    var inNetReceive = false
    var initialLine: Int?
    var breakpointLine: Int?

    init(tokens: [NMODLToken], bytes: [UInt8], path: String) {
        self.tokens = tokens
        self.bytes = bytes
        self.path = path
        file = NMODLFile(path: path)
    }

    // MARK: - Tokens

    var tok: NMODLToken { tokens[pos] }
    var next: NMODLToken { tokens[min(pos + 1, tokens.count - 1)] }

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

    // The explanations are autoclosures: built only when there is an error to report.

    func expect(_ s: String, _ why: @autoclosure () -> String) throws {
        guard accept(s) else { throw unexpected("'\(s)' \(why())") }
    }

    func expectWord(_ w: String, _ why: @autoclosure () -> String) throws {
        guard acceptWord(w) else { throw unexpected("\(w) \(why())") }
    }

    /// A name that is not a keyword.
    func name(_ what: @autoclosure () -> String) throws -> String {
        guard isName else { throw unexpected(what()) }
        defer { advance() }
        return tok.text
    }

    // MARK: - Errors

    func fail(_ message: String, line: Int? = nil) -> PlexusError {
        PlexusError(message, file: path, line: line ?? tok.line)
    }

    /// "expected X, found Y", or, at the end of the file, which block was left open.
    func unexpected(_ expected: String) -> PlexusError {
        if tok.kind == .endOfFile, let outer = open.first {
            return fail("unexpected end of file inside \(outer.what) (opened at line \(outer.line))")
        }
        return fail("expected \(expected), found \(describe(tok))")
    }

    func describe(_ t: NMODLToken) -> String {
        switch t.kind {
        case .endOfFile: return "end of file"
        case .string: return "the string \"\(shortened(t.text))\""
        case .title: return "TITLE"
        case .verbatim: return "a VERBATIM block"
        case .word where keywords.contains(t.text): return "the keyword '\(t.text)'"
        case .symbol where t.text.hasPrefix("U+") && t.text.count > 2: return "the character \(t.text)"
        case .word, .number, .symbol: return "'\(shortened(t.text))'"
        }
    }

    /// " (did you mean 'PARAMETER'?)" for a near miss, else "".
    func suggestion(_ word: String, _ known: [String]) -> String {
        word.utf8.count <= 40 ? PlexusError.didYouMean(word, known) : ""
    }

    func shortened(_ s: String) -> String { s.count > 40 ? String(s.prefix(40)) + "..." : s }

    /// The source between two byte offsets, whitespace collapsed: how a unit or an array was written.
    func source(_ from: Int, _ to: Int) -> String {
        guard from < to else { return "" }
        let text = String(decoding: bytes[from..<to], as: UTF8.self)
        return text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// `name[...]`: refused, showing what was written. The current token is the '['.
    func arrayError(_ name: NMODLToken) -> PlexusError {
        var j = pos
        while j < tokens.count - 1, j - pos < 20, !(tokens[j].kind == .symbol && tokens[j].text == "]") { j += 1 }
        let closed = tokens[j].kind == .symbol && tokens[j].text == "]"
        let shown = source(name.start, closed ? tokens[j].end : tokens[max(pos, j - 1)].end) + (closed ? "" : "...")
        return fail("arrays are not supported: '\(shown)'", line: name.line)
    }

    func enter() throws {
        depth += 1
        if depth > NMODLParser.maxDepth {
            throw fail("nesting deeper than \(NMODLParser.maxDepth) levels")
        }
    }

    func leave() { depth -= 1 }

    /// Runs `body` with `what` recorded as an open block (for end-of-file errors).
    func inside<T>(_ what: String, line: Int, _ body: () throws -> T) throws -> T {
        open.append((what, line))
        defer { open.removeLast() }
        return try body()
    }

    // MARK: - File

    func parseFile() throws -> NMODLFile {
        while tok.kind != .endOfFile {
            let t = tok
            switch t.kind {
            case .title:
                if file.title == nil { file.title = t.text }
                advance()
            case .verbatim:
                file.unsupported.append((name: "VERBATIM", line: t.line))
                advance()
            case .word:
                try topLevel()
            case .symbol where t.text == "}":
                throw fail("unexpected '}' at top level: no block is open")
            default:
                throw unexpected("a block such as NEURON, PARAMETER or BREAKPOINT at top level")
            }
        }
        return file
    }

    func topLevel() throws {
        let t = tok
        switch t.text {
        case "NEURON": try parseNeuron()
        case "UNITS": try parseUnits()
        case "PARAMETER": file.parameters += try parseDeclarations()
        case "ASSIGNED": file.assigned += try parseDeclarations()
        case "STATE": file.states += try parseDeclarations()
        case "CONSTANT": file.constants += try parseDeclarations()
        case "INDEPENDENT":
            // `t FROM 0 TO 1 WITH 1 (ms)`: time is always the independent variable.
            advance()
            try skipBraces("the INDEPENDENT block", line: t.line)
        case "DEFINE": try parseDefine()
        case "LOCAL":
            advance()
            file.locals += try localNames().map { Declaration(line: t.line, name: $0) }
        case "INITIAL", "BREAKPOINT": try parseInitialOrBreakpoint()
        case "DERIVATIVE", "KINETIC", "LINEAR", "NONLINEAR": try parseNamedBlock()
        case "PROCEDURE", "FUNCTION": try parseCallable()
        case "NET_RECEIVE": try parseNetReceive()
        case "BEFORE", "AFTER":
            advance()
            let when = tok.text
            guard tok.kind == .word, ["BREAKPOINT", "SOLVE", "INITIAL", "STEP"].contains(when) else {
                throw unexpected("BREAKPOINT, SOLVE, INITIAL or STEP after \(t.text)")
            }
            advance()
            try skipBraces("the \(t.text) \(when) block", line: t.line)
            file.unsupported.append((name: t.text, line: t.line))
        case "CONSTRUCTOR", "DESTRUCTOR", "DEPENDENT":
            advance()
            try skipBraces("the \(t.text) block", line: t.line)
            file.unsupported.append((name: t.text, line: t.line))
        case "DISCRETE", "PARTIAL":
            advance()
            let n = try name("a block name after \(t.text)")
            try skipBraces("the \(t.text) block '\(n)'", line: t.line)
            file.unsupported.append((name: t.text, line: t.line))
        case "FUNCTION_TABLE":
            // `FUNCTION_TABLE tau(v (mV)) (ms)`: no body, its values come from hoc.
            advance()
            let n = try name("a name after FUNCTION_TABLE")
            try skipParentheses("the arguments of FUNCTION_TABLE '\(n)'", line: t.line)
            if isSymbol("(") { _ = try unit("the unit of FUNCTION_TABLE '\(n)'") }
            file.unsupported.append((name: t.text, line: t.line))
        case "INCLUDE":
            advance()
            guard tok.kind == .string else { throw unexpected("a file name in quotes after INCLUDE") }
            advance()
            file.unsupported.append((name: t.text, line: t.line))
        default:
            if let first = t.text.unicodeScalars.first, first.properties.isUppercase {
                throw fail("unknown top-level keyword '\(shortened(t.text))'\(suggestion(t.text, topLevelBlocks))")
            }
            throw unexpected("a block such as NEURON, PARAMETER or BREAKPOINT at top level")
        }
    }

    // MARK: - NEURON block

    func parseNeuron() throws {
        let line = tok.line
        advance()
        if file.neuron.line == 0 { file.neuron.line = line }
        try inside("the NEURON block", line: line) {
            try expect("{", "after NEURON")
            while !accept("}") {
                guard tok.kind == .word else {
                    throw unexpected("a NEURON block statement such as SUFFIX, USEION or RANGE")
                }
                let t = tok
                advance()
                switch t.text {
                case "SUFFIX", "POINT_PROCESS", "ARTIFICIAL_CELL":
                    let n = try name("a mechanism name after \(t.text)")
                    guard file.neuron.name.isEmpty else {
                        throw fail("the NEURON block names the mechanism twice ('\(file.neuron.name)' and '\(n)')", line: t.line)
                    }
                    file.neuron.name = n
                    file.neuron.kind = NeuronBlock.Kind(rawValue: t.text) ?? .density
                case "USEION":
                    file.neuron.ions.append(try parseUseIon(line: t.line))
                case "NONSPECIFIC_CURRENT": file.neuron.nonspecificCurrents += try nameList(after: t.text)
                case "ELECTRODE_CURRENT": file.neuron.electrodeCurrents += try nameList(after: t.text)
                case "RANGE": file.neuron.range += try nameList(after: t.text)
                case "GLOBAL": file.neuron.global += try nameList(after: t.text)
                case "POINTER", "BBCOREPOINTER": file.neuron.pointer += try nameList(after: t.text)
                case "THREADSAFE": file.neuron.threadsafe = true
                case "EXTERNAL", "RANDOM":
                    _ = try nameList(after: t.text)
                    file.unsupported.append((name: t.text, line: t.line))
                case "REPRESENTS":
                    // An ontology id (`NCIT:C17145`) that says what the mechanism models.
                    guard tok.kind == .word else { throw unexpected("an ontology id after REPRESENTS") }
                    advance()
                case _ where !keywords.contains(t.text):
                    if t.text.first?.isUppercase == true, !suggestion(t.text, neuronStatements).isEmpty {
                        throw fail("unknown statement '\(shortened(t.text))' in the NEURON block\(suggestion(t.text, neuronStatements))", line: t.line)
                    }
                    throw fail("expected a NEURON block statement such as SUFFIX, USEION or RANGE, found '\(shortened(t.text))' (names in a list are separated by commas)", line: t.line)
                default:
                    throw fail("unknown statement '\(t.text)' in the NEURON block\(suggestion(t.text, neuronStatements))", line: t.line)
                }
            }
        }
    }

    /// `USEION ca READ eca, cai WRITE ica VALENCE 2 REPRESENTS CHEBI:29108`, clauses in any order.
    func parseUseIon(line: Int) throws -> IonUse {
        let ion = try name("an ion name after USEION")
        var use = IonUse(line: line, ion: ion, read: [], write: [], valence: nil)
        while true {
            if acceptWord("READ") {
                use.read += try nameList(after: "READ")
            } else if acceptWord("WRITE") {
                use.write += try nameList(after: "WRITE")
            } else if acceptWord("VALENCE") {
                let at = tok
                let v = try signedNumber("after VALENCE")
                guard v == v.rounded(), abs(v) <= 1000 else {
                    throw fail("the VALENCE of ion '\(ion)' must be a whole number, found '\(at.text)'", line: at.line)
                }
                use.valence = Int(v)
            } else if acceptWord("REPRESENTS") {
                guard tok.kind == .word else { throw unexpected("an ontology id after REPRESENTS") }
                advance()
            } else {
                return use
            }
        }
    }

    /// `a, b, c` after RANGE, READ, ...: commas required, as in nocmodl.
    func nameList(after keyword: String) throws -> [String] {
        var names = [try name("a name after \(keyword)")]
        while accept(",") { names.append(try name("a name after ',' in the \(keyword) list")) }
        return names
    }

    // MARK: - UNITS, declarations, DEFINE

    func parseUnits() throws {
        let line = tok.line
        advance()
        try inside("the UNITS block", line: line) {
            try expect("{", "after UNITS")
            while !accept("}") {
                let entryLine = tok.line
                if isSymbol("(") {
                    // `(mV) = (millivolt)`
                    let alias = try unit("a unit name")
                    try expect("=", "after '(\(alias))' in the UNITS block")
                    guard isSymbol("(") else { throw unexpected("a unit in parentheses after '(\(alias)) ='") }
                    let definition = try unit("the definition of '(\(alias))'")
                    file.units.append((name: "(\(alias))", definition: "(\(definition))", line: entryLine))
                } else if isName {
                    // `FARADAY = (faraday) (coulomb)`, `FARADAY = 96485.309 (coul)`, `x = (foot) -> (inch)`
                    let n = tok.text
                    advance()
                    try expect("=", "after '\(n)' in the UNITS block")
                    let start = tok.start
                    if isSymbol("(") {
                        _ = try unit("the definition of '\(n)'")
                        if accept("-") { try expect(">", "in '\(n) = (unit) -> (unit)'") }
                    } else {
                        _ = try signedNumber("or a unit in parentheses after '\(n) ='")
                    }
                    guard isSymbol("(") else { throw unexpected("a unit in parentheses to end the definition of '\(n)'") }
                    _ = try unit("the definition of '\(n)'")
                    file.units.append((name: n, definition: source(start, tokens[pos - 1].end), line: entryLine))
                } else {
                    throw unexpected("a unit definition such as '(mV) = (millivolt)' or 'FARADAY = (faraday) (coulomb)'")
                }
            }
        }
    }

    /// A PARAMETER, ASSIGNED, STATE or CONSTANT block. Each entry is a name followed by any of
    /// `= value`, `(unit)`, `<lo, hi>` (a range; `<tol>` alone is a STATE's tolerance, dropped),
    /// `FROM lo TO hi` (a STATE's bounds, dropped), `START value` (an initial value).
    func parseDeclarations() throws -> [Declaration] {
        let block = tok.text, line = tok.line
        advance()
        return try inside("the \(block) block", line: line) {
            try expect("{", "after \(block)")
            var out: [Declaration] = []
            while !accept("}") {
                guard isName else { throw unexpected("a variable name in the \(block) block") }
                let nameTok = tok
                advance()
                if isSymbol("[") { throw arrayError(nameTok) }
                var d = Declaration(line: nameTok.line, name: nameTok.text)
                while true {
                    if accept("=") {
                        d.value = try signedNumber("as the value of '\(d.name)'")
                    } else if isSymbol("(") {
                        let u = try unit("the unit of '\(d.name)'")
                        d.unit = u.isEmpty ? nil : u
                    } else if accept("<") {
                        let lo = try signedNumber("as the lower limit of '\(d.name)'")
                        if accept(",") {
                            let hi = try signedNumber("as the upper limit of '\(d.name)'")
                            d.range = (lo, hi)
                        }
                        try expect(">", "to close the limits of '\(d.name)'")
                    } else if acceptWord("FROM") {
                        _ = try signedNumber("after FROM for '\(d.name)'")
                        try expectWord("TO", "after 'FROM value' for '\(d.name)'")
                        _ = try signedNumber("after TO for '\(d.name)'")
                    } else if acceptWord("START") {
                        d.value = try signedNumber("after START for '\(d.name)'")
                    } else {
                        break
                    }
                }
                out.append(d)
            }
            return out
        }
    }

    /// `DEFINE NANN 10`
    func parseDefine() throws {
        let line = tok.line
        advance()
        let n = try name("a name after DEFINE")
        guard tok.kind == .number, tok.value == tok.value.rounded(), !tok.text.contains(".") else {
            throw unexpected("a whole number after 'DEFINE \(n)'")
        }
        defines[n] = tok.value
        file.defines.append((name: n, value: tok.value, line: line))
        advance()
    }

    /// `-1.5`, `2`, or a DEFINEd name, as declarations and limits allow (no expressions).
    func signedNumber(_ why: @autoclosure () -> String) throws -> Double {
        var sign = 1.0
        if accept("-") { sign = -1 } else { _ = accept("+") }
        if tok.kind == .number {
            let t = tok
            advance()
            try checkNumberEnd(t)
            return sign * t.value
        }
        if tok.kind == .word, let v = defines[tok.text] {
            advance()
            return sign * v
        }
        throw unexpected("a number \(why())")
    }

    /// A name glued to a number (`12abc`) is a bad number, not two tokens; reaction
    /// coefficients (`2A`) are the one place where that is allowed, and do not come here.
    func checkNumberEnd(_ number: NMODLToken) throws {
        if tok.kind == .word, !tok.spaced {
            throw fail("bad number '\(shortened(source(number.start, tok.end)))'", line: number.line)
        }
    }

    /// `(unit)`: the raw text between the parentheses, whitespace collapsed. Units never span
    /// lines (nocmodl reads them to the ')' on the same line).
    func unit(_ what: @autoclosure () -> String) throws -> String {
        let openTok = tok
        try expect("(", "to start \(what())")
        while !isSymbol(")") {
            if tok.kind == .endOfFile || tok.line != openTok.line || isSymbol("(") || isSymbol("{") || isSymbol("}") {
                let found = tok.line != openTok.line && tok.kind != .endOfFile ? "the end of the line" : describe(tok)
                throw fail("expected ')' to close \(what()), found \(found)", line: openTok.line)
            }
            advance()
        }
        let text = source(openTok.end, tok.start)
        advance()
        return text
    }

    // MARK: - Blocks

    func parseInitialOrBreakpoint() throws {
        let t = tok
        advance()
        if let first = t.text == "INITIAL" ? initialLine : breakpointLine {
            throw fail("a second \(t.text) block (the first is at line \(first))", line: t.line)
        }
        let body = try parseBody("the \(t.text) block", line: t.line)
        if t.text == "INITIAL" {
            initialLine = t.line
            file.initial = body
        } else {
            breakpointLine = t.line
            file.breakpoint = body
        }
    }

    func parseNamedBlock() throws {
        let t = tok
        advance()
        let n = try name("a block name after \(t.text)")
        let what = "the \(t.text) block '\(n)'"
        if isWord("SOLVEFOR") { throw fail("SOLVEFOR is not supported (in \(what))") }
        let kind = NamedBlock.Kind(rawValue: t.text) ?? .derivative
        context = kind == .kinetic ? .kinetic : .equations
        defer { context = .other }
        let body = try parseBody(what, line: t.line)
        file.blocks.append(NamedBlock(line: t.line, kind: kind, name: n, body: body))
    }

    /// `PROCEDURE rates(v (mV)) { ... }`, `FUNCTION f(x, y) (/ms) { ... }`
    func parseCallable() throws {
        let t = tok
        advance()
        let n = try name("a name after \(t.text)")
        let what = "the \(t.text) '\(n)'"
        let arguments = try inside(what, line: t.line) { () throws -> [String] in
            try expect("(", "after the \(t.text) name '\(n)'")
            let args = try argumentList(of: n)
            if isSymbol("(") { _ = try unit("the unit of '\(n)'") }
            return args
        }
        let body = try parseBody(what, line: t.line)
        file.callables.append(Callable(line: t.line, name: n, arguments: arguments, isFunction: t.text == "FUNCTION", body: body))
    }

    /// The formal arguments after '(': `v (mV), x`, through the ')'.
    func argumentList(of owner: String) throws -> [String] {
        var args: [String] = []
        if accept(")") { return args }
        repeat {
            let argTok = tok
            args.append(try name("an argument name of '\(owner)'"))
            if isSymbol("[") { throw arrayError(argTok) }
            if isSymbol("(") { _ = try unit("the unit of argument '\(args.last!)'") }
        } while accept(",")
        try expect(")", "after the arguments of '\(owner)'")
        return args
    }

    func parseNetReceive() throws {
        let t = tok
        advance()
        if let previous = file.netReceive {
            throw fail("a second NET_RECEIVE block (the first is at line \(previous.line))", line: t.line)
        }
        let arguments = try inside("the NET_RECEIVE block", line: t.line) { () throws -> [String] in
            try expect("(", "after NET_RECEIVE")
            return try argumentList(of: "NET_RECEIVE")
        }
        inNetReceive = true
        defer { inNetReceive = false }
        let body = try parseBody("the NET_RECEIVE block", line: t.line)
        file.netReceive = (line: t.line, arguments: arguments, body: body)
    }

    /// `{ statements }`. (No closure here: this is on the recursion path of nested blocks,
    /// and the stack each level takes is what limits how deep input may nest.)
    func parseBody(_ what: String, line: Int) throws -> [Statement] {
        try enter()
        open.append((what, line))
        defer { leave(); open.removeLast() }
        try expect("{", "to open \(what)")
        var body: [Statement] = []
        while !accept("}") {
            try parseStatement(into: &body)
        }
        return body
    }

    /// Skips a `{ ... }` whose contents are not kept, checking only that the braces balance.
    func skipBraces(_ what: String, line: Int) throws {
        try skipBalanced("{", "}", what, line: line)
    }

    func skipParentheses(_ what: String, line: Int) throws {
        try skipBalanced("(", ")", what, line: line)
    }

    func skipBalanced(_ opening: String, _ closing: String, _ what: String, line: Int) throws {
        try inside(what, line: line) {
            try expect(opening, "to open \(what)")
            var level = 1
            while level > 0 {
                if tok.kind == .endOfFile { throw unexpected("'\(closing)'") }
                if isSymbol(opening) { level += 1 } else if isSymbol(closing) { level -= 1 }
                advance()
            }
        }
    }

    /// Skips to the '{' that opens the body of `what` (COMPARTMENT, FROM, ...), then the body.
    func skipToBody(_ what: String, line: Int) throws {
        try inside(what, line: line) {
            while !isSymbol("{") {
                if tok.kind == .endOfFile || isSymbol("}") { throw unexpected("'{' to open the body of \(what)") }
                advance()
            }
        }
        try skipBraces(what, line: line)
    }

    // MARK: - Statements

    var whereWeAre: String { open.first.map { " in \($0.what)" } ?? "" }

    func parseStatement(into body: inout [Statement]) throws {
        let t = tok
        switch t.kind {
        case .verbatim:
            advance()
            body.append(Statement(line: t.line, .unsupported("VERBATIM")))
        case .symbol where t.text == "{":
            // A bare `{ ... }` groups statements and means nothing more.
            body += try parseBody("the '{' block", line: t.line)
        case .symbol where t.text == "~":
            body.append(try parseTilde())
        case .word where t.text == "if" || t.text == "IF":
            body.append(try parseIf())
        case .word:
            try parseWordStatement(into: &body)
        default:
            throw unexpected("a statement\(whereWeAre)")
        }
    }

    func parseWordStatement(into body: inout [Statement]) throws {
        let t = tok
        let line = t.line
        switch t.text {
        case "LOCAL":
            advance()
            body.append(Statement(line: line, .local(try localNames())))
        case "while", "WHILE":
            advance()
            try expect("(", "after 'while'")
            let condition = try expression()
            try expect(")", "after the condition of 'while'")
            body.append(Statement(line: line, .whileLoop(condition, try parseBody("the 'while' block", line: line))))
        case "SOLVE":
            advance()
            let block = try name("a block name after SOLVE")
            var method: String?
            var steadyState = false
            if acceptWord("METHOD") {
                method = try name("a method name after 'SOLVE \(block) METHOD'")
            } else if acceptWord("STEADYSTATE") {
                method = try name("a method name after 'SOLVE \(block) STEADYSTATE'")
                steadyState = true
            }
            body.append(Statement(line: line, .solve(block: block, method: method, steadyState: steadyState)))
        case "TABLE":
            body.append(try parseTable())
        case "CONSERVE":
            advance()
            let terms = try reactionTerms("CONSERVE")
            try expect("=", "after the states of CONSERVE")
            body.append(Statement(line: line, .conserve(terms, try expression())))
        case "COMPARTMENT", "LONGITUDINAL_DIFFUSION", "FROM":
            advance()
            try skipToBody(t.text, line: line)
            body.append(Statement(line: line, .unsupported(t.text)))
        case "WATCH":
            // `WATCH (v > thresh) 2, (x < 0) 3`
            advance()
            repeat {
                try skipParentheses("the WATCH condition", line: line)
                _ = try expression()
            } while accept(",")
            body.append(Statement(line: line, .unsupported("WATCH")))
        case "FOR_NETCONS":
            advance()
            try skipParentheses("the arguments of FOR_NETCONS", line: line)
            try skipBraces("the FOR_NETCONS block", line: line)
            body.append(Statement(line: line, .unsupported("FOR_NETCONS")))
        case "INITIAL" where inNetReceive:
            // The NET_RECEIVE's own INITIAL (per-connection state): checked, then refused later.
            advance()
            _ = try parseBody("the INITIAL block of NET_RECEIVE", line: line)
            body.append(Statement(line: line, .unsupported("INITIAL")))
        case "LAG":
            advance()
            _ = try name("a name after LAG")
            try expectWord("BY", "in the LAG statement")
            _ = try name("a name after 'BY' in the LAG statement")
            body.append(Statement(line: line, .unsupported("LAG")))
        case "PROTECT":
            // Makes an assignment atomic across threads; one thread per instance needs nothing.
            advance()
            guard isName else { throw unexpected("an assignment after PROTECT") }
            try parseWordStatement(into: &body)
        case "MUTEXLOCK", "MUTEXUNLOCK":
            advance()
        case "CONDUCTANCE":
            // `CONDUCTANCE g [USEION na]`: a hint for NEURON's CVODE, no meaning here.
            advance()
            _ = try name("a name after CONDUCTANCE")
            if acceptWord("USEION") { _ = try name("an ion name after USEION") }
        case "else", "ELSE":
            throw fail("'else' without an 'if' before it")
        case _ where topLevelKeywords.contains(t.text) || t.text == "INITIAL":
            let outer = open.first.map { "\($0.what) (opened at line \($0.line))" } ?? "the enclosing block"
            throw fail("'\(t.text)' cannot appear inside \(outer): is a '}' missing before it?")
        case _ where keywords.contains(t.text):
            throw unexpected("a statement\(whereWeAre)")
        default:
            body.append(try parseNameStatement())
        }
    }

    /// `x = e`, `x' = e`, `f(a, b)`.
    func parseNameStatement() throws -> Statement {
        let t = tok
        let n = t.text
        advance()
        if isSymbol("[") { throw arrayError(t) }
        if isSymbol("(") {
            let args = try callArguments(of: n).map(\.expr)
            if ["net_send", "net_event", "net_move"].contains(n) {
                return Statement(line: t.line, .unsupported(n))
            }
            return Statement(line: t.line, .call(n, args))
        }
        if accept("'") {
            if isSymbol("'") { throw fail("higher-order derivatives are not supported: '\(n)''", line: t.line) }
            try expect("=", "after \(n)'")
            return Statement(line: t.line, .derivative(n, try expression()))
        }
        if accept("=") {
            return Statement(line: t.line, .assign(n, try expression()))
        }
        throw unexpected("'=' or '(' after '\(shortened(n))'")
    }

    /// `if (c) { } else if (c) { } else { }`: an else-if is an `ifElse` alone in `otherwise`.
    func parseIf() throws -> Statement {
        let line = tok.line
        advance()
        try expect("(", "after 'if'")
        let condition = try expression()
        try expect(")", "after the condition of 'if'")
        let then = try parseBody("the 'if' block", line: line)
        var otherwise: [Statement] = []
        if acceptWord("else") || acceptWord("ELSE") {
            if isWord("if") || isWord("IF") {
                try enter()
                defer { leave() }
                otherwise = [try parseIf()]
            } else {
                otherwise = try parseBody("the 'else' block", line: tokens[pos - 1].line)
            }
        }
        return Statement(line: line, .ifElse(condition, then, otherwise))
    }

    /// `TABLE a, b DEPEND c, d FROM lo TO hi WITH n` (both lists optional).
    func parseTable() throws -> Statement {
        let line = tok.line
        advance()
        var names: [String] = []
        if isName {
            names = [try name("a name in the TABLE list")]
            while accept(",") { names.append(try name("a name after ',' in the TABLE list")) }
        }
        var depend: [String] = []
        if acceptWord("DEPEND") { depend = try nameList(after: "DEPEND") }
        try expectWord("FROM", "in the TABLE statement")
        let from = try expression()
        try expectWord("TO", "in the TABLE statement")
        let to = try expression()
        try expectWord("WITH", "in the TABLE statement")
        let with = try expression()
        return Statement(line: line, .table(names: names, depend: depend, from: from, to: to, with: with))
    }

    /// `LOCAL a, b` (after the LOCAL).
    func localNames() throws -> [String] {
        var names: [String] = []
        repeat {
            let t = tok
            names.append(try name(names.isEmpty ? "a name after LOCAL" : "a name after ',' in LOCAL"))
            if isSymbol("[") { throw arrayError(t) }
        } while accept(",")
        return names
    }

    /// `~ ...`: a reaction or flux in a KINETIC block, an equation in LINEAR / NONLINEAR /
    /// DERIVATIVE.
    func parseTilde() throws -> Statement {
        let line = tok.line
        advance()
        if isSymbol("+"), !tok.spaced { throw fail("'~+' (adding to an equation) is not supported") }
        switch context {
        case .kinetic:
            let lhs = try reactionTerms("the reaction")
            if accept("<->") {
                let rhs = try reactionTerms("the right side of the reaction")
                try expect("(", "before the rates of the reaction")
                let forward = try expression()
                try expect(",", "between the forward and backward rates of the reaction")
                let backward = try expression()
                try expect(")", "after the rates of the reaction")
                return Statement(line: line, .reaction(lhs: lhs, rhs: rhs, forward: forward, backward: backward))
            }
            if isSymbol("<"), next.kind == .symbol, next.text == "<" {
                advance(); advance()
                guard lhs.count == 1, lhs[0].coefficient == 1 else {
                    throw fail("a flux '~ x << (rate)' names exactly one state", line: line)
                }
                try expect("(", "before the flux of '\(lhs[0].name)'")
                let flux = try expression()
                try expect(")", "after the flux of '\(lhs[0].name)'")
                return Statement(line: line, .flux(lhs[0].name, flux))
            }
            if isSymbol("-"), next.kind == .symbol, next.text == ">" {
                advance(); advance()
                try expect("(", "before the rate of the reaction")
                let rate = try expression()
                try expect(")", "after the rate of the reaction")
                return Statement(line: line, .reaction(lhs: lhs, rhs: [], forward: rate, backward: .number(0)))
            }
            throw unexpected("'<->', '<<' or '->' in the reaction")
        case .equations:
            let lhs = try expression()
            try expect("=", "in the equation")
            return Statement(line: line, .equation(lhs, try expression()))
        case .other:
            throw fail("'~' (a reaction or an equation) may appear only in KINETIC, LINEAR, NONLINEAR or DERIVATIVE blocks")
        }
    }

    /// `2 A + B`: states with whole-number coefficients.
    func reactionTerms(_ what: String) throws -> [ReactionTerm] {
        var terms: [ReactionTerm] = []
        repeat {
            var coefficient = 1
            if tok.kind == .number {
                let v = tok.value
                guard v == v.rounded(), v >= 1, v <= 1_000_000 else {
                    throw fail("a coefficient in \(what) must be a positive whole number, found '\(shortened(tok.text))'")
                }
                coefficient = Int(v)
                advance()
            }
            let t = tok
            let n = try name("a state name in \(what)")
            if isSymbol("[") { throw arrayError(t) }
            terms.append(ReactionTerm(coefficient, n))
        } while accept("+")
        return terms
    }

    // MARK: - Expressions

    func expression() throws -> Expr { try binary(1).expr }

    func binaryOperator() -> (Expr.BinaryOp, Int)? {
        guard tok.kind == .symbol else { return nil }
        switch tok.text {
        case "||": return (.or, 1)
        case "&&": return (.and, 2)
        case "<": return (.less, 3)
        case ">": return (.greater, 3)
        case "<=": return (.lessEqual, 3)
        case ">=": return (.greaterEqual, 3)
        case "==": return (.equal, 3)
        case "!=": return (.notEqual, 3)
        case "+": return (.add, 4)
        case "-": return (.subtract, 4)
        case "*": return (.multiply, 5)
        case "/": return (.divide, 5)
        default: return nil
        }
    }

    /// Precedence climbing over the left-associative binary operators:
    /// `||` < `&&` < comparisons < `+ -` < `* /`.
    func binary(_ minPrecedence: Int) throws -> Node {
        var lhs = try unary()
        while let (op, precedence) = binaryOperator(), precedence >= minPrecedence {
            advance()
            let rhs = try binary(precedence + 1)
            lhs = try node(.binary(op, lhs.expr, rhs.expr), lhs, rhs)
        }
        return lhs
    }

    /// `-x`, `!x`, `+x`: tighter than `*`, looser than `^` (`-x^2` is `-(x^2)`).
    func unary() throws -> Node {
        guard isSymbol("-") || isSymbol("!") || isSymbol("+") else { return try power() }
        let op = tok.text
        advance()
        try enter()
        defer { leave() }
        let operand = try unary()
        if op == "+" { return operand }
        return try node(.unary(op == "-" ? .negate : .not, operand.expr), operand)
    }

    /// `a ^ b`, right-associative; the exponent may carry a sign (`2^-x`).
    func power() throws -> Node {
        let base = try primary()
        guard accept("^") else { return base }
        try enter()
        defer { leave() }
        let exponent = try unary()
        return try node(.binary(.power, base.expr, exponent.expr), base, exponent)
    }

    func primary() throws -> Node {
        let t = tok
        switch t.kind {
        case .number:
            advance()
            try checkNumberEnd(t)
            if isSymbol("(") { _ = try unit("the unit of \(t.text)") }
            return Node(expr: .number(t.value), height: 1)
        case .word where !keywords.contains(t.text):
            advance()
            if isSymbol("(") {
                let args = try callArguments(of: t.text)
                return try node(.call(t.text, args.map(\.expr)), args)
            }
            if isSymbol("[") { throw arrayError(t) }
            if let v = defines[t.text] { return Node(expr: .number(v), height: 1) }
            return Node(expr: .name(t.text), height: 1)
        case .symbol where t.text == "(":
            advance()
            try enter()
            defer { leave() }
            let inner = try binary(1)
            try expect(")", "to close the '(' opened at line \(t.line)")
            return inner
        default:
            throw unexpected("an expression")
        }
    }

    /// `(a, b)` after a function's name; strings (printf's format) are allowed and dropped.
    func callArguments(of function: String) throws -> [Node] {
        try expect("(", "after '\(function)'")
        try enter()
        defer { leave() }
        var args: [Node] = []
        if accept(")") { return args }
        repeat {
            if tok.kind == .string { advance() } else { args.append(try binary(1)) }
        } while accept(",")
        try expect(")", "after the arguments of '\(shortened(function))'")
        return args
    }

    /// A new node over `children`, refused when the tree would grow taller than `maxDepth`
    /// (a 10,000-term sum parses without recursion but would recurse when destroyed or walked).
    func node(_ expr: Expr, _ children: Node...) throws -> Node { try node(expr, children) }

    func node(_ expr: Expr, _ children: [Node]) throws -> Node {
        let height = 1 + (children.map(\.height).max() ?? 0)
        if height > NMODLParser.maxDepth {
            throw fail("expression nested deeper than \(NMODLParser.maxDepth) levels")
        }
        return Node(expr: expr, height: height)
    }
}
