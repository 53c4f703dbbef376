import Foundation
import PlexusCore
#if canImport(Glibc)
import Glibc
#endif

extension PointReportData {
    /// Reads a point run's folder: spikes.csv, multimeter_<population>[_k].csv, weights.csv,
    /// structural.csv and
    /// the sizes, duration and recordings from provenance.json's resolved experiment.
    /// `unitOf(model, variable)` names a state variable's unit (variable "weight": the unit of
    /// the model's synaptic weights).
    public static func read(directory: String, record: RunRecord,
                            unitOf: (String, String) -> String? = { _, _ in nil }) throws -> PointReportData {
        let dir = URL(fileURLWithPath: directory)
        let duration = record.durationMs
        let resolution = record.resolutionMs
        var info: [String: (first: Int, size: Int, model: String)] = [:]
        for pop in record.populations ?? [] { info[pop.name] = (pop.firstGid, pop.size, pop.model) }
        let recorded = record.spikesRecorded ?? []
        var spikes: [Spikes] = []
        let spikeFile = dir.appendingPathComponent("spikes.csv")
        if !recorded.isEmpty, FileManager.default.fileExists(atPath: spikeFile.path) {
            let table = try CSVFile.readSpikes(spikeFile.path)
            for name in recorded {
                let (first, size, _) = info[name] ?? (1, 0, "")
                let rows = table[name] ?? ([], [])
                var lo = first, hi = first + size
                if size == 0, let a = rows.gids.min(), let b = rows.gids.max() { lo = a; hi = b + 1 }
                spikes.append(Spikes(population: name, firstGid: lo, size: hi - lo, gids: rows.gids, times: rows.times))
            }
        }
        // Multimeter files in the order the provenance lists them (the order they were written).
        var files = record.outputs.map(\.file)
        if files.isEmpty {
            files = (try? FileManager.default.contentsOfDirectory(atPath: directory).sorted()) ?? []
        }
        var traces: [Traces] = []
        for file in files where file.hasPrefix("multimeter_") && file.hasSuffix(".csv") {
            let stem = String(file.dropFirst("multimeter_".count).dropLast(4))
            var pop = stem
            if info[stem] == nil, let cut = stem.lastIndex(of: "_"), info[String(stem[..<cut])] != nil {
                pop = String(stem[..<cut])
            }
            let (header, columns) = try CSVFile.readNumeric(dir.appendingPathComponent(file).path)
            guard header.count >= 2, header[0] == "t_ms", header[1] == "gid" else {
                throw ReportError("expected the columns t_ms,gid,... in the first line", file: dir.appendingPathComponent(file).path)
            }
            let vars = Array(header.dropFirst(2))
            let model = info[pop]?.model ?? ""
            traces.append(Traces(population: pop, variables: vars, units: vars.map { unitOf(model, $0) ?? "" },
                                 times: columns[0], gids: columns[1].map { Int($0) }, values: Array(columns.dropFirst(2))))
        }
        var weights: Weights?
        let weightFile = dir.appendingPathComponent("weights.csv")
        if files.contains("weights.csv") || FileManager.default.fileExists(atPath: weightFile.path) {
            let (header, c) = try CSVFile.readNumeric(weightFile.path)
            guard header == ["t_ms", "source", "target", "weight"] else {
                throw ReportError("expected the columns t_ms,source,target,weight", file: weightFile.path)
            }
            let targets = c[2].map { Int($0) }
            let model = targets.first.flatMap { t in info.values.first { t >= $0.first && t < $0.first + $0.size }?.model } ?? ""
            weights = Weights(times: c[0], sources: c[1].map { Int($0) }, targets: targets, weights: c[3], unit: unitOf(model, "weight") ?? "")
        }
        var structural: Structural?
        let structuralFile = dir.appendingPathComponent("structural.csv")
        if files.contains("structural.csv") || FileManager.default.fileExists(atPath: structuralFile.path) {
            let (header, c) = try CSVFile.readNumeric(structuralFile.path)
            guard header.first == "t_ms" else { throw ReportError("expected t_ms as the first column", file: structuralFile.path) }
            structural = Structural(columns: Array(header.dropFirst()), times: c[0], values: Array(c.dropFirst()))
        }
        return PointReportData(durationMs: duration, resolutionMs: resolution, spikes: spikes, traces: traces, weights: weights,
                               structural: structural)
    }
}

