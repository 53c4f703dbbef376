import Foundation
import Plexus

/// Runs a neural-mass experiment (engine: mass): one CSV per monitor, fc.csv and sc.csv (the
/// structural weights FC is compared with) when FC is asked for (or a bold/balloon monitor is
/// present), provenance.json, report.html.
enum MassRunner {
    static func run(_ ctx: RunContext) throws {
        var experiment = try MassExperimentFile.decode(ctx.text, file: ctx.file)
        if let seed = ctx.seed { experiment.seed = seed }
        let base = URL(fileURLWithPath: ctx.file).deletingLastPathComponent().path
        let t1 = ResourceUsage.now()
        let connectome = try ctx.located { try ConnectomeZip.load(experiment.connectivity, baseDirectory: base) }
        let sim = try ctx.located { try MassSimulation(experiment, connectome: connectome, threads: ctx.threads) }
        let t2 = ResourceUsage.now()
        for w in sim.warnings { ctx.say("note: \(w)") }
        ctx.say("\(ctx.name): \(sim.modelName) on \(sim.regions) regions (\(sim.couplingTerms) coupling terms, \(sim.blockedEdges) time-blocked), history \(sim.horizon) steps, \(sim.steps) steps of \(OutputText.number(experiment.integrator.dt)) ms; built in \(String(format: "%.2f", t2 - t1)) s")
        let progress = Progress(enabled: !ctx.quiet && isatty(2) != 0, start: t2, duration: experiment.duration)
        let result: MassResult
        do {
            defer { progress.finish() }
            result = try ctx.located { try sim.run(progress: progress.update) }
        }
        let t3 = ResourceUsage.now()
        var fc: FCResult?
        if experiment.fc != nil {
            fc = try ctx.located { try FCResult(result, connectome: connectome, description: experiment.fc) }
        } else if experiment.monitors.contains(where: { $0.kind == .bold || $0.kind == .balloon }) {
            // Not asked for: computed when there are samples enough, skipped with a note otherwise.
            do { fc = try FCResult(result, connectome: connectome, description: nil) } catch let e as PlexusError {
                ctx.say("note: no FC (\(e.message))")
            }
        }
        var output = try RunOutput(directory: ctx.outDir)
        var used: [String: Int] = [:]
        var files: [String] = []
        for m in result.monitors {
            let stem = m.description.stem
            let k = used[stem, default: 0] + 1
            used[stem] = k
            files.append(try output.writeMonitor(m, labels: connectome.labels, name: k == 1 ? "\(stem).csv" : "\(stem)_\(k).csv"))
        }
        if let fc {
            try output.writeFC(fc.matrix, labels: connectome.labels)
            try output.writeFC(connectome.weights, labels: connectome.labels, name: "sc.csv")
        }
        let t4 = ResourceUsage.now()
        // The report's figures, timed before provenance.json is written.
        let report = ctx.noReport ? nil : RenderedSections(MassReport.sections(RunReports.massData(experiment, sim, result, connectome, fc, files: files)))
        let t5 = ResourceUsage.now()
        var record = ctx.provenanceBase(seed: experiment.seed)
        record["engine"] = "mass"
        record["experiment"] = Provenance.resolved(sim)
        if let d = Provenance.experimentDescription(ctx.text) { record["description"] = d }
        var timings = ["read_and_build": t2 - ctx.t0, "simulate": t3 - t2, "write": t4 - t3, "total": t5 - ctx.t0]
        if report != nil { timings["report"] = t5 - t4 }
        record["timings_s"] = timings
        // Which file holds which monitor, with the variables it recorded (the report reads them).
        record["monitor_files"] = zip(files, result.monitors).map { f, m -> [String: Any] in
            ["file": f, "type": m.description.kind.rawValue, "period_ms": m.description.period, "variables": m.variables]
        }
        record["realtime_factor"] = (t3 - t2) / (experiment.duration / 1000)
        record["us_per_step"] = (t3 - t2) / Double(sim.steps) * 1e6
        record["simulate_cpu_s"] = result.simulateCPUSeconds
        record["cpu_us_per_step"] = result.simulateCPUSeconds / Double(sim.steps) * 1e6
        record["counts"] = ["regions": sim.regions, "coupling_terms": sim.couplingTerms, "time_blocked_terms": sim.blockedEdges,
                            "per_step_terms": sim.perStepEdges, "history_bytes": sim.historyBytes, "steps": sim.steps,
                            "thread_barrier_interval_steps": sim.barrierInterval]
        record["threads_used"] = sim.threads
        if !sim.warnings.isEmpty { record["warnings"] = sim.warnings }
        if let fc {
            var f: [String: Any] = ["monitor": fc.monitor, "variable": fc.variable, "samples": fc.samplesUsed,
                                    "fc_vs_sc": fc.fcSC.isFinite ? fc.fcSC : "nan"]
            if let x = fc.fcFC { f["fc_vs_fc"] = x.isFinite ? x : "nan" }
            record["fc"] = f
        }
        let provenanceText = try output.writeProvenance(record)
        if let report {
            let provenance = try RunReports.parse(provenanceText, file: ctx.outDir + "/provenance.json")
            try output.writeReport(RunReports.html(body: report, provenanceText: provenanceText, provenance: provenance))
        }
        var summary = "simulated \(OutputText.number(experiment.duration)) ms in \(String(format: "%.2f", t3 - t2)) s (\(String(format: "%.2f", (t3 - t2) / Double(sim.steps) * 1e6)) us/step)"
        if let fc { summary += "; FC-SC r = \(String(format: "%.3f", fc.fcSC))" + (fc.fcFC.map { String(format: ", FC-FC r = %.3f", $0) } ?? "") }
        ctx.say(summary + "; results in \(ctx.outDir)/ (\(files.joined(separator: ", "))\(fc != nil ? ", fc.csv, sc.csv" : "")\(report != nil ? ", report.html" : ""))")
    }
}
