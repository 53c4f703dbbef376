#if canImport(Glibc)
import Glibc
#endif

/// Process facts for provenance and benchmarks.
public enum ResourceUsage {
    /// Peak resident set size of this process in bytes (Linux VmHWM), or nil if unknown.
    public static func peakRSSBytes() -> Int? {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return nil }
        return Int(usage.ru_maxrss) * 1024
    }

    /// CPU seconds of this process so far, all threads (user and system): less sensitive than
    /// wall time to other jobs on a shared machine.
    public static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Seconds on a monotonic clock.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
