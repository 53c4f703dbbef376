import XCTest
@testable import PlexusCore
@testable import PlexusPoint

/// Asserts that building model `M` with `changes` applied to its defaults throws a PlexusError
/// whose key path names `parameter`.
private func assertRejects<M: PointNeuronModel>(_ model: M.Type, _ changes: [String: Double], naming parameter: String,
                                                file: StaticString = #filePath, line: UInt = #line) {
    assertRejects(NeuronKind(model), changes, naming: parameter, file: file, line: line)
}

/// The same for a built-in model by name (a Swift type or a description): a population of it
/// cannot be made.
private func assertRejects(_ model: String, _ changes: [String: Double], naming parameter: String,
                           file: StaticString = #filePath, line: UInt = #line) {
    assertRejects(ModelCatalog.neuron(model)!, changes, naming: parameter, file: file, line: line)
}

private func assertRejects(_ kind: NeuronKind, _ changes: [String: Double], naming parameter: String,
                           file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try kind.population(kind.parameterValues(changes)), file: file, line: line) { error in
        guard let e = error as? PlexusError else {
            return XCTFail("expected a PlexusError, got \(error)", file: file, line: line)
        }
        XCTAssertEqual(e.keyPath, parameter, "\(e)", file: file, line: line)
        XCTAssertTrue(e.message.contains(parameter), "\(e)", file: file, line: line)
    }
}

/// The constant `name` (a parameter or an internal) a population of the described built-in
/// `model` computes under `changes` at resolution 0.1 ms.
private func constant(_ model: String, _ name: String, _ changes: [String: Double]) throws -> Double {
    let m = BuiltinDescriptions.neurons.first { $0.name == model }!
    let p = m.kind.parameterValues(changes)
    let c = try m.constants(p, resolution: 0.1)
    if let i = p.specs.firstIndex(where: { $0.name == name }) { return c[i] }
    return c[p.specs.count + m.description.internals.firstIndex(of: name)!]
}

/// iaf_psc_alpha against NEST 3.10 (exact integration: V_m and PSCs within 1e-6, spikes on the grid).
final class IafPscAlphaReferenceTests: XCTestCase {
    private let tolerances = ["I_syn_ex": 1e-6, "I_syn_in": 1e-6]

    func testDC() throws {
        try assertMatchesReference(runReferenceCase("iaf_psc_alpha", "iaf_psc_alpha_dc"), "iaf_psc_alpha_dc",
                                   vmTolerance: 1e-6, stateTolerance: tolerances)
    }
    func testDCNearRheobase() throws {
        try assertMatchesReference(runReferenceCase("iaf_psc_alpha", "iaf_psc_alpha_dc376"), "iaf_psc_alpha_dc376",
                                   vmTolerance: 1e-6, stateTolerance: tolerances)
    }
    func testSpikeInput() throws {
        try assertMatchesReference(runReferenceCase("iaf_psc_alpha", "iaf_psc_alpha_spikes"), "iaf_psc_alpha_spikes",
                                   vmTolerance: 1e-6, stateTolerance: tolerances)
    }
    func testRejectsBadParameters() {
        assertRejects("iaf_psc_alpha", ["tau_m": -1], naming: "tau_m")
        assertRejects("iaf_psc_alpha", ["C_m": 0], naming: "C_m")
        assertRejects("iaf_psc_alpha", ["tau_syn_in": 0], naming: "tau_syn_in")
        assertRejects("iaf_psc_alpha", ["t_ref": -0.1], naming: "t_ref")
        assertRejects("iaf_psc_alpha", ["V_reset": -50], naming: "V_reset")
    }

    /// τ_m = τ_syn makes the textbook propagators 0·∞; NEST's IAFPropagatorAlpha takes the limit.
    /// Check it against the closed form for equal time constants: a unit dI (pA/ms) and no I at
    /// t = 0 give V(h) = h²/(2C)·e^{-h/τ}, a unit I gives V(h) = h/C·e^{-h/τ}.
    func testEqualTimeConstantsUseTheLimit() throws {
        let equal = ["tau_m": 2.0, "tau_syn_ex": 2.0]
        let P31 = try constant("iaf_psc_alpha", "P31ex", equal), P32 = try constant("iaf_psc_alpha", "P32ex", equal)
        let h = 0.1, tau = 2.0, C = 250.0
        XCTAssertEqual(P31, h * h / (2 * C) * exp(-h / tau), accuracy: 1e-18)
        XCTAssertEqual(P32, h / C * exp(-h / tau), accuracy: 1e-18)
        // Nearly equal: the regular formula would cancel; values stay close to the limit.
        let near = ["tau_m": 2.0, "tau_syn_ex": 2 * (1 + 1e-12)]
        XCTAssertEqual(try constant("iaf_psc_alpha", "P31ex", near), P31, accuracy: 1e-12 * P31)
        XCTAssertEqual(try constant("iaf_psc_alpha", "P32ex", near), P32, accuracy: 1e-9 * P32)
    }

