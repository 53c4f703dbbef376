import PlexusCore

/// One connection statement of the description, checked and resolved to engine terms.
struct ConnectionStatement {
    enum Route {
        case synapse                              // through the CSR tables (neurons, spike_generator)
        /// A Poisson generator's trains, or a stateful process's (`process`: gamma_sup, ppd_sup).
        case poisson(lambda: Double, start: Int64, stop: Int64, process: SpikeProcess?)
        case current                              // current generators (dc, noise, ...)
        case precisePoisson(PrecisePoissonTrain)  // poisson_generator_ps: off-grid trains per target
        case plastic(Int)                         // plastic synapse of rule `plasticRules[i]`
    }
    let index: Int
    let source: PopulationInfo
    let target: PopulationInfo
    let targetFirstNeuron: Int
    let route: Route
    /// The statement's rule, prepared (`ConnectionRuleKind.prepared`), and what it connects.
    let rule: any ConnectionRuleKind
    let shape: ConnectionShape
    /// The rule draws per source (its key nodes are all sources), not per target.
    let keyedBySource: Bool
    let autapses: Bool
    let multapses: Bool
    let samePopulation: Bool
    let weight: Sampler
    let delay: Sampler
    let unitWeight: Bool          // receiver counts spikes (parrot): weight fixed to 1
    /// The connections as NEST drew them (`NestDraws`), replayed instead of the rule.
    var drawn: DrawnConnections? = nil
    /// The receptor port (1 ... K) of a multisynapse target; 0 for the ordinary channel pair.
    var port: Int = 0
    var path: String { "connections[\(index)]" }

    /// One batch of the rule: the one dynamic call per batch, kept out of the inlined passes.
    @inline(never)
    func draw(keys: Range<Int>, targets: Range<Int>, into sink: inout ConnectionDrawSink) {
        if let drawn {
            drawn.replay(shape, keys: keys, targets: targets, into: &sink)
        } else {
            rule.drawConnections(shape, keys: keys, targets: targets, into: &sink)
        }
    }
}

