import ArgumentParser
import Foundation
import Plexus

/// `plexus sweep FILE`: runs a neural-mass experiment over its `sweep:` grid (one or two
/// parameters), points on all threads, and writes one table (sweep.csv), provenance.json and
/// report.html (heatmaps over the two parameters).
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a neural-mass experiment over a grid of one or two parameters.")

    @Argument(help: "Experiment file (YAML) with a `sweep:` section.")
    var file: String

    @Option(name: .long, help: "Worker threads (default: all cores); each runs whole points.")
    var threads: Int?

    @OptionGroup var options: OutputOptions

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
    }

    func run() throws {
        do {
            let t = threads ?? ProcessInfo.processInfo.activeProcessorCount
            let ctx = try RunContext(file: file, out: options.out, threads: t, seed: options.seed, quiet: options.quiet)
            guard try ExperimentFile.engine(ctx.text, file: file) == "mass" else {
                throw PlexusError("plexus sweep runs neural-mass experiments (engine: mass)", file: file)
            }
            var experiment = try MassExperimentFile.decode(ctx.text, file: file)
            if let seed = options.seed { experiment.seed = seed }
            guard !experiment.sweep.isEmpty else {
                throw PlexusError("no `sweep:` section (e.g. sweep: {coupling.a: {from: 0.005, to: 0.02, count: 8}})", file: file, keyPath: "sweep")
            }
            let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
            let connectome = try ctx.located { try ConnectomeZip.load(experiment.connectivity, baseDirectory: base) }
            let sweep = try ctx.located { try MassSweep(experiment, connectome: connectome, threads: t) }
            let t1 = ResourceUsage.now()
            ctx.say("\(ctx.name): \(sweep.points.count) points (\(sweep.axes.map { "\($0.parameter) x \($0.values.count)" }.joined(separator: ", "))) on \(min(t, sweep.points.count)) threads, \(connectome.count) regions, \(OutputText.number(experiment.duration)) ms each")
            let tty = !options.quiet && isatty(2) != 0
            let points = sweep.run { done, total in
                if tty { FileHandle.standardError.write(Data("\r\(done)/\(total) points".utf8)) }
            }
            if tty { FileHandle.standardError.write(Data("\n".utf8)) }
            let t2 = ResourceUsage.now()
            guard let model = MassModels.named(experiment.model.name) else { throw PlexusError("unknown model", keyPath: "model.name") }
            let variable = experiment.monitors.first?.variables?.first ?? model.variablesOfInterest[0]
            var output = try RunOutput(directory: ctx.outDir)
            try output.writeSweep(sweep, points, variable: variable)
            let t3 = ResourceUsage.now()
            let report = options.noReport ? nil : RenderedSections(MassReport.sweepSections(RunReports.sweepData(sweep, points, variable: variable)))
            let t4 = ResourceUsage.now()
            var record = ctx.provenanceBase(seed: experiment.seed)
            record["engine"] = "mass"
            record["command_kind"] = "sweep"
            if let sim = try? MassSimulation(experiment, connectome: connectome) { record["experiment"] = Provenance.resolved(sim) }
            record["sweep"] = sweep.axes.map { ["parameter": $0.parameter, "values": $0.values] }
            record["points"] = points.count
            record["failed_points"] = points.filter { $0.error != nil }.count
            if let d = Provenance.experimentDescription(ctx.text) { record["description"] = d }
            var timings = ["sweep": t2 - t1, "total": ResourceUsage.now() - ctx.t0, "mean_point": points.map(\.seconds).reduce(0, +) / Double(points.count)]
            if report != nil { timings["report"] = t4 - t3 }
            record["timings_s"] = timings
            let provenanceText = try output.writeProvenance(record)
            if let report {
                let provenance = try RunReports.parse(provenanceText, file: ctx.outDir + "/provenance.json")
                try output.writeReport(RunReports.html(body: report, provenanceText: provenanceText, provenance: provenance))
            }
            let best = points.filter { $0.fcSC != nil && $0.fcSC!.isFinite }.max { $0.fcSC! < $1.fcSC! }
            var msg = "\(points.count) points in \(String(format: "%.2f", t2 - t1)) s"
            if let best { msg += "; best FC-SC r = \(String(format: "%.3f", best.fcSC!)) at " + zip(sweep.axes, best.values).map { "\($0.parameter) = \(OutputText.number($1))" }.joined(separator: ", ") }
            let failed = points.filter { $0.error != nil }.count
            if failed > 0 { msg += "; \(failed) point(s) failed (see status)" }
            ctx.say(msg + "; table in \(ctx.outDir)/sweep.csv\(report != nil ? " and report.html" : "")")
        } catch let e as PlexusError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode(1)
        }
    }
}
