import ArgumentParser
import Foundation
import Plexus

/// Where results go and how a run speaks: shared by `plexus run` and `plexus sweep`.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output folder (default: runs/<file name>/).")
    var out: String?

    @Option(name: .long, help: "Random seed (overrides the file's `seed`).")
    var seed: UInt64?

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    @Flag(name: .long, help: "Do not write report.html (`plexus report DIR` builds it later).")
    var noReport = false
}

/// `plexus run FILE`: reads the file's `engine:` and hands the run to that engine's runner.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Simulate an experiment file and write its results.")

    @Argument(help: "Experiment file (YAML).")
    var file: String

    @Option(name: .long, help: "Worker threads (results are identical for any number).")
    var threads: Int = 1

    @OptionGroup var options: OutputOptions

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        do {
            let context = try RunContext(file: file, out: options.out, threads: threads, seed: options.seed, quiet: options.quiet,
                                         noReport: options.noReport)
            switch try ExperimentFile.engine(context.text, file: file) {
            case "point": try PointRunner.run(context)
            case "cable": try CableRunner.run(context)
            case "mass": try MassRunner.run(context)
            case let other: throw PlexusError("unknown engine '\(other)'", file: file)
            }
        } catch let e as PlexusError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// What every engine's runner gets: the file, its text, the options, and shared helpers for
/// messages, errors located by line, and the common part of the provenance record.
struct RunContext {
    let file: String
    let text: String
    let lines: [String: Int]
    let outDir: String
    let threads: Int
    let seed: UInt64?
    let quiet: Bool
    /// Skip report.html.
    let noReport: Bool
    let started = Provenance.isoNow()
    let t0 = ResourceUsage.now()

    init(file: String, out: String?, threads: Int, seed: UInt64?, quiet: Bool, noReport: Bool = false) throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw PlexusError("cannot read the experiment file", file: file)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PlexusError("the experiment file is not UTF-8 text", file: file)
        }
        self.file = file
        self.text = text
        lines = ExperimentFile.lineIndex(text)
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        outDir = out ?? "runs/\(name)"
        self.threads = threads
        self.seed = seed
        self.quiet = quiet
        self.noReport = noReport
    }

    var name: String { URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent }

    func say(_ s: String) { if !quiet { print(s) } }

    /// The error with the line of its key path filled in.
    func locate(_ e: PlexusError) -> PlexusError { ExperimentFile.locate(e, file: file, index: lines) }

    /// Runs `body`, locating any PlexusError it throws in the experiment file.
    func located<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as PlexusError { throw locate(e) }
    }

    /// Provenance fields every engine writes; the runner adds its own (engine, experiment,
    /// timings, counts) before `RunOutput.writeProvenance`.
    func provenanceBase(seed: UInt64?) -> [String: Any] {
        var record: [String: Any] = [
            "plexus_version": Provenance.version,
            "command": CommandLine.arguments,
            "experiment_file": file,
            "experiment_sha256": SHA256.hex(Array(text.utf8)),
            "experiment_yaml": text,   // what `plexus rerun` repeats
            "build": Provenance.build,
            "threads": threads,
            "machine": Provenance.machine,
            "started_utc": started,
            "finished_utc": Provenance.isoNow(),
        ]
        if let seed { record["seed"] = seed }
        if let c = Provenance.gitCommit { record["git_commit"] = c }
        if let d = Provenance.gitDirty { record["git_dirty"] = d }
        if let rss = ResourceUsage.peakRSSBytes() { record["peak_rss_bytes"] = rss }
        return record
    }
}

/// Progress on a terminal for runs longer than a second.
final class Progress {
    let enabled: Bool
    let start: Double
    let duration: Double
    var lastDraw = 0.0
    var drawn = false

    init(enabled: Bool, start: Double, duration: Double) {
        self.enabled = enabled
        self.start = start
        self.duration = duration
    }

    func update(_ fraction: Double) {
        guard enabled else { return }
        let now = ResourceUsage.now()
        guard now - start > 1, now - lastDraw > 0.2 || fraction >= 1 else { return }
        lastDraw = now
        drawn = true
        let width = 30
        let filled = Int(Double(width) * fraction)
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let eta = fraction > 0 ? (now - start) * (1 - fraction) / fraction : 0
        FileHandle.standardError.write(Data(String(format: "\r[%@] %3.0f%%  t = %.0f ms  eta %.0f s ", bar, fraction * 100, fraction * duration, eta).utf8))
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
