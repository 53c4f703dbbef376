import PlexusCore

/// The models and devices Plexus knows, by NEST's names.
public enum ModelCatalog {
    /// Neuron models by NEST name. `neuronTypes` is generated from the conformances to
    /// `PointNeuronModel`: adding a model is adding its file.
    public static let neuronModels: [String: any PointNeuronModel.Type] =
        Dictionary(uniqueKeysWithValues: neuronTypes.map { ($0.name, $0) })

    /// Stimulation devices (not neurons: they have no state columns and are not updated).
    public static let deviceModels: [String: DeviceKind] = Dictionary(
        uniqueKeysWithValues: DeviceKind.allCases.map { ($0.rawValue, $0) })

    public static var allNames: [String] { (Array(neuronModels.keys) + Array(deviceModels.keys)).sorted() }
}

public enum DeviceKind: String, CaseIterable, Sendable {
    case poissonGenerator = "poisson_generator"
    case dcGenerator = "dc_generator"
    case noiseGenerator = "noise_generator"
    case spikeGenerator = "spike_generator"
    case volumeTransmitter = "volume_transmitter"

    /// Parameters with NEST's names, units and defaults.
    public var parameters: [ParameterSpec] {
        let window: [ParameterSpec] = [
            .init("start", .time, 0, "activation time, relative to origin"),
            .init("stop", .time, .infinity, "deactivation time, relative to origin"),
            .init("origin", .time, 0, "time origin of start and stop"),
        ]
        switch self {
        case .poissonGenerator:
            return [.init("rate", .rate, 0, "mean firing rate of each (independent) output train")] + window
        case .dcGenerator:
            return [.init("amplitude", .current, 0, "constant current")] + window
        case .noiseGenerator:
            return [
                .init("mean", .current, 0, "mean of the current"),
                .init("std", .current, 0, "standard deviation of the current"),
                .init("dt", .time, .nan, "interval between current changes (default 10 steps, 1 ms at 0.1 ms)"),
                .init("std_mod", .current, 0, "modulation amplitude of the standard deviation"),
                .init("frequency", .rate, 0, "frequency of the std modulation"),
                .init("phase", .dimensionless, 0, "phase of the std modulation in degrees"),
            ] + window
        case .spikeGenerator:
            return window
        case .volumeTransmitter:
            return [.init("deliver_interval", .dimensionless, 1, "triggers of its dopamine synapses, every this many min delays")]
        }
    }

    /// Parameters that are lists rather than numbers.
    public var listParameters: [(name: String, dimension: Dimension)] {
        self == .spikeGenerator ? [("spike_times", .time), ("spike_weights", .dimensionless)] : []
    }

    /// Whether the device's output goes through spike delivery (synapses) rather than straight
    /// into the target's input buffers.
    var emitsSharedSpikes: Bool { self == .spikeGenerator }

    /// Whether the device receives spikes (from neurons or spike generators) instead of sending.
    var receivesSpikes: Bool { self == .volumeTransmitter }
}
