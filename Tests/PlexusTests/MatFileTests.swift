import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusIO
@testable import PlexusMass

/// MAT level-5 files (tools/make_mat_fixtures.py writes the small ones with scipy), and the two
/// MAT files of tvb-data: the 62-channel EEG lead field and the 16k cortex's local connectivity.
final class MatFileTests: XCTestCase {
    func testScipyWrittenFilesCompressedAndNot() throws {
        let expected = try Reference.exactJSON("mat/expected.json")
        for name in ["plain.mat", "compressed.mat"] {
            let m = try MatFile(contentsOf: Reference.fixtures.appendingPathComponent("mat/\(name)").path)
            for key in ["dense", "ints", "single", "sparse"] {
                let want = expected[key] as! [String: Any]
                guard let v = m[key] else { XCTFail("\(name): no \(key)"); continue }
                XCTAssertEqual(v.dimensions, want["dims"] as! [Int], "\(name) \(key)")
                XCTAssertEqual(v.rowMajor(), want["row_major"] as! [Double], "\(name) \(key)")
            }
            XCTAssertEqual(m["sparse"]?.sparse?.values.count, (expected["sparse"] as! [String: Any])["nnz"] as? Int)
            XCTAssertEqual(m["label"]?.text, "Fp1")
        }
    }

    func testBadFilesAreRefusedWithTheirName() throws {
        let dir = temporaryFolder("plexus-mat")
        let good = try Data(contentsOf: Reference.fixtures.appendingPathComponent("mat/compressed.mat"))
        for (name, bytes) in [("short.mat", Data(good.prefix(100))), ("cut.mat", Data(good.prefix(good.count - 40))),
                              ("text.mat", Data(String(repeating: "x", count: 200).utf8))] {
            let p = dir.write(name, "")
            try bytes.write(to: URL(fileURLWithPath: p))
            XCTAssertThrowsError(try MatFile(contentsOf: p), name) { e in
                XCTAssertTrue("\(e)".contains(name), "\(e)")
            }
        }
    }

    func testTVBDataMatFiles() throws {
        guard let tvb = ConnectomeZip.tvbDataDirectory() else { throw XCTSkip("tvb-data missing") }
        let lc = try MatFile(contentsOf: tvb + "/local_connectivity/local_connectivity_16384.mat")
        let s = try XCTUnwrap(lc["LocalCoupling"]?.sparse)
        XCTAssertEqual(lc["LocalCoupling"]?.dimensions, [16384, 16384])
        XCTAssertEqual(s.values.count, 98280)
        // Rows sum to 1 (scipy: 16384.0 in all; summed in order here, to rounding).
        XCTAssertEqual(s.values.reduce(0, +), 16384, accuracy: 1e-6)
        // Column 0 as scipy reads it: rows 1, 4, 5 first, with 1/8, 1/9, 1/5.
        XCTAssertEqual(Array(s.rows[s.columnStarts[0]..<(s.columnStarts[0] + 3)]), [1, 4, 5])
        XCTAssertEqual(Array(s.values[s.columnStarts[0]..<(s.columnStarts[0] + 3)]), [0.125, 0.1111111111111111, 0.2])
        let eeg = try MatFile(contentsOf: tvb + "/projectionMatrix/projection_eeg_62_surface_16k.mat")
        let p = try XCTUnwrap(eeg["ProjectionMatrix"])
        XCTAssertEqual(p.dimensions, [62, 16384])
        XCTAssertEqual(p.values[0], -0.0013798520843294891)
        XCTAssertEqual(p.values[61 + 62 * 16383], -0.0005647004037157919)
    }
}

extension MatFileTests {
    /// tvb-data's 62-channel EEG: unit-vector sensors (a .bz2 text file) and a MAT lead field, as
    /// TVB's `EEG.from_file('eeg_unitvector_62.txt.bz2', 'projection_eeg_62_surface_16k.mat')`.
    func testEEG62FromMatLeadField() throws {
        guard let tvb = ConnectomeZip.tvbDataDirectory() else { throw XCTSkip("tvb-data missing") }
        let conn = try MassData.connectome()
        let p = try SensorFileReader.load(SensorFiles(sensors: tvb + "/sensors/eeg_unitvector_62.txt.bz2",
                                                      projection: tvb + "/projectionMatrix/projection_eeg_62_surface_16k.mat",
                                                      regionMapping: tvb + "/regionMapping/regionMapping_16k_76.txt"), connectome: conn)
        XCTAssertEqual(p.labels.count, 62)
        XCTAssertEqual(p.gain.count, 62 * 76)
        XCTAssertTrue(p.gain.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(p.gain.filter { $0 != 0 }.count, 62 * 70)
    }
}
