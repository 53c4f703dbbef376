import PlexusCore
import Yams

/// A YAML node with its file, line and key path, so every decoding error says where it is.
public struct YNode {
    public let node: Node
    public let file: String
    public let path: String

    public init(node: Node, file: String, path: String) {
        self.node = node
        self.file = file
        self.path = path
    }

    public var line: Int? { node.mark.map { $0.line } }

    public func error(_ message: String) -> PlexusError {
        PlexusError(message, file: file, line: line, keyPath: path.isEmpty ? nil : path)
    }

    public func child(_ key: String, _ n: Node) -> YNode {
        YNode(node: n, file: file, path: path.isEmpty ? key : "\(path).\(key)")
    }

    /// Mapping entries in file order; fails for anything else.
    public func mapping() throws -> [(String, YNode)] {
        guard case .mapping(let m) = node else { throw error("expected a mapping (key: value)") }
        var out: [(String, YNode)] = []
        var seen = Set<String>()
        for (k, v) in m {
            guard case .scalar(let s) = k else { throw error("keys must be plain names") }
            guard seen.insert(s.string).inserted else {
                throw YNode(node: k, file: file, path: path).error("key '\(s.string)' appears twice")
            }
            out.append((s.string, child(s.string, v)))
        }
        return out
    }

    /// A mapping whose keys must all be in `allowed` (catches typos such as `sise:`).
    public func mapping(allowed: [String]) throws -> [String: YNode] {
        var d: [String: YNode] = [:]
        for (k, v) in try mapping() {
            guard allowed.contains(k) else {
                // Located at the key itself (a block value starts on a later line).
                let key = (node.mapping?.first { $0.key.string == k }?.key).map { child(k, $0) } ?? v
                throw key.error(PlexusError.unknownMessage("key", k, known: allowed, listedAs: "allowed here"))
            }
            d[k] = v
        }
        return d
    }

    public func sequence() throws -> [YNode] {
        guard case .sequence(let s) = node else { throw error("expected a list") }
        return s.enumerated().map { YNode(node: $0.element, file: file, path: "\(path)[\($0.offset)]") }
    }

    public var isSequence: Bool { if case .sequence = node { return true } else { return false } }
    public var isMapping: Bool { if case .mapping = node { return true } else { return false } }

    public func string() throws -> String {
        guard case .scalar(let s) = node else { throw error("expected a single value") }
        return s.string
    }

    public func int() throws -> Int {
        let s = try string()
        guard let v = Int(s) else {
            // A whole number beyond Int's range is "too large", not "not a whole number".
            let digits = s.first == "-" || s.first == "+" ? s.dropFirst() : Substring(s)
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                throw error("'\(s)' is too large for a whole number (at most \(Int.max))")
            }
            throw error("'\(s)' is not a whole number")
        }
        return v
    }

    public func double() throws -> Double {
        let q = try quantity()
        if let u = q.unit { throw error("expected a plain number, got unit '\(u)'") }
        return q.value
    }

    public func bool() throws -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("'\(try string())' is not true or false")
        }
    }

    /// "1.5 ms", "-70 mV", 3, true (as 1).
    public func quantity() throws -> Quantity {
        let s = try string()
        switch s.lowercased() {
        case "", "~", "null": throw error("a value is missing here")
        case "true", "yes": return Quantity(1)
        case "false", "no": return Quantity(0)
        case "inf", ".inf", "infinity": return Quantity(.infinity)
        case "-inf", "-.inf", "-infinity": return Quantity(-.infinity)
        // YAML's NaN; it is refused later with the parameter's name ("tau_m is NaN").
        case ".nan": return Quantity(.nan)
        default: break
        }
        do { return try Quantity(parsing: s) } catch { throw self.error("'\(s)' is not a number with an optional unit") }
    }
}

/// YAML text to a tree, hardened against input that would crash or hang the YAML library (the
/// fuzz targets found both); errors name the file and line. Experiment files and model
/// descriptions are read through it.
public enum YAMLText {
    /// Deepest nesting a file may have (the YAML library composes recursively: 10,000 `[` overflowed
    /// the stack), and most values it may stand for once aliases are expanded (a dozen lines of
    /// anchors and aliases can stand for 10^9 values, which ran for ever).
    public static let maxNesting = 500
    public static let maxValues = 10_000_000

    public static func compose(_ text: String, file: String, what: String = "file") throws -> Node {
        try checkNesting(text, file: file)
        do {
            guard let n = try Yams.compose(yaml: text) else { throw PlexusError("the \(what) is empty", file: file) }
            try checkSize(n, file: file)
            return n
        } catch let e as PlexusError {
            throw e
        } catch let e as YamlError {
            throw PlexusError(yamlErrorMessage(e), file: file, line: yamlErrorLine(e, text))
        } catch {
            throw PlexusError("not valid YAML: \(error)", file: file)
        }
    }

    /// An upper bound of the nesting on each line (indentation, open flow brackets, chained
    /// `- ` entries), refused above `maxNesting` before the YAML library sees the text.
    static func checkNesting(_ text: String, file: String) throws {
        var open = 0, lineNo = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            var indent = 0, dashes = 0, deepest = open
            var atStart = true, quote: Character? = nil, previous: Character = " "
            for c in line {
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == "#" && (previous == " " || previous == "\t") {
                    break
                } else if atStart && c == " " {
                    indent += 1
                } else if atStart && c == "-" {
                    dashes += 1
                } else {
                    atStart = false
                    switch c {
                    case "\"", "'": quote = c
                    case "[", "{": open += 1; deepest = max(deepest, open)
                    case "]", "}": open = max(0, open - 1)
                    default: break
                    }
                }
                previous = c
            }
            if indent + dashes + deepest > maxNesting {
                throw PlexusError("the YAML is nested more than \(maxNesting) levels deep here", file: file, line: lineNo)
            }
        }
    }

    /// Counts the values of a composed document, aliases expanded, without recursion; refuses
    /// more than `maxValues`.
    static func checkSize(_ root: Node, file: String) throws {
        var stack = [root], count = 0
        while let n = stack.popLast() {
            count += 1
            if count > maxValues {
                throw PlexusError("the YAML stands for more than \(maxValues) values (anchors and aliases expand to copies)", file: file, line: n.mark?.line)
            }
            switch n {
            case .mapping(let m): for (k, v) in m { stack.append(k); stack.append(v) }
            case .sequence(let q): stack.append(contentsOf: q)
            default: break
            }
        }
    }

    static func yamlErrorLine(_ e: YamlError, _ text: String) -> Int? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        case .reader(_, let offset?, _, _):
            // The reader counts bytes (e.g. a control character); the line is one plus the
            // newlines before it.
            return text.utf8.prefix(offset).reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        default:
            return nil
        }
    }

    /// Yams' text repeats the location as "5:4: error: parser: ..."; the file and line already
    /// lead the PlexusError, so this keeps the problem, the column, the context and the snippet.
    static func yamlErrorMessage(_ e: YamlError) -> String {
        switch e {
        case .scanner(let context, let problem, let mark, let yaml), .parser(let context, let problem, let mark, let yaml),
             .composer(let context, let problem, let mark, let yaml):
            var m = "not valid YAML: \(problem) (column \(mark.column)"
            if let context { m += "; \(context.text) that starts at line \(context.mark.line), column \(context.mark.column)" }
            return m + "):\n" + mark.snippet(from: yaml)
        case .reader(let problem, _, let value, _):
            return "not valid YAML: \(problem) (character code \(value))"
        default:
            return "not valid YAML: \(e)"
        }
    }
}
