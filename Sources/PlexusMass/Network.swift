import PlexusCore
import PlexusModel
#if canImport(Glibc)
import Glibc
#endif

/// Everything a neural-mass run produced.
public struct MassResults: Sendable {
    public let monitors: [MonitorResult]
    public let steps: Int
    public let simulateSeconds: Double
    /// CPU time of the whole process during the run (all threads), for timing on a busy machine.
    public let simulateCPUSeconds: Double
}

/// A compiled neural-mass experiment: validate and build once, then `run`.
///
/// Build resolves the model, coupling and integrator by TVB name, checks every parameter (errors
/// name the key path, e.g. `model.params.tau_s`), converts tract lengths to whole-step delays
/// (`rint(length/speed/dt)`, TVB's rule) and lays out the state (structure of arrays) and the
/// delay history. Run advances `ceil(duration/dt)` steps; a NaN or infinity stops it with the step,
/// time, region and state variable.
public final class MassNetwork {
    public let experiment: MassExperiment
    public let connectome: Connectome
    /// Integer delays in steps, n x n, row = target (TVB's `idelays`).
    public let delays: [Int32]
    /// Slots in TVB's history ring (max delay + 1).
    public let horizon: Int
    public let steps: Int
    public let threads: Int
    public let modelName: String
    public let model: MassModelKind
    /// The model kernel's parameter table (`p[slot*n + i]`, RateModel.parameterSlots).
    let parameterTable: [Double]
    /// Parameters given as lists (per region, or a vector parameter's elements), by name.
    public let regionalParameters: [(String, [Double])]
    /// Resolved parameter values (name, value) of the model and of the coupling (one value each;
    /// parameters given as lists are in `regionalParameters`).
    public let modelParameters: [(String, Double)]
    public let couplingParameters: [(String, Double)]
    public let stateVariables: [String]
    /// Notes for the user (values outside TVB's suggested ranges, forced single thread...).
    public private(set) var warnings: [String] = []
    /// What the engine core is built from (a batch reads its lanes' from it).
    let setup: MassCoreSetup
    /// Built on first use: a batch validates its points through MassNetwork without one.
    private(set) lazy var core: MassCore = {
        func make<I: MassIntegrator>(_ integrator: I.Type) -> MassCore { MassCoreImpl<I>(setup) }
        return make(experiment.integrator.scheme.kind)
    }()

    public var regions: Int { connectome.count }
    /// Coupling terms evaluated per step (nonzero weights).
    public var couplingTerms: Int { connectome.nonzeroCount }
    public var blockedEdges: Int { core.blockedEdges }
    public var perStepEdges: Int { core.perStepEdges }
    public var historyBytes: Int { core.historyBytes }
    /// Steps between the meetings of threads (the block length unless short delays link parts).
    public var barrierInterval: Int { core.barrierInterval }
    /// Ranks: bytes this rank sent in the exchanges of coupled states, and how many exchanges.
    public var exchangeBytesSent: Int { core.exchangeBytesSent }
    public var exchangeEpochs: Int { core.exchangeEpochs }

    /// The ranks of the run: each rank integrates its share of the regions (and records their
    /// columns); rank 0 gathers the monitors at the end.
    public let communicator: any Communicator

