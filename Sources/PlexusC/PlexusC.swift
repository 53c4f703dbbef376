import Foundation
import PlexusCore
import PlexusIO
import PlexusPoint
import PlexusSession
import Yams

// The C ABI over PlexusSession that the Python package (python/plexus) loads with ctypes; the
// declarations are in plexus.h beside this file. Every call returns; none aborts the process:
// errors come back as a handle whose `plexus_error` is a JSON object (message, file, line,
// key_path), so Python raises an exception with the key path. Handles are opaque and freed with
// `plexus_free`. Result arrays stay owned by their handle: Python wraps them as numpy arrays
// without copying and keeps the handle alive as long as any of them is.

/// What a call produced: a finished run's folder and arrays, a JSON text, or an error.
final class Handle {
    var error: UnsafeMutablePointer<CChar>?
    var text: UnsafeMutablePointer<CChar>?
    var directory: UnsafeMutablePointer<CChar>?
    var arrays: [(name: UnsafeMutablePointer<CChar>, kind: Int32, shape: [Int64], data: UnsafeMutableRawBufferPointer)] = []
    /// A point run in progress (`plexus_open`).
    var run: ContinuingRun?

    init() {}

    init(error e: Error) {
        var fields: [(String, String)] = []
        if let p = e as? PlexusError {
            fields.append(("message", JSONText.string(p.message)))
            if let f = p.file { fields.append(("file", JSONText.string(f))) }
            if let l = p.line { fields.append(("line", String(l))) }
            if let k = p.keyPath { fields.append(("key_path", JSONText.string(k))) }
        } else {
            fields.append(("message", JSONText.string(String(describing: e))))
        }
        error = strdup(JSONText.object(fields))
    }

    deinit {
        free(error)
        free(text)
        free(directory)
        for a in arrays {
            free(a.name)
            a.data.deallocate()
        }
    }

    /// The arrays copied once into buffers this handle owns (stable addresses for numpy).
    func keep(_ arrays: [ResultArray]) {
        for a in arrays {
            let bytes = a.count * 8
            let data = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, 8), alignment: 64)
            let kind: Int32
            switch a.values {
            case .float64(let v): kind = 0; v.withUnsafeBytes { data.copyMemory(from: $0) }
            case .int64(let v): kind = 1; v.withUnsafeBytes { data.copyMemory(from: $0) }
            }
            self.arrays.append((strdup(a.name), kind, a.shape.map(Int64.init), data))
        }
    }

    /// A finished run's handle: its folder and arrays (plexus_run, plexus_finish).
    convenience init(finished outcome: RunOutcome) {
        self.init()
        directory = strdup(outcome.directory)
        keep(outcome.arrays)
    }

    var opaque: UnsafeMutableRawPointer { Unmanaged.passRetained(self).toOpaque() }

    static func from(_ p: UnsafeMutableRawPointer?) -> Handle? {
        p.map { Unmanaged<Handle>.fromOpaque($0).takeUnretainedValue() }
    }
}

/// A C progress callback and its context, called from the simulation loop's thread.
struct ProgressCallback: @unchecked Sendable {
    let function: @convention(c) (Double, UnsafeMutableRawPointer?) -> Void
    let context: UnsafeMutableRawPointer?
}

private let versionText = strdup(RunRecord.version)!

/// The library's version ("0.1.0"); owned by the library.
@_cdecl("plexus_version")
public func plexus_version() -> UnsafePointer<CChar> { UnsafePointer(versionText) }

