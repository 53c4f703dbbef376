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
        let run = try ContinuingRun(ctx)
        try run.advance(toStep: run.network.totalSteps)
        return try run.finishRecord()
    }

    static func sections(directory: String, record: RunRecord) throws -> [ReportSection] {
        PointReport.sections(try PointReportData.read(directory: directory, record: record, unitOf: Reports.unitOf))
    }
}

/// A point-neuron run that advances in pieces, with parameters changed between them: PyNEST's
/// Simulate calls with SetStatus in between (the Python binding), and `plexus run`, which
/// advances once to the file's duration. `finish` writes the run folder of everything simulated.
public final class ContinuingRun {
    let ctx: RunContext
    let experiment: PointExperiment
    public let network: PointNetwork
    let simulation: PointSimulation
    let readEnd: Double, buildEnd: Double, buildCPU: Double
    var simulateSeconds = 0.0, simulateCPU = 0.0
    /// The changes made so far, for the record (and `plexus rerun`, which makes them again).
    var changes: [RunRecord.Change] = []

    /// Reads and builds the experiment of `request` (a point experiment).
    public convenience init(_ request: RunRequest) throws {
        let ctx = try Session.context(request)
        guard ctx.engine == .point else {
            throw PlexusError("only point-neuron experiments can run in pieces; this one is engine: \(ctx.engine.rawValue) (run it whole)",
                              file: ctx.file, keyPath: "engine")
        }
        try self.init(ctx)
    }

    init(_ ctx: RunContext) throws {
        self.ctx = ctx
        let comm = ctx.communicator
        // Every rank reads the same file; with ranks they agree before building.
        var experiment = try comm.agreeing { try ExperimentFile.decode(ctx.source) }
        if let seed = ctx.request.seed { experiment.seed = seed }
        self.experiment = experiment
        let t1 = ResourceUsage.now(), c1 = ResourceUsage.cpuSeconds()
        network = try ctx.located { try PointNetwork.distributed(experiment, team: ThreadTeam(threads: ctx.threads), communicator: comm,
                                                                         exchange: ctx.request.spikeExchange) }
        simulation = PointSimulation(network)
        readEnd = t1
        buildEnd = ResourceUsage.now()
        buildCPU = ResourceUsage.cpuSeconds() - c1
        let counts = network.totalCounts()
        let split = comm.size > 1 ? " on \(comm.size) ranks x \(ctx.threads) threads" : ""
        let plastic = counts.plastic > 0 ? ", \(counts.plastic) plastic synapses" : ""
        ctx.say("\(ctx.name): \(network.neuronCount) neurons, \(counts.synapses) static synapses (\(String(format: "%.2f", counts.bytesPerSynapse)) bytes each)\(plastic), \(counts.devices) device connections; built\(split) in \(String(format: "%.2f", buildEnd - t1)) s")
    }

    /// Time simulated so far (ms).
    public var time: Double { network.grid.time(simulation.step) }

    /// Simulates up to `ms` (a multiple of the resolution, not before `time`).
    public func advance(to ms: Double, progress callback: (@Sendable (Double) -> Void)? = nil) throws {
        let grid = network.grid
        guard ms.isFinite, ms >= time, ms <= PointNetwork.maxTime, grid.isOnGrid(ms) else {
            throw PlexusError("cannot simulate to \(ms) ms: the time must be finite, a multiple of the resolution \(grid.h) ms and not before \(time) ms")
        }
        try advance(toStep: grid.steps(ms), progress: callback)
    }

    func advance(toStep end: Int64, progress callback: (@Sendable (Double) -> Void)? = nil) throws {
        let t0 = ResourceUsage.now(), c0 = ResourceUsage.cpuSeconds()
        let progress = ctx.progress(start: t0, duration: network.grid.time(end), callback: callback)
        defer {
            progress.finish()
            simulateSeconds += ResourceUsage.now() - t0
            simulateCPU += ResourceUsage.cpuSeconds() - c0
        }
        try ctx.located { try simulation.advance(to: end, progress: progress.update) }
    }

