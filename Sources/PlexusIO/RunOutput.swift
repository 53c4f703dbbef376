import Foundation
import PlexusCore
import PlexusPoint
import Yams

/// Writes a run's results into its folder. Every file is written under a temporary name and
/// renamed when complete, so an interrupted run never leaves a file that looks finished.
public struct RunOutput {
    public let directory: URL
    public private(set) var written: [URL] = []

    /// Opens `directory` for writing; `newRun` retires a previous run there first (see
    /// `RunFolder.retire`), which a rebuilt report must not do.
    public init(directory: String, newRun: Bool = false) throws {
        self.directory = URL(fileURLWithPath: directory)
        do {
            try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        } catch {
            throw PlexusError("cannot create the output folder: \(error.localizedDescription)", file: directory)
        }
        if newRun { try RunFolder.retire(directory) }
    }

    /// Size and SHA-256 of each listed output, computed while it was written (provenance.json
    /// lists them; the files are not read back).
    private var digests: [String: (bytes: Int, sha256: String)] = [:]

    /// Writes `content` (built in pieces by `body`) to `name` atomically. `listed` files are
    /// the run's outputs, listed with their SHA-256 in provenance.json; files derived from the
    /// outputs and the provenance (report.html) are not listed, so a rerun compares data only.
    public mutating func write(_ name: String, listed: Bool = true, _ body: (inout OutputText) throws -> Void) throws {
        let final = directory.appendingPathComponent(name)
        let temp = directory.appendingPathComponent(".\(name).partial")
        _ = FileManager.default.createFile(atPath: temp.path, contents: nil)   // a failure shows as no handle below
        guard let handle = FileHandle(forWritingAtPath: temp.path) else {
            throw PlexusError("cannot write", file: temp.path)
        }
        var text = OutputText(handle: handle, hashing: listed)
        do {
            try body(&text)
            try text.finish()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temp)
            throw error
        }
        _ = try? FileManager.default.removeItem(at: final)
        try FileManager.default.moveItem(at: temp, to: final)
        if listed {
            written.append(final)
            digests[name] = (text.bytesWritten, text.hasher.finalize())
        }
    }

    /// spikes.csv: `population,gid,t_ms`, sorted by time then gid.
    public mutating func writeSpikes(_ results: PointResults) throws {
        var rows: [(Double, Int, String)] = []
        for r in results.spikes { for (g, t) in zip(r.gids, r.times) { rows.append((t, g, r.population)) } }
        rows.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        try write("spikes.csv") { out in
            out.line("population,gid,t_ms")
            for (t, g, p) in rows { out.line("\(p),\(g),\(OutputText.number(t))") }
        }
    }

    /// multimeter_<population>.csv: `t_ms,gid,<variables>`.
    public mutating func writeStates(_ results: PointResults) throws {
        var used: [String: Int] = [:]
        for s in results.states {
            let k = used[s.population, default: 0]
            used[s.population] = k + 1
            let name = k == 0 ? "multimeter_\(s.population).csv" : "multimeter_\(s.population)_\(k + 1).csv"
            try write(name) { out in
                out.line((["t_ms", "gid"] + s.variables).joined(separator: ","))
                for r in 0..<s.times.count {
                    var line = OutputText.number(s.times[r]) + "," + String(s.gids[r])
                    for v in s.values { line += "," + OutputText.number(v[r]) }
                    out.line(line)
                }
            }
        }
    }

    /// weights.csv: `t_ms,source,target,weight` (weight recorders), when any were logged.
    public mutating func writeWeights(_ results: PointResults) throws {
        guard !results.weights.isEmpty else { return }
        try write("weights.csv") { out in
            out.line("t_ms,source,target,weight")
            for e in results.weights {
                out.line("\(OutputText.number(e.time)),\(e.source),\(e.target),\(OutputText.number(e.weight))")
            }
        }
    }

    /// provenance.json, written after the outputs: the record with every output listed with its
    /// SHA-256. Returns the text written.
    @discardableResult
    public mutating func writeRecord(_ record: RunRecord) throws -> (RunRecord, String) {
        var record = record
        record.outputs = try written.map { url in
            let name = url.lastPathComponent
            if let d = digests[name] { return RunRecord.Output(file: name, bytes: d.bytes, sha256: d.sha256) }
            let data = try Data(contentsOf: url)
            return RunRecord.Output(file: name, bytes: data.count, sha256: data.withUnsafeBytes { SHA256.hex(buffer: $0) })
        }
        let text = try record.json()
        try write(RunFolder.recordFile) { out in out.raw(text) }
        return (record, text)
    }

    /// report.html (not listed: it is derived from the outputs and provenance.json).
    public mutating func writeReport(_ html: String, name: String = "report.html") throws {
        try write(name, listed: false) { out in out.raw(html) }
    }
}

