import CBZip2
import Foundation
import PlexusCore
import PlexusMass

/// Reads TVB connectivity zips as tvb-data ships them, the way TVB's `ZipReader` does: for each
/// key (`weights`, `tract_lengths`, `centres` or `centers`, `cortical`, `hemispheres`, `areas`,
/// `average_orientations`) the FIRST member whose path contains the key (any folder, `__MACOSX`
/// skipped), bz2-decompressed when its name ends in `.bz2`, parsed as whitespace-separated
/// numbers (centres: label then x y z; extra columns ignored). Row i is region i everywhere.
/// Missing tract lengths are Euclidean distances between centres (TVB's fallback); missing
/// hemispheres come from the labels. Every error names the zip, the member and the line.
public enum ConnectomeZip {
    public static func read(_ path: String) throws -> Connectome {
        guard FileManager.default.fileExists(atPath: path) else {
            throw PlexusError("connectivity zip not found", file: path)
        }
        let archive = try ZipReader(path: path)
        let entries = archive.files
        func member(_ keys: String...) throws -> (name: String, text: String)? {
            for key in keys {
                guard let e = entries.first(where: { $0.name.contains(key) }) else { continue }
                var data = try archive.extract(e)
                if e.name.hasSuffix(".bz2") { data = try ZipReader.bunzip2(data, place: "\(path):\(e.name)") }
                guard let text = String(validating: data, as: UTF8.self) ?? String(bytes: data, encoding: .isoLatin1) else {
                    throw PlexusError("the member is not text", file: "\(path):\(e.name)")
                }
                return (e.name, text)
            }
            return nil
        }
        guard let w = try member("weights") else {
            throw PlexusError("no member named like 'weights' (members: \(entries.map(\.name).joined(separator: ", ")))", file: path)
        }
        let wt = try parseTable(w.text, where: "\(path):\(w.name)")
        let n = wt.rows.count
        guard n >= 1 else { throw PlexusError("no numbers in the member", file: "\(path):\(w.name)") }
        try checkSquare(wt, n: n, where: "\(path):\(w.name)", what: "weights", reference: nil)
        var weights = [Double](repeating: 0, count: n * n)
        for (i, row) in wt.rows.enumerated() {
            for (j, v) in row.values.enumerated() {
                guard v.isFinite else {
                    throw PlexusError("weight in column \(j + 1) is \(v); weights must be finite numbers", file: "\(path):\(w.name)", line: row.line)
                }
                weights[i * n + j] = v
            }
        }
        // centres: label x y z
        var labels: [String] = [], centres: [Double] = []
        if let c = try member("centres", "centers") {
            let where_ = "\(path):\(c.name)"
            var lineNo = 0
            for raw in c.text.split(separator: "\n", omittingEmptySubsequences: false) {
                lineNo += 1
                let fields = raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
                if fields.isEmpty || fields[0].hasPrefix("#") { continue }
                guard fields.count >= 4 else {
                    throw PlexusError("expected 'label x y z', got \(fields.count) field(s)", file: where_, line: lineNo)
                }
                var xyz: [Double] = []
                for k in 1...3 {
                    guard let v = Double(fields[k]), v.isFinite else {
                        throw PlexusError("'\(fields[k])' (column \(k + 1)) is not a number", file: where_, line: lineNo)
                    }
                    xyz.append(v)
                }
                labels.append(String(fields[0]))
                centres += xyz
            }
            guard labels.count == n else {
                throw PlexusError("\(labels.count) regions here but \(n) in \(w.name)", file: where_, line: lineNo)
            }
        } else {
            labels = (0..<n).map { "region\($0)" }
            centres = [Double](repeating: 0, count: 3 * n)
        }
        var lengths = [Double](repeating: 0, count: n * n)
        if let t = try member("tract_lengths") {
            let where_ = "\(path):\(t.name)"
            let tt = try parseTable(t.text, where: where_)
            try checkSquare(tt, n: n, where: where_, what: "tract lengths", reference: w.name)
            for (i, row) in tt.rows.enumerated() {
                for (j, v) in row.values.enumerated() {
                    guard v.isFinite, v >= 0 else {
                        throw PlexusError("tract length in column \(j + 1) is \(v); lengths must be finite and >= 0", file: where_, line: row.line)
                    }
                    lengths[i * n + j] = v
                }
            }
        } else {
            for i in 0..<n {
                for j in 0..<n {
                    var s = 0.0
                    for k in 0..<3 { let d = centres[3 * i + k] - centres[3 * j + k]; s += d * d }
                    lengths[i * n + j] = s.squareRoot()
                }
            }
        }
        func vector(_ key: String, columns: Int = 1) throws -> [Double] {
            guard let m = try member(key) else { return [] }
            let where_ = "\(path):\(m.name)"
            let t = try parseTable(m.text, where: where_)
            guard t.rows.count == n else {
                throw PlexusError("\(t.rows.count) rows here but \(n) regions in \(w.name)", file: where_, line: t.rows.last?.line ?? 1)
            }
            var out: [Double] = []
            for row in t.rows {
                guard row.values.count == columns else {
                    throw PlexusError("expected \(columns) value(s) per line, got \(row.values.count)", file: where_, line: row.line)
                }
                for v in row.values where !v.isFinite {
                    throw PlexusError("value \(v) is not finite", file: where_, line: row.line)
                }
                out += row.values
            }
            return out
        }
        let cortical = try vector("cortical").map { $0 != 0 }
        let hemispheres = try vector("hemispheres").map { $0 != 0 }
        let areas = try vector("areas")
        let orientations = try vector("average_orientations", columns: 3)
        let conn = Connectome(labels: labels, weights: weights, tractLengths: lengths, centres: centres, cortical: cortical,
                              hemispheres: hemispheres, areas: areas, orientations: orientations,
                              source: URL(fileURLWithPath: path).lastPathComponent)
        try conn.validate()
        return conn
    }

