import PlexusCore

// Changes between the advances of a `PointSimulation`: what NEST's SetStatus does between two
// Simulate calls. A change takes effect at the simulation's current step:
// - a neuron parameter: the population's model constants are derived again (the values must be
//   the same for the whole population; Plexus keeps one set of constants per population); state
//   keeps its meaning (V_m stays where it is when E_L moves, as in NEST);
// - a neuron state variable: written for the given neurons, one value each;
// - a device parameter: the device is resolved again; each target gets the new values from the
//   first emission at or after the current step on, when that emission arrives (a target `d`
//   steps away still receives what was emitted before the change for `d` steps, as in NEST);
//   spike_generator's spike times: the ones after the current step are emitted.
// Synapses, connections and recorders are not changed here.

extension PointSimulation {
    /// Sets `params` (as in the experiment file's population `params`) of population `name` from
    /// the current step on. State values may be a list, one value per neuron of `neurons` (the
    /// whole population when nil). Errors name `populations.<name>.params.<key>`.
    public func set(population name: String, params: [String: ParameterValue], neurons: Range<Int>? = nil) throws {
        if let failure { throw failure }
        precondition(!finished, "set after the final results")
        let path = "populations.\(name)"
        guard let info = network.population(named: name) else {
            throw PlexusError("no population named '\(name)'", keyPath: path)
        }
        let neurons = neurons ?? 0..<info.size
        guard neurons.lowerBound >= 0, neurons.upperBound <= info.size, !neurons.isEmpty else {
            throw PlexusError("neurons \(neurons) are outside the population's 0..<\(info.size)", keyPath: path)
        }
        switch info.kind {
        case .neuron(let ni):
            try setNeurons(network.neuronPopulations[ni], info, params, neurons: neurons, path: path)
        case .device(let kind):
            guard neurons == 0..<info.size else {
                throw PlexusError("a device population changes as a whole: its \(info.size) nodes share their parameters", keyPath: path)
            }
            try setDevice(kind, info, params, path: path)
        }
    }

    /// The current value of state variable `variable` of every neuron of population `name`, as
    /// a multimeter would record it; with structural plasticity also `Ca` and
    /// `synaptic_elements.NAME.z` / `.z_connected`.
    public func state(population name: String, variable: String) throws -> [Double] {
        let path = "populations.\(name)"
        // Structural plasticity's per-neuron state: Ca, synaptic_elements.NAME.z / .z_connected.
        if let values = try network.structuralPlasticity?.state(population: name, variable: variable) { return values }
        if network.experiment.nestNoiseRecorders.contains(name), let streams = network.nestStreams {
            return try noiseCurrents(name, variable: variable, streams, path: path)
        }
        guard let info = network.population(named: name), case .neuron(let ni) = info.kind else {
            throw PlexusError("no neuron population named '\(name)'", keyPath: path)
        }
        let pop = network.neuronPopulations[ni]
        guard let v = pop.stateNames.firstIndex(of: variable) else {
            throw PlexusError("\(pop.modelName) has no state variable '\(variable)'; state: \(pop.recordableNames.joined(separator: ", "))",
                              keyPath: path + "." + variable)
        }
        return (0..<pop.size).map { pop.recordedValue(variable: v, neuron: $0) }
    }

    /// A recorded noise_generator population's `I`: generator by generator, its value at every
    /// step so far (the step ending at each multiple of the resolution).
    private func noiseCurrents(_ name: String, variable: String, _ streams: NestStreams, path: String) throws -> [Double] {
        guard variable == "I" else {
            throw PlexusError("a noise_generator records I only, not '\(variable)'", keyPath: path + "." + variable)
        }
        let steps = Int(step)
        var out: [Double] = []
        for node in network.population(named: name)!.nodes {
            let k = streams.recordedNodes.firstIndex(of: node)!
            out += streams.recorded[k].prefix(steps)
            if streams.recorded[k].count < steps { out += repeatElement(0, count: steps - streams.recorded[k].count) }
        }
        return out
    }

