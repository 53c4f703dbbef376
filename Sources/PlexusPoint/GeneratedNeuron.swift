import Foundation
import CPlexusMechanism
import PlexusCore
import PlexusModel

/// A neuron model compiled from a description (a NESTML file) into a shared library that
/// exports `plexus_point_models` (plexus_point.h). The library stays loaded for the life of the
/// process; this holds the model's table entry and what the engine needs to know of it. A
/// user's model is compiled when its file is read; a built-in one (Descriptions/) when a
/// population first needs its kernel.
public final class GeneratedNeuronModel: @unchecked Sendable {
    public let description: PointNeuronDescription
    /// Whether this is one of Plexus's built-in models (Descriptions/*.nestml).
    public let isBuiltIn: Bool
    let compiled: CompiledEntry<plx_point_model>

    init(_ description: PointNeuronDescription, entry: UnsafePointer<plx_point_model>, library: SharedLibrary) {
        self.description = description
        isBuiltIn = false
        compiled = CompiledEntry(library: library, entry: entry)
    }

    /// A model whose kernel `load` compiles (or finds in the cache) on first use.
    init(builtIn description: PointNeuronDescription, load: @escaping () throws -> (SharedLibrary, UnsafePointer<plx_point_model>)) {
        self.description = description
        isBuiltIn = true
        compiled = CompiledEntry(load: load)
    }

    /// The compiled library and the model's entry in its table (compiled on first use).
    func kernel() throws -> (library: SharedLibrary, entry: UnsafePointer<plx_point_model>) { try compiled.get() }

    /// The compiled kernel's table entry.
    func entry() throws -> UnsafePointer<plx_point_model> { try kernel().entry }

    public var name: String { description.name }
    /// The compiled library, and the C it was built from (kept beside it).
    public var libraryPath: String { compiled.libraryPath }
    public var librarySource: String { compiled.librarySource }

    /// The population's constants under parameters `p` and resolution `h`: the parameters, the
    /// internals the generated code derives from them, then the exact propagators of the linear
    /// part (exp(A h) and its integral, from `MatrixExponential`). Throws naming the parameter
    /// when a value leaves the model without finite constants.
    func constants(_ p: ParameterValues, resolution h: Double) throws -> [Double] {
        let m = try entry().pointee
        var c = [Double](repeating: 0, count: Int(m.constant_count))
        for (i, v) in p.values.enumerated() {
            // NESTML models take infinite bounds (izhikevich's V_min = -inf), never NaN.
            guard !v.isNaN else { throw PlexusError("\(p.specs[i].name) = \(v) must be a number", keyPath: p.specs[i].name) }
            c[i] = v
        }
        // The file's conditions ([[...]]) on parameters, as NESTML's NEST code checks them.
        if !description.invariants.isEmpty {
            var values: [String: Double] = [:]
            for (spec, v) in zip(p.specs, p.values) { values[spec.name] = v }
            for inv in description.invariants where values[inv.variable] != nil && inv.condition.names.allSatisfy({ values[$0] != nil }) {
                if let why = inv.violation(values, model: name, file: description.file) {
                    throw PlexusError("\(inv.variable) = \(values[inv.variable]!) \(why)", keyPath: inv.variable)
                }
            }
        }
        c.withUnsafeMutableBufferPointer { m.internals($0.baseAddress!, h) }
        let np = Int(m.parameter_count)
        let internals = description.internals
        for i in np..<Int(m.propagator_offset) where !c[i].isFinite {
            let k: Int = i - np
            let name = k < internals.count ? internals[k] : "an internal constant"
            if !c[i].isNaN && description.mayBeInfinite.contains(name) { continue }
            throw PlexusError("\(name) = \(c[i]) is not finite under these parameters (\(describe(p)))", keyPath: p.specs.first?.name)
        }
        let n = Int(m.linear_dimension)
        if n > 0 {
            var a = [Double](repeating: 0, count: n * n)
            c.withUnsafeBufferPointer { cb in a.withUnsafeMutableBufferPointer { m.linear_matrix(cb.baseAddress!, $0.baseAddress!) } }
            // exp([[A h, I h], [0, 0]]) = [[exp(A h), Φ], [0, I]] with Φ = ∫₀ʰ exp(A s) ds.
            var aug = [Double](repeating: 0, count: 4 * n * n)
            let w = 2 * n
            for i in 0..<n {
                for j in 0..<n { aug[i * w + j] = a[i * n + j] * h }
                aug[i * w + n + i] = h
            }
            guard let e = MatrixExponential.exp(aug, n: 2 * n) else {
                throw PlexusError("the linear part of \(name) has no finite propagators under these parameters (\(describe(p)))",
                                  keyPath: p.specs.first?.name)
            }
            let off = Int(m.propagator_offset)
            for i in 0..<n {
                for j in 0..<n {
                    let k: Int = i * n + j
                    c[off + k] = e[i * w + j]
                    c[off + n * n + k] = e[i * w + n + j]
                }
            }
        }
        return c
    }

