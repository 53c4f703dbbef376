import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusMass
@testable import PlexusIO

/// Bad neural-mass input: every case fails with a PlexusError that names the zip member and line
/// (or the experiment file's line and key path, or the step and region), never a trap.
final class MassBadInputTests: XCTestCase {
    lazy var dir = temporaryFolder("plexus-mass")

    /// A small valid connectome's members (3 regions); `edit` changes them before zipping.
    func zip(_ name: String = "conn.zip", bz2: Bool = false, folder: String = "", _ edit: (inout [String: String]) -> Void = { _ in }) throws -> String {
        var m: [String: String] = [
            "weights.txt": "0 1.5 0\n2 0 0.5\n0 1 3\n",
            "tract_lengths.txt": "0 30 40\n30 0 50\n40 50 0\n",
            "centres.txt": "rA 1 2 3\nrB 4 5 6\nlA -1 2 3\n",
            "cortical.txt": "1\n1\n0\n",
            "info.txt": "weights_unit = \"au\"",
        ]
        edit(&m)
        let members = m.keys.sorted().map { k -> (String, Data) in
            (folder + k + (bz2 && k != "info.txt" ? ".bz2" : ""), Data(m[k]!.utf8))
        }
        let p = dir.path(name)
        try ConnectomeZip.writeMembers(members, to: p)
        return p
    }

    func expectError(_ body: () throws -> Void, mentions: [String], line: Int? = nil, file: StaticString = #filePath, testLine: UInt = #line) {
        do {
            try body()
            XCTFail("no error", file: file, line: testLine)
        } catch let e as PlexusError {
            let text = e.description
            print("BAD MASS INPUT: \(text)")
            for m in mentions { XCTAssertTrue(text.contains(m), "'\(m)' missing from: \(text)", file: file, line: testLine) }
            if let line { XCTAssertEqual(e.line, line, text, file: file, line: testLine) }
        } catch {
            XCTFail("not a PlexusError: \(error)", file: file, line: testLine)
        }
    }