    private func setNeurons(_ pop: NeuronPopulation, _ info: PopulationInfo, _ params: [String: ParameterValue],
                            neurons: Range<Int>, path: String) throws {
        guard let type = ModelCatalog.neuron(info.model) else { preconditionFailure("a neuron population of an unknown model") }
        let parameterKeys = params.keys.filter { k in type.parameters.contains { $0.name == k } || type.arrayParameters.contains { $0.name == k } }
        let stateKeys = params.keys.filter { k in type.state.contains { $0.name == k && $0.recordable } }
        for key in params.keys.sorted() where !parameterKeys.contains(key) && !stateKeys.contains(key) {
            let known = type.parameters.map(\.name) + type.arrayParameters.map(\.name) + type.state.filter(\.recordable).map(\.name)
            throw PlexusError(PointNetwork.setUpKeys.contains(key)
                                ? "\(key) cannot be changed during a run (it belongs to the synapses' and structural plasticity's set-up)"
                                : "unknown parameter '\(key)' for model \(type.name)\(PlexusError.didYouMean(key, known)); known: \(known.joined(separator: ", "))",
                              keyPath: "\(path).params.\(key)")
        }
        if !parameterKeys.isEmpty {
            guard neurons == 0..<info.size else {
                throw PlexusError("\(parameterKeys.sorted().joined(separator: ", ")): a parameter changes for the whole population during a run (its \(info.size) neurons share their model constants); give each group its own population",
                                  keyPath: "\(path).params.\(parameterKeys.sorted()[0])")
            }
            let given = PopulationDescription(name: info.name, model: info.model, size: info.size,
                                              params: params.filter { parameterKeys.contains($0.key) })
            let (resolved, _) = try PointNetwork.resolveNeuronParameters(type, given, path: path, seed: network.seed, grid: network.grid,
                                                                         populationIndex: 0, firstNode: info.firstNode)
            var values = pop.parameters
            for key in parameterKeys {
                if type.arrayParameters.contains(where: { $0.name == key }) { values.arrays[key] = resolved.arrays[key] }
                else { values[key] = resolved[key] }
            }
            do { try pop.setParameters(values, resolution: network.grid.h) }
            catch let e as PlexusError { throw e.under(path + ".params") }
        }
        if !stateKeys.isEmpty {
            // Lists give one value per neuron of `neurons`; single values and distributions are
            // resolved as for the whole population (distributions drawn from the initial-state
            // streams) and taken for `neurons`.
            var perNeuron: [String: ParameterValue] = [:]
            var lists: [String: [Quantity]] = [:]
            for key in stateKeys {
                if case .list(let qs) = params[key]! {
                    guard qs.count == neurons.count else {
                        throw PlexusError("\(key): \(qs.count) values for \(neurons.count) neurons", keyPath: "\(path).params.\(key)")
                    }
                    lists[key] = qs
                } else {
                    perNeuron[key] = params[key]!
                }
            }
            for (key, qs) in lists {
                var padded = Array(repeating: qs[0], count: info.size)
                padded.replaceSubrange(neurons, with: qs)
                perNeuron[key] = .list(padded)
            }
            let given = PopulationDescription(name: info.name, model: info.model, size: info.size, params: perNeuron)
            // Distributions draw from initial-state streams of their own, keyed by the step of the
            // change (the file's populations use indices below 2^23).
            let (_, initial) = try PointNetwork.resolveNeuronParameters(type, given, path: path, seed: network.seed, grid: network.grid,
                                                                        populationIndex: 1 << 23 | Int(step & (1 << 23 - 1)),
                                                                        firstNode: info.firstNode)
            for key in stateKeys.sorted() {
                let v = type.state.firstIndex { $0.name == key }!
                pop.setState(variable: v, values: Array(initial[v][neurons]), neurons: neurons)
            }
        }
    }

    private func setDevice(_ kind: DeviceKind, _ info: PopulationInfo, _ params: [String: ParameterValue], path: String) throws {
        var description = deviceDescriptions[info.name] ?? PopulationDescription(name: info.name, model: info.model, size: info.size)
        for (key, value) in params { description.params[key] = value }
        let device = try DevicePopulation(kind, description, path: path, grid: network.grid)
        let nodes = info.nodes
        let emission = step
        switch device.output {
        case .poisson(let train):
            for node in nodes { network.nestStreams?.change(node: node, train: train) }
            for d in network.deviceInputs {
                var table = d.poissonTables.firstIndex { $0.lambda == train.lambda } ?? -1
                var switches: [DeviceInputs.Switch] = []
                for (q, input) in d.poisson.enumerated() where nodes.contains(Int(input.source)) {
                    if table < 0 {
                        table = d.poissonTables.count
                        d.poissonTables.append(PoissonTable(lambda: train.lambda))
                        d.poissonTableStorage = d.poissonTables.map { (Storage($0.cdf), Storage($0.guide)) }
                    }
                    switches.append(.init(arrival: emission + Int64(input.delay), emission: emission, input: q,
                                          poisson: (train.lambda, Int32(table), train.startStep, train.stopStep)))
                }
                d.schedule(switches)
            }
        case .current(let waveform):
            for node in nodes { network.nestStreams?.change(node: node, waveform: waveform) }
            var generatorOf: [Int: Int32] = [:]
            for node in nodes {
                generatorOf[node] = Int32(network.currentGenerators.count)
                network.currentGenerators.append(waveform, node: node)
            }
            for d in network.deviceInputs {
                var switches: [DeviceInputs.Switch] = []
                for (q, input) in d.currents.enumerated() {
                    guard let g = generatorOf[network.currentGenerators.nodes[Int(input.generator)]] else { continue }
                    switches.append(.init(arrival: emission + Int64(input.delay), emission: emission, input: q, generator: g))
                }
                d.schedule(switches)
            }
        case .spikes(let train) where train.packets != nil:
            throw PlexusError("a \(kind.name) cannot be changed during a run", keyPath: path + ".params")
        case .spikes(let train):
            for g in network.spikeGenerators.indices where nodes.contains(network.spikeGenerators[g].node) {
                network.spikeGenerators[g].steps = train.steps
                network.spikeGenerators[g].multiplicities = train.multiplicities
                network.spikeGenerators[g].offsets = train.offsets
                // Spikes at steps already simulated are not emitted (NEST drops them too).
                generatorCursor[g] = train.steps.firstIndex { $0 >= emission } ?? train.steps.count
            }
        case .volumeTransmitter:
            throw PlexusError("a volume_transmitter cannot be changed during a run", keyPath: path + ".params")
        case .precisePoisson:
            throw PlexusError("a \(kind.name) cannot be changed during a run", keyPath: path + ".params")
        case .process:
            throw PlexusError("a \(kind.name) cannot be changed during a run (its targets' process states would need NEST's rules for a change)", keyPath: path + ".params")
        }
        deviceDescriptions[info.name] = description
    }
}

extension DeviceInputs {
    /// Adds switches made at one step (their arrivals follow from the delays) to the pending ones,
    /// keeping arrival order.
    func schedule(_ new: [Switch]) {
        guard !new.isEmpty else { return }
        switches = Array(switches[nextSwitch...]) + new
        nextSwitch = 0
        switches.sort { ($0.arrival, $0.input) < ($1.arrival, $1.input) }
    }
}
