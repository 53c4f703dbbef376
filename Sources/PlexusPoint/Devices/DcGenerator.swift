import PlexusCore

/// A constant current (NEST `dc_generator`), `amplitude` pA while active.
public struct DcGenerator: StimulationDevice {
    public static let name = "dc_generator"
    public static let parameters: [ParameterSpec] =
        [.init("amplitude", .pA, 0, "constant current")] + ActivityWindow.parameters

    /// pA
    public let amplitude: Double
    public let window: ActivityWindow

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        amplitude = p["amplitude"]
        window = try ActivityWindow(p, grid: grid)
    }

    public var output: DeviceOutput {
        .current(CurrentWaveform(amplitude: amplitude, startStep: window.startStep, stopStep: window.stopStep))
    }
}