/// Runs an experiment: `file` (its path; paths in it are relative to its folder), `text` its
/// contents when they are not read from `file` (may be NULL), `out` the run folder (NULL:
/// runs/<name>). `flags`: 1 quiet, 2 no report.html, 4 keep a point network's synapses
/// (`connections/...` arrays). `progress` (may be NULL) gets the fraction done. Always returns a
/// handle: check `plexus_error`.
@_cdecl("plexus_run")
public func plexus_run(_ file: UnsafePointer<CChar>?, _ text: UnsafePointer<CChar>?, _ out: UnsafePointer<CChar>?,
                       _ threads: Int32, _ seed: UInt64, _ hasSeed: Int32, _ flags: Int32,
                       _ progress: (@convention(c) (Double, UnsafeMutableRawPointer?) -> Void)?,
                       _ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer {
    guard let file else { return Handle(error: PlexusError("no experiment file named")).opaque }
    var request = RunRequest(file: String(cString: file), text: text.map { String(cString: $0) }, out: out.map { String(cString: $0) },
                             threads: Int(threads), seed: hasSeed != 0 ? seed : nil, quiet: flags & 1 != 0, noReport: flags & 2 != 0)
    request.keepArrays = true
    request.keepConnections = flags & 4 != 0
    if let progress {
        let callback = ProgressCallback(function: progress, context: context)
        request.progress = { callback.function($0, callback.context) }
    }
    do {
        return Handle(finished: try Session.run(request)).opaque
    } catch {
        return Handle(error: error).opaque
    }
}

/// Opens a point experiment to run in pieces (PyNEST's Simulate calls): reads and builds it, as
/// `plexus_run` does, and simulates nothing yet. Advance it with `plexus_advance`, change it with
/// `plexus_set`, read it with `plexus_state` and `plexus_snapshot`, write its folder with
/// `plexus_finish`. Always returns a handle: check `plexus_error`.
@_cdecl("plexus_open")
public func plexus_open(_ file: UnsafePointer<CChar>?, _ text: UnsafePointer<CChar>?, _ out: UnsafePointer<CChar>?,
                        _ threads: Int32, _ seed: UInt64, _ hasSeed: Int32, _ flags: Int32) -> UnsafeMutableRawPointer {
    guard let file else { return Handle(error: PlexusError("no experiment file named")).opaque }
    var request = RunRequest(file: String(cString: file), text: text.map { String(cString: $0) }, out: out.map { String(cString: $0) },
                             threads: Int(threads), seed: hasSeed != 0 ? seed : nil, quiet: flags & 1 != 0, noReport: flags & 2 != 0)
    request.keepArrays = true
    request.keepConnections = flags & 4 != 0
    do {
        let h = Handle()
        h.run = try ContinuingRun(request)
        return h.opaque
    } catch {
        return Handle(error: error).opaque
    }
}

/// Runs `body` on the open run of handle `h`; an error handle when there is none or it throws.
private func withRun(_ h: UnsafeMutableRawPointer?, _ body: (ContinuingRun, Handle) throws -> Void) -> UnsafeMutableRawPointer {
    guard let run = Handle.from(h)?.run else {
        return Handle(error: PlexusError("not an open run (plexus_open), or one already finished")).opaque
    }
    let out = Handle()
    do { try body(run, out) } catch { return Handle(error: error).opaque }
    return out.opaque
}

/// Simulates the open run up to `ms` (the time since its start).
@_cdecl("plexus_advance")
public func plexus_advance(_ h: UnsafeMutableRawPointer?, _ ms: Double,
                           _ progress: (@convention(c) (Double, UnsafeMutableRawPointer?) -> Void)?,
                           _ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer {
    withRun(h) { run, _ in
        let callback = progress.map { ProgressCallback(function: $0, context: context) }
        try run.advance(to: ms, progress: callback.map { c in { c.function($0, c.context) } })
    }
}

/// Changes population `population` of the open run from now on: `params` a JSON (or YAML)
/// mapping as in the population's params; state values of neurons `first ..< first + count`
/// (count < 0: all).
@_cdecl("plexus_set")
public func plexus_set(_ h: UnsafeMutableRawPointer?, _ population: UnsafePointer<CChar>?, _ params: UnsafePointer<CChar>?,
                       _ first: Int64, _ count: Int64) -> UnsafeMutableRawPointer {
    withRun(h) { run, _ in
        try run.set(population: population.map { String(cString: $0) } ?? "", params: params.map { String(cString: $0) } ?? "{}",
                    neurons: count < 0 ? nil : Int(first)..<Int(first + count))
    }
}

/// The current values of a state variable of every neuron of a population: one array `state`.
@_cdecl("plexus_state")
public func plexus_state(_ h: UnsafeMutableRawPointer?, _ population: UnsafePointer<CChar>?,
                         _ variable: UnsafePointer<CChar>?) -> UnsafeMutableRawPointer {
    withRun(h) { run, out in
        out.keep([ResultArray("state", try run.state(population: population.map { String(cString: $0) } ?? "",
                                                     variable: variable.map { String(cString: $0) } ?? ""))])
    }
}

/// What the open run recorded so far, as arrays (`flags` 4: with every synapse as it stands).
@_cdecl("plexus_snapshot")
public func plexus_snapshot(_ h: UnsafeMutableRawPointer?, _ flags: Int32) -> UnsafeMutableRawPointer {
    withRun(h) { run, out in out.keep(run.arrays(connections: flags & 4 != 0)) }
}

/// Writes the open run's folder (as `plexus_run` does) and closes it: a handle like
/// `plexus_run`'s. The run handle stays to be freed.
@_cdecl("plexus_finish")
public func plexus_finish(_ h: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer {
    guard let owner = Handle.from(h), let run = owner.run else {
        return Handle(error: PlexusError("not an open run (plexus_open), or one already finished")).opaque
    }
    owner.run = nil
    do {
        return Handle(finished: try run.finish()).opaque
    } catch {
        return Handle(error: error).opaque
    }
}

/// An experiment file's document as JSON text (`plexus_text`), keys in the file's order, scalars
/// typed as YAML resolves them: what `plexus.load` gives Python to edit and run again.
@_cdecl("plexus_load")
public func plexus_load(_ file: UnsafePointer<CChar>?, _ text: UnsafePointer<CChar>?) -> UnsafeMutableRawPointer {
    guard let file else { return Handle(error: PlexusError("no experiment file named")).opaque }
    let path = String(cString: file)
    do {
        let source = try text.map { String(cString: $0) } ?? String(contentsOfFile: path, encoding: .utf8)
        let root = try ExperimentFile.compose(source, file: path)
        let h = Handle()
        h.text = strdup(JSONText.of(root))
        return h.opaque
    } catch let e as PlexusError {
        return Handle(error: e).opaque
    } catch {
        return Handle(error: PlexusError("cannot read the experiment file: \(error.localizedDescription)", file: path)).opaque
    }
}

/// A point model's (neuron, device or synapse) defaults as JSON text (`plexus_text`), in NEST's
/// units; an error naming the known models otherwise.
@_cdecl("plexus_point_model")
public func plexus_point_model(_ name: UnsafePointer<CChar>?) -> UnsafeMutableRawPointer {
    let model = name.map { String(cString: $0) } ?? ""
    guard let json = JSONText.pointModel(model) else {
        let known = ModelCatalog.allNames + SynapseModel.allCases.map(\.rawValue) + [WaveformRelaxation.synapseModel]
        return Handle(error: PlexusError(PlexusError.unknownMessage("point model", model, known: known))).opaque
    }
    let h = Handle()
    h.text = strdup(json)
    return h.opaque
}

/// The point models Plexus has, as JSON text (`plexus_text`): `{"neurons": [...], "devices":
/// [...], "synapses": [...]}`, each sorted (PyNEST's node_models and synapse_models).
@_cdecl("plexus_point_models")
public func plexus_point_models() -> UnsafeMutableRawPointer {
    func names(_ list: [String]) -> String { "[" + list.sorted().map(JSONText.string).joined(separator: ", ") + "]" }
    let synapses = SynapseModel.allCases.map(\.rawValue) + [WaveformRelaxation.synapseModel]
    let h = Handle()
    h.text = strdup(JSONText.object([("neurons", names(Array(ModelCatalog.neuronModels.keys))),
                                     ("devices", names(Array(ModelCatalog.deviceModels.keys))), ("synapses", names(synapses))]))
    return h.opaque
}

/// Installs the models of a NESTML file, or of every .nestml file of a folder (PyNEST's
/// `Install`): generated, compiled and known by name for the rest of the process. Their names as
/// JSON text (`plexus_text`): `{"neurons": [...], "synapses": [...], "files": [...]}`.
@_cdecl("plexus_install")
public func plexus_install(_ path: UnsafePointer<CChar>?) -> UnsafeMutableRawPointer {
    let path = path.map { String(cString: $0) } ?? ""
    do {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw PlexusError("no such NESTML file or folder", file: path)
        }
        var files = [path]
        if isFolder.boolValue {
            files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".nestml") }.sorted()
                .map { (path as NSString).appendingPathComponent($0) }
            guard !files.isEmpty else { throw PlexusError("the folder holds no .nestml file", file: path) }
        }
        let models = try NeuronModelFiles.installModels(files)
        func names(_ list: [String]) -> String { "[" + list.map(JSONText.string).joined(separator: ", ") + "]" }
        let h = Handle()
        h.text = strdup(JSONText.object([("neurons", names(models.neurons.map(\.name))), ("synapses", names(models.synapses.map(\.name))),
                                         ("files", names(files))]))
        return h.opaque
    } catch let e as PlexusError {
        return Handle(error: e).opaque
    } catch {
        return Handle(error: PlexusError("\(error)", file: path)).opaque
    }
}

