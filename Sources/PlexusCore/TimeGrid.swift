/// Simulation time is an integer number of steps of the resolution `h`; milliseconds appear only
/// at the edges (descriptions, outputs). Step `s` (0-based) covers the interval (s·h, (s+1)·h];
/// events that happen in it are stamped with its end time (s+1)·h, as NEST does.
public struct TimeGrid: Sendable, Equatable, Codable {
    /// Resolution in ms.
    public let h: Double

    public init(resolution h: Double) throws {
        guard h.isFinite, h > 0 else {
            throw PlexusError.outOfRange("resolution", h, "must be a positive number of ms", keyPath: "resolution")
        }
        self.h = h
    }

    /// Nearest whole number of steps for a time in ms (NEST rounds delays and durations this way).
    @inlinable public func steps(_ ms: Double) -> Int64 { Int64((ms / h).rounded()) }

    /// NEST's tics per step (its default 1000 tics per ms): NEST's times in ms are tics / 1000.
    @inlinable public var ticsPerStep: Int64 { max(1, Int64((h * 1000).rounded())) }

    /// Whether `ms` lies on the grid (within rounding noise).
    @inlinable public func isOnGrid(_ ms: Double) -> Bool {
        let s = ms / h
        return abs(s - s.rounded()) <= 1e-9 * max(1, abs(s))
    }

    /// The number of steps in a run of `ms`: refused unless finite, >= 0, a whole number of steps
    /// (within rounding noise) and at most 2^53 steps, so that no engine rounds a duration
    /// silently or overflows its step counter.
    public func wholeSteps(_ ms: Double, _ name: String, keyPath: String) throws -> Int64 {
        guard ms.isFinite, ms >= 0 else {
            throw PlexusError.outOfRange(name, ms, "must be a time >= 0 ms", keyPath: keyPath)
        }
        guard ms / h <= 9_007_199_254_740_992 else {
            throw PlexusError("\(name) = \(ms) ms is \(ms / h) steps of \(h) ms; at most 2^53 steps fit: use a larger resolution", keyPath: keyPath)
        }
        guard isOnGrid(ms) else {
            let below = time(Int64((ms / h).rounded(.down))), above = time(Int64((ms / h).rounded(.up)))
            throw PlexusError("\(name) = \(ms) ms is not a whole number of steps of \(h) ms (\(below) or \(above) ms would be)", keyPath: keyPath)
        }
        return steps(ms)
    }

    /// Time in ms at the end of step `s` (the stamp of events that happened during it).
    @inlinable public func endTime(ofStep s: Int64) -> Double { time(s + 1) }

    /// The end of step `s` as NEST's `Time::get_ms()` gives a stamp, (s + 1)·tics per step ×
    /// 0.001: precise spike times are this less their offset, to the last bit as NEST records
    /// them. A resolution that is no whole number of NEST's default tics (2^-4 ms and finer
    /// powers of two, which NEST runs with tics_per_ms = 2^14) gives (s + 1)·h, exact there.
    @inlinable public func nestStampTime(ofStep s: Int64) -> Double {
        let tics = h * 1000
        return tics == tics.rounded() ? 0.001 * Double((s + 1) * ticsPerStep) : Double(s + 1) * h
    }

    /// NEST's `Time::ms_stamp(t)`: truncate t to tics, down to a whole step, and up by one step
    /// unless that lands on t; as (steps, NEST's ms of those tics).
    @inlinable public func nestMsStamp(_ t: Double) -> (steps: Int64, ms: Double) {
        let tps = ticsPerStep
        var n = Int64(t * 1000)
        n -= n % tps
        if Double(n) * (1 / Double(tps)) * (Double(tps) / 1000) < t { n += tps }
        return (n / tps, 0.001 * Double(n))
    }

    /// Time in ms of a step boundary, rounded to 1e-9 ms so that 3 steps of 0.1 ms print as 0.3.
    @inlinable public func time(_ steps: Int64) -> Double { (Double(steps) * h * 1e9).rounded() / 1e9 }
}

/// A duration in ms as a number of steps the way NEST converts refractory times,
/// `Time(Time::ms(t)).get_steps()`: round to the nearest tic (1 µs, NEST's default 1000 tics per
/// ms), then round UP to whole steps. On the grid this is t/h; off the grid it differs from
/// rounding to nearest (t_ref = 0.12 ms at h = 0.1 ms is 2 steps in NEST, not 1).
@inlinable public func nestDurationSteps(_ ms: Double, resolution h: Double) -> Int {
    let ticsPerMs = 1000.0
    let tics = Int64(ms * ticsPerMs + 0.5)
    let ticsPerStep = max(1, Int64((h * ticsPerMs).rounded()))
    return Int((tics + ticsPerStep - 1) / ticsPerStep)
}
