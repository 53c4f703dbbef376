import PlexusCore
import PlexusModel
import Yams

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
