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

/// Every cable mechanism the engine knows: the built-in catalogue (hh, pas, expsyn, exp2syn, Ih
/// generated from the .mod files in Mechanisms/, iclamp native), and the mechanisms of the
/// folders a run registers (`mechanisms:` of a cable experiment, `plexus build-catalogue`).
///
/// Registration is process-wide and additive (a folder registered twice is registered once):
/// experiment files name mechanisms by name, and one process runs one experiment at a time.
/// The engine order of the built-ins is fixed by a rule (see `ordered`); registered mechanisms
/// follow in registration order, sorted the same way within each folder.
public enum MechanismCatalog {
    /// Declarations of the built-in generated mechanisms, from the .mod texts embedded in the
    /// module: parsed and lowered at first use (no compiler needed to validate a file).
    static let builtinSources: Result<MechanismSources, PlexusError> = {
        let files: [(String, [UInt8])] = [
            ("hh.mod", PackageResources.hh_mod), ("pas.mod", PackageResources.pas_mod),
            ("expsyn.mod", PackageResources.expsyn_mod), ("exp2syn.mod", PackageResources.exp2syn_mod),
            ("Ih.mod", PackageResources.Ih_mod),
        ]
        do {
            return .success(try MechanismSources(files: files.map { ("<built-in>/" + $0.0, String(decoding: $0.1, as: UTF8.self)) },
                                                 exponential: .pade))
        } catch let e as PlexusError { return .failure(e) } catch { return .failure(PlexusError("\(error)")) }
    }()

    struct State {
        var ordered: [MechanismKind] = []
        var index: [String: Int] = [:]
        /// Sources of each generated batch and, once compiled, its library.
        var batches: [(sources: MechanismSources, library: CompiledCatalogue?)] = []
        var folders: Set<String> = []
    }
    static let lock = NSLock()
    nonisolated(unsafe) static var state: State = {
        var s = State()
        var kinds: [MechanismKind] = native.map { MechanismKind(info: $0.info, source: .native($0)) }
        switch builtinSources {
        case .success(let src):
            s.batches.append((src, nil))
            kinds += src.models.enumerated().map { MechanismKind(info: info(of: $1), source: .generated(batch: 0, index: $0)) }
        case .failure(let e):
            // A Plexus bug (the built-in files are tested); every build reports it.
            builtinError = e
        }
        s.ordered = kinds.sorted { (rank($0.info), $0.name) < (rank($1.info), $1.name) }
        s.index = Dictionary(uniqueKeysWithValues: s.ordered.enumerated().map { ($1.name, $0) })
        return s
    }()
    nonisolated(unsafe) static var builtinError: PlexusError?

    /// Every mechanism in the order the engine runs them, which is the order their currents are
    /// summed per CV: density mechanisms; then synapses, the one with a per-CV layout (expsyn)
    /// first; then other point mechanisms (stimuli, whose current Arbor also adds last); by name
    /// within each. A fixed rule, so that sums do not depend on how types are named or listed
    /// (and the order of the engine before this interface: hh, expsyn, exp2syn, iclamp).
    public static var ordered: [MechanismKind] { lock.lock(); defer { lock.unlock() }; return state.ordered }
    /// Index in `ordered` of each name.
    static var index: [String: Int] { lock.lock(); defer { lock.unlock() }; return state.index }
    public static var all: [String: MechanismInfo] { Dictionary(uniqueKeysWithValues: ordered.map { ($0.name, $0.info) }) }
    public static var names: String { all.keys.sorted().joined(separator: ", ") }

    static func rank(_ m: MechanismInfo) -> Int {
        if m.kind == .density { return 0 }
        guard m.receivesEvents else { return 3 }
        if case .perCV = m.folding { return 1 }
        return 2
    }

    /// Every probe-able state, `mechanism.state`, in engine order.
    public static var stateVariables: [String] { ordered.flatMap { m in m.info.state.map { "\(m.name).\($0.name)" } } }
    /// Every variable a probe may read besides v: states and assigned variables, in engine order.
    public static var probeVariables: [String] { ordered.flatMap { m in m.info.probeable.map { "\(m.name).\($0.name)" } } }
    /// The message for a probe variable that is neither `v` nor a declared state.
    public static func unknownProbeVariable(_ variable: String) -> String {
        "unknown probe variable '\(variable)'; use v or mechanism.state: \(probeVariables.joined(separator: ", "))"
    }

    /// Adds the mechanisms of every .mod file in `folder` (NEURON's dialect: cnexp with the exact
    /// exponential). A name that is already known is an error naming both files.
    public static func register(folder: String) throws {
        let key = URL(fileURLWithPath: folder).standardizedFileURL.path
        lock.lock(); defer { lock.unlock() }
        guard !state.folders.contains(key) else { return }
        let src = try MechanismSources(folder: key, exponential: .exact)
        for m in src.models {
            if let i = state.index[m.name] {
                let other = state.ordered[i].info.source
                throw PlexusError("mechanism '\(m.name)' is already defined\(other.isEmpty ? " (a built-in)" : " in \(other)"); rename its SUFFIX or POINT_PROCESS", file: m.source)
            }
        }
        let batch = state.batches.count
        state.batches.append((src, nil))
        let added = src.models.enumerated().map { MechanismKind(info: info(of: $1), source: .generated(batch: batch, index: $0)) }
            .sorted { (rank($0.info), $0.name) < (rank($1.info), $1.name) }
        for k in added { state.index[k.name] = state.ordered.count; state.ordered.append(k) }
        state.folders.insert(key)
    }

    /// The kernels of every generated mechanism (indexed like `ordered`; nil for native ones),
    /// compiling the batches not compiled yet (from the cache when built before). `compiled`
    /// hears the compile time of each batch that had to be compiled.
    static func kernels(compiled: ((Double) -> Void)? = nil) throws -> [UnsafePointer<plx_mechanism>?] {
        if let e = builtinError { throw PlexusError("the built-in mechanisms do not compile: \(e)") }
        lock.lock(); defer { lock.unlock() }
        for b in state.batches.indices where state.batches[b].library == nil {
            let lib = try state.batches[b].sources.compiled(compiled: compiled)
            guard lib.mechanisms.count == state.batches[b].sources.models.count else {
                throw PlexusError("the compiled catalogue has \(lib.mechanisms.count) mechanisms, its sources \(state.batches[b].sources.models.count)", file: lib.path)
            }
            state.batches[b].library = lib
        }
        return state.ordered.map { k in
            guard case .generated(let b, let i) = k.source else { return nil }
            return state.batches[b].library!.mechanisms.baseAddress! + i
        }
    }

    /// The engine's declaration of a generated mechanism.
    static func info(of m: MechanismModel) -> MechanismInfo {
        let layout = CodeGenerator.Layout(m)
        func unit(_ text: String) -> PhysicalUnit { PhysicalUnit.named(text) ?? .one }
        let parameters = m.parameters.map { p in
            ParameterSpec(p.name, unit(p.unit), p.value, lo: p.lo, hi: p.hi, p.unit.isEmpty || PhysicalUnit.named(p.unit) != nil ? "" : "(\(p.unit))")
        }
        let roles = layout.fields.map(\.role)
        let constants = layout.fields.filter { $0.role <= 3 }.map { CableField($0.name, unit($0.unit)) }
        let assigned = layout.fields.filter { $0.role == 4 }.map { CableField($0.name, unit($0.unit)) }
        let state = layout.fields.filter { $0.role == 5 }.map { CableField($0.name, unit($0.unit)) }
        _ = roles
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
