import Foundation
import CPlexusMechanism
import PlexusCore
import PlexusModel

/// A mechanism as the engine runs it: its declaration, and its kernels, either generated from
/// NMODL (a compiled catalogue's entry, the mechanism ABI) or a native Swift conformance
/// (stimuli such as iclamp).
public struct MechanismKind: @unchecked Sendable {
    public let info: MechanismInfo
    enum Source {
        case native(any CableMechanism.Type)
        /// Entry `index` of the mechanism batch `batch` (see `MechanismCatalog.kernels()`).
        case generated(batch: Int, index: Int)
    }
    let source: Source

    public var name: String { info.name }

    /// Checks parameter values (in `info.parameters` order): a native mechanism's own checks;
    /// a generated one's declared ranges (`<lo, hi>` in its .mod file).
    func validate(_ values: [Double]) throws {
        switch source {
        case .native(let t): try t.validate(values)
        case .generated:
            for (spec, v) in zip(info.parameters, values) where v < spec.lo || v > spec.hi {
                throw PlexusError("\(info.name).\(spec.name) = \(v) is outside the range <\(spec.lo), \(spec.hi)> declared in \(info.source)", keyPath: spec.name)
            }
        }
    }

    /// Writes an instance's constants (in `info.constants` order).
    func prepare(_ values: [Double], _ c: InstanceContext, into out: UnsafeMutablePointer<Double>) {
        switch source {
        case .native(let t): t.prepare(values, c, into: out)
        case .generated:
            // Parameters as given, then the instance's area, its share of the CV, temperature.
            for (i, v) in values.enumerated() { out[i] = v }
            let p = values.count
            out[p] = c.area
            out[p + 1] = c.cvArea > 0 ? c.area / c.cvArea : 0
            out[p + 2] = c.temperature
        }
    }
}

/// The cable mechanisms a network can use: the built-in catalogue (hh, pas, expsyn, exp2syn, Ih
/// generated from the .mod files in Mechanisms/, iclamp native), plus the mechanisms of the NMODL
/// folders an experiment lists (`mechanisms:`). A folder's mechanism replaces a built-in of the
/// same name (as a catalogue a user brings extends Arbor's default one); two folders may not
/// define the same name.
///
/// Engine order (the order currents are summed per CV): density mechanisms; then synapses, the
/// one with a per-CV layout (expsyn) first; then other point mechanisms (stimuli, whose current
/// Arbor also adds last); by name within each. A fixed rule, so that sums do not depend on how
/// files or types are named or listed.
public final class MechanismCatalogue: @unchecked Sendable {
    public let ordered: [MechanismKind]
    let index: [String: Int]
    /// Files of the folders that do not lower, with why (a run naming their mechanism is told).
    public let refused: [(path: String, error: PlexusError)]
    /// Each generated batch: its sources, and its library once compiled.
    let batches: [MechanismSources]
    private var libraries: [CompiledCatalogue?]
    private let lock = NSLock()
    public let folders: [String]

