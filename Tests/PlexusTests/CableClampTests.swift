import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusCable
@testable import PlexusIO

/// Current clamps with a time course (`clamp:`): steps, pulse trains, ramps, envelopes and
/// recordings from a file, on an isopotential passive cell whose implicit-Euler voltage the test
/// computes itself.
final class CableClampTests: XCTestCase {
    static let dt = 0.025, g = 0.001, e = -70.0

    static func cell(_ place: Place) throws -> CableExperiment {
        var t = SegmentTree()
        try t.append(parent: -1, prox: MPoint(0, 0, 0, 10), dist: MPoint(20, 0, 0, 10), tag: 1)
        var c = CableCellDescription(tree: t)
        c.discretization = CVPolicy([.init(.single)])
        c.initialVoltage = e
        c.paints = [Paint(.all, MechanismDescription("pas", ["g": g, "e": e]))]
        c.places = [place]
        c.probes = [Probe(.somaCenter, label: "v")]
        return CableExperiment(resolution: dt, duration: 50, cells: [("c", c)], populations: [CablePopulation(name: "p", cell: "c", size: 1)])
    }

    static func voltage(_ place: Place) throws -> [Double] { try CableNetwork(cell(place)).run().probes[0].values }

    /// What the engine's implicit Euler step gives with the clamp's current at each step's start.
    static func expected(_ envelope: CurrentEnvelope, steps: Int) -> [Double] {
        let area = Double.pi * 20 * 20
        let cdt = 1e-3 / dt * (area * 1.0 * 0.01), gF = g * (area * 0.01)
        var v = e, out = [v]
        for s in 0..<steps {
            v = (cdt * v + envelope.value(at: Double(s) * dt) + gF * e) / (cdt + gF)
            out.append(v)
        }
        return out
    }

    func testStepsAreTheIClamp() throws {
        let a = try Self.voltage(.iclamp(.somaCenter, delay: 5, duration: 20, amplitude: 0.2))
        let b = try Self.voltage(.clamp(.somaCenter, .steps([(5, 20, 0.2)])))
        XCTAssertEqual(a, b)
        XCTAssertGreaterThan(a[1000], -70 + 1, "the step depolarised the cell")
    }

    func testRampPulsesEnvelopeAndFileFollowTheirTimeCourse() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-clamp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("stim.csv")
        try "t_ms,I_nA\n0,0\n10,0.3\n20,-0.1\n30,0.05\n".write(to: file, atomically: true, encoding: .utf8)
        let envelopes: [(String, CurrentEnvelope)] = [
            ("ramp", try .ramp(start: 5, stop: 35, from: 0.05, to: 0.4)),
            ("pulses", try .pulses(start: 2, width: 1, interval: 5, count: 8, amplitude: 0.5)),
            ("envelope", try CurrentEnvelope(times: [0, 10, 10, 40], amplitudes: [0, 0.2, -0.2, 0.1])),
            ("file", try CableExperimentFile.timeCourse(file.path)),
        ]
        for (name, env) in envelopes {
            let v = try Self.voltage(.clamp(.somaCenter, env))
            let want = Self.expected(env, steps: v.count - 1)
            let worst = zip(v, want).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-9, name)
            XCTAssertGreaterThan(v.max()! - v.min()!, 0.5, "\(name) moved the voltage")
        }
        // The recording is off after its last row; the ramp after its stop.
        let recording = try CableExperimentFile.timeCourse(file.path)
        XCTAssertEqual(recording.value(at: 31), 0)
        XCTAssertEqual(recording.value(at: 15), 0.1, accuracy: 1e-15)
        XCTAssertEqual(try CurrentEnvelope.ramp(start: 5, stop: 35, from: 0.05, to: 0.4).value(at: 36), 0)
        XCTAssertEqual(try CurrentEnvelope.pulses(start: 2, width: 1, interval: 5, count: 8, amplitude: 0.5).value(at: 7.5), 0.5)
    }

    func testBadClampsAreClearErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-clamp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let stim = dir.appendingPathComponent("stim.csv")
        try "0,0\n10,0.1\n5,0.2\n".write(to: stim, atomically: true, encoding: .utf8)
        func decode(_ clamp: String) -> String {
            let yaml = """
            engine: cable
            duration: 10 ms
            cells:
              c:
                morphology: {swc: \(Repo.root.appendingPathComponent("examples/data/ball_and_stick.swc").path)}
                place: [{locset: soma_center, clamp: \(clamp)}]
            populations: {p: {cell: c}}
            """
            let path = dir.appendingPathComponent("x.yaml").path
            do { _ = try CableExperimentFile.decode(yaml, file: path); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(decode("{pulses: {width: 2 ms, interval: 1 ms, count: 3, amplitude: 1 nA}}").contains("interval >= width"))
        XCTAssertTrue(decode("{ramp: {start: 10 ms, stop: 5 ms, to: 1 nA}}").contains("stop > start"))
        XCTAssertTrue(decode("{envelope: [[0 ms, 0 nA], [5 ms, 1 nA], [2 ms, 0 nA]]}").contains("must not decrease"))
        XCTAssertTrue(decode("{steps: [{delay: 1 ms, duration: 2 ms, amplitude: 3 mV}]}").contains("amplitude"))
        XCTAssertTrue(decode("{ramp: {start: 1 ms, stop: 2 ms, to: 1 nA}, pulses: {}}").contains("exactly one"))
        let bad = decode("{file: stim.csv}")
        XCTAssertTrue(bad.contains("stim.csv:3") && bad.contains("must not decrease"), bad)
    }
}
