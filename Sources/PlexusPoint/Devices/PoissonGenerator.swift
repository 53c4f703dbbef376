import PlexusCore

/// Poisson spike trains (NEST `poisson_generator`): every target gets its own independent train
/// of rate `rate`, active in the window (origin + start, origin + stop].
public struct PoissonGenerator: StimulationDevice {
    public static let name = "poisson_generator"
    public static let parameters: [ParameterSpec] =
        [.init("rate", .Hz, 0, "mean firing rate of each (independent) output train")] + ActivityWindow.parameters

    /// Hz
    public let rate: Double
    public let window: ActivityWindow
    public let train: PoissonTrain

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        try DeviceCheck.nonNegative(p, "rate")
        rate = p["rate"]
        // The Poisson sampler returns counts as Int: its mean per step must stay far inside.
        if rate * grid.h / 1000 > PointNetwork.maxSteps {
            throw PlexusError("rate \(rate) Hz is too high: the mean count per step (rate × \(grid.h) ms) must stay below 2^53",
                              keyPath: "rate")
        }
        window = try ActivityWindow(p, grid: grid)
        train = PoissonTrain(lambda: rate * grid.h / 1000, startStep: window.startStep, stopStep: window.stopStep)
    }

    public var output: DeviceOutput { .poisson(train) }
}
