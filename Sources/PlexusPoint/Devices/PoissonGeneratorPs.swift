import PlexusCore

/// Poisson spike trains with precise (off-grid) spike times and an optional dead time (NEST
/// `poisson_generator_ps`): every target gets its own train, intervals dead_time + an
/// exponential interval of mean 1/rate − dead_time, spike times kept exactly (as offsets within
/// their steps) for precise-timing targets; grid targets take them on the grid. Active for spike
/// times in (origin + start, origin + stop]. Draws are Plexus's streams (seed, statement,
/// target, event number): the same for any threads and ranks, not NEST's numbers.
public struct PoissonGeneratorPs: StimulationDevice {
    public static let name = "poisson_generator_ps"
    public static let parameters: [ParameterSpec] = [
        .init("rate", .Hz, 0, "mean firing rate of each (independent) output train"),
        .init("dead_time", .ms, 0, "dead time after each spike"),
    ] + ActivityWindow.parameters

    public let train: PrecisePoissonTrain

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        // NEST's order: dead time, rate, then the two together.
        try DeviceCheck.nonNegative(p, "dead_time")
        try DeviceCheck.nonNegative(p, "rate")
        let rate = p["rate"], dead = p["dead_time"]
        if rate > 0 && 1000 / rate < dead {
            throw PlexusError("the inverse rate 1000 / rate = \(1000 / rate) ms cannot be shorter than dead_time = \(dead) ms", keyPath: "dead_time")
        }
        let window = try ActivityWindow(p, grid: grid)
        train = PrecisePoissonTrain(rate: rate, deadTime: dead, startStep: max(0, window.startStep), stopStep: window.stopStep)
    }

    public var output: DeviceOutput { .precisePoisson(train) }
}

/// Independent Poisson trains with dead time and precise spike times, one per target.
public struct PrecisePoissonTrain: Sendable {
    /// Hz.
    public var rate: Double
    /// ms.
    public var deadTime: Double
    /// Spike stamps in (startStep, stopStep] (steps).
    public var startStep: Int64
    public var stopStep: Int64

    /// Mean of the exponential part of an interval (ms), NEST's inv_rate_ms_ (infinite at rate 0).
    public var exponentialMean: Double { rate > 0 ? 1000 / rate - deadTime : .infinity }
}
