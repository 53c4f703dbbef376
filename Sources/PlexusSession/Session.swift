import Foundation
import PlexusCore
import PlexusIO
import PlexusReport

/// What to run and how: the same for the command line, the Python binding and tests.
public struct RunRequest: Sendable {
    /// The experiment file (YAML); paths it names are relative to its folder.
    public var file: String
    /// Its text when it is not read from `file` (a rerun's recorded copy).
    public var text: String?
    /// Output folder (default `runs/<file name>`).
    public var out: String?
    public var threads: Int
    /// Overrides the file's `seed`.
    public var seed: UInt64?
    /// No messages but errors.
    public var quiet: Bool
    /// Skip report.html.
    public var noReport: Bool
    /// Draw a progress bar on standard error (a terminal).
    public var progressBar: Bool
    /// Keep the recorded results in memory (`RunOutcome.arrays`), for bindings.
    public var keepArrays = false
    /// With `keepArrays`, also every synapse of a point network as it stands after the run
    /// (`connections/<synapse model>/sources|targets|weights|delays`): NEST's GetConnections.
    public var keepConnections = false
    /// Called with the fraction done (0...1) as the simulation advances, at most every 1 %
    /// (and at the end), from the thread that runs the loop.
    public var progress: (@Sendable (Double) -> Void)?
    /// The ranks of the run (an MPI launch: `MPICommunicator.world()`); one process by default.
    /// Rank 0 speaks and writes the run folder; errors are agreed, so every rank throws the same.
    public var communicator: any Communicator = SingleProcess.shared
    /// With several ranks: how spikes cross between them (the numbers are the same either way).
    public var spikeExchange: SpikeExchangeMode = .targeted

    /// The most threads a run may ask for.
    public static let maxThreads = 1024

    public init(file: String, text: String? = nil, out: String? = nil, threads: Int = 1, seed: UInt64? = nil,
                quiet: Bool = false, noReport: Bool = false, progressBar: Bool = false) {
        self.file = file; self.text = text; self.out = out; self.threads = threads; self.seed = seed
        self.quiet = quiet; self.noReport = noReport; self.progressBar = progressBar
    }
}

/// A finished run: where it wrote and its record (provenance.json).
public struct RunOutcome: Sendable {
    public let directory: String
    public let record: RunRecord
    /// The recorded results, when the request kept them (`RunRequest.keepArrays`).
    public var arrays: [ResultArray] = []
}

/// A rebuilt report.
public struct ReportOutcome: Sendable {
    public let path: String
    public let figures: Int
    public let bytes: Int
    public let seconds: Double

    /// "runs/x/report.html: 7 figures, 310.2 kB, built in 0.42 s".
    public var summary: String {
        "\(path): \(figures) figures, \(RunReport.bytes(Double(bytes))), built in \(String(format: "%.2f", seconds)) s"
    }
}

/// The shape every engine's runner has: load, build, run, write, report, record. The one place
/// an engine is chosen by name is `Session.runner(for:)`.
protocol EngineRunner {
    static var engine: RunRecord.Engine { get }
    /// Loads, builds and runs the experiment, writes the run folder, its report and record.
    static func run(_ ctx: RunContext) throws -> RunRecord
    /// The report's sections rebuilt from a finished run folder.
    static func sections(directory: String, record: RunRecord) throws -> [ReportSection]
}

/// Running experiments, sweeps, reports and reruns: what `plexus`, the Python binding and an
/// MPI launch all call.
public enum Session {
    static let runners: [any EngineRunner.Type] = [PointRunner.self, CableRunner.self, MassRunner.self]

    static func runner(for engine: RunRecord.Engine) -> any EngineRunner.Type {
        runners.first { $0.engine == engine }!
    }

    /// `plexus run`: simulates the experiment and writes its run folder.
    @discardableResult
    public static func run(_ request: RunRequest) throws -> RunOutcome {
        let ctx = try context(request)
        let record = try runner(for: ctx.engine).run(ctx)
        return RunOutcome(directory: ctx.outDir, record: record, arrays: ctx.kept.arrays)
    }

    /// The context of a run, once the file is read, is one experiment to run, and its folder can
    /// be written.
    static func context(_ request: RunRequest) throws -> RunContext {
        let comm = request.communicator
        guard comm.size > 1 else { return try localContext(request) }
        // Every rank reads the file; rank 0 alone prepares the folder. They leave together.
        return try comm.agreeing { try localContext(request) }
    }

    static func localContext(_ request: RunRequest) throws -> RunContext {
        let ctx = try RunContext(request)
        guard !ctx.source.hasSweep else {
            // Running only the base point would look like a finished exploration.
            throw ctx.locate(PlexusError("this file explores parameters (sweep:): run it with `plexus sweep \(ctx.file)`, "
                                         + "or remove the sweep section to simulate the base point once", file: ctx.file, keyPath: "sweep"))
        }
        guard !FitFile.hasFit(ctx.source) else {
            throw ctx.locate(PlexusError("this file fits parameters (fit:): run it with `plexus fit \(ctx.file)`, "
                                         + "or remove the fit section to simulate the base point once", file: ctx.file, keyPath: "fit"))
        }
        if ctx.writes { try RunFolder.prepare(ctx.outDir) }   // writable before the simulation; the old run stays until the new one writes
        return ctx
    }

