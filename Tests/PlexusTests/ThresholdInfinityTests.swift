import XCTest
@testable import PlexusCore
@testable import PlexusIO
@testable import PlexusPoint

/// NEST takes `V_th = inf` on its iaf_psc models (a neuron that integrates and never fires, as
/// the pulsepacket example sets it); other infinities stay refused.
final class ThresholdInfinityTests: XCTestCase {
    func run(_ model: String, _ vth: String) throws -> PointResults {
        let text = """
        resolution: 0.1 ms
        duration: 100 ms
        populations:
          n: {model: \(model), size: 1, params: {I_e: 1000 pA, V_th: \(vth)}}
        record:
          - {type: spike_recorder, population: n}
          - {type: multimeter, population: n, variables: [V_m], interval: 1 ms}
        """
        return try PointNetwork(try ExperimentFile.decode(text, file: "vth.yaml")).run()
    }

    func testInfiniteThresholdNeverFires() throws {
        for model in ["iaf_psc_alpha", "iaf_psc_exp", "iaf_psc_delta"] {
            XCTAssertGreaterThan(try run(model, "-55 mV").spikes[0].times.count, 5, model)
            let res = try run(model, "inf")
            XCTAssertEqual(res.spikes[0].times.count, 0, model)
            // I_e·R = 1000 pA · 40 MΩ: V_m settles 40 mV above E_L.
            XCTAssertEqual(try XCTUnwrap(res.states[0].values[0].last), -30, accuracy: 0.01, model)
        }
        XCTAssertThrowsError(try run("iaf_psc_alpha", "-inf")) { e in
            XCTAssertEqual((e as? PlexusError)?.keyPath, "populations.n.params.V_th", "\(e)")
        }
        XCTAssertThrowsError(try run("iaf_cond_exp", "inf")) { e in
            XCTAssertEqual((e as? PlexusError)?.keyPath, "populations.n.params.V_th", "\(e)")
        }
    }
}
