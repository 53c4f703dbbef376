import Foundation
import PlexusCore

extension CableReportData {
    /// Reads a cable run's folder: spikes.csv (`population,gid,detector,t_ms`), the probe files
    /// named by provenance.json's `probe_files` (`t_ms,gid:label,...`), morphology.csv and
    /// cv_voltage.csv, with populations, duration and probe variables from the resolved experiment.
    public static func read(directory: String, record: RunRecord) throws -> CableReportData {
        let dir = URL(fileURLWithPath: directory)
        let duration = record.durationMs
        let resolution = record.resolutionMs
        let populations = (record.populations ?? []).map { Population(name: $0.name, firstGid: $0.firstGid, size: $0.size) }
        var cellOfPopulation: [String: String] = [:]
        for pop in record.populations ?? [] { cellOfPopulation[pop.name] = pop.model }
        // Probes of each cell kind: (label, variable), for the variable of each probe column.
        var probesOfCell: [String: [(label: String?, variable: String)]] = [:]
        for p in record.probes ?? [] { probesOfCell[p.cell, default: []].append((p.label, p.variable)) }
        func cellKind(ofGid gid: Int) -> String? {
            populations.first { gid >= $0.firstGid && gid < $0.firstGid + $0.size }.flatMap { cellOfPopulation[$0.name] }
        }

        let recorded = !(record.spikesRecorded ?? []).isEmpty
        var gids: [Int] = [], times: [Double] = []
        let spikeFile = dir.appendingPathComponent("spikes.csv").path
        if recorded, FileManager.default.fileExists(atPath: spikeFile) {
            (gids, times) = try CSVFile.readCableSpikes(spikeFile)
        }

        var probes: [Probe] = []
        for file in record.probeFiles ?? [] {
            let path = dir.appendingPathComponent(file).path
            let (header, columns) = try CSVFile.readNumeric(path)
            guard header.first == "t_ms" else { throw ReportError("expected the columns t_ms,gid:label,... in the first line", file: path) }
            for (k, column) in header.enumerated().dropFirst() {
                guard let colon = column.firstIndex(of: ":"), let gid = Int(column[..<colon]) else {
                    throw ReportError("column '\(column)' is not gid:label", file: path)
                }
                let label = String(column[column.index(after: colon)...])
                let variable = variable(ofProbe: label, probes: cellKind(ofGid: gid).flatMap { probesOfCell[$0] } ?? [])
                probes.append(Probe(gid: gid, label: label, variable: variable, unit: unit(of: variable),
                                    times: columns[0], values: columns[k]))
            }
        }

        var shapes: [Shape] = []
        let shapeFile = dir.appendingPathComponent("morphology.csv").path
        if FileManager.default.fileExists(atPath: shapeFile) {
            let (header, c) = try CSVFile.readNumeric(shapeFile)
            guard header == ["gid", "cv", "x0_um", "y0_um", "z0_um", "r0_um", "x1_um", "y1_um", "z1_um", "r1_um"] else {
                throw ReportError("expected the columns gid,cv,x0_um,y0_um,z0_um,r0_um,x1_um,y1_um,z1_um,r1_um", file: shapeFile)
            }
            var start = 0
            while start < c[0].count {
                var end = start
                while end < c[0].count && c[0][end] == c[0][start] { end += 1 }
                let r = start..<end
                shapes.append(Shape(gid: Int(c[0][start]), cv: c[1][r].map { Int($0) }, x0: Array(c[2][r]), y0: Array(c[3][r]), z0: Array(c[4][r]),
                                    x1: Array(c[6][r]), y1: Array(c[7][r]), z1: Array(c[8][r]), r0: Array(c[5][r]), r1: Array(c[9][r])))
                start = end
            }
        }
        var snapshots: [Snapshot] = []
        let voltageFile = dir.appendingPathComponent("cv_voltage.csv").path
        if FileManager.default.fileExists(atPath: voltageFile) {
            let (header, c) = try CSVFile.readNumeric(voltageFile)
            guard header == ["t_ms", "gid", "cv", "v_mV"] else { throw ReportError("expected the columns t_ms,gid,cv,v_mV", file: voltageFile) }
            var start = 0
            while start < c[0].count {
                var end = start
                while end < c[0].count && c[0][end] == c[0][start] && c[1][end] == c[1][start] { end += 1 }
                var v = [Double](repeating: .nan, count: Int(c[2][start..<end].max() ?? -1) + 1)
                for i in start..<end where c[2][i] >= 0 { v[Int(c[2][i])] = c[3][i] }
                snapshots.append(Snapshot(time: c[0][start], gid: Int(c[1][start]), voltage: v))
                start = end
            }
        }
        return CableReportData(durationMs: duration, resolutionMs: resolution, populations: populations, spikesRecorded: recorded,
                               spikeGids: gids, spikeTimes: times, probes: probes, shapes: shapes, snapshots: snapshots)
    }
}

extension CSVFile {
    /// A cable run's spikes.csv (`population,gid,detector,t_ms`): gids and times.
    public static func readCableSpikes(_ path: String) throws -> (gids: [Int], times: [Double]) {
        var gids: [Int] = [], times: [Double] = []
        try scan(path) { c in
            c.skipLine()   // header
            while c.nextRow() {
                guard c.field() != nil else { throw c.error("expected population,gid,detector,t_ms") }
                guard let g = c.number(), c.comma() else { throw c.error("bad gid") }
                guard c.field() != nil else { throw c.error("expected population,gid,detector,t_ms") }
                guard let t = c.number() else { throw c.error("bad time") }
                gids.append(Int(g)); times.append(t)
                c.endRow()
            }
        }
        return (gids, times)
    }
}