/// A finished run folder, read back.
public enum RunFolder {
    public static let recordFile = "provenance.json"

    /// Makes `directory` ready for a new run before anything is simulated: creates it and proves
    /// it writable, so that a read-only --out is found out at once, not after the simulation.
    /// A previous run there is left intact until `retire`.
    public static func prepare(_ directory: String) throws {
        let dir = URL(fileURLWithPath: directory)
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw PlexusError("cannot create the output folder: \(error.localizedDescription)", file: directory)
        }
        let probe = dir.appendingPathComponent(".plexus-write-test")
        guard fm.createFile(atPath: probe.path, contents: Data("x".utf8)) else {
            throw PlexusError("the output folder is not writable", file: directory)
        }
        try? fm.removeItem(at: probe)
    }

    /// Retires a previous run in `directory` before a new one writes there: its record and report
    /// go first, so a run killed while writing leaves a folder without provenance.json, which no
    /// reader accepts as finished; then the old run's listed outputs and partial files. Files
    /// that no run listed are left alone.
    public static func retire(_ directory: String) throws {
        let dir = URL(fileURLWithPath: directory)
        let fm = FileManager.default
        let old = try? readRecord(directory).0
        for name in [recordFile, "report.html"] + (old?.outputs.map(\.file) ?? []) {
            let url = dir.appendingPathComponent(name)
            guard fm.fileExists(atPath: url.path) else { continue }
            do { try fm.removeItem(at: url) } catch {
                throw PlexusError("cannot replace the previous run's \(name): \(error.localizedDescription)", file: directory)
            }
        }
        for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasPrefix(".") && name.hasSuffix(".partial") {
            try? fm.removeItem(at: dir.appendingPathComponent(name))
        }
    }

    /// Checks every output the record lists against its recorded size and SHA-256, so that a
    /// damaged, truncated, missing or replaced data file is named instead of drawn.
    public static func verify(_ directory: String, _ record: RunRecord) throws {
        let dir = URL(fileURLWithPath: directory)
        for o in record.outputs {
            let path = dir.appendingPathComponent(o.file).path
            guard let data = FileManager.default.contents(atPath: path) else {
                throw PlexusError("\(o.file) is missing: provenance.json lists it as an output of this run", file: directory)
            }
            guard data.count == o.bytes else {
                throw PlexusError("\(o.file) has \(data.count) bytes; the run wrote \(o.bytes) (provenance.json): the file was cut, damaged or replaced", file: path)
            }
            guard data.withUnsafeBytes({ SHA256.hex(buffer: $0) }) == o.sha256 else {
                throw PlexusError("\(o.file) differs from what the run wrote (its SHA-256 is not the one in provenance.json): the file was damaged or replaced", file: path)
            }
        }
    }

    /// provenance.json's text and the record it holds.
    public static func readRecord(_ directory: String) throws -> (RunRecord, String) {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(recordFile).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlexusError("no \(recordFile): not a finished run folder", file: directory)
        }
        let text = String(decoding: data, as: UTF8.self)
        return (try RunRecord(json: text, file: path), text)
    }
}

/// Buffered output (one write per 1 MiB, not per line), hashed (SHA-256) as it is written.
public struct OutputText {
    let handle: FileHandle
    var buffer: [UInt8] = []
    let hashing: Bool
    var hasher = SHA256()
    /// Bytes handed to the file so far.
    public private(set) var bytesWritten = 0
    var failure: Error?

    init(handle: FileHandle, hashing: Bool = true) {
        self.handle = handle
        self.hashing = hashing
        buffer.reserveCapacity(1 << 20)
    }

    public mutating func line(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        buffer.append(10)
        if buffer.count >= 1 << 20 { flush() }
    }

    public mutating func raw(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 20 { flush() }
    }

    /// `OutputText.number(v)`'s text, appended.
    public mutating func number(_ v: Double) {
        if v == v.rounded(), abs(v) < 1e15 {
            var x = Int64(v)
            if x == 0 { buffer.append(48); return }
            if x < 0 { buffer.append(45); x = -x }   // |x| < 1e15: no overflow
            let start = buffer.count
            while x > 0 { buffer.append(UInt8(48 + x % 10)); x /= 10 }
            buffer[start...].reverse()
        } else {
            var s = "\(v)"   // as OutputText.number (interpolation writes NaN payloads, description does not)
            s.withUTF8 { buffer.append(contentsOf: $0) }
        }
        if buffer.count >= 1 << 20 { flush() }
    }

    /// One byte (a separator), appended.
    @inline(__always) public mutating func byte(_ b: UInt8) { buffer.append(b) }

