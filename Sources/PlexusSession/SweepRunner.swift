import Foundation
import PlexusCore
import PlexusIO
import PlexusMass
import PlexusReport

extension Session {
    /// `plexus sweep`: runs a neural-mass experiment over its `sweep:` grid (one or two
    /// parameters), whole points on each thread, and writes one table (sweep.csv),
    /// provenance.json and report.html (heatmaps over the two parameters). `progress(done, total)`
    /// is told after every point.
    @discardableResult
    public static func sweep(_ request: RunRequest, lanes: Int = defaultLanes, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> RunOutcome {
        let comm = request.communicator
        // Every rank reads and checks the same file; with ranks they leave together on an error.
        let (ctx, experiment, connectome, sweep) = try comm.agreeing { () throws -> (RunContext, MassExperiment, Connectome, MassSweep) in
            let ctx = try RunContext(request)
            guard ctx.engine == .mass else {
                throw PlexusError("plexus sweep runs neural-mass experiments (engine: mass)", file: ctx.file)
            }
            var experiment = try MassExperimentFile.decode(ctx.source)
            if let seed = request.seed { experiment.seed = seed }
            guard !experiment.sweep.isEmpty else {
                throw PlexusError("no `sweep:` section (e.g. sweep: {coupling.a: {from: 0.005, to: 0.02, count: 8}})", file: ctx.file, keyPath: "sweep")
            }
            let connectome = try ctx.located { try ConnectomeZip.load(experiment.connectivity, baseDirectory: ctx.baseDirectory) }
            try ctx.located { try SensorFileReader.resolve(&experiment, connectome: connectome) }
            let sweep = try ctx.located { try MassSweep(experiment, connectome: connectome, threads: ctx.threads) }
            if ctx.writes { try RunFolder.prepare(ctx.outDir) }
            return (ctx, experiment, connectome, sweep)
        }
        let t1 = ResourceUsage.now()
        let split = comm.size > 1 ? "\(comm.size) ranks x \(ctx.threads) threads" : "\(min(ctx.threads, sweep.points.count)) threads"
        ctx.say("\(ctx.name): \(sweep.points.count) points (\(sweep.axes.map { "\($0.parameter) x \($0.values.count)" }.joined(separator: ", "))) on \(split), \(connectome.count) regions, \(OutputText.number(experiment.duration)) ms each")
        let points = sweep.run(lanes: lanes, communicator: comm, progress: progress)
        let t2 = ResourceUsage.now()
        // Rank 0 has every point and writes; the others are done.
        guard ctx.writes else {
            return RunOutcome(directory: ctx.outDir, record: ctx.record(durationMs: experiment.duration, resolutionMs: experiment.integrator.dt,
                                                                        seed: experiment.seed, experiment: .null, command: .sweep))
        }
        guard let model = try MassModels.kind(named: experiment.model.name, folders: experiment.model.folders) else {
            throw PlexusError("unknown model", keyPath: "model.name")
        }
        let variable = experiment.monitors.first?.variables?.first ?? model.variablesOfInterest[0]
        var output = try RunOutput(directory: ctx.outDir, newRun: true)
        try output.writeSweep(sweep, points, variable: variable)
        let t3 = ResourceUsage.now()
        let report = request.noReport ? nil : RenderedSections(MassReport.sweepSections(Reports.sweepData(sweep, points, variable: variable)))
        let t4 = ResourceUsage.now()

        // The base point, resolved (every default filled in) for the record.
        let sim = try? MassNetwork(experiment, connectome: connectome)
        var record = ctx.record(durationMs: experiment.duration, resolutionMs: experiment.integrator.dt, seed: experiment.seed,
                                experiment: try sim.map { try JSONValue(foundation: Provenance.resolved($0)) } ?? .null, command: .sweep)
        record.timings = [.init("sweep", t2 - t1)]
        if report != nil { record.timings.append(.init("report", t4 - t3)) }
        record.timings.append(.init("total", ResourceUsage.now() - ctx.t0))
        let failed = points.filter { $0.error != nil }.count
        record.counts = [.init("points", points.count), .init("failed_points", failed), .init("regions", connectome.count)]
        record.model = model.name
        record.sweep = sweep.axes.map { .init(parameter: $0.parameter, values: $0.values) }
        record = try ctx.finish(record, &output, report: report)

        let best = points.filter { $0.fcSC != nil && $0.fcSC!.isFinite }.max { $0.fcSC! < $1.fcSC! }
        var msg = "\(points.count) points in \(String(format: "%.2f", t2 - t1)) s"
        if let best { msg += "; best FC-SC r = \(String(format: "%.3f", best.fcSC!)) at " + zip(sweep.axes, best.values).map { "\($0.parameter) = \(OutputText.number($1))" }.joined(separator: ", ") }
        if failed > 0 { msg += "; \(failed) point(s) failed (see status)" }
        ctx.say(msg + "; table in \(ctx.outDir)/sweep.csv\(report != nil ? " and report.html" : "")")
        return RunOutcome(directory: ctx.outDir, record: record)
    }
}
