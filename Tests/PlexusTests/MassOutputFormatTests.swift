import Foundation
import XCTest
import CSHA256
@testable import PlexusCore
@testable import PlexusIO
@testable import PlexusSession

/// Monitor files as numpy's .npy (`output: {format: npy}`): the same numbers as the CSV, byte for
/// byte the same for any thread count, listed in provenance.json; bad `output` values refused
/// with the line and key path; the SHA-256 and the tvb-data look-up cache behind the faster
/// whole process.
final class MassOutputFormatTests: XCTestCase {
    /// A small synthetic-connectome run (no tvb-data needed) with two monitors, one of them
    /// recording two variables.
    func yaml(_ output: String, duration: String = "200 ms") -> String {
        """
        engine: mass
        connectivity: {synthetic: {regions: 12, density: 0.4, seed: 3}}
        model: {name: Generic2dOscillator}
        coupling: {name: Linear, params: {a: 0.02}}
        integrator: {name: HeunDeterministic, dt: 0.1 ms}
        initial_history: {V: 0.3, W: -0.1}
        duration: \(duration)
        monitors: [{type: temporal_average, period: 1 ms}, {type: raw, variables: [V, W]}]
        \(output)
        """
    }

    func run(_ text: String, threads: Int = 1, in folder: TemporaryFolder, name: String) throws -> RunOutcome {
        let file = folder.write("\(name).yaml", text)
        return try Session.run(RunRequest(file: file, out: folder.path(name), threads: threads, quiet: true, noReport: true))
    }