/// The error of a call as JSON, or NULL when it succeeded.
@_cdecl("plexus_error")
public func plexus_error(_ h: UnsafeMutableRawPointer?) -> UnsafePointer<CChar>? { Handle.from(h)?.error.map { UnsafePointer($0) } }

/// The run folder of a finished run (NULL otherwise).
@_cdecl("plexus_directory")
public func plexus_directory(_ h: UnsafeMutableRawPointer?) -> UnsafePointer<CChar>? { Handle.from(h)?.directory.map { UnsafePointer($0) } }

/// The text a call produced (`plexus_load`'s JSON), or NULL.
@_cdecl("plexus_text")
public func plexus_text(_ h: UnsafeMutableRawPointer?) -> UnsafePointer<CChar>? { Handle.from(h)?.text.map { UnsafePointer($0) } }

/// How many result arrays a finished run kept.
@_cdecl("plexus_array_count")
public func plexus_array_count(_ h: UnsafeMutableRawPointer?) -> Int64 { Int64(Handle.from(h)?.arrays.count ?? 0) }

/// Array i's name (`spikes/E/times`), or NULL when i is out of range.
@_cdecl("plexus_array_name")
public func plexus_array_name(_ h: UnsafeMutableRawPointer?, _ i: Int64) -> UnsafePointer<CChar>? {
    guard let a = Handle.from(h)?.arrays, i >= 0, i < a.count else { return nil }
    return UnsafePointer(a[Int(i)].name)
}

