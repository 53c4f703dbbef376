import XCTest
@testable import PlexusCore
@testable import PlexusPoint

/// The engine end to end (populations, devices, delivery, recording) against NEST references.
final class EngineReferenceTests: XCTestCase {
    /// iaf_psc_delta driven by a spike_generator through a 1 ms synapse, recorded by a multimeter:
    /// the same numbers as NEST's trace, so generator timing, delays and sampling are right.
    func testSpikeGeneratorThroughEngineMatchesNEST() throws {
        let info = try Reference.json("nest/single/iaf_psc_delta_spikes.json")
        let stim = info["stimulus"] as! [String: Any]
        let times = (stim["generator_spike_times_ms"] as! [Double]).map { Quantity($0, "ms") }
        let exp = PointExperiment(
            resolution: Quantity(0.1, "ms"), duration: Quantity(1000, "ms"), seed: 1,
            populations: [
                PopulationDescription(name: "n", model: "iaf_psc_delta"),
                PopulationDescription(name: "sg", model: "spike_generator", params: ["spike_times": .list(times)]),
            ],
            connections: [ConnectionDescription(source: "sg", target: "n", synapse: SynapseDescription(
                weight: .constant(Quantity(stim["weight"] as! Double, "mV")), delay: .constant(Quantity(1, "ms"))))],
            recordings: [.spikes(population: "n"), .multimeter(population: "n", variables: ["V_m"], interval: Quantity(0.1, "ms"))])
        let ref = try Reference.csv("nest/single/iaf_psc_delta_spikes_vm.csv")
        let refSpikes = try Reference.csv("nest/single/iaf_psc_delta_spikes_spikes.csv")["t_ms"]!
        for threads in [1, 2] {
            let net = try PointNetwork(exp, threads: threads)
            let res = try net.run()
            XCTAssertEqual(res.spikes[0].times.count, refSpikes.count)
            for (a, b) in zip(res.spikes[0].times, refSpikes) { XCTAssertEqual(a, b, accuracy: 1e-9) }
            let vm = res.states[0].values[0]
            XCTAssertEqual(vm.count, ref["V_m"]!.count)
            let worst = zip(vm, ref["V_m"]!).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst, 1e-6, "threads \(threads)")
        }
    }

    /// dc_generator timing: NEST applies the current to the steps ending in
    /// (max(start, h) + d, stop + d]. With C_m = tau_m, V - E_L grows by exactly
    /// amplitude·(1 - exp(-h/tau)) per step from rest, so the first affected step is visible.
    func testDCGeneratorWindow() throws {
        let exp = PointExperiment(
            duration: Quantity(10, "ms"),
            populations: [
                PopulationDescription(name: "n", model: "iaf_psc_delta", params: ["V_th": .number(1000)]),
                PopulationDescription(name: "dc", model: "dc_generator",
                                      params: ["amplitude": .number(100, "pA"), "start": .number(2, "ms"), "stop": .number(5, "ms")]),
            ],
            connections: [ConnectionDescription(source: "dc", target: "n", synapse: SynapseDescription(delay: .constant(Quantity(1, "ms"))))],
            recordings: [.multimeter(population: "n", variables: ["V_m"], interval: Quantity(0.1, "ms"))])
        let res = try PointNetwork(exp).run()
        let v = res.states[0].values[0], t = res.states[0].times
        // Steps ending at t <= 3.0 ms are untouched; the step ending at 3.1 ms is the first with current.
        let firstMoved = zip(t, v).first { $0.1 != -70 }!.0
        XCTAssertEqual(firstMoved, 3.1, accuracy: 1e-9)
        // The last step with current ends at stop + d = 6.0 ms: V decays from 6.1 ms on.
        let i60 = t.firstIndex { abs($0 - 6.0) < 1e-9 }!
        XCTAssertGreaterThan(v[i60], v[i60 - 1])
        XCTAssertLessThan(v[i60 + 1], v[i60])
    }
}

/// Same seed, same spikes, whatever the number of threads.
final class DeterminismTests: XCTestCase {
    static func brunel(size: Int, threads: Int, seed: UInt64 = 7) throws -> PointResults {
        let ne = 4 * size, ni = size
        let params: [String: ParameterValue] = ["C_m": .number(1), "tau_m": .number(20), "t_ref": .number(2),
                                                "E_L": .number(0), "V_reset": .number(10), "V_th": .number(20),
                                                "V_m": .distribution(.uniform(min: Quantity(0), max: Quantity(20)))]
        let exp = PointExperiment(
            duration: Quantity(200, "ms"), seed: seed,
            populations: [
                PopulationDescription(name: "E", model: "iaf_psc_delta", size: ne, params: params),
                PopulationDescription(name: "I", model: "iaf_psc_delta", size: ni, params: params),
                PopulationDescription(name: "noise", model: "poisson_generator", params: ["rate": .number(20000, "Hz")]),
            ],
            connections: [
                ConnectionDescription(source: "noise", target: "E", synapse: SynapseDescription(weight: .constant(Quantity(0.1)), delay: .constant(Quantity(1.5, "ms")))),
                ConnectionDescription(source: "noise", target: "I", synapse: SynapseDescription(weight: .constant(Quantity(0.1)), delay: .constant(Quantity(1.5, "ms")))),
                ConnectionDescription(source: "E", target: "E", rule: .fixedIndegree(ne / 10), synapse: SynapseDescription(weight: .constant(Quantity(0.1)), delay: .uniform(min: Quantity(1, "ms"), max: Quantity(3, "ms")))),
                ConnectionDescription(source: "E", target: "I", rule: .pairwiseBernoulli(0.1), synapse: SynapseDescription(weight: .normal(mean: Quantity(0.1), std: Quantity(0.01)), delay: .constant(Quantity(1.5, "ms")))),
                ConnectionDescription(source: "I", target: "E", rule: .fixedOutdegree(ne / 10), synapse: SynapseDescription(weight: .constant(Quantity(-0.5)), delay: .constant(Quantity(1.5, "ms")))),
                ConnectionDescription(source: "I", target: "I", rule: .fixedTotalNumber(ni * ni / 10), synapse: SynapseDescription(weight: .constant(Quantity(-0.5)), delay: .constant(Quantity(1.5, "ms")))),
            ],
            recordings: [.spikes(population: "E"), .spikes(population: "I")])
        return try PointNetwork(exp, threads: threads).run()
    }

    func testOneAndTwoThreadsGiveIdenticalSpikes() throws {
        let a = try Self.brunel(size: 200, threads: 1)
        let b = try Self.brunel(size: 200, threads: 2)
        XCTAssertGreaterThan(a.totalSpikes, 1000, "the network must be active for the test to mean anything")
        for (x, y) in zip(a.spikes, b.spikes) {
            XCTAssertEqual(x.gids, y.gids)
            XCTAssertEqual(x.times, y.times)
        }
        let c = try Self.brunel(size: 200, threads: 2, seed: 8)
        XCTAssertNotEqual(a.spikes[0].gids, c.spikes[0].gids, "another seed must give another network")
    }
}
