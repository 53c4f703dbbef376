import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusIO
@testable import PlexusSession

/// Requests that cannot mean what they say are refused before anything runs or is written.
final class SessionRequestTests: XCTestCase {
    /// `plexus run` on a sweep file used to simulate the base point and ignore the sweep: a
    /// folder that looked like the finished exploration.
    func testRunOnASweepFileNamesTheSweepCommand() throws {
        let folder = temporaryFolder()
        let file = Repo.file("examples/tvb76_sweep.yaml").path
        XCTAssertThrowsError(try Session.run(RunRequest(file: file, out: folder.file("out").path, quiet: true))) { e in
            let err = e as? PlexusError
            XCTAssertEqual(err?.keyPath, "sweep")
            XCTAssertNotNil(err?.line)
            XCTAssertTrue(err?.message.contains("plexus sweep") == true, "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("out").path), "nothing is written")
    }

    func testEmptyOutputFolderAndZeroThreadsAreRefused() {
        let file = Repo.file("examples/single_neuron.yaml").path
        XCTAssertThrowsError(try Session.run(RunRequest(file: file, out: "", quiet: true))) { e in
            XCTAssertTrue("\(e)".contains("output folder name is empty"), "\(e)")
        }
        XCTAssertThrowsError(try Session.run(RunRequest(file: file, out: temporaryFolder().file("o").path, threads: 0, quiet: true))) { e in
            XCTAssertTrue("\(e)".contains("threads"), "\(e)")
        }
        XCTAssertThrowsError(try Session.run(RunRequest(file: file, out: temporaryFolder().file("o").path, threads: 100_000, quiet: true))) { e in
            XCTAssertTrue("\(e)".contains("at most \(RunRequest.maxThreads)"), "\(e)")
        }
    }

    /// rerun reads provenance.json like a new file: a damaged record is named, not trusted.
    func testRerunRefusesAnEditedOrDamagedRecord() throws {
        let folder = temporaryFolder()
        let run = folder.file("run").path
        try Session.run(RunRequest(file: Repo.file("examples/single_neuron.yaml").path, out: run, quiet: true, noReport: true))
        let recordURL = folder.file("run/provenance.json")
        let original = try Data(contentsOf: recordURL)
        func edited(_ change: (inout [String: Any]) -> Void) throws {
            var json = try JSONSerialization.jsonObject(with: original) as! [String: Any]
            change(&json)
            try JSONSerialization.data(withJSONObject: json).write(to: recordURL)
        }
        XCTAssertTrue(try Session.rerun(directory: run).identical)
        try edited { $0["threads"] = 0 }
        XCTAssertThrowsError(try Session.rerun(directory: run)) { e in
            XCTAssertEqual((e as? PlexusError)?.file, recordURL.path)
            XCTAssertEqual((e as? PlexusError)?.keyPath, "threads")
        }
        try edited { $0["experiment_yaml"] = ($0["experiment_yaml"] as! String).replacingOccurrences(of: "duration: ", with: "duration:: ") }
        XCTAssertThrowsError(try Session.rerun(directory: run)) { e in
            XCTAssertTrue("\(e)".contains("does not match the recorded experiment_sha256"), "\(e)")
        }
        try edited { $0["seed"] = "abc" }
        XCTAssertThrowsError(try Session.rerun(directory: run)) { e in
            XCTAssertTrue("\(e)".contains("seed"), "\(e)")
        }
    }

    /// `plexus report` draws only what the run wrote: a cut, replaced or missing data file is
    /// named (it used to be drawn with exit 0).
    func testReportRefusesDamagedDataFiles() throws {
        let folder = temporaryFolder()
        let run = folder.file("run").path
        try Session.run(RunRequest(file: Repo.file("examples/single_neuron.yaml").path, out: run, quiet: true, noReport: true))
        XCTAssertNoThrow(try Session.report(directory: run))
        let record = try RunFolder.readRecord(run).0
        let data = try XCTUnwrap(record.outputs.first)
        let url = folder.file("run/\(data.file)")
        let original = try Data(contentsOf: url)
        for damaged in [original.prefix(original.count / 2), original + Data("1,2,3\n".utf8), Data()] {
            try Data(damaged).write(to: url)
            XCTAssertThrowsError(try Session.report(directory: run)) { e in
                XCTAssertTrue("\(e)".contains(data.file), "\(e)")
            }
        }
        var flipped = original
        flipped[flipped.count - 2] ^= 1
        try flipped.write(to: url)
        XCTAssertThrowsError(try Session.report(directory: run)) { e in XCTAssertTrue("\(e)".contains("SHA-256"), "\(e)") }
        try FileManager.default.removeItem(at: url)
        XCTAssertThrowsError(try Session.report(directory: run)) { e in XCTAssertTrue("\(e)".contains("missing"), "\(e)") }
    }

    /// A new run into a folder that holds an older run retires the old one's files (its record
    /// first), so no stale file is presented as part of the new run.
    func testNewRunRetiresThePreviousRunInItsFolder() throws {
        let folder = temporaryFolder()
        let run = folder.file("run").path
        try Session.run(RunRequest(file: Repo.file("examples/single_neuron.yaml").path, out: run, quiet: true, noReport: true))
        let old = try RunFolder.readRecord(run).0
        XCTAssertFalse(old.outputs.isEmpty)
        try Data("mine".utf8).write(to: folder.file("run/notes.txt"))
        try Data("stale".utf8).write(to: folder.file("run/.spikes.csv.partial"))
        try Session.run(RunRequest(file: Repo.file("examples/ball_and_stick.yaml").path, out: run, quiet: true, noReport: true))
        let new = try RunFolder.readRecord(run).0
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: run))
        for o in old.outputs where !new.outputs.contains(where: { $0.file == o.file }) {
            XCTAssertFalse(present.contains(o.file), "\(o.file) of the old run is gone")
        }
        XCTAssertTrue(present.contains("notes.txt"), "files no run wrote are left alone")
        XCTAssertFalse(present.contains(".spikes.csv.partial"))
        XCTAssertNoThrow(try RunFolder.verify(run, new))
    }

