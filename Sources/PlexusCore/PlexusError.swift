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