    /// `communicator`: with several ranks the regions are cut into ranks x threads contiguous
    /// parts; each rank integrates its own and they exchange their coupled states whenever the
    /// threads meet (`barrierInterval`), so every rank's delay history is the one process's.
    public init(_ e: MassExperiment, connectome: Connectome, threads: Int = 1, communicator: any Communicator = SingleProcess.shared) throws {
        experiment = e
        self.communicator = communicator
        self.connectome = connectome
        try connectome.validate()
        let n = connectome.count
        // A surface simulation has one node per vertex; the regions keep the delayed coupling.
        let nodes = e.surface?.vertices ?? n
        if let sf = e.surface {
            guard sf.vertices > 0, sf.rowStarts.count == sf.vertices + 1, sf.rowStarts.last == sf.columns.count,
                  sf.columns.count == sf.values.count, sf.columns.allSatisfy({ $0 >= 0 && Int($0) < sf.vertices }) else {
                throw PlexusError("the local connectivity is not a \(sf.vertices) x \(sf.vertices) sparse matrix", keyPath: "surface.local_connectivity")
            }
            var counts = [Int](repeating: 0, count: n)
            for r in sf.regionMapping {
                guard r >= 0 && r < n else { throw PlexusError("region \(r) in the region mapping is not one of the connectome's \(n)", keyPath: "surface.region_mapping") }
                counts[r] += 1
            }
            if let empty = counts.firstIndex(of: 0) {
                throw PlexusError("region \(empty) (\(connectome.labels[empty])) has no vertex; regions without vertices (TVB gives them a node each) are not supported yet",
                                  keyPath: "surface.region_mapping")
            }
            guard sf.couplingStrength.isFinite else { throw PlexusError("coupling_strength is \(sf.couplingStrength)", keyPath: "surface.coupling_strength") }
        }
        guard e.speed.isFinite, e.speed > 0 else {
            throw PlexusError.outOfRange("speed", e.speed, "must be a positive number of mm/ms", keyPath: "speed")
        }
        let dt = e.integrator.dt
        guard dt.isFinite, dt > 0 else {
            throw PlexusError.outOfRange("dt", dt, "must be a positive number of ms", keyPath: "integrator.dt")
        }
        guard e.duration.isFinite, e.duration > 0 else {
            throw PlexusError.outOfRange("duration", e.duration, "must be a positive number of ms", keyPath: "duration")
        }
        let stepsD = (e.duration / dt).rounded(.up)
        guard stepsD < 1e11 else { throw PlexusError("duration / dt = \(stepsD) steps is too many", keyPath: "duration") }
        steps = Int(stepsD)
        var notes: [String] = []
        if !(try TimeGrid(resolution: dt)).isOnGrid(e.duration) {
            // TVB runs ceil(simulation_length / dt) steps; say so rather than round silently.
            notes.append("duration \(e.duration) ms is not a whole number of steps of dt = \(dt) ms: it runs \(steps) steps "
                         + "(\(Double(steps) * dt) ms), as TVB does")
        }
        guard let M = try MassModels.kind(named: e.model.name, folders: e.model.folders) else {
            let kinds = try MassModels.catalogue(folders: e.model.folders)
            if let broken = MassModels.refused.first(where: { $0.file == e.model.name + ".rate" }) {
                throw PlexusError("the built-in description of \(e.model.name) does not build (a Plexus defect): \(broken)", keyPath: "model.name")
            }
            throw PlexusError(PlexusError.unknownMessage("model", e.model.name, known: kinds.map(\.name)), keyPath: "model.name")
        }
        model = M
        modelName = M.name
        stateVariables = M.stateVariables.map(\.name)
        /// A derived vector (the ReducedSet models' coefficients) follows its inputs; it is never given.
        func refuseDerived(_ name: String, _ path: String) throws {
            guard let f = M.description.derived, f.outputs.contains(where: { $0.name == name }) else { return }
            throw PlexusError("\(name) is derived from \(f.inputs.joined(separator: ", ")) (as TVB's update_derived_parameters computes it): set those instead",
                              keyPath: path)
        }
        func resolve(_ specs: [ParameterSpec], _ given: [String: Double], _ path: String, _ owner: String) throws -> [Double] {
            var values = specs.map(\.defaultValue)
            for (k, v) in given.sorted(by: { $0.key < $1.key }) {
                guard let idx = specs.firstIndex(where: { $0.name == k }) else {
                    let all = specs.map(\.name) + (path == "model.params" ? M.description.parameters.filter(\.isVector).map(\.name) : [])
                    if path == "model.params" { try refuseDerived(k, "\(path).\(k)") }
                    if all.contains(k) { throw PlexusError("\(k) is a vector parameter: give its \(M.description.parameters.first { $0.name == k }!.defaults.count) elements as a list", keyPath: "\(path).\(k)") }
                    throw PlexusError("\(owner) has no parameter '\(k)'\(PlexusError.didYouMean(k, all)); known: \(all.joined(separator: ", "))", keyPath: "\(path).\(k)")
                }
                guard v.isFinite else { throw PlexusError("\(k) is \(v)", keyPath: "\(path).\(k)") }
                let s = specs[idx]
                if v < s.lo || v > s.hi {
                    notes.append("\(path).\(k) = \(v) is outside TVB's range [\(s.lo), \(s.hi)] for \(owner)")
                }
                values[idx] = v
            }
            return values
        }
        let mvalues = try resolve(M.parameters, e.model.params, "model.params", M.name)
        // The kernel's parameter table: every slot a column of n values.
        var table = [Double](repeating: 0, count: M.description.parameterSlotCount * n)
        let slots = M.description.parameterSlots
        var scalarAt = 0
        for (k, p) in M.description.parameters.enumerated() {
            if p.isVector {
                for (j, v) in p.defaults.enumerated() { for i in 0..<n { table[(slots[k] + j) * n + i] = v } }
            } else {
                for i in 0..<n { table[slots[k] * n + i] = mvalues[scalarAt] }
                scalarAt += 1
            }
        }
        var regional: [(String, [Double])] = []
        for (name, list) in e.model.lists.sorted(by: { $0.key < $1.key }) {
            let path = "model.params.\(name)"
            guard e.model.params[name] == nil else { throw PlexusError("\(name) is given twice", keyPath: path) }
            guard let k = M.description.parameterIndex(name) else {
                let all = M.description.parameters.map(\.name)
                throw PlexusError("\(M.name) has no parameter '\(name)'\(PlexusError.didYouMean(name, all)); known: \(all.joined(separator: ", "))", keyPath: path)
            }
            let p = M.description.parameters[k]
            try refuseDerived(name, path)
            if p.isVector {
                guard list.count == p.defaults.count else {
                    throw PlexusError("\(name) is a vector parameter of \(p.defaults.count) elements; got \(list.count) values", keyPath: path)
                }
                for (j, v) in list.enumerated() { for i in 0..<n { table[(slots[k] + j) * n + i] = v } }
            } else {
                guard list.count == n else {
                    throw PlexusError("\(list.count) values for \(n) regions: give one value, or one per region in the connectome's order", keyPath: path)
                }
                let outside = list.filter { $0 < p.lo || $0 > p.hi }.count
                if outside > 0 { notes.append("\(path): \(outside) of \(n) values outside TVB's range [\(p.lo), \(p.hi)] for \(M.name)") }
                for i in 0..<n { table[slots[k] * n + i] = list[i] }
            }
            regional.append((name, list))
        }
        // Derived vector parameters (the ReducedSet models' coefficients) from each region's values.
        M.description.deriveParameters(&table, nodes: n)
        if let f = M.description.derived {
            let d = M.description, slots = d.parameterSlots
            for o in f.outputs {
                let k = d.parameterIndex(o.name)!
                for j in 0..<o.count {
                    guard let i = (0..<n).first(where: { !table[(slots[k] + j) * n + $0].isFinite }) else { continue }
                    let given = f.inputs.map { "\($0) = \(table[slots[d.parameterIndex($0)!] * n + i])" }.joined(separator: ", ")
                    throw PlexusError("\(M.name)'s derived \(o.name)[\(j)] is \(table[(slots[k] + j) * n + i]) for region \(i) (\(connectome.labels[i])) "
                                      + "with \(given): outside the values its derivation takes", keyPath: "model.params")
                }
            }
        }
        if let sf = e.surface {
            // Every parameter column per vertex: its region's value.
            var perVertex = [Double](repeating: 0, count: M.description.parameterSlotCount * nodes)
            for slot in 0..<M.description.parameterSlotCount {
                for (v, r) in sf.regionMapping.enumerated() { perVertex[slot * nodes + v] = table[slot * n + r] }
            }
            table = perVertex
        }
        parameterTable = table
        regionalParameters = regional
        modelParameters = Array(zip(M.parameters.map(\.name), mvalues))
        guard let C = MassCouplings.named(e.coupling.name) else {
            throw PlexusError("unknown coupling '\(e.coupling.name)'; known: \(MassCouplings.names.joined(separator: ", "))",
                              keyPath: "coupling.name")
        }
        let cvalues = try resolve(C.parameters, e.coupling.params, "coupling.params", C.name)
        couplingParameters = Array(zip(C.parameters.map(\.name), cvalues))
        if let (parameter, reason) = C.unsupported(parameters: cvalues) {
            throw PlexusError(reason, keyPath: "coupling.params.\(parameter)")
        }
        let cvars = M.couplingVariables
        if let reason = C.unsupported(couplingVariables: cvars.count) {
            throw PlexusError("\(C.name) \(reason); \(M.name) has \(cvars.count)", keyPath: "coupling.name")
        }
        if C.outputs(ncvar: cvars.count) < M.couplingTerms {
            throw PlexusError("\(M.name) reads \(M.couplingTerms) coupling terms; \(C.name) gives \(C.outputs(ncvar: cvars.count))", keyPath: "coupling.name")
        }
        let nsv = M.stateVariables.count
        if e.integrator.stochastic {
            guard e.integrator.nsig.count == 1 || e.integrator.nsig.count == nsv else {
                throw PlexusError("nsig has \(e.integrator.nsig.count) values; give one or one per state variable (\(nsv))", keyPath: "integrator.noise.nsig")
            }
            for v in e.integrator.nsig where !(v >= 0 && v.isFinite) {
                throw PlexusError.outOfRange("nsig", v, "must be >= 0 (TVB's D: dW = sqrt(2 D dt) z)", keyPath: "integrator.noise.nsig")
            }
        }
        for k in e.initialHistory.keys.sorted() where M.stateIndex(k) == nil {
            throw PlexusError("\(M.name) has no state variable '\(k)'; known: \(stateVariables.joined(separator: ", "))", keyPath: "initial_history.\(k)")
        }
        // The history holds at most 50 million region-steps; checked before Int32 conversion.
        try connectome.checkDelays(speed: e.speed, dt: dt, limit: 50_000_000 / max(1, n) - 1)
        let idelays = connectome.integerDelays(speed: e.speed, dt: dt)
        delays = idelays
        let maxDelay = Int(idelays.max() ?? 0)
        horizon = maxDelay + 1
        try ResourceUsage.checkFits(Double(horizon) * Double(n) * Double(M.couplingVariables.count) * 8,
                                    "its delay history (\(horizon) steps of \(M.couplingVariables.count) coupled variables in \(n) regions)", keyPath: "speed")
        let ranks = communicator.size
        if ranks > 1 {
            // What runs sequentially by definition, or couples nodes every step, stays in one process.
            if e.surface != nil {
                throw PlexusError("a surface simulation does not run across MPI ranks yet (\(ranks) ranks): run it as one process (its --threads split the vertices)", keyPath: "surface")
            }
            if e.precision == .float32 {
                throw PlexusError("precision float32 reproduces TVB's sequential float32 arithmetic, which runs on one thread: run it as one process", keyPath: "precision")
            }
            if e.integrator.stochastic && e.integrator.numpySeed != nil {
                throw PlexusError("numpy's noise stream is sequential: run it as one process, or leave out numpy_seed (Plexus's own noise is the same for any ranks)",
                                  keyPath: "integrator.noise.numpy_seed")
            }
            guard n >= ranks else {
                throw PlexusError("\(n) region\(n == 1 ? "" : "s") cannot be split over \(ranks) ranks: run on at most \(n) rank\(n == 1 ? "" : "s")", keyPath: "connectivity")
            }
        }
        var t = max(1, min(threads, n / ranks))
        if e.precision == .float32 && t > 1 {
            notes.append("precision float32 (TVB's arithmetic) runs on one thread")
            t = 1
        }
        if e.integrator.stochastic && e.integrator.numpySeed != nil && t > 1 {
            notes.append("numpy's noise stream is sequential: the run uses one thread")
            t = 1
        }
        guard e.integrator.numpySkip >= 0 else {
            throw PlexusError.outOfRange("numpy_skip", Double(e.integrator.numpySkip), "must be >= 0", keyPath: "integrator.noise.numpy_skip")
        }
        self.threads = t
        // Monitors
        var recorders: [MonitorRecorder] = []
        // A monitor records state variables, or the model's declared variables of interest that
        // are expressions (TVB's `x2 - x1`): those are observed into columns after the state.
        func normalized(_ s: String) -> String { s.filter { !$0.isWhitespace } }
        var observes = false
        let couplingOutputs = C.outputs(ncvar: M.couplingVariables.count)
        let couplingNames = couplingOutputs == M.couplingVariables.count
            ? M.couplingVariables.map { M.stateVariables[$0].name } : (0..<couplingOutputs).map { "c_\($0)" }
        for (k, m) in e.monitors.enumerated() {
            let names = m.variables ?? (m.kind.recordsCoupling ? couplingNames : M.variablesOfInterest)
            var voi: [Int] = []
            for name in names {
                if m.kind.recordsCoupling {
                    guard let j = couplingNames.firstIndex(of: name) else {
                        throw PlexusError(PlexusError.unknownMessage("coupling variable", name, known: couplingNames), keyPath: "monitors[\(k)].variables")
                    }
                    voi.append(j)
                } else if let v = M.stateIndex(name) {
                    voi.append(v)
                } else if let j = M.variablesOfInterest.firstIndex(where: { normalized($0) == normalized(name) }) {
                    voi.append(nsv + j)
                    observes = true
                } else {
                    let expressions = M.variablesOfInterest.filter { M.stateIndex($0) == nil }
                    throw PlexusError("\(M.name) has no state variable '\(name)'; known: \(stateVariables.joined(separator: ", "))"
                                      + (expressions.isEmpty ? "" : " and the expressions \(expressions.joined(separator: ", "))"),
                                      keyPath: "monitors[\(k)].variables")
                }
            }
            guard !voi.isEmpty else { throw PlexusError("a monitor needs at least one variable", keyPath: "monitors[\(k)].variables") }
            do {
                if e.surface != nil && m.kind.recordsCoupling {
                    throw PlexusError("a \(m.kind.rawValue) monitor on a surface is not supported yet", keyPath: "type")
                }
                let r = try MonitorRecorder(m, variables: names, voi: voi, regions: nodes, dt: dt, steps: steps)
                r.areas = try Self.areas(m, connectome: connectome, surface: e.surface)
                if let p = m.projection, p.gain.count != p.labels.count * nodes {
                    throw PlexusError("the sensor gain has \(p.gain.count) values for \(p.labels.count) sensors and \(nodes) \(e.surface == nil ? "regions" : "vertices")",
                                      keyPath: "projection")
                }
                if m.kind.isProjection && m.projection == nil {
                    throw PlexusError("a \(m.kind.rawValue) monitor needs its sensors (sensors, projection and region_mapping files)", keyPath: "sensors")
                }
                recorders.append(r)
            } catch let err as PlexusError {
                throw err.under("monitors[\(k)]")
            }
        }
        // Initial state (constant history)
        var x0 = [Double](repeating: 0, count: nsv * nodes)
        let rng = RandomStream(seed: e.seed, purpose: .initialState, id: 0)
        for (v, sv) in M.stateVariables.enumerated() {
            switch e.initialHistory[sv.name] {
            case .constant(let c)?:
                guard c.isFinite else { throw PlexusError("initial value is \(c)", keyPath: "initial_history.\(sv.name)") }
                for i in 0..<nodes { x0[v * nodes + i] = c }
            case .perRegion(let vals)?:
                guard vals.count == nodes else {
                    throw PlexusError("\(vals.count) initial values for \(nodes) \(e.surface == nil ? "regions" : "vertices")", keyPath: "initial_history.\(sv.name)")
                }
                for (i, c) in vals.enumerated() {
                    guard c.isFinite else { throw PlexusError("initial value of region \(i) is \(c)", keyPath: "initial_history.\(sv.name)[\(i)]") }
                    x0[v * nodes + i] = c
                }
            case nil:
                for i in 0..<nodes {
                    let b = rng.block(counter: UInt32(v), time: 0, index: 0, id: UInt64(i))
                    let u = Double(UInt64(b.0) << 21 | UInt64(b.1 >> 11)) * 0x1p-53
                    x0[v * nodes + i] = sv.rangeLo + (sv.rangeHi - sv.rangeLo) * u
                }
            }
        }
        let function: MassCouplingValues = (C, cvalues)
        // Part r*t + k is thread k of rank r (one process: the threads' parts).
        let parts = (0..<(ranks * t)).map { ThreadTeam.part($0, of: nodes, parts: ranks * t) }
        let kernel: RateKernel
        do { kernel = try M.kernel() } catch let err as PlexusError {
            throw err.under("model")
        }
        if e.surface != nil {
            for a in M.description.localArguments where M.stateIndex(a) == nil {
                throw PlexusError("\(M.name) applies local() to '\(a)', which is not a state variable: not supported on a surface yet", keyPath: "surface")
            }
        }
        let stimuli = e.stimuli.isEmpty ? nil : try MassStimuli(e.stimuli, model: M, labels: connectome.labels,
                                                                 regionMapping: e.surface?.regionMapping)
        let setup = MassCoreSetup(model: M, kernel: kernel, parameters: table, observed: observes ? M.variablesOfInterest.count : 0,
                                  stimuli: stimuli,
                                  experiment: e, connectome: connectome, delays: idelays, function: function, x0: x0,
                                  monitors: recorders, parts: parts, steps: Int(stepsD), lanes: nil,
                                  communicator: communicator, firstPart: communicator.rank * t, threads: t)
        self.setup = setup
        warnings = notes
    }

