import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusMass
@testable import PlexusModel
@testable import PlexusIO

/// Stochastic runs (additive, multiplicative, coloured noise; Heun and Euler) with TVB's numpy
/// noise stream, and region stimuli (PulseTrain, Sinusoid), against TVB 2.10's own runs
/// (Tests/Fixtures/tvb/noise_stimuli, made by tools/tvb_reference/noise_stimuli.py; semantics
/// in docs/tvb-noise-and-stimuli.md). Plexus's own counter-based noise: statistics only.
final class MassNoiseStimulusTests: XCTestCase {
    func fixture(_ name: String) throws -> [String: Any] {
        try Reference.exactJSON("tvb/noise_stimuli/\(name).json")
    }

    /// The fixture's case as an experiment (TVB's float32 history: `precision`).
    func experiment(_ f: [String: Any], precision: MassPrecision) -> MassExperiment {
        let integ = f["integrator"] as! [String: Any]
        let name = integ["name"] as! String
        let stochastic = name.hasSuffix("Stochastic")
        let scheme: IntegrationScheme = name.hasPrefix("Euler") ? IntegrationScheme(EulerIntegrator.self) : .heun
        var integrator = IntegratorDescription(scheme: scheme, stochastic: stochastic, dt: integ["dt"] as! Double)
        if let noise = integ["noise"] as? [String: Any] {
            integrator.nsig = noise["nsig"] as! [Double]
            integrator.numpySeed = UInt32(noise["noise_seed"] as! Int)
            integrator.ntau = noise["ntau"] as! Double
            if noise["type"] as! String == "Multiplicative" {
                let b = (noise["b"] as! [String: Any])["parameters"] as! [String: Double]
                integrator.noise = .multiplicative(a: b["a"]!, b: b["b"]!)
            }
        }
        var initial: [String: InitialValue] = [:]
        for (k, v) in f["initial"] as! [String: [Double]] { initial[k] = .perRegion(v) }
        let coup = f["coupling"] as! [String: Any]
        var params: [String: Double] = [:]
        for (k, v) in f["params"] as! [String: Any] { params[k] = (v as? Double) ?? (v as! [Double])[0] }
        var e = MassExperiment(connectivity: .tvbData("connectivity_76"), speed: f["speed"] as! Double,
                               model: MassModelDescription(name: f["model"] as! String, params: params),
                               coupling: CouplingDescription(name: coup["name"] as! String, params: coup["params"] as! [String: Double]),
                               integrator: integrator, initialHistory: initial, duration: f["duration"] as! Double,
                               monitors: [MonitorDescription(.raw, variables: f["state_variables"] as? [String])], precision: precision)
        if let st = f["stimulus"] as? [String: Any] {
            let temporal = st["temporal"] as! [String: Any]
            let names = f["state_variables"] as! [String]
            e.stimuli = [StimulusDescription(.equation(temporal["name"] as! String, temporal["parameters"] as! [String: Double]),
                                             weights: st["weight"] as! [Double], variables: (st["stvar"] as! [Int]).map { names[$0] })]
        }
        return e
    }

    /// Largest |error| over the largest |value| of each variable and sample.
    func compare(_ f: [String: Any], _ r: MassResults) -> (Double, String) {
        let m = r.monitors[0]
        let steps = f["steps"] as! [Int], times = f["times"] as! [Double]
        let states = f["states"] as! [String: [[Double]]]
        var worst = 0.0, at = ""
        for (k, step) in steps.enumerated() {
            XCTAssertEqual(m.times[step - 1], times[k], accuracy: 1e-9)
            for (v, sv) in (f["state_variables"] as! [String]).enumerated() {
                let ref = states[sv]![k]
                let scale = max(ref.map(Swift.abs).max() ?? 0, 1e-12)
                for i in 0..<ref.count {
                    let err = Swift.abs(m.value(sample: step - 1, variable: v, region: i) - ref[i]) / scale
                    if err > worst { worst = err; at = "\(sv) region \(i) t = \(times[k]) ms" }
                }
            }
        }
        return (worst, at)
    }

