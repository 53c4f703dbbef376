import Foundation
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

    /// A ceiling below the machine's memory for what one run may build (bytes), set by a caller
    /// that must stay small (the fuzz targets, tests of the check itself); nil: no ceiling.
    /// Set before a run starts, never during one.
    nonisolated(unsafe) public static var memoryCeilingBytes: Double? = nil

    /// The memory a run may use: the machine's physical memory, or less where a control group
    /// (a container, a batch job's allocation) limits this process, or less again under
    /// `memoryCeilingBytes`. nil when nothing is known.
    public static func memoryAvailableBytes() -> Double? {
        var limits: [Double] = [physicalMemoryBytes(), memoryCeilingBytes].compactMap { $0 }
        // cgroup v2 ("max" means none), then v1 (a huge number means none).
        for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
               let v = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), v > 0, v < 1e18 {
                limits.append(v)
                break
            }
        }
        return limits.min()
    }

    /// Refuses, before anything is allocated, a network whose lower-bound memory estimate
    /// (`bytes`, for `what`) exceeds the memory this run may use (`memoryAvailableBytes`): an
    /// error that says how much it needs, instead of an abort ("failed to allocate") part-way
    /// through the build.
    public static func checkFits(_ bytes: Double, _ what: String, keyPath: String? = nil) throws {
        guard let have = memoryAvailableBytes(), !(bytes <= have) else { return }
        func gib(_ b: Double) -> String { b < 1_073_741_824 ? String(Double((b / 1_048_576 * 10).rounded()) / 10) + " MiB" : String(Double((b / 1_073_741_824 * 10).rounded()) / 10) + " GiB" }
        throw PlexusError("this network needs at least \(gib(bytes)) for \(what); this machine has \(gib(have))", keyPath: keyPath)
    }

    /// Seconds on a monotonic clock.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
