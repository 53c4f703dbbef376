/// The one error type of Plexus. It always says *where* the bad value is: a file and line for
/// readers, a key path such as `populations.E.params.tau_m` for descriptions, a step and cell for
/// numerical failures.
public struct PlexusError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    /// Path of the file that holds the bad value, when it came from a file.
    public var file: String?
    /// 1-based line in `file`, when known.
    public var line: Int?
    /// Key path inside a description, e.g. `connections[2].synapse.delay`.
    public var keyPath: String?

    public init(_ message: String, file: String? = nil, line: Int? = nil, keyPath: String? = nil) {
        self.message = message
        self.file = file
        self.line = line
        self.keyPath = keyPath
    }

    public var description: String {
        var location = ""
        if let file { location += file }
        if let line { location += location.isEmpty ? "line \(line)" : ":\(line)" }
        if let keyPath { location += location.isEmpty ? keyPath : " (\(keyPath))" }
        return location.isEmpty ? message : "\(location): \(message)"
    }

    /// The same error, placed inside `file` (keeps a more specific location already set).
    public func inFile(_ path: String, line: Int? = nil) -> PlexusError {
        var e = self
        if e.file == nil { e.file = path }
        if e.line == nil { e.line = line }
        return e
    }

    /// The same error with `prefix` put in front of its key path.
    public func under(_ prefix: String) -> PlexusError {
        var e = self
        if let k = e.keyPath, !k.isEmpty {
            e.keyPath = k.hasPrefix("[") ? prefix + k : prefix + "." + k
        } else {
            e.keyPath = prefix
        }
        return e
    }
}

extension PlexusError {
    /// Error for a value that is outside its allowed range.
    public static func outOfRange(_ name: String, _ value: Double, _ rule: String, keyPath: String? = nil) -> PlexusError {
        PlexusError("\(name) = \(value) is out of range: \(rule)", keyPath: keyPath ?? name)
    }
}

extension PlexusError {
    /// "unknown key 'tau_mm' (did you mean 'tau_m'?); allowed here: ..." — the nearest known name
    /// suggested when it is close enough to be a typo.
    public static func unknown(_ what: String, _ name: String, known: [String], listedAs: String = "known",
                               keyPath: String? = nil) -> PlexusError {
        PlexusError(unknownMessage(what, name, known: known, listedAs: listedAs), keyPath: keyPath)
    }

    public static func unknownMessage(_ what: String, _ name: String, known: [String], listedAs: String = "known") -> String {
        "unknown \(what) '\(name)'\(didYouMean(name, known)); \(listedAs): \(known.joined(separator: ", "))"
    }

    /// " (did you mean 'tau_m'?)" when a known name is close to `name`, else "".
    public static func didYouMean(_ name: String, _ known: [String]) -> String {
        nearest(name, in: known).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// The known name closest to `name` (edit distance, ignoring case), when the distance is at
    /// most a third of the name's length (at least 1) — nil when nothing is that close.
    public static func nearest(_ name: String, in known: [String]) -> String? {
        let a = Array(name.lowercased().utf8)
        var best: (String, Int)?
        for k in known {
            let d = editDistance(a, Array(k.lowercased().utf8))
            if d < (best?.1 ?? .max) { best = (k, d) }
        }
        guard let (k, d) = best, d <= max(1, a.count / 3) else { return nil }
        return k
    }

    /// Levenshtein distance with transpositions counted as one edit (`popluations`).
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                var d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, prev2[j - 2] + 1) }
                cur[j] = d
            }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count]
    }
}
