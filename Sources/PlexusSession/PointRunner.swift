import Foundation
import PlexusCore
import PlexusIO
import PlexusPoint
import PlexusReport

/// Runs a point-neuron experiment (engine: point): spikes.csv, multimeter_<population>.csv,
/// weights.csv, structural.csv, provenance.json, report.html.
enum PointRunner: EngineRunner {
    static let engine = RunRecord.Engine.point

    static func run(_ ctx: RunContext) throws -> RunRecord {
        var experiment = try ExperimentFile.decode(ctx.source)
        if let seed = ctx.request.seed { experiment.seed = seed }
        let t1 = ResourceUsage.now(), c1 = ResourceUsage.cpuSeconds()
        let network = try ctx.located { try PointNetwork(experiment, threads: ctx.threads) }
        let t2 = ResourceUsage.now(), c2 = ResourceUsage.cpuSeconds()
        ctx.say("\(ctx.name): \(network.neuronCount) neurons, \(network.synapseCount) synapses (\(String(format: "%.2f", network.bytesPerSynapse)) bytes each), \(network.deviceConnectionCount) device connections; built in \(String(format: "%.2f", t2 - t1)) s")
        let progress = ctx.progress(start: t2, duration: network.grid.time(network.totalSteps))
        defer { progress.finish() }
        let results = try ctx.located { try network.run(progress: progress.update) }
        let t3 = ResourceUsage.now(), c3 = ResourceUsage.cpuSeconds()
        ctx.keep { ResultArrays.point(results) + (ctx.request.keepConnections ? ResultArrays.connections(network) : []) }

        var output = try RunOutput(directory: ctx.outDir, newRun: true)
        if experiment.recordings.contains(where: { if case .spikes = $0 { return true } else { return false } }) {
            try output.writeSpikes(results)
        }
        try output.writeStates(results)
        try output.writeWeights(results)
        try output.writeStructural(results)
        let t4 = ResourceUsage.now()
        // The report's analysis and figures, timed before provenance.json is written.
        let report = ctx.request.noReport ? nil : RenderedSections(PointReport.sections(Reports.pointData(results, network)))
        let t5 = ResourceUsage.now()

        let simulated = network.grid.time(network.totalSteps)
        var record = ctx.record(durationMs: simulated, resolutionMs: network.grid.h, seed: experiment.seed,
                                experiment: try JSONValue(foundation: Provenance.resolved(network)))
        record.timings = [.init("read", t1 - ctx.t0), .init("build", t2 - t1), .init("simulate", t3 - t2), .init("write", t4 - t3)]
        if report != nil { record.timings.append(.init("report", t5 - t4)) }
        record.timings.append(.init("total", t5 - ctx.t0))
        record.cpuSeconds = [.init("build", c2 - c1), .init("simulate", c3 - c2)]
        record.realtimeFactor = simulated > 0 ? (t3 - t2) / (simulated / 1000) : 0
        record.counts = [.init("neurons", network.neuronCount), .init("synapses", network.synapseCount), .init("spikes", results.totalSpikes),
                         .init("nodes", network.nodeCount), .init("device_connections", network.deviceConnectionCount),
                         .init("min_delay_steps", network.minDelay), .init("max_delay_steps", network.maxDelay)]
        if network.experiment.structuralPlasticity != nil { record.counts.append(.init("structural_synapses", network.structuralSynapseCount)) }
        record.bytesPerSynapse = network.bytesPerSynapse
        record.populations = Provenance.populations(network)
        record.spikesRecorded = Provenance.spikesRecorded(experiment)
        record = try ctx.finish(record, &output, report: report)
        let rate = network.neuronCount > 0 && simulated > 0 ? Double(results.totalSpikes) / Double(network.neuronCount) / (simulated / 1000) : 0
        ctx.say("simulated \(OutputText.number(simulated)) ms in \(String(format: "%.2f", t3 - t2)) s; \(results.totalSpikes) spikes (mean \(String(format: "%.2f", rate)) Hz); results in \(ctx.outDir)/")
        return record
    }

    static func sections(directory: String, record: RunRecord) throws -> [ReportSection] {
        PointReport.sections(try PointReportData.read(directory: directory, record: record, unitOf: Reports.unitOf))
    }
}
