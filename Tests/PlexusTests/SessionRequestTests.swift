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
}