    /// TVB's SpatialAverage areas (GlobalAverage: one area) of every node: a given mask (0..<A,
    /// every area used), else `cortical` (area 1 = cortical, 0 = not; one area if all alike),
    /// `hemispheres` (area 1 = right; one area if all alike) or, on a surface (its default), the
    /// region mapping. On a surface a region's flag holds for each of its vertices.
    static func areas(_ m: MonitorDescription, connectome c: Connectome, surface: SurfaceDescription?) throws -> [Int] {
        let n = c.count, nodes = surface?.vertices ?? n
        switch m.kind {
        case .globalAverage: return [Int](repeating: 0, count: nodes)
        case .spatialAverage:
            if let mask = m.spatialMask {
                guard mask.count == nodes else { throw PlexusError("\(mask.count) mask values for \(nodes) \(surface == nil ? "regions" : "vertices")", keyPath: "spatial_mask") }
                let na = (mask.max() ?? -1) + 1
                guard mask.allSatisfy({ $0 >= 0 }), Set(mask).count == na else {
                    throw PlexusError("a mask numbers its areas 0, 1, ... without gaps", keyPath: "spatial_mask")
                }
                return mask
            }
            let flags: [Bool]
            switch m.defaultMask ?? (surface == nil ? "cortical" : "region_mapping") {
            case "cortical": flags = c.cortical.isEmpty ? [Bool](repeating: true, count: n) : c.cortical
            case "hemispheres":
                guard c.hemispheres.count == n else { throw PlexusError("the connectome has no hemispheres", keyPath: "default_mask") }
                flags = c.hemispheres
            case "region_mapping":
                guard let sf = surface else { throw PlexusError("region_mapping is a surface simulation's mask", keyPath: "default_mask") }
                return sf.regionMapping
            case let other:
                throw PlexusError(PlexusError.unknownMessage("mask", other, known: ["cortical", "hemispheres", "region_mapping"]), keyPath: "default_mask")
            }
            // TVB's _support_bool_mask: a mask that is all one value is one area.
            let areas = flags.allSatisfy({ $0 == flags[0] }) ? [Int](repeating: 0, count: n) : flags.map { $0 ? 1 : 0 }
            return surface.map { sf in sf.regionMapping.map { areas[$0] } } ?? areas
        default: return []
        }
    }

