import PlexusCore
import Yams

/// A YAML node with its file, line and key path, so every decoding error says where it is.
struct YNode {
    let node: Node
    let file: String
    let path: String

    var line: Int? { node.mark.map { $0.line } }

    func error(_ message: String) -> PlexusError {
        PlexusError(message, file: file, line: line, keyPath: path.isEmpty ? nil : path)
    }

    func child(_ key: String, _ n: Node) -> YNode {
        YNode(node: n, file: file, path: path.isEmpty ? key : "\(path).\(key)")
    }

    /// Mapping entries in file order; fails for anything else.
    func mapping() throws -> [(String, YNode)] {
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
    func mapping(allowed: [String]) throws -> [String: YNode] {
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

    func sequence() throws -> [YNode] {
        guard case .sequence(let s) = node else { throw error("expected a list") }
        return s.enumerated().map { YNode(node: $0.element, file: file, path: "\(path)[\($0.offset)]") }
    }

    var isSequence: Bool { if case .sequence = node { return true } else { return false } }
    var isMapping: Bool { if case .mapping = node { return true } else { return false } }

    func string() throws -> String {
        guard case .scalar(let s) = node else { throw error("expected a single value") }
        return s.string
    }

    func int() throws -> Int {
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

    func double() throws -> Double {
        let q = try quantity()
        if let u = q.unit { throw error("expected a plain number, got unit '\(u)'") }
        return q.value
    }

    func bool() throws -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("'\(try string())' is not true or false")
        }
    }

    /// "1.5 ms", "-70 mV", 3, true (as 1).
    func quantity() throws -> Quantity {
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

extension ExperimentFile {
    /// Line of every key path in a YAML text (`populations.E.params.tau_m` -> 12), so that errors
    /// found after decoding (by key path) can still name the line.
    public static func lineIndex(_ text: String) -> [String: Int] {
        guard let root = try? ExperimentFile.compose(text, file: "") else { return [:] }
        return lineIndex(root)
    }

    static func lineIndex(_ root: Node) -> [String: Int] {
        var index: [String: Int] = [:]
        func walk(_ n: Node, _ path: String) {
            if let m = n.mark { index[path] = m.line }
            switch n {
            case .mapping(let map):
                for (k, v) in map {
                    guard case .scalar(let s) = k else { continue }
                    let p = path.isEmpty ? s.string : "\(path).\(s.string)"
                    walk(v, p)
                    if let km = k.mark { index[p] = km.line }
                }
            case .sequence(let seq):
                for (i, v) in seq.enumerated() { walk(v, "\(path)[\(i)]") }
            default: break
            }
        }
        walk(root, "")
        // The decoder files some values under another key path than the one written: rule
        // arguments inside a `rule:` mapping, and the aliases `synapse_model` and `record_from`.
        // Errors about them come by the decoded path, so that path must find their line too.
        for (path, line) in index {
            var alias: String?
            if let r = path.range(of: ".rule."), path.hasPrefix("connections["),
               ruleKeys.contains(String(path[r.upperBound...])) {
                alias = String(path[..<r.lowerBound]) + "." + path[r.upperBound...]
            } else if path.hasSuffix(".synapse.synapse_model") {
                alias = String(path.dropLast("synapse_model".count)) + "model"
            } else if path.hasPrefix("record["), path.hasSuffix(".record_from") {
                alias = String(path.dropLast("record_from".count)) + "variables"
            }
            if let alias, index[alias] == nil { index[alias] = line }
        }
        return index
    }

    /// The error with the line of its key path (or of the nearest enclosing key) filled in.
    public static func locate(_ error: PlexusError, file: String, index: [String: Int]) -> PlexusError {
        var e = error
        if e.file == nil { e.file = file }
        guard e.line == nil, var path = e.keyPath else { return e }
        while !path.isEmpty {
            if let line = index[path] { e.line = line; return e }
            if let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) { path = String(path[..<cut]) } else { break }
        }
        return e
    }
}
