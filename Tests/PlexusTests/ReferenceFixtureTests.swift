import Foundation
import XCTest

/// The repository's copies of the peers' reference files (Tests/Fixtures) read the same through
/// every accessor, whether stored plain or bzip2-compressed, and a missing file skips naming it.
final class ReferenceFixtureTests: XCTestCase {
    func testCompressedFixtureReadsTransparently() throws {
        let name = "nest/single/iaf_psc_delta_dc_vm.csv"   // stored as .bz2 (219,620 bytes)
        let fm = FileManager.default
        XCTAssertTrue(fm.fileExists(atPath: Repo.fixtures.appendingPathComponent(name + ".bz2").path), "\(name).bz2 missing")
        XCTAssertFalse(fm.fileExists(atPath: Repo.fixtures.appendingPathComponent(name).path), "\(name) stored twice")
        let data = try Reference.data(name)
        XCTAssertEqual(data.count, 219_620)
        let copy = try Reference.url(name)
        XCTAssertEqual(try Data(contentsOf: copy), data, "the decompressed copy")
        XCTAssertEqual(try Reference.url(name), copy, "decompressed once per run")
        let csv = try Reference.csv(name)
        XCTAssertEqual(csv["t_ms"]?.count, 10_000)
        XCTAssertEqual(csv["t_ms"]?.first, 0.1)
        XCTAssertEqual(csv["t_ms"]?.last, 1000)
        XCTAssertEqual(csv["V_m"]?.count, 10_000)
    }

    func testPlainFixtureIsReadInPlace() throws {
        let name = "nest/single/iaf_psc_delta_dc.json"
        XCTAssertEqual(try Reference.url(name), Repo.fixtures.appendingPathComponent(name))
        XCTAssertEqual(try Reference.json(name)["resolution_ms"] as? Double, 0.1)
    }

    func testMissingReferenceSkipsNamingTheFile() {
        XCTAssertThrowsError(try Reference.require("nest/single/iaf_psc_delta_dc.json", "nest/no_such_reference.csv")) { error in
            guard let skip = error as? XCTSkip else { return XCTFail("not a skip: \(error)") }
            XCTAssertTrue(skip.message?.contains("nest/no_such_reference.csv") == true, skip.message ?? "no message")
        }
    }
}
