import Foundation
import PlexusCore

/// A neuron model kind as the engine meets it: one value for a built-in model (a
/// `PointNeuronModel` type) and for a model generated at run time from a description (a NESTML
/// file compiled to C). Everything the engine asks of a model kind before a population exists
/// (its parameters, state, weight unit, receptor ports) and the population itself come from here,
/// so the engine never needs to know which of the two it holds.
public struct NeuronKind: Sendable {
    public let name: String
    public let parameters: [ParameterSpec]
    /// The state columns under the default parameters (initial values may depend on them).
    public let state: [StateSpec]
    public let arrayParameters: [ArrayParameterSpec]
    public let weightUnit: PhysicalUnit
    public let countsSpikes: Bool
    public let spikesCarryRelease: Bool
    /// The description file of a generated model; nil for a built-in one.
    public let source: String?

    /// What a generated kind supplies (a built-in one takes them from its type).
    public typealias StateFor = @Sendable (ParameterValues) -> [StateSpec]
    public typealias PortsFor = @Sendable (ParameterValues) -> Int?
    public typealias Make = @Sendable (_ name: String, _ parameters: ParameterValues, _ resolution: Double, _ size: Int,
                                       _ local: Range<Int>, _ firstNode: Int, _ firstNeuron: Int, _ initial: [[Double]],
                                       _ seed: UInt64) throws -> NeuronPopulation

    private let stateFor: StateFor
    private let portsFor: PortsFor
    private let make: Make

    /// A built-in model.
    public init<M: PointNeuronModel>(_ model: M.Type) {
        name = M.name
        parameters = M.parameters
        state = M.state
        arrayParameters = M.arrayParameters
        weightUnit = M.weightUnit
        countsSpikes = M.countsSpikes
        spikesCarryRelease = M.spikesCarryRelease
        source = nil
        stateFor = { M.state(for: $0) }
        portsFor = { M.receptorPorts($0) }
        make = { name, p, h, size, local, firstNode, firstNeuron, initial, _ in
            try M.makePopulation(name: name, parameters: p, resolution: h, size: size, local: local,
                                 firstNode: firstNode, firstNeuron: firstNeuron, initial: initial)
        }
    }

    /// A generated model: its population comes from `make`.
    public init(name: String, parameters: [ParameterSpec], state: [StateSpec], weightUnit: PhysicalUnit, source: String,
                stateFor: @escaping StateFor, receptorPorts: @escaping PortsFor, make: @escaping Make) {
        self.name = name
        self.parameters = parameters
        self.state = state
        arrayParameters = []
        self.weightUnit = weightUnit
        countsSpikes = false
        spikesCarryRelease = false
        self.source = source
        self.stateFor = stateFor
        portsFor = receptorPorts
        self.make = make
    }

    /// The state columns under `p`.
    public func state(for p: ParameterValues) -> [StateSpec] { stateFor(p) }
    /// Receptor ports under `p` (spikes on receptor_type 1 ... K); nil where spikes arrive on
    /// receptor 0, split by the sign of the weight.
    public func receptorPorts(_ p: ParameterValues) -> Int? { portsFor(p) }

    /// `initial` holds the initial state of the `local` neurons (all of them for one process);
    /// `seed` is the run's (generated models draw from it).
    func makePopulation(name: String, parameters: ParameterValues, resolution: Double, size: Int, local: Range<Int>,
                        firstNode: Int, firstNeuron: Int, initial: [[Double]], seed: UInt64) throws -> NeuronPopulation {
        try make(name, parameters, resolution, size, local, firstNode, firstNeuron, initial, seed)
    }
}

extension ModelCatalog {
    /// The built-in neuron models by NEST name (`neuronTypes` is generated from the
    /// conformances to `PointNeuronModel`: adding a model is adding its file).
    /// Built-in models are Swift types or descriptions (Descriptions/*.nestml); a name is one or
    /// the other (BuiltinDescriptionTests).
    public static let builtInNeurons: [String: NeuronKind] =
        Dictionary(neuronTypes.map { ($0.name, NeuronKind($0)) } + BuiltinDescriptions.neurons.map { ($0.name, $0.kind) }) { a, _ in a }

    /// The description a built-in model is generated from (Descriptions/NAME.nestml, as embedded
    /// in this binary); nil for a model written in Swift.
    public static func builtInDescription(_ name: String) -> (file: String, text: String)? {
        guard builtInNeurons[name]?.source != nil || BuiltinDescriptions.synapseNames.contains(name) else { return nil }
        return NESTMLSources.all.first { $0.name == name + ".nestml" }.map { ("Sources/PlexusPoint/Descriptions/" + $0.name, $0.text) }
    }

    /// Built-in description files that do not lower (a Plexus defect the tests catch).
    public static var refusedBuiltInDescriptions: [PlexusError] { BuiltinDescriptions.lowered.refused }

    nonisolated(unsafe) private static var installed: [String: NeuronKind] = [:]
    private static let installLock = NSLock()

    /// Neuron models by name: the built-in ones and those installed in this process.
    public static var neuronModels: [String: NeuronKind] {
        installLock.lock(); defer { installLock.unlock() }
        return installed.isEmpty ? builtInNeurons : builtInNeurons.merging(installed) { a, _ in a }
    }

    /// The neuron model `name`, built-in or installed.
    public static func neuron(_ name: String) -> NeuronKind? {
        if let k = builtInNeurons[name] { return k }
        installLock.lock(); defer { installLock.unlock() }
        return installed[name]
    }

    /// Makes a generated model known by its name for the rest of the process, as NEST's
    /// `Install` does with a module's models. Installing a name again replaces the earlier
    /// model (a description edited and read again); populations built already keep theirs.
    /// A built-in model's name or a device's cannot be taken.
    public static func install(_ kind: NeuronKind) throws {
        if builtInNeurons[kind.name] != nil || deviceModels[kind.name] != nil {
            throw PlexusError("model '\(kind.name)' is a built-in Plexus model: give the description another name", file: kind.source)
        }
        installLock.lock(); defer { installLock.unlock() }
        installed[kind.name] = kind
    }
}
