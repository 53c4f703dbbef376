import Foundation
import XCTest
@testable import PlexusSession
import PlexusCore

/// Every input the fuzzer (scripts/fuzz) found a fault with, kept in Tests/Fixtures/fuzz/TARGET/,
/// goes through its target again: it must now be accepted or refused with a PlexusError that
/// names where (a crash ends the test process, which fails too).
final class FuzzRegressionTests: XCTestCase {
    func testEveryFoundInputGivesAClearOutcome() throws {
        defer { ResourceUsage.memoryCeilingBytes = nil }
        var replayed = 0
        for target in FuzzTarget.allCases {
            let dir = Repo.fixtures.appendingPathComponent("fuzz/\(target.rawValue)")
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.sorted() ?? []
            for name in files where !name.hasPrefix(".") {
                let data = try Data(contentsOf: dir.appendingPathComponent(name))
                let scratch = temporaryFolder()
                do {
                    try target.run(data, directory: Repo.examples.path, scratch: scratch.url.path)
                } catch let e as PlexusError {
                    XCTAssertFalse(e.message.isEmpty, "\(target.rawValue)/\(name)")
                } catch {
                    XCTFail("\(target.rawValue)/\(name): \(error) is not a PlexusError (no file, line or key path)")
                }
                replayed += 1
            }
        }
        print("replayed \(replayed) inputs the fuzzer found")
        XCTAssertGreaterThan(replayed, 0, "Tests/Fixtures/fuzz holds no inputs")
    }

    /// The seed corpus runs cleanly through its targets, so a fuzz run starts from working inputs.
    func testTheExamplesPassTheirTargets() throws {
        defer { ResourceUsage.memoryCeilingBytes = nil }
        let cases: [(FuzzTarget, String)] = [(.point, "single_neuron.yaml"), (.cable, "ball_and_stick.yaml"),
                                             (.swc, "data/pyramidal.swc"), (.mass, "../Fuzz/seeds/mass/synthetic4.yaml"),
                                             (.rate, "../Sources/PlexusMass/Models/ZerlautAdaptationSecondOrder.rate")]
        for (target, file) in cases {
            let data = try Data(contentsOf: Repo.examples.appendingPathComponent(file))
            XCTAssertNoThrow(try target.run(data, directory: Repo.examples.path, scratch: temporaryFolder().url.path), file)
        }
    }
}