    /// Off-grid refractory times round up to whole steps, as NEST's Time(ms).get_steps() does.
    func testRefractoryStepsRoundUp() throws {
        XCTAssertEqual(try constant("iaf_psc_alpha", "refractory_counts", ["t_ref": 0.12]), 2)
        XCTAssertEqual(try constant("iaf_psc_alpha", "refractory_counts", ["t_ref": 2]), 20)
    }
}

/// iaf_psc_exp against NEST 3.10 (exact integration).
final class IafPscExpReferenceTests: XCTestCase {
    private let tolerances = ["I_syn_ex": 1e-6, "I_syn_in": 1e-6]

    func testDC() throws {
        try assertMatchesReference(runReferenceCase("iaf_psc_exp", "iaf_psc_exp_dc"), "iaf_psc_exp_dc",
                                   vmTolerance: 1e-6, stateTolerance: tolerances)
    }
    func testSpikeInput() throws {
        try assertMatchesReference(runReferenceCase("iaf_psc_exp", "iaf_psc_exp_spikes"), "iaf_psc_exp_spikes",
                                   vmTolerance: 1e-6, stateTolerance: tolerances)
    }
    func testRejectsBadParameters() {
        assertRejects("iaf_psc_exp", ["tau_m": -1], naming: "tau_m")
        assertRejects("iaf_psc_exp", ["C_m": 0], naming: "C_m")
        assertRejects("iaf_psc_exp", ["tau_syn_ex": -2], naming: "tau_syn_ex")
        assertRejects("iaf_psc_exp", ["t_ref": -1], naming: "t_ref")
        assertRejects("iaf_psc_exp", ["delta": 1], naming: "delta")
    }

    /// τ_m = τ_syn: NEST's IAFPropagatorExp falls back to h/C·e^{-h/τ}.
    func testEqualTimeConstantsUseTheLimit() throws {
        XCTAssertEqual(try constant("iaf_psc_exp", "P21in", ["tau_m": 2, "tau_syn_in": 2]), 0.1 / 250 * exp(-0.1 / 2), accuracy: 1e-18)
    }
}

/// mat2_psc_exp against NEST 3.10 (exact integration; V_th is the adaptive threshold).
final class Mat2PscExpReferenceTests: XCTestCase {
    func testDC() throws {
        try assertMatchesReference(runReferenceCase("mat2_psc_exp", "mat2_psc_exp_dc"), "mat2_psc_exp_dc",
                                   vmTolerance: 1e-6, stateTolerance: ["V_th": 1e-6])
    }
    func testSpikeInput() throws {
        try assertMatchesReference(runReferenceCase("mat2_psc_exp", "mat2_psc_exp_spikes"), "mat2_psc_exp_spikes",
                                   vmTolerance: 1e-6, stateTolerance: ["V_th": 1e-6])
    }
    func testRejectsBadParameters() {
        assertRejects("mat2_psc_exp", ["tau_m": -5], naming: "tau_m")
        assertRejects("mat2_psc_exp", ["C_m": 0], naming: "C_m")
        assertRejects("mat2_psc_exp", ["tau_2": 0], naming: "tau_2")
        assertRejects("mat2_psc_exp", ["tau_m": 1], naming: "tau_syn_ex")   // equals tau_syn_ex
        assertRejects("mat2_psc_exp", ["t_ref": 0.0004], naming: "t_ref")   // rounds to 0 tics: no step
    }
}

