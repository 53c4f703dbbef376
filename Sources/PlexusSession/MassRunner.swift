import Foundation
import PlexusCore
import PlexusIO
import PlexusMass
import PlexusReport

/// Runs a neural-mass experiment (engine: mass): one CSV per monitor, fc.csv and sc.csv (the
/// structural weights FC is compared with) when FC is asked for (or a bold/balloon monitor is
/// present), provenance.json, report.html.
enum MassRunner: EngineRunner {
    static let engine = RunRecord.Engine.mass

    static func run(_ ctx: RunContext) throws -> RunRecord {
        let comm = ctx.communicator
        var experiment = try comm.agreeing { try MassExperimentFile.decode(ctx.source) }   // every rank reads the same file
        let formats = try ctx.located { try MassExperimentFile.outputFormats(ctx.source) }
        if let seed = ctx.request.seed { experiment.seed = seed }
        if !experiment.sweep.isEmpty { ctx.say("note: the file has a `sweep:` section; `plexus run` simulates its base point (`plexus sweep` runs the grid)") }
        let t1 = ResourceUsage.now()
        let (connectome, sim) = try comm.agreeing {
            let connectome = try ctx.located { try ConnectomeZip.load(experiment.connectivity, baseDirectory: ctx.baseDirectory) }
            try ctx.located { try SensorFileReader.resolve(&experiment, connectome: connectome) }
            return (connectome, try ctx.located { try MassNetwork(experiment, connectome: connectome, threads: ctx.threads, communicator: comm) })
        }
        let t2 = ResourceUsage.now()
        for w in sim.warnings { ctx.say("note: \(w)") }
        let split = comm.size > 1 ? " on \(comm.size) ranks x \(sim.threads) threads" : ""
        ctx.say("\(ctx.name): \(sim.modelName) on \(experiment.surface.map { "\($0.vertices) vertices of " } ?? "")\(sim.regions) regions (\(sim.couplingTerms) coupling terms, \(sim.blockedEdges) time-blocked), history \(sim.horizon) steps, \(sim.steps) steps of \(OutputText.number(experiment.integrator.dt)) ms; built\(split) in \(String(format: "%.2f", t2 - t1)) s")
        let progress = ctx.progress(start: t2, duration: experiment.duration)
        let result: MassResults
        do {
            defer { progress.finish() }
            // Every rank stops at the same step of an unstable run and throws the same error.
            result = try comm.agreeing { try ctx.located { try sim.run(progress: progress.update) } }
        }
        let t3 = ResourceUsage.now()
        let traffic = comm.allgather([Int64(ResourceUsage.peakRSSBytes() ?? 0), Int64(sim.exchangeBytesSent)])
        // With ranks, rank 0 has gathered the monitors and writes; the others are done.
        guard ctx.writes else { return ctx.record(durationMs: experiment.duration, resolutionMs: experiment.integrator.dt, seed: experiment.seed, experiment: .null) }
        var fc: FCResult?
        if experiment.fc != nil {
            fc = try ctx.located { try FCResult(result, connectome: connectome, description: experiment.fc) }
        } else if experiment.monitors.contains(where: { $0.kind == .bold || $0.kind == .balloon }) {
            // Not asked for: computed when there are samples enough, skipped with a note otherwise.
            do { fc = try FCResult(result, connectome: connectome, description: nil) } catch let e as PlexusError {
                ctx.say("note: no FC (\(e.message))")
            }
        }
        var output = try RunOutput(directory: ctx.outDir, newRun: true)
        var used: [String: Int] = [:]
        var files: [String] = [], npyFiles: [String?] = [], columns: [[String]?] = [], stems: [String] = []
        for m in result.monitors {
            let stem = m.description.stem
            let k = used[stem, default: 0] + 1
            used[stem] = k
            let base = k == 1 ? stem : "\(stem)_\(k)"
            stems.append(base)
            let labels = m.labels ?? connectome.labels
            var file: String?, npy: String?
            for format in formats {
                switch format {
                case .csv: file = try output.writeMonitor(m, labels: labels, name: base + ".csv")
                case .npy: npy = try output.writeMonitorNpy(m, name: base + ".npy")
                }
            }
            files.append(file ?? npy!)
            npyFiles.append(npy)
            columns.append(npy == nil ? nil : RunOutput.monitorColumns(m, labels: labels))
        }
        if let fc {
            try output.writeFC(fc.matrix, labels: connectome.labels)
            try output.writeFC(connectome.weights, labels: connectome.labels, name: "sc.csv")
        }
        ctx.keep { ResultArrays.mass(result, names: stems, fc: fc?.matrix) }
        let t4 = ResourceUsage.now()
        // The report's figures, timed before provenance.json is written.
        let report = ctx.request.noReport ? nil : RenderedSections(MassReport.sections(Reports.massData(experiment, sim, result, connectome, fc, files: files)))
        let t5 = ResourceUsage.now()
        var resolved = Provenance.resolved(sim)
        resolved["output"] = ["format": formats.map(\.rawValue)]
        var record = ctx.record(durationMs: experiment.duration, resolutionMs: experiment.integrator.dt, seed: experiment.seed,
                                experiment: try JSONValue(foundation: resolved))
        record.timings = [.init("read_and_build", t2 - ctx.t0), .init("simulate", t3 - t2), .init("write", t4 - t3)]
        if report != nil { record.timings.append(.init("report", t5 - t4)) }
        record.timings.append(.init("total", t5 - ctx.t0))
        record.cpuSeconds = [.init("simulate", result.simulateCPUSeconds)]
        record.realtimeFactor = (t3 - t2) / (experiment.duration / 1000)
        record.counts = [.init("regions", sim.regions), .init("steps", sim.steps), .init("coupling_terms", sim.couplingTerms),
                         .init("time_blocked_terms", sim.blockedEdges), .init("per_step_terms", sim.perStepEdges),
                         .init("history_bytes", sim.historyBytes), .init("thread_barrier_interval_steps", sim.barrierInterval),
                         .init("threads_used", sim.threads)]
        if comm.size > 1 {
            for (r, v) in traffic.enumerated() {
                record.counts += [.init("peak_rss_bytes_rank\(r)", Int(v[0])), .init("exchange_bytes_sent_rank\(r)", Int(v[1]))]
            }
            record.counts.append(.init("exchange_epochs", sim.exchangeEpochs))
        }
        if !sim.warnings.isEmpty { record.warnings = sim.warnings }
        record.model = sim.modelName
        // Which file holds which monitor, with the variables it recorded (the report reads them).
        record.monitors = result.monitors.indices.map { j in
            let m = result.monitors[j]
            return RunRecord.Monitor(file: files[j], type: m.description.kind.rawValue, periodMs: m.description.period, variables: m.variables,
                                     columns: columns[j], npyFile: npyFiles[j])
        }
        if let fc {
            record.fc = .init(monitor: fc.monitor, variable: fc.variable, samples: fc.samplesUsed, fcVsSC: fc.fcSC, fcVsFC: fc.fcFC)
        }
        record = try ctx.finish(record, &output, report: report)
        var summary = "simulated \(OutputText.number(experiment.duration)) ms in \(String(format: "%.2f", t3 - t2)) s (\(String(format: "%.2f", (t3 - t2) / Double(sim.steps) * 1e6)) us/step)"
        if let fc { summary += "; FC-SC r = \(String(format: "%.3f", fc.fcSC))" + (fc.fcFC.map { String(format: ", FC-FC r = %.3f", $0) } ?? "") }
        ctx.say(summary + "; results in \(ctx.outDir)/ (\((files + npyFiles.compactMap { $0 }.filter { !files.contains($0) }).joined(separator: ", "))\(fc != nil ? ", fc.csv, sc.csv" : "")\(report != nil ? ", report.html" : ""))")
        return record
    }

    static func sections(directory: String, record: RunRecord) throws -> [ReportSection] {
        MassReport.sections(try MassReportData.read(directory: directory, record: record))
    }
}