    private func describe(_ p: ParameterValues) -> String {
        zip(p.specs, p.values).map { "\($0.name) = \($1)" }.joined(separator: ", ")
    }

    /// The state columns under parameters `p` (initial values may be expressions of them).
    func stateSpecs(_ p: ParameterValues) -> [StateSpec] {
        let initial: [Double]
        if let constant = description.constantInitialState {
            initial = constant
        } else if let c = try? constants(p, resolution: 0.1), let entry = try? entry() {
            var s = [Double](repeating: 0, count: Int(entry.pointee.state_count))
            c.withUnsafeBufferPointer { cb in s.withUnsafeMutableBufferPointer { entry.pointee.initial_state(cb.baseAddress!, $0.baseAddress!) } }
            initial = s
        } else {
            initial = [Double](repeating: .nan, count: description.state.count)
        }
        return description.state.enumerated().map { v, s in
            StateSpec(s.name, PhysicalUnit.named(s.unit) ?? .one, initial: initial[v], recordable: s.recordable)
        }
    }

    /// The kind the engine uses: parameters as declared (defaults evaluated), state as declared.
    public var kind: NeuronKind {
        let specs = description.parameterSpecs
        let defaults = ParameterValues(specs: specs)
        let weightUnit = PhysicalUnit.named(description.weightUnit) ?? .pA
        let ports = description.receptorPorts
        return NeuronKind(name: name, parameters: specs, state: stateSpecs(defaults), weightUnit: weightUnit, source: description.file,
                          stateFor: { self.stateSpecs($0) }, receptorPorts: { _ in ports },
                          make: { name, p, h, size, local, firstNode, firstNeuron, initial, seed in
                              try GeneratedPopulation(model: self, name: name, parameters: p, resolution: h, size: size, local: local,
                                                      firstNode: firstNode, firstNeuron: firstNeuron, initial: initial, seed: seed)
                          })
    }
}

extension PointNeuronDescription.Parameter {
    /// As the engine declares a parameter (the unit by its Plexus name, "" for a number).
    var spec: ParameterSpec {
        ParameterSpec(name, unit == Self.weightUnit ? .weight : PhysicalUnit.named(unit) ?? .one, defaultValue, doc)
    }
}

extension PointNeuronDescription {
    /// The parameters as the engine declares them (units by their Plexus names, "" for a number).
    var parameterSpecs: [ParameterSpec] {
        parameters.map { p in
            let spec = ParameterSpec(p.name, PhysicalUnit.named(p.unit) ?? .one, p.defaultValue, p.doc)
            return mayBeInfinite.contains(p.name) ? spec.allowingPositiveInfinity() : spec
        }
    }
}

/// The engine's handle of a population of a generated model: state columns as for the built-in
/// models, the population's constants, and one call into the generated kernel per step.
final class GeneratedPopulation: NeuronPopulation {
    let model: GeneratedNeuronModel
    let name: String
    private(set) var parameters: ParameterValues
    let size: Int
    let firstNode: Int
    let firstNeuron: Int
    let local: Range<Int>
    let state: Storage<Double>
    let columns: StateColumns
    let specs: [StateSpec]
    private var constants: Storage<Double>
    private var h: Double
    private let entry: UnsafePointer<plx_point_model>
    /// Columns the kernel keeps relative to a parameter (`@plexus::relative_to_E_L`), with that
    /// parameter's index: users set and record the variable itself.
    private let relative: [(column: Int, parameter: Int)]
    /// The run's random key: NESTML's random_normal and random_uniform draw from Plexus's stream
    /// of the neuron and step (RandomPurpose.generatedModel), the same for any threads and ranks.
    private let key: (UInt32, UInt32)
    /// Where the kernel lists the neurons that fired: threads update disjoint ranges of a
    /// population, each into its own part of this buffer.
    private let fired: Storage<Int32>
    let receptorPorts: Int?

