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

    /// Memory the kernel could give this process now without swapping (MemAvailable of
    /// /proc/meminfo: free memory plus caches it can drop), or nil when unknown.
    public static func freeMemoryBytes() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kb = Double(fields[1]) { return kb * 1024 }
        }
        return nil
    }

    /// The memory a run may use: what the machine has free now (a network that fits in the
    /// machine but not beside what else runs would swap for hours), or less where a control
    /// group (a container, a batch job's allocation) limits this process, or less again under
    /// `memoryCeilingBytes`. nil when nothing is known.
    public static func memoryAvailableBytes() -> Double? {
        var limits: [Double] = [physicalMemoryBytes(), freeMemoryBytes(), memoryCeilingBytes].compactMap { $0 }
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

    /// Share of the available memory one part of a run may take: the estimates are lower bounds
    /// of one part each, and a part that takes nearly all free memory leaves the run paging for
    /// many minutes (21.7 GiB of input rings on a machine with 22.5 GiB free) before it fails.
    public static let usableShare = 0.8

    /// Refuses, before anything is allocated, a network whose lower-bound memory estimate
    /// (`bytes`, for `what`) exceeds `usableShare` of the memory this run may use
    /// (`memoryAvailableBytes`): an error that says how much it needs, instead of an abort
    /// ("failed to allocate") or hours of paging part-way through the build.
    public static func checkFits(_ bytes: Double, _ what: String, keyPath: String? = nil) throws {
        guard let have = memoryAvailableBytes(), !(bytes <= have * usableShare) else { return }
        let gib = ResourceUsage.describe(bytes:)
        let total = physicalMemoryBytes()
        let of = total.map { $0 > have * 1.05 ? " available (of \(gib($0)))" : "" } ?? ""
        let share = bytes <= have ? ", and one part of a run may take at most \(Int(usableShare * 100))% of that" : ""
        throw PlexusError("this network needs at least \(gib(bytes)) for \(what); this machine has \(gib(have))\(of)\(share)", keyPath: keyPath)
    }

    /// Resident set size of this process now in bytes (/proc/self/statm), or nil if unknown.
    public static func residentBytes() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Double(fields[1]) else { return nil }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// "21.7 GiB", "350.2 MiB": bytes for a message.
    public static func describe(bytes b: Double) -> String {
        b < 1_073_741_824 ? String(Double((b / 1_048_576 * 10).rounded()) / 10) + " MiB" : String(Double((b / 1_073_741_824 * 10).rounded()) / 10) + " GiB"
    }

    /// Seconds on a monotonic clock.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

/// Stops a run whose memory grows while it runs (recorded spikes of a runaway network, weight
/// events, structural synapses), before the machine runs out: `check` reads the process's size
/// at most four times a second and answers an error once the run has grown by more than
/// `ResourceUsage.usableShare` of what it could grow by (what is still free plus its growth so
/// far, or `memoryCeilingBytes`). Growth, not size: the process may hold other things (a test
/// runner, a fuzzer, a Python session) that are not the run's.
public struct MemoryWatch {
    private var next = 0.0
    private let baseline: Double

    public init() { baseline = ResourceUsage.residentBytes() ?? 0 }

    /// nil while memory is fine; else an error saying how much the run took, `when`.
    public mutating func check(_ when: @autoclosure () -> String, holding what: String, keyPath: String? = nil) -> PlexusError? {
        let now = ResourceUsage.now()
        guard now >= next else { return nil }
        next = now + 0.25
        guard let rss = ResourceUsage.residentBytes() else { return nil }
        let grown = max(0, rss - baseline)
        let could = min(grown + (ResourceUsage.freeMemoryBytes() ?? .infinity), ResourceUsage.memoryCeilingBytes ?? .infinity)
        guard grown > ResourceUsage.usableShare * could else { return nil }
        let gib = ResourceUsage.describe(bytes:)
        return PlexusError("the run stopped \(when()): it has taken \(gib(grown)) (\(what)), more than \(Int(ResourceUsage.usableShare * 100))% of the \(gib(could)) this machine has for it",
                           keyPath: keyPath)
    }
}
