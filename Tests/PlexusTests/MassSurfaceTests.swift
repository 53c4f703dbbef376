import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusMass
@testable import PlexusIO

/// A surface simulation (TVB's): Generic2dOscillator on tvb-data's 16,384-vertex cortex with its
/// region mapping onto connectivity_76 and its local connectivity (coupling strength 0.3), against
/// TVB 2.10's own run (Tests/Fixtures/tvb/surface, made by tools/tvb_reference/surface.py;
/// semantics in docs/tvb-surface.md).
final class MassSurfaceTests: XCTestCase {
    func testG2DSurfaceMatchesTVB() throws {
        guard let tvb = ConnectomeZip.tvbDataDirectory() else { throw XCTSkip("tvb-data missing") }
        let f = try Reference.exactJSON("tvb/surface/g2d_surface.json")
        let conn = try MassData.connectome()
        let files = f["files"] as! [String: String]
        let lc = f["local_connectivity"] as! [String: Any]
        let surface = try SensorFileReader.surface(regionMapping: tvb + "/" + files["region_mapping"]!,
                                                   localConnectivity: tvb + "/" + files["local_connectivity"]!,
                                                   couplingStrength: lc["coupling_strength"] as! Double, regions: conn.count)
        XCTAssertEqual(surface.vertices, 16384)
        XCTAssertEqual(surface.values.count, lc["nnz"] as! Int)
        var initial: [String: InitialValue] = [:]
        for (k, v) in f["initial"] as! [String: [Double]] { initial[k] = .perRegion(v) }
        var params: [String: Double] = [:]
        for (k, v) in f["params"] as! [String: Any] { params[k] = v as? Double }
        let coup = f["coupling"] as! [String: Any]
        let stride = (f["sample_vertices"] as! [String: Int])["stride"]!
        var lines: [String] = []
        for precision in MassPrecision.allCases {
            var e = MassExperiment(connectivity: .tvbData("connectivity_76"), speed: f["speed"] as! Double,
                                   model: MassModelDescription(name: "Generic2dOscillator", params: params),
                                   coupling: CouplingDescription(name: coup["name"] as! String, params: coup["params"] as! [String: Double]),
                                   integrator: IntegratorDescription(scheme: .heun, dt: 0.1), initialHistory: initial,
                                   duration: f["duration"] as! Double, monitors: [MonitorDescription(.raw, variables: ["V", "W"])],
                                   precision: precision)
            e.surface = surface
            let r = try MassNetwork(e, connectome: conn).run()
            let m = r.monitors[0]
            XCTAssertEqual(m.regions, 16384)
            var worst = 0.0, at = ""
            func compare(_ step: Int, _ v: Int, _ values: [Double], vertex: (Int) -> Int) {
                let scale = max(values.map(Swift.abs).max() ?? 0, 1e-300)
                for (q, want) in values.enumerated() {
                    let err = Swift.abs(m.value(sample: step - 1, variable: v, region: vertex(q)) - want) / scale
                    if err > worst { worst = err; at = "\(["V", "W"][v]) vertex \(vertex(q)) step \(step)" }
                }
            }
            let samples = f["samples"] as! [String: [[Double]]]
            for (k, step) in (f["steps"] as! [Int]).enumerated() {
                for (v, name) in ["V", "W"].enumerated() { compare(step, v, samples[name]![k]) { $0 * stride } }
            }
            let full = f["full"] as! [String: [[Double]]]
            for (k, step) in (f["full_steps"] as! [Int]).enumerated() {
                for (v, name) in ["V", "W"].enumerated() { compare(step, v, full[name]![k]) { $0 } }
            }
            lines.append("\(precision.rawValue): \(String(format: "%.2e", worst)) (\(at)); simulate \(String(format: "%.2f", r.simulateSeconds)) s")
            // float32: TVB's arithmetic (its float32 region history); float64: the helper
            // measured up to 3.3e-8 between the two.
            XCTAssertLessThanOrEqual(worst, precision == .float32 ? 1e-14 : 1e-6, "\(precision.rawValue) at \(at)")
        }
        print("MASS SURFACE vs TVB 2.10 (16,384 vertices, 100 ms; max |error| / max |value| per variable and step):\n" + lines.joined(separator: "\n"))
    }