    /// Binary content, as it is in memory.
    public mutating func raw(bytes: UnsafeRawBufferPointer) {
        if buffer.count + bytes.count <= 1 << 20 {
            buffer.append(contentsOf: bytes)
            if buffer.count >= 1 << 20 { flush() }
            return
        }
        flush()
        put(bytes)
    }

    private mutating func put(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, failure == nil else { return }
        if hashing { hasher.update(buffer: bytes) }
        bytesWritten += bytes.count
        do { try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), count: bytes.count, deallocator: .none)) } catch {
            failure = error
        }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        let b = buffer
        b.withUnsafeBytes { put($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes what is buffered and reports a failed write (disk full) as an error.
    mutating func finish() throws {
        flush()
        if let failure { throw PlexusError("cannot write the file: \(failure.localizedDescription)") }
    }

    /// Shortest text that reads back as the same Double ("0.1", "-70", "1.2345678901234567").
    public static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}

/// One output file of a run compared with the same file of a repeated run (SHA-256 in hex).
public struct OutputComparison: Sendable, Equatable {
    public let file: String
    /// The checksum provenance.json recorded when the run wrote the file (nil: not listed).
    public let recorded: String?
    /// The file in the run folder now (nil: missing).
    public let original: String?
    /// The file the repeated run wrote (nil: not written).
    public let rerun: String?

    public var identical: Bool { original != nil && original == rerun && (recorded == nil || recorded == original) }
    /// The run folder's file no longer matches the checksum recorded when it was written.
    public var editedSinceRun: Bool { recorded != nil && original != nil && recorded != original }

    /// "spikes.csv: differs (run folder 1a2b3c4d5e6f, rerun 9f8e7d6c5b4a; edited since the run: ...)".
    public var summary: String {
        func short(_ h: String?) -> String { h.map { String($0.prefix(12)) } ?? "missing" }
        if identical { return "\(file): identical (\(short(original)))" }
        var s = "\(file): differs (run folder \(short(original)), rerun \(short(rerun))"
        if editedSinceRun { s += "; the run folder's copy no longer matches the SHA-256 recorded at the run, \(short(recorded))" }
        if recorded == nil { s += "; not listed in the original provenance" }
        return s + ")"
    }
}

/// Facts for run records that only IO can find out (the source tree, the experiment text), and
/// the resolved experiment of each engine.
public enum Provenance {
    /// Commit of the sources this binary was built from, recorded at build time (BuildInfo
    /// plugin): a run asks version control nothing.
    public static var gitCommit: String? { BuildInfo.commit }

    /// Whether the tree had uncommitted changes to tracked files when this binary was built
    /// (nil when it was not built from a git checkout): a commit alone does not identify a
    /// binary built from a dirty tree.
    public static var gitDirty: Bool? { BuildInfo.dirty }

    /// Compares the outputs of a run folder with those of a repeated run: every file that
    /// `provenance.json` of `original` lists is hashed in both folders, and also checked against
    /// the SHA-256 recorded at the time. Files the repeat wrote that the original did not list
    /// count as changed too.
    public static func compareOutputs(original: String, rerun: String) throws -> [OutputComparison] {
        func hash(_ dir: String, _ file: String) -> String? {
            FileManager.default.contents(atPath: URL(fileURLWithPath: dir).appendingPathComponent(file).path).map { d in d.withUnsafeBytes { SHA256.hex(buffer: $0) } }
        }
        let before = try RunFolder.readRecord(original).0.outputs
        let after = try RunFolder.readRecord(rerun).0.outputs
        var out: [OutputComparison] = []
        for o in before {
            out.append(OutputComparison(file: o.file, recorded: o.sha256, original: hash(original, o.file), rerun: hash(rerun, o.file)))
        }
        for o in after where !before.contains(where: { $0.file == o.file }) {
            out.append(OutputComparison(file: o.file, recorded: nil, original: hash(original, o.file), rerun: hash(rerun, o.file) ?? o.sha256))
        }
        return out
    }

    /// A point network's populations as a run record lists them (gids 1-based, as NEST).
    public static func populations(_ net: PointNetwork) -> [RunRecord.Population] {
        net.populations.map { .init(name: $0.name, model: $0.model, firstGid: $0.firstNode + 1, size: $0.size) }
    }

    /// The populations whose spikes a point experiment records, in the order asked for.
    public static func spikesRecorded(_ exp: PointExperiment) -> [String] {
        var recorded: [String] = []
        for r in exp.recordings { if case .spikes(let p) = r, !recorded.contains(p) { recorded.append(p) } }
        return recorded
    }

    /// The fully resolved description of a point network: every parameter with its value.
    public static func resolved(_ net: PointNetwork) -> [String: Any] {
        let exp = net.experiment
        func q(_ x: Quantity) -> String { x.description }
        func dist(_ d: Distribution) -> Any {
            switch d {
            case .constant(let v): return q(v)
            case .uniform(let a, let b): return ["distribution": "uniform", "min": q(a), "max": q(b)]
            case .normal(let m, let s): return ["distribution": "normal", "mean": q(m), "std": q(s)]
            case .normalClipped(let m, let s, let a, let b):
                return ["distribution": "normal_clipped", "mean": q(m), "std": q(s), "min": q(a), "max": q(b)]
            case .lognormal(let mu, let sigma): return ["distribution": "lognormal", "mu": mu, "sigma": sigma]
            case .exponential(let b): return ["distribution": "exponential", "beta": q(b)]
            }
        }
        func json(_ v: Double) -> Any { v.isFinite ? v : "\(v)" }
        var pops: [[String: Any]] = []
        for info in net.populations {
            var entry: [String: Any] = ["name": info.name, "model": info.model, "size": info.size, "first_gid": info.firstNode + 1]
            switch info.kind {
            case .neuron(let i):
                let p = net.neuronPopulations[i].parameters
                var params: [String: Any] = [:]
                for (k, s) in p.specs.enumerated() { params[s.name] = json(p.values[k]) }
                entry["params"] = params
                let given = exp.populations.first { $0.name == info.name }!.params
                var initial: [String: Any] = [:]
                for name in net.neuronPopulations[i].stateNames where given[name] != nil {
                    switch given[name]! {
                    case .quantity(let v): initial[name] = q(v)
                    case .distribution(let d): initial[name] = dist(d)
                    case .list(let l): initial[name] = l.map(q)
                    }
                }
                if !initial.isEmpty { entry["initial_state"] = initial }
            case .device:
                entry["params"] = (net.deviceParameters[info.name] ?? [:]).mapValues(json)
                let given = exp.populations.first { $0.name == info.name }!.params
                for (k, v) in given { if case .list(let l) = v { entry[k] = l.map(q) } }
            }
            pops.append(entry)
        }
        let conns: [[String: Any]] = exp.connections.enumerated().map { ci, c in
            var rule: [String: Any] = ["rule": c.rule.name, "allow_autapses": c.allowAutapses, "allow_multapses": c.allowMultapses]
            for (k, v) in c.rule.arguments.values {
                switch v {
                case .whole(let n): rule[k] = n
                case .number(let x): rule[k] = x
                case .wholeList(let l): rule[k] = l
                case .numberList(let l): rule[k] = l
                }
            }
            if c.makeSymmetric { rule["make_symmetric"] = true }
            if c.synapse.model == WaveformRelaxation.synapseModel {   // no delay
                return ["source": c.source, "target": c.target, "rule": rule, "synapse": ["model": c.synapse.model, "weight": dist(c.synapse.weight)]]
            }
            var synapse: [String: Any] = ["model": c.synapse.model, "weight": dist(c.synapse.weight), "delay": dist(c.synapse.delay),
                                          "receptor_type": c.synapse.receptor, "record_weights": c.synapse.recordWeights]
            if let p = net.synapseParameters(ofStatement: ci) { synapse["params"] = p.mapValues(json) }
            if let vt = c.synapse.volumeTransmitter { synapse["volume_transmitter"] = vt }
            return ["source": c.source, "target": c.target, "rule": rule, "synapse": synapse]
        }
        let recs: [[String: Any]] = exp.recordings.map { r in
            switch r {
            case .spikes(let p): return ["type": "spike_recorder", "population": p]
            case .multimeter(let p, let v, let i):
                return ["type": "multimeter", "population": p, "variables": v, "interval": i.map(q) ?? "1.0 ms"]
            }
        }
        var out: [String: Any] = ["engine": "point", "resolution_ms": net.grid.h, "duration_ms": net.grid.time(net.totalSteps), "seed": exp.seed,
                                  "populations": pops, "connections": conns, "record": recs]
        if let k = resolvedKernel(net) { out["kernel"] = k }
        if let sp = net.structuralPlasticityResolved() { out["structural_plasticity"] = sp }
        // Neuron models from description files: which file, with which content, made the kernels.
        if !exp.modelFiles.isEmpty {
            out["models"] = exp.modelFiles.map { path -> [String: Any] in
                let data = FileManager.default.contents(atPath: path).map { Array($0) } ?? []
                return ["file": path, "sha256": SHA256.hex(data)]
            }
        }
        return out
    }
}

extension JSONValue {
    /// A JSONSerialization-style tree (dictionaries, arrays, strings, numbers, booleans), as the
    /// engines' resolved descriptions are still built, as a JSON value.
    public init(foundation object: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        self = try JSONValue(parsing: String(decoding: data, as: UTF8.self))
    }
}