extension PointNetwork {
    /// `drawn`: statements whose connections NEST's streams drew (`NestDraws`), by index.
    func resolveConnections(devices: [String: DevicePopulation], drawn: [Int: DrawnConnections] = [:]) throws -> [ConnectionStatement] {
        var statements: [ConnectionStatement] = []
        var expectedSynapses = 0.0
        // One current generator per node of a current-emitting device.
        var generatorOfNode: [Int: Int] = [:]
        for info in populations {
            guard case .current(let waveform)? = devices[info.name]?.output else { continue }
            for k in 0..<info.size {
                generatorOfNode[info.firstNode + k] = currentGenerators.count
                currentGenerators.append(waveform, node: info.firstNode + k)
            }
        }
        self.generatorOfNode = generatorOfNode
        var transmitterOfNode: [Int: Int] = [:]
        for info in populations {
            guard case .volumeTransmitter(let deliverInterval)? = devices[info.name]?.output else { continue }
            for k in 0..<info.size {
                transmitterOfNode[info.firstNode + k] = volumeTransmitters.count
                // The period is deliver_interval × the run's min delay (VolumeTransmitterHook).
                volumeTransmitters.append(VolumeTransmitterNode(node: info.firstNode + k, deliverInterval: deliverInterval))
            }
        }
        var transmitterEdges: [(source: Int, transmitter: Int32, delay: Int32)] = []

        for (ci, c) in experiment.connections.enumerated() {
            if try resolveGapJunction(ci, c) { continue }   // gap_junction: GapJunctions.swift
            let path = "connections[\(ci)]"
            guard let src = population(named: c.source) else {
                throw PlexusError("no population named '\(c.source)'", keyPath: path + ".source")
            }
            guard let tgt = population(named: c.target) else {
                throw PlexusError("no population named '\(c.target)'", keyPath: path + ".target")
            }
            if case .volumeTransmitter? = devices[tgt.name]?.output {
                transmitterEdges += try transmitterInputEdges(c, index: ci, source: src, target: tgt, transmitterOfNode: transmitterOfNode,
                                                              sourceOutput: devices[src.name]?.output)
                continue
            }
            guard case .neuron(let tni) = tgt.kind else {
                throw PlexusError("'\(tgt.name)' is a \(tgt.model): devices cannot receive connections (use `record` for recorders)",
                                  keyPath: path + ".target")
            }
            let targetPop = neuronPopulations[tni]
            let structuralModel = isStructuralSynapse(c.synapse.model)   // initial synapses of structural plasticity
            guard let synapseModel = structuralModel ? .staticSynapse : SynapseModel(rawValue: c.synapse.model) else {
                throw PlexusError("unknown synapse model '\(c.synapse.model)'; known: \(SynapseModel.allCases.map(\.rawValue).joined(separator: ", "))",
                                  keyPath: path + ".synapse.model")
            }
            if c.synapse.volumeTransmitter != nil && !synapseModel.needsVolumeTransmitter {
                throw PlexusError("\(synapseModel.rawValue) takes no volume_transmitter (stdp_dopamine_synapse does)",
                                  keyPath: path + ".synapse.volume_transmitter")
            }
            if synapseModel == .staticSynapse, let k = c.synapse.parameters.keys.sorted().first {
                throw PlexusError("static_synapse has no parameter '\(k)'", keyPath: path + ".synapse.\(k)")
            }
            let sendsCurrent: Bool = {
                if let output = devices[src.name]?.output, case .current = output { return true } else { return false }
            }()
            var port = 0
            if let ports = targetPop.receptorPorts {
                // A multisynapse model (NEST's receptor ports): spikes on 1 ... K, currents on 0.
                let r = c.synapse.receptor
                if sendsCurrent {
                    if r != 0 {
                        throw PlexusError("receptor_type \(r) is not accepted by \(targetPop.modelName) for currents (\(src.model) connects on receptor_type 0)",
                                          keyPath: path + ".synapse.receptor_type")
                    }
                } else {
                    guard r >= 1 && r <= ports else {
                        throw PlexusError("receptor_type \(r) is not accepted by \(targetPop.modelName) (SpikeEvent): its receptor ports are " +
                                          (ports == 0 ? "none (its arrays are empty)" : "1 to \(ports)"),
                                          keyPath: path + ".synapse.receptor_type")
                    }
                    port = r
                }
            } else {
                switch c.synapse.receptor {
                case 0: break
                case 1 where targetPop.countsSpikes || targetPop.spikesCarryRelease: break
                default:
                    throw PlexusError("receptor_type \(c.synapse.receptor) does not exist on \(targetPop.modelName) (0, and 1 on parrot_neuron and iaf_tum_2000)",
                                      keyPath: path + ".synapse.receptor_type")
                }
            }
            // iaf_tum_2000's spikes carry their released fraction, which scales the weight: NEST
            // reads it on receptor 1 of iaf_tum_2000 only (and sends nothing else there).
            let carriesRelease: Bool = { if case .neuron(let i) = src.kind { return neuronPopulations[i].spikesCarryRelease } else { return false } }()
            if targetPop.spikesCarryRelease && (carriesRelease != (c.synapse.receptor == 1)) {
                throw PlexusError(carriesRelease
                                  ? "\(src.model) reaches \(targetPop.modelName) on receptor_type 1, where the released fraction its spikes carry scales the weight"
                                  : "receptor_type 1 of \(targetPop.modelName) takes the spikes of iaf_tum_2000 (their released fraction); \(src.model) connects on receptor_type 0",
                                  keyPath: path + ".synapse.receptor_type")
            }
            // A parrot's receptor 1: the spike passes the synapse (updating it) but is not repeated.
            let silentReceptor = c.synapse.receptor == 1 && targetPop.countsSpikes
            if carriesRelease && !targetPop.spikesCarryRelease {
                throw PlexusError("\(src.model)'s spikes carry a released fraction that only iaf_tum_2000 reads (receptor_type 1); \(targetPop.modelName) cannot receive them",
                                  keyPath: path + ".target")
            }
            var route = ConnectionStatement.Route.synapse
            var weightUnit = targetPop.weightUnit
            if let output = devices[src.name]?.output {
                switch output {
                case .spikes: route = .synapse
                case .poisson(let train):
                    route = .poisson(lambda: train.lambda, start: train.startStep, stop: train.stopStep, process: nil)
                case .process(let process):
                    route = .poisson(lambda: 0, start: process.startStep, stop: process.stopStep, process: process)
                case .precisePoisson(let train):
                    route = .precisePoisson(train)
                case .current:
                    route = .current
                    weightUnit = .one   // the weight scales the current
                case .volumeTransmitter:
                    throw PlexusError("'\(src.name)' is a \(src.model): it sends no spikes (name it as a dopamine synapse's volume_transmitter)",
                                      keyPath: path + ".source")
                }
            }
            let weight = try wrap(path + ".synapse.weight") { try c.synapse.weight.sampler(weightUnit, name: "weight") }
            let delay = try wrap(path + ".synapse.delay") { try c.synapse.delay.sampler(.ms, name: "delay") }
            try Self.checkNotNaN(weight, "weight", keyPath: path + ".synapse.weight")
            try Self.checkNotNaN(delay, "delay", keyPath: path + ".synapse.delay")
            let longestDelay: Double
            if case .constant(let d) = delay {
                try Self.checkTime(d, "delay", grid: grid, keyPath: path + ".synapse.delay")
                // NEST refuses a delay below the resolution as written, before rounding it to
                // steps (0.05 ms at 0.1 ms would otherwise round up to one step).
                guard d >= grid.h * (1 - 1e-9) else {
                    throw PlexusError("delay \(d) ms is below the resolution \(grid.h) ms", keyPath: path + ".synapse.delay")
                }
                longestDelay = d
            } else {
                // Drawn delays become whole steps in the build; beyond the time range that
                // conversion would trap, so the distribution's reach is checked here.
                let reach = Self.largestMagnitude(delay)
                guard reach.isFinite, reach <= Self.maxTime, reach / grid.h <= Self.maxSteps else {
                    throw PlexusError("delay: the distribution can draw delays of magnitude up to \(reach) ms; delays must stay within ±1e15 ms and 2^53 steps of \(grid.h) ms",
                                      keyPath: path + ".synapse.delay")
                }
                longestDelay = reach
            }
            try checkDelayFits(longestDelay, keyPath: path + ".synapse.delay")
            // Synapse tables keep weights as Float: beyond its range a finite weight becomes inf.
            if case .constant(let w) = weight, !(abs(w) <= Self.maxWeight) {
                throw PlexusError("weight \(w) is not finite or beyond ±3.4e38 (weights are stored as 32-bit floats)",
                                  keyPath: path + ".synapse.weight")
            }
            if synapseModel != .staticSynapse {
                guard case .synapse = route else {
                    throw PlexusError("\(synapseModel.rawValue) needs spiking sources; '\(src.name)' is a \(src.model)", keyPath: path + ".synapse.model")
                }
                var p = ParameterValues(specs: synapseModel.parameters)
                for key in c.synapse.parameters.keys.sorted() {
                    let kp = path + ".synapse.\(key)"
                    guard let k = p.specs.firstIndex(where: { $0.name == key }) else {
                        throw PlexusError("unknown parameter '\(key)' for \(synapseModel.rawValue)\(PlexusError.didYouMean(key, p.specs.map(\.name))); known: \(p.specs.map(\.name).joined(separator: ", "))", keyPath: kp)
                    }
                    let v = try wrap(kp) { try c.synapse.parameters[key]!.value(in: p.specs[k].unit, name: key) }
                    guard v.isFinite else { throw PlexusError("\(key) = \(v) must be finite", keyPath: kp) }
                    p.values[k] = v
                }
                let model: any PointSynapseModel
                do {
                    model = try synapseModel.make(parameters: p, given: Set(c.synapse.parameters.keys), resolution: grid.h)
                    try model.validate(weight: weight)
                } catch let e as PlexusError { throw e.under(path + ".synapse") }
                var transmitter = -1
                if synapseModel.needsVolumeTransmitter {
                    guard let name = c.synapse.volumeTransmitter else {
                        throw PlexusError("No volume transmitter has been assigned to the dopamine synapse: give `volume_transmitter:` the name of a volume_transmitter population",
                                          keyPath: path + ".synapse.volume_transmitter")
                    }
                    guard let vt = population(named: name), case .volumeTransmitter? = devices[name]?.output else {
                        throw PlexusError("volume_transmitter '\(name)' is not a population of model volume_transmitter",
                                          keyPath: path + ".synapse.volume_transmitter")
                    }
                    guard vt.size == 1 else {
                        throw PlexusError("volume_transmitter '\(name)' has \(vt.size) nodes; a dopamine synapse takes one",
                                          keyPath: path + ".synapse.volume_transmitter")
                    }
                    transmitter = transmitterOfNode[vt.firstNode]!
                }
                route = .plastic(plasticRules.count)
                plasticRules.append(PlasticRule(model: model, parameters: p, silent: silentReceptor,
                                                unitWeight: targetPop.countsSpikes, recordWeights: c.synapse.recordWeights, statement: ci,
                                                volumeTransmitter: transmitter, sources: src.nodes))
            } else if silentReceptor || c.synapse.recordWeights {
                // Static synapses with a silent receptor or a weight recorder need per-synapse
                // handling: they go through the plastic tables as a rule that never changes.
                if case .synapse = route {
                    route = .plastic(plasticRules.count)
                    plasticRules.append(PlasticRule(model: StaticSynapse(), parameters: ParameterValues(specs: []), silent: silentReceptor,
                                                    unitWeight: targetPop.countsSpikes, recordWeights: c.synapse.recordWeights, statement: ci,
                                                    volumeTransmitter: -1, sources: src.nodes))
                }
            }
            if port > 0 {
                if isPlastic(route) {
                    throw PlexusError("\(c.synapse.model)\(c.synapse.recordWeights ? " with a weight recorder" : "") onto \(targetPop.modelName) is not supported (its receptor ports take static synapses)",
                                      keyPath: path + ".synapse.model")
                }
                if targetPop.weightUnit == .nS, case .constant(let w) = weight, w < 0 {
                    throw PlexusError("weight \(w): synaptic weights onto the conductance-based \(targetPop.modelName) must be positive",
                                      keyPath: path + ".synapse.weight")
                }
            }
            let same = src.name == tgt.name
            let shape = ConnectionShape(path: path, sourceName: src.name, targetName: tgt.name, sources: src.size, targets: tgt.size,
                                        sourceFirstNode: src.firstNode, targetFirstNode: tgt.firstNode, samePopulation: same,
                                        autapses: c.allowAutapses, multapses: c.allowMultapses, statement: ci, seed: seed)
            try c.rule.kind.validate(shape)
            // Checked before the rule prepares anything (fixed_total_number draws its per-target
            // counts, O(N) work): the compact tables take about 4 bytes a synapse (brunel_delta:
            // 4.01), a lower bound.
            expectedSynapses += c.rule.kind.expectedSynapses(shape)
            try ResourceUsage.checkFits(expectedSynapses * 4, "its \(expectedSynapses < 9e18 ? String(Int(expectedSynapses)) : String(expectedSynapses)) synapses up to this statement (4 bytes each at the least)", keyPath: path)
            let st = ConnectionStatement(index: ci, source: src, target: tgt, targetFirstNeuron: targetPop.firstNeuron,
                                         route: route, rule: c.rule.kind.prepared(shape), shape: shape,
                                         keyedBySource: type(of: c.rule.kind).keyedBySource,
                                         autapses: c.allowAutapses, multapses: c.allowMultapses,
                                         samePopulation: same, weight: weight, delay: delay, unitWeight: targetPop.countsSpikes && !isPlastic(route),
                                         drawn: drawn[ci], port: port)
            if structuralModel { try addInitialStructural(st, c); continue }
            statements.append(st)
        }
        // Indexed by node only when some source feeds a transmitter (no table of N entries otherwise).
        var inputs = VolumeTransmitterInputs(nodes: transmitterEdges.isEmpty ? 0 : nodeCount)
        transmitterEdges.sort { $0.source < $1.source }   // stable: statement order per source
        for e in transmitterEdges {
            inputs.offsets[e.source + 1] += 1
            inputs.transmitters.append(e.transmitter)
            inputs.delays.append(e.delay)
        }
        for n in 0..<(inputs.offsets.count - 1) { inputs.offsets[n + 1] += inputs.offsets[n] }
        transmitterInputs = inputs
        return statements
    }