    /// The error of a run that produced a non-finite value.
    func unstable(_ bad: BadValue) -> PlexusError {
        let t = Double(bad.step) * experiment.integrator.dt
        return PlexusError("the integration became unstable: \(stateVariables[bad.variable]) of region \(bad.region) (\(connectome.labels[bad.region])) is \(bad.value) after step \(bad.step) (t = \(t) ms); reduce dt or the coupling",
                           keyPath: "integrator.dt")
    }

    /// Runs the simulation; `progress` gets the fraction done now and then (from one thread).
    public func run(progress: ((Double) -> Void)? = nil) throws -> MassResults {
        let t0 = ResourceUsage.now(), c0 = ResourceUsage.cpuSeconds()
        let team = threads > 1 ? ThreadTeam(threads: threads) : nil
        if let bad = core.run(team: team, progress: progress) { throw unstable(bad) }
        core.gatherMonitors()
        var monitors = core.results
        if let sf = experiment.surface {
            // A surface run's columns are its vertices.
            let labels = (0..<sf.vertices).map { "v\($0)" }
            for k in monitors.indices where monitors[k].labels == nil { monitors[k].labels = labels }
        }
        return MassResults(monitors: monitors, steps: steps, simulateSeconds: ResourceUsage.now() - t0,
                          simulateCPUSeconds: ResourceUsage.cpuSeconds() - c0)
    }
}

/// Everything the engine core is built from.
struct MassCoreSetup {
    let model: MassModelKind
    let kernel: RateKernel
    let parameters: [Double]
    /// Variables of interest observed into columns after the state (0: none recorded).
    let observed: Int
    let stimuli: MassStimuli?
    let experiment: MassExperiment
    let connectome: Connectome
    let delays: [Int32]
    let function: MassCouplingValues
    let x0: [Double]
    let monitors: [MonitorRecorder]
    /// The regions (or vertices) of every part: part r*threads + k is thread k of rank r.
    let parts: [Range<Int>]
    let steps: Int
    /// A batch: the lanes' own values (nil: one run).
    let lanes: MassLanes?
    /// The ranks, this rank's first part and its threads (one process: 0 and parts.count).
    var communicator: any Communicator = SingleProcess.shared
    var firstPart = 0
    var threads: Int? = nil
}

/// The values in which the lanes of a batch differ (besides the parameter table, the initial
/// state and the monitors, which the setup holds for all nodes).
struct MassLanes {
    let count: Int
    /// Each lane's coupling parameter values and noise (sqrt(2 nsig) per state variable).
    let couplingValues: [[Double]]
    let noiseScale: [[Double]]
}

/// A coupling type and its parameter values.
typealias MassCouplingValues = (type: any MassCoupling.Type, values: [Double])

struct BadValue {
    let step: Int
    let region: Int
    let variable: Int
    let value: Double
}

protocol MassCore: AnyObject {
    func run(team: ThreadTeam?, progress: ((Double) -> Void)?) -> BadValue?
    var results: [MonitorResult] { get }
    var blockedEdges: Int { get }
    var perStepEdges: Int { get }
    var historyBytes: Int { get }
    var barrierInterval: Int { get }
    /// A batch: each lane's first non-finite value.
    var laneFailures: [BadValue?] { get }
    /// Ranks: rank 0 collects every rank's monitor columns (after `run`).
    func gatherMonitors()
    /// Ranks: what this rank sent in the exchanges of coupled states, and how many there were.
    var exchangeBytesSent: Int { get }
    var exchangeEpochs: Int { get }
}

final class MassCoreImpl<I: MassIntegrator>: MassCore, @unchecked Sendable {
    let n: Int
    let nsv: Int
    let dt: Double
    let stochastic: Bool
    /// sqrt(2 nsig) per state variable (in a batch: the largest over the lanes, so 0 means no
    /// lane draws noise for the variable).
    let noiseScale: [Double]
    /// A batch's lanes (1: one run), and each node's noise scale, [variable][node] (node i*L + l
    /// has lane l's).
    let lanes: Int
    let nodeNoiseScale: Storage<Double>
    /// A batch: the first non-finite value of each lane (the batch runs on one thread and goes
    /// on while other lanes are finite).
    let laneBad: Storage<BadValue?>
    /// The state (`nsv` columns of n), followed by the observed variables of interest when a
    /// monitor records an expression of the state.
    let X: Storage<Double>
    let Xt, noise: Storage<Double>
    /// The scheme's derivative buffers (`I.stages`).
    let k: [Storage<Double>]
    /// The model kernel's parameter table, and one value per slot when every node has the same
    /// (the kernel's `_uniform` variant then reads it).
    let parameters: Storage<Double>
    let uniformParameters: Storage<Double>?
    let kernel: RateKernel
    let observed: Int
    /// A surface simulation: the region of each vertex, vertices per region, the region means of
    /// the state (what the delayed coupling sees), the regions' coupling (given back to every
    /// vertex), and the local coupling's matrix and rows.
    let surface: SurfaceDescription?
    let regions: Int
    let regionOf: Storage<Int32>
    let regionSize: [Double]
    /// Each region's vertices in ascending order (region q: `regionVertices[regionStart[q] ..<
    /// regionStart[q + 1]]`), and the regions of each thread: it averages them and enters them
    /// into the delayed coupling's history, and evaluates their coupling.
    let regionStart: Storage<Int>
    let regionVertices: Storage<Int32>
    let regionParts: [Range<Int>]
    /// The regions of each part by vertex count (positions `regionParts[p]`), for `regionMeans`.
    let regionOrder: Storage<Int32>
    /// Whether each thread's vertices are exactly the vertices of its regions (the TVB cortex on
    /// two threads: one hemisphere each): a thread then needs no other thread's region coupling
    /// and averages only its own vertices, so the steps need no barrier for them.
    let regionsAligned: Bool
    /// Whether the local connectivity links vertices of different threads (then every local
    /// product and the step's end wait for the other threads).
    let localCrossesThreads: Bool
    let xr, cr: Storage<Double>
    let localRows: Storage<Double>
    let surfaceTeam = TeamReference()
    /// Region stimuli and the buffer of one step's stimulus (zeros where none drives a variable).
    let stimuli: MassStimuli?
    let stimulus: Storage<Double>
    /// What the scheme's step works on (pointers into the storages above).
    let stepState: MassStepState
    let c: Storage<Double>
    /// The delayed coupling, specialised for the run's coupling type.
    let delayed: DelayedCouplingRun
    let monitors: [MonitorRecorder]
    let parts: [Range<Int>]
    let steps: Int
    let seed: UInt64
    let noiseKey: RandomStream
    var numpy: NumpyRandomState?
    let sqrtDt: Double
    let noiseKind: IntegratorDescription.NoiseKind
    /// Coloured noise (ntau > 0): eta per variable and region, and TVB's constants E = exp(-dt/ntau),
    /// sqrt(1 - E^2), dt sqrt(1/ntau).
    let coloured: UnsafeMutablePointer<Double>?
    let colouredStorage: Storage<Double>?
    let colouredE, colouredSqrt1E2, colouredDtSqrtLambda: Double
    /// Per thread: the first non-finite value it found (each thread writes only its own entry).
    let badFound: Storage<BadValue?>
    /// Ranks: this rank's first part (its threads run parts firstPart ..< firstPart + threads),
    /// the regions of every rank, and the exchange of coupled states (`exchange(through:)`).
    let communicator: any Communicator
    let firstPart: Int
    let threadsPerRank: Int
    let rankRegions: [Range<Int>]
    let coupledVariables: [Int]
    /// This rank's coupled states of the steps since the last exchange, after a header word
    /// (the earliest step at which a thread of this rank found a non-finite value).
    let exchangeSend: Storage<Double>
    let exchangeReceive: Storage<Double>
    /// Other ranks' coupled states of one step, at their place in a full state (what the
    /// history's `write` reads).
    let foreignState: Storage<Double>
    /// The last step whose states every rank has; whether a rank reported a non-finite value.
    var exchangedThrough = 0
    var stopRequested = false
    private(set) var exchangeBytesSent = 0
    private(set) var exchangeEpochs = 0