/// An error reading a run's data for a report, with the file it is about.
public struct ReportError: Error, CustomStringConvertible {
    public let message: String
    public let file: String?
    public init(_ message: String, file: String? = nil) { self.message = message; self.file = file }
    public var description: String { file.map { "\($0): \(message)" } ?? message }
}

/// Fast readers of the CSV files runs write (plain fields, no quoting).
public enum CSVFile {
    /// spikes.csv (`population,gid,t_ms`): gids and times by population.
    public static func readSpikes(_ path: String) throws -> [String: (gids: [Int], times: [Double])] {
        let bytes = try load(path)
        var out: [String: (gids: [Int], times: [Double])] = [:]
        var lastName: ArraySlice<UInt8> = []
        var current = ""
        var gids: [Int] = [], times: [Double] = []
        func flush() {
            if !gids.isEmpty || !times.isEmpty {
                out[current, default: ([], [])].gids += gids
                out[current, default: ([], [])].times += times
                gids.removeAll(keepingCapacity: true); times.removeAll(keepingCapacity: true)
            }
        }
        try bytes.withUnsafeBufferPointer { buf in
            let n = buf.count - 1   // a NUL was appended
            var i = 0
            // Header.
            while i < n && buf[i] != 10 { i += 1 }
            i += 1
            var line = 2
            while i < n {
                if buf[i] == 10 || buf[i] == 13 { i += 1; continue }
                let start = i
                while i < n && buf[i] != 44 && buf[i] != 10 { i += 1 }
                guard i < n, buf[i] == 44 else { throw ReportError("line \(line): expected population,gid,t_ms", file: path) }
                let name = buf[start..<i]
                if !name.elementsEqual(lastName) {
                    flush()
                    lastName = ArraySlice(name)
                    current = String(decoding: name, as: UTF8.self)
                }
                i += 1
                var g = 0, digits = 0
                while i < n, buf[i] >= 48 && buf[i] <= 57 { g = g * 10 + Int(buf[i] - 48); i += 1; digits += 1 }
                guard digits > 0, i < n, buf[i] == 44 else { throw ReportError("line \(line): bad gid", file: path) }
                i += 1
                let (t, next) = number(buf.baseAddress! + i)
                guard next > 0 else { throw ReportError("line \(line): bad time", file: path) }
                i += next
                gids.append(g); times.append(t)
                while i < n && buf[i] != 10 { i += 1 }
                line += 1
            }
        }
        flush()
        return out
    }

    /// A CSV file of numbers with a header line: the column names and the columns.
    public static func readNumeric(_ path: String) throws -> ([String], [[Double]]) {
        let bytes = try load(path)
        var header: [String] = []
        var columns: [[Double]] = []
        try bytes.withUnsafeBufferPointer { buf in
            let n = buf.count - 1
            var i = 0
            while i < n && buf[i] != 10 { i += 1 }
            header = String(decoding: buf[0..<i], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                .split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            columns = Array(repeating: [], count: header.count)
            i += 1
            var line = 2
            while i < n {
                if buf[i] == 10 || buf[i] == 13 { i += 1; continue }
                for c in 0..<header.count {
                    let (v, used) = number(buf.baseAddress! + i)
                    guard used > 0 else { throw ReportError("line \(line), column \(header[c]): not a number", file: path) }
                    columns[c].append(v)
                    i += used
                    if c < header.count - 1 {
                        guard i < n, buf[i] == 44 else { throw ReportError("line \(line): expected \(header.count) columns", file: path) }
                        i += 1
                    }
                }
                while i < n && buf[i] != 10 { i += 1 }
                line += 1
            }
        }
        return (header, columns)
    }

    /// The file's bytes followed by a NUL (so strtod stops at the end).
    static func load(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReportError("cannot read the file", file: path) }
        var bytes = [UInt8](data)
        bytes.append(0)
        return bytes
    }

    /// strtod at p: the value and the number of bytes used (0 = no number).
    @inline(__always) static func number(_ p: UnsafePointer<UInt8>) -> (Double, Int) {
        p.withMemoryRebound(to: CChar.self, capacity: 1) { c in
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(c, &end)
            return (v, end.map { $0 - UnsafeMutablePointer(mutating: c) } ?? 0)
        }
    }
}
