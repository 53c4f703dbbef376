import PlexusCore

/// NEST's `volume_transmitter` as a node: it collects the spikes of the (dopaminergic) sources
/// connected to it and hands them to the stdp_dopamine_synapses that name it, every
/// `deliver_interval` min delays (VolumeTransmitter.swift does the synapses' side).
public struct VolumeTransmitterDevice: StimulationDevice {
    public static let name = "volume_transmitter"
    public static let parameters: [ParameterSpec] = [
        .init("deliver_interval", .one, 1, "triggers of its dopamine synapses, every this many min delays"),
    ]

    public let deliverInterval: Int64

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        let d = p["deliver_interval"]
        guard d >= 1 && d == d.rounded() && d <= 1e9 else {
            throw PlexusError.outOfRange("deliver_interval", d, "must be a whole number >= 1")
        }
        deliverInterval = Int64(d)
    }

    public var output: DeviceOutput { .volumeTransmitter(deliverInterval: deliverInterval) }
}