    init(_ setup: MassCoreSetup) {
        let e = setup.experiment, M = setup.model
        surface = e.surface
        regions = setup.connectome.count
        lanes = setup.lanes?.count ?? 1
        n = e.surface?.vertices ?? setup.connectome.count * lanes
        nsv = M.stateVariables.count
        dt = e.integrator.dt
        stochastic = e.integrator.stochastic
        if let batch = setup.lanes {
            noiseScale = (0..<nsv).map { v in batch.noiseScale.map { $0[v] }.max() ?? 0 }
            let nodes = setup.connectome.count * batch.count
            nodeNoiseScale = Storage((0..<nsv).flatMap { v in (0..<nodes).map { batch.noiseScale[$0 % batch.count][v] } })
        } else {
            noiseScale = (0..<nsv).map { v in (2.0 * (e.integrator.nsig.count == 1 ? e.integrator.nsig[0] : e.integrator.nsig[v])).squareRoot() }
            nodeNoiseScale = Storage(repeating: 0, count: 1)
        }
        laneBad = Storage(repeating: nil, count: lanes)
        observed = setup.observed
        X = Storage(setup.x0 + [Double](repeating: 0, count: observed * n))
        Xt = Storage(repeating: 0, count: nsv * n)
        let size = nsv * n
        k = (0..<I.stages).map { _ in Storage(repeating: 0, count: size) }
        noise = Storage(repeating: 0, count: stochastic ? nsv * n : 1)
        parameters = Storage(setup.parameters.isEmpty ? [0] : setup.parameters)
        let slotCount = M.description.parameterSlotCount, nodes = n, table = setup.parameters
        let uniform = (0..<slotCount).allSatisfy { slot in
            let col = table[(slot * nodes)..<((slot + 1) * nodes)]
            return col.allSatisfy { $0.bitPattern == col.first!.bitPattern }
        }
        uniformParameters = uniform ? Storage(slotCount == 0 ? [0] : (0..<slotCount).map { table[$0 * nodes] }) : nil
        kernel = setup.kernel
        let ncv = M.couplingVariables.count
        let function = setup.function
        c = Storage(repeating: 0, count: max(1, function.type.outputs(ncvar: ncv)) * n)
        stimuli = setup.stimuli
        stimulus = Storage(repeating: 0, count: stimuli == nil ? 1 : nsv * n)
        let outputs = max(1, function.type.outputs(ncvar: ncv))
        regionOf = Storage((e.surface?.regionMapping ?? [0]).map { Int32($0) })
        var starts = [0]
        var members = [[Int32]](repeating: [], count: regions)
        for (v, q) in (e.surface?.regionMapping ?? []).enumerated() { members[q].append(Int32(v)) }
        for list in members { starts.append(starts.last! + list.count) }
        regionSize = members.map { Double($0.count) }
        regionStart = Storage(starts)
        regionVertices = Storage(e.surface == nil ? [0] : members.flatMap { $0 })
        if let surface = e.surface {
            let owned = MassCoreImpl.ownedRegions(members, vertexParts: setup.parts)
            regionsAligned = owned != nil
            regionParts = owned ?? MassCoreImpl.balancedParts(weights: members.map(\.count), parts: setup.parts.count)
            localCrossesThreads = MassCoreImpl.crosses(rowStarts: surface.rowStarts, columns: surface.columns, parts: setup.parts)
        } else {
            (regionParts, regionsAligned, localCrossesThreads) = ([], false, false)
        }
        let bySize = regionParts.flatMap { part in part.sorted { a, b in (members[a].count, a) < (members[b].count, b) } }
        regionOrder = Storage(bySize.isEmpty ? [0] : bySize.map { Int32($0) })
        xr = Storage(repeating: 0, count: e.surface == nil ? 1 : nsv * regions)
        cr = Storage(repeating: 0, count: e.surface == nil ? 1 : outputs * regions)
        let localVariables = e.surface == nil ? [] : M.description.localArguments.compactMap { M.stateIndex($0) }
        localRows = Storage(repeating: 0, count: max(1, localVariables.count * n))
        var local: SurfaceLocalCoupling?
        if let surface = e.surface {
            local = SurfaceLocalCoupling(matrix: LocalMatrix(rowStarts: surface.rowStarts, columns: surface.columns, values: surface.values,
                                                                           parts: setup.parts),
                                         variables: localVariables, rows: localRows.base,
                                         kernel: uniformParameters == nil ? setup.kernel.surfaceDfun : setup.kernel.uniformSurfaceDfun,
                                         heunPredict: uniformParameters == nil ? setup.kernel.heunPredict : setup.kernel.uniformHeunPredict,
                                         heunCorrect: uniformParameters == nil ? setup.kernel.heunCorrect : setup.kernel.uniformHeunCorrect,
                                         team: surfaceTeam)
        }
        stepState = MassStepState(n: n, nsv: nsv, h: dt, stochastic: stochastic, x: X.base, xt: Xt.base, k: k.map(\.base),
                                  c: UnsafePointer(c.base), z: noise.base, s: stimuli == nil ? nil : UnsafePointer(stimulus.base),
                                  model: M, kernel: uniformParameters == nil ? setup.kernel.dfun : setup.kernel.uniformDfun,
                                  parameters: UnsafePointer((uniformParameters ?? parameters).base), local: local)
        monitors = setup.monitors
        parts = setup.parts
        steps = setup.steps
        seed = e.seed
        noiseKey = RandomStream(seed: e.seed, purpose: .noiseInput, id: 0)
        if let s = e.integrator.numpySeed, e.integrator.stochastic {
            var np = NumpyRandomState(seed: s)
            for _ in 0..<e.integrator.numpySkip { _ = np.nextDouble() }
            numpy = np
        }
        sqrtDt = dt.squareRoot()
        noiseKind = e.integrator.noise
        let ntau = e.integrator.ntau
        if stochastic && ntau > 0 {
            let E = _exp(-dt / ntau)
            colouredE = E
            colouredSqrt1E2 = (1.0 - E * E).squareRoot()
            colouredDtSqrtLambda = dt * (1.0 / ntau).squareRoot()
            let eta = Storage<Double>(repeating: 0, count: nsv * n)
            colouredStorage = eta
            coloured = eta.base
        } else {
            (colouredE, colouredSqrt1E2, colouredDtSqrtLambda) = (0, 0, 0)
            colouredStorage = nil
            coloured = nil
        }
        communicator = setup.communicator
        firstPart = setup.firstPart
        threadsPerRank = setup.threads ?? setup.parts.count
        let T = threadsPerRank, P = setup.parts
        rankRegions = (0..<communicator.size).map { q in P[q * T].lowerBound..<P[q * T + T - 1].upperBound }
        coupledVariables = M.couplingVariables
        badFound = Storage(repeating: nil, count: T)
        let distributed = communicator.size > 1
        delayed = function.type.makeDelayedCoupling(
            DelayedCouplingSetup(weights: setup.connectome.weights, delays: setup.delays, n: e.surface == nil ? n : regions, values: function.values,
                                 cvars: M.couplingVariables, parts: e.surface == nil ? parts : regionParts, precision: e.precision,
                                 lanes: setup.lanes?.couplingValues))
        let perStep = coupledVariables.count
        let largest = rankRegions.map(\.count).max() ?? 0
        exchangeSend = Storage(repeating: 0, count: distributed ? 1 + delayed.barrierInterval * perStep * rankRegions[communicator.rank].count : 1)
        exchangeReceive = Storage(repeating: 0, count: distributed ? communicator.size * (1 + delayed.barrierInterval * perStep * largest) : 1)
        foreignState = Storage(repeating: 0, count: distributed ? nsv * n : 1)
        stepState.clamp(X.base, 0..<n)
        if e.surface != nil {
            for q in regionParts.indices { regionMeans(part: q) }
            delayed.fill(xr.base)
        } else {
            delayed.fill(X.base)
        }
        // TVB's configure_coloured: eta starts as one normal(size=(nsv, n, 1)) draw.
        if let eta = coloured {
            if numpy != nil {
                for k in 0..<(nsv * n) { eta[k] = numpy!.nextGauss() }
            } else {
                gaussians(step: 0, into: eta, range: 0..<n, index: UInt32.max)
            }
        }
    }

