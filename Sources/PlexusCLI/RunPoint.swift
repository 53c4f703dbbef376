import Foundation
import Plexus

/// Runs a point-neuron experiment (engine: point).
enum PointRunner {
    static func run(_ ctx: RunContext) throws {
        var experiment = try ExperimentFile.decode(ctx.text, file: ctx.file)
        if let seed = ctx.seed { experiment.seed = seed }
        let t1 = ResourceUsage.now()
        let network = try ctx.located { try PointNetwork(experiment, threads: ctx.threads) }
        let t2 = ResourceUsage.now()
        ctx.say("\(ctx.name): \(network.neuronCount) neurons, \(network.synapseCount) synapses (\(String(format: "%.2f", network.bytesPerSynapse)) bytes each), \(network.deviceConnectionCount) device connections; built in \(String(format: "%.2f", t2 - t1)) s")
        let progress = Progress(enabled: !ctx.quiet && isatty(2) != 0, start: t2, duration: network.grid.time(network.totalSteps))
        defer { progress.finish() }
        let results = try ctx.located { try network.run(progress: progress.update) }
        let t3 = ResourceUsage.now()

        var output = try RunOutput(directory: ctx.outDir)
        if experiment.recordings.contains(where: { if case .spikes = $0 { return true } else { return false } }) {
            try output.writeSpikes(results)
        }
        try output.writeStates(results)
        try output.writeWeights(results)
        try output.writeStructural(results)
        let t4 = ResourceUsage.now()
        // The report's analysis and figures, timed before provenance.json is written.
        let report = ctx.noReport ? nil : RenderedSections(PointReport.sections(RunReports.pointData(results, network)))
        let t5 = ResourceUsage.now()
        let simulated = network.grid.time(network.totalSteps)
        var record = ctx.provenanceBase(seed: experiment.seed)
        record["engine"] = "point"
        if let d = Provenance.experimentDescription(ctx.text) { record["description"] = d }
        record["experiment"] = Provenance.resolved(network)
        var timings = ["read": t1 - ctx.t0, "build": t2 - t1, "simulate": t3 - t2, "write": t4 - t3, "total": t5 - ctx.t0]
        if report != nil { timings["report"] = t5 - t4 }
        record["timings_s"] = timings
        record["realtime_factor"] = simulated > 0 ? (t3 - t2) / (simulated / 1000) : 0
        record["counts"] = ["neurons": network.neuronCount, "nodes": network.nodeCount, "synapses": network.synapseCount,
                            "device_connections": network.deviceConnectionCount, "spikes": results.totalSpikes,
                            "min_delay_steps": network.minDelay, "max_delay_steps": network.maxDelay]
        record["bytes_per_synapse"] = network.bytesPerSynapse
        Provenance.addStructural(&record, network)
        let provenanceText = try output.writeProvenance(record)
        if let report {
            let provenance = try RunReports.parse(provenanceText, file: ctx.outDir + "/provenance.json")
            try output.writeReport(RunReports.html(body: report, provenanceText: provenanceText, provenance: provenance))
        }
        let rate = network.neuronCount > 0 && simulated > 0 ? Double(results.totalSpikes) / Double(network.neuronCount) / (simulated / 1000) : 0
        ctx.say("simulated \(OutputText.number(simulated)) ms in \(String(format: "%.2f", t3 - t2)) s; \(results.totalSpikes) spikes (mean \(String(format: "%.2f", rate)) Hz); results in \(ctx.outDir)/")
    }
}
