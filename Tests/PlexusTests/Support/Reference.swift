import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusIO

/// Locates the peers' reference outputs: first the repository's own copy (Tests/Fixtures, the
/// same layout as ../shared/reference: nest/, tvb/, arbor/; large files stored as `<name>.bz2`,
/// which every reader here decompresses transparently), then $PLEXUS_REFERENCE, then
/// ../shared/reference next to the repository. Tests that need a missing file skip, naming it;
/// they call `require` (or read their data) before any costly work, so the skip comes first.
/// tools/copy_reference_fixtures.py copies the files the tests read into Tests/Fixtures.
enum Reference {
    /// Tests/Fixtures in this repository.
    static var fixtures: URL { Repo.fixtures }

    static var root: URL? {
        if let env = ProcessInfo.processInfo.environment["PLEXUS_REFERENCE"] {
            return URL(fileURLWithPath: env)
        }
        let candidate = Repo.root.deletingLastPathComponent().appendingPathComponent("shared/reference")
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }

    /// Where `relative` is stored and whether that copy is bzip2-compressed; a skip naming the
    /// file when no copy exists.
    static func locate(_ relative: String) throws -> (url: URL, compressed: Bool) {
        let own = fixtures.appendingPathComponent(relative)
        if FileManager.default.fileExists(atPath: own.path) { return (own, false) }
        let packed = fixtures.appendingPathComponent(relative + ".bz2")
        if FileManager.default.fileExists(atPath: packed.path) { return (packed, true) }
        guard let root else {
            throw XCTSkip("reference file missing: \(relative) is neither in Tests/Fixtures (tools/copy_reference_fixtures.py) nor in ../shared/reference (or set PLEXUS_REFERENCE)")
        }
        let u = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: u.path) else {
            throw XCTSkip("reference file missing: \(relative) is neither in Tests/Fixtures nor at \(u.path)")
        }
        return (u, false)
    }

    /// Skips (naming the first missing file) unless every one of `relatives` can be read: for
    /// tests to call before they simulate.
    static func require(_ relatives: String...) throws { try require(relatives) }

    static func require(_ relatives: [String]) throws {
        for r in relatives { _ = try locate(r) }
    }

    /// The file's bytes (decompressed when the fixture is stored as .bz2).
    static func data(_ relative: String) throws -> Data {
        let (u, compressed) = try locate(relative)
        let raw = try Data(contentsOf: u)
        return compressed ? Data(try ZipReader.bunzip2([UInt8](raw), place: u.path)) : raw
    }

    /// The file as UTF-8 text.
    static func text(_ relative: String) throws -> String {
        guard let s = String(data: try data(relative), encoding: .utf8) else {
            throw PlexusError("not UTF-8 text", file: relative)
        }
        return s
    }

    /// A plain file holding `relative`: the stored one, or for a compressed fixture a
    /// decompressed copy in a temporary folder (removed when the tests exit).
    static func url(_ relative: String) throws -> URL {
        let (u, compressed) = try locate(relative)
        guard compressed else { return u }
        let copy = unpacked.file(relative)
        if !FileManager.default.fileExists(atPath: copy.path) {
            try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data(relative).write(to: copy, options: .atomic)
        }
        return copy
    }

    private static let unpacked: TemporaryFolder = {
        let folder = TemporaryFolder("plexus-fixtures")
        atexit { Reference.unpacked.remove() }
        return folder
    }()

    static func json(_ relative: String) throws -> [String: Any] {
        var text = try self.text(relative)
        // Python's json module writes non-finite floats as bare Infinity / NaN, which is not JSON.
        for t in ["-Infinity", "Infinity", "NaN"] { text = text.replacingOccurrences(of: ": \(t)", with: ": \"\(t)\"") }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    /// CSV with a header line: column name -> values.
    static func csv(_ relative: String) throws -> [String: [Double]] {
        let text = try self.text(relative)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard !lines.isEmpty else { return [:] }
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        var cols = Array(repeating: [Double](), count: header.count)
        for line in lines {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            for (k, v) in f.enumerated() where k < cols.count { cols[k].append(Double(v) ?? .nan) }
        }
        return Dictionary(uniqueKeysWithValues: zip(header, cols))
    }
}

