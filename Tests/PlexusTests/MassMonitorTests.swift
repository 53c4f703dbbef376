import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusMass
@testable import PlexusIO

/// TVB 2.10's EEG, MEG, iEEG, SpatialAverage, GlobalAverage and AfferentCoupling monitors on a
/// Generic2dOscillator run on connectivity_76 (Tests/Fixtures/tvb/monitors, made by
/// tools/tvb_reference/monitors.py; semantics in docs/tvb-monitors.md), with tvb-data's sensors,
/// lead fields and region mapping.
final class MassMonitorTests: XCTestCase {
    func fixture() throws -> [String: Any] { try Reference.exactJSON("tvb/monitors/g2d_monitors.json") }

    func tvbData(_ relative: String) throws -> String {
        guard let dir = ConnectomeZip.tvbDataDirectory() else { throw XCTSkip("tvb-data missing") }
        return dir + "/" + relative
    }

    /// The region gains: the lead fields summed over each region's vertices (and iEEG's point
    /// dipoles), against the gains TVB computed.
    func testSensorGainsMatchTVB() throws {
        let f = try fixture()
        let conn = try MassData.connectome()
        let files = f["files"] as! [String: String]
        for (key, sensors, projection) in [("EEG", "eeg_sensors", "eeg_projection"), ("MEG", "meg_sensors", "meg_projection")] {
            let p = try SensorFileReader.load(SensorFiles(sensors: try tvbData(files[sensors]!), projection: try tvbData(files[projection]!),
                                                          regionMapping: try tvbData(files["region_mapping"]!)), connectome: conn)
            let want = (f[key] as! [String: Any])["gain"] as! [[Double]]
            XCTAssertEqual(p.labels, (f[key] as! [String: Any])["sensors"] as! [String])
            var worst = 0.0
            for s in 0..<want.count { for r in 0..<conn.count { worst = max(worst, Swift.abs(p.gain[s * conn.count + r] - want[s][r])) } }
            print("MASS MONITOR \(key) gain (\(want.count) x \(conn.count)): max |difference| \(worst)")
            XCTAssertEqual(worst, 0, "\(key): numpy.add.at over the vertices in order, as TVB")
        }
        let ieeg = try SensorFileReader.load(SensorFiles(sensors: try tvbData(files["seeg_sensors"]!), projection: nil, regionMapping: nil), connectome: conn)
        let rows = (f["iEEG"] as! [String: Any])["gain_rows"] as! [String: Any]
        let idx = rows["rows"] as! [Int], gains = rows["gain"] as! [[Double]]
        for (k, s) in idx.enumerated() {
            for r in 0..<conn.count {
                XCTAssertEqual(ieeg.gain[s * conn.count + r], gains[k][r], accuracy: 1e-15 * Swift.abs(gains[k][r]), "iEEG sensor \(s) region \(r)")
            }
        }
    }