    /// The edges of a connection onto volume transmitters: spiking sources (a poisson_generator's
    /// trains go to `transmitterPoisson` instead), a static synapse (its weight is ignored: a
    /// transmitter counts spikes), all_to_all or one_to_one.
    func transmitterInputEdges(_ c: ConnectionDescription, index ci: Int, source src: PopulationInfo, target tgt: PopulationInfo,
                               transmitterOfNode: [Int: Int],
                               sourceOutput: DeviceOutput?) throws -> [(source: Int, transmitter: Int32, delay: Int32)] {
        let path = "connections[\(ci)]"
        switch sourceOutput {
        case nil, .spikes?, .poisson?: break   // neurons, spike generators, Poisson generators
        case .current?, .volumeTransmitter?, .process?, .precisePoisson?:
            throw PlexusError("a volume_transmitter takes spikes from neurons, spike generators or Poisson generators; '\(src.name)' is a \(src.model)",
                              keyPath: path + ".source")
        }
        guard c.synapse.model == "static_synapse" else {
            throw PlexusError("connections onto a volume_transmitter use static_synapse, not \(c.synapse.model)", keyPath: path + ".synapse.model")
        }
        let delay = try wrap(path + ".synapse.delay") { try c.synapse.delay.sampler(.ms, name: "delay") }
        guard case .constant(let d) = delay else {
            throw PlexusError("connections onto a volume_transmitter take one delay, not a distribution", keyPath: path + ".synapse.delay")
        }
        try Self.checkTime(d, "delay", grid: grid, keyPath: path + ".synapse.delay")
        guard d >= grid.h * (1 - 1e-9) else {
            throw PlexusError("delay \(d) ms is below the resolution \(grid.h) ms", keyPath: path + ".synapse.delay")
        }
        let steps = Int32(clamping: grid.steps(d))
        if case .poisson(let train)? = sourceOutput {
            guard src.size == 1 || c.rule == .oneToOne else {
                throw PlexusError("connect a population of Poisson generators to volume transmitters one_to_one", keyPath: path + ".rule")
            }
            let pairs: [(Int, Int)]
            switch c.rule {
            case .allToAll: pairs = tgt.nodes.map { (src.firstNode, $0) }
            case .oneToOne:
                guard src.size == tgt.size else {
                    throw PlexusError("one_to_one needs equal sizes; \(src.name) has \(src.size), \(tgt.name) has \(tgt.size)", keyPath: path + ".rule")
                }
                pairs = (0..<src.size).map { (src.firstNode + $0, tgt.firstNode + $0) }
            default:
                throw PlexusError("connect to a volume_transmitter with all_to_all or one_to_one, not \(c.rule.name)", keyPath: path + ".rule")
            }
            for (_, node) in pairs {
                transmitterPoisson.append(TransmitterPoisson(
                    transmitter: transmitterOfNode[node]!, lambda: train.lambda, delay: Int64(steps),
                    startStep: train.startStep, stopStep: train.stopStep,
                    stream: UInt32(ci), id: UInt64(node)))
            }
            return []
        }
        var edges: [(source: Int, transmitter: Int32, delay: Int32)] = []
        switch c.rule {
        case .allToAll:
            for i in src.nodes { for j in tgt.nodes { edges.append((i, Int32(transmitterOfNode[j]!), steps)) } }
        case .oneToOne:
            guard src.size == tgt.size else {
                throw PlexusError("one_to_one needs equal sizes; \(src.name) has \(src.size), \(tgt.name) has \(tgt.size)", keyPath: path + ".rule")
            }
            for k in 0..<src.size { edges.append((src.firstNode + k, Int32(transmitterOfNode[tgt.firstNode + k]!), steps)) }
        default:
            throw PlexusError("connect to a volume_transmitter with all_to_all or one_to_one, not \(c.rule.name)", keyPath: path + ".rule")
        }
        return edges
    }