/// Array i's element type: 0 float64, 1 int64; -1 when i is out of range.
@_cdecl("plexus_array_kind")
public func plexus_array_kind(_ h: UnsafeMutableRawPointer?, _ i: Int64) -> Int32 {
    guard let a = Handle.from(h)?.arrays, i >= 0, i < a.count else { return -1 }
    return a[Int(i)].kind
}

/// Array i's number of dimensions; its sizes go into `shape` (room for `capacity` of them).
@_cdecl("plexus_array_shape")
public func plexus_array_shape(_ h: UnsafeMutableRawPointer?, _ i: Int64, _ shape: UnsafeMutablePointer<Int64>?, _ capacity: Int64) -> Int64 {
    guard let a = Handle.from(h)?.arrays, i >= 0, i < a.count else { return -1 }
    let dims = a[Int(i)].shape
    if let shape { for (k, d) in dims.prefix(Int(max(0, capacity))).enumerated() { shape[k] = d } }
    return Int64(dims.count)
}

/// Array i's first element (row-major, owned by the handle), or NULL.
@_cdecl("plexus_array_data")
public func plexus_array_data(_ h: UnsafeMutableRawPointer?, _ i: Int64) -> UnsafeRawPointer? {
    guard let a = Handle.from(h)?.arrays, i >= 0, i < a.count else { return nil }
    return UnsafeRawPointer(a[Int(i)].data.baseAddress)
}

/// Releases a handle and everything it owns.
@_cdecl("plexus_free")
public func plexus_free(_ h: UnsafeMutableRawPointer?) {
    if let h { Unmanaged<Handle>.fromOpaque(h).release() }
}

/// The JSON this ABI hands out: errors, documents, model defaults. One writer, so strings are
/// escaped and numbers spelled one way (non-finite ones as NaN/Infinity, which Python's json reads).
enum JSONText {
    /// A JSON string literal.
    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    static func number(_ x: Double) -> String {
        x.isFinite ? "\(x)" : (x.isNaN ? "NaN" : (x > 0 ? "Infinity" : "-Infinity"))
    }