    /// `plexus report`: rebuilds a run folder's report.html from its data files and record.
    @discardableResult
    public static func report(directory: String, name: String = "report.html") throws -> ReportOutcome {
        let t0 = ResourceUsage.now()
        let (record, text) = try RunFolder.readRecord(directory)
        try RunFolder.verify(directory, record)
        let sections: [ReportSection]
        do {
            switch record.command {
            case .sweep: sections = MassReport.sweepSections(try MassSweepData.read(directory: directory, record: record))
            case .fit: sections = FitReport.sections(try FitReportData.read(directory: directory, record: record))
            case .run: sections = try runner(for: record.engine).sections(directory: directory, record: record)
            }
        } catch let e as ReportError {
            throw PlexusError(e.message, file: e.file)
        }
        let body = RenderedSections(sections)
        let html = Reports.html(body: body, record: record, recordText: text,
                                extraTimings: [("report (rebuilt by plexus report)", ResourceUsage.now() - t0)])
        var output = try RunOutput(directory: directory)
        try output.writeReport(html, name: name)
        return ReportOutcome(path: directory + "/" + name, figures: body.figures.count, bytes: html.utf8.count,
                             seconds: ResourceUsage.now() - t0)
    }
}

/// One run in progress: the request, the experiment's text and engine, and shared helpers for
/// messages, errors located by line, timing and the common part of the record.
struct RunContext {
    let request: RunRequest
    /// The experiment, read and composed once.
    let source: ExperimentSource
    let outDir: String
    let t0 = ResourceUsage.now()
    let started = RunRecord.isoNow()
    /// The arrays a runner keeps for the outcome (only when the request asks).
    let kept = KeptArrays()

    init(_ request: RunRequest) throws {
        self.request = request
        let file = request.file
        guard request.threads >= 1 else {
            throw PlexusError.outOfRange("threads", Double(request.threads), "must be at least 1")
        }
        // Each thread has a stack and per-thread buffers: a typo of 100000 would abort while
        // allocating them.
        guard request.threads <= RunRequest.maxThreads else {
            throw PlexusError.outOfRange("threads", Double(request.threads),
                                         "at most \(RunRequest.maxThreads) (this machine has \(ProcessInfo.processInfo.activeProcessorCount) cores)")
        }
        source = try request.text.map { try ExperimentSource($0, file: file) } ?? ExperimentSource(contentsOf: file)
        outDir = request.out ?? "runs/\(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent)"
        guard !outDir.trimmingCharacters(in: .whitespaces).isEmpty else {
            // An empty name would write into the current folder, among whatever is there.
            throw PlexusError("the output folder name is empty; name a folder (--out runs/x)")
        }
    }

    var file: String { source.file }
    var text: String { source.text }
    var engine: RunRecord.Engine { source.engine }
    var name: String { URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent }
    var threads: Int { request.threads }
    /// The folder paths in the experiment are relative to.
    var baseDirectory: String { URL(fileURLWithPath: file).deletingLastPathComponent().path }

    var communicator: any Communicator { request.communicator }
    /// This process writes the run folder and speaks: rank 0.
    var writes: Bool { request.communicator.rank == 0 }

    func say(_ s: String) { if !request.quiet && writes { print(s) } }

    /// The error with the line of its key path filled in.
    func locate(_ e: PlexusError) -> PlexusError { source.locate(e) }

    /// Runs `body`, locating any PlexusError it throws in the experiment file.
    func located<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as PlexusError { throw locate(e) }
    }

    /// The run's progress bar; `callback` replaces the request's (a piece of a run has its own).
    func progress(start: Double, duration: Double, callback: (@Sendable (Double) -> Void)? = nil) -> ProgressBar {
        ProgressBar(enabled: request.progressBar && !request.quiet && writes, start: start, duration: duration,
                    callback: callback ?? request.progress)
    }

    /// Keeps the run's result arrays for the outcome, when the request asks for them.
    func keep(_ arrays: () -> [ResultArray]) {
        if request.keepArrays { kept.arrays = arrays() }
    }

    /// The record's common part; the runner adds its engine's facts.
    func record(durationMs: Double, resolutionMs: Double, seed: UInt64?, experiment: JSONValue,
                command: RunRecord.Command = .run) -> RunRecord {
        var r = RunRecord(engine: engine, command: command, experimentFile: file, experimentText: text,
                          durationMs: durationMs, resolutionMs: resolutionMs, experiment: experiment)
        r.description = source.description
        r.seed = seed
        r.threads = threads
        r.ranks = request.communicator.size
        r.startedUTC = started
        r.gitCommit = Provenance.gitCommit
        r.gitDirty = Provenance.gitDirty
        return r
    }

    /// Stamps the end of the run, writes provenance.json and, unless asked not to, report.html.
    func finish(_ record: RunRecord, _ output: inout RunOutput, report: RenderedSections?) throws -> RunRecord {
        var record = record
        record.finishedUTC = RunRecord.isoNow()
        record.peakRSSBytes = ResourceUsage.peakRSSBytes()
        let (written, text) = try output.writeRecord(record)
        if let report {
            try output.writeReport(Reports.html(body: report, record: written, recordText: text))
        }
        return written
    }
}

/// The result arrays of a run in progress (RunContext is a value; the runner fills this).
final class KeptArrays: @unchecked Sendable {
    var arrays: [ResultArray] = []
}

/// Progress on a terminal for runs longer than a second, and to a caller's callback.
final class ProgressBar {
    let enabled: Bool
    let start: Double
    let duration: Double
    let callback: (@Sendable (Double) -> Void)?
    var lastDraw = 0.0
    var drawn = false
    var lastReported = -1.0

    init(enabled: Bool, start: Double, duration: Double, callback: (@Sendable (Double) -> Void)? = nil) {
        self.enabled = enabled
        self.start = start
        self.duration = duration
        self.callback = callback
    }

    func update(_ fraction: Double) {
        if let callback, fraction >= lastReported + 0.01 || (fraction >= 1 && lastReported < 1) {
            lastReported = fraction
            callback(fraction)
        }
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