    struct Table {
        struct Row { let line: Int; let values: [Double] }
        var rows: [Row] = []
    }

    /// Whitespace-separated numbers, one row per non-empty line; `#` starts a comment (numpy.loadtxt).
    /// Fields are separated by spaces, tabs, carriage returns or commas; `true`/`false` (and
    /// `True`/`False`) read as 1/0. Scans the UTF-8 bytes and converts each field with strtod in
    /// the C locale (correctly rounded, as `Double(String)`, which it falls back to in other locales): the text of connectivity_998's
    /// weights (a million numbers) reads in a fraction of the time Character-wise splitting took.
    static func parseTable(_ text: String, where place: String) throws -> Table {
        var text = text
        return try text.withUTF8 { try parseTable(bytes: $0, where: place) }
    }

    static func parseTable(bytes b: UnsafeBufferPointer<UInt8>, where place: String) throws -> Table {
        var table = Table()
        var lineNo = 0
        var i = 0
        let n = b.count
        var values: [Double] = []
        while i < n {
            lineNo += 1
            var end = i
            while end < n && b[end] != 10 { end += 1 }
            var stop = i
            while stop < end && b[stop] != 35 { stop += 1 }   // '#'
            values.removeAll(keepingCapacity: true)
            var k = i
            var column = 0
            while k < stop {
                let c = b[k]
                if c == 32 || c == 9 || c == 13 || c == 44 { k += 1; continue }
                var e = k
                while e < stop { let d = b[e]; if d == 32 || d == 9 || d == 13 || d == 44 { break }; e += 1 }
                column += 1
                guard let v = number(b, k, e) else {
                    throw PlexusError("'\(String(decoding: UnsafeBufferPointer(rebasing: b[k..<e]), as: UTF8.self))' (column \(column)) is not a number",
                                      file: place, line: lineNo)
                }
                values.append(v)
                k = e
            }
            i = end + 1
            if values.isEmpty { continue }
            if let first = table.rows.first, first.values.count != values.count {
                throw PlexusError("ragged matrix: \(values.count) values on this line, \(first.values.count) on line \(first.line)",
                                  file: place, line: lineNo)
            }
            table.rows.append(Table.Row(line: lineNo, values: values))
        }
        return table
    }

