// The NESTML lexer: source text -> tokens with 1-based lines, following NESTML 9's
// PyNestMLLexer.g4 and its PyNestMLLexerBase (the Python-style indentation):
// - A logical line that holds a token ends with a NEWLINE token. Its indentation (a tab counts
//   to the next multiple of 8) opens an INDENT when deeper than the line before, or closes
//   DEDENTs down to the level it returns to; a level that matches no open one is an error.
//   Blank lines and lines holding only a comment or a docstring produce no tokens.
// - `#` starts a comment to the end of the line; `"""..."""` is a docstring (older NESTML
//   models open with one), skipped like a comment, and may span lines.
// - A `\` at the end of a line joins the next line to it (no NEWLINE, no indentation), and so
//   does a `,` at the end of a line (NESTML's KERNEL_JOINING, for `kernel a = ..., \n b = ...`;
//   a comment may follow the comma here). Newlines inside parentheses are not joined: NESTML
//   does not join them either.
// - At the end of the file every open indentation level is closed.
// - Words are names or keywords (the parser tells them apart; `true`/`True`/`false`/`False` are
//   words too). Names may contain `$` (`g_AMPA$`). `250pF` is the number 250 then the name pF,
//   `1e-3` is one number, `1e` is 1 then e, `0...5` is 0, `...`, 5.
// - Operators are the longest match: `**`, `//`, `<-`, `[[`, `]]`, `<=`, `+=`, `//=`, `...`, ...

import PlexusCore

struct NESTMLToken: Sendable {
    enum Kind: Equatable, Sendable {
        /// A name or keyword.
        case word
        /// An integer literal (`[0-9]+`).
        case integer
        /// A real literal (`1.5`, `.5`, `1.`, `1e-3`).
        case real
        /// A "string"; `text` is its contents with escapes resolved.
        case string
        /// An operator or punctuation mark.
        case symbol
        case newline
        case indent
        case dedent
        case endOfFile
    }

    var kind: Kind
    var text: String
    /// The value of a number.
    var value: Double = 0
    var line: Int
}

enum NESTMLLexer {
    static func tokenize(_ bytes: [UInt8], path: String) throws -> [NESTMLToken] {
        var scanner = Scanner(bytes: bytes, path: path)
        return try scanner.run()
    }

    /// Operators, longest first.
    static let symbols: [String] = [
        "...", "//=",
        "**", "//", "<-", "[[", "]]", "<<", ">>", "<=", ">=", "==", "!=", "<>", "+=", "-=", "*=", "/=", "::",
        "(", ")", "+", "~", "|", "^", "&", "[", "]", "<", ">", ",", "-", "=", "*", "/", "%", "?", ":", ";", "'", ".", "@",
    ].sorted { $0.utf8.count > $1.utf8.count }
    static let symbolBytes: [[UInt8]] = symbols.map { Array($0.utf8) }

    private struct Scanner {
        let bytes: [UInt8]
        let path: String
        var i = 0
        var line = 1
        var tokens: [NESTMLToken] = []
        /// Open indentation levels (columns), innermost last; the top level (0) is implicit.
        var indents: [Int] = []
        /// Indentation of the current physical line.
        var lineIndent = 0
        /// True until the first token of the current logical line.
        var atLineStart = true
        /// The current physical line continues the logical line before it (`\` or a trailing `,`).
        var joined = false

        init(bytes: [UInt8], path: String) { self.bytes = bytes; self.path = path }

        func peek(_ offset: Int = 0) -> UInt8 {
            let j = i + offset
            return j < bytes.count ? bytes[j] : 0
        }

        func text(_ from: Int, _ to: Int) -> String { String(decoding: bytes[from..<to], as: UTF8.self) }

        func fail(_ message: String, line: Int? = nil) -> PlexusError {
            PlexusError(message, file: path, line: line ?? self.line)
        }

        /// Adds a token; the first of a logical line first settles the indentation.
        mutating func add(_ kind: NESTMLToken.Kind, _ text: String, value: Double = 0, line tokenLine: Int? = nil) throws {
            if atLineStart {
                atLineStart = false
                if !joined { try indentation() }
                joined = false
            }
            tokens.append(NESTMLToken(kind: kind, text: text, value: value, line: tokenLine ?? line))
        }

        mutating func indentation() throws {
            let current = indents.last ?? 0
            if lineIndent > current {
                indents.append(lineIndent)
                tokens.append(NESTMLToken(kind: .indent, text: "", line: line))
            } else if lineIndent < current {
                while let top = indents.last, top > lineIndent {
                    indents.removeLast()
                    tokens.append(NESTMLToken(kind: .dedent, text: "", line: line))
                }
                if (indents.last ?? 0) != lineIndent {
                    let levels = ([0] + indents).map(String.init).joined(separator: ", ")
                    throw fail("bad indentation: this line is indented by \(lineIndent) columns, which matches no enclosing "
                               + "block (they are indented by \(levels))")
                }
            }
        }

        /// Ends a physical line at a newline character (not yet consumed).
        mutating func endOfLine() {
            let lastOnLine = atLineStart ? nil : tokens.last
            if let last = lastOnLine, last.kind == .symbol, last.text == "," {
                joined = true // KERNEL_JOINING
            } else if lastOnLine != nil {
                tokens.append(NESTMLToken(kind: .newline, text: "", line: line))
            }
            if peek() == 13, peek(1) == 10 { i += 1 }
            i += 1
            line += 1
            startLine()
        }

