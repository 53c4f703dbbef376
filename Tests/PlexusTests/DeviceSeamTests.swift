import XCTest
@testable import PlexusCore
@testable import PlexusPoint

/// The device seam (Sources/PlexusPoint/Devices): every kind is found by the registry under its
/// NEST name, declares each parameter once, and resolves its values into the output the engine
/// compiles (in steps).
final class DeviceSeamTests: XCTestCase {
    let grid = try! TimeGrid(resolution: 0.1)

    func testRegistryListsEveryDeviceOnceByNESTName() {
        let names = ModelCatalog.deviceTypes.map { $0.name }
        XCTAssertEqual(Set(names).count, names.count, "two devices share a name: \(names)")
        for name in ["poisson_generator", "dc_generator", "noise_generator", "spike_generator", "volume_transmitter"] {
            XCTAssertNotNil(ModelCatalog.deviceModels[name], "\(name) missing from the registry")
        }
        for kind in ModelCatalog.deviceTypes {
            let all = kind.parameters.map(\.name) + kind.listParameters.map(\.name)
            XCTAssertEqual(Set(all).count, all.count, "\(kind.name) declares a parameter twice: \(all)")
            XCTAssertNil(ModelCatalog.neuronModels[kind.name], "\(kind.name) is also a neuron model")
        }
    }

    private func resolve(_ kind: DeviceKind, _ params: [String: ParameterValue]) throws -> DevicePopulation {
        try DevicePopulation(kind, PopulationDescription(name: "d", model: kind.name, params: params), path: "populations.d", grid: grid)
    }

    func testOutputsInSteps() throws {
        // rate 2000 Hz at 0.1 ms: 0.2 events per step, emitted in steps (30, 80] (origin 2 + start 1, origin 2 + stop 6 ms).
        let pg = try resolve(PoissonGenerator.self, ["rate": .number(2, "kHz"), "origin": .number(2, "ms"),
                                                     "start": .number(1, "ms"), "stop": .number(6, "ms")])
        guard case .poisson(let train) = pg.output else { return XCTFail("poisson_generator: \(pg.output)") }
        XCTAssertEqual(train.lambda, 2000 * 0.1 / 1000)
        XCTAssertEqual([train.startStep, train.stopStep], [30, 80])
        XCTAssertEqual(pg.parameters.dictionary["rate"], 2000)

        let dc = try resolve(DcGenerator.self, ["amplitude": .number(0.25, "nA")])
        guard case .current(let w) = dc.output else { return XCTFail("dc_generator: \(dc.output)") }
        XCTAssertEqual(w.amplitude, 250)
        XCTAssertTrue(w.changes.isEmpty)
        XCTAssertNil(w.noise)
        XCTAssertEqual(w.startStep, 0)
        XCTAssertGreaterThan(w.stopStep, Int64(1) << 60, "no stop: never inactive")

        let noise = try resolve(NoiseGenerator.self, ["mean": .number(10, "pA"), "std": .number(3, "pA"), "dt": .number(0.5, "ms")])
        guard case .current(let n) = noise.output, let g = n.noise else { return XCTFail("noise_generator: \(noise.output)") }
        XCTAssertEqual(n.amplitude, 10)
        XCTAssertEqual(g.std, 3)
        XCTAssertEqual(g.dtSteps, 5)

        // Spikes at 1, 2, 3 ms with origin 1 ms and start 1.5 ms: 2 and 3 ms shift to 3 and 4 ms
        // (steps 29 and 39); 1 ms (at 2 ms) is before origin + start.
        let sg = try resolve(SpikeGenerator.self, ["spike_times": .list([Quantity(1, "ms"), Quantity(2, "ms"), Quantity(3, "ms")]),
                                                   "spike_weights": .list([Quantity(1), Quantity(2), Quantity(3)]),
                                                   "origin": .number(1, "ms"), "start": .number(1.5, "ms")])
        guard case .spikes(let s) = sg.output else { return XCTFail("spike_generator: \(sg.output)") }
        XCTAssertEqual(s.steps, [29, 39])
        XCTAssertEqual(s.multiplicities, [2, 3])

        let vt = try resolve(VolumeTransmitterDevice.self, ["deliver_interval": .number(3)])
        guard case .volumeTransmitter(let every) = vt.output else { return XCTFail("volume_transmitter: \(vt.output)") }
        XCTAssertEqual(every, 3)
    }