/// Result of driving one model directly, step by step, with the engine's input semantics.
struct SingleNeuronTrace {
    var times: [Double] = []          // end time of each step (ms)
    var values: [String: [Double]] = [:]
    var spikes: [Double] = []
}

extension NeuronKind {
    /// A population of this kind under `p` as the engine makes one for a single process: one
    /// neuron per entry of `initial`'s columns (default: one neuron at the declared initial
    /// state). How the tests drive a model, built-in or generated, through the engine's seam.
    func population(_ p: ParameterValues, resolution h: Double = 0.1, initial: [[Double]]? = nil) throws -> NeuronPopulation {
        let initial = initial ?? state(for: p).map { [$0.initialValue] }
        let n = initial.first?.count ?? 1
        return try makePopulation(name: "n", parameters: p, resolution: h, size: n, local: 0..<n, firstNode: 0, firstNeuron: 0,
                                  initial: initial, seed: 1)
    }

    /// The parameters with `changes` applied to the defaults.
    func parameterValues(_ changes: [String: Double]) -> ParameterValues {
        var p = ParameterValues(specs: parameters)
        for (k, v) in changes { p[k] = v }
        return p
    }
}

/// Runs one neuron of model `M` for a NEST single-neuron reference case (`<model>_<variant>`):
/// parameters from the case's GetDefaults, I_e and spike input from its stimulus, the initial
/// state from the neuron's status before Simulate. No network involved: this checks the model,
/// through the population the engine would make of it.
func runReferenceCase<M: PointNeuronModel>(_ model: M.Type, _ caseName: String) throws -> SingleNeuronTrace {
    try runReferenceCase(NeuronKind(model), caseName)
}

/// The same for a built-in model by name (a Swift type or a description).
func runReferenceCase(_ model: String, _ caseName: String) throws -> SingleNeuronTrace {
    guard let kind = ModelCatalog.neuron(model) else { throw PlexusError("no neuron model \(model)") }
    return try runReferenceCase(kind, caseName)
}

func runReferenceCase(_ kind: NeuronKind, _ caseName: String) throws -> SingleNeuronTrace {
    let info = try Reference.json("nest/single/\(caseName).json")
    try Reference.require("nest/single/\(caseName)_vm.csv", "nest/single/\(caseName)_spikes.csv")   // compared with afterwards
    let defaults = info["model_defaults"] as! [String: Any]
    let status = info["neuron_status_before_simulate"] as! [String: Any]
    let stimulus = info["stimulus"] as! [String: Any]
    let h = info["resolution_ms"] as! Double
    let simtime = info["simtime_ms"] as! Double

    func number(_ v: Any?) -> Double? {
        if let d = v as? Double { return d }
        if let i = v as? Int { return Double(i) }
        if let b = v as? Bool { return b ? 1 : 0 }
        if let s = v as? String { return Double(s) }
        return nil
    }
    var params = ParameterValues(specs: kind.parameters)
    for (k, spec) in kind.parameters.enumerated() {
        if let v = number(status[spec.name] ?? defaults[spec.name]) { params.values[k] = v }
    }
    let specs = kind.state(for: params)
    let initial = specs.map { [number(status[$0.name]) ?? $0.initialValue] }
    let pop = try kind.population(params, resolution: h, initial: initial)

    let steps = Int((simtime / h).rounded())
    var arrivals = [Int: Double]()
    if (stimulus["type"] as? String) == "spike_generator" {
        let w = stimulus["weight"] as! Double
        let d = stimulus["delay_ms"] as! Double
        for t in stimulus["generator_spike_times_ms"] as! [Double] {
            arrivals[Int(((t + d) / h).rounded()) - 1, default: 0] += w
        }
    }
    let spikeIn = UnsafeMutablePointer<Double>.allocate(capacity: 2)
    let current = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    defer { spikeIn.deallocate(); current.deallocate() }
    var out = SpikeOutput()
    var trace = SingleNeuronTrace()
    let recordables = specs.enumerated().filter { $0.element.recordable }
    for s in 0..<steps {
        let w = arrivals[s] ?? 0
        spikeIn[0] = w > 0 ? w : 0
        spikeIn[1] = w < 0 ? w : 0
        current[0] = 0
        let before = out.count
        pop.update(0..<1, StepInput(spikes: spikeIn, current: current, step: Int64(s)), &out)
        if out.count > before { trace.spikes.append(Double(s + 1) * h) }
        trace.times.append(Double(s + 1) * h)
        for (v, spec) in recordables {
            trace.values[spec.name, default: []].append(pop.recordedValue(variable: v, neuron: 0))
        }
    }
    return trace
}