    var results: [MonitorResult] { monitors.map(\.result) }
    var blockedEdges: Int { delayed.blockedEdges }
    var perStepEdges: Int { delayed.perStepEdges }
    var historyBytes: Int { delayed.historyBytes }
    var barrierInterval: Int { delayed.barrierInterval }
    var laneFailures: [BadValue?] { laneBad.array }

    func run(team: ThreadTeam?, progress: ((Double) -> Void)?) -> BadValue? {
        surfaceTeam.team = localCrossesThreads ? team : nil
        defer { surfaceTeam.team = nil }
        if let team {
            team.run { member in self.loop(member: member, team: team, progress: member == 0 ? progress : nil) }
        } else {
            loop(member: 0, team: nil, progress: progress)
        }
        var first: BadValue?
        for b in badFound.array.compactMap({ $0 }) where first == nil || (b.step, b.region) < (first!.step, first!.region) { first = b }
        guard communicator.size > 1 else { return first }
        // Every rank stopped after the same exchange: the earliest value over all ranks.
        let none: [Int64] = [Int64.max, 0, 0, 0]
        let mine = first.map { b -> [Int64] in [Int64(b.step), Int64(b.region), Int64(b.variable), Int64(bitPattern: b.value.bitPattern)] } ?? none
        let earliest = communicator.allgather(mine).min { ($0[0], $0[1]) < ($1[0], $1[1]) }!
        guard earliest[0] != Int64.max else { return nil }
        return BadValue(step: Int(earliest[0]), region: Int(earliest[1]), variable: Int(earliest[2]), value: Double(bitPattern: UInt64(bitPattern: earliest[3])))
    }

    /// Rank 0 collects every rank's columns of every monitor (the others keep their own).
    func gatherMonitors() {
        guard communicator.size > 1 else { return }
        for m in monitors {
            let rows = m.samples * m.voi.count
            let mine = rankRegions[communicator.rank]
            var send = [Double](repeating: 0, count: rows * mine.count)
            for row in 0..<rows { for (k, i) in mine.enumerated() { send[row * mine.count + k] = m.data[row * n + i] } }
            let all = communicator.gather(send, root: 0)
            guard communicator.rank == 0 else { continue }
            for (q, part) in all.enumerated() where q != 0 {
                let cols = rankRegions[q]
                for row in 0..<rows { for (k, i) in cols.enumerated() { m.data[row * n + i] = part[row * cols.count + k] } }
            }
        }
    }

    /// This thread's coupled states after step `step` into the rank's message.
    @inline(__always)
    func stage(step: Int, range r: Range<Int>) {
        let own = rankRegions[communicator.rank]
        let ncv = coupledVariables.count
        let row = exchangeSend.base + 1 + ((step - 1) % delayed.barrierInterval) * ncv * own.count - own.lowerBound
        let x = X.base
        for (k, cv) in coupledVariables.enumerated() {
            let dst = row + k * own.count, src = x + cv * n
            for i in r { dst[i] = src[i] }
        }
    }

    /// Where the threads meet after step `step` (one thread of each rank calls it): every rank
    /// gets the coupled states the others computed since the last exchange and enters them into
    /// its history in step order, as their own threads would have. A non-finite value on any rank
    /// stops every rank here.
    func exchange(through step: Int) {
        let steps = step - exchangedThrough
        let ncv = coupledVariables.count
        let me = communicator.rank
        var bad = Int64.max
        for b in badFound.buffer where b != nil && b!.step <= step { bad = min(bad, Int64(b!.step)) }
        exchangeSend[0] = Double(bitPattern: UInt64(bitPattern: bad))
        let counts = rankRegions.map { (1 + steps * ncv * $0.count) * 8 }
        communicator.gather(UnsafeRawBufferPointer(start: exchangeSend.base, count: counts[me]), counts: counts,
                            into: UnsafeMutableRawBufferPointer(start: exchangeReceive.base, count: counts.reduce(0, +)), root: nil)
        exchangeBytesSent += counts[me]
        exchangeEpochs += 1
        var starts: [Int] = [], at = 0
        for c in counts { starts.append(at); at += c / 8 }
        let received = exchangeReceive.base, foreign = foreignState.base
        for q in rankRegions.indices where Int64(bitPattern: received[starts[q]].bitPattern) != Int64.max { stopRequested = true }
        for k in 0..<steps {
            for q in rankRegions.indices where q != me {
                let cols = rankRegions[q]
                let src = received + starts[q] + 1 + k * ncv * cols.count
                for (j, cv) in coupledVariables.enumerated() {
                    (foreign + cv * n + cols.lowerBound).update(from: src + j * cols.count, count: cols.count)
                }
                for part in (q * threadsPerRank)..<((q + 1) * threadsPerRank) {
                    delayed.write(part, exchangedThrough + 1 + k, UnsafePointer(foreign))
                }
            }
        }
        exchangedThrough = step
    }

