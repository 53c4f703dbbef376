// The NMODL lexer: source text -> tokens with 1-based lines. It follows NEURON's nocmodl
// lexer (src/nmodl/lex.lpp): `:` and `?` start a comment to the end of the line, COMMENT and
// VERBATIM run to a line whose first word is ENDCOMMENT / ENDVERBATIM, TITLE takes the rest of
// its line, UNITSON / UNITSOFF are dropped, names start with a letter, `2A` is the number 2 then
// the name A (reaction coefficients are written that way). Everything else is left to the
// parser, which knows what it expected; the lexer refuses only what can never be a token
// (an unterminated COMMENT, VERBATIM or string, a stray ENDCOMMENT or ENDVERBATIM, a malformed
// or infinite number).

import PlexusCore

struct NMODLToken: Sendable {
    enum Kind: Equatable, Sendable {
        /// A name or keyword (keywords are told apart by the parser).
        case word
        case number
        /// A "string" (only printf-style call arguments use them); `text` is the contents.
        case string
        /// An operator or punctuation mark, or a character NMODL has no use for (the parser
        /// refuses it where it appears).
        case symbol
        /// `TITLE rest of line`; `text` is the rest of the line.
        case title
        /// A VERBATIM ... ENDVERBATIM block (its C code is not kept).
        case verbatim
        case endOfFile
    }

    var kind: Kind
    var text: String
    /// The value of a number token.
    var value: Double = 0
    var line: Int
    /// Byte offsets of the token in the source (units are read as raw text between tokens).
    var start: Int
    var end: Int
    /// True when whitespace or a comment separates this token from the previous one
    /// (`12abc` is a bad number, `12 abc` is two tokens).
    var spaced: Bool
}

enum NMODLLexer {
    static func tokenize(_ bytes: [UInt8], path: String) throws -> [NMODLToken] {
        var scanner = Scanner(bytes: bytes, path: path)
        return try scanner.run()
    }

    private struct Scanner {
        let bytes: [UInt8]
        let path: String
        var i = 0
        var line = 1
        var tokens: [NMODLToken] = []
        var spaced = true

        init(bytes: [UInt8], path: String) { self.bytes = bytes; self.path = path }

        func peek(_ offset: Int = 0) -> UInt8 {
            let j = i + offset
            return j < bytes.count ? bytes[j] : 0
        }

        func text(_ from: Int, _ to: Int) -> String { String(decoding: bytes[from..<to], as: UTF8.self) }

        mutating func add(_ kind: NMODLToken.Kind, _ text: String, from start: Int, value: Double = 0, line: Int? = nil) {
            tokens.append(NMODLToken(kind: kind, text: text, value: value, line: line ?? self.line,
                                     start: start, end: i, spaced: spaced))
            spaced = false
        }

        /// Steps over a newline (`\n`, `\r\n` or a lone `\r`), counting it.
        mutating func newline() {
            if peek() == 13, peek(1) == 10 { i += 1 }
            i += 1
            line += 1
        }

        mutating func skipToEndOfLine() {
            while i < bytes.count, bytes[i] != 10, bytes[i] != 13 { i += 1 }
        }

        mutating func run() throws -> [NMODLToken] {
            while i < bytes.count {
                let c = bytes[i]
                switch c {
                case 10, 13:
                    newline(); spaced = true
                case 32, 9, 11, 12:
                    i += 1; spaced = true
                case UInt8(ascii: ":"), UInt8(ascii: "?"):
                    skipToEndOfLine(); spaced = true
                default:
                    if isLetter(c) {
                        try word()
                    } else if isDigit(c) || (c == UInt8(ascii: ".") && isDigit(peek(1))) {
                        try number()
                    } else if c == UInt8(ascii: "\"") {
                        try string()
                    } else {
                        symbol()
                    }
                }
            }
            // The end of the file is on its last line, not on the empty one after a final newline.
            let last = bytes.last
            let endLine = last == 10 || last == 13 ? max(1, line - 1) : line
            tokens.append(NMODLToken(kind: .endOfFile, text: "", line: endLine, start: bytes.count, end: bytes.count, spaced: true))
            return tokens
        }

        mutating func word() throws {
            let start = i
            while i < bytes.count, isLetter(bytes[i]) || isDigit(bytes[i]) || bytes[i] == UInt8(ascii: "_") { i += 1 }
            let w = text(start, i)
            switch w {
            case "COMMENT":
                try skipBlock("COMMENT", openedAt: line)
                spaced = true
            case "VERBATIM":
                let opened = line
                try skipBlock("VERBATIM", openedAt: opened)
                add(.verbatim, "VERBATIM", from: start, line: opened)
                spaced = true
            case "ENDCOMMENT", "ENDVERBATIM":
                throw PlexusError("'\(w)' without a matching '\(w.dropFirst(3))'", file: path, line: line)
            case "TITLE":
                let rest = i
                skipToEndOfLine()
                add(.title, trimmed(text(rest, i)), from: start)
            case "UNITSON", "UNITSOFF":
                spaced = true
            case "REPRESENTS":
                add(.word, w, from: start)
                ontologyId()
            default:
                add(.word, w, from: start)
            }
        }

