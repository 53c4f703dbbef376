import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusPoint

/// NEST 3.10's GSL-integrated point neurons against its reference output: spike times equal on
/// the grid and V_m within 1e-3 mV at every sample; the other recordables within the tolerances
/// below (the _state.csv files hold 12 significant digits).
final class SingleNeuronODETests: XCTestCase {
    static let vmTolerance = 1e-3
    static let conductance = ["g_ex": 1e-7, "g_in": 1e-7]

    func testIafCondExpDC() throws {
        try check("iaf_cond_exp", "iaf_cond_exp_dc", Self.conductance)
    }
    func testIafCondExpSpikeInput() throws {
        try check("iaf_cond_exp", "iaf_cond_exp_spikes", Self.conductance)
    }
    func testIafCondAlphaDC() throws {
        try check("iaf_cond_alpha", "iaf_cond_alpha_dc", Self.conductance.merging(["t_ref_remaining": 1e-12]) { a, _ in a })
    }
    func testIafCondAlphaSpikeInput() throws {
        try check("iaf_cond_alpha", "iaf_cond_alpha_spikes", Self.conductance.merging(["t_ref_remaining": 1e-12]) { a, _ in a })
    }
    func testAeifCondExpDC() throws {
        try check(AeifCondExp.self, "aeif_cond_exp_dc", Self.conductance.merging(["w": 1e-7]) { a, _ in a })
    }
    func testAeifCondExpSpikeInput() throws {
        try check(AeifCondExp.self, "aeif_cond_exp_spikes", Self.conductance.merging(["w": 1e-7]) { a, _ in a })
    }
    static let hhStates = ["Act_m": 1e-10, "Inact_h": 1e-10, "Act_n": 1e-10, "I_syn_ex": 1e-7, "I_syn_in": 1e-7]
    func testHhPscAlphaDC() throws {
        try check("hh_psc_alpha", "hh_psc_alpha_dc", Self.hhStates)
    }
    func testHhPscAlphaSpikeInput() throws {
        try check("hh_psc_alpha", "hh_psc_alpha_spikes", Self.hhStates)
    }

    /// Runs a case, prints the measured errors of every recordable, then asserts.
    private func check<M: PointNeuronModel>(_ model: M.Type, _ caseName: String, _ states: [String: Double],
                                            file: StaticString = #filePath, line: UInt = #line) throws {
        try check(NeuronKind(model), caseName, states, file: file, line: line)
    }

    /// The same for a built-in model by name (a Swift type or a description).
    private func check(_ model: String, _ caseName: String, _ states: [String: Double],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        try check(ModelCatalog.neuron(model)!, caseName, states, file: file, line: line)
    }

    private func check(_ model: NeuronKind, _ caseName: String, _ states: [String: Double],
                       file: StaticString, line: UInt) throws {
        let vm = try Reference.csv("nest/single/\(caseName)_vm.csv")
        let st = try Reference.csv("nest/single/\(caseName)_state.csv")
        let nestSpikes = try Reference.csv("nest/single/\(caseName)_spikes.csv")["t_ms"] ?? []
        let trace = try runReferenceCase(model, caseName)
        var line1 = "\(caseName): spikes \(trace.spikes.count) (NEST \(nestSpikes.count))"
        for (name, ref) in [("V_m", vm["V_m"]!)] + st.filter({ $0.key != "t_ms" }).sorted(by: { $0.key < $1.key }) {
            guard let mine = trace.values[name] else { line1 += ", \(name) not recorded"; continue }
            var worst = 0.0
            for k in 0..<min(mine.count, ref.count) { worst = max(worst, abs(mine[k] - ref[k])) }
            line1 += ", \(name) max|err| \(String(format: "%.3g", worst))"
        }
        print(line1)
        try assertMatchesReference(trace, caseName, vmTolerance: Self.vmTolerance, stateTolerance: states,
                                   file: file, line: line)
    }

    // MARK: parameter checks

    private func assertRejects<M: PointNeuronModel>(_ model: M.Type, _ name: String, _ value: Double,
                                                    file: StaticString = #filePath, line: UInt = #line) {
        assertRejects(NeuronKind(model), name, value, file: file, line: line)
    }

    private func assertRejects(_ model: String, _ name: String, _ value: Double, file: StaticString = #filePath, line: UInt = #line) {
        assertRejects(ModelCatalog.neuron(model)!, name, value, file: file, line: line)
    }

    /// Making a population of `kind` with `name` = `value` fails naming it.
    private func assertRejects(_ kind: NeuronKind, _ name: String, _ value: Double, file: StaticString, line: UInt) {
        XCTAssertThrowsError(try kind.population(kind.parameterValues([name: value])), "\(kind.name): \(name) = \(value)",
                             file: file, line: line) { e in
            guard let e = e as? PlexusError else { return XCTFail("not a PlexusError: \(e)", file: file, line: line) }
            XCTAssertTrue(e.keyPath == name || e.message.contains(name), "\(e) does not name \(name)", file: file, line: line)
        }
    }

    func testParameterChecks() throws {
        for name in ["iaf_cond_exp", "iaf_cond_alpha", "aeif_cond_exp", "hh_psc_alpha"] {
            let kind = try XCTUnwrap(ModelCatalog.neuron(name))
            XCTAssertNoThrow(try kind.population(kind.parameterValues([:])), name)
        }

        assertRejects("iaf_cond_exp", "C_m", 0)
        assertRejects("iaf_cond_exp", "tau_syn_ex", -1)
        assertRejects("iaf_cond_exp", "t_ref", -1)
        assertRejects("iaf_cond_exp", "V_reset", -50)
        assertRejects("iaf_cond_alpha", "C_m", -250)
        assertRejects("iaf_cond_alpha", "tau_syn_in", 0)
        assertRejects("iaf_cond_alpha", "t_ref", -0.5)
        assertRejects(AeifCondExp.self, "C_m", 0)
        assertRejects(AeifCondExp.self, "tau_w", -144)
        assertRejects(AeifCondExp.self, "tau_syn_ex", -0.2)
        assertRejects(AeifCondExp.self, "gsl_error_tol", 0)
        assertRejects(AeifCondExp.self, "Delta_T", -1)
        assertRejects(AeifCondExp.self, "V_peak", -60)
        assertRejects("hh_psc_alpha", "C_m", 0)
        assertRejects("hh_psc_alpha", "tau_syn_ex", -2)
        assertRejects("hh_psc_alpha", "g_Na", -1)
    }

