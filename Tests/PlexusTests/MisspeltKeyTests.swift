import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusSession

/// A misspelt key or name anywhere in an experiment file is an error that names the file, the
/// line, the key path and the nearest valid name — through `Session.run`, as `plexus run` sees it,
/// for every engine. Nothing is written.
final class MisspeltKeyTests: XCTestCase {
    /// Runs `yaml` (as `examples/<name>.yaml`, so paths it names resolve) and returns the error.
    private func error(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> PlexusError? {
        let path = Repo.file("examples/misspelt.yaml").path
        let out = temporaryFolder().file("run").path
        do {
            try Session.run(RunRequest(file: path, text: yaml, out: out, quiet: true, noReport: true))
            XCTFail("no error", file: file, line: line)
            return nil
        } catch let e as PlexusError {
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/provenance.json"), "a failed run wrote a record", file: file, line: line)
            return e
        } catch {
            XCTFail("not a PlexusError: \(error)", file: file, line: line)
            return nil
        }
    }

    private func check(_ yaml: String, line expected: Int, mentions: [String], file: StaticString = #filePath, line: UInt = #line) {
        guard let e = error(yaml, file: file, line: line) else { return }
        let text = e.description
        XCTAssertEqual(e.line, expected, text, file: file, line: line)
        XCTAssertTrue(text.contains("misspelt.yaml:\(expected)"), text, file: file, line: line)
        for m in mentions { XCTAssertTrue(text.contains(m), "'\(m)' missing from: \(text)", file: file, line: line) }
    }

    private let point = """
        resolution: 0.1 ms
        duration: 10 ms
        populations:
          n: {model: iaf_psc_alpha, size: 2, params: {tau_m: 15 ms}}
        record:
          - {type: spike_recorder, population: n}

        """

    func testPointTopLevelKey() {
        check(point.replacingOccurrences(of: "populations:", with: "populatons:"), line: 3,
              mentions: ["unknown key 'populatons'", "did you mean 'populations'?"])
    }

    func testPointModelParameter() {
        check(point.replacingOccurrences(of: "tau_m:", with: "tau_mm:"), line: 4,
              mentions: ["populations.n.params.tau_mm", "unknown parameter 'tau_mm'", "did you mean 'tau_m'?"])
    }

    func testPointModelName() {
        check(point.replacingOccurrences(of: "iaf_psc_alpha", with: "iaf_psc_alfa"), line: 4,
              mentions: ["unknown model 'iaf_psc_alfa'", "did you mean 'iaf_psc_alpha'?"])
    }

    func testNothingCloseSuggestsNothing() {
        guard let e = error(point.replacingOccurrences(of: "tau_m:", with: "zzzzzz:")) else { return }
        XCTAssertTrue(e.description.contains("unknown parameter 'zzzzzz'"), e.description)
        XCTAssertFalse(e.description.contains("did you mean"), e.description)
    }

    func testMassKeys() {
        let mass = """
            engine: mass
            connectivity: {synthetic: {regions: 4, density: 1, seed: 1}}
            model: {name: Generic2dOscillator, params: {tau: 1.0}}
            couplng: {name: Linear}
            integrator: {name: HeunDeterministic, dt: 0.1 ms}
            duration: 10 ms

            """
        check(mass, line: 4, mentions: ["unknown key 'couplng'", "did you mean 'coupling'?"])
        check(mass.replacingOccurrences(of: "couplng", with: "coupling").replacingOccurrences(of: "tau:", with: "taw:"), line: 3,
              mentions: ["no parameter 'taw'", "did you mean 'tau'?"])
    }

    func testCableMechanismParameter() throws {
        let text = try String(contentsOf: Repo.file("examples/ball_and_stick.yaml"), encoding: .utf8)
        let bad = text.replacingOccurrences(of: "{g: 0.001 S/cm2", with: "{gg: 0.001 S/cm2")
        let line = bad.components(separatedBy: "\n").firstIndex { $0.contains("gg: 0.001") }! + 1
        check(bad, line: line, mentions: ["mechanism 'pas' has no parameter 'gg'", "did you mean 'g'?"])
    }

    func testEditDistanceCountsTranspositionsOnce() {
        XCTAssertEqual(PlexusError.nearest("popluations", in: ["populations", "connections"]), "populations")
        XCTAssertEqual(PlexusError.nearest("durration", in: ["duration", "resolution"]), "duration")
        XCTAssertNil(PlexusError.nearest("x", in: ["populations"]))
    }
}
