import PlexusCore

/// Pulse packets (NEST `pulsepacket_generator`): `activity` spikes around each time of
/// `pulse_times`, Gaussian with standard deviation `sdev`, the same train for every target
/// (through its synapses). The engine draws the spikes (`PulsePackets`).
public struct PulsepacketGenerator: StimulationDevice {
    public static let name = "pulsepacket_generator"
    public static let parameters: [ParameterSpec] = [
        .init("activity", .one, 0, "number of spikes in each packet (whole number >= 0)"),
        .init("sdev", .ms, 0, "standard deviation of the spike times around a packet's centre"),
    ] + ActivityWindow.parameters
    public static let listParameters: [ListParameterSpec] = [
        .init("pulse_times", .ms, "centres of the packets"),
    ]

    public let window: ActivityWindow
    public let packets: PulsePackets

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        let activity = try DeviceCheck.integer(p, "activity", atLeast: 0)
        try DeviceCheck.nonNegative(p, "sdev")
        let times = p.list("pulse_times") ?? []
        for (k, t) in times.enumerated() where !t.isFinite || abs(t) > 1e12 {
            throw PlexusError("pulse_times[\(k)] = \(t) ms must be a finite time within ±1e12 ms", keyPath: "pulse_times[\(k)]")
        }
        window = try ActivityWindow(p, grid: grid)
        packets = PulsePackets(pulseTimes: times.sorted(), activity: activity, sdev: p["sdev"],
                               startStep: window.startStep, stopStep: window.stopStep)
    }

    public var output: DeviceOutput { .spikes(SpikeTrain(steps: [], multiplicities: [], packets: packets)) }
}