    init(model: GeneratedNeuronModel, name: String, parameters: ParameterValues, resolution h: Double, size: Int, local: Range<Int>,
         firstNode: Int, firstNeuron: Int, initial: [[Double]], seed: UInt64) throws {
        self.model = model
        key = RandomStream.key(seed: seed)
        self.name = name
        self.parameters = parameters
        self.size = size
        self.firstNode = firstNode
        self.firstNeuron = firstNeuron
        self.local = local
        constants = Storage(try model.constants(parameters, resolution: h))
        entry = try model.entry()
        self.h = h
        specs = model.stateSpecs(parameters)
        receptorPorts = model.description.receptorPorts
        relative = model.description.state.enumerated().compactMap { v, s in
            s.relativeTo.flatMap { p in parameters.specs.firstIndex { $0.name == p } }.map { (v, $0) }
        }
        state = Storage(repeating: 0, count: max(1, specs.count * local.count))
        columns = StateColumns(base: state.base - local.lowerBound, n: local.count)
        fired = Storage(repeating: 0, count: max(1, local.count))
        for (v, values) in initial.enumerated() {
            let col = state.base + v * local.count
            let offset = self.offset(v)
            for k in 0..<local.count { col[k] = values[k] - offset }
        }
    }

    /// What the kernel subtracts from column `v` (0 for a variable kept as it is).
    private func offset(_ v: Int) -> Double {
        guard let r = relative.first(where: { $0.column == v }) else { return 0 }
        return parameters.values[r.parameter]
    }

    var modelName: String { model.name }
    var stateNames: [String] { specs.map(\.name) }
    var recordableNames: [String] { specs.filter(\.recordable).map(\.name) }
    var weightUnit: PhysicalUnit { PhysicalUnit.named(model.description.weightUnit) ?? .pA }
    var countsSpikes: Bool { false }
    var spikesCarryRelease: Bool { false }
    /// Generated models take their input on the grid (NESTML has no precise-timing models).
    var isPrecise: Bool { false }

    func update(_ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        spikes.gidBase = UInt32(firstNode)
        let out = fired.base + (range.lowerBound - local.lowerBound)
        // The engine's input rows are indexed by population index from the population's first
        // neuron; the kernel indexes state the same way.
        var step = plx_point_step(state: columns.base, stride: Int64(local.count), begin: Int64(range.lowerBound), end: Int64(range.upperBound),
                                  constants: UnsafePointer(constants.base), spikes: UnsafePointer(input.spikes),
                                  ports: Int64(receptorPorts ?? 1), current: UnsafePointer(input.current), step: input.step,
                                  h: h, fired: out, nfired: 0, key0: key.0, key1: key.1, first_node: Int64(firstNode))
        entry.pointee.update(&step)
        for k in 0..<Int(step.nfired) { spikes.emit(Int(out[k])) }
    }

    func recordedValue(variable: Int, neuron: Int) -> Double {
        relative.isEmpty ? columns.column(variable)[neuron] : columns.column(variable)[neuron] + offset(variable)
    }

    func firstColumnIsFinite(in range: Range<Int>) -> Bool { columns.firstColumnIsFinite(specs, in: range) }

    /// New constants; a variable kept relative to a parameter keeps its value as the user sees
    /// it (V_m stays put when E_L moves, as NEST's set_status does).
    func setParameters(_ values: ParameterValues, resolution h: Double) throws {
        constants = Storage(try model.constants(values, resolution: h))
        self.h = h
        for r in relative {
            let delta = values.values[r.parameter] - parameters.values[r.parameter]
            guard delta != 0 else { continue }
            let col = columns.column(r.column)
            for i in local { col[i] -= delta }
        }
        parameters = values
    }

    func setState(variable v: Int, values: [Double], neurons: Range<Int>) {
        let offset = self.offset(v)
        for (k, i) in neurons.enumerated() where local.contains(i) { columns.column(v)[i] = values[k] - offset }
    }

    func firstNonFinite(in range: Range<Int>) -> (Int, String)? { columns.firstNonFinite(specs, in: range) }
}