        /// Measures the indentation of the physical line starting at `i`.
        mutating func startLine() {
            atLineStart = true
            var column = 0
            while i < bytes.count {
                if bytes[i] == 32 { column += 1 } else if bytes[i] == 9 { column += 8 - column % 8 } else if bytes[i] == 12 { column = 0 } else { break }
                i += 1
            }
            lineIndent = column
        }

        mutating func run() throws -> [NESTMLToken] {
            startLine()
            while i < bytes.count {
                let c = bytes[i]
                switch c {
                case 10, 13:
                    endOfLine()
                case 32, 9, 12:
                    i += 1
                case UInt8(ascii: "#"):
                    while i < bytes.count, bytes[i] != 10, bytes[i] != 13 { i += 1 }
                case UInt8(ascii: "\\"):
                    var j = i + 1
                    while j < bytes.count, bytes[j] == 32 || bytes[j] == 9 { j += 1 }
                    guard j >= bytes.count || bytes[j] == 10 || bytes[j] == 13 else {
                        throw fail("stray '\\': a backslash may only end a line (to continue it on the next)")
                    }
                    // Line continuation: the next physical line belongs to this logical line.
                    i = j
                    if i < bytes.count {
                        if peek() == 13, peek(1) == 10 { i += 1 }
                        i += 1
                        line += 1
                        let wasAtStart = atLineStart
                        startLine()
                        atLineStart = wasAtStart
                        if !wasAtStart { joined = true }
                    }
                case UInt8(ascii: "\""):
                    if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                        try docstring()
                    } else {
                        try string()
                    }
                default:
                    if isLetter(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "$") {
                        let start = i
                        while i < bytes.count, isNameByte(bytes[i]) { i += 1 }
                        try add(.word, text(start, i))
                    } else if isDigit(c) || (c == UInt8(ascii: ".") && isDigit(peek(1))) {
                        try number()
                    } else {
                        try symbol()
                    }
                }
            }
            // The last logical line, then every open level.
            if !atLineStart { tokens.append(NESTMLToken(kind: .newline, text: "", line: line)) }
            let last = bytes.last
            let endLine = (last == 10 || last == 13) ? max(1, line - 1) : line
            for _ in indents { tokens.append(NESTMLToken(kind: .dedent, text: "", line: endLine)) }
            tokens.append(NESTMLToken(kind: .endOfFile, text: "", line: endLine))
            return tokens
        }

        /// `"""..."""`: skipped like a comment.
        mutating func docstring() throws {
            let opened = line
            i += 3
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "\""), peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                    i += 3
                    return
                }
                if bytes[i] == 10 || bytes[i] == 13 {
                    if peek() == 13, peek(1) == 10 { i += 1 }
                    line += 1
                }
                i += 1
            }
            throw fail("unterminated docstring: no closing \"\"\" after the one opened at line \(opened)", line: opened)
        }

        /// `"..."` on one line; `\"`, `\\`, `\n`, `\t` are resolved, other escapes kept as written.
        mutating func string() throws {
            i += 1
            var out: [UInt8] = []
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                let c = bytes[i]
                if c == 10 || c == 13 { break }
                if c == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] != 10, bytes[i + 1] != 13 {
                    let e = bytes[i + 1]
                    switch e {
                    case UInt8(ascii: "n"): out.append(10)
                    case UInt8(ascii: "t"): out.append(9)
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(e)
                    default: out += [c, e]
                    }
                    i += 2
                    continue
                }
                out.append(c)
                i += 1
            }
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                throw fail("unterminated string: no closing '\"' on this line")
            }
            i += 1
            try add(.string, String(decoding: out, as: UTF8.self))
        }

        /// UNSIGNED_INTEGER or FLOAT as PyNestMLLexer.g4 defines them.
        mutating func number() throws {
            let start = i
            var isReal = false
            while isDigit(peek()) { i += 1 }
            // `0...5` is a range, not `0.` then `..5`.
            if peek() == UInt8(ascii: "."), !(peek(1) == UInt8(ascii: ".") && peek(2) == UInt8(ascii: ".")) {
                isReal = true
                i += 1
                while isDigit(peek()) { i += 1 }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                let sign = peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-")
                if isDigit(peek(sign ? 2 : 1)) {
                    isReal = true
                    i += sign ? 2 : 1
                    while isDigit(peek()) { i += 1 }
                }
            }
            let lexeme = text(start, i)
            var normal = lexeme
            if normal.hasPrefix(".") { normal = "0" + normal }
            normal = normal.replacingOccurrences(of: ".e", with: ".0e").replacingOccurrences(of: ".E", with: ".0E")
            if normal.hasSuffix(".") { normal += "0" }
            guard let value = Double(normal), value.isFinite else {
                let shown = lexeme.count > 40 ? lexeme.prefix(40) + "..." : Substring(lexeme)
                throw fail("number out of range: '\(shown)'")
            }
            try add(isReal ? .real : .integer, lexeme, value: value)
        }

        mutating func symbol() throws {
            for s in NESTMLLexer.symbolBytes where i + s.count <= bytes.count && bytes[i..<(i + s.count)].elementsEqual(s) {
                i += s.count
                try add(.symbol, String(decoding: s, as: UTF8.self))
                return
            }
            let start = i
            if bytes[i] >= 0x80 {
                i += 1
                while i < bytes.count, bytes[i] & 0xC0 == 0x80, i - start < 4 { i += 1 }
            } else {
                i += 1
            }
            let shown = bytes[start] < 32 || bytes[start] == 127
                ? "U+" + String(bytes[start], radix: 16, uppercase: true)
                : text(start, i)
            throw fail("unexpected character '\(shown)'")
        }
    }
}

private func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
private func isNameByte(_ c: UInt8) -> Bool { isLetter(c) || isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "$") }