    func testMonitorsMatchTVB() throws {
        let f = try fixture()
        let conn = try MassData.connectome()
        let files = f["files"] as! [String: String]
        var params: [String: Double] = [:]
        for (k, v) in f["params"] as! [String: Any] { params[k] = v as? Double }
        var initial: [String: InitialValue] = [:]
        for (k, v) in f["initial"] as! [String: [Double]] { initial[k] = .perRegion(v) }
        let coup = f["coupling"] as! [String: Any]
        func monitor(_ key: String) -> MonitorDescription {
            let m = f[key] as! [String: Any]
            let vois = (m["voi"] as! [Int]).map { ["V", "W"][$0] }
            var d: MonitorDescription
            switch key {
            case "EEG", "EEG_average_reference":
                d = MonitorDescription(.eeg, period: m["period"] as! Double, variables: vois)
                d.sensorFiles = SensorFiles(sensors: try! tvbData(files["eeg_sensors"]!), projection: try! tvbData(files["eeg_projection"]!),
                                            regionMapping: try! tvbData(files["region_mapping"]!), reference: m["reference"] as? String)
            case "MEG":
                d = MonitorDescription(.meg, period: m["period"] as! Double, variables: vois)
                d.sensorFiles = SensorFiles(sensors: try! tvbData(files["meg_sensors"]!), projection: try! tvbData(files["meg_projection"]!),
                                            regionMapping: try! tvbData(files["region_mapping"]!))
            case "iEEG":
                d = MonitorDescription(.ieeg, period: m["period"] as! Double, variables: vois)
                d.sensorFiles = SensorFiles(sensors: try! tvbData(files["seeg_sensors"]!), projection: nil, regionMapping: nil)
            case "SpatialAverage": d = MonitorDescription(.spatialAverage, period: 1.0, variables: vois)
            case "SpatialAverage_hemispheres":
                d = MonitorDescription(.spatialAverage, period: m["period"] as! Double, variables: vois)
                d.defaultMask = "hemispheres"
            case "GlobalAverage": d = MonitorDescription(.globalAverage, period: 1.0, variables: vois)
            case "AfferentCoupling": d = MonitorDescription(.afferentCoupling, variables: ["V"])
            default: d = MonitorDescription(.afferentCouplingTemporalAverage, period: m["period"] as! Double, variables: ["V"])
            }
            return d
        }
        let keys = ["EEG", "EEG_average_reference", "MEG", "iEEG", "SpatialAverage", "SpatialAverage_hemispheres", "GlobalAverage",
                    "AfferentCoupling", "AfferentCouplingTemporalAverage"]
        var lines: [String] = []
        for precision in MassPrecision.allCases {
            var e = MassExperiment(connectivity: .tvbData("connectivity_76"), speed: f["speed"] as! Double,
                                   model: MassModelDescription(name: "Generic2dOscillator", params: params),
                                   coupling: CouplingDescription(name: coup["name"] as! String, params: coup["params"] as! [String: Double]),
                                   integrator: IntegratorDescription(scheme: .heun, dt: 0.1), initialHistory: initial,
                                   duration: f["duration"] as! Double, monitors: keys.map(monitor), precision: precision)
            try SensorFileReader.resolve(&e, connectome: conn)
            let r = try MassNetwork(e, connectome: conn).run()
            for (q, key) in keys.enumerated() {
                let ref = f[key] as! [String: Any]
                let m = r.monitors[q]
                let steps = ref["steps"] as! [Int], times = ref["times"] as! [Double]
                let data = ref["data"] as! [[[Double]]]
                let istep = (ref["period_in_steps"] as? Int) ?? (ref["istep"] as? Int) ?? 1
                var worst = 0.0, at = ""
                for (k, step) in steps.enumerated() {
                    let sample = step / istep - 1
                    XCTAssertEqual(m.times[sample], times[k], accuracy: 1e-9, "\(key) time of step \(step)")
                    for v in 0..<data[k].count {
                        let row = data[k][v]
                        let scale = max(row.map(Swift.abs).max() ?? 0, 1e-300)
                        XCTAssertEqual(m.regions, row.count, key)
                        for s in 0..<row.count {
                            let err = Swift.abs(m.value(sample: sample, variable: v, region: s) - row[s]) / scale
                            if err > worst { worst = err; at = "t = \(times[k]) variable \(v) column \(s)" }
                        }
                    }
                }
                XCTAssertEqual(m.samples, ref["n_samples"] as! Int, key)
                lines.append("\(key) [\(precision.rawValue)]: \(String(format: "%.2e", worst)) \(at)")
                // float32 is TVB's arithmetic: what is left is the order of sums (TVB projects each
                // step and averages; Plexus averages and projects once: equal in exact arithmetic).
                XCTAssertLessThanOrEqual(worst, precision == .float32 ? 1e-12 : 1e-6, "\(key) [\(precision.rawValue)] at \(at)")
            }
        }
        print("MASS MONITORS vs TVB 2.10 (max |error| / max |value| per sample and variable):\n" + lines.joined(separator: "\n"))
    }
}
