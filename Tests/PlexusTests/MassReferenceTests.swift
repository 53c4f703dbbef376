import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusMass
@testable import PlexusIO

/// The neural-mass engine against TVB 2.10.0 (../shared/reference/tvb): Generic2dOscillator,
/// ReducedWongWang and JansenRit on tvb-data's connectivity_76, deterministic Heun, constant
/// initial history, first 100 ms at full resolution. float64 must agree within 1e-7 (G2D, RWW)
/// and 1e-5 (JR); the float32 option (TVB's own arithmetic) within 1e-12, beyond the reference
/// CSV's printing precision (13 significant digits, %.12e).
final class MassReferenceTests: XCTestCase {
    /// Half a unit in the last printed digit of `%.12e`.
    func printPrecision(_ v: Double) -> Double {
        v == 0 ? 0 : 0.5e-12 * _pow(10, v.exponentBase10)
    }

    func compare(_ result: MassResults, reference: String, labels: [String], tolerance: Double, precision: MassPrecision,
                 transform: (MonitorResult, Int, Int) -> Double, file: StaticString = #filePath, line: UInt = #line) throws -> MaxError {
        let ref = try MassData.timeSeries(reference)
        XCTAssertEqual(ref.header, labels, "region order", file: file, line: line)
        let m = result.monitors[0]
        XCTAssertGreaterThanOrEqual(m.samples, ref.times.count, file: file, line: line)
        var err = MaxError(), beyondPrint = MaxError()
        for (k, t) in ref.times.enumerated() {
            XCTAssertEqual(m.times[k], t, accuracy: 1e-9, "time of sample \(k)", file: file, line: line)
            for i in 0..<labels.count {
                let mine = transform(m, k, i), r = ref.rows[k][i]
                err.add(mine, r, sample: k, region: i)
                let excess = max(0, Swift.abs(mine - r) - printPrecision(r))
                beyondPrint.add(excess, 0, sample: k, region: i)
            }
        }
        print("MASS REFERENCE \(reference) [\(precision.rawValue)]: max |error| \(err); beyond the CSV's print precision \(beyondPrint.value)")
        if precision == .float32 {
            XCTAssertLessThanOrEqual(beyondPrint.value, tolerance, "\(reference): \(err)", file: file, line: line)
        } else {
            XCTAssertLessThanOrEqual(err.value, tolerance, "\(reference): \(err)", file: file, line: line)
        }
        return err
    }

    func testG2DMatchesTVB() throws {
        try Reference.require("tvb/g2d_raw_V_first100ms.csv")
        let conn = try MassData.connectome()
        for p in MassPrecision.allCases {
            let sim = try MassNetwork(MassData.g2d(conn.count, precision: p), connectome: conn)
            let r = try sim.run()
            _ = try compare(r, reference: "tvb/g2d_raw_V_first100ms.csv", labels: conn.labels, tolerance: p == .float32 ? 1e-12 : 1e-7,
                            precision: p) { m, k, i in m.value(sample: k, variable: 0, region: i) }
        }
    }

    func testReducedWongWangMatchesTVB() throws {
        try Reference.require("tvb/rww_raw_S_first100ms.csv")
        let conn = try MassData.connectome()
        for p in MassPrecision.allCases {
            let sim = try MassNetwork(MassData.rww(conn.count, precision: p), connectome: conn)
            let r = try sim.run()
            _ = try compare(r, reference: "tvb/rww_raw_S_first100ms.csv", labels: conn.labels, tolerance: p == .float32 ? 1e-12 : 1e-7,
                            precision: p) { m, k, i in m.value(sample: k, variable: 0, region: i) }
        }
    }

    func testJansenRitMatchesTVB() throws {
        try Reference.require("tvb/jr_y1my2_first100ms.csv")
        let conn = try MassData.connectome()
        for p in MassPrecision.allCases {
            let sim = try MassNetwork(MassData.jr(conn.count, precision: p), connectome: conn)
            let r = try sim.run()
            _ = try compare(r, reference: "tvb/jr_y1my2_first100ms.csv", labels: conn.labels, tolerance: p == .float32 ? 1e-12 : 1e-5,
                            precision: p) { m, k, i in m.value(sample: k, variable: 0, region: i) - m.value(sample: k, variable: 1, region: i) }
        }
    }

