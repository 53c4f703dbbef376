import Foundation
import XCTest
@testable import Plexus

/// The `plexus` command's report and rerun, end to end through the built binary, and every
/// bundled example's report loaded in headless Chromium.
final class ReportCLITests: XCTestCase {
    static var repo: URL { Repo.root }

    /// The `plexus` executable built next to this test bundle.
    func plexus() throws -> URL { try CLI.plexus() }

    /// Runs a program; returns (status, stdout, stderr).
    @discardableResult
    func sh(_ exe: URL, _ args: [String], cwd: URL? = nil, timeout: Double = 120) throws -> (Int32, String, String) {
        let r = try CLI.run(exe, args, cwd: cwd, timeout: timeout)
        return (r.status, r.stdout, r.stderr)
    }

    func tempDir() throws -> URL { temporaryFolder("plexus-cli").url }

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

    /// An experiment that names files relative to itself (an SWC morphology) reruns: the copy
    /// of its text is placed where the original was, and removed afterwards.
    func testRerunOfAnExperimentWithRelativeFiles() throws {
        let bin = try plexus()
        let dir = try tempDir().appendingPathComponent("run")
        let (rc, _, err) = try sh(bin, ["run", "examples/pyramidal.yaml", "--out", dir.path, "--quiet", "--no-report"], cwd: Self.repo)
        XCTAssertEqual(rc, 0, err)
        let (rc1, out1, err1) = try sh(bin, ["rerun", dir.path], cwd: Self.repo)
        XCTAssertEqual(rc1, 0, out1 + err1)
        XCTAssertTrue(out1.contains("identical: all"), out1 + err1)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: Self.repo.appendingPathComponent("examples").path)
            .filter { $0.hasPrefix(".plexus-rerun") }
        XCTAssertEqual(leftovers, [], "the rerun's copy of the experiment is removed")
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
            guard (try? ExperimentFile.engine(text, file: name)) == .point else { continue }   // other engines: tests below
            let exp = try ExperimentFile.decode(text, file: name)
            let neurons = exp.populations.reduce(0) { $0 + $1.size }
            let k = max(1, (neurons + 799) / 800)
            let file = work.appendingPathComponent(name)
            // A fit counts rates after 500 ms; the small run is 500 ms long.
            try Self.oneFitPoint(Self.scaled(text, by: k, duration: 500)).replacingOccurrences(of: "after: 500 ms", with: "after: 200 ms")
                .write(to: file, atomically: true, encoding: .utf8)
            let small = try ExperimentFile.decode(String(contentsOf: file, encoding: .utf8), file: name)
            let out = work.appendingPathComponent(name + ".run")
            let fit = text.contains("\nfit:")
            let (rc, _, err) = try sh(bin, [fit ? "fit" : "run", file.path, "--out", out.path, "--quiet", "--threads", "2"])
            XCTAssertEqual(rc, 0, "\(name): \(err)")
            if fit {
                // A fit's report: convergence, wall time, fitness against each parameter.
                let figures = try assertRendersInChromium(browser, out.appendingPathComponent("report.html"), name: name,
                                                          expected: ["fit-convergence", "fit-wall", "fit-param-0"])
                checked.append("\(name) (\(figures) figures)")
                continue
            }

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
            if small.structuralPlasticity?.recordInterval != nil { expected += ["structural-calcium", "structural-elements"] }
            if small.connections.contains(where: \.synapse.recordWeights) { expected.append("weights") }