extension GeneratedNeuronModel {
    /// Compiles lowered descriptions into one library (content-hashed cache, as mechanism
    /// catalogues) and loads their models, in the order given.
    public static func compile(_ descriptions: [PointNeuronDescription], cacheDirectory: String? = nil,
                               compiled: ((Double) -> Void)? = nil) throws -> [GeneratedNeuronModel] {
        guard !descriptions.isEmpty else { return [] }
        let (library, table) = try library(descriptions, cacheDirectory: cacheDirectory, compiled: compiled)
        return descriptions.enumerated().map { i, d in GeneratedNeuronModel(d, entry: table + i, library: library) }
    }

    /// The library of `descriptions` (compiled, or from the cache) and its table of models.
    static func library(_ descriptions: [PointNeuronDescription], cacheDirectory: String? = nil,
                        compiled: ((Double) -> Void)? = nil) throws -> (SharedLibrary, UnsafePointer<plx_point_model>) {
        try loadModelTable(descriptions.map(\.cSource), table: PointKernelSource.table(entries: descriptions.map(\.entrySymbol)),
                           symbol: PLX_POINT_MODELS_SYMBOL, what: "point-model", count: descriptions.count,
                           cacheDirectory: cacheDirectory, compiled: compiled)
    }
}

/// A generated model's compiled library and its entry in the library's table, loaded once: at
/// hand for a user's file (compiled when read), on first use for a built-in description.
final class CompiledEntry<Entry>: @unchecked Sendable {
    private let load: () throws -> (SharedLibrary, UnsafePointer<Entry>)
    private var loaded: (library: SharedLibrary, entry: UnsafePointer<Entry>)?
    private let lock = NSLock()

    init(library: SharedLibrary, entry: UnsafePointer<Entry>) {
        load = { (library, entry) }
        loaded = (library, entry)
    }

    init(load: @escaping () throws -> (SharedLibrary, UnsafePointer<Entry>)) { self.load = load }

    func get() throws -> (library: SharedLibrary, entry: UnsafePointer<Entry>) {
        lock.lock(); defer { lock.unlock() }
        if let loaded { return loaded }
        let (library, entry) = try load()
        loaded = (library, entry)
        return (library, entry)
    }

    /// The library's path, and the C it was built from (kept beside it); "" if it does not build.
    var libraryPath: String { (try? get())?.library.path ?? "" }
    var librarySource: String {
        (try? String(contentsOfFile: (libraryPath as NSString).deletingPathExtension + ".c", encoding: .utf8)) ?? ""
    }
}

/// Compiles generated models' C (after the prelude, then their exported table) into one library
/// and returns it with the table its function `symbol` exports, checked against this Plexus's ABI.
func loadModelTable<Entry>(_ sources: [String], table: String, symbol: String, what: String, count: Int,
                           cacheDirectory: String?, compiled: ((Double) -> Void)?) throws -> (SharedLibrary, UnsafePointer<Entry>) {
    let source = PointKernelSource.prelude + sources.map { "\n" + $0 }.joined() + table
    let library = try CatalogueBuilder.sharedLibrary(source: source, cacheDirectory: cacheDirectory, compiled: compiled)
    guard let sym = library.symbol(symbol) else {
        throw PlexusError("not a Plexus \(what) library: it exports no '\(symbol)'", file: library.path)
    }
    typealias TableFunction = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?) -> UnsafeRawPointer?
    var n: Int32 = 0, version: Int32 = 0
    guard let entries = unsafeBitCast(sym, to: TableFunction.self)(&n, &version), Int(n) == count, version == PLX_POINT_ABI_VERSION else {
        throw PlexusError("the \(what) library does not match this Plexus (ABI \(version), \(n) models): delete it to rebuild", file: library.path)
    }
    return (library, entries.assumingMemoryBound(to: Entry.self))
}

/// Models a user brings as description files (NESTML): read, lowered, compiled (once per
/// content: the compiled library is cached by content hash) and installed by name for the rest
/// of the process, so that populations and connection statements name them like built-in models
/// (neurons in `ModelCatalog`, synapses in `SynapseModel`).
public enum NeuronModelFiles {
    nonisolated(unsafe) private static var loaded: [String: ([GeneratedNeuronModel], [GeneratedSynapseModel])] = [:]
    private static let lock = NSLock()

    /// Installs the neuron models of the .nestml files at `paths` (and their synapse models);
    /// returns the neuron models in file order.
    @discardableResult
    public static func install(_ paths: [String], cacheDirectory: String? = nil) throws -> [GeneratedNeuronModel] {
        try installModels(paths, cacheDirectory: cacheDirectory).neurons
    }

