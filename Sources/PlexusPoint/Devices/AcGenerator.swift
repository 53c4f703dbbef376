import PlexusCore

/// A sinusoidal current (NEST `ac_generator`): `offset + amplitude·sin(2π·frequency·t + phase)` pA
/// while active, t at the end of each step.
public struct AcGenerator: StimulationDevice {
    public static let name = "ac_generator"
    public static let parameters: [ParameterSpec] = [
        .init("amplitude", .pA, 0, "amplitude of the sine"),
        .init("offset", .pA, 0, "constant current added"),
        .init("frequency", .Hz, 0, "frequency"),
        .init("phase", .one, 0, "phase in degrees"),
    ] + ActivityWindow.parameters

    /// pA
    public let amplitude, offset: Double
    /// Hz
    public let frequency: Double
    /// degrees
    public let phase: Double
    public let window: ActivityWindow

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        amplitude = p["amplitude"]
        offset = p["offset"]
        frequency = p["frequency"]
        phase = p["phase"]
        window = try ActivityWindow(p, grid: grid)
    }

    public var output: DeviceOutput {
        .current(CurrentWaveform(amplitude: offset,
                                 sine: Sinusoid(amplitude: amplitude, omega: 2 * Double.pi * frequency / 1000, phase: phase * Double.pi / 180),
                                 startStep: window.startStep, stopStep: window.stopStep))
    }
}