            let figures = try assertRendersInChromium(browser, out.appendingPathComponent("report.html"), name: name, expected: expected)
            checked.append("\(name) (\(figures) figures)")
        }
        XCTAssertFalse(checked.isEmpty)
        print("reports checked in \(browser.lastPathComponent): \(checked.joined(separator: ", "))")
    }

    /// Loads a report in headless Chromium: no console message, every figure rendered, every
    /// expected figure id present. Returns the number of figures.
    @discardableResult
    func assertRendersInChromium(_ browser: URL, _ report: URL, name: String, expected: [String]) throws -> Int {
        let (brc, dom, log) = try sh(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                               "--dump-dom", report.absoluteString], timeout: 90)
        XCTAssertEqual(brc, 0, "\(name): chromium failed: \(log.suffix(2000))")
        // The report writes nothing to the console unless a figure failed; page errors land there too.
        let console = log.split(separator: "\n").filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }
        XCTAssertEqual(console, [], "\(name): console messages")
        let figures = dom.components(separatedBy: "<figure class=\"plot-figure\"").count - 1
        XCTAssertTrue(dom.contains("data-figures-rendered=\"\(figures)/\(figures)\""), "\(name): not every figure rendered")
        for id in expected { XCTAssertTrue(dom.contains("id=\"fig-\(id)\""), "\(name): figure \(id) missing") }
        XCTAssertGreaterThanOrEqual(figures, expected.count)
        return figures
    }

    /// A fit example reduced to one evaluation (a one-point grid at the intervals' middles).
    static func oneFitPoint(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("  optimizer:") ? "  optimizer: {name: grid, points: 1}" : String($0) }
            .joined(separator: "\n")
    }

    /// `text` with each (from, to) replaced; fails when `from` is not in the text (the example changed).
    func edited(_ text: String, _ edits: [(String, String)], name: String) -> String {
        var s = text
        for (from, to) in edits {
            XCTAssertTrue(s.contains(from), "\(name) no longer contains '\(from)'")
            s = s.replacingOccurrences(of: from, with: to)
        }
        return s
    }

    /// Every cable example (busyring with 10 cells) writes a report that headless Chromium loads
    /// with no console message, with the probe figures of its probed variables, the raster of a
    /// network and the morphology of each population's first cell.
    func testCableExampleReportsLoadInChromium() throws {
        let browser = try chromium()
        let bin = try plexus()
        let work = try tempDir()
        let examples = try FileManager.default.contentsOfDirectory(atPath: Self.repo.appendingPathComponent("examples").path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        var checked: [String] = []
        for name in examples {
            let path = Self.repo.appendingPathComponent("examples/\(name)")
            var text = try String(contentsOf: path, encoding: .utf8)
            guard (try? ExperimentFile.engine(text, file: name)) == .cable else { continue }
            if name == "busyring.yaml" { text = edited(text, [("ring: {cell: busyring, size: 64}", "ring: {cell: busyring, size: 10}")], name: name) }
            if name == "allen_cell.yaml" { text = edited(text, [("duration: 1200 ms", "duration: 300 ms")], name: name) }
            if name == "allen_network.yaml" { text = edited(text, [("duration: 500 ms", "duration: 150 ms")], name: name) }
            if name == "allen_fit.yaml" { text = Self.oneFitPoint(edited(text, [("duration: 1200 ms", "duration: 300 ms")], name: name)) }
            text = text.replacingOccurrences(of: "swc: data/", with: "swc: \(path.deletingLastPathComponent().path)/data/")
                .replacingOccurrences(of: "allen/", with: "\(path.deletingLastPathComponent().path)/allen/")
            let file = work.appendingPathComponent(name)
            try text.write(to: file, atomically: true, encoding: .utf8)
            let desc = try CableExperimentFile.decode(text, file: path.path)
            let out = work.appendingPathComponent(name + ".run")
            let fit = text.contains("\nfit:")
            let (rc, _, err) = try sh(bin, [fit ? "fit" : "run", file.path, "--out", out.path, "--quiet", "--threads", "2"], timeout: 300)
            XCTAssertEqual(rc, 0, "\(name): \(err)")
            if fit {
                let figures = try assertRendersInChromium(browser, out.appendingPathComponent("report.html"), name: name,
                                                          expected: ["fit-convergence", "fit-wall", "fit-param-0", "fit-param-1"])
                checked.append("\(name) (\(figures) figures)")
                continue
            }

            var expected: [String] = []
            var variables: [String] = []
            for (_, cell) in desc.cells { for p in cell.probes where !variables.contains(p.variable) { variables.append(p.variable) } }
            expected += variables.map { "probe-" + $0.replacingOccurrences(of: ".", with: "_") }
            let cells = try CableExperimentFile.reportOptions(text).cells ?? desc.populations.prefix(4).map { desc.gids(of: $0.name)!.lowerBound }
            expected += cells.map { "morphology-\($0)" }
            let spikeLines = try String(contentsOf: out.appendingPathComponent("spikes.csv"), encoding: .utf8).split(separator: "\n").count - 1
            if desc.cellCount > 2 && spikeLines > 0 { expected.append("raster") }
            let figures = try assertRendersInChromium(browser, out.appendingPathComponent("report.html"), name: name, expected: expected)
            checked.append("\(name) (\(figures) figures)")
        }
        XCTAssertEqual(checked.count, 6, "allen_cell, allen_fit, allen_network, ball_and_stick, busyring, pyramidal")
        print("cable reports checked in \(browser.lastPathComponent): \(checked.joined(separator: ", "))")
    }

    /// Small variants of the mass examples (tvb-data's connectivity_76): every monitor's time
    /// series, BOLD, FC and FC-SC, and the sweep's heatmaps load in headless Chromium.
    func testMassExampleReportsLoadInChromium() throws {
        guard ConnectomeZip.tvbDataDirectory() != nil else {
            throw XCTSkip("tvb-data missing: pip install tvb-data==3.0.0 (or set PLEXUS_TVB_DATA) to run the mass examples")
        }
        let browser = try chromium()
        let bin = try plexus()
        let work = try tempDir()
        let data = Self.repo.appendingPathComponent("examples/data").path + "/"
        let variants: [(String, [(String, String)], [String])] = [
            ("tvb76.yaml", [("duration: 500 ms", "duration: 100 ms"), ("data/", data)], ["series-0-raw", "series-1-temporal_average"]),
            ("tvb76_rww_bold.yaml", [("duration: 60 s", "duration: 3 s"), ("fc: {monitor: 2, discard: 20 s}", "fc: {monitor: 0, discard: 0.5 s}")],
             ["series-0-temporal_average", "series-1-bold", "series-2-bold", "series-3-balloon", "fc", "fc-sc"]),
            ("tvb76_sweep.yaml", [("duration: 10 s", "duration: 200 ms"), ("discard: 1 s", "discard: 50 ms"), ("count: 8}", "count: 3}"),
                                  ("speed: [1, 2, 3, 4, 6, 8, 10, 15]", "speed: [2, 8]")], ["sweep-fc-sc", "sweep-std"]),
            ("tvb76_epileptor_eeg.yaml", [("duration: 4000 ms", "duration: 200 ms")],
             ["series-0-temporal_average", "series-1-eeg", "spectrum-1-eeg", "series-2-meg", "spectrum-2-meg"]),
            ("tvb76_surface.yaml", [("duration: 1000 ms", "duration: 30 ms")], ["series-0-temporal_average"]),
        ]
        for (name, edits, expected) in variants {
            let text = edited(try String(contentsOf: Self.repo.appendingPathComponent("examples/\(name)"), encoding: .utf8), edits, name: name)
            let file = work.appendingPathComponent(name)
            try text.write(to: file, atomically: true, encoding: .utf8)
            let out = work.appendingPathComponent(name + ".run")
            let command = name.contains("sweep") ? "sweep" : "run"
            let (rc, _, err) = try sh(bin, [command, file.path, "--out", out.path, "--quiet", "--threads", "2"], timeout: 300)
            XCTAssertEqual(rc, 0, "\(name): \(err)")
            try assertRendersInChromium(browser, out.appendingPathComponent("report.html"), name: name, expected: expected)
        }
    }

    /// `plexus report DIR` on a cable run, a mass run and a sweep written with --no-report
    /// builds the same figures as the run's own report.
    func testReportCommandRebuildsCableAndMassReports() throws {
        let bin = try plexus()
        let work = try tempDir()
        var runs: [(name: String, command: String, file: String)] = [("ball_and_stick", "run", "examples/ball_and_stick.yaml")]
        if ConnectomeZip.tvbDataDirectory() != nil {
            let text = try String(contentsOf: Self.repo.appendingPathComponent("examples/tvb76_rww_bold.yaml"), encoding: .utf8)
            let mass = work.appendingPathComponent("rww.yaml")
            try edited(text, [("duration: 60 s", "duration: 2 s"), ("fc: {monitor: 2, discard: 20 s}", "fc: {monitor: 0, discard: 0.5 s}")], name: "tvb76_rww_bold.yaml")
                .write(to: mass, atomically: true, encoding: .utf8)
            let sweepText = try String(contentsOf: Self.repo.appendingPathComponent("examples/tvb76_sweep.yaml"), encoding: .utf8)
            let sweep = work.appendingPathComponent("sweep.yaml")
            try edited(sweepText, [("duration: 10 s", "duration: 100 ms"), ("discard: 1 s", "discard: 20 ms"), ("count: 8}", "count: 2}"),
                                   ("speed: [1, 2, 3, 4, 6, 8, 10, 15]", "speed: [2, 8]")], name: "tvb76_sweep.yaml")
                .write(to: sweep, atomically: true, encoding: .utf8)
            runs += [("rww", "run", mass.path), ("sweep", "sweep", sweep.path)]
        } else {
            print("tvb-data missing: only the cable report is rebuilt")
        }
        for r in runs {
            let plain = work.appendingPathComponent(r.name + ".plain"), with = work.appendingPathComponent(r.name + ".with")
            XCTAssertEqual(try sh(bin, [r.command, r.file, "--out", plain.path, "--quiet", "--no-report", "--threads", "2"], cwd: Self.repo, timeout: 300).0, 0)
            XCTAssertFalse(FileManager.default.fileExists(atPath: plain.appendingPathComponent("report.html").path), "--no-report")
            XCTAssertEqual(try sh(bin, [r.command, r.file, "--out", with.path, "--quiet", "--threads", "2"], cwd: Self.repo, timeout: 300).0, 0)
            let (rc, out, err) = try sh(bin, ["report", plain.path], cwd: Self.repo)
            XCTAssertEqual(rc, 0, "\(r.name): \(err)")
            let rebuilt = try String(contentsOf: plain.appendingPathComponent("report.html"), encoding: .utf8)
            let written = try String(contentsOf: with.appendingPathComponent("report.html"), encoding: .utf8)
            XCTAssertFalse(svgs(rebuilt).isEmpty, r.name)
            XCTAssertTrue(out.contains("\(svgs(rebuilt).count) figures"), out)
            XCTAssertEqual(svgs(rebuilt), svgs(written), "\(r.name): the rebuilt figures differ from the run's")
            XCTAssertTrue(rebuilt.contains("report (rebuilt by plexus report)"))
        }
    }
}