    /// Delays are TVB's `rint(tract/speed/dt)` exactly, for both reference step sizes.
    func testDelayMatricesEqualTVB() throws {
        try Reference.require("tvb/conn76_idelays_dt0.0625_speed3.csv", "tvb/conn76_idelays_dt0.1_speed3.csv")
        let conn = try MassData.connectome()
        for (dt, file) in [(0.0625, "tvb/conn76_idelays_dt0.0625_speed3.csv"), (0.1, "tvb/conn76_idelays_dt0.1_speed3.csv")] {
            let ref = try MassData.matrix(file)
            let d = conn.integerDelays(speed: 3.0, dt: dt)
            XCTAssertEqual(ref.count, conn.count)
            var mismatches = 0
            for i in 0..<conn.count { for j in 0..<conn.count where Double(d[i * conn.count + j]) != ref[i][j] { mismatches += 1 } }
            XCTAssertEqual(mismatches, 0, "\(file)")
            var e = MassData.g2d(conn.count, precision: .float64, duration: dt)
            e.integrator.dt = dt
            let sim = try MassNetwork(e, connectome: conn)
            XCTAssertEqual(sim.delays, d)
            XCTAssertEqual(sim.horizon, Int(d.max()!) + 1)
        }
        // TVB's horizons on connectivity_76 at speed 3 (peers/tvb README): 820 at dt 1/16, 513 at dt 0.1.
        XCTAssertEqual(Int(conn.integerDelays(speed: 3, dt: 0.0625).max()!) + 1, 820)
        XCTAssertEqual(Int(conn.integerDelays(speed: 3, dt: 0.1).max()!) + 1, 513)
    }

    /// What tvb-data ships and how TVB reads it: labels, sizes, weight statistics, hemispheres from
    /// labels, bz2 members (connectivity_68), a sub-folder (connectivity_192).
    func testTVBDataConnectomes() throws {
        let c76 = try MassData.connectome("connectivity_76")
        XCTAssertEqual(c76.count, 76)
        XCTAssertEqual(c76.labels.first, "rA1")
        XCTAssertEqual(c76.labels[38], "lA1")
        XCTAssertEqual(c76.nonzeroCount, 1560)
        XCTAssertEqual((0..<76).filter { c76.weights[$0 * 77] != 0 }.count, 66)
        XCTAssertFalse(c76.isUndirected)
        XCTAssertEqual(c76.hemispheres.filter { $0 }.count, 38)
        XCTAssertEqual(c76.cortical.count, 76)
        XCTAssertEqual(c76.areas.count, 76)
        XCTAssertEqual(c76.orientations.count, 3 * 76)
        XCTAssertEqual(c76.tractLengths.max()!, 153.48574, accuracy: 1e-9)
        var mean = 0.0
        for v in c76.weights { mean += v }
        XCTAssertEqual(mean / 76, Connectome.connectivity76MeanInStrength, accuracy: 1e-9)
        let c68 = try MassData.connectome("connectivity_68")
        XCTAssertEqual(c68.count, 68)
        XCTAssertEqual(c68.nonzeroCount, 1244)
        XCTAssertTrue(c68.isUndirected)
        XCTAssertEqual(c68.labels.first, "r_lateralorbitofrontal")
        let c192 = try MassData.connectome("connectivity_192")
        XCTAssertEqual(c192.count, 192)
        XCTAssertEqual(c192.nonzeroCount, 3532)
        XCTAssertEqual(c192.cortical.filter { $0 }.count, 76)
        XCTAssertEqual(Int(c192.integerDelays(speed: 3, dt: 0.0625).max()!) + 1, 759)
        let c96 = try MassData.connectome("connectivity_96")
        XCTAssertEqual(c96.count, 96)
        XCTAssertEqual(c96.hemispheres.count, 96, "suffix labels (RM-TCpol_R) give hemispheres too")
    }
}

extension Double {
    /// 10^floor(log10|x|) as an exponent (for print precision).
    var exponentBase10: Double { Swift.abs(self) > 0 ? (_log(Swift.abs(self)) / _log(10)).rounded(.down) : 0 }
}