    /// The same numbers on 1 and 2 threads: the local product reads other threads' vertices only
    /// after a barrier, and one member takes the region means in vertex order.
    func testSurfaceThreadsGiveTheSameNumbers() throws {
        guard let tvb = ConnectomeZip.tvbDataDirectory() else { throw XCTSkip("tvb-data missing") }
        let conn = try MassData.connectome()
        let surface = try SensorFileReader.surface(regionMapping: tvb + "/regionMapping/regionMapping_16k_76.txt",
                                                   localConnectivity: tvb + "/local_connectivity/local_connectivity_16384.mat",
                                                   couplingStrength: 0.3, regions: conn.count)
        for scheme in [IntegrationScheme.heun, IntegrationScheme(EulerIntegrator.self)] {
            var e = MassData.g2d(conn.count, precision: .float64, duration: 5)
            e.initialHistory = [:]
            e.surface = surface
            e.integrator = IntegratorDescription(scheme: scheme, stochastic: true, dt: 0.1, nsig: [1e-4])
            e.monitors = [MonitorDescription(.temporalAverage, period: 1), MonitorDescription(.globalAverage, period: 1)]
            let one = try MassNetwork(e, connectome: conn, threads: 1).run()
            let two = try MassNetwork(e, connectome: conn, threads: 2).run()
            XCTAssertEqual(one.monitors[0].values, two.monitors[0].values, "\(scheme)")
            XCTAssertEqual(one.monitors[1].values, two.monitors[1].values, "\(scheme)")
        }
    }

    /// What a surface run does not take yet is refused by key path, not run wrong.
    func testSurfaceRefusals() throws {
        let conn = try MassData.connectome()
        let n = 8
        // A toy surface: 8 vertices, two per region 0..3 ... leaving regions 4..75 without vertices.
        let toy = SurfaceDescription(regionMapping: (0..<n).map { $0 / 2 }, rowStarts: Array(0...n), columns: (0..<n).map { Int32(($0 + 1) % n) },
                                     values: [Double](repeating: 1, count: n), couplingStrength: 1)
        var e = MassData.g2d(conn.count, precision: .float64, duration: 1)
        e.initialHistory = [:]
        e.surface = toy
        XCTAssertThrowsError(try MassNetwork(e, connectome: conn)) { XCTAssertTrue("\($0)".contains("has no vertex"), "\($0)") }
        var full = toy
        full.regionMapping = (0..<conn.count).map { $0 }
        full.rowStarts = Array(0...conn.count)
        full.columns = (0..<conn.count).map { Int32(($0 + 1) % conn.count) }
        full.values = [Double](repeating: 0.5, count: conn.count)
        e.surface = full
        _ = try MassNetwork(e, connectome: conn).run()   // one vertex per region: runs
        e.monitors = [MonitorDescription(.afferentCoupling)]
        XCTAssertThrowsError(try MassNetwork(e, connectome: conn)) { XCTAssertTrue("\($0)".contains("not supported yet"), "\($0)") }
        e.monitors = [MonitorDescription(.raw)]
        e.model = MassModelDescription(name: "LarterBreakspear")
        XCTAssertThrowsError(try MassNetwork(e, connectome: conn)) { XCTAssertTrue("\($0)".contains("local() to 'QV'"), "\($0)") }
        e.model = MassModelDescription(name: "Generic2dOscillator")
        e.surface?.columns[0] = 99_999
        XCTAssertThrowsError(try MassNetwork(e, connectome: conn)) { XCTAssertTrue("\($0)".contains("surface.local_connectivity"), "\($0)") }
    }
}
