import PlexusCore

/// A piecewise-constant current (NEST `step_current_generator`): `amplitude_values[k]` pA from
/// `amplitude_times[k]` on, 0 before the first time. The times are absolute (origin shifts only
/// start and stop), > 0 and strictly increasing in steps. As in NEST 3.10:
/// - a time is on the grid when it is a whole number of steps once rounded to NEST's tic (1 µs);
///   off the grid it is refused, or with `allow_offgrid_times` moved to the end of its step;
/// - the current takes its new value in the step that ends at the amplitude time (NEST changes
///   it one step ahead), and it follows the amplitude times also while the generator is
///   inactive; it is sent while origin + start < t + 2 steps <= origin + stop, like every
///   current generator;
/// - the connection's weight scales it, and it reaches the target `delay` later.
public struct StepCurrentGenerator: StimulationDevice {
    public static let name = "step_current_generator"
    public static let parameters: [ParameterSpec] = [
        .init("allow_offgrid_times", .one, 0,
              "true (1): amplitude times between grid points move to the end of their step; false (0): refused"),
    ] + ActivityWindow.parameters
    public static let listParameters: [ListParameterSpec] = [
        .init("amplitude_times", .ms, "times at which the current changes (absolute, > 0, strictly increasing)"),
        .init("amplitude_values", .pA, "the current from each amplitude time on"),
    ]

    public let window: ActivityWindow
    /// The amplitude times as steps (time = steps · resolution), after moving off-grid ones.
    public let stepStamps: [Int64]
    /// pA, one per stamp.
    public let values: [Double]

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        let allowOffgrid = p["allow_offgrid_times"]
        guard allowOffgrid == 0 || allowOffgrid == 1 else {
            throw PlexusError("allow_offgrid_times is true or false (1 or 0), got \(allowOffgrid)", keyPath: "allow_offgrid_times")
        }
        window = try ActivityWindow(p, grid: grid)
        let times = p.list("amplitude_times") ?? []
        values = p.list("amplitude_values") ?? []
        guard times.count == values.count else {
            throw PlexusError("amplitude_times has \(times.count) values but amplitude_values has \(values.count): they go in pairs",
                              keyPath: p.list("amplitude_values") == nil ? "amplitude_times" : "amplitude_values")
        }
        // NEST's time arithmetic: 1000 tics per ms, the resolution a whole number of tics.
        let ticsPerMs = 1000.0
        let ticsPerStep = max(1, Int64((grid.h * ticsPerMs).rounded()))
        let msPerStep = Double(ticsPerStep) / ticsPerMs
        var stamps: [Int64] = []
        for (k, t) in times.enumerated() {
            let name = "amplitude_times[\(k)]"
            guard t > 0 else { throw PlexusError.outOfRange(name, t, "the amplitude can only change at times > 0 ms") }
            try PointNetwork.checkTime(t, name, grid: grid, keyPath: name)
            // Time::ms: to the nearest tic.
            var tics = Int64(t * ticsPerMs + 0.5)
            if tics % ticsPerStep != 0 {
                guard allowOffgrid == 1 else {
                    throw PlexusError("amplitude time \(t) ms is not on the \(grid.h) ms grid (allow_offgrid_times: true moves it to the end of its step)",
                                      keyPath: name)
                }
                // Time::ms_stamp: the end of the step in which t lies.
                tics = Int64(t * ticsPerMs)
                tics -= tics % ticsPerStep
                if Double(tics) * (1 / Double(ticsPerStep)) * msPerStep < t { tics += ticsPerStep }
            }
            let stamp = tics / ticsPerStep
            if let last = stamps.last, stamp <= last {
                throw PlexusError("amplitude_times must be strictly increasing steps: \(t) ms (step \(stamp)) does not come after \(times[k - 1]) ms (step \(last))",
                                  keyPath: name)
            }
            stamps.append(stamp)
        }
        stepStamps = stamps
    }

    public var output: DeviceOutput {
        // The value of stamp s is emitted from step s - 1 on: the step that ends at its time.
        .current(CurrentWaveform(amplitude: 0,
                                 changes: zip(stepStamps, values).map { CurrentWaveform.Change(step: $0 - 1, amplitude: $1) },
                                 startStep: window.startStep, stopStep: window.stopStep))
    }
}
