import PlexusCore

/// Spikes at given times (NEST `spike_generator`), the same for every target, through its
/// synapses; `spike_weights` multiply the synaptic weight. Times are relative to `origin` and on
/// the grid; a spike at t is emitted in the step that ends at t if origin + start < t <= origin + stop.
public struct SpikeGenerator: StimulationDevice {
    public static let name = "spike_generator"
    public static let parameters: [ParameterSpec] = ActivityWindow.parameters
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
        let origin = window.origin, start = window.start, stop = window.stop
        var steps: [Int64] = [], mult: [Double] = []
        var last = -Double.infinity
        for (k, t) in times.enumerated() {
            let kp = "spike_times[\(k)]"
            guard t.isFinite, t > 0 else { throw PlexusError.outOfRange("spike_times[\(k)]", t, "must be > 0 ms", keyPath: kp) }
            try PointNetwork.checkTime(t, "spike_times[\(k)]", grid: grid, keyPath: kp)
            guard grid.isOnGrid(t) else {
                throw PlexusError("spike time \(t) ms is not on the \(grid.h) ms grid", keyPath: kp)
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

    public var output: DeviceOutput { .spikes(train) }
}
