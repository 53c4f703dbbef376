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
    /// A surface fixture, tvb-data's folder, connectivity_76 and the surface the fixture names.
    func fixture(_ name: String) throws -> ([String: Any], String, Connectome, SurfaceDescription) {
        guard let tvb = ConnectomeZip.tvbDataDirectory() else { throw XCTSkip("tvb-data missing") }
        let f = try Reference.exactJSON("tvb/surface/\(name).json")
        let conn = try MassData.connectome()
        let files = f["files"] as! [String: String]
        let lc = f["local_connectivity"] as! [String: Any]
        let surface = try SensorFileReader.surface(regionMapping: tvb + "/" + files["region_mapping"]!,
                                                   localConnectivity: tvb + "/" + files["local_connectivity"]!,
                                                   couplingStrength: lc["coupling_strength"] as! Double, regions: conn.count)
        return (f, tvb, conn, surface)
    }

    func testG2DSurfaceMatchesTVB() throws {
        let (f, _, conn, surface) = try fixture("g2d_surface")
        let lc = f["local_connectivity"] as! [String: Any]
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

    /// EEG and MEG with the lead field over the vertices, SpatialAverage over the region mapping,
    /// GlobalAverage and TemporalAverage on the surface run, against TVB's monitors of the same run
    /// (Tests/Fixtures/tvb/surface/g2d_surface_monitors.json, tools/tvb_reference/surface_monitors.py).
    func testSurfaceMonitorsMatchTVB() throws {
        let (f, tvb, conn, surface) = try fixture("g2d_surface_monitors")
        let files = f["files"] as! [String: String]
        var initial: [String: InitialValue] = [:]
        for (k, v) in f["initial"] as! [String: [Double]] { initial[k] = .perRegion(v) }
        var params: [String: Double] = [:]
        for (k, v) in f["params"] as! [String: Any] { params[k] = v as? Double }
        let coup = f["coupling"] as! [String: Any]
        var eeg = MonitorDescription(.eeg, period: (f["EEG"] as! [String: Any])["period"] as! Double, variables: ["V", "W"])
        eeg.sensorFiles = SensorFiles(sensors: tvb + "/" + files["eeg_sensors"]!, projection: tvb + "/" + files["eeg_projection"]!, regionMapping: nil)
        var meg = MonitorDescription(.meg, period: 2.0, variables: ["V", "W"])
        meg.sensorFiles = SensorFiles(sensors: tvb + "/" + files["meg_sensors"]!, projection: tvb + "/" + files["meg_projection"]!, regionMapping: nil)
        let keys = ["EEG", "MEG", "SpatialAverage", "GlobalAverage", "TemporalAverage"]
        var e = MassExperiment(connectivity: .tvbData("connectivity_76"), speed: f["speed"] as! Double,
                               model: MassModelDescription(name: "Generic2dOscillator", params: params),
                               coupling: CouplingDescription(name: coup["name"] as! String, params: coup["params"] as! [String: Double]),
                               integrator: IntegratorDescription(scheme: .heun, dt: 0.1), initialHistory: initial,
                               duration: f["duration"] as! Double,
                               monitors: [eeg, meg, MonitorDescription(.spatialAverage, period: 1, variables: ["V", "W"]),
                                          MonitorDescription(.globalAverage, period: 1, variables: ["V", "W"]),
                                          MonitorDescription(.temporalAverage, period: 1, variables: ["V"])],
                               precision: .float32)
        e.surface = surface
        try SensorFileReader.resolve(&e, connectome: conn)
        let r = try MassNetwork(e, connectome: conn).run()
        var lines: [String] = []
        for (q, key) in keys.enumerated() {
            let ref = f[key] as! [String: Any]
            let m = r.monitors[q]
            let istep = (ref["period_in_steps"] as? Int) ?? (ref["istep"] as! Int)
            let data = ref["data"] as! [[[Double]]]
            let stride = key == "TemporalAverage" ? ((ref["columns"] as! [String: Any])["stride"] as! Int) : 1
            XCTAssertEqual(m.samples, ref["n_samples"] as! Int, key)
            var worst = 0.0, at = ""
            for (k, step) in (ref["steps"] as! [Int]).enumerated() {
                let sample = step / istep - 1
                XCTAssertEqual(m.times[sample], (ref["times"] as! [Double])[k], accuracy: 1e-9, key)
                for v in 0..<data[k].count {
                    let row = data[k][v]
                    let scale = max(row.map(Swift.abs).max() ?? 0, 1e-300)
                    for (c, want) in row.enumerated() {
                        let err = Swift.abs(m.value(sample: sample, variable: v, region: c * stride) - want) / scale
                        if err > worst { worst = err; at = "t = \(m.times[sample]) variable \(v) column \(c * stride)" }
                    }
                }
            }
            lines.append("\(key): \(String(format: "%.2e", worst)) \(at)")
            // TVB projects each step and averages (BLAS sums), Plexus averages and projects once:
            // equal in exact arithmetic; the fixture's script puts TVB's own rounding at 5e-15.
            XCTAssertLessThanOrEqual(worst, 1e-13, "\(key) at \(at)")
        }
        print("MASS SURFACE MONITORS vs TVB 2.10:\n" + lines.joined(separator: "\n"))
    }

    /// The same numbers on 1, 2 and 3 threads. On 2 the threads hold one hemisphere each: no
    /// local-connectivity entry and no region spans them, so they meet only as the delayed
    /// coupling requires. On 3 both do: the local products and region means wait at barriers.
    func testSurfaceThreadsGiveTheSameNumbers() throws {
        guard let tvb = ConnectomeZip.tvbDataDirectory() else { throw XCTSkip("tvb-data missing") }
        let conn = try MassData.connectome()
        let surface = try SensorFileReader.surface(regionMapping: tvb + "/regionMapping/regionMapping_16k_76.txt",
                                                   localConnectivity: tvb + "/local_connectivity/local_connectivity_16384.mat",
                                                   couplingStrength: 0.3, regions: conn.count)
        for scheme in [IntegrationScheme.heun, IntegrationScheme(EulerIntegrator.self), IntegrationScheme(RK4Integrator.self)] {
            var e = MassData.g2d(conn.count, precision: .float64, duration: 5)
            e.initialHistory = [:]
            e.surface = surface
            e.integrator = IntegratorDescription(scheme: scheme, stochastic: true, dt: 0.1, nsig: [1e-4])
            e.monitors = [MonitorDescription(.temporalAverage, period: 1), MonitorDescription(.globalAverage, period: 1)]
            let one = try MassNetwork(e, connectome: conn, threads: 1).run()
            for threads in [2, 3] {
                let many = try MassNetwork(e, connectome: conn, threads: threads).run()
                XCTAssertEqual(one.monitors[0].values, many.monitors[0].values, "\(scheme), \(threads) threads")
                XCTAssertEqual(one.monitors[1].values, many.monitors[1].values, "\(scheme), \(threads) threads")
            }
        }
    }

    /// Which thread layouts let a surface step skip its barriers: regions wholly inside one
    /// thread's vertices (in order; a region without vertices goes with its predecessor), and
    /// local-connectivity rows that stay inside their thread's range.
    func testSurfaceThreadLayout() {
        let halves = [0..<4, 4..<8]
        XCTAssertEqual(MassCoreImpl<HeunIntegrator>.ownedRegions([[0, 1], [], [2, 3], [4, 7], [5, 6]], vertexParts: halves), [0..<3, 3..<5])
        XCTAssertNil(MassCoreImpl<HeunIntegrator>.ownedRegions([[0, 1, 4], [2, 3], [5, 6, 7]], vertexParts: halves), "a region in both")
        XCTAssertNil(MassCoreImpl<HeunIntegrator>.ownedRegions([[4, 5, 6, 7], [0, 1, 2, 3]], vertexParts: halves), "regions out of order")
        // Rows 0 ..< 8 of a ring within each half, then one entry across.
        var starts = [0], columns: [Int32] = []
        for i in 0..<8 {
            let lo = i < 4 ? 0 : 4
            columns += [Int32(lo + (i - lo + 3) % 4), Int32(lo + (i - lo + 1) % 4)]
            starts.append(columns.count)
        }
        XCTAssertFalse(MassCoreImpl<HeunIntegrator>.crosses(rowStarts: starts, columns: columns, parts: halves))
        XCTAssertTrue(MassCoreImpl<HeunIntegrator>.crosses(rowStarts: starts, columns: columns, parts: [0..<3, 3..<8]))
        columns[5] = 4
        XCTAssertTrue(MassCoreImpl<HeunIntegrator>.crosses(rowStarts: starts, columns: columns, parts: halves))
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

    /// The local matrix's grouped compact form (one value per row, 16-bit columns, rows grouped
    /// by length per thread range) gives the plain CSR product bit for bit, for the planned
    /// ranges and (through the CSR fallback) any other; a matrix with different values in a row
    /// keeps the general form.
    func testLocalMatrixFormsGiveTheCSRProduct() {
        var rng = CouplingTestRandom(seed: 17)
        let n = 1000
        var starts = [0], columns = [Int32](), values = [Double]()
        for _ in 0..<n {
            let length = Int(rng.next() % 12)   // 0 ... 11 entries, as a cortical mesh (and empty rows)
            let w = rng.uniform(0.01, 1)
            let cols = Set((0..<length).map { _ in Int32(rng.next() % UInt64(n)) }).sorted()
            columns += cols
            values += cols.map { _ in w }
            starts.append(columns.count)
        }
        let x = (0..<n).map { _ in rng.uniform(-3, 3) }
        func reference(_ vals: [Double], _ r: Range<Int>) -> [Double] {
            r.map { i in
                var sum = 0.0
                for k in starts[i]..<starts[i + 1] { sum += vals[k] * x[Int(columns[k])] }
                return sum
            }
        }
        let parts = [0..<370, 370..<n]
        let uniform = LocalMatrix(rowStarts: starts, columns: columns, values: values, parts: parts)
        XCTAssertTrue(uniform.isCompact)
        var jittered = values
        let row = (0..<n).first { starts[$0 + 1] - starts[$0] >= 2 }!
        jittered[starts[row] + 1] *= 1.5   // two values in one row
        let general = LocalMatrix(rowStarts: starts, columns: columns, values: jittered, parts: parts)
        XCTAssertFalse(general.isCompact)
        for (matrix, vals) in [(uniform, values), (general, jittered)] {
            for r in parts + [0..<n, 100..<200] {
                var out = [Double](repeating: .nan, count: n)
                x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { matrix.multiply(xp.baseAddress!, into: $0.baseAddress!, r) } }
                XCTAssertEqual(Array(out[r]).map(\.bitPattern), reference(vals, r).map(\.bitPattern), "compact \(matrix.isCompact), rows \(r)")
                XCTAssertTrue(out[..<r.lowerBound].allSatisfy(\.isNaN) && out[r.upperBound...].allSatisfy(\.isNaN), "writes only its rows")
            }
        }
    }

    /// A region stimulus on the surface: each vertex takes its region's weight (TVB's
    /// StimuliRegion.configure_space(region_mapping)), against TVB's own run
    /// (Tests/Fixtures/tvb/surface/g2d_surface_stimulus.json, tools/tvb_reference/surface_stimulus.py:
    /// a PulseTrain on 5 regions, 30 ms). The same run without the stimulus is far from it, so the
    /// comparison sees the stimulus.
    func testRegionStimulusOnTheSurfaceMatchesTVB() throws {
        let (f, _, conn, surface) = try fixture("g2d_surface_stimulus")
        let base = try Reference.exactJSON("tvb/surface/" + (f["initial_from"] as! String).replacingOccurrences(of: ".bz2", with: ""))
        var initial: [String: InitialValue] = [:]
        for (k, v) in base["initial"] as! [String: [Double]] { initial[k] = .perRegion(v) }
        let coup = f["coupling"] as! [String: Any]
        let stim = f["stimulus"] as! [String: Any]
        let stride = (f["sample_vertices"] as! [String: Int])["stride"]!
        func run(stimulated: Bool) throws -> MonitorResult {
            var e = MassExperiment(connectivity: .tvbData("connectivity_76"), speed: f["speed"] as! Double,
                                   model: MassModelDescription(name: "Generic2dOscillator"),
                                   coupling: CouplingDescription(name: coup["name"] as! String, params: coup["params"] as! [String: Double]),
                                   integrator: IntegratorDescription(scheme: .heun, dt: f["dt"] as! Double), initialHistory: initial,
                                   duration: f["duration"] as! Double, monitors: [MonitorDescription(.raw, variables: ["V", "W"])],
                                   precision: .float32)
            e.surface = surface
            if stimulated {
                e.stimuli = [StimulusDescription(.equation(stim["equation"] as! String, stim["params"] as! [String: Double]),
                                                 weights: stim["weights"] as! [Double])]
            }
            return try MassNetwork(e, connectome: conn).run().monitors[0]
        }
        let m = try run(stimulated: true), plain = try run(stimulated: false)
        var worst = 0.0, unstimulated = 0.0
        func compare(_ step: Int, _ v: Int, _ values: [Double], vertex: (Int) -> Int) {
            let scale = max(values.map(Swift.abs).max() ?? 0, 1e-300)
            for (q, want) in values.enumerated() {
                worst = max(worst, Swift.abs(m.value(sample: step - 1, variable: v, region: vertex(q)) - want) / scale)
                unstimulated = max(unstimulated, Swift.abs(plain.value(sample: step - 1, variable: v, region: vertex(q)) - want) / scale)
            }
        }
        let samples = f["samples"] as! [String: [[Double]]], full = f["full"] as! [String: [[Double]]]
        for (k, step) in (f["steps"] as! [Int]).enumerated() {
            for (v, name) in ["V", "W"].enumerated() { compare(step, v, samples[name]![k]) { $0 * stride } }
        }
        for (k, step) in (f["full_steps"] as! [Int]).enumerated() {
            for (v, name) in ["V", "W"].enumerated() { compare(step, v, full[name]![k]) { $0 } }
        }
        print("MASS SURFACE STIMULUS vs TVB 2.10 (float32 arithmetic): max |error| / max |value| \(worst); without the stimulus \(unstimulated)")
        XCTAssertLessThanOrEqual(worst, 1e-14)
        XCTAssertGreaterThan(unstimulated, 1e-3, "the stimulus changes the run")
    }
}
