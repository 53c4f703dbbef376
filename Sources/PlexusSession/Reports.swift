import Foundation
import PlexusCable
import PlexusCore
import PlexusIO
import PlexusMass
import PlexusPoint
import PlexusReport

/// Report pieces shared by `plexus run` (report from memory) and `plexus report` (from files).
enum Reports {
    /// The unit of a point model's state variable ("mV"), or of its synaptic weights for
    /// `variable` "weight"; nil when unknown.
    static func unitOf(model: String, variable: String) -> String? {
        guard let type = ModelCatalog.neuron(model) else { return nil }
        if variable == "weight" {
            // A parrot ignores weights; they are counted as NEST's currents would be.
            return type.weightUnit.dimension == .weight ? PhysicalUnit.pA.symbol : type.weightUnit.symbol
        }
        return type.state.first { $0.name == variable }?.unit.symbol
    }

    /// The report of a point run, from the simulation's results in memory.
    static func pointData(_ results: PointResults, _ network: PointNetwork) -> PointReportData {
        var seen = Set<String>()
        let spikes: [PointReportData.Spikes] = results.spikes.compactMap { r in
            guard seen.insert(r.population).inserted, let info = network.population(named: r.population) else { return nil }
            return PointReportData.Spikes(population: r.population, firstGid: info.firstNode + 1, size: info.size, gids: r.gids, times: r.times)
        }
        let traces = results.states.map { s in
            let model = network.population(named: s.population)?.model ?? ""
            return PointReportData.Traces(population: s.population, variables: s.variables,
                                          units: s.variables.map { unitOf(model: model, variable: $0) ?? "" },
                                          times: s.times, gids: s.gids, values: s.values)
        }
        var weights: PointReportData.Weights?
        if !results.weights.isEmpty {
            let target = results.weights[0].target
            let model = network.populations.first { $0.nodes.contains(target - 1) }?.model ?? ""
            weights = PointReportData.Weights(times: results.weights.map(\.time), sources: results.weights.map(\.source),
                                              targets: results.weights.map(\.target), weights: results.weights.map(\.weight),
                                              unit: unitOf(model: model, variable: "weight") ?? "")
        }
        let structural = results.structural.map {
            PointReportData.Structural(columns: $0.columns, times: $0.times, values: $0.values)
        }
        return PointReportData(durationMs: network.grid.time(network.totalSteps), resolutionMs: network.grid.h,
                               spikes: spikes, traces: traces, weights: weights, structural: structural)
    }

    /// The report of a cable run, from the simulation's results in memory.
    static func cableData(_ desc: CableExperiment, _ results: CableResults, _ shapes: [CVShape]) -> CableReportData {
        var populations: [CableReportData.Population] = []
        for p in desc.populations { if let r = desc.gids(of: p.name) { populations.append(.init(name: p.name, firstGid: r.lowerBound, size: r.count)) } }
        func probesOf(gid: Int) -> [(label: String?, variable: String)] {
            guard let pop = desc.populations.first(where: { desc.gids(of: $0.name)?.contains(gid) == true }),
                  let cell = desc.cell(named: pop.cell) else { return [] }
            return cell.probes.map { ($0.label, $0.variable) }
        }
        let probes = results.probes.map { tr in
            let variable = CableReportData.variable(ofProbe: tr.name, probes: probesOf(gid: tr.gid))
            return CableReportData.Probe(gid: tr.gid, label: tr.name, variable: variable, unit: CableReportData.unit(of: variable),
                                         times: tr.times, values: tr.values)
        }
        let drawn = shapes.map { s in
            CableReportData.Shape(gid: s.gid, cv: s.cv, x0: s.x0, y0: s.y0, z0: s.z0, x1: s.x1, y1: s.y1, z1: s.z1, r0: s.r0, r1: s.r1)
        }
        return CableReportData(durationMs: desc.duration, resolutionMs: desc.resolution, populations: populations,
                               spikesRecorded: desc.recordSpikes, spikeGids: results.spikes.map(\.gid), spikeTimes: results.spikes.map(\.time),
                               probes: probes, shapes: drawn,
                               snapshots: results.snapshots.map { .init(time: $0.time, gid: $0.gid, voltage: $0.voltage) })
    }

    /// The report of a mass run, from the simulation's results in memory.
    static func massData(_ e: MassExperiment, _ sim: MassNetwork, _ result: MassResults, _ connectome: Connectome, _ fc: FCResult?,
                         files: [String]) -> MassReportData {
        let monitors = zip(files, result.monitors).map { file, m in
            MassReportData.Monitor(kind: m.description.kind.rawValue, file: file, periodMs: m.description.period, variables: m.variables,
                                   times: m.times, series: (0..<(m.variables.count * m.regions)).map { c in
                                       (0..<m.samples).map { k in m.values[k * m.variables.count * m.regions + c] }
                                   }, columns: m.labels)
        }
        return MassReportData(durationMs: e.duration, model: sim.modelName, labels: connectome.labels, monitors: monitors,
                              fc: fc.map { .init(matrix: $0.matrix, monitor: $0.monitor, variable: $0.variable, samples: $0.samplesUsed) },
                              weights: fc != nil ? connectome.weights : nil)
    }

    /// The report of a sweep, from its points in memory.
    static func sweepData(_ sweep: MassSweep, _ points: [SweepPoint], variable: String) -> MassSweepData {
        let hasFCFC = points.contains { $0.fcFC != nil }
        return MassSweepData(axes: sweep.axes.map { .init(parameter: $0.parameter, values: $0.values) }, values: points.map(\.values),
                             fcSC: points.map { $0.fcSC ?? .nan }, fcFC: hasFCFC ? points.map { $0.fcFC ?? .nan } : nil,
                             variable: variable, mean: points.map(\.mean), std: points.map(\.std), seconds: points.map(\.seconds),
                             status: points.map { $0.error ?? "ok" })
    }

    /// report.html: summary and timings from the run record, the engine's sections.
    static func html(body: RenderedSections, record p: RunRecord, recordText: String,
                     extraTimings: [(String, Double)] = []) -> String {
        let name = URL(fileURLWithPath: p.experimentFile).deletingPathExtension().lastPathComponent
        let commit = p.gitCommit.map { " (commit \($0.prefix(12))\(p.gitDirty == true ? ", uncommitted changes" : ""))" } ?? ""
        let footer = "Written by Plexus \(p.plexusVersion)\(commit). Rebuild with `plexus report DIR`; repeat the run and compare its outputs with `plexus rerun DIR`."
        return RunReport(title: "Plexus run: \(name)", subtitle: p.description, summary: RunReport.commonSummary(p), body: body,
                         timings: RunReport.timings(p) + extraTimings, provenanceText: recordText, provenance: p,
                         footer: footer).html()
    }
}