    /// The time loop of one thread (member) for its regions `parts[member]`.
    func loop(member: Int, team: ThreadTeam?, progress: ((Double) -> Void)?) {
        let p = firstPart + member   // this thread's part (its index among all ranks' threads)
        let r = parts[p]
        let distributed = communicator.size > 1
        let x = X.base
        let delayed = self.delayed
        let interval = delayed.barrierInterval
        let every = max(1, steps / 200)
        var step = 0
        let couplingMonitors = monitors.filter { $0.description.kind.recordsCoupling }
        while step < steps {
            if surface != nil {
                // The coupling of this member's regions from their mean history; then (all
                // regions in) given to each of this member's vertices.
                delayed.evaluate(p, step, xr.base, cr.base)
                if !regionsAligned { team?.barrier() }
                let rmap = regionOf.base
                for k in 0..<delayed.outputs {
                    let (to, from) = (c.base + k &* n, UnsafePointer(cr.base + k &* regions))
                    for v in r { to[v] = from[Int(rmap[v])] }
                }
            } else {
                delayed.evaluate(p, step, x, c.base)
            }
            // TVB's AfferentCoupling at step k is the coupling computed after it (for step k+1).
            if step > 0 { for m in couplingMonitors { m.recordCoupling(step: step, c.base, range: r) } }
            integrate(step: step, range: r)
            step += 1
            if lanes > 1 {
                // A batch stops only when every lane has failed: lanes do not mix.
                if checkLanes(step: step) { badFound[member] = laneBad[0] }
            } else if badFound[member] == nil, let bad = check(step: step, range: r) { badFound[member] = bad }
            if surface != nil {
                // Every vertex's new state in, for the means of regions across threads and for the
                // next step's local products across threads.
                if !regionsAligned || localCrossesThreads { team?.barrier() }
                // This member's regions into the history. Another member reads them only after
                // the barrier every `interval` steps (the delayed coupling's rule for parts:
                // `interval` is at most the shortest delay between regions of different parts).
                regionMeans(part: p)
                delayed.write(p, step, xr.base)
            } else {
                delayed.write(p, step, x)
                if distributed { stage(step: step, range: r) }
            }
            if observed > 0 {
                kernel.observe(n, r.lowerBound, r.upperBound, x, parameters.base, x + nsv * n)
            }
            for m in monitors { m.record(step: step, x, range: r) }
            if team != nil || distributed {
                if step % interval == 0 || step == steps {
                    team?.barrier()
                    if distributed {
                        // The ranks meet where the threads do; the others wait until the history
                        // holds every rank's states.
                        if member == 0 { exchange(through: step) }
                        team?.barrier()
                        if stopRequested { break }
                    } else if badFound.buffer.contains(where: { $0 != nil && $0!.step <= step }) {
                        // Only reports from steps up to this barrier count, so every member decides alike.
                        break
                    }
                }
            } else if badFound[0] != nil {
                break
            }
            if let progress, step % every == 0 { progress(Double(step) / Double(steps)) }
        }
        // The coupling after the last step (all members wrote their history before the last barrier).
        if step == steps && !couplingMonitors.isEmpty {
            delayed.evaluate(p, step, x, c.base)
            for m in couplingMonitors { m.recordCoupling(step: step, c.base, range: r) }
        }
    }

    /// TVB's vertex -> region step of a surface simulation for the regions of `regionParts[part]`:
    /// the mean of the coupling variables over each region's vertices (summed in vertex order, as
    /// numpy's add.at, then divided by the count), into `xr`.
    func regionMeans(part: Int) {
        let x = X.base, m = xr.base, starts = regionStart.base, vertices = regionVertices.base, order = regionOrder.base
        for cv in stepState.modelCouplingVariables {
            let col = x + cv &* n, means = m + cv &* regions
            let r = regionParts[part]
            // Four regions of similar size side by side, so four sums (each still in vertex order)
            // are in flight.
            var j = r.lowerBound
            while j &+ 4 <= r.upperBound {
                let (q0, q1, q2, q3) = (Int(order[j]), Int(order[j &+ 1]), Int(order[j &+ 2]), Int(order[j &+ 3]))
                var k0 = starts[q0], k1 = starts[q1], k2 = starts[q2], k3 = starts[q3]
                let (e0, e1, e2, e3) = (starts[q0 &+ 1], starts[q1 &+ 1], starts[q2 &+ 1], starts[q3 &+ 1])
                let common = Swift.min(e0 &- k0, e1 &- k1, e2 &- k2, e3 &- k3)
                var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
                for _ in 0..<common {
                    s0 += col[Int(vertices[k0])]
                    s1 += col[Int(vertices[k1])]
                    s2 += col[Int(vertices[k2])]
                    s3 += col[Int(vertices[k3])]
                    k0 &+= 1; k1 &+= 1; k2 &+= 1; k3 &+= 1
                }
                while k0 < e0 { s0 += col[Int(vertices[k0])]; k0 &+= 1 }
                while k1 < e1 { s1 += col[Int(vertices[k1])]; k1 &+= 1 }
                while k2 < e2 { s2 += col[Int(vertices[k2])]; k2 &+= 1 }
                while k3 < e3 { s3 += col[Int(vertices[k3])]; k3 &+= 1 }
                means[q0] = s0 / regionSize[q0]
                means[q1] = s1 / regionSize[q1]
                means[q2] = s2 / regionSize[q2]
                means[q3] = s3 / regionSize[q3]
                j &+= 4
            }
            while j < r.upperBound {
                let q = Int(order[j])
                var sum = 0.0
                for k in starts[q]..<starts[q &+ 1] { sum += col[Int(vertices[k])] }
                means[q] = sum / regionSize[q]
                j &+= 1
            }
        }
    }

    /// The regions of each vertex part when every region's vertices (`members`) lie in one part
    /// and each part's regions are consecutive (a region without vertices goes with the one
    /// before it); nil otherwise.
    static func ownedRegions(_ members: [[Int32]], vertexParts: [Range<Int>]) -> [Range<Int>]? {
        var owner: [Int] = []
        for list in members {
            guard let first = list.first else {
                owner.append(owner.last ?? 0)
                continue
            }
            guard let p = vertexParts.firstIndex(where: { $0.contains(Int(first)) }),
                  list.allSatisfy({ vertexParts[p].contains(Int($0)) }) else { return nil }
            owner.append(p)
        }
        guard owner == owner.sorted() else { return nil }
        return vertexParts.indices.map { p in
            let lo = owner.firstIndex { $0 >= p } ?? owner.count
            return lo..<(owner.firstIndex { $0 > p } ?? owner.count)
        }
    }

    /// Whether a row of the CSR matrix in one part has a column in another.
    static func crosses(rowStarts: [Int], columns: [Int32], parts: [Range<Int>]) -> Bool {
        for r in parts {
            for i in r where i + 1 < rowStarts.count {
                for k in rowStarts[i]..<rowStarts[i + 1] where !r.contains(Int(columns[k])) { return true }
            }
        }
        return false
    }

    /// 0 ..< weights.count cut into `parts` contiguous ranges of about equal total weight.
    static func balancedParts(weights: [Int], parts: Int) -> [Range<Int>] {
        let total = weights.reduce(0, +)
        var ranges: [Range<Int>] = [], lo = 0, sum = 0
        for p in 0..<parts {
            var hi = lo
            let target = total * (p + 1) / parts
            while hi < weights.count && (p == parts - 1 || sum + weights[hi] <= target || hi == lo) {
                sum += weights[hi]
                hi += 1
            }
            ranges.append(lo..<hi)
            lo = hi
        }
        return ranges
    }

    func check(step: Int, range r: Range<Int>) -> BadValue? {
        let x = X.base
        if allFinite(x, r) { return nil }
        for i in r {
            for v in 0..<nsv where !x[v * n + i].isFinite {
                return BadValue(step: step, region: i, variable: v, value: x[v * n + i])
            }
        }
        return nil
    }

    /// Whether every variable of nodes `r` in state `x` is finite: exponent bits all ones is NaN
    /// or infinity, so (exponent + 1) has bit 11 set exactly then; eight values per vector
    /// operation (the loop over a range did not vectorise: it ran every step, 4 % of a run).
    @inline(__always)
    func allFinite(_ x: UnsafePointer<Double>, _ r: Range<Int>) -> Bool {
        typealias V = SIMD8<UInt64>
        var flags = V(), flag: UInt64 = 0
        for v in 0..<nsv {
            let col = UnsafeRawPointer(x + v &* n).assumingMemoryBound(to: UInt64.self)
            var i = r.lowerBound
            while i &+ 8 <= r.upperBound {
                flags |= ((UnsafeRawPointer(col + i).loadUnaligned(as: V.self) &>> 52) & 0x7FF) &+ 1
                i &+= 8
            }
            while i < r.upperBound { flag |= ((col[i] >> 52) & 0x7FF) &+ 1; i &+= 1 }
        }
        let a = flags.lowHalf | flags.highHalf, b = a.lowHalf | a.highHalf
        return (flag | b[0] | b[1]) & 0x800 == 0
    }