    /// Errors name the parameter under the population's params.
    func testErrorsCarryTheKeyPath() {
        func failure(_ kind: DeviceKind, _ params: [String: ParameterValue]) -> PlexusError? {
            do { _ = try resolve(kind, params); return nil } catch { return error as? PlexusError }
        }
        let cases: [(DeviceKind, [String: ParameterValue], String, String)] = [
            (PoissonGenerator.self, ["rate": .number(-1, "Hz")], "populations.d.params.rate", ">= 0"),
            (DcGenerator.self, ["start": .number(5, "ms"), "stop": .number(2, "ms")], "populations.d.params.stop", "before start"),
            (DcGenerator.self, ["amplitude": .number(1, "mV")], "populations.d.params.amplitude", "mV"),
            (NoiseGenerator.self, ["dt": .number(0.25, "ms")], "populations.d.params.dt", "multiple of the resolution"),
            (SpikeGenerator.self, ["spike_times": .list([Quantity(2, "ms"), Quantity(1, "ms")])], "populations.d.params.spike_times[1]", "sorted"),
            (VolumeTransmitterDevice.self, ["deliver_interval": .number(1.5)], "populations.d.params.deliver_interval", "whole number"),
            (DcGenerator.self, ["amplitud": .number(1, "pA")], "populations.d.params.amplitud", "unknown parameter 'amplitud' for dc_generator"),
        ]
        for (kind, params, path, text) in cases {
            guard let e = failure(kind, params) else { XCTFail("\(kind.name) \(params) accepted"); continue }
            XCTAssertEqual(e.keyPath, path, "\(kind.name): \(e)")
            XCTAssertTrue(e.message.contains(text), "\(kind.name): \(e.message)")
        }
    }

    /// The engine's piecewise-constant currents (what a step current resolves to): a waveform
    /// changing at emission steps 99, 249 and 399 gives, bit for bit, what dc_generators
    /// switched on at 10, 25 and 40 ms and off at the next give (a change at step c is a dc_generator
    /// starting at (c + 1)·h), with delays, weights and two threads.
    func testPiecewiseCurrentEqualsWindowedDCGenerators() throws {
        let pieces: [(amplitude: Double, start: Double, stop: Double?)] = [(100, 10, 25), (300, 25, 40), (-50, 40, nil)]
        func experiment(_ dcs: [(amplitude: Double, start: Double, stop: Double?)]) -> PointExperiment {
            var pops = [PopulationDescription(name: "n", model: "iaf_psc_alpha", size: 3)]
            var conns: [ConnectionDescription] = []
            for (k, d) in dcs.enumerated() {
                var params: [String: ParameterValue] = ["amplitude": .number(d.amplitude, "pA"), "start": .number(d.start, "ms")]
                if let stop = d.stop { params["stop"] = .number(stop, "ms") }
                pops.append(PopulationDescription(name: "dc\(k)", model: "dc_generator", params: params))
                conns.append(ConnectionDescription(source: "dc\(k)", target: "n",
                                                   synapse: SynapseDescription(weight: .constant(Quantity(0.8)), delay: .constant(Quantity(1.5, "ms")))))
            }
            return PointExperiment(duration: Quantity(60, "ms"), populations: pops, connections: conns,
                                   recordings: [.multimeter(population: "n", variables: ["V_m", "I_syn_ex"], interval: Quantity(0.1, "ms"))])
        }
        let reference = try PointNetwork(experiment(pieces), threads: 2).run().states[0]

        // One dc_generator, its current replaced after the build by the piecewise waveform.
        let net = try PointNetwork(experiment([(0, 0, nil)]), threads: 2)
        net.currentGenerators = CurrentGenerators()
        net.currentGenerators.append(CurrentWaveform(
            amplitude: 0, changes: pieces.map { CurrentWaveform.Change(step: net.grid.steps($0.start) - 1, amplitude: $0.amplitude) },
            startStep: 0, stopStep: Int64.max / 4), node: net.population(named: "dc0")!.firstNode)
        for d in net.deviceInputs { d.currentCursors = d.currents.map { _ in 0 } }
        let piecewise = try net.run().states[0]

        XCTAssertEqual(piecewise.times, reference.times)
        XCTAssertEqual(piecewise.values, reference.values, "V_m and I_syn_ex bit for bit")
        // At rest until the first change arrives (10 ms + 1.5 ms delay), moved by the current after.
        let early = reference.times.indices.filter { reference.times[$0] <= 11.5 }
        XCTAssertTrue(early.allSatisfy { reference.values[0][$0] == -70 })
        XCTAssertGreaterThan(reference.values[0].max()!, -69)
        XCTAssertLessThan(reference.values[0].last!, -70, "the last piece is negative")
    }
}