    /// Sets parameters or state of population `population` from now on; `params` is a mapping
    /// text (YAML or JSON) as in the population's `params`, `neurons` the neurons whose state
    /// changes (all when nil).
    public func set(population: String, params text: String, neurons: Range<Int>? = nil) throws {
        // Errors name the change (its text is not a line of the file) and the key path.
        let params = try ExperimentFile.parameters(text, file: "the change of \(population) at t = \(OutputText.number(time)) ms",
                                                   path: "populations.\(population).params")
        try simulation.set(population: population, params: params, neurons: neurons)
        changes.append(RunRecord.Change(atMs: time, population: population, params: text, neurons: neurons.map { [$0.lowerBound, $0.count] }))
    }

    /// The current values of a state variable of every neuron of `population`.
    public func state(population: String, variable: String) throws -> [Double] {
        try simulation.state(population: population, variable: variable)
    }

    /// What was recorded so far (and with `connections`, every synapse as it stands).
    public func arrays(connections: Bool = false) -> [ResultArray] {
        ResultArrays.point(simulation.results()) + (connections ? ResultArrays.connections(network) : [])
    }

    /// Writes the run folder of everything simulated; the run cannot advance after this.
    public func finish() throws -> RunOutcome {
        let record = try finishRecord()
        return RunOutcome(directory: ctx.outDir, record: record, arrays: ctx.kept.arrays)
    }

    func finishRecord() throws -> RunRecord {
        let results = simulation.results(final: true)
        let t3 = ResourceUsage.now()
        ctx.keep { ResultArrays.point(results) + (ctx.request.keepConnections ? ResultArrays.connections(network) : []) }

        let counts = network.totalCounts()
        // Each rank's peak memory and spike traffic, for the record (rank 0's).
        let comm = ctx.communicator
        let traffic = simulation.exchangeTraffic
        let perRank = comm.allgather([Int64(ResourceUsage.peakRSSBytes() ?? 0), Int64(traffic?.sent ?? 0), Int64(traffic?.received ?? 0)])
        // With ranks, rank 0 has gathered everything and writes; the others are done.
        guard ctx.writes else { return ctx.record(durationMs: network.grid.time(simulation.step), resolutionMs: network.grid.h, seed: experiment.seed, experiment: .null) }
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

        let simulated = network.grid.time(simulation.step)
        var record = ctx.record(durationMs: simulated, resolutionMs: network.grid.h, seed: experiment.seed,
                                experiment: try JSONValue(foundation: Provenance.resolved(network)))
        record.timings = [.init("read", readEnd - ctx.t0), .init("build", buildEnd - readEnd), .init("simulate", simulateSeconds),
                          .init("write", t4 - t3)]
        if report != nil { record.timings.append(.init("report", t5 - t4)) }
        record.timings.append(.init("total", t5 - ctx.t0))
        record.cpuSeconds = [.init("build", buildCPU), .init("simulate", simulateCPU)]
        record.realtimeFactor = simulated > 0 ? simulateSeconds / (simulated / 1000) : 0
        record.counts = [.init("neurons", network.neuronCount), .init("synapses", counts.synapses), .init("spikes", results.totalSpikes),
                         .init("nodes", network.nodeCount), .init("device_connections", counts.devices),
                         .init("min_delay_steps", network.minDelay), .init("max_delay_steps", network.maxDelay)]
        if network.experiment.structuralPlasticity != nil { record.counts.append(.init("structural_synapses", network.structuralSynapseCount)) }
        record.bytesPerSynapse = counts.bytesPerSynapse
        if comm.size > 1 {
            record.spikeExchange = ctx.request.spikeExchange.rawValue
            for (r, v) in perRank.enumerated() {
                record.counts += [.init("peak_rss_bytes_rank\(r)", Int(v[0])), .init("exchange_bytes_sent_rank\(r)", Int(v[1])),
                                  .init("exchange_bytes_received_rank\(r)", Int(v[2]))]
            }
            record.counts.append(.init("exchange_epochs", Int(traffic?.epochs ?? 0)))
        }
        record.populations = Provenance.populations(network)
        record.spikesRecorded = Provenance.spikesRecorded(experiment)
        if !changes.isEmpty { record.changes = changes }
        record = try ctx.finish(record, &output, report: report)
        let rate = network.neuronCount > 0 && simulated > 0 ? Double(results.totalSpikes) / Double(network.neuronCount) / (simulated / 1000) : 0
        ctx.say("simulated \(OutputText.number(simulated)) ms in \(String(format: "%.2f", simulateSeconds)) s; \(results.totalSpikes) spikes (mean \(String(format: "%.2f", rate)) Hz); results in \(ctx.outDir)/")
        return record
    }
}