    /// A batch: records each lane's first non-finite value after step `step`; true when every
    /// lane has one.
    func checkLanes(step: Int) -> Bool {
        let x = X.base
        if allFinite(x, 0..<n) { return false }
        for i in 0..<n where laneBad[i % lanes] == nil {
            for v in 0..<nsv where !x[v * n + i].isFinite {
                laneBad[i % lanes] = BadValue(step: step, region: i / lanes, variable: v, value: x[v * n + i])
                break
            }
        }
        return laneBad.buffer.allSatisfy { $0 != nil }
    }

    /// The noise increments of step `step` for regions r, as TVB's `noise.generate(shape) *
    /// noise.gfun(x)`: w = sqrt(dt) z (white) or the coloured recursion's dt sqrt(1/ntau) eta,
    /// times g = sqrt(2 nsig) (additive) or sqrt(2 nsig) (a x + b) (multiplicative). z comes from
    /// a counter-based stream keyed by (seed, step, region), variables in order, so independent
    /// of threads and order (or from numpy's stream, on one thread).
    @inline(__always)
    func fillNoise(step: Int, range r: Range<Int>) {
        let z = noise.base
        if numpy != nil {
            // numpy's normal(size=(nsv, n, 1)): variable-major, then regions (one thread).
            for v in 0..<nsv { for i in 0..<n { z[v * n + i] = numpy!.nextGauss() } }
            applyNoise(0..<n)
            return
        }
        gaussians(step: step, into: z, range: r)
        applyNoise(r)
    }

    /// Standard normals of `step` for regions r into `z[v*n + i]`: draw k = v*n + i is word
    /// k mod 4 of Philox block k / 4 keyed by (seed, step); threads whose ranges share a block
    /// both compute it. `index` = UInt32.max keys the coloured noise's initial values (no step has
    /// that high word).
    ///
    /// Two passes per variable: the blocks' words into a buffer on the stack, then the ziggurat
    /// over them eight at a time; a batch's draws then go to each of its lanes. (One pass,
    /// picking each draw's word out of its block and testing it on its own, with a loop over
    /// the lanes per draw, measured 1.7x slower on a 4-lane batch.)
    func gaussians(step: Int, into z: UnsafeMutablePointer<Double>, range r: Range<Int>, index: UInt32? = nil) {
        let lo = UInt32(truncatingIfNeeded: step), hi = index ?? UInt32(truncatingIfNeeded: step >> 32)
        let rng = noiseKey
        let seed = self.seed
        // A batch's lanes share the seed: region i's draw is the one run's, given to every lane.
        let L = lanes, N = n / L
        let regions = (r.lowerBound / L)..<(r.upperBound / L)
        guard !regions.isEmpty else { return }
        let blocks = (regions.count + 3) / 4 + 1   // a range not aligned to 4 straddles one more
        Ziggurat.x.withUnsafeBufferPointer { xsb in
            Ziggurat.ratio.withUnsafeBufferPointer { rsb in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 4 * blocks) { wordBuffer in
                    withUnsafeTemporaryAllocation(of: Double.self, capacity: L == 1 ? 0 : regions.count) { drawBuffer in
                        let xs = xsb.baseAddress!, rs = rsb.baseAddress!, words = wordBuffer.baseAddress!
                        for v in 0..<nsv {
                            // A variable without noise (nsig 0) needs no draws: each draw is keyed
                            // by its own position, so leaving these out changes no other
                            // variable's numbers. Its column of z (and of the coloured noise's
                            // eta) stays the zeros it was allocated with: nothing else writes it.
                            if noiseScale[v] == 0 { continue }
                            let (k0, k1) = (v * N + regions.lowerBound, v * N + regions.upperBound)
                            let b0 = k0 >> 2
                            for b in b0...((k1 - 1) >> 2) {
                                let block = rng.block(counter: UInt32(truncatingIfNeeded: b), time: lo, index: hi, id: 0)
                                let w = words + 4 * (b - b0)
                                w[0] = block.0; w[1] = block.1; w[2] = block.2; w[3] = block.3
                            }
                            let out = L == 1 ? z + k0 : drawBuffer.baseAddress!
                            Ziggurat.normals(words + (k0 - 4 * b0), count: k1 - k0, into: out, xs, rs) {
                                RandomStream(seed: seed, purpose: .noiseInput, index: hi, id: UInt64(k0 + $0) + 1, time: lo)
                            }
                            if L > 1 {
                                // Each draw to its region's lanes.
                                let column = z + v * n + regions.lowerBound * L
                                withLaneCount(L) { width in
                                    for j in 0..<(k1 - k0) {
                                        let (g, o) = (out[j], column + j &* width)
                                        for l in 0..<width { o[l] = g }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Standard normals in `noise` -> this step's increments (white or coloured, times g).
    @inline(__always)
    func applyNoise(_ r: Range<Int>) {
        let z = noise.base, x = X.base
        for v in 0..<nsv where noiseScale[v] != 0 || numpy != nil {
            let scale = noiseScale[v]
            let o = v * n
            // w: TVB's generate() (white sqrt(dt) z, or the coloured recursion's dt sqrt(1/ntau) eta).
            // Column pointers and wrapping index arithmetic, so the loops vectorise.
            let zc = z + o
            if let eta = coloured {
                let ec = eta + o
                for i in r {
                    ec[i] = ec[i] * colouredE + colouredSqrt1E2 * zc[i]
                    zc[i] = colouredDtSqrtLambda * ec[i]
                }
            } else {
                for i in r { zc[i] = sqrtDt * zc[i] }
            }
            // times TVB's gfun.
            if lanes > 1 {
                // Each lane's own scale; a lane without noise on v gets 0, as a run of its own.
                let (sc, xc) = (UnsafePointer(nodeNoiseScale.base + o), x + o)
                switch noiseKind {
                case .additive:
                    // Eight at a time with a select: the loop with a branch per node did not
                    // vectorise (8 % of a 4-lane Hopf step).
                    typealias V = SIMD8<Double>
                    var i = r.lowerBound
                    while i &+ 8 <= r.upperBound {
                        let s = UnsafeRawPointer(sc + i).loadUnaligned(as: V.self)
                        let w = UnsafeRawPointer(zc + i).loadUnaligned(as: V.self) * s
                        UnsafeMutableRawPointer(zc + i).storeBytes(of: w.replacing(with: 0, where: s .== 0), as: V.self)
                        i &+= 8
                    }
                    while i < r.upperBound { zc[i] = sc[i] == 0 ? 0 : zc[i] * sc[i]; i &+= 1 }
                case .multiplicative(let a, let b): for i in r { zc[i] = sc[i] == 0 ? 0 : zc[i] * (sc[i] * (a * xc[i] + b)) }
                }
                continue
            }
            let xc = x + o
            switch noiseKind {
            case .additive: for i in r { zc[i] = zc[i] * scale }
            case .multiplicative(let a, let b): for i in r { zc[i] = zc[i] * (scale * (a * xc[i] + b)) }
            }
        }
    }


    /// One step of the run's scheme (Integrators/) for regions r (coupling already in c).
    @inline(__always)
    func integrate(step: Int, range r: Range<Int>) {
        if stochastic { fillNoise(step: step, range: r) }
        // TVB's stimulus of a step is its pattern at the step's start, t = step*dt.
        stimuli?.fill(stimulus.base, n: n, t: Double(step) * dt, range: r)
        I.step(stepState, range: r)
    }
}