    /// strtod reads '.' as the decimal point only in a locale that says so (the C locale a
    /// program starts in); otherwise every field goes through `Double(String)`.
    private static var strtodReadsDots: Bool {
        guard let lc = localeconv(), let dp = lc.pointee.decimal_point else { return false }
        return dp[0] == 46 && dp[1] == 0
    }

    /// The field b[start..<end] as a number (what `Double(String)` accepts, or true/false), or nil.
    private static func number(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        let len = end - start
        func word(_ w: StaticString) -> Bool {
            w.utf8CodeUnitCount == len && (0..<len).allSatisfy { b[start + $0] == w.utf8Start[$0] }
        }
        if len == 4 && (word("true") || word("True")) { return 1 }
        if len == 5 && (word("false") || word("False")) { return 0 }
        guard len < 64, strtodReadsDots else {
            return Double(String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self))
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf -> Double? in
            let p = buf.baseAddress!
            for j in 0..<len { p[j] = CChar(bitPattern: b[start + j]) }
            p[len] = 0
            // The whole field must be the number (strtod stops where the number ends).
            var endp: UnsafeMutablePointer<CChar>?
            let v = strtod(p, &endp)
            guard let endp, endp == p + len else { return nil }
            return v
        }
    }

    static func checkSquare(_ t: Table, n: Int, where place: String, what: String, reference: String?) throws {
        let cols = t.rows.first?.values.count ?? 0
        if let reference {
            guard t.rows.count == n, cols == n else {
                throw PlexusError("\(what) are \(t.rows.count) x \(cols); \(reference) has \(n) regions",
                                  file: place, line: t.rows.count != n ? (t.rows.last?.line ?? 1) : (t.rows.first?.line ?? 1))
            }
        } else {
            guard cols == n else {
                throw PlexusError("\(what) must be square: \(n) rows of \(cols) values", file: place, line: t.rows.last?.line ?? 1)
            }
        }
    }

    /// Decompresses a whole bzip2 stream with libbz2.
    // MARK: - tvb-data

    /// Folder of the `tvb_data` Python package: `$PLEXUS_TVB_DATA` (that folder, or one holding
    /// `connectivity/`), else what `python3 -c 'import tvb_data'` says (also tried with
    /// bench/.venv-tvb/bin/python of this repository), asked once per process with a 20 s
    /// deadline per interpreter. nil when none is found. Python's answer is kept in the cache
    /// folder (`tvb_data_dirs`, keyed by the environment Python's choice depends on: PATH,
    /// VIRTUAL_ENV, CONDA_PREFIX, PYTHONPATH, PYTHONHOME, PYENV_VERSION and the current folder)
    /// and reused while that folder exists: starting Python costs 0.05-0.4 s, as much as a
    /// whole 10-s simulation of 76 regions.
    public static func tvbDataDirectory() -> String? { tvbData }

    private static let tvbData: String? = {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["PLEXUS_TVB_DATA"], !env.isEmpty {
            for cand in [env, env + "/tvb_data"] where fm.fileExists(atPath: cand + "/connectivity") { return cand }
        }
        let key = tvbDataCacheKey()
        if let d = TVBDataCache.lookup(key), fm.fileExists(atPath: d + "/connectivity") { return d }
        var pythons = ["python3"]
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        pythons.append(dir.appendingPathComponent("bench/.venv-tvb/bin/python").path)
        pythons.append(fm.currentDirectoryPath + "/bench/.venv-tvb/bin/python")
        for py in pythons {
            guard let out = ChildProcess.output([py, "-c", "import tvb_data, os; print(os.path.dirname(tvb_data.__file__))"], timeout: 20) else { continue }
            let d = out.trimmingCharacters(in: .whitespacesAndNewlines)
            if fm.fileExists(atPath: d + "/connectivity") {
                TVBDataCache.store(key, d)
                return d
            }
        }
        return nil
    }()

    /// What decides which `tvb_data` python3 imports, as one line.
    static func tvbDataCacheKey() -> String {
        let env = ProcessInfo.processInfo.environment
        let parts = ["PATH", "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "PYENV_VERSION"].map { "\($0)=\(env[$0] ?? "")" }
        return (parts + ["cwd=\(FileManager.default.currentDirectoryPath)"]).joined(separator: "\u{1}")
    }

    /// Path of `<name>.zip` in tvb-data's connectivity folder.
    public static func tvbDataZip(_ name: String) throws -> String {
        guard let dir = tvbDataDirectory() else {
            throw PlexusError("tvb-data is not installed (pip install tvb-data==3.0.0, or set PLEXUS_TVB_DATA to its folder)",
                              keyPath: "connectivity.tvb_data")
        }
        let file = name.hasSuffix(".zip") ? name : name + ".zip"
        let path = dir + "/connectivity/" + file
        guard FileManager.default.fileExists(atPath: path) else {
            let known = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/connectivity"))?
                .filter { $0.hasSuffix(".zip") }.map { String($0.dropLast(4)) }.sorted() ?? []
            throw PlexusError("tvb-data has no connectivity '\(name)'; known: \(known.joined(separator: ", "))", keyPath: "connectivity.tvb_data")
        }
        return path
    }

    /// The connectome of a description's source (zip paths relative to `baseDirectory`).
    public static func load(_ source: ConnectivitySource, baseDirectory: String = ".") throws -> Connectome {
        switch source {
        case .tvbData(let name): return try read(tvbDataZip(name))
        case .zip(let p): return try read(p.hasPrefix("/") ? p : baseDirectory + "/" + p)
        case .synthetic(let n, let density, let seed): return try Connectome.synthetic(regions: n, density: density, seed: seed)
        case .matrices(let m): return try m.load()
        case .given(let c): return c
        }
    }
}