    /// Installs the neuron and synapse models of the .nestml files at `paths`, in file order.
    @discardableResult
    public static func installModels(_ paths: [String], cacheDirectory: String? = nil) throws
        -> (neurons: [GeneratedNeuronModel], synapses: [GeneratedSynapseModel]) {
        var neurons: [GeneratedNeuronModel] = [], synapses: [GeneratedSynapseModel] = []
        for path in paths {
            guard path.hasSuffix(".nestml") else {
                throw PlexusError("model files are NESTML descriptions ending in .nestml", file: path)
            }
            guard let data = FileManager.default.contents(atPath: path) else { throw PlexusError("cannot read the model file", file: path) }
            var h = PlexusCore.SHA256()
            h.update(Array(path.utf8) + [0] + Array(data))
            let key = h.finalize()
            lock.lock()
            let known = loaded[key]
            lock.unlock()
            let models: ([GeneratedNeuronModel], [GeneratedSynapseModel])
            if let known { models = known } else {
                let file = try NESTMLParser.parse(String(decoding: data, as: UTF8.self), path: path)
                guard !file.models.isEmpty else { throw PlexusError("the file holds no model", file: path) }
                let lowered = try NESTMLLowering.models(file)
                models = (try GeneratedNeuronModel.compile(lowered.neurons, cacheDirectory: cacheDirectory),
                          try GeneratedSynapseModel.compile(lowered.synapses, cacheDirectory: cacheDirectory))
                lock.lock()
                loaded[key] = models
                lock.unlock()
            }
            for m in models.0 { try ModelCatalog.install(m.kind) }
            for m in models.1 { GeneratedSynapses.install(m) }
            neurons += models.0
            synapses += models.1
        }
        return (neurons, synapses)
    }
}

/// Plexus's built-in point models that are descriptions (Descriptions/*.nestml, embedded by the
/// registry plugin as `NESTMLSources.all`), neurons and synapses: read and lowered when the
/// catalogue is first used, compiled together into one library per kind (cached by content, as
/// a user's models) when a population or a connection statement first needs one.
enum BuiltinDescriptions {
    static let lowered: (neurons: [PointNeuronDescription], synapses: [PointSynapseDescription], refused: [PlexusError]) = {
        var neurons: [PointNeuronDescription] = [], synapses: [PointSynapseDescription] = [], refused: [PlexusError] = []
        for file in NESTMLSources.all {
            do {
                let parsed = try NESTMLParser.parse(file.text, path: "<built-in>/" + file.name)
                let models = try NESTMLLowering.models(parsed)
                neurons += models.neurons
                synapses += models.synapses
            } catch {
                refused.append(error as? PlexusError ?? PlexusError("\(error)", file: file.name))
            }
        }
        return (neurons, synapses, refused)
    }()

    static let neurons: [GeneratedNeuronModel] = {
        let batch = Batch(lowered.neurons) { try GeneratedNeuronModel.library($0) }
        return lowered.neurons.enumerated().map { i, d in
            GeneratedNeuronModel(builtIn: d) { let (library, table) = try batch.load(); return (library, table + i) }
        }
    }()

    static let synapses: [GeneratedSynapseModel] = {
        let batch = Batch(lowered.synapses) { try GeneratedSynapseModel.library($0) }
        return lowered.synapses.enumerated().map { i, d in
            GeneratedSynapseModel(builtIn: d) { let (library, table) = try batch.load(); return (library, table + i) }
        }
    }()

    static var synapseNames: Set<String> { Set(lowered.synapses.map(\.name)) }
    static func synapse(named name: String) -> GeneratedSynapseModel? { synapses.first { $0.name == name } }

    /// One kind's models compiled once per process (and found in the cache after the first).
    final class Batch<Description, Entry>: @unchecked Sendable {
        let descriptions: [Description]
        let compile: ([Description]) throws -> (SharedLibrary, UnsafePointer<Entry>)
        private var library: (SharedLibrary, UnsafePointer<Entry>)?
        private let lock = NSLock()
        init(_ descriptions: [Description], compile: @escaping ([Description]) throws -> (SharedLibrary, UnsafePointer<Entry>)) {
            self.descriptions = descriptions
            self.compile = compile
        }

        func load() throws -> (SharedLibrary, UnsafePointer<Entry>) {
            lock.lock(); defer { lock.unlock() }
            if let library { return library }
            let l = try compile(descriptions)
            library = l
            return l
        }
    }
}