    func testNoiseAndStimuliMatchTVB() throws {
        let cases = ["additive_heun", "additive_euler", "multiplicative_heun", "coloured_heun", "pulse_train", "sinusoid"]
        try Reference.require(cases.map { "tvb/noise_stimuli/\($0).json" })
        let conn = try MassData.connectome()
        var lines: [String] = []
        for name in cases {
            let f = try fixture(name)
            var line = name + ":"
            for p in MassPrecision.allCases {
                let r = try MassNetwork(experiment(f, precision: p), connectome: conn).run()
                let (worst, at) = compare(f, r)
                line += " \(p.rawValue) \(String(format: "%.2e", worst)) (\(at))"
                // float64 keeps the history in float64 where TVB rounds it to float32 (see
                // MassModelCatalogueTests); TVB's arithmetic gives TVB's numbers (0 measured).
                XCTAssertLessThanOrEqual(worst, p == .float32 ? 1e-14 : 1e-6, "\(name) [\(p.rawValue)] at \(at)")
            }
            lines.append(line)
        }
        print("MASS NOISE/STIMULI vs TVB 2.10:\n" + lines.joined(separator: "\n"))
    }

    /// TVB's stimulus pattern, step by step: PulseTrain's strict onset and period edges and the
    /// sinusoid, against the values TVB used (t = (k-1) dt for step k).
    func testTemporalPatternsMatchTVB() throws {
        try Reference.require("tvb/noise_stimuli/pulse_train.json", "tvb/noise_stimuli/sinusoid.json")
        for name in ["pulse_train", "sinusoid"] {
            let f = try fixture(name)
            let st = f["stimulus"] as! [String: Any]
            let temporal = st["temporal"] as! [String: Any]
            let tvb = st["temporal_pattern"] as! [Double]
            let pattern = try MassStimuli.pattern(.equation(temporal["name"] as! String, temporal["parameters"] as! [String: Double]), path: "s")
            let dt = (f["integrator"] as! [String: Any])["dt"] as! Double
            for (k, want) in tvb.enumerated() {
                XCTAssertEqual(pattern(Double(k) * dt), want, "\(name) step \(k + 1)")
            }
        }
    }

    /// Plexus's own noise (counter-based): independent of threads, and with TVB's statistics: the
    /// increments of each variable have mean 0 and variance 2 nsig dt (white) or, coloured, the
    /// stationary variance of TVB's recursion, dt^2/ntau (lag-1 correlation E = exp(-dt/ntau)).
    func testOwnNoiseStatistics() throws {
        let conn = try MassData.connectome()
        let n = conn.count, dt = 0.1, nsig = [1e-3, 5e-4]
        for ntau in [0.0, 1.0] {
            var e = MassData.g2d(n, precision: .float64, duration: 2000)
            e.coupling = CouplingDescription(name: "Linear", params: ["a": 0])
            e.model = MassModelDescription(name: "Linear", params: ["gamma": -0.0])
            e.integrator = IntegratorDescription(scheme: IntegrationScheme(EulerIntegrator.self), stochastic: true, dt: dt, nsig: [nsig[0]])
            e.integrator.ntau = ntau
            e.initialHistory = ["x": .constant(0)]
            e.monitors = [MonitorDescription(.raw)]
            // Linear with gamma = 0 and no coupling: x is the running sum of the increments.
            let one = try MassNetwork(e, connectome: conn, threads: 1).run().monitors[0]
            let two = try MassNetwork(e, connectome: conn, threads: 2).run().monitors[0]
            XCTAssertEqual(one.values, two.values, "the same numbers on 1 and 2 threads")
            var incs: [Double] = []
            var lag: [Double] = []
            for i in 0..<n {
                var prev = 0.0, prevInc: Double?
                for k in 0..<one.samples {
                    let x = one.value(sample: k, variable: 0, region: i)
                    let inc = x - prev
                    incs.append(inc)
                    if let p = prevInc { lag.append(p * inc) }
                    prevInc = inc
                    prev = x
                }
            }
            let mean = incs.reduce(0, +) / Double(incs.count)
            let variance = incs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(incs.count - 1)
            let g2 = 2 * nsig[0]
            let expected = ntau == 0 ? g2 * dt : g2 * dt * dt / ntau
            let correlation = lag.reduce(0, +) / Double(lag.count) / variance
            print("MASS OWN NOISE ntau \(ntau): \(incs.count) increments, mean \(mean), variance \(variance) (expected \(expected)), lag-1 correlation \(correlation)")
            XCTAssertLessThan(Swift.abs(mean), 4 * (expected / Double(incs.count)).squareRoot() * (ntau == 0 ? 1 : 20))
            XCTAssertEqual(variance / expected, 1, accuracy: ntau == 0 ? 0.01 : 0.1)
            XCTAssertEqual(correlation, ntau == 0 ? 0 : _exp(-dt / ntau), accuracy: ntau == 0 ? 0.01 : 0.02)
        }
    }
}
