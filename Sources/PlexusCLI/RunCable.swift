import Foundation
import Plexus

/// Runs a multi-compartment experiment (engine: cable): spikes.csv, probes*.csv, provenance.json.
enum CableRunner {
    static func run(_ ctx: RunContext) throws {
        var desc = try CableExperimentFile.decode(ctx.text, file: ctx.file)
        if let seed = ctx.seed { desc.seed = seed }
        let t1 = ResourceUsage.now()
        let c1 = clock()
        let network = try ctx.located { try CableNetwork(desc, threads: ctx.threads) }
        let t2 = ResourceUsage.now()
        let c2 = clock()
        ctx.say("\(ctx.name): \(network.cellCount) cells, \(network.cvCount) CVs, \(network.targetCount) synapses in \(network.synapseInstanceCount) merged instances, \(network.connectionCount) connections; built in \(String(format: "%.2f", t2 - t1)) s")
        let progress = Progress(enabled: !ctx.quiet && isatty(2) != 0, start: t2, duration: desc.duration)
        defer { progress.finish() }
        let results = try ctx.located { try network.run(progress: progress.update) }
        let t3 = ResourceUsage.now()
        let c3 = clock()

        var output = try RunOutput(directory: ctx.outDir)
        if desc.recordSpikes {
            // Population of each gid.
            var popOf: [(Range<Int>, String)] = []
            for p in desc.populations { popOf.append((desc.gids(of: p.name)!, p.name)) }
            try output.write("spikes.csv") { out in
                out.line("population,gid,detector,t_ms")
                for s in results.spikes {
                    let pop = popOf.first { $0.0.contains(s.gid) }!.1
                    out.line("\(pop),\(s.gid),\(s.detector),\(OutputText.number(s.time))")
                }
            }
        }
        // Probes with the same sample times share one wide CSV: t_ms, then one column per probe.
        var groups: [[ProbeTrace]] = []
        for tr in results.probes {
            if let k = groups.firstIndex(where: { $0[0].times == tr.times }) { groups[k].append(tr) } else { groups.append([tr]) }
        }
        var probeFiles: [String] = []
        for (k, g) in groups.enumerated() {
            let name = k == 0 ? "probes.csv" : "probes_\(k + 1).csv"
            probeFiles.append(name)
            try output.write(name) { out in
                out.line((["t_ms"] + g.map { "\($0.gid):\($0.name)".replacingOccurrences(of: ",", with: ";") }).joined(separator: ","))
                for r in 0..<g[0].times.count {
                    var line = OutputText.number(g[0].times[r])
                    for tr in g { line += "," + OutputText.number(tr.values[r]) }
                    out.line(line)
                }
            }
        }
        let t4 = ResourceUsage.now()
        var record = ctx.provenanceBase(seed: desc.seed)
        record["engine"] = "cable"
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        if let data = try? encoder.encode(desc), let json = try? JSONSerialization.jsonObject(with: data) {
            record["experiment"] = json
        }
        record["units"] = "mV, ms, um, nA, uS, S/cm2, ohm*cm, uF/cm2, degC; gids start at 0"
        record["timings_s"] = ["read": t1 - ctx.t0, "build": t2 - t1, "simulate": t3 - t2, "write": t4 - t3, "total": t4 - ctx.t0]
        // CPU seconds of the process, all threads (less sensitive than wall time to other jobs).
        record["cpu_s"] = ["build": Double(c2 - c1) / Double(CLOCKS_PER_SEC), "simulate": Double(c3 - c2) / Double(CLOCKS_PER_SEC)]
        record["realtime_factor"] = desc.duration > 0 ? (t3 - t2) / (desc.duration / 1000) : 0
        record["counts"] = ["cells": network.cellCount, "cvs": network.cvCount, "synapses": network.targetCount,
                            "synapse_instances": network.synapseInstanceCount, "connections": network.connectionCount,
                            "spikes": results.spikes.count, "events": results.events, "epoch_steps": network.epochSteps,
                            "threads": network.threads]
        record["bytes_per_connection"] = network.bytesPerConnection
        record["probe_files"] = probeFiles
        try output.writeProvenance(record)
        ctx.say("simulated \(OutputText.number(desc.duration)) ms in \(String(format: "%.2f", t3 - t2)) s; \(results.spikes.count) spikes; results in \(ctx.outDir)/")
    }
}