    /// An object of already written values, in the given order.
    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\(string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    /// A point model's defaults, in the units the model stores them in (NEST's): `{"kind":
    /// "neuron"|"device"|"synapse", "parameters": {...}, "state": {...}, "recordables": [...],
    /// "lists": [...]}`; nil for an unknown name.
    static func pointModel(_ name: String) -> String? {
        func values(_ specs: [(String, Double)]) -> String { object(specs.map { ($0.0, number($0.1)) }) }
        func names(_ list: [String]) -> String { "[" + list.map(string).joined(separator: ", ") + "]" }
        let kind: String, parameters: [ParameterSpec]
        var state: [(String, Double)] = [], lists: [String] = [], arrays: [(String, String)] = []
        if let type = ModelCatalog.neuron(name) {
            kind = "neuron"
            parameters = type.parameters
            var p = ParameterValues(specs: type.parameters)
            for a in type.arrayParameters { p.arrays[a.name] = a.defaultValue }
            state = type.state(for: p).filter(\.recordable).map { ($0.name, $0.initialValue) }
            arrays = type.arrayParameters.map { ($0.name, "[" + $0.defaultValue.map(number).joined(separator: ", ") + "]") }
        } else if let device = ModelCatalog.deviceModels[name] {
            kind = "device"
            parameters = device.parameters
            lists = device.listParameters.map(\.name)
        } else if let synapse = SynapseModel(rawValue: name) {
            kind = "synapse"
            parameters = synapse.parameters
        } else if name == WaveformRelaxation.synapseModel {
            (kind, parameters) = ("synapse", [])
        } else {
            return nil
        }
        return object([("kind", string(kind)), ("parameters", values(parameters.map { ($0.name, $0.defaultValue) })),
                       ("state", values(state)), ("recordables", names(state.map(\.0))), ("lists", names(lists)),
                       ("arrays", object(arrays))])
    }

    /// A YAML document as JSON text, mapping keys in document order.
    static func of(_ node: Node) -> String {
        var out = ""
        write(node, into: &out, indent: 0)
        return out + "\n"
    }

    private static func write(_ node: Node, into out: inout String, indent: Int) {
        let pad = String(repeating: "  ", count: indent + 1), close = String(repeating: "  ", count: indent)
        switch node {
        case .mapping(let m):
            if m.isEmpty { out += "{}"; return }
            out += "{\n"
            for (k, (key, value)) in m.enumerated() {
                out += pad + string(key.string ?? String(describing: key)) + ": "
                write(value, into: &out, indent: indent + 1)
                out += k + 1 < m.count ? ",\n" : "\n"
            }
            out += close + "}"
        case .sequence(let s):
            if s.isEmpty { out += "[]"; return }
            out += "[\n"
            for (k, value) in s.enumerated() {
                out += pad
                write(value, into: &out, indent: indent + 1)
                out += k + 1 < s.count ? ",\n" : "\n"
            }
            out += close + "]"
        case .scalar(let s):
            out += scalar(s)
        }
    }

    /// A plain scalar as a number, `true`/`false` or null where YAML's core schema reads it so;
    /// everything else (YAML 1.1's `yes`, `on`, quoted text, units such as `1.5 ms`) a string, as
    /// the experiment readers take it, so the text Python hands back reads the same.
    private static func scalar(_ s: Node.Scalar) -> String {
        if s.style == .plain {
            let text = s.string
            if ["null", "Null", "NULL", "~", ""].contains(text) { return "null" }
            if ["true", "True", "TRUE"].contains(text) { return "true" }
            if ["false", "False", "FALSE"].contains(text) { return "false" }
            // Whole numbers as written (a seed may exceed Int64; Python reads any length).
            let digits = text.first == "+" || text.first == "-" ? text.dropFirst() : Substring(text)
            if !digits.isEmpty, digits.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) {
                let value = digits.drop { $0 == "0" }   // JSON has no leading zeros
                return value.isEmpty ? "0" : (text.first == "-" ? "-" : "") + value
            }
            if let d = Node.scalar(s).float, d.isFinite { return "\(d)" }
        }
        return string(s.string)
    }
}
