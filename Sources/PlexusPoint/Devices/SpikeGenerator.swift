import PlexusCore

/// Spikes at given times (NEST `spike_generator`), the same for every target, through its
/// synapses; `spike_weights` multiply the synaptic weight. Times are relative to `origin` and on
/// the grid; a spike at t is emitted in the step that ends at t if origin + start < t <= origin + stop.
/// With `precise_times` (NEST's option) times may lie off the grid and are kept exactly: a spike
/// at t is stamped with the end of the step that holds it (NEST's `Time::ms_stamp`) and carries
/// its offset stamp − t, which precise-timing targets (`*_ps`) see and grid models ignore; its
/// weight must then be a whole number (it travels as the spike's multiplicity).
public struct SpikeGenerator: StimulationDevice {
    public static let name = "spike_generator"
    public static let parameters: [ParameterSpec] = ActivityWindow.parameters + [
        .init("precise_times", .one, 0, "1 (true): spike times off the grid are kept exactly, as offsets within their steps"),
    ]
    public static let listParameters: [ListParameterSpec] = [
        .init("spike_times", .ms, "spike times, sorted, on the grid, > 0"),
        .init("spike_weights", .one, "one weight multiplier per spike (default 1)"),
    ]

    public let window: ActivityWindow
    public let train: SpikeTrain

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        window = try ActivityWindow(p, grid: grid)
        let times = p.list("spike_times") ?? []
        let weights = p.list("spike_weights")
        if let weights, weights.count != times.count {
            throw PlexusError("spike_weights has \(weights.count) values but spike_times has \(times.count)", keyPath: "spike_weights")
        }
        let precise = p["precise_times"]
        guard precise == 0 || precise == 1 else {
            throw PlexusError.outOfRange("precise_times", precise, "must be true or false", keyPath: "precise_times")
        }
        if precise == 1 {
            train = try Self.preciseTrain(times: times, weights: weights, window: window, grid: grid)
            return
        }
        let origin = window.origin, start = window.start, stop = window.stop
        var steps: [Int64] = [], mult: [Double] = []
        var last = -Double.infinity
        for (k, t) in times.enumerated() {
            let kp = "spike_times[\(k)]"
            guard t.isFinite, t > 0 else { throw PlexusError.outOfRange("spike_times[\(k)]", t, "must be > 0 ms", keyPath: kp) }
            try PointNetwork.checkTime(t, "spike_times[\(k)]", grid: grid, keyPath: kp)
            guard grid.isOnGrid(t) else {
                throw PlexusError("spike time \(t) ms is not on the \(grid.h) ms grid (precise_times: true keeps off-grid times)", keyPath: kp)
            }
            guard t >= last else { throw PlexusError("spike_times must be sorted; \(t) ms follows \(last) ms", keyPath: kp) }
            last = t
            let tt = t + origin
            // Emitted in the step that ends at t (stamped t), if inside (start, stop].
            if tt > origin + start && tt <= origin + stop {
                steps.append(grid.steps(tt) - 1)
                mult.append(weights?[k] ?? 1)
            }
        }
        train = SpikeTrain(steps: steps, multiplicities: mult)
    }

    /// NEST's precise_times: t is stamped with `Time::ms_stamp(t)` (truncate to tics, down to a
    /// whole step, up by one step unless that lands on t) and keeps the offset stamp − t, set to
    /// 0 within rounding of t (NEST's test: below 2 ε (stamp + t), or subnormal).
    static func preciseTrain(times: [Double], weights: [Double]?, window: ActivityWindow, grid: TimeGrid) throws -> SpikeTrain {
        let originSteps = grid.steps(window.origin)
        var steps: [Int64] = [], mult: [Double] = [], offsets: [Double] = []
        var last = -Double.infinity
        for (k, t) in times.enumerated() {
            let kp = "spike_times[\(k)]"
            guard t.isFinite, t > 0 else { throw PlexusError.outOfRange("spike_times[\(k)]", t, "must be a finite time > 0 ms", keyPath: kp) }
            try PointNetwork.checkTime(t, "spike_times[\(k)]", grid: grid, keyPath: kp)
            guard t >= last else { throw PlexusError("spike_times must be sorted; \(t) ms follows \(last) ms", keyPath: kp) }
            last = t
            let w = weights?[k] ?? 1
            guard w == w.rounded(), w != 0, abs(w) < 2_147_483_648 else {
                throw PlexusError.outOfRange("spike_weights[\(k)]", w, "must be a whole number other than 0 with precise_times (it travels as the spike's multiplicity)",
                                             keyPath: "spike_weights[\(k)]")
            }
            let (stampSteps, stampMs) = grid.nestMsStamp(t)
            var offset = stampMs - t
            if abs(offset) < Double.ulpOfOne * abs(stampMs + t) * 2 || abs(offset) < Double.leastNormalMagnitude { offset = 0 }
            // Stamped at the end of step stamp − 1 (0-based), relative to origin; emitted if
            // origin + start < stamp <= origin + stop.
            let stamp = stampSteps + originSteps
            if stamp > window.startStep && stamp <= window.stopStep {
                steps.append(stamp - 1)
                mult.append(w)
                offsets.append(offset)
            }
        }
        var train = SpikeTrain(steps: steps, multiplicities: mult)
        train.offsets = offsets
        return train
    }

    public var output: DeviceOutput { .spikes(train) }
}