/// izhikevich against NEST 3.10. Forward Euler, but the same arithmetic in the same order as
/// NEST, so the numbers agree to rounding, not just to the method's accuracy.
final class IzhikevichReferenceTests: XCTestCase {
    func testDC() throws {
        try assertMatchesReference(runReferenceCase("izhikevich", "izhikevich_dc"), "izhikevich_dc",
                                   vmTolerance: 1e-6, stateTolerance: ["U_m": 1e-6])
    }
    func testSpikeInput() throws {
        try assertMatchesReference(runReferenceCase("izhikevich", "izhikevich_spikes"), "izhikevich_spikes",
                                   vmTolerance: 1e-6, stateTolerance: ["U_m": 1e-6])
    }
    func testRejectsBadParameters() {
        assertRejects("izhikevich", ["consistent_integration": 2], naming: "consistent_integration")
        assertRejects("izhikevich", ["a": .nan], naming: "a")
    }
}

/// parrot_neuron: no NEST reference file; drive it as the engine does (counts in the excitatory
/// channel) and check that each step with n arrivals emits one spike of multiplicity n.
final class ParrotNeuronTests: XCTestCase {
    func testRepeatsCountsAsMultiplicity() throws {
        let m = try ParrotNeuron(parameters: ParameterValues(specs: ParrotNeuron.parameters), resolution: 0.1)
        XCTAssertTrue(ParrotNeuron.countsSpikes)
        let n = 3
        let state = StateColumns(base: UnsafeMutablePointer<Double>.allocate(capacity: 1), n: n)
        defer { state.base.deallocate() }
        let spikeIn = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n)
        let current = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { spikeIn.deallocate(); current.deallocate() }
        // arrivals[step][neuron]
        let arrivals: [[Double]] = [[0, 1, 0], [2, 0, 5], [0, 0, 0], [1, 1, 1], [7, 0, 0]]
        var out = SpikeOutput()
        var emitted: [(step: Int, gid: UInt32, multiplicity: Double)] = []
        for (s, counts) in arrivals.enumerated() {
            for i in 0..<n { spikeIn[2 * i] = counts[i]; spikeIn[2 * i + 1] = 0; current[i] = 0 }
            let before = out.count
            m.update(state, 0..<n, StepInput(spikes: spikeIn, current: current, step: Int64(s)), &out)
            for k in before..<out.count { emitted.append((s, out.list.base[k].gid, out.list.base[k].multiplicity)) }
        }
        var expected: [(Int, UInt32, Double)] = []
        for (s, counts) in arrivals.enumerated() {
            for (i, c) in counts.enumerated() where c > 0 { expected.append((s, UInt32(i), c)) }
        }
        XCTAssertEqual(emitted.count, expected.count)
        for (a, b) in zip(emitted, expected) {
            XCTAssertEqual(a.step, b.0)
            XCTAssertEqual(a.gid, b.1)
            XCTAssertEqual(a.multiplicity, b.2)
        }
        // The total number of spikes is conserved: one outgoing event carries all arrivals.
        XCTAssertEqual(emitted.map(\.multiplicity).reduce(0, +), arrivals.joined().reduce(0, +))
    }

    func testHasNoParametersOrState() {
        XCTAssertTrue(ParrotNeuron.parameters.isEmpty)
        XCTAssertTrue(ParrotNeuron.state.isEmpty)
    }
}

/// Runs one neuron of `M` for `steps` steps with per-step inputs (as the engine hands them over)
/// and returns the recorded values of `variable` after each step, plus the steps with a spike.
private func drive<M: PointNeuronModel>(_ model: M.Type, _ changes: [String: Double] = [:], steps: Int,
                                        spike: (Int) -> Double = { _ in 0 }, current: (Int) -> Double = { _ in 0 },
                                        variable: String = "V_m") throws -> (values: [Double], spikes: [Int]) {
    try drive(NeuronKind(model), changes, steps: steps, spike: spike, current: current, variable: variable)
}

/// The same for a built-in model by name (a Swift type or a description).
private func drive(_ model: String, _ changes: [String: Double] = [:], steps: Int,
                   spike: (Int) -> Double = { _ in 0 }, current: (Int) -> Double = { _ in 0 },
                   variable: String = "V_m") throws -> (values: [Double], spikes: [Int]) {
    try drive(ModelCatalog.neuron(model)!, changes, steps: steps, spike: spike, current: current, variable: variable)
}