    /// A run killed at any moment (here 20 moments spread over simulating and writing, with
    /// SIGKILL) never leaves a folder that `plexus report` accepts unless every file in it is the
    /// record's own: the previous run stays whole until the new one starts writing, and the new
    /// one is accepted only once its record is written, after its data.
    func testRunKilledAtAnyMomentNeverLeavesAFolderThatLooksComplete() throws {
        let bin = try CLI.plexus()
        let folder = temporaryFolder()
        let run = folder.file("run").path
        // Brunel's network for 60 ms: a few seconds in a debug build, with a data file of spikes.
        let text = try String(contentsOf: Repo.file("examples/brunel_delta.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "duration: 1000 ms", with: "duration: 60 ms")
        let example = folder.file("brunel.yaml").path
        try text.write(toFile: example, atomically: true, encoding: .utf8)
        let t0 = Date()
        let (rc, _, err) = try CLI.run(bin, ["run", example, "--out", run, "--quiet", "--threads", "2"], timeout: 300)
        XCTAssertEqual(rc, 0, err)
        let full = Date().timeIntervalSince(t0)
        var accepted = 0, refused = 0
        for k in 0..<20 {
            let p = Process()
            p.executableURL = bin
            p.arguments = ["run", example, "--out", run, "--quiet", "--threads", "2"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            // From just after the start to just past the usual end, in 20 steps.
            Thread.sleep(forTimeInterval: full * (0.05 + 1.0 * Double(k) / 19))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            do {
                let record = try RunFolder.readRecord(run).0
                try RunFolder.verify(run, record)
                let listed = Set(record.outputs.map(\.file))
                let data = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasSuffix(".csv") }
                XCTAssertEqual(Set(data), listed, "kill \(k): every data file in an accepted folder is the record's")
                accepted += 1
            } catch {
                refused += 1
            }
        }
        print("killed 20 runs of \(String(format: "%.2f", full)) s: \(accepted) folders whole (old or new run), \(refused) refused")
    }

    /// The commit in provenance is the one recorded when the binary was built (BuildInfo plugin),
    /// not asked of git in the user's folder at run time; a checkout's build always has one.
    func testTheCommitIsRecordedAtBuildTime() throws {
        guard FileManager.default.fileExists(atPath: Repo.file(".git").path) else { throw XCTSkip("not a git checkout") }
        let commit = try XCTUnwrap(Provenance.gitCommit)
        XCTAssertEqual(commit.count, 40, commit)
        XCTAssertTrue(commit.allSatisfy(\.isHexDigit), commit)
        XCTAssertNotNil(Provenance.gitDirty)
        // Nothing in the sources runs git any more.
        for dir in ["Sources/PlexusIO", "Sources/PlexusSession", "Sources/PlexusCore"] {
            for file in try FileManager.default.contentsOfDirectory(atPath: Repo.file(dir).path) where file.hasSuffix(".swift") {
                let text = try String(contentsOf: Repo.file("\(dir)/\(file)"), encoding: .utf8)
                XCTAssertFalse(text.contains("\"git\""), "\(dir)/\(file) runs git")
            }
        }
    }

    /// What the Python binding gets: the arrays a run keeps are its data files' numbers, and
    /// nothing is kept unless asked.
    func testKeptArraysAreTheRunsRecordings() throws {
        let folder = temporaryFolder()
        let file = Repo.file("examples/single_neuron.yaml").path
        let plain = try Session.run(RunRequest(file: file, out: folder.file("plain").path, quiet: true, noReport: true))
        XCTAssertTrue(plain.arrays.isEmpty)
        var request = RunRequest(file: file, out: folder.file("kept").path, quiet: true, noReport: true)
        request.keepArrays = true
        request.keepConnections = true
        let kept = try Session.run(request)
        func array(_ name: String) -> ResultArray? { kept.arrays.first { $0.name == name } }
        guard let times = array("spikes/n/times"), case .float64(let t) = times.values,
              let vm = array("multimeter/n/V_m"), let senders = array("spikes/n/senders") else {
            return XCTFail("missing arrays: \(kept.arrays.map(\.name))")
        }
        let csv = try String(contentsOf: folder.file("kept/spikes.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(t, csv.map { Double($0.split(separator: ",")[2])! })
        XCTAssertGreaterThan(t.count, 10)
        XCTAssertEqual(senders.shape, [t.count])
        XCTAssertEqual(vm.shape, [5000])
        // The spike generator's synapse onto n (gid 3 -> gid 1), delay 1 ms.
        guard let sources = array("connections/static_synapse/sources"), case .int64(let s) = sources.values,
              let delays = array("connections/static_synapse/delays"), case .float64(let d) = delays.values else {
            return XCTFail("no connections: \(kept.arrays.map(\.name))")
        }
        XCTAssertEqual(Set(s), [3])
        XCTAssertEqual(Set(d), [1.0])
    }
}
