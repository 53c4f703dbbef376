#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PlexusCore
import PlexusMass

/// A numeric matrix read from a file, row-major.
public struct NumericMatrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public subscript(i: Int, j: Int) -> Double { values[i * columns + j] }

    public var transposed: NumericMatrix {
        var out = [Double](repeating: 0, count: values.count)
        for i in 0..<rows { for j in 0..<columns { out[j * rows + i] = values[i * columns + j] } }
        return NumericMatrix(rows: columns, columns: rows, values: out)
    }

    /// Without the rows (and, when `columns`, the columns) in `drop` (0-based).
    public func removing(_ drop: Set<Int>, columns alsoColumns: Bool) -> NumericMatrix {
        let keepRows = (0..<rows).filter { !drop.contains($0) }
        let keepColumns = alsoColumns ? (0..<columns).filter { !drop.contains($0) } : Array(0..<columns)
        var out: [Double] = []
        out.reserveCapacity(keepRows.count * keepColumns.count)
        for i in keepRows { for j in keepColumns { out.append(values[i * columns + j]) } }
        return NumericMatrix(rows: keepRows.count, columns: keepColumns.count, values: out)
    }
}

/// Matrices in the files neuroscience data come in: MATLAB level-5 .mat (the only numeric
/// variable, or the one named), numpy .npy (2-D, float or integer), or text (rows of numbers
/// separated by commas, spaces or tabs; `#` comments).
public enum MatrixFile {
    public static func read(_ path: String, key: String? = nil) throws -> NumericMatrix {
        guard FileManager.default.fileExists(atPath: path) else { throw PlexusError("no such file", file: path) }
        let m: NumericMatrix
        switch (path as NSString).pathExtension.lowercased() {
        case "mat":
            let f = try MatFile(contentsOf: path)
            let numeric = f.variables.filter { $0.text == nil }
            let v: MatFile.Variable
            if let key {
                guard let found = f[key], found.text == nil else {
                    throw PlexusError("no numeric variable '\(key)' (the file has \(numeric.map(\.name).joined(separator: ", ")))", file: path)
                }
                v = found
            } else {
                guard numeric.count == 1 else {
                    throw PlexusError(numeric.isEmpty ? "no numeric variable"
                                      : "\(numeric.count) numeric variables (\(numeric.map(\.name).joined(separator: ", "))): name one with a key",
                                      file: path)
                }
                v = numeric[0]
            }
            guard v.dimensions.count == 2 else { throw PlexusError("variable '\(v.name)' has \(v.dimensions.count) dimensions, not 2", file: path) }
            m = NumericMatrix(rows: v.rows, columns: v.columns, values: v.rowMajor())
        case "npy":
            if key != nil { throw PlexusError("a key names a variable of a .mat file; an .npy file holds one array", file: path) }
            let a = try NpyArray(contentsOf: path)
            guard a.shape.count == 2 else { throw PlexusError("shape \(a.shape): a matrix needs 2 dimensions", file: path) }
            m = NumericMatrix(rows: a.shape[0], columns: a.shape[1], values: a.values)
        default:
            if key != nil { throw PlexusError("a key names a variable of a .mat file, not of a text file", file: path) }
            m = try text(path)
        }
        if let k = m.values.firstIndex(where: { !$0.isFinite }) {
            throw PlexusError("element (\(k / max(1, m.columns)), \(k % max(1, m.columns))) is \(m.values[k])", file: path)
        }
        return m
    }

