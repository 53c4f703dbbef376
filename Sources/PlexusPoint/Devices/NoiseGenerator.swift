import PlexusCore

/// Gaussian white noise current (NEST `noise_generator`): a new value every `dt`,
/// `mean + sqrt(std² + std_mod²·sin(2π·frequency·t + phase))·N(0, 1)` pA, drawn for every target
/// separately.
public struct NoiseGenerator: StimulationDevice {
    public static let name = "noise_generator"
    public static let parameters: [ParameterSpec] = [
        .init("mean", .pA, 0, "mean of the current"),
        .init("std", .pA, 0, "standard deviation of the current"),
        .init("dt", .ms, .nan, "interval between current changes (default 10 steps, 1 ms at 0.1 ms)"),
        .init("std_mod", .pA, 0, "modulation amplitude of the standard deviation"),
        .init("frequency", .Hz, 0, "frequency of the std modulation"),
        .init("phase", .one, 0, "phase of the std modulation in degrees"),
    ] + ActivityWindow.parameters

    /// pA
    public let mean, std, stdMod: Double
    /// Hz
    public let frequency: Double
    /// degrees
    public let phase: Double
    public let dtSteps: Int64
    public let window: ActivityWindow

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        try DeviceCheck.nonNegative(p, "std", "dt")
        mean = p["mean"]
        std = p["std"]
        stdMod = p["std_mod"]
        frequency = p["frequency"]
        phase = p["phase"]
        window = try ActivityWindow(p, grid: grid)
        // dt defaults to 10 steps (NEST); it must lie on the grid.
        let dt = p["dt"]
        if !dt.isNaN && !(dt > 0 && grid.isOnGrid(dt)) {
            throw PlexusError("dt \(dt) ms must be a positive multiple of the resolution \(grid.h) ms", keyPath: "dt")
        }
        dtSteps = dt.isNaN ? 10 : max(1, grid.steps(dt))
    }

    public var output: DeviceOutput {
        .current(CurrentWaveform(
            amplitude: mean,
            noise: GaussianNoise(std: std, stdMod: stdMod, omega: 2 * Double.pi * frequency / 1000,
                                 phase: phase * Double.pi / 180, dtSteps: dtSteps),
            startStep: window.startStep, stopStep: window.stopStep))
    }
}
