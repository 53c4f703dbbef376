import Foundation
import PlexusCore
import PlexusIO

/// A repeated run compared with the original, file by file.
public struct RerunOutcome: Sendable {
    /// What the repeat could not make identical by construction (another version or commit).
    public let notes: [String]
    public let comparisons: [OutputComparison]
    /// The repeated run's folder (deleted unless kept).
    public let directory: String
    public let seconds: Double

    public var identical: Bool { comparisons.allSatisfy(\.identical) }
}

extension Session {
    /// `plexus rerun`: repeats a finished run from its record (the experiment's text, seed and
    /// threads, or `threads`) into a temporary folder and compares every output file by SHA-256.
    /// `started` is told what is repeated before it runs.
    public static func rerun(directory: String, threads: Int? = nil, keep: Bool = false,
                             started: (String) -> Void = { _ in }) throws -> RerunOutcome {
        let (record, _) = try RunFolder.readRecord(directory)
        let recordPath = URL(fileURLWithPath: directory).appendingPathComponent(RunFolder.recordFile).path
        let file = record.experimentFile
        // The record is checked like a new file: it may have been edited or damaged since.
        guard record.threads >= 1 || threads != nil else {
            throw PlexusError("threads = \(record.threads) is out of range: must be at least 1 (give --threads to override)",
                              file: recordPath, keyPath: "threads")
        }
        // The experiment as it was: its text from the record, else the file if unchanged.
        var text = record.experimentYAML
        if let recorded = text, SHA256.hex(Array(recorded.utf8)) != record.experimentSHA256 {
            throw PlexusError("the recorded experiment text does not match the recorded experiment_sha256: the record was edited or damaged",
                              file: recordPath, keyPath: "experiment_yaml")
        }
        if text == nil {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw PlexusError("provenance.json has no experiment text and the experiment file is gone", file: file)
            }
            guard SHA256.hex(data) == record.experimentSHA256 else {
                throw PlexusError("the experiment file changed since the run (SHA-256 differs) and provenance.json has no copy of it", file: file)
            }
            text = String(decoding: data, as: UTF8.self)
        }
        var notes: [String] = []
        if record.plexusVersion != RunRecord.version {
            notes.append("the run was made by Plexus \(record.plexusVersion); this is \(RunRecord.version)")
        }
        if let c = record.gitCommit, let now = Provenance.gitCommit, c != now {
            notes.append("the run was made at commit \(c.prefix(12)); the source tree is now at \(now.prefix(12))")
        }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-rerun-\(ProcessInfo.processInfo.processIdentifier)-\(UInt64(Date().timeIntervalSince1970 * 1000))")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(at: tmp) } }
        let out = tmp.appendingPathComponent("run").path
        let n = threads ?? record.threads
        started("repeating \(file) (seed \(record.seed.map(String.init) ?? "default"), \(n) threads) ...")
        let t0 = ResourceUsage.now()
        // The recorded text, read as if it were the file: paths it names relative to itself
        // (SWC files, connectomes) resolve as they did.
        let request = RunRequest(file: file, text: text, out: out, threads: n, seed: record.seed, quiet: true, noReport: true)
        do {
            switch record.command {
            case .sweep: try sweep(request)
            case .fit: try fit(request)
            case .run:
                if let changes = record.changes, !changes.isEmpty {
                    // A run in pieces: the same changes at the same times, then to its end.
                    let run = try ContinuingRun(request)
                    for (k, c) in changes.enumerated() {
                        try run.advance(to: c.atMs)
                        guard c.neurons == nil || c.neurons!.count == 2 else {
                            throw PlexusError("changes[\(k)].neurons must be [first, count]", file: recordPath, keyPath: "changes[\(k)].neurons")
                        }
                        try run.set(population: c.population, params: c.params, neurons: c.neurons.map { $0[0]..<($0[0] + $0[1]) })
                    }
                    try run.advance(to: record.durationMs)
                    _ = try run.finish()
                } else {
                    try run(request)
                }
            }
        } catch var e as PlexusError where e.file == file && record.experimentYAML != nil {
            // Lines refer to the recorded copy, which the file may no longer match.
            e.message = "in the experiment recorded in \(recordPath) (experiment_yaml, a copy of this file at the run): " + e.message
            throw e
        }
        return RerunOutcome(notes: notes, comparisons: try Provenance.compareOutputs(original: directory, rerun: out),
                            directory: out, seconds: ResourceUsage.now() - t0)
    }
}
