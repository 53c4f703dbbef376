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
