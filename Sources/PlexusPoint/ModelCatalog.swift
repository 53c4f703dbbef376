import PlexusCore

/// The models and devices Plexus knows, by NEST's names.
public enum ModelCatalog {
    // Neuron models: `builtInNeurons`, `neuronModels` and `neuron(_:)` (NeuronKind.swift).

    /// Stimulation devices by NEST name (not neurons: they have no state columns and are not
    /// updated). `deviceTypes` is generated from the conformances to `StimulationDevice`
    /// (Devices/): adding a device is adding its file.
    public static let deviceModels: [String: DeviceKind] =
        Dictionary(uniqueKeysWithValues: deviceTypes.map { ($0.name, $0) })

    public static var allNames: [String] { (Array(neuronModels.keys) + Array(deviceModels.keys)).sorted() }
}

/// A device kind: the type of one `StimulationDevice` (its `name`, `parameters` and
/// `listParameters` are static). Formerly an enum with a case per device; the name is kept so
/// that `ModelCatalog.deviceModels` and `PopulationInfo.Kind.device` read as before.
public typealias DeviceKind = any StimulationDevice.Type