    static func text(_ path: String) throws -> NumericMatrix {
        guard let data = FileManager.default.contents(atPath: path) else { throw PlexusError("cannot read the file", file: path) }
        var values: [Double] = [], columns = -1, rows = 0, lineNo = 0
        for raw in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let fields = raw.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            if columns < 0 { columns = fields.count }
            guard fields.count == columns else {
                throw PlexusError("\(fields.count) numbers where the first row has \(columns)", file: path, line: lineNo)
            }
            for (k, f) in fields.enumerated() {
                guard let v = Double(f) else { throw PlexusError("'\(f)' (column \(k + 1)) is not a number", file: path, line: lineNo) }
                values.append(v)
            }
            rows += 1
        }
        guard rows > 0 else { throw PlexusError("no numbers", file: path) }
        return NumericMatrix(rows: rows, columns: columns, values: values)
    }

    /// The files a pattern names, relative to `base`: a `*`, `?` or `[` makes it a glob, expanded
    /// in sorted order (so averages do not depend on the directory's order); no match is an error.
    public static func expand(_ pattern: String, base: String) throws -> [String] {
        let full = pattern.hasPrefix("/") ? pattern : base + "/" + pattern
        guard pattern.contains(where: { "*?[".contains($0) }) else { return [full] }
        var g = glob_t()
        defer { globfree(&g) }
        var found: [String] = []
        if glob(full, 0, nil, &g) == 0 {
            for k in 0..<Int(g.gl_pathc) { if let p = g.gl_pathv[k] { found.append(String(cString: p)) } }
        }
        guard !found.isEmpty else { throw PlexusError("no file matches '\(full)'") }
        return found.sorted()
    }
}

extension MatrixConnectivity {
    /// The connectome: each matrix stripped of the dropped regions, each weights matrix then normalised, and the
    /// element-wise mean over files (neurolib's `np.mean(Cmats, axis=0)`), the same for lengths.
    public func load() throws -> Connectome {
        guard !weights.isEmpty else { throw PlexusError("no weights files", keyPath: "connectivity.matrices.weights") }
        guard !lengths.isEmpty else { throw PlexusError("no lengths files", keyPath: "connectivity.matrices.lengths") }
        let drop = Set(dropRegions)
        func mean(_ files: [String], key: String?, normalize: Normalization, what: String) throws -> NumericMatrix {
            var sum: NumericMatrix?
            for path in files {
                var m = try MatrixFile.read(path, key: key)
                guard m.rows == m.columns else { throw PlexusError("\(what) must be square; this one is \(m.rows) x \(m.columns)", file: path) }
                if let bad = dropRegions.first(where: { $0 < 0 || $0 >= m.rows }) {
                    throw PlexusError("drop_regions has \(bad); the matrices have \(m.rows) regions (0..<\(m.rows))",
                                      keyPath: "connectivity.matrices.drop_regions")
                }
                if let bad = m.values.firstIndex(where: { $0 < 0 }) {
                    throw PlexusError("\(what) must be >= 0; element (\(bad / m.columns), \(bad % m.columns)) is \(m.values[bad])", file: path)
                }
                // neurolib drops the regions when it loads a file and normalises afterwards.
                m = m.removing(drop, columns: true)
                if normalize == .max {
                    let top = m.values.max() ?? 0
                    guard top > 0 else { throw PlexusError("normalize: max needs a positive maximum; the largest weight is \(top)", file: path) }
                    m.values = m.values.map { $0 / top }
                }
                if var s = sum {
                    guard s.rows == m.rows else { throw PlexusError("\(m.rows) regions where \(files[0]) has \(s.rows)", file: path) }
                    for k in s.values.indices { s.values[k] += m.values[k] }
                    sum = s
                } else {
                    sum = m
                }
            }
            var s = sum!
            // numpy's mean: the sum over files divided by their number.
            let count = Double(files.count)
            for k in s.values.indices { s.values[k] /= count }
            return s
        }
        var w = try mean(weights, key: weightsKey, normalize: normalize, what: "a weights matrix")
        var len = try mean(lengths, key: lengthsKey, normalize: .none, what: "a lengths matrix")
        guard w.rows == len.rows else {
            throw PlexusError("the weights have \(w.rows) regions and the lengths \(len.rows)", keyPath: "connectivity.matrices")
        }
        let n = w.rows
        guard n >= 1 else { throw PlexusError("no regions left", keyPath: "connectivity.matrices.drop_regions") }
        if !selfConnections { for i in 0..<n { w.values[i * n + i] = 0; len.values[i * n + i] = 0 } }
        if let labels, labels.count != n {
            throw PlexusError("\(labels.count) labels for \(n) regions", keyPath: "connectivity.matrices.labels")
        }
        return Connectome(labels: labels ?? (0..<n).map { "r\($0)" }, weights: w.values, tractLengths: len.values,
                          source: "matrices(\(weights.count) weights file\(weights.count == 1 ? "" : "s"): \(weights[0])\(weights.count > 1 ? ", ..." : ""))")
    }
}