    func testValidSmallZipWithBz2MembersInAFolder() throws {
        for (bz2, folder) in [(false, ""), (true, ""), (true, "conn/"), (false, "sub/dir/")] {
            let c = try ConnectomeZip.read(zip("ok\(bz2)\(folder.count).zip", bz2: bz2, folder: folder))
            XCTAssertEqual(c.labels, ["rA", "rB", "lA"])
            XCTAssertEqual(c.weights, [0, 1.5, 0, 2, 0, 0.5, 0, 1, 3])
            XCTAssertEqual(c.weight(to: 1, from: 0), 2)
            XCTAssertEqual(c.tractLengths[2], 40)
            XCTAssertEqual(c.cortical, [true, true, false])
            XCTAssertEqual(c.hemispheres, [true, true, false], "from label prefixes")
            XCTAssertEqual(c.centres[3...5].map { $0 }, [4, 5, 6])
        }
        // Without tract lengths TVB uses distances between centres.
        let c = try ConnectomeZip.read(zip("nolen.zip") { $0["tract_lengths.txt"] = nil })
        XCTAssertEqual(c.tractLengths[1], (27.0).squareRoot(), accuracy: 1e-12)
        // A connectome written by Plexus reads back exactly.
        let syn = try Connectome.synthetic(regions: 9, density: 0.5, seed: 4)
        try ConnectomeZip.write(syn, to: dir.path("syn.zip"))
        let back = try ConnectomeZip.read(dir.path("syn.zip"))
        XCTAssertEqual(back.weights, syn.weights)
        XCTAssertEqual(back.tractLengths, syn.tractLengths)
        XCTAssertEqual(back.labels, syn.labels)
        // Python's zipfile (what TVB's Connectivity.from_file uses) reads what Plexus writes,
        // CRCs included.
        let py = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.read('weights.txt').split()))", dir.path("syn.zip")])
        if py.status == 0 { XCTAssertEqual(py.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "81") } else { print("python3 not available: \(py.stderr)") }
    }

    func testCorruptZip() throws {
        let p = dir.write("corrupt.zip", "PK\u{3}\u{4} this is not a zip archive at all")
        expectError({ _ = try ConnectomeZip.read(p) }, mentions: [p, "not a readable zip"])
        // A damaged member: flip bytes inside the compressed weights.
        let good = try zip("damaged.zip")
        var bytes = [UInt8](FileManager.default.contents(atPath: good)!)
        let name = Array("weights.txt".utf8)
        if let at = (0..<(bytes.count - name.count)).first(where: { Array(bytes[$0..<($0 + name.count)]) == name }) {
            for k in (at + name.count)..<(at + name.count + 12) { bytes[k] ^= 0x5A }
        }
        _ = FileManager.default.createFile(atPath: good, contents: Data(bytes))
        expectError({ _ = try ConnectomeZip.read(good) }, mentions: ["weights.txt"])
        // A damaged bz2 member.
        let bz = dir.path("bz.zip")
        var packed = [UInt8](try ConnectomeZip.bzip2(Data("0 1\n1 0\n".utf8)))
        for k in 10..<packed.count { packed[k] ^= 0x33 }
        try ConnectomeZip.writeMembers([("weights.txt.bz2", Data(packed))], to: bz, compressBz2: false)
        expectError({ _ = try ConnectomeZip.read(bz) }, mentions: ["weights.txt.bz2", "bzip2"])
        // A bzip2 bomb (300 MB from a few hundred bytes aborted with "failed to allocate") is
        // refused while it inflates, here under a 64 MiB run (8 MiB a member).
        ResourceUsage.memoryCeilingBytes = 64 * 1_048_576
        defer { ResourceUsage.memoryCeilingBytes = nil }
        let bomb = dir.path("bomb.zip")
        try ConnectomeZip.writeMembers([("weights.txt.bz2", Data(repeating: 0x30, count: 20_000_000))], to: bomb)
        expectError({ _ = try ConnectomeZip.read(bomb) }, mentions: ["weights.txt.bz2", "inflates beyond 8388608 bytes"])
        // A deflated member cut short, and one whose declared size is smaller than its data.
        let plain = try zip("cut.zip")
        var cut = [UInt8](FileManager.default.contents(atPath: plain)!)
        let eocd = cut.count - 22
        cut.removeSubrange(40..<(eocd - 200))
        _ = FileManager.default.createFile(atPath: plain, contents: Data(cut))
        expectError({ _ = try ConnectomeZip.read(plain) }, mentions: ["cut.zip"])
    }

    func testRaggedMatrix() throws {
        let p = try zip { $0["weights.txt"] = "0 1 0\n2 0\n0 1 3\n" }
        expectError({ _ = try ConnectomeZip.read(p) }, mentions: ["weights.txt", "ragged"], line: 2)
    }

    func testNonNumericValue() throws {
        let p = try zip { $0["tract_lengths.txt"] = "0 30 40\n30 0 fifty\n40 50 0\n" }
        expectError({ _ = try ConnectomeZip.read(p) }, mentions: ["tract_lengths.txt", "'fifty'", "column 3"], line: 2)
        let q = try zip("c.zip") { $0["centres.txt"] = "rA 1 2 3\nrB 4 x 6\nlA -1 2 3\n" }
        expectError({ _ = try ConnectomeZip.read(q) }, mentions: ["centres.txt", "'x'"], line: 2)
    }

    func testRegionCountsDisagree() throws {
        let p = try zip { $0["centres.txt"] = "rA 1 2 3\nrB 4 5 6\n" }
        expectError({ _ = try ConnectomeZip.read(p) }, mentions: ["centres.txt", "2 regions here but 3 in weights.txt"])
        let q = try zip("t.zip") { $0["tract_lengths.txt"] = "0 30\n30 0\n" }
        expectError({ _ = try ConnectomeZip.read(q) }, mentions: ["tract_lengths.txt", "2 x 2", "weights.txt has 3 regions"], line: 2)
        let r = try zip("w.zip") { $0["weights.txt"] = "0 1 0\n2 0 1\n" }
        expectError({ _ = try ConnectomeZip.read(r) }, mentions: ["weights.txt", "square"], line: 2)
        let s = try zip("k.zip") { $0["cortical.txt"] = "1\n1\n" }
        expectError({ _ = try ConnectomeZip.read(s) }, mentions: ["cortical.txt", "2 rows here but 3 regions"], line: 2)
    }

    func testNegativeLengthsAndSpeed() throws {
        let p = try zip { $0["tract_lengths.txt"] = "0 30 40\n30 0 -50\n40 50 0\n" }
        expectError({ _ = try ConnectomeZip.read(p) }, mentions: ["tract_lengths.txt", "-50", ">= 0"], line: 2)
        // Negative speed in an experiment file: the file, its line and the key path.
        let yaml = """
        engine: mass
        connectivity: {zip: conn.zip}
        speed: -3 mm/ms
        model: Generic2dOscillator
        integrator: {name: HeunDeterministic, dt: 0.1 ms}
        duration: 10 ms
        """
        _ = try zip()
        let f = dir.write("neg.yaml", yaml)
        expectError({ _ = try MassExperimentFile.load(f) }, mentions: [f, "speed", "positive"], line: 3)
        // And through the Swift API, by key path.
        let c = try ConnectomeZip.read(dir.path("conn.zip"))
        var e = MassExperiment(connectivity: .given(c), model: MassModelDescription(name: "Generic2dOscillator"),
                               integrator: IntegratorDescription(dt: 0.1), duration: 10)
        e.speed = -3
        expectError({ _ = try MassNetwork(e, connectome: c) }, mentions: ["speed", "-3"])
    }

    /// A delay longer than any history the run could hold (a slow speed, a long tract, or one
    /// past Int32 steps) is refused before the history is allocated, naming the tract; it used to
    /// wrap to a negative step count and crash in the coupling loop.
    func testDelaysBeyondTheHistoryAreRefused() throws {
        let c = try ConnectomeZip.read(zip("d.zip"))
        for (speed, lengths) in [(1e-8, "0 30 40\n30 0 50\n40 50 0\n"), (3.0, "0 30 40\n30 0 1e9\n40 50 0\n")] {
            var conn = c
            conn.tractLengths = lengths.split(separator: "\n").flatMap { $0.split(separator: " ").map { Double($0)! } }
            var e = MassExperiment(connectivity: .given(conn), model: MassModelDescription(name: "Generic2dOscillator"),
                                   integrator: IntegratorDescription(dt: 0.1), duration: 10)
            e.speed = speed
            expectError({ _ = try MassNetwork(e, connectome: conn) }, mentions: ["speed", "longest delay", "raise the speed or dt"])
        }
    }

    func testNaNWeights() throws {
        let p = try zip { $0["weights.txt"] = "0 1.5 0\n2 nan 0.5\n0 1 3\n" }
        expectError({ _ = try ConnectomeZip.read(p) }, mentions: ["weights.txt", "nan", "column 2"], line: 2)
        var c = try ConnectomeZip.read(zip("ok.zip"))
        c.weights[4] = .nan
        expectError({ try c.validate() }, mentions: ["connectivity.weights[1][1]"])
    }

    /// An unstable integration stops at the first non-finite value with the step, time, region and
    /// variable, on any number of threads (the same report).
    func testNaNBlowUpNamesStepAndRegion() throws {
        let conn = try Connectome.synthetic(regions: 40, density: 0.3, seed: 2)
        var reports: [String] = []
        for threads in [1, 2, 3] {
            let e = MassExperiment(connectivity: .given(conn), model: MassModelDescription(name: "Generic2dOscillator"),
                                   coupling: CouplingDescription(name: "Linear", params: ["a": 0.0152]),
                                   integrator: IntegratorDescription(scheme: .euler, dt: 40),
                                   initialHistory: ["V": .constant(2), "W": .constant(0)], duration: 4000,
                                   monitors: [MonitorDescription(.temporalAverage, period: 80)])
            let sim = try MassNetwork(e, connectome: conn, threads: threads)
            do {
                _ = try sim.run()
                XCTFail("no error")
            } catch let err as PlexusError {
                print("BAD MASS INPUT: \(err)")
                XCTAssertEqual(err.keyPath, "integrator.dt")
                XCTAssertTrue(err.message.contains("after step"), err.message)
                XCTAssertTrue(err.message.contains("region"), err.message)
                reports.append(err.message)
            }
        }
        XCTAssertEqual(Set(reports).count, 1, "\(reports)")
    }

    /// Bad experiment files name the line and key path.
    func testExperimentFileErrors() throws {
        _ = try zip()
        let base = """
        engine: mass
        connectivity: {zip: conn.zip}
        model: {name: Generic2dOscillator, params: {tau: 1.5}}
        integrator: {name: HeunDeterministic, dt: 0.1 ms}
        duration: 10 ms

        """
        let cases: [(String, String, [String], Int)] = [
            (base.replacingOccurrences(of: "tau: 1.5", with: "taux: 1.5"), "taux", ["no parameter 'taux'", "model.params.taux"], 3),
            (base.replacingOccurrences(of: "Generic2dOscillator", with: "Generic3d"), "Generic3d", ["unknown model 'Generic3d'"], 3),
            (base.replacingOccurrences(of: "HeunDeterministic", with: "HeunStochastic"), "noise", ["needs noise"], 4),
            (base + "monitors: [{type: tavg}]\n", "tavg", ["needs a period"], 6),
            (base + "monitors: [{type: raw, variables: [X]}]\n", "X", ["no state variable 'X'", "monitors[0].variables"], 6),
            (base + "initial_history: {V: [1, 2]}\n", "V", ["2 initial values for 3 regions"], 6),
            // A period off the grid was sampled at the rounded period while the record said otherwise.
            (base + "monitors: [{type: temporal_average, period: 0.15 ms}]\n", "period", ["not a whole number of steps", "monitors[0].period"], 6),
            // Haemodynamic parameters that would fill bold.csv with NaN, or run with exit 0 on nonsense.
            (base + "monitors:\n  - {type: bold, period: 2 ms, kernel: {tau_s: .nan}}\n", "tau_s", ["monitors[0].kernel.tau_s", "finite"], 7),
            (base + "monitors:\n  - {type: bold, period: 2 ms, kernel: {tau_s: 0.1}}\n", "tau_s", ["1/tau_f > 1/(4 tau_s^2)"], 7),
            (base + "monitors:\n  - {type: balloon, period: 2 ms, params: {tau_s: -1}}\n", "tau_s", ["monitors[0].params.tau_s", "> 0"], 7),
            (base + "monitors:\n  - {type: balloon, period: 2 ms, params: {E0: 1.5}}\n", "E0", ["oxygen extraction fraction"], 7),
            // Found by scripts/fuzz: lengths and sample periods that trapped converting to steps.
            (base + "monitors:\n  - {type: bold, period: 2 ms, kernel: {length: 1e300}}\n", "length", ["monitors[0].kernel.length", "at most 1e6"], 7),
            (base + "monitors:\n  - {type: balloon, period: 2 ms, sample: 4e51 ms}\n", "sample", ["monitors[0].sample", "longer than the monitor's period"], 7),
        ]
        for (k, (yaml, _, mentions, line)) in cases.enumerated() {
            let f = dir.write("case\(k).yaml", yaml)
            let index = ExperimentFile.lineIndex(yaml)
            expectError({
                do {
                    let e = try MassExperimentFile.load(f)
                    let c = try ConnectomeZip.load(e.connectivity)
                    _ = try MassNetwork(e, connectome: c)
                } catch let err as PlexusError {
                    throw ExperimentFile.locate(err, file: f, index: index)
                }
            }, mentions: [f] + mentions, line: line)
        }
    }

    /// `plexus run` exits non-zero and prints the member and line.
    func testCLIExitsNonZero() throws {
        let bin = try CLI.plexus()
        _ = try zip("bad.zip") { $0["weights.txt"] = "0 1 0\n2 0\n0 1 3\n" }
        let f = dir.write("cli.yaml", """
        engine: mass
        connectivity: {zip: bad.zip}
        model: Generic2dOscillator
        integrator: {name: HeunDeterministic, dt: 0.1 ms}
        duration: 10 ms
        """)
        let r = try CLI.run(bin, ["run", f, "--out", dir.path("out"), "--quiet"])
        let text = r.stderr
        print("BAD MASS INPUT (CLI): \(text)")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(text.contains("bad.zip:weights.txt:2"), text)
        XCTAssertTrue(text.contains("ragged"), text)
    }
}
