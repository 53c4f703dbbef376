import Foundation
import PlexusCable
import PlexusCore
import PlexusIO
import PlexusReport

/// Runs a multi-compartment experiment (engine: cable): spikes.csv, probes*.csv,
/// morphology.csv and cv_voltage.csv (the shape and CV voltages report.html draws),
/// provenance.json and report.html.
enum CableRunner: EngineRunner {
    static let engine = RunRecord.Engine.cable

    static func run(_ ctx: RunContext) throws -> RunRecord {
        let comm = ctx.communicator
        var desc = try comm.agreeing { try CableExperimentFile.decode(ctx.source) }   // every rank reads the same file
        if let seed = ctx.request.seed { desc.seed = seed }
        let t1 = ResourceUsage.now(), c1 = ResourceUsage.cpuSeconds()
        let network = try ctx.located { try CableNetwork.distributed(desc, threads: ctx.threads, communicator: comm) }
        let t2 = ResourceUsage.now(), c2 = ResourceUsage.cpuSeconds()
        // The whole network's counts (each rank holds its own cells).
        let sums = comm.allgather([network.cvCount, network.targetCount, network.synapseInstanceCount, network.connectionCount].map { Int64($0) })
        func total(_ k: Int) -> Int { Int(sums.reduce(0) { $0 + $1[k] }) }
        let (cvs, targets, instances, connections) = (total(0), total(1), total(2), total(3))
        let split = comm.size > 1 ? " on \(comm.size) ranks x \(network.threads) threads" : ""
        ctx.say("\(ctx.name): \(network.cellCount) cells, \(cvs) CVs, \(targets) synapses in \(instances) merged instances, \(connections) connections; built\(split) in \(String(format: "%.2f", t2 - t1)) s")
        let request = try snapshotRequest(ctx, desc)
        let progress = ctx.progress(start: t2, duration: desc.duration)
        defer { progress.finish() }
        let results = try ctx.located { try network.run(progress: progress.update, snapshots: request) }
        let t3 = ResourceUsage.now(), c3 = ResourceUsage.cpuSeconds()
        ctx.keep { ResultArrays.cable(results) }
        let peaks = comm.allgather(Int64(ResourceUsage.peakRSSBytes() ?? 0))
        // With ranks, rank 0 has gathered the results and writes; the others are done.
        guard ctx.writes else { return ctx.record(durationMs: desc.duration, resolutionMs: desc.resolution, seed: desc.seed, experiment: .null) }

        var output = try RunOutput(directory: ctx.outDir, newRun: true)
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
        let shapes = try ctx.located { try request.gids.map { gid in try cellDescription(desc, gid: gid).cvShape(gid: gid) } }
        try writeShapes(&output, shapes, results.snapshots)
        let t4 = ResourceUsage.now()
        // The report's figures, timed before provenance.json is written.
        let report = ctx.request.noReport ? nil : RenderedSections(CableReport.sections(Reports.cableData(desc, results, shapes)))
        let t5 = ResourceUsage.now()
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var record = ctx.record(durationMs: desc.duration, resolutionMs: desc.resolution, seed: desc.seed,
                                experiment: try JSONDecoder().decode(JSONValue.self, from: encoder.encode(desc)))
        record.timings = [.init("read", t1 - ctx.t0), .init("build", t2 - t1), .init("simulate", t3 - t2), .init("write", t4 - t3)]
        if report != nil { record.timings.append(.init("report", t5 - t4)) }
        record.timings.append(.init("total", t5 - ctx.t0))
        record.cpuSeconds = [.init("build", c2 - c1), .init("simulate", c3 - c2)]
        record.realtimeFactor = desc.duration > 0 ? (t3 - t2) / (desc.duration / 1000) : 0
        record.counts = [.init("cells", network.cellCount), .init("cvs", cvs), .init("synapses", targets),
                         .init("spikes", results.spikes.count), .init("synapse_instances", instances),
                         .init("connections", connections), .init("events", results.events),
                         .init("epoch_steps", network.epochSteps)]
        if comm.size > 1 {
            record.spikeExchange = SpikeExchangeMode.gather.rawValue   // Arbor's scheme: every spike to every rank
            for (r, p) in peaks.enumerated() { record.counts.append(.init("peak_rss_bytes_rank\(r)", Int(p))) }
        }
        record.bytesPerConnection = Double(network.bytesPerConnection)
        record.populations = desc.populations.compactMap { p in
            desc.gids(of: p.name).map { RunRecord.Population(name: p.name, model: p.cell, firstGid: $0.lowerBound, size: $0.count) }
        }
        record.spikesRecorded = desc.recordSpikes ? desc.populations.map(\.name) : []
        record.probes = desc.cells.flatMap { name, cell in cell.probes.map { RunRecord.Probe(cell: name, label: $0.label, variable: $0.variable) } }
        record.probeFiles = probeFiles
        record.snapshots = .init(timesMs: request.times, cells: request.gids)
        record = try ctx.finish(record, &output, report: report)
        ctx.say("simulated \(OutputText.number(desc.duration)) ms in \(String(format: "%.2f", t3 - t2)) s; \(results.spikes.count) spikes; results in \(ctx.outDir)/")
        return record
    }