        /// After REPRESENTS comes an ontology id such as `CHEBI:29108` or `[NCIT:C17145]`,
        /// whose ':' is not a comment.
        mutating func ontologyId() {
            var j = i
            while j < bytes.count, bytes[j] == 32 || bytes[j] == 9 { j += 1 }
            let start = j
            let bracketed = j < bytes.count && bytes[j] == UInt8(ascii: "[")
            if bracketed { j += 1 }
            let idChar: (UInt8) -> Bool = { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ":") }
            guard j < bytes.count, isLetter(bytes[j]) else { return }
            while j < bytes.count, idChar(bytes[j]) { j += 1 }
            if bracketed {
                guard j < bytes.count, bytes[j] == UInt8(ascii: "]") else { return }
                j += 1
            }
            i = j
            spaced = true
            add(.word, text(start, j), from: start)
        }

        /// Skips a COMMENT or VERBATIM block: everything up to and including the first line
        /// whose first word is END<name> (the rest of the opening line counts as a line, and the
        /// rest of the closing line goes too, as in nocmodl).
        mutating func skipBlock(_ name: String, openedAt opened: Int) throws {
            let end = Array(("END" + name).utf8)
            var lineStart = i
            while true {
                var j = lineStart
                while j < bytes.count, bytes[j] == 32 || bytes[j] == 9 { j += 1 }
                var k = j
                while k < bytes.count, isLetter(bytes[k]) { k += 1 }
                i = lineStart
                skipToEndOfLine()
                if k - j == end.count, bytes[j..<k].elementsEqual(end) { return }
                guard i < bytes.count else {
                    throw PlexusError("unterminated \(name) block (opened at line \(opened)): no END\(name) before the end of the file",
                                      file: path, line: opened)
                }
                newline()
                lineStart = i
            }
        }

        /// Numbers as nocmodl reads them: `1`, `.12`, `2.`, `1e-4`, `1E3`, `1.5e+2`.
        mutating func number() throws {
            let start = i
            while isDigit(peek()) { i += 1 }
            if peek() == UInt8(ascii: ".") {
                i += 1
                while isDigit(peek()) { i += 1 }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                let sign = peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-")
                if isDigit(peek(sign ? 2 : 1)) {
                    i += sign ? 2 : 1
                    while isDigit(peek()) { i += 1 }
                } else if sign {
                    throw badNumber(from: start, i + 2)
                }
            }
            // `1.2.3`, `1..2`: a second '.' can never follow a number.
            if peek() == UInt8(ascii: ".") { throw badNumber(from: start, i) }
            let lexeme = text(start, i)
            guard let value = Double(lexeme), value.isFinite else {
                let shown = lexeme.count > 40 ? lexeme.prefix(40) + "..." : lexeme
                throw PlexusError("number out of range: '\(shown)'", file: path, line: line)
            }
            add(.number, lexeme, from: start, value: value)
        }

        func badNumber(from start: Int, _ at: Int) -> PlexusError {
            var j = at
            while j < bytes.count, j - start < 40,
                  isLetter(bytes[j]) || isDigit(bytes[j]) || bytes[j] == UInt8(ascii: ".") || bytes[j] == UInt8(ascii: "_")
                    || bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") { j += 1 }
            return PlexusError("bad number '\(text(start, min(j, bytes.count)))'", file: path, line: line)
        }

        /// `"..."`: no escapes (as in nocmodl), may span lines.
        mutating func string() throws {
            let start = i, opened = line
            i += 1
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                if bytes[i] == 10 || bytes[i] == 13 { newline() } else { i += 1 }
            }
            guard i < bytes.count else {
                throw PlexusError("unterminated string (opened at line \(opened))", file: path, line: opened)
            }
            i += 1
            add(.string, text(start + 1, i - 1), from: start, line: opened)
        }

        mutating func symbol() {
            let start = i
            let two = (peek(), peek(1))
            let pairs: [(UInt8, UInt8)] = [(60, 61), (62, 61), (61, 61), (33, 61), (38, 38), (124, 124)] // <= >= == != && ||
            if peek() == UInt8(ascii: "<"), peek(1) == UInt8(ascii: "-"), peek(2) == UInt8(ascii: ">") {
                i += 3
            } else if pairs.contains(where: { $0 == two }) {
                i += 2
            } else if bytes[i] >= 0x80 {
                // One UTF-8 character, shown whole in the error that refuses it.
                i += 1
                while i < bytes.count, bytes[i] & 0xC0 == 0x80, i - start < 4 { i += 1 }
            } else {
                i += 1
            }
            let shown = bytes[start] < 32 || bytes[start] == 127
                ? "U+" + String(bytes[start], radix: 16, uppercase: true).leftPadded(to: 4)
                : text(start, i)
            add(.symbol, shown, from: start)
        }
    }
}

private func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

private func trimmed(_ text: String) -> String {
    var s = Substring(text)
    while let f = s.first, f.isWhitespace { s.removeFirst() }
    while let l = s.last, l.isWhitespace { s.removeLast() }
    return String(s)
}

private extension String {
    func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
