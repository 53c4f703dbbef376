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

    /// Physical memory of this machine in bytes, or nil if unknown.
    public static func physicalMemoryBytes() -> Double? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        return Double(pages) * Double(size)
    }

    /// Refuses, before anything is allocated, a network whose lower-bound memory estimate
    /// (`bytes`, for `what`) exceeds this machine's memory: an error that says how much it needs,
    /// instead of an abort ("failed to allocate") part-way through the build.
    public static func checkFits(_ bytes: Double, _ what: String, keyPath: String? = nil) throws {
        guard let have = physicalMemoryBytes(), !(bytes <= have) else { return }
        func gib(_ b: Double) -> String { String(Double((b / 1_073_741_824 * 10).rounded()) / 10) }
        throw PlexusError("this network needs at least \(gib(bytes)) GiB for \(what); this machine has \(gib(have)) GiB", keyPath: keyPath)
    }

    /// Seconds on a monotonic clock.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