    static func sections(directory: String, record: RunRecord) throws -> [ReportSection] {
        CableReport.sections(try CableReportData.read(directory: directory, record: record))
    }

    /// The cells drawn coloured by voltage (the file's `report.cells`, or the first cell of each
    /// population, at most four) and when (`report.times`, or four times spread over the run).
    static func snapshotRequest(_ ctx: RunContext, _ desc: CableExperiment) throws -> SnapshotRequest {
        let options = try ctx.located { try CableExperimentFile.reportOptions(ctx.source) }
        var gids = desc.populations.prefix(4).compactMap { desc.gids(of: $0.name)?.lowerBound }
        if let cells = options.cells {
            if let bad = cells.first(where: { $0 >= desc.cellCount }) {
                throw ctx.locate(PlexusError("report.cells: gid \(bad) does not exist (there are \(desc.cellCount) cells, gids from 0)", file: ctx.file, keyPath: "report.cells"))
            }
            gids = cells
        }
        let times = options.times ?? (1...4).map { (Double($0) - 0.5) * desc.duration / 4 }
        return SnapshotRequest(times: times.map { ($0 / desc.resolution).rounded() * desc.resolution }, gids: gids)
    }

    /// The kind of cell `gid` is.
    static func cellDescription(_ desc: CableExperiment, gid: Int) throws -> CableCellDescription {
        guard let pop = desc.populations.first(where: { desc.gids(of: $0.name)?.contains(gid) == true }),
              let cell = desc.cell(named: pop.cell) else {
            throw PlexusError("gid \(gid) does not exist", keyPath: "report.cells")
        }
        return cell
    }

    /// morphology.csv (`gid,cv,x0_um,y0_um,z0_um,r0_um,x1_um,y1_um,z1_um,r1_um`: the pieces of
    /// each drawn cell, cut at CV boundaries) and cv_voltage.csv (`t_ms,gid,cv,v_mV`: every CV's
    /// voltage at the report times).
    static func writeShapes(_ output: inout RunOutput, _ shapes: [CVShape], _ snapshots: [CVSnapshot]) throws {
        guard !shapes.isEmpty else { return }
        try output.write("morphology.csv") { out in
            out.line("gid,cv,x0_um,y0_um,z0_um,r0_um,x1_um,y1_um,z1_um,r1_um")
            for s in shapes {
                for k in 0..<s.count {
                    out.line([s.x0[k], s.y0[k], s.z0[k], s.r0[k], s.x1[k], s.y1[k], s.z1[k], s.r1[k]].reduce("\(s.gid),\(s.cv[k])") { $0 + "," + OutputText.number($1) })
                }
            }
        }
        try output.write("cv_voltage.csv") { out in
            out.line("t_ms,gid,cv,v_mV")
            for s in snapshots {
                let t = OutputText.number(s.time)
                for (cv, v) in s.voltage.enumerated() { out.line("\(t),\(s.gid),\(cv),\(OutputText.number(v))") }
            }
        }
    }
}
