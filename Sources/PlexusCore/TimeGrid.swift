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

    /// Whether `ms` lies on the grid (within rounding noise).
    @inlinable public func isOnGrid(_ ms: Double) -> Bool {
        let s = ms / h
        return abs(s - s.rounded()) <= 1e-9 * max(1, abs(s))
    }

    /// Time in ms at the end of step `s` (the stamp of events that happened during it).
    @inlinable public func endTime(ofStep s: Int64) -> Double { Double(s + 1) * h }

    /// Time in ms of a step boundary.
    @inlinable public func time(_ steps: Int64) -> Double { Double(steps) * h }
}