    func testHhInitialGatesAreNESTSteadyState() {
        // the values NEST reports for a fresh hh_psc_alpha (GetDefaults)
        let s = ModelCatalog.neuron("hh_psc_alpha")!.state
        XCTAssertEqual(s.first { $0.name == "Act_m" }!.initialValue, 0.05293248525724958, accuracy: 1e-16)
        XCTAssertEqual(s.first { $0.name == "Inact_h" }!.initialValue, 0.5961207535084603, accuracy: 1e-16)
        XCTAssertEqual(s.first { $0.name == "Act_n" }!.initialValue, 0.3176769140606974, accuracy: 1e-16)
    }

    // MARK: RKF45 on ODEs with known solutions

    struct Decay: ODERightHandSide {
        var dimension: Int { 1 }
        func callAsFunction(_ t: Double, _ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>) { f[0] = -y[0] }
    }

    struct Oscillator: ODERightHandSide {   // y0' = y1, y1' = -y0: y0 = cos t, y1 = -sin t
        var dimension: Int { 2 }
        func callAsFunction(_ t: Double, _ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>) {
            f[0] = y[1]; f[1] = -y[0]
        }
    }

    func testRKF45DecayStaysWithinTolerance() {
        let tol = 1e-6
        let control = GSLStandardControl.y(epsAbs: tol, epsRel: 0)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 1 + RKF45Workspace.scratchCount(dimension: 1))
        defer { scratch.deallocate() }
        let y = scratch, work = RKF45Workspace(scratch + 1, dimension: 1)
        y[0] = 1
        var t = 0.0, h = 1.0, steps = 0, failed = 0, worstLocal = 0.0
        while t < 10 {
            let t0 = t, y0 = y[0]
            failed += RKF45.evolveApply(Decay(), control: control, t: &t, t1: 10, h: &h, y: y, work: work)
            steps += 1
            // local error of the accepted step against the exact flow from where it started
            worstLocal = max(worstLocal, abs(y[0] - y0 * exp(-(t - t0))))
        }
        XCTAssertEqual(t, 10)   // the last step is clipped to t1 exactly
        XCTAssertLessThanOrEqual(worstLocal, 1.1 * tol)
        XCTAssertEqual(y[0], exp(-10.0), accuracy: 10 * tol)
        XCTAssertGreaterThan(steps, 5)
        XCTAssertLessThan(steps, 200)
        print("RKF45 y'=-y to t=10, tol \(tol): \(steps) steps, \(failed) rejected, worst local error \(worstLocal), final error \(abs(y[0] - exp(-10.0)))")
    }

    func testRKF45RejectsTooLargeStepAndShrinksByAtMostFive() {
        let control = GSLStandardControl.y(epsAbs: 1e-9, epsRel: 0)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 1 + RKF45Workspace.scratchCount(dimension: 1))
        defer { scratch.deallocate() }
        let y = scratch, work = RKF45Workspace(scratch + 1, dimension: 1)
        y[0] = 1
        var t = 0.0, h = 5.0
        let failed = RKF45.evolveApply(Decay(), control: control, t: &t, t1: 100, h: &h, y: y, work: work)
        XCTAssertGreaterThan(failed, 0)
        // each rejection shrinks by a factor in [0.2, 0.9): the accepted step is t
        XCTAssertGreaterThanOrEqual(t, 5.0 * pow(0.2, Double(failed)) * (1 - 1e-12))
        XCTAssertLessThan(t, 5.0 * pow(0.9, Double(failed)))
        XCTAssertEqual(y[0], exp(-t), accuracy: 1e-9)
    }

    func testRKF45OscillatorDerivativeControl() {
        // the derivative-based control NEST uses for aeif models, on a 2-D system
        let tol = 1e-6
        let control = GSLStandardControl.yp(epsAbs: tol, epsRel: tol)
        let d = 2
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: d + RKF45Workspace.scratchCount(dimension: d))
        defer { scratch.deallocate() }
        let y = scratch, work = RKF45Workspace(scratch + d, dimension: d)
        y[0] = 1; y[1] = 0
        var t = 0.0, h = 0.1, worstLocal = 0.0
        // integrate in 0.1 ms "simulation steps", the step size carried over as NEST does
        for k in 1...100 {
            let t1 = Double(k) * 0.1
            var tl = 0.0
            while tl < 0.1 {
                let a = y[0], b = y[1], t0 = tl
                RKF45.evolveApply(Oscillator(), control: control, t: &tl, t1: 0.1, h: &h, y: y, work: work)
                let dt = tl - t0
                worstLocal = max(worstLocal, abs(y[0] - (a * cos(dt) + b * sin(dt))), abs(y[1] - (b * cos(dt) - a * sin(dt))))
            }
            t = t1
        }
        XCTAssertLessThanOrEqual(worstLocal, 1.1 * tol * (1 + 0.1))
        XCTAssertEqual(y[0], cos(t), accuracy: 1e-4)
        XCTAssertEqual(y[1], -sin(t), accuracy: 1e-4)
    }
}