/// The cache file of tvb_data folders python3 named: lines of `<SHA-256 of the key> <folder>`,
/// newest first, at most 32. Unreadable or unwritable caches are ignored (Python is asked).
enum TVBDataCache {
    static var file: String {
        let env = ProcessInfo.processInfo.environment
        if let d = env["PLEXUS_CACHE"], !d.isEmpty { return d + "/tvb_data_dirs" }
        if let d = env["XDG_CACHE_HOME"], !d.isEmpty { return d + "/plexus/tvb_data_dirs" }
        if let h = env["HOME"], !h.isEmpty { return h + "/.cache/plexus/tvb_data_dirs" }
        return NSTemporaryDirectory() + "plexus-tvb_data_dirs"
    }

    static func entries(_ file: String) -> [(String, String)] {
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { (line: Substring) -> (String, String)? in
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[1].isEmpty else { return nil }
            return (String(parts[0]), String(parts[1]))
        }
    }

    static func lookup(_ key: String, file: String = file) -> String? {
        let h = SHA256.hex(Array(key.utf8))
        return entries(file).first { $0.0 == h }?.1
    }

    static func store(_ key: String, _ folder: String, file: String = file) {
        guard !folder.contains("\n") else { return }
        let h = SHA256.hex(Array(key.utf8))
        let kept = [(h, folder)] + entries(file).filter { $0.0 != h }.prefix(31)
        let url = URL(fileURLWithPath: file)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temp = url.deletingLastPathComponent().appendingPathComponent(".tvb_data_dirs.\(ProcessInfo.processInfo.processIdentifier)")
        guard (try? Data(kept.map { "\($0.0) \($0.1)\n" }.joined().utf8).write(to: temp)) != nil else { return }
        if rename(temp.path, url.path) != 0 { try? FileManager.default.removeItem(at: temp) }
    }
}