    /// Plastic synapses keep their real weight even onto a parrot (the rule needs it; the parrot
    /// still counts the spike as one, see `PlasticRule.unitWeight`).
    func isPlastic(_ route: ConnectionStatement.Route) -> Bool {
        if case .plastic = route { return true } else { return false }
    }

    /// Calls `body(sourceLocal, targetLocal, weight, delaySteps)` for every synapse of `st` whose
    /// target lies in `targets` (population-local indices). With `draw == false` the weight and
    /// delay are not drawn (counting pass). Draws are keyed by the target's gid (by the source's
    /// for fixed_outdegree), so the result is independent of how targets are split over threads.
    /// The rule (ConnectionRules/) decides the pairs; one dynamic call per statement.
    func enumerate(_ st: ConnectionStatement, targets: Range<Int>, draw: Bool,
                   _ body: (Int, Int, Double, Int) -> Void) {
        forEachBatch(st, targets: targets, draw: draw) { batch in
            for s in batch { body(s.source, s.target, s.weight, s.delay) }
        }
    }

    /// `enumerate` in batches: `pass` gets the synapses of a batch of key nodes in order (one
    /// dynamic call of the rule and one call of `pass` per batch of about 4096 synapses; the
    /// build passes loop over the batch themselves, so their per-synapse work compiles inline).
    func forEachBatch(_ st: ConnectionStatement, targets: Range<Int>, draw: Bool,
                      _ pass: (UnsafeBufferPointer<DrawnSynapse>) -> Void) {
        let h = grid.h
        let pairs = st.rule as? Pairs   // may give each synapse its weight and delay
        let constW: Double? = st.unitWeight ? 1 : pairs?.weights != nil ? nil : { if case .constant(let w) = st.weight { return w } else { return nil } }()
        let constD: Int? = pairs?.delays != nil ? nil : { if case .constant(let d) = st.delay { return Int((d / h).rounded()) } else { return nil } }()
        var sink = ConnectionDrawSink(seed: seed, statement: UInt32(st.index), draw: draw, constW: constW, constD: constD,
                                      weight: st.weight, delay: st.delay, h: h, explicitWeights: !st.unitWeight)
        defer { sink.release() }
        let keys = st.keyedBySource ? 0..<st.source.size : targets
        var lo = keys.lowerBound, batch = 1
        while lo < keys.upperBound {
            let hi = lo + min(batch, keys.upperBound - lo)
            sink.clear()
            st.draw(keys: lo..<hi, targets: targets, into: &sink)
            pass(sink.batch)
            batch = max(1, min(1 << 16, 4096 * (hi - lo) / max(1, sink.count)))
            lo = hi
        }
    }