/// Compares a trace with NEST's: spike times equal on the grid, every recorded variable that the
/// reference has within `tolerance` (absolute) at every sample. Reports the worst sample.
func assertMatchesReference(_ trace: SingleNeuronTrace, _ caseName: String, vmTolerance: Double,
                            stateTolerance: [String: Double] = [:], file: StaticString = #filePath, line: UInt = #line) throws {
    let vm = try Reference.csv("nest/single/\(caseName)_vm.csv")
    let spikes = try Reference.csv("nest/single/\(caseName)_spikes.csv")["t_ms"] ?? []
    XCTAssertEqual(trace.spikes.count, spikes.count, "\(caseName): spike count", file: file, line: line)
    for (a, b) in zip(trace.spikes, spikes) where abs(a - b) > 1e-9 {
        XCTFail("\(caseName): spike at \(a) ms, NEST \(b) ms", file: file, line: line)
        break
    }
    var columns: [(String, [Double], Double)] = [("V_m", vm["V_m"]!, vmTolerance)]
    if let st = try? Reference.csv("nest/single/\(caseName)_state.csv") {
        for (name, tol) in stateTolerance { if let c = st[name] { columns.append((name, c, tol)) } }
    }
    for (name, ref, tol) in columns {
        guard let mine = trace.values[name] else { XCTFail("\(caseName): model does not record \(name)"); continue }
        XCTAssertEqual(mine.count, ref.count, "\(caseName): \(name) sample count", file: file, line: line)
        var worst = 0.0, at = 0
        for k in 0..<min(mine.count, ref.count) {
            let e = abs(mine[k] - ref[k])
            if !(e <= worst) { worst = e; at = k }
        }
        XCTAssertLessThanOrEqual(worst, tol, "\(caseName): \(name) max |error| \(worst) at t=\(Double(at + 1) * 0.1) ms (mine \(mine[at]), NEST \(ref[at]))", file: file, line: line)
    }
}

extension Reference {
    /// A JSON fixture as Foundation values (dictionaries, arrays, NSNumber, String), its numbers
    /// parsed exactly: JSONSerialization on Linux reads numbers as NSDecimalNumber, whose Double
    /// is off in the last bit for some (0.0012565047721668741 came back ...737).
    static func exactJSON(_ relative: String) throws -> [String: Any] {
        func foundation(_ v: JSONValue) -> Any {
            switch v {
            case .null: return NSNull()
            case .bool(let b): return b
            case .number(let d): return NSNumber(value: d)
            case .string(let s): return s
            case .array(let a): return a.map(foundation)
            case .object(let o): return Dictionary(o.map { ($0.0, foundation($0.1)) }, uniquingKeysWith: { a, _ in a })
            }
        }
        return foundation(try JSONValue(parsing: text(relative))) as! [String: Any]
    }
}