private func drive(_ kind: NeuronKind, _ changes: [String: Double] = [:], steps: Int,
                   spike: (Int) -> Double = { _ in 0 }, current: (Int) -> Double = { _ in 0 },
                   variable: String = "V_m") throws -> (values: [Double], spikes: [Int]) {
    let p = kind.parameterValues(changes)
    let specs = kind.state(for: p)
    let pop = try kind.population(p)
    let spikeIn = UnsafeMutablePointer<Double>.allocate(capacity: 2)
    let cur = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    defer { spikeIn.deallocate(); cur.deallocate() }
    let v = specs.firstIndex { $0.name == variable }!
    var out = SpikeOutput()
    var values: [Double] = [], fired: [Int] = []
    for s in 0..<steps {
        let w = spike(s)
        spikeIn[0] = max(w, 0); spikeIn[1] = min(w, 0); cur[0] = current(s)
        let before = out.count
        pop.update(0..<1, StepInput(spikes: spikeIn, current: cur, step: Int64(s)), &out)
        if out.count > before { fired.append(s) }
        values.append(pop.recordedValue(variable: v, neuron: 0))
    }
    return (values, fired)
}

/// Input paths the NEST reference cases do not exercise (they use excitatory spikes and I_e only).
final class SingleNeuronInputPathTests: XCTestCase {
    /// With equal excitatory and inhibitory time constants, a spike of weight −w must mirror the
    /// response to +w about E_L exactly (checks the inhibitory channel's wiring and sign).
    func testInhibitoryMirrorsExcitatory() throws {
        func check(_ m: NeuronKind, _ changes: [String: Double] = [:], line: UInt = #line) throws {
            let ex = try drive(m, changes, steps: 300, spike: { $0 == 10 ? 200 : 0 })
            let inh = try drive(m, changes, steps: 300, spike: { $0 == 10 ? -200 : 0 })
            XCTAssertTrue(ex.spikes.isEmpty && inh.spikes.isEmpty, line: line)
            XCTAssertEqual(ex.values[10], -70, line: line)               // the spike acts from the next step
            XCTAssertGreaterThan(ex.values[11], -70, line: line)
            for (a, b) in zip(ex.values, inh.values) { XCTAssertEqual(a + 70, -(b + 70), accuracy: 1e-12, line: line) }
        }
        try check(ModelCatalog.neuron("iaf_psc_alpha")!)
        try check(ModelCatalog.neuron("iaf_psc_exp")!)
        try check(ModelCatalog.neuron("mat2_psc_exp")!, ["tau_syn_in": 1])
    }

    /// izhikevich adds the arriving weight (mV) to V inside the step, so it shows at that step's end.
    func testIzhikevichSpikeJumpsInTheSameStep() throws {
        let quiet = try drive("izhikevich", steps: 50)
        let kicked = try drive("izhikevich", steps: 50, spike: { $0 == 10 ? 5 : 0 })
        XCTAssertEqual(Array(kicked.values[..<10]), Array(quiet.values[..<10]))
        XCTAssertEqual(kicked.values[10] - quiet.values[10], 5, accuracy: 1e-12)
        let inhibited = try drive("izhikevich", steps: 50, spike: { $0 == 10 ? -5 : 0 })
        XCTAssertEqual(inhibited.values[10] - quiet.values[10], -5, accuracy: 1e-12)
    }

    /// Generator current read at the end of step k acts from step k+1: from rest, a current I
    /// switched on at step 0 gives the I_e = I trace delayed by one step.
    func testCurrentInputActsFromTheNextStep() throws {
        func check(_ m: NeuronKind, _ I: Double, line: UInt = #line) throws {
            let viaCurrent = try drive(m, steps: 2000, current: { _ in I })
            let viaIe = try drive(m, ["I_e": I], steps: 2000)
            XCTAssertFalse(viaIe.spikes.isEmpty, line: line)
            XCTAssertEqual(viaCurrent.values[0], -70, line: line)   // still at rest in step 0
            for k in 1..<2000 { XCTAssertEqual(viaCurrent.values[k], viaIe.values[k - 1], line: line) }
            XCTAssertEqual(viaCurrent.spikes, viaIe.spikes.map { $0 + 1 }.filter { $0 < 2000 }, line: line)
        }
        try check(ModelCatalog.neuron("iaf_psc_alpha")!, 500)
        try check(ModelCatalog.neuron("iaf_psc_exp")!, 500)
        try check(ModelCatalog.neuron("mat2_psc_exp")!, 500)
    }
}
