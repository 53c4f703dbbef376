import XCTest
@testable import PlexusCore
@testable import PlexusPoint

/// Stimulation devices and recorders behave as NEST's.
final class DeviceTests: XCTestCase {
    /// poisson_generator gives every target its own train with the requested rate (parrots repeat it).
    func testPoissonGeneratorRateAndIndependence() throws {
        let exp = PointExperiment(
            duration: Quantity(1000, "ms"), seed: 4,
            populations: [
                PopulationDescription(name: "p", model: "parrot_neuron", size: 100),
                PopulationDescription(name: "pg", model: "poisson_generator", params: ["rate": .number(50, "Hz"), "start": .number(200, "ms")]),
            ],
            connections: [ConnectionDescription(source: "pg", target: "p")],
            recordings: [.spikes(population: "p")])
        let res = try PointNetwork(exp).run()
        let s = res.spikes[0]
        // 100 trains x 0.8 s x 50 Hz = 4000 spikes (sd 63).
        XCTAssertEqual(Double(s.times.count), 4000, accuracy: 320)
        XCTAssert(s.times.allSatisfy { $0 > 200 }, "no spikes before start")
        let first = Dictionary(grouping: zip(s.gids, s.times), by: \.0).mapValues { $0.map(\.1) }
        XCTAssertNotEqual(first[1], first[2], "targets get independent trains")
    }

    /// noise_generator with std = 0 is a DC source; with std > 0 targets get independent noise
    /// whose mean matches.
    func testNoiseGenerator() throws {
        func run(std: Double) throws -> RecordedStates {
            let exp = PointExperiment(
                duration: Quantity(200, "ms"), seed: 2,
                populations: [
                    PopulationDescription(name: "n", model: "iaf_psc_delta", size: 2, params: ["V_th": .number(1e6)]),
                    PopulationDescription(name: "dc", model: "dc_generator", params: ["amplitude": .number(100, "pA")]),
                    PopulationDescription(name: "noise", model: "noise_generator", params: ["mean": .number(100, "pA"), "std": .number(std, "pA")]),
                ],
                connections: [ConnectionDescription(source: "noise", target: "n")],
                recordings: [.multimeter(population: "n", variables: ["V_m"], interval: Quantity(1, "ms"))])
            return try PointNetwork(exp).run().states[0]
        }
        let flat = try run(std: 0)
        // V_inf = E_L + I·tau/C = -70 + 100·10/250 = -66 mV.
        XCTAssertEqual(flat.values[0].last!, -66, accuracy: 1e-6)
        let noisy = try run(std: 200)
        let a = stride(from: 0, to: noisy.times.count, by: 2).map { noisy.values[0][$0] }
        let b = stride(from: 1, to: noisy.times.count, by: 2).map { noisy.values[0][$0] }
        XCTAssertNotEqual(a, b, "each target draws its own noise")
        let late = a.suffix(100) + b.suffix(100)
        XCTAssertEqual(late.reduce(0, +) / Double(late.count), -66, accuracy: 0.5)
    }

    /// A multimeter at a coarser interval samples the same values as a fine one at its times.
    func testMultimeterIntervals() throws {
        func run(_ interval: Double) throws -> RecordedStates {
            let exp = PointExperiment(
                duration: Quantity(50, "ms"),
                populations: [PopulationDescription(name: "n", model: "iaf_psc_alpha", size: 3, params: ["I_e": .number(400, "pA")])],
                recordings: [.multimeter(population: "n", variables: ["V_m", "I_syn_ex"], interval: Quantity(interval, "ms"))])
            return try PointNetwork(exp, threads: 2).run().states[0]
        }
        let fine = try run(0.1), coarse = try run(2.5)
        XCTAssertEqual(fine.times.count, 500 * 3)
        XCTAssertEqual(coarse.times.count, 20 * 3)
        XCTAssertEqual(Array(coarse.times.prefix(3)), [2.5, 2.5, 2.5])
        XCTAssertEqual(Array(coarse.gids.prefix(3)), [1, 2, 3])
        for r in 0..<coarse.times.count {
            let k = fine.times.indices.first { fine.times[$0] == coarse.times[r] && fine.gids[$0] == coarse.gids[r] }!
            XCTAssertEqual(fine.values[0][k], coarse.values[0][r])
        }
    }

    /// spike_weights multiply the synaptic weight (NEST); spikes before start are dropped.
    func testSpikeGeneratorWeightsAndWindow() throws {
        let exp = PointExperiment(
            duration: Quantity(20, "ms"),
            populations: [
                PopulationDescription(name: "n", model: "iaf_psc_delta", params: ["V_th": .number(1e6)]),
                PopulationDescription(name: "sg", model: "spike_generator", params: [
                    "spike_times": .list([Quantity(2, "ms"), Quantity(5, "ms"), Quantity(8, "ms")]),
                    "spike_weights": .list([Quantity(1), Quantity(2), Quantity(3)]), "start": .number(3, "ms")]),
            ],
            connections: [ConnectionDescription(source: "sg", target: "n", synapse: SynapseDescription(weight: .constant(Quantity(1.5, "mV"))))],
            recordings: [.multimeter(population: "n", variables: ["V_m"], interval: Quantity(0.1, "ms"))])
        let v = try PointNetwork(exp).run().states[0]
        func at(_ t: Double) -> Double { v.values[0][v.times.firstIndex { abs($0 - t) < 1e-9 }!] }
        XCTAssertEqual(at(2.9), -70, "the spike at 2 ms is before start and dropped")
        // The spike at 5 ms arrives at 6 ms with weight 2 x 1.5 mV.
        XCTAssertEqual(at(5.9), -70)
        XCTAssertEqual(at(6.0), -67, accuracy: 1e-12)
    }
}
