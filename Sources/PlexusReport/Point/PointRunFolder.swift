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
        try scan(path) { c in
            c.skipLine()   // header
            while c.nextRow() {
                guard let name = c.field() else { throw c.error("expected population,gid,t_ms") }
                if !name.elementsEqual(lastName) {
                    flush()
                    lastName = ArraySlice(name)
                    current = String(decoding: name, as: UTF8.self)
                }
                guard let g = c.wholeNumber(), c.comma() else { throw c.error("bad gid") }
                guard let t = c.number() else { throw c.error("bad time") }
                gids.append(g); times.append(t)
                c.endRow()
            }
        }
        flush()
        return out
    }

    /// A CSV file of numbers with a header line: the column names and the columns.
    public static func readNumeric(_ path: String) throws -> ([String], [[Double]]) {
        var header: [String] = []
        var columns: [[Double]] = []
        try scan(path) { c in
            header = String(decoding: c.restOfLine(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                .split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            columns = Array(repeating: [], count: header.count)
            while c.nextRow() {
                for k in 0..<header.count {
                    guard let v = c.number() else { throw c.error("column \(header[k]): not a number", separator: ", ") }
                    columns[k].append(v)
                    if k < header.count - 1 {
                        guard c.comma() else { throw c.error("expected \(header.count) columns") }
                    }
                }
                c.endRow()
            }
        }
        return (header, columns)
    }

    /// Runs `body` over the bytes of the file at `path` with a cursor at its start.
    static func scan(_ path: String, _ body: (inout CSVCursor) throws -> Void) throws {
        let bytes = try load(path)
        try bytes.withUnsafeBufferPointer { buf in
            var cursor = CSVCursor(buf, path: path)
            try body(&cursor)
        }
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

/// A cursor over the bytes of a plain CSV file (no quoting) that the run writers produce: the
/// one scanner every fast reader uses. The buffer ends with a NUL so that strtod stops there.
struct CSVCursor {
    let buf: UnsafeBufferPointer<UInt8>
    let path: String
    /// Bytes before the trailing NUL.
    let n: Int
    var i = 0
    /// 1-based line number of the row being read.
    var line = 1

    init(_ buf: UnsafeBufferPointer<UInt8>, path: String) {
        self.buf = buf; self.path = path; n = buf.count - 1
    }

    /// The rest of the current line (without its newline); moves to the next line.
    mutating func restOfLine() -> Slice<UnsafeBufferPointer<UInt8>> {
        let start = i
        while i < n && buf[i] != 10 { i += 1 }
        defer { i += 1; line += 1 }
        return buf[start..<i]
    }

    mutating func skipLine() { _ = restOfLine() }

    /// Skips empty lines; whether a row follows.
    mutating func nextRow() -> Bool {
        while i < n && (buf[i] == 10 || buf[i] == 13) { i += 1 }
        return i < n
    }

    /// The text up to the next comma, which is consumed; nil when the line ends first.
    mutating func field() -> Slice<UnsafeBufferPointer<UInt8>>? {
        let start = i
        while i < n && buf[i] != 44 && buf[i] != 10 { i += 1 }
        guard i < n, buf[i] == 44 else { return nil }
        defer { i += 1 }
        return buf[start..<i]
    }

    /// Consumes a comma; false when there is none.
    mutating func comma() -> Bool {
        guard i < n, buf[i] == 44 else { return false }
        i += 1
        return true
    }

    /// Decimal digits as an integer; nil when there are none.
    mutating func wholeNumber() -> Int? {
        var g = 0, digits = 0
        while i < n, buf[i] >= 48 && buf[i] <= 57 { g = g * 10 + Int(buf[i] - 48); i += 1; digits += 1 }
        return digits > 0 ? g : nil
    }

    /// A floating-point number (strtod); nil when there is none.
    mutating func number() -> Double? {
        let (v, used) = CSVFile.number(buf.baseAddress! + i)
        guard used > 0 else { return nil }
        i += used
        return v
    }

    /// Skips what is left of the row.
    mutating func endRow() {
        while i < n && buf[i] != 10 { i += 1 }
        line += 1
    }

    func error(_ what: String, separator: String = ": ") -> ReportError {
        ReportError("line \(line)\(separator)\(what)", file: path)
    }
}
