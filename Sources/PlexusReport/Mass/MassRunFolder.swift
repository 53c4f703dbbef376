import Foundation
import PlexusCore

extension MassReportData {
    /// Reads a mass run's folder: the monitor files named by provenance.json's `monitor_files`
    /// (`t_ms,<labels>` or `t_ms,<variable>.<label>,...`; a .npy monitor file holds the same
    /// table, its column names in the record), fc.csv and sc.csv (`region,<labels>`, one row per
    /// region) when present.
    public static func read(directory: String, record: RunRecord) throws -> MassReportData {
        let dir = URL(fileURLWithPath: directory)
        var monitors: [Monitor] = []
        var labels: [String] = []
        for m in record.monitors ?? [] {
            let file = m.file
            let path = dir.appendingPathComponent(file).path
            let (header, columns) = file.hasSuffix(".npy") ? try readNpy(path, columns: m.columns) : try CSVFile.readNumeric(path)
            let variables = m.variables
            guard header.first == "t_ms", !variables.isEmpty, (header.count - 1) % variables.count == 0 else {
                throw ReportError("expected t_ms and one column per variable and region in the first line", file: path)
            }
            let n = (header.count - 1) / variables.count
            let names = header[1...n].map { h in variables.count > 1 ? String(h.dropFirst(variables[0].count + 1)) : h }
            if Monitor.hasOwnColumns(m.type) {
                monitors.append(Monitor(kind: m.type, file: file, periodMs: m.periodMs, variables: variables, times: columns[0],
                                        series: Array(columns.dropFirst()), columns: Array(names)))
                continue
            }
            if labels.isEmpty { labels = names }
            guard names == labels else { throw ReportError("the region columns differ from those of the first monitor file", file: path) }
            monitors.append(Monitor(kind: m.type, file: file, periodMs: m.periodMs, variables: variables, times: columns[0],
                                    series: Array(columns.dropFirst())))
        }
        var fc: FC?
        let fcFile = dir.appendingPathComponent("fc.csv").path
        if FileManager.default.fileExists(atPath: fcFile) {
            let (fcLabels, matrix) = try CSVFile.readLabelledMatrix(fcFile)
            if labels.isEmpty { labels = fcLabels }
            guard fcLabels == labels else { throw ReportError("the regions differ from the monitor files'", file: fcFile) }
            fc = FC(matrix: matrix, monitor: record.fc?.monitor ?? 0, variable: record.fc?.variable ?? "", samples: record.fc?.samples ?? 0)
        }
        var weights: [Double]?
        let scFile = dir.appendingPathComponent("sc.csv").path
        if FileManager.default.fileExists(atPath: scFile) {
            let (scLabels, matrix) = try CSVFile.readLabelledMatrix(scFile)
            guard scLabels == labels else { throw ReportError("the regions differ from the monitor files'", file: scFile) }
            weights = matrix
        }
        return MassReportData(durationMs: record.durationMs, model: record.model ?? "",
                              labels: labels, monitors: monitors, fc: fc, weights: weights)
    }
}

extension MassReportData {
    /// A monitor's .npy (shape samples x (1 + columns), column 0 t_ms) as the CSV reader gives
    /// its table: the header and the columns.
    static func readNpy(_ path: String, columns names: [String]?) throws -> ([String], [[Double]]) {
        guard let names else { throw ReportError("provenance.json does not name the columns of this .npy monitor file", file: path) }
        let a: NpyArray
        do { a = try NpyArray(contentsOf: path) } catch let e as PlexusError { throw ReportError(e.message, file: path) }
        guard a.shape.count == 2, a.shape[1] == names.count + 1 else {
            throw ReportError("expected shape (samples, \(names.count + 1)) (t_ms and the recorded columns), found \(a.shape)", file: path)
        }
        let rows = a.shape[0], width = a.shape[1]
        var columns = [[Double]](repeating: [], count: width)
        for c in 0..<width {
            var col = [Double](repeating: 0, count: rows)
            for r in 0..<rows { col[r] = a.values[r * width + c] }
            columns[c] = col
        }
        return (["t_ms"] + names, columns)
    }
}

extension MassSweepData {
    /// Reads sweep.csv (the swept parameters, fc_sc, [fc_fc], mean_<v>, std_<v>, seconds, status)
    /// and the axes from provenance.json's `sweep`.
    public static func read(directory: String, record: RunRecord) throws -> MassSweepData {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("sweep.csv").path
        let axes = (record.sweep ?? []).map { Axis(parameter: $0.parameter, values: $0.values) }
        guard !axes.isEmpty else { throw ReportError("provenance.json has no sweep axes", file: directory) }
        guard let data = FileManager.default.contents(atPath: path) else { throw ReportError("cannot read the file", file: path) }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
        guard let head = lines.first else { throw ReportError("empty file", file: path) }
        let header = head.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let a = axes.count
        guard header.count >= a + 5, Array(header.prefix(a)) == axes.map(\.parameter), header[a] == "fc_sc",
              let meanColumn = header.firstIndex(where: { $0.hasPrefix("mean_") }), header.last == "status" else {
            throw ReportError("expected the columns \(axes.map(\.parameter).joined(separator: ",")),fc_sc,[fc_fc,]mean_<v>,std_<v>,seconds,status", file: path)
        }
        let hasFCFC = header[a + 1] == "fc_fc"
        var d = MassSweepData(axes: axes, values: [], fcSC: [], fcFC: hasFCFC ? [] : nil, variable: String(header[meanColumn].dropFirst(5)),
                              mean: [], std: [], seconds: [], status: [])
        for (k, line) in lines.dropFirst().enumerated() {
            // The status is last and may hold commas (quoted).
            var fields = line.split(separator: ",", maxSplits: header.count - 1, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == header.count else { throw ReportError("line \(k + 2): expected \(header.count) columns", file: path) }
            let status = fields.removeLast().trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            let numbers = try fields.enumerated().map { c, f -> Double in
                guard let v = Double(f) else { throw ReportError("line \(k + 2), column \(header[c]): not a number", file: path) }
                return v
            }
            d.values.append(Array(numbers.prefix(a)))
            d.fcSC.append(numbers[a])
            if hasFCFC { d.fcFC?.append(numbers[a + 1]) }
            d.mean.append(numbers[meanColumn]); d.std.append(numbers[meanColumn + 1]); d.seconds.append(numbers[meanColumn + 2])
            d.status.append(status)
        }
        return d
    }
}

extension CSVFile {
    /// A square matrix with region labels (`region,<labels>` then `<label>,<values>` per row):
    /// the labels and the values row by row.
    public static func readLabelledMatrix(_ path: String) throws -> ([String], [Double]) {
        var labels: [String] = []
        var values: [Double] = []
        try scan(path) { c in
            labels = String(decoding: c.restOfLine(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                .split(separator: ",", omittingEmptySubsequences: false).dropFirst().map(String.init)
            values.reserveCapacity(labels.count * labels.count)
            var rows = 0
            while c.nextRow() {
                guard c.field() != nil else { throw c.error("expected \(labels.count + 1) columns") }   // the row's label
                for k in 0..<labels.count {
                    guard k == 0 || c.comma() else { throw c.error("expected \(labels.count + 1) columns") }
                    guard let v = c.number() else { throw c.error("column \(labels[k]): not a number", separator: ", ") }
                    values.append(v)
                }
                c.endRow()
                rows += 1
            }
            guard rows == labels.count else { throw ReportError("\(rows) rows for \(labels.count) regions", file: path) }
        }
        return (labels, values)
    }
}
