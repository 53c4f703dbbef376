import Foundation
import XCTest
@testable import PlexusCore
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
}