    init(kinds: [MechanismKind], batches: [MechanismSources], refused: [(String, PlexusError)], folders: [String]) {
        ordered = kinds.sorted { (Self.rank($0.info), $0.name) < (Self.rank($1.info), $1.name) }
        index = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1.name, $0) })
        self.batches = batches
        libraries = Array(repeating: nil, count: batches.count)
        self.refused = refused
        self.folders = folders
    }

    static func rank(_ m: MechanismInfo) -> Int {
        if m.kind == .density { return 0 }
        guard m.receivesEvents else { return 3 }
        if case .perCV = m.folding { return 1 }
        return 2
    }

    public var all: [String: MechanismInfo] { Dictionary(uniqueKeysWithValues: ordered.map { ($0.name, $0.info) }) }
    public var names: String { ordered.map(\.name).sorted().joined(separator: ", ") }
    public func info(_ name: String) -> MechanismInfo? { index[name].map { ordered[$0].info } }

    /// Every probe-able state, `mechanism.state`, in engine order.
    public var stateVariables: [String] { ordered.flatMap { m in m.info.state.map { "\(m.name).\($0.name)" } } }
    /// Every variable a probe may read besides v: states and assigned variables, in engine order.
    public var probeVariables: [String] { ordered.flatMap { m in m.info.probeable.map { "\(m.name).\($0.name)" } } }
    /// The message for a probe variable that is neither `v` nor a declared state.
    public func unknownProbeVariable(_ variable: String) -> String {
        "unknown probe variable '\(variable)'; use v or mechanism.state: \(probeVariables.joined(separator: ", "))"
    }
    /// The message for a mechanism name it does not know.
    public func unknownMechanism(_ name: String) -> String {
        let files = refused.map { "\n  \($0.error)" }.joined()
        return PlexusError.unknownMessage("mechanism", name, known: ordered.map(\.name).sorted())
            + (files.isEmpty ? "" : "\nfiles of the mechanism folders that could not be used:" + files)
    }

    /// The built-in catalogue. Its declarations come from the .mod texts embedded in the module,
    /// parsed at first use (no compiler is needed to validate a file); kernels are compiled when
    /// a network is built.
    public static let builtin: MechanismCatalogue = {
        let files: [(String, [UInt8])] = [
            ("hh.mod", PackageResources.hh_mod), ("pas.mod", PackageResources.pas_mod),
            ("expsyn.mod", PackageResources.expsyn_mod), ("exp2syn.mod", PackageResources.exp2syn_mod),
            ("Ih.mod", PackageResources.Ih_mod),
        ]
        var kinds: [MechanismKind] = MechanismCatalog.native.map { MechanismKind(info: $0.info, source: .native($0)) }
        do {
            let src = try MechanismSources(files: files.map { ("<built-in>/" + $0.0, String(decoding: $0.1, as: UTF8.self)) }, dialect: .arbor)
            kinds += src.models.enumerated().map { MechanismKind(info: info(of: $1), source: .generated(batch: 0, index: $0)) }
            return MechanismCatalogue(kinds: kinds, batches: [src], refused: [], folders: [])
        } catch {
            // A Plexus bug (the built-in files are tested); building any network reports it.
            builtinError = error as? PlexusError ?? PlexusError("\(error)")
            return MechanismCatalogue(kinds: kinds, batches: [], refused: [], folders: [])
        }
    }()
    nonisolated(unsafe) static var builtinError: PlexusError?

    nonisolated(unsafe) private static var byFolders: [[String]: MechanismCatalogue] = [:]
    private static let cacheLock = NSLock()

    /// The built-in catalogue extended by the .mod files of `folders` (NEURON's numerics: cnexp
    /// with the exact exponential). Made once per list of folders in a process.
    public static func with(folders: [String]) throws -> MechanismCatalogue {
        if folders.isEmpty { return builtin }
        let keys = folders.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        cacheLock.lock(); defer { cacheLock.unlock() }
        if let c = byFolders[keys] { return c }
        var kinds = builtin.ordered
        var batches = builtin.batches
        var refused: [(String, PlexusError)] = []
        var fromFolder: [String: String] = [:]
        for folder in keys {
            let src = try MechanismSources(folder: folder, dialect: .neuron)
            for m in src.models {
                if let other = fromFolder[m.name] {
                    throw PlexusError("mechanism '\(m.name)' is defined in two mechanism folders (also in \(other)); rename its SUFFIX or POINT_PROCESS", file: m.source)
                }
                fromFolder[m.name] = m.source
            }
            let batch = batches.count
            kinds.removeAll { k in src.models.contains { $0.name == k.name } }
            kinds += src.models.enumerated().map { MechanismKind(info: info(of: $1), source: .generated(batch: batch, index: $0)) }
            batches.append(src)
            refused += src.refused
        }
        let c = MechanismCatalogue(kinds: kinds, batches: batches, refused: refused, folders: keys)
        byFolders[keys] = c
        return c
    }

    /// The kernels of every generated mechanism (indexed like `ordered`; nil for native ones),
    /// compiling the batches not compiled yet (from the cache when built before). `compiled`
    /// hears the compile time of each batch that had to be compiled.
    func kernels(compiled: ((Double) -> Void)? = nil) throws -> [UnsafePointer<plx_mechanism>?] {
        if let e = Self.builtinError { throw PlexusError("the built-in mechanisms do not compile: \(e)") }
        lock.lock(); defer { lock.unlock() }
        for b in batches.indices where libraries[b] == nil {
            let lib = try batches[b].compiled(compiled: compiled)
            guard lib.mechanisms.count == batches[b].models.count else {
                throw PlexusError("the compiled catalogue has \(lib.mechanisms.count) mechanisms, its sources \(batches[b].models.count)", file: lib.path)
            }
            libraries[b] = lib
        }
        return ordered.map { k in
            guard case .generated(let b, let i) = k.source else { return nil }
            return libraries[b]!.mechanisms.baseAddress! + i
        }
    }

    /// The engine's declaration of a generated mechanism.
    static func info(of m: MechanismModel) -> MechanismInfo {
        let layout = CodeGenerator.Layout(m)
        func unit(_ text: String) -> PhysicalUnit { PhysicalUnit.named(text) ?? .one }
        let parameters = m.parameters.map { p in
            ParameterSpec(p.name, unit(p.unit), p.value, lo: p.lo, hi: p.hi, p.unit.isEmpty || PhysicalUnit.named(p.unit) != nil ? "" : "(\(p.unit))")
        }
        let constants = layout.fields.filter { $0.role <= 3 }.map { CableField($0.name, unit($0.unit)) }
        let assigned = layout.fields.filter { $0.role == 4 }.map { CableField($0.name, unit($0.unit)) }
        let state = layout.fields.filter { $0.role == 5 }.map { CableField($0.name, unit($0.unit)) }
        let fold = CodeGenerator.folding(m)
        let folding: ConductanceFolding
        switch fold.kind {
        case 1: folding = .constant(g: layout.fields[Int(fold.g)].name, e: layout.fields[Int(fold.e)].name)
        case 2: folding = .perCV(g: layout.fields[Int(fold.g)].name, e: layout.fields[Int(fold.e)].name)
        default: folding = .none
        }
        let ions = m.ions.map {
            MechanismInfo.IonUse(name: $0.name, valence: $0.valence, readsReversal: $0.readsReversal, readsInternal: $0.readsInternal,
                                 readsExternal: $0.readsExternal, writesCurrent: $0.writesCurrent, writesInternal: $0.writesInternal,
                                 writesExternal: $0.writesExternal)
        }
        return MechanismInfo(m.name, m.kind == .point ? .point : .density, m.title, parameters: parameters, constants: constants,
                             assigned: assigned, state: state, receivesEvents: m.netReceive != nil, coalescable: m.coalescable, folding: folding,
                             ions: ions, areaField: m.kind == .density ? CodeGenerator.Layout.area : nil, source: m.source)
    }
}

/// The built-in catalogue by its old name (what `plexus models`, tests and code that needs no
/// mechanism folder read).
public enum MechanismCatalog {
    public static var ordered: [MechanismKind] { MechanismCatalogue.builtin.ordered }
    static var index: [String: Int] { MechanismCatalogue.builtin.index }
    public static var all: [String: MechanismInfo] { MechanismCatalogue.builtin.all }
    public static var names: String { MechanismCatalogue.builtin.names }
    public static var stateVariables: [String] { MechanismCatalogue.builtin.stateVariables }
    public static func unknownProbeVariable(_ variable: String) -> String { MechanismCatalogue.builtin.unknownProbeVariable(variable) }
}