    /// The CSV's table: header and rows of numbers.
    func csv(_ path: String) throws -> ([String], [[Double]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        return (header, lines.dropFirst().map { $0.split(separator: ",").map { Double($0)! } })
    }

    func testNpyHoldsExactlyTheCSVsNumbers() throws {
        let folder = temporaryFolder("plexus-npy")
        let outcome = try run(yaml("output: {format: [csv, npy]}"), in: folder, name: "both")
        let dir = outcome.directory
        for (stem, nv) in [("tavg", 1), ("raw", 2)] {
            let (header, rows) = try csv(dir + "/\(stem).csv")
            let data = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/\(stem).npy"))
            let npy = try NpyArray(data: data, name: stem)
            XCTAssertEqual(npy.shape, [rows.count, 1 + 12 * nv])
            XCTAssertEqual(header.count, 1 + 12 * nv)
            XCTAssertGreaterThan(rows.count, 100)
            // Bit for bit: the CSV's shortest round-trip decimals read back as the .npy's doubles.
            for (r, row) in rows.enumerated() {
                for (c, v) in row.enumerated() where v.bitPattern != npy.values[r * (1 + 12 * nv) + c].bitPattern {
                    XCTFail("\(stem) row \(r) column \(c): csv \(v), npy \(npy.values[r * (1 + 12 * nv) + c])")
                    return
                }
            }
            // numpy's layout: magic, version 1.0, header padded to 64 bytes and ending in a newline.
            let bytes = [UInt8](data)
            XCTAssertEqual(Array(bytes[0..<8]), [0x93] + Array("NUMPY".utf8) + [1, 0])
            let hlen = Int(bytes[8]) | Int(bytes[9]) << 8
            XCTAssertEqual((10 + hlen) % 64, 0)
            XCTAssertEqual(bytes[10 + hlen - 1], 10)
            let dict = String(decoding: bytes[10..<(10 + hlen)], as: UTF8.self)
            XCTAssertTrue(dict.hasPrefix("{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows.count), \(1 + 12 * nv)), }"), dict)
            XCTAssertEqual(bytes.count, 10 + hlen + 8 * rows.count * (1 + 12 * nv))
        }
        // The record: both files listed with their size and SHA-256; the monitor names its .npy
        // and the .npy's columns (the CSV header after t_ms).
        let record = outcome.record
        for name in ["tavg.csv", "tavg.npy", "raw.csv", "raw.npy"] {
            let o = try XCTUnwrap(record.outputs.first { $0.file == name }, name)
            let data = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/" + name))
            XCTAssertEqual(o.bytes, data.count)
            XCTAssertEqual(o.sha256, SHA256.hex(data), "the digest computed while writing is the file's")
        }
        let monitors = try XCTUnwrap(record.monitors)
        XCTAssertEqual(monitors.map(\.file), ["tavg.csv", "raw.csv"])
        XCTAssertEqual(monitors.map(\.npyFile), ["tavg.npy", "raw.npy"])
        XCTAssertEqual(monitors[1].columns, Array(try csv(dir + "/raw.csv").0.dropFirst()))
        XCTAssertTrue(monitors[1].columns?.first?.hasPrefix("V.") ?? false)
        XCTAssertTrue(try RunFolder.readRecord(dir).1.contains("\"npy_file\""))
        try RunFolder.verify(dir, record)
    }

    func testNpyOnlyRunIsIdenticalForAnyThreadCountAndItsReportRebuilds() throws {
        let folder = temporaryFolder("plexus-npy")
        let text = yaml("output: {format: npy}")
        let one = try run(text, threads: 1, in: folder, name: "t1")
        let two = try run(text, threads: 2, in: folder, name: "t2")
        let three = try run(text, threads: 3, in: folder, name: "t3")
        XCTAssertFalse(FileManager.default.fileExists(atPath: one.directory + "/tavg.csv"), "npy only: no CSV")
        XCTAssertEqual(one.record.monitors?.map(\.file), ["tavg.npy", "raw.npy"])
        for name in ["tavg.npy", "raw.npy"] {
            let a = try XCTUnwrap(FileManager.default.contents(atPath: one.directory + "/" + name))
            XCTAssertEqual(a, FileManager.default.contents(atPath: two.directory + "/" + name), "\(name): 1 vs 2 threads")
            XCTAssertEqual(a, FileManager.default.contents(atPath: three.directory + "/" + name), "\(name): 1 vs 3 threads")
        }
        // plexus report reads the .npy files with the column names from the record.
        let report = try Session.report(directory: one.directory)
        XCTAssertGreaterThan(report.figures, 0)
        // A rerun compares the .npy files too.
        let cmp = try Provenance.compareOutputs(original: one.directory, rerun: two.directory)
        XCTAssertEqual(Set(cmp.map(\.file)), ["tavg.npy", "raw.npy"])
        XCTAssertTrue(cmp.allSatisfy(\.identical))
    }

    func testBadOutputValuesAreRefusedWithTheirLine() throws {
        let folder = temporaryFolder("plexus-npy")
        let cases: [(String, [String])] = [
            ("output: {format: hdf5}", ["output.format", "hdf5", "csv", "npy"]),
            ("output: {format: [csv, npz]}", ["output.format[1]", "npz"]),
            ("output: {format: [npy, npy]}", ["output.format[1]", "listed twice"]),
            ("output: {format: []}", ["output.format", "no format"]),
            ("output: {formats: npy}", ["output.formats", "format"]),
            ("output: {}", ["output", "needs format"]),
            ("output: npy", ["output", "mapping"]),
        ]
        for (k, (text, mentions)) in cases.enumerated() {
            XCTAssertThrowsError(try run(yaml(text), in: folder, name: "bad\(k)"), text) { e in
                guard let e = e as? PlexusError else { return XCTFail("not a PlexusError: \(e)") }
                let message = e.description
                for m in mentions { XCTAssertTrue(message.contains(m), "'\(m)' missing from: \(message)") }
                XCTAssertEqual(e.line, 9, message)
            }
        }
        // The default is CSV, and the resolved experiment says which formats were written.
        let plain = try run(yaml(""), in: folder, name: "plain")
        XCTAssertTrue(FileManager.default.fileExists(atPath: plain.directory + "/tavg.csv"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: plain.directory + "/tavg.npy"))
        XCTAssertNil(plain.record.monitors?.first?.npyFile)
        XCTAssertEqual(plain.record.experiment["output"]?["format"], JSONValue.array([.string("csv")]))
    }

    func testNpyWriterMatchesNumpyLayoutForAnyShape() throws {
        for shape in [[0], [3], [2, 5], [4, 1, 3]] {
            let values = (0..<shape.reduce(1, *)).map { Double($0) * 0.1 - 1 }
            let bytes = NpyFormat.file(shape: shape, values: values)
            let back = try NpyArray(data: Data(bytes))
            XCTAssertEqual(back.shape, shape)
            XCTAssertEqual(back.values, values)
            XCTAssertEqual((bytes.count - 8 * values.count) % 64, 0, "data start on a 64-byte boundary")
        }
    }

    /// The CSV writer's numbers appended in place are OutputText.number's text, character for character.
    func testNumbersAppendedInPlaceAreTheShortestText() throws {
        var rng = CouplingTestRandom(seed: 5)
        var values: [Double] = [0, -0.0, 1, -1, 42, -70, 1e15, -1e15, 999_999_999_999_999, 1e16, 0.1, -0.5, 1e-5, 1e-300, 5e-324,
                                .infinity, -.infinity, .nan, .greatestFiniteMagnitude, 123456.789, 9_007_199_254_740_993]
        for _ in 0..<20_000 {
            let bits = rng.next()
            let v = Double(bitPattern: bits)
            values.append(v)
            values.append(Double(Int64(bitPattern: bits) >> 20))   // whole numbers, some beyond 1e15
            values.append(Double(bits >> 11) / Double(1 << 53) - 0.5)
        }
        let folder = temporaryFolder("plexus-num")
        var output = try RunOutput(directory: folder.url.path)
        try output.write("n.txt") { out in
            for v in values { out.number(v); out.byte(10) }
        }
        let lines = try String(contentsOfFile: folder.path("n.txt"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, values.count + 1)
        for (v, l) in zip(values, lines) where String(l) != OutputText.number(v) {
            XCTFail("\(v.bitPattern): in place '\(l)', OutputText.number '\(OutputText.number(v))'")
            return
        }
    }

    func testSHA256HardwareAndPortablePathsAgree() throws {
        // FIPS 180-4 test vectors through the public API.
        XCTAssertEqual(SHA256.hex(Array("".utf8)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var rng = CouplingTestRandom(seed: 7)
        let data = (0..<100_003).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        // The dispatching compressor (SHA extensions when present) against the portable one.
        for blocks in [1, 2, 7, 1000, 1562] {
            var a: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
            var b = a
            data.withUnsafeBufferPointer { d in
                plexus_sha256_blocks(&a, d.baseAddress!, blocks)
                plexus_sha256_blocks_portable(&b, d.baseAddress!, blocks)
            }
            XCTAssertEqual(a, b, "\(blocks) blocks (hardware: \(SHA256.hardware))")
        }
        // Pieces of any size give the one-shot digest.
        let whole = SHA256.hex(data)
        for piece in [1, 63, 64, 65, 1000, 65_536] {
            var h = SHA256()
            var i = 0
            while i < data.count { let j = min(data.count, i + piece); h.update(data[i..<j]); i = j }
            XCTAssertEqual(h.finalize(), whole, "pieces of \(piece)")
        }
    }

    func testTVBDataCacheKeepsTheNewestAnswerPerEnvironment() throws {
        let folder = temporaryFolder("plexus-cache")
        let file = folder.path("sub/tvb_data_dirs")
        XCTAssertNil(TVBDataCache.lookup("env A", file: file))
        TVBDataCache.store("env A", "/x/tvb_data", file: file)
        TVBDataCache.store("env B", "/y/tvb_data", file: file)
        XCTAssertEqual(TVBDataCache.lookup("env A", file: file), "/x/tvb_data")
        XCTAssertEqual(TVBDataCache.lookup("env B", file: file), "/y/tvb_data")
        TVBDataCache.store("env A", "/z/tvb data", file: file)
        XCTAssertEqual(TVBDataCache.lookup("env A", file: file), "/z/tvb data", "replaced, spaces kept")
        XCTAssertEqual(TVBDataCache.entries(file).count, 2)
        for k in 0..<40 { TVBDataCache.store("env \(k)", "/d\(k)", file: file) }
        XCTAssertEqual(TVBDataCache.entries(file).count, 32, "bounded")
        XCTAssertEqual(TVBDataCache.lookup("env 39", file: file), "/d39")
        XCTAssertNil(TVBDataCache.lookup("env A", file: file), "the oldest fell out")
        // The key changes with what decides Python's choice.
        XCTAssertTrue(ConnectomeZip.tvbDataCacheKey().contains("cwd=" + FileManager.default.currentDirectoryPath))
    }
}

/// The byte-scanning connectome table reader against the Character-splitting reader it
/// replaced (kept here as the reference): the same numbers, bit for bit, and the same errors.
final class ConnectomeTableReaderTests: XCTestCase {
    /// The previous `ConnectomeZip.parseTable`, verbatim but for its name.
    static func referenceParse(_ text: String) throws -> [(Int, [Double])] {
        var rows: [(Int, [Double])] = []
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "," })
            if fields.isEmpty { continue }
            var values: [Double] = []
            for f in fields {
                if let v = Double(f) { values.append(v) } else if let b = ["true": 1.0, "false": 0.0, "True": 1.0, "False": 0.0][String(f)] {
                    values.append(b)
                } else { throw PlexusError("bad") }
            }
            rows.append((lineNo, values))
        }
        return rows
    }

    func assertSame(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fast = try ConnectomeZip.parseTable(text, where: "t")
        let ref = try Self.referenceParse(text)
        XCTAssertEqual(fast.rows.map(\.line), ref.map(\.0), file: file, line: line)
        for (a, b) in zip(fast.rows, ref) {
            XCTAssertEqual(a.values.map(\.bitPattern), b.1.map(\.bitPattern), "line \(a.line)", file: file, line: line)
        }
    }

    func testSameNumbersAsTheCharacterReader() throws {
        var rng = CouplingTestRandom(seed: 11)
        func r() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        var lines: [String] = []
        for row in 0..<200 {
            var fields: [String] = []
            for col in 0..<30 {
                let x = (r() - 0.5) * pow(10, Double(Int(r() * 40) - 20))
                switch (row + col) % 9 {
                case 0: fields.append("\(x)")
                case 1: fields.append(String(format: "%.18e", x))
                case 2: fields.append(String(format: "%.6f", x))
                case 3: fields.append(String(format: "%g", x))
                case 4: fields.append("0")
                case 5: fields.append(String(format: "%.17E", x))
                case 6: fields.append("+" + String(format: "%.3f", abs(x)))
                case 7: fields.append(String(format: "%.25f", x))   // long fields take the other path
                default: fields.append(["true", "False", "1.", ".5", "-0", "1e300", "4.9e-324", "2.2250738585072011e-308"][row % 8])
                }
            }
            let sep = [" ", "\t", ",", "  ", ", "][row % 5]
            lines.append(fields.joined(separator: sep) + (row % 7 == 0 ? "   # comment 1 2 3" : ""))
            if row % 13 == 0 { lines.append("") ; lines.append("# a whole comment line") }
        }
        try assertSame(lines.joined(separator: "\n"))
        try assertSame(lines.joined(separator: "\n") + "\n")
        try assertSame("")
        try assertSame("\n\n# nothing\n")
    }

    func testSameErrorsAsBefore() throws {
        for (text, line, mention) in [("1 2\n3 x\n", 2, "'x' (column 2)"), ("1 2\n3\n", 2, "ragged"), ("1 2 3e\n", 1, "'3e' (column 3)"),
                                      ("1,2\n3,,4,five # 6\n", 2, "'five' (column 3)")] {
            XCTAssertThrowsError(try ConnectomeZip.parseTable(text, where: "z.zip:w.txt")) { e in
                let e = e as! PlexusError
                XCTAssertEqual(e.line, line, e.description)
                XCTAssertTrue(e.description.contains(mention), e.description)
                XCTAssertTrue(e.description.contains("z.zip:w.txt"), e.description)
            }
        }
    }

    /// tvb-data's connectomes (76, 192, 998 regions), every member, when tvb-data is installed.
    func testTVBDataConnectomesReadTheSameNumbers() throws {
        guard let dir = ConnectomeZip.tvbDataDirectory() else { throw XCTSkip("tvb-data missing") }
        var checked = 0
        for name in ["connectivity_76", "connectivity_192", "connectivity_998"] {
            let path = dir + "/connectivity/\(name).zip"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let archive = try ZipReader(path: path)
            for e in archive.files where !e.name.contains("centres") && !e.name.contains("info") {
                var data = try archive.extract(e)
                if e.name.hasSuffix(".bz2") { data = try ZipReader.bunzip2(data, place: e.name) }
                try assertSame(String(decoding: data, as: UTF8.self))
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 5)
    }
}