    /// Builds every thread's CSR table and device inputs, in parallel.
    func build(_ statements: [ConnectionStatement]) throws {
        let threads = team.count
        connectivity = (0..<threads).map { ThreadConnectivity(nodes: nodeCount, localNeurons: receptorLayouts[$0].pairs) }
        plastic = (0..<threads).map { PlasticConnectivity(localNeurons: partitions[$0].count) }
        deviceInputs = (0..<threads).map { _ in DeviceInputs() }
        var errors = [PlexusError?](repeating: nil, count: threads)
        let h = grid.h
        // The compact layout applies when every synapse statement has a constant weight and delay.
        var kinds: [(weight: Double, delay: Int)] = []
        var kindOfStatement: [Int: Int] = [:]
        var compact = true
        for st in statements {
            guard case .synapse = st.route else { continue }
            let pairs = st.rule as? Pairs
            guard case .constant(let d) = st.delay, st.unitWeight || st.weight.isConstant,
                  pairs?.delays == nil, st.unitWeight || pairs?.weights == nil else { compact = false; break }
            let w: Double
            if st.unitWeight { w = 1 } else if case .constant(let v) = st.weight { w = v } else { w = 0 }
            let pair = (weight: w, delay: Int((d / h).rounded()))
            if let k = kinds.firstIndex(where: { $0.weight == pair.weight && $0.delay == pair.delay }) {
                kindOfStatement[st.index] = k
            } else {
                kindOfStatement[st.index] = kinds.count
                kinds.append(pair)
            }
        }
        if compact {
            var kindBits = 0
            while (1 << kindBits) < kinds.count { kindBits += 1 }
            compact = connectivity.allSatisfy { $0.targetBits + kindBits <= 32 }
        }
        if compact {
            for conn in connectivity {
                conn.kinds = kinds
                conn.kindWeights = Storage(kinds.map(\.weight))
                conn.kindDelays = Storage(kinds.map(\.delay))
            }
        }
        errors.withUnsafeMutableBufferPointer { errs in
            let errs = errs
            team.run { t in
                let part = self.partitions[t]
                let conn = self.connectivity[t]
                let devices = self.deviceInputs[t]
                let plastic = self.plastic[t]
                // Targets of a statement inside this thread's neurons, as population-local indices.
                func localTargets(_ st: ConnectionStatement) -> Range<Int> {
                    let lo = max(part.lowerBound, st.targetFirstNeuron), hi = min(part.upperBound, st.targetFirstNeuron + st.target.size)
                    return lo < hi ? (lo - st.targetFirstNeuron)..<(hi - st.targetFirstNeuron) : 0..<0
                }
                // Pass 1: count synapses per source (4 bytes per node while building; the table
                // then keeps rows only for the sources that have synapses here).
                let counts = Storage<UInt32>(repeating: 0, count: max(1, self.nodeCount))
                let count = counts.base
                for st in statements {
                    guard case .synapse = st.route else { continue }
                    let first = st.source.firstNode
                    self.forEachBatch(st, targets: localTargets(st), draw: false) { batch in
                        for s in batch { count[first + s.source] += 1 }
                    }
                }
                plastic.tables = self.plasticRules.enumerated().map { $0.element.model.makeTable(rule: $0.element, index: $0.offset) }
                for st in statements {
                    guard case .plastic(let r) = st.route else { continue }
                    let table = plastic.tables[r]
                    self.forEachBatch(st, targets: localTargets(st), draw: false) { batch in
                        for s in batch { let i = s.source; table.count(row: i) }
                    }
                }
                for table in plastic.tables { table.allocate() }
                conn.rows = SourceRows(counts: count, nodes: self.nodeCount)
                let rows = conn.rowView
                let total = conn.rows.total
                conn.words = Storage(repeating: 0, count: total)
                conn.weights = Storage(repeating: 0, count: compact ? 0 : total)
                // The fill cursor: each present row's next free synapse.
                let present = conn.rows.starts.count - 1
                let cursor = Storage<Int>(repeating: 0, count: max(1, present))
                cursor.base.update(from: conn.rows.starts.base, count: present)
                let cur = cursor.base, words = conn.words.base, weights = conn.weights.base
                let shift = UInt32(conn.targetBits), capacity = conn.delayCapacity
                var minD = Int.max, maxD = 0
                var failure: PlexusError? { didSet { failed = failure != nil } }
                var failed = false
                // Pass 2: the same enumeration, now with weights and delays.
                let layout = self.receptorLayouts[t]
                for st in statements where !failed {
                    let first = st.source.firstNode
                    let tOffset = st.targetFirstNeuron - part.lowerBound
                    // The channel pair a synapse onto neuron j writes to (ReceptorLayout).
                    let port = st.port
                    func pairOf(_ j: Int) -> Int { port == 0 ? j + tOffset : layout.pair(localNeuron: j + tOffset, receptor: port) }
                    func checkDelay(_ d: Int, _ j: Int) -> Bool {
                        if d < 1 {
                            failure = PlexusError("a delay drawn for target gid \(st.target.firstNode + j + 1) rounds to \(d) steps (\(Double(d) * h) ms), below the resolution \(h) ms",
                                                  keyPath: st.path + ".synapse.delay")
                            return false
                        }
                        return true
                    }
                    // Drawn weights (all routes): an infinity (e.g. lognormal) would only show up
                    // as a NaN blow-up during the run.
                    func checkWeight(_ w: Double, _ j: Int) -> Bool {
                        if !(abs(w) <= Self.maxWeight) {
                            failure = PlexusError("weight \(w) (drawn for target gid \(st.target.firstNode + j + 1)) is not finite or beyond ±3.4e38 (weights are stored as 32-bit floats)",
                                                  keyPath: st.path + ".synapse.weight")
                            return false
                        }
                        return true
                    }
                    switch st.route {
                    case .synapse:
                        let kindBitsHere = UInt32(kindOfStatement[st.index] ?? 0) << shift
                        self.forEachBatch(st, targets: localTargets(st), draw: true) { batch in
                            for s in batch {
                                let i = s.source, j = s.target, w = s.weight, d = s.delay
                                guard !failed, checkDelay(d, j) else { continue }
                                if d > capacity {
                                    failure = PlexusError("delay of \(d) steps exceeds this layout's limit of \(capacity) steps", keyPath: st.path + ".synapse.delay")
                                    continue
                                }
                                guard checkWeight(w, j) else { continue }
                                let r = rows.row(of: first + i)!
                                let k = cur[r]
                                cur[r] = k + 1
                                if compact {
                                    words[k] = UInt32(pairOf(j)) | kindBitsHere
                                } else {
                                    words[k] = UInt32(pairOf(j)) | (UInt32(d - 1) << shift)
                                    weights[k] = Float(w)
                                }
                                minD = min(minD, d)
                                maxD = max(maxD, d)
                            }
                        }
                    case .plastic(let r):
                        let rule = self.plasticRules[r]
                        let table = plastic.tables[r]
                        let readsPostHistory = rule.model.readsPostSpikes
                        // Multapses so far per (source, target), for models whose synapses each
                        // need their own identity (all of a target's synapses are on its thread).
                        var multapses = [UInt64: Int]()
                        let needsIdentity = rule.model.needsOwnIdentity
                        // A constant weight was checked with the statement (`validate(weight:)`).
                        let checkEachWeight = st.drawn != nil || !st.weight.isConstant
                        self.forEachBatch(st, targets: localTargets(st), draw: true) { batch in
                            for s in batch {
                                let i = s.source, j = s.target, w = s.weight, d = s.delay
                                guard !failed, checkDelay(d, j), checkWeight(w, j) else { continue }
                                if checkEachWeight, let why = rule.model.rejection(ofDrawnWeight: w) {
                                    failure = PlexusError("weight \(w) drawn for target gid \(st.target.firstNode + j + 1) \(why)",
                                                          keyPath: st.path + ".synapse.weight")
                                    continue
                                }
                                let local = j + tOffset
                                var identity: SynapseIdentity?
                                if needsIdentity {
                                    let source = first + i, target = st.target.firstNode + j
                                    let pair = UInt64(source) << 32 | UInt64(target)
                                    let m = multapses[pair, default: 0]
                                    multapses[pair] = m + 1
                                    identity = SynapseIdentity(statement: st.index, source: source, target: target, multapse: m)
                                }
                                table.add(row: i, target: local, delay: d, weight: w, identity: identity)
                                if readsPostHistory {
                                    if plastic.archiveOf[local] < 0 {
                                        plastic.archiveOf[local] = Int32(plastic.archives.count)
                                        var a = PostArchive()
                                        let k = st.targetFirstNeuron + j - self.localNeurons.lowerBound
                                        a.tauMinus = self.tauMinus[k]
                                        a.tauMinusTriplet = self.tauMinusTriplet[k]
                                        plastic.archives.append(a)
                                    }
                                    plastic.archives[Int(plastic.archiveOf[local])].incoming += 1
                                }
                                minD = min(minD, d)
                                maxD = max(maxD, d)
                            }
                        }
                    case .poisson(let lambda, let start, let stop, let process):
                        var ordinal = [Int: Int]()
                        self.forEachBatch(st, targets: localTargets(st), draw: true) { batch in
                            for s in batch {
                                let i = s.source, j = s.target, w = s.weight, d = s.delay
                                guard !failed, checkDelay(d, j), checkWeight(w, j) else { continue }
                                let gid = st.target.firstNode + j
                                let o = ordinal[gid, default: 0]
                                ordinal[gid] = o + 1
                                var table = devices.poissonTables.firstIndex { $0.lambda == lambda } ?? -1
                                if let process {
                                    // A stateful process: input -1 - table of `processInputs`.
                                    table = -1 - Int(devices.addProcessInput(process))
                                } else if table < 0 {
                                    table = devices.poissonTables.count
                                    devices.poissonTables.append(PoissonTable(lambda: lambda))
                                }
                                devices.poisson.append(.init(target: Int32(pairOf(j)), delay: Int32(d), weight: w, lambda: lambda,
                                                             table: Int32(table),
                                                             startStep: start, stopStep: stop, stream: UInt32(st.index),
                                                             source: Int32(first + i), id: UInt64(gid) | UInt64(o) << 32 | UInt64(i) << 48))
                                maxD = max(maxD, d)
                            }
                        }
                    case .precisePoisson(let train):
                        // Keyed by (statement, target, its n-th input of the statement, source):
                        // the same trains whichever thread or rank holds the target.
                        var ordinal = [Int: Int]()
                        self.forEachBatch(st, targets: localTargets(st), draw: true) { batch in
                            for s in batch {
                                let i = s.source, j = s.target, w = s.weight, d = s.delay
                                guard !failed, checkDelay(d, j), checkWeight(w, j) else { continue }
                                let gid = st.target.firstNode + j
                                let o = ordinal[gid, default: 0]
                                ordinal[gid] = o + 1
                                devices.precisePoisson.append(.init(target: Int32(pairOf(j)), delay: Int32(d), weight: w, train: train,
                                                                    stream: UInt32(st.index),
                                                                    id: UInt64(gid) | UInt64(o) << 32 | UInt64(i) << 48))
                                maxD = max(maxD, d)
                            }
                        }
                    case .current:
                        self.forEachBatch(st, targets: localTargets(st), draw: true) { batch in
                            for s in batch {
                                let i = s.source, j = s.target, w = s.weight, d = s.delay
                                guard !failed, checkDelay(d, j), checkWeight(w, j) else { continue }
                                let gid = st.target.firstNode + j
                                let g = self.generatorOfNode[first + i]!
                                devices.currents.append(.init(target: Int32(j + tOffset), delay: Int32(d), weight: w, generator: Int32(g),
                                                              stream: UInt32(st.index), id: UInt64(gid) | UInt64(i) << 40))
                                maxD = max(maxD, d)
                            }
                        }
                    }
                }
                devices.poissonWords = Array(repeating: 0, count: 2 * devices.poisson.count)
                devices.poissonNext = Array(repeating: -1, count: devices.poisson.count)
                devices.poissonEvents = Array(repeating: 0, count: devices.poisson.count)
                devices.poissonTableStorage = devices.poissonTables.map { (Storage($0.cdf), Storage($0.guide)) }
                devices.currentCursors = devices.currents.map { self.currentGenerators.list[Int($0.generator)].firstChange }
                conn.minDelay = minD
                conn.maxDelay = maxD
                errs[t] = failure
            }
        }
        if let e = errors.compactMap({ $0 }).first { throw e }
        var minD = connectivity.map(\.minDelay).min() ?? Int.max
        var maxD = connectivity.map(\.maxDelay).max() ?? 0
        localDelays = (minD, maxD)
        if !volumeTransmitters.isEmpty {
            // A volume transmitter triggers every deliver_interval min delays, where NEST's min
            // delay counts every connection: device ones, those onto transmitters, and those of
            // recorders (NEST connects them with the default 1 ms delay).
            minD = nestMinDelay()
            for d in transmitterInputs.delays { maxD = max(maxD, Int(d)) }
            for p in transmitterPoisson { maxD = max(maxD, Int(p.delay)) }
        }
        minDelay = minD == Int.max ? 10 : minD
        minDelayIsDefault = minD == Int.max
        maxDelay = max(maxD, minDelay)
        for pl in plastic {
            pl.transmitters = Array(repeating: VolumeTransmitterState(), count: volumeTransmitters.count)
            for table in pl.tables { table.cursor = [] }
            pl.tables.removeAll { $0.count == 0 }
        }
    }

    /// NEST's min_delay (steps; Int.max without connections): the kernel's `min_delay` when
    /// given, else the smallest delay of every connection NEST makes, device ones and those of
    /// recorders (NEST connects them with the default 1 ms) included. Call after `build`.
    func nestMinDelay() -> Int {
        if let given = experiment.nestMinDelay, let ms = try? given.value(in: .ms, name: "min_delay") {
            return max(1, Int((ms / grid.h).rounded()))
        }
        var minD = connectivity.map(\.minDelay).min() ?? Int.max
        for d in transmitterInputs.delays { minD = min(minD, Int(d)) }
        for p in transmitterPoisson { minD = min(minD, Int(p.delay)) }
        for dev in deviceInputs {
            for p in dev.poisson { minD = min(minD, Int(p.delay)) }
            for p in dev.precisePoisson { minD = min(minD, Int(p.delay)) }
            for c in dev.currents { minD = min(minD, Int(c.delay)) }
        }
        if !experiment.recordings.isEmpty { minD = min(minD, max(1, Int(grid.steps(1.0)))) }
        return minD
    }
}
