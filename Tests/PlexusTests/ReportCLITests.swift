import Foundation
import XCTest
@testable import Plexus

/// The `plexus` command's report and rerun, end to end through the built binary, and every
/// bundled example's report loaded in headless Chromium.
final class ReportCLITests: XCTestCase {
    static let repo: URL = {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }   // ReportCLITests.swift, PlexusTests, Tests
        return dir
    }()

    /// The `plexus` executable built next to this test bundle.
    func plexus() throws -> URL {
        var candidates: [URL] = []
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(Bundle(for: ReportCLITests.self).bundleURL.deletingLastPathComponent())
        for dir in candidates {
            let p = dir.appendingPathComponent("plexus")
            if FileManager.default.isExecutableFile(atPath: p.path) { return p }
        }
        throw XCTSkip("the plexus executable is not built next to the tests (looked in \(candidates.map(\.path)))")
    }

    /// Runs a program; returns (status, stdout, stderr).
    @discardableResult
    func sh(_ exe: URL, _ args: [String], cwd: URL? = nil, timeout: Double = 120) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        // Output goes to files (a full pipe would block the program while nobody reads it).
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-sh-\(UUID().uuidString)")
        let outURL = base.appendingPathExtension("out"), errURL = base.appendingPathExtension("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outURL); try? FileManager.default.removeItem(at: errURL) }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { p.terminate(); XCTFail("\(exe.lastPathComponent) \(args.joined(separator: " ")) ran past \(timeout) s") }
        p.waitUntilExit()
        try out.close(); try err.close()
        let o = (try? Data(contentsOf: outURL)) ?? Data(), e = (try? Data(contentsOf: errURL)) ?? Data()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: d) }
        return d
    }

    func testRerunSaysIdenticalThenNamesTheEditedFile() throws {
        let bin = try plexus()
        let dir = try tempDir().appendingPathComponent("run")
        let (rc, _, err) = try sh(bin, ["run", "examples/single_neuron.yaml", "--out", dir.path, "--quiet"], cwd: Self.repo)
        XCTAssertEqual(rc, 0, err)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.html").path))

        let (rc1, out1, err1) = try sh(bin, ["rerun", dir.path], cwd: Self.repo)
        XCTAssertEqual(rc1, 0, out1 + err1)
        XCTAssertTrue(out1.contains("identical: all 2 output files"), out1)

        // Edit one output: the rerun names it (and only it) and exits with status 1.
        let spikes = dir.appendingPathComponent("spikes.csv")
        var text = try String(contentsOf: spikes, encoding: .utf8)
        text = text.replacingOccurrences(of: "\nn,1,", with: "\nn,1,0")   // a spike time changed
        try text.write(to: spikes, atomically: true, encoding: .utf8)
        let (rc2, out2, _) = try sh(bin, ["rerun", dir.path], cwd: Self.repo)
        XCTAssertEqual(rc2, 1)
        XCTAssertTrue(out2.contains("changed: spikes.csv\n"), out2)
        XCTAssertTrue(out2.contains("spikes.csv: differs"), out2)
        XCTAssertTrue(out2.contains("no longer matches the SHA-256 recorded"), out2)
        XCTAssertTrue(out2.contains("multimeter_n.csv: identical"), out2)
    }

    func testReportCommandRebuildsTheReport() throws {
        let bin = try plexus()
        let dir = try tempDir().appendingPathComponent("run")
        XCTAssertEqual(try sh(bin, ["run", "examples/single_neuron.yaml", "--out", dir.path, "--quiet", "--no-report"], cwd: Self.repo).0, 0)
        let report = dir.appendingPathComponent("report.html")
        XCTAssertFalse(FileManager.default.fileExists(atPath: report.path), "--no-report")
        let (rc, out, err) = try sh(bin, ["report", dir.path], cwd: Self.repo)
        XCTAssertEqual(rc, 0, err)
        XCTAssertTrue(out.contains("4 figures"), out)
        let html = try String(contentsOf: report, encoding: .utf8)
        XCTAssertTrue(html.contains("id=\"fig-trace-n-V_m\""))
        XCTAssertTrue(html.contains("report (rebuilt by plexus report)"))
        // The rebuilt report's figures equal those of a report written by the run itself.
        let dir2 = try tempDir().appendingPathComponent("run")
        XCTAssertEqual(try sh(bin, ["run", "examples/single_neuron.yaml", "--out", dir2.path, "--quiet"], cwd: Self.repo).0, 0)
        let html2 = try String(contentsOf: dir2.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertEqual(svgs(html), svgs(html2))
        // Not a run folder: a located error.
        let (rc3, _, err3) = try sh(bin, ["report", try tempDir().path], cwd: Self.repo)
        XCTAssertEqual(rc3, 1)
        XCTAssertTrue(err3.contains("no provenance.json"), err3)
    }

    func svgs(_ html: String) -> [Substring] {
        html.components(separatedBy: "<svg ").dropFirst().map { $0.prefix { _ in true }.split(separator: "</svg>").first ?? "" }
    }

    /// `text` with every population, indegree and outdegree divided by k, fixed total numbers
    /// by k² (so indegrees shrink by k too), and the duration at most `duration` ms.
    static func scaled(_ text: String, by k: Int, duration: Int) -> String {
        var s = text
        func replace(_ pattern: String, _ f: (Int) -> String) {
            let re = try! NSRegularExpression(pattern: pattern)
            for m in re.matches(in: s, range: NSRange(s.startIndex..., in: s)).reversed() {
                let r = Range(m.range(at: 1), in: s)!
                s.replaceSubrange(r, with: f(Int(s[r])!))
            }
        }
        replace(#"\bsize: (\d+)"#) { String(max(1, ($0 + k - 1) / k)) }
        replace(#"\b(?:in|out)degree: (\d+)"#) { String(max(1, ($0 + k - 1) / k)) }
        replace(#"\bN: (\d+)"#) { String(max(1, $0 / (k * k))) }
        replace(#"\bduration: (\d+) ms"#) { String(min($0, duration)) }
        return s
    }

    /// Finds Chromium (Debian's `chromium` package).
    func chromium() throws -> URL {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
                let p = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: p.path) { return p }
            }
        }
        throw XCTSkip("chromium is not installed (Debian: apt-get install chromium): the browser check of the reports is skipped")
    }

    /// Every bundled point example (scaled to at most ~800 neurons and 500 ms, so the debug build
    /// runs it in seconds) writes a report that headless Chromium loads with no console message
    /// and in which every expected figure rendered.
    func testExampleReportsLoadInChromium() throws {
        let browser = try chromium()
        let bin = try plexus()
        let work = try tempDir()
        let examples = try FileManager.default.contentsOfDirectory(atPath: Self.repo.appendingPathComponent("examples").path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertFalse(examples.isEmpty)
        var checked: [String] = []
        for name in examples {
            let text = try String(contentsOf: Self.repo.appendingPathComponent("examples/\(name)"), encoding: .utf8)
            guard (try? ExperimentFile.engine(text, file: name)) == "point" else { continue }   // other engines: no report yet
            let exp = try ExperimentFile.decode(text, file: name)
            let neurons = exp.populations.reduce(0) { $0 + $1.size }
            let k = max(1, (neurons + 799) / 800)
            let file = work.appendingPathComponent(name)
            try Self.scaled(text, by: k, duration: 500).write(to: file, atomically: true, encoding: .utf8)
            let small = try ExperimentFile.decode(String(contentsOf: file, encoding: .utf8), file: name)
            let out = work.appendingPathComponent(name + ".run")
            let (rc, _, err) = try sh(bin, ["run", file.path, "--out", out.path, "--quiet", "--threads", "2"])
            XCTAssertEqual(rc, 0, "\(name): \(err)")

            // What the report must show, from what the experiment records.
            var expected: [String] = []
            let spiking = small.recordings.compactMap { r -> String? in if case .spikes(let p) = r { return p } else { return nil } }
            if !spiking.isEmpty {
                expected += ["raster", "isi", "spectrum"]
                if spiking.contains(where: { p in (small.populations.first { $0.name == p }?.size ?? 0) >= 10 }) { expected += ["rates", "cv"] }
            }
            for r in small.recordings {
                if case .multimeter(let p, let vars, _) = r { expected += vars.map { "trace-\(p)-\($0)" } }
            }

            let (brc, dom, log) = try sh(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                                   "--dump-dom", out.appendingPathComponent("report.html").absoluteString], timeout: 90)
            XCTAssertEqual(brc, 0, "\(name): chromium failed: \(log.suffix(2000))")
            // The report writes nothing to the console unless a figure failed; page errors land there too.
            let console = log.split(separator: "\n").filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }
            XCTAssertEqual(console, [], "\(name): console messages")
            let figures = dom.components(separatedBy: "<figure class=\"plot-figure\"").count - 1
            XCTAssertTrue(dom.contains("data-figures-rendered=\"\(figures)/\(figures)\""), "\(name): not every figure rendered")
            for id in expected { XCTAssertTrue(dom.contains("id=\"fig-\(id)\""), "\(name): figure \(id) missing") }
            XCTAssertGreaterThanOrEqual(figures, expected.count)
            checked.append("\(name) (\(figures) figures)")
        }
        XCTAssertFalse(checked.isEmpty)
        print("reports checked in \(browser.lastPathComponent): \(checked.joined(separator: ", "))")
    }
}
