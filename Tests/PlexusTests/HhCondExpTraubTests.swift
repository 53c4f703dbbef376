import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusIO

/// hh_cond_exp_traub against NEST 3.10 (tools/nest_reference/hh_cond_exp_traub.py wrote
/// Tests/Fixtures/hh_cond_exp_traub.json and hh_cond_exp_traub_<case>.csv): each case is run as an
/// experiment file, through the same path as `plexus run` (generators, spike delivery, the
/// multimeter), and must give NEST's spike times on the grid, V_m within 1e-3 mV and the gates
/// and conductances within 1e-6 at every 0.1 ms sample. Also: NEST's initial state and refusals.
final class HhCondExpTraubTests: XCTestCase {
    struct Generator: Decodable {
        let model: String
        let params: [String: JSONNumbers]
        let weight: Double
        let delay: Double
    }
    /// A generator parameter: a number or a list of numbers.
    enum JSONNumbers: Decodable {
        case one(Double), list([Double])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let d = try? c.decode(Double.self) { self = .one(d) } else { self = .list(try c.decode([Double].self)) }
        }
    }
    struct Case: Decodable {
        let params: [String: Double]
        let generators: [Generator]
        let spikes: [Double]
        let status_before_simulate: [String: Double]
    }
    struct Fixture: Decodable {
        let resolution_ms: Double
        let duration_ms: Double
        let nest_version: String
        let recordables: [String]
        let defaults: [String: Double]
        let cases: [String: Case]
    }

    static let vmTolerance = 1e-3
    static let otherTolerance = 1e-6   // the gates (dimensionless) and g_ex, g_in (nS)

    static func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Reference.data("hh_cond_exp_traub.json"))
    }

    /// The unit a parameter of the model is written in.
    static func unit(_ name: String) -> String {
        switch name.prefix(2) {
        case "g_": return "nS"
        case "C_": return "pF"
        case "I_": return "pA"
        case "ta", "t_": return "ms"
        default: return "mV"
        }
    }

    /// The experiment file of one case: the neuron, its generators, every recordable every step,
    /// the spikes.
    static func yaml(_ c: Case, _ f: Fixture) -> String {
        var pops = ["  n:\n    model: hh_cond_exp_traub\n    params: {"
                    + c.params.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value) \(unit($0.key))" }.joined(separator: ", ") + "}"]
        var conns: [String] = []
        for (k, g) in c.generators.enumerated() {
            let params = g.params.sorted { $0.key < $1.key }.map { key, v -> String in
                let u = key == "amplitude" ? "pA" : "ms"
                switch v {
                case .one(let d): return "\(key): \(d) \(u)"
                case .list(let l): return "\(key): [\(l.map { "\($0) \(u)" }.joined(separator: ", "))]"
                }
            }
            pops.append("  g\(k): {model: \(g.model), params: {\(params.joined(separator: ", "))}}")
            let w = g.model == "spike_generator" ? "\(g.weight) nS" : "\(g.weight)"
            conns.append("  - {source: g\(k), target: n, synapse: {weight: \(w), delay: \(g.delay) ms}}")
        }
        return """
            resolution: \(f.resolution_ms) ms
            duration: \(f.duration_ms) ms
            populations:
            \(pops.joined(separator: "\n"))
            \(conns.isEmpty ? "" : "connections:\n" + conns.joined(separator: "\n"))
            record:
              - {type: multimeter, population: n, variables: [\(f.recordables.joined(separator: ", "))], interval: \(f.resolution_ms) ms}
              - {type: spike_recorder, population: n}

            """
    }

    /// Runs one case, prints the largest error of every recordable, then asserts.
    private func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try Self.fixture()
        let c = try XCTUnwrap(f.cases[name])
        let ref = try Reference.csv("hh_cond_exp_traub_\(name).csv")
        XCTAssertFalse(c.spikes.isEmpty, "\(name): the case is meant to make the neuron fire", file: file, line: line)

        let experiment = try ExperimentFile.decode(Self.yaml(c, f), file: "\(name).yaml")
        let res = try PointNetwork(experiment).run()
        let rec = res.states[0]
        let times = try XCTUnwrap(ref["time_ms"])
        XCTAssertEqual(rec.times, times.map { ($0 * 1e9).rounded() / 1e9 }, "\(name): sample times", file: file, line: line)

        var summary = "hh_cond_exp_traub \(name) vs NEST \(f.nest_version): spikes \(res.spikes[0].times.count) (NEST \(c.spikes.count))"
        for variable in f.recordables {
            let k = try XCTUnwrap(rec.variables.firstIndex(of: variable), "\(variable) not recorded")
            let mine = rec.values[k], theirs = try XCTUnwrap(ref[variable])
            XCTAssertEqual(mine.count, theirs.count, "\(name): \(variable) sample count", file: file, line: line)
            var worst = 0.0, at = 0
            for i in 0..<min(mine.count, theirs.count) where !(abs(mine[i] - theirs[i]) <= worst) {
                worst = abs(mine[i] - theirs[i])
                at = i
            }
            summary += ", \(variable) max|err| \(String(format: "%.3g", worst))"
            let tol = variable == "V_m" ? Self.vmTolerance : Self.otherTolerance
            XCTAssertLessThanOrEqual(worst, tol, "\(name): \(variable) \(mine[at]) vs NEST \(theirs[at]) at t = \(times[at]) ms",
                                     file: file, line: line)
        }
        print(summary)
        XCTAssertEqual(res.spikes[0].times, c.spikes.map { ($0 * 1e9).rounded() / 1e9 }, "\(name): spike times", file: file, line: line)
    }

    func testDCMatchesNEST() throws { try check("dc") }
    func testSpikeInputMatchesNEST() throws { try check("spikes") }
    func testOtherParametersMatchNEST() throws { try check("params") }

    /// NEST's defaults, and its initial state: V_m = -60 mV and the gates from the rate functions
    /// at -60 mV (not at V_m - V_T), bit for bit; E_L set later leaves them.
    func testDefaultsAndInitialStateAreNESTs() throws {
        let f = try Self.fixture()
        let kind = try XCTUnwrap(ModelCatalog.neuron("hh_cond_exp_traub"))
        for p in kind.parameters {
            XCTAssertEqual(p.defaultValue, try XCTUnwrap(f.defaults[p.name], p.name), p.name)
        }
        for s in kind.state where s.recordable && !s.name.hasPrefix("g_") {
            XCTAssertEqual(s.initialValue, try XCTUnwrap(f.defaults[s.name], s.name), s.name)
            XCTAssertEqual(s.initialValue, try XCTUnwrap(f.cases["params"]?.status_before_simulate[s.name]), "\(s.name) with E_L = -65 mV")
        }
        XCTAssertEqual(Set(kind.state.filter(\.recordable).map(\.name)), Set(f.recordables))
    }

    /// A population of one neuron of hh_cond_exp_traub under `changes`, with V_m starting at `v`.
    private func population(_ changes: [String: Double] = [:], v: Double? = nil) throws -> NeuronPopulation {
        let kind = try XCTUnwrap(ModelCatalog.neuron("hh_cond_exp_traub"))
        let p = kind.parameterValues(changes)
        var initial = kind.state(for: p).map { [$0.initialValue] }
        if let v { initial[0] = [v] }
        return try kind.population(p, initial: initial)
    }

    // MARK: parameter checks

    private func assertRejects(_ name: String, _ value: Double, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try population([name: value]), "\(name) = \(value)", file: file, line: line) { e in
            guard let e = e as? PlexusError else { return XCTFail("not a PlexusError: \(e)", file: file, line: line) }
            XCTAssertEqual(e.keyPath, name, "\(e) does not name \(name)", file: file, line: line)
        }
    }

    /// NEST refuses C_m <= 0, tau_syn_ex or tau_syn_in <= 0 and t_ref < 0, and nothing else (a
    /// negative conductance is its user's business).
    func testParameterChecks() throws {
        XCTAssertNoThrow(try population())
        assertRejects("C_m", 0)
        assertRejects("C_m", -200)
        assertRejects("tau_syn_ex", 0)
        assertRejects("tau_syn_in", -10)
        assertRejects("t_ref", -0.1)
        XCTAssertNoThrow(try population(["t_ref": 0, "g_K": -1]))

        // and in an experiment file, at the key
        let yaml = """
            resolution: 0.1 ms
            duration: 10 ms
            populations:
              n:
                model: hh_cond_exp_traub
                params: {tau_syn_in: -1 ms}

            """
        XCTAssertThrowsError(try PointNetwork(ExperimentFile.decode(yaml, file: "bad.yaml"))) { e in
            guard let e = e as? PlexusError else { return XCTFail("not a PlexusError: \(e)") }
            let located = ExperimentFile.locate(e, file: "bad.yaml", index: ExperimentFile.lineIndex(yaml))
            XCTAssertEqual(located.line, 6, "\(located)")
            XCTAssertTrue(located.keyPath?.hasSuffix("tau_syn_in") ?? false, "\(located)")
        }
    }

    /// The rate functions' 0/0 points take their limits (NEST's formulas give NaN there): a
    /// neuron started exactly where V_m - V_T is 15, 13 or 40 mV (alpha_n, alpha_m, beta_m)
    /// steps to a finite state, within 1e-6 of one started 1e-7 mV away.
    func testRatesAtTheirRemovableSingularities() throws {
        let spikes = UnsafeMutablePointer<Double>.allocate(capacity: 2), current = UnsafeMutablePointer<Double>.allocate(capacity: 1)
        defer { spikes.deallocate(); current.deallocate() }
        spikes.initialize(repeating: 0, count: 2); current.initialize(to: 0)
        func stepped(_ v: Double) throws -> [Double] {
            let pop = try population(v: v)
            var out = SpikeOutput()
            pop.update(0..<1, StepInput(spikes: spikes, current: current, step: 0), &out)
            return (0..<4).map { pop.recordedValue(variable: $0, neuron: 0) }   // V_m and the gates
        }
        for offset in [15.0, 13.0, 40.0] {
            let at = try stepped(-63 + offset), near = try stepped(-63 + offset + 1e-7)
            XCTAssertTrue(at.allSatisfy(\.isFinite), "V_m - V_T = \(offset): \(at)")
            for (a, b) in zip(at, near) { XCTAssertEqual(a, b, accuracy: 1e-6, "V_m - V_T = \(offset)") }
        }
    }
}
