import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusIO

/// Bad experiment files: every one must fail with a PlexusError that names the file, the line of
/// the bad value and the value or key itself — never a trap, never a silent partial result. The
/// errors are located exactly as `plexus run` does it (ExperimentFile.locate with the line index).
final class BadInputTests: XCTestCase {
    // MARK: helpers

    /// A temporary folder for this test's files.
    private lazy var tmp = temporaryFolder("plexus-bad-input")
    private var folder: URL { tmp.url }

    private func write(_ text: String, name: String = "experiment.yaml") -> String {
        tmp.write(name, text)
    }

    /// Loads, compiles and (with `run`) simulates `yaml` as `plexus run` does; returns the error
    /// a user would see, or nil when everything succeeded.
    private func userError(_ yaml: String, run: Bool = false, path: String? = nil) -> (PlexusError, String)? {
        let path = path ?? write(yaml)
        let index = ExperimentFile.lineIndex(yaml)
        do {
            let experiment = try ExperimentFile.load(path)
            let network = try PointNetwork(experiment, threads: 2)
            if run { _ = try network.run() }
            return nil
        } catch let e as PlexusError {
            return (ExperimentFile.locate(e, file: path, index: index), path)
        } catch {
            XCTFail("not a PlexusError: \(error)")
            return nil
        }
    }

    /// 1-based number of the first line of `yaml` that contains `needle`.
    private func line(of needle: String, in yaml: String) -> Int? {
        for (k, l) in yaml.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where l.contains(needle) {
            return k + 1
        }
        return nil
    }

    /// Asserts that `yaml` fails with an error at the line holding `at` whose text mentions every
    /// string in `mentions`. Returns the error text (also printed, so the log shows what users see).
    @discardableResult
    private func assertFails(_ yaml: String, at needle: String, mentions: [String], run: Bool = false,
                             file: StaticString = #filePath, line testLine: UInt = #line) -> String {
        guard let expectedLine = line(of: needle, in: yaml) else {
            XCTFail("test bug: '\(needle)' is not in the YAML", file: file, line: testLine)
            return ""
        }
        guard let (error, path) = userError(yaml, run: run) else {
            XCTFail("no error for a bad file (expected one at line \(expectedLine))", file: file, line: testLine)
            return ""
        }
        let text = error.description
        print("BAD INPUT: \(text)")
        XCTAssertEqual(error.file, path, text, file: file, line: testLine)
        XCTAssertEqual(error.line, expectedLine, text, file: file, line: testLine)
        XCTAssertTrue(text.hasPrefix("\(path):\(expectedLine)"), text, file: file, line: testLine)
        for m in mentions {
            XCTAssertTrue(text.contains(m), "'\(m)' missing from: \(text)", file: file, line: testLine)
        }
        return text
    }

    /// A valid two-neuron experiment; cases below change one line of it.
    private func experiment(populations: String = "  n: {model: iaf_psc_alpha, size: 2}",
                            connections: String = "", record: String = "",
                            head: String = "resolution: 0.1 ms\nduration: 10 ms") -> String {
        var s = "# a small experiment\n\(head)\nseed: 3\npopulations:\n\(populations)\n"
        if !connections.isEmpty { s += "connections:\n\(connections)\n" }
        if !record.isEmpty { s += "record:\n\(record)\n" }
        return s
    }

    func testTheBaseExperimentIsValid() {
        XCTAssertNil(userError(experiment(record: "  - {type: spike_recorder, population: n}"), run: true))
    }

    // MARK: syntax and structure

    /// Deep nesting overflowed the YAML library's stack (found by scripts/fuzz), and anchors and
    /// aliases standing for 10^9 values ran for ever: both are refused before they are walked.
    func testYAMLTooDeepOrTooLargeOnceExpanded() {
        let deep = experiment() + "description: " + String(repeating: "[", count: 10_000) + "\n"
        assertFails(deep, at: "description:", mentions: ["nested more than 500 levels"])
        var laughs = "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        for i in 1...8 { laughs += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        assertFails(laughs + experiment(), at: "a0:", mentions: ["stands for more than 10000000 values"])
    }

    func testMalformedYAML() {
        let yaml = """
        duration: 10 ms
        populations:
          n:
            model: iaf_psc_alpha
           size: 2
        """
        assertFails(yaml, at: "   size: 2", mentions: ["not valid YAML: did not find expected key", "block mapping that starts at line 3"])
        // The same through the decoder alone (no file on disk).
        XCTAssertThrowsError(try ExperimentFile.decode(yaml, file: "inline.yaml")) { e in
            XCTAssertEqual((e as? PlexusError)?.line, 5)
            XCTAssertTrue("\(e)".hasPrefix("inline.yaml:5: not valid YAML: did not find expected key (column 4;"), "\(e)")
        }
    }

    func testUnclosedFlowMapping() {
        // libyaml notices the missing '}' on the next line; the message names where the mapping began.
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha, size: 2\n  m: {model: iaf_psc_alpha}")
        assertFails(yaml, at: "  m: {", mentions: ["did not find expected ',' or '}'", "flow mapping that starts at line 6"])
    }

    func testTabIndentation() {
        let yaml = "duration: 10 ms\npopulations:\n\tn: {model: iaf_psc_alpha}\n"
        assertFails(yaml, at: "\tn:", mentions: ["not valid YAML: found character that cannot start any token"])
    }

    func testControlCharacter() {
        let yaml = "duration: 10 ms\npopulations:\n  n: {model: iaf_psc_alpha\u{01}}\n"
        assertFails(yaml, at: "iaf_psc_alpha", mentions: ["not valid YAML", "control characters"])
    }

    func testEmptyFile() {
        let (e, path) = userError("")!
        XCTAssertEqual(e.description, "\(path): the experiment file is empty")
    }

    func testMissingFile() {
        let path = folder.appendingPathComponent("no-such-file.yaml").path
        let (e, _) = userError("", path: path)!
        XCTAssertEqual(e.description, "\(path): cannot read the experiment file")
    }

    func testTopLevelNotAMapping() {
        assertFails("- duration: 10 ms\n- populations: {}\n", at: "- duration", mentions: ["expected a mapping"])
    }

    func testUnknownTopLevelKey() {
        let yaml = experiment(head: "resolution: 0.1 ms\nduraton: 10 ms")
        assertFails(yaml, at: "duraton", mentions: ["unknown key 'duraton'", "duration"])
    }

    func testMissingDuration() {
        let yaml = experiment(head: "resolution: 0.1 ms")
        let (e, path) = userError(yaml)!
        XCTAssertEqual(e.description, "\(path) (duration): missing key 'duration'")
    }

    func testDuplicateKey() {
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  n: {model: iaf_psc_exp}")
        assertFails(yaml, at: "n: {model: iaf_psc_exp}", mentions: ["'n' appears twice"])
    }

    func testUnknownPopulationKey() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    sise: 2")
        assertFails(yaml, at: "sise", mentions: ["unknown key 'sise'", "size"])
    }

    func testUnknownEngine() {
        let yaml = experiment(head: "engine: compartment\nduration: 10 ms")
        assertFails(yaml, at: "engine", mentions: ["'compartment'"])
    }

    func testMissingModel() {
        let yaml = experiment(populations: "  n:\n    size: 2")
        assertFails(yaml, at: "size: 2", mentions: ["population 'n' needs a model"])
    }

    // MARK: populations and parameters

    func testUnknownModel() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_foo\n    size: 2")
        assertFails(yaml, at: "iaf_psc_foo", mentions: ["unknown model 'iaf_psc_foo'", "iaf_psc_alpha"])
    }

    func testUnknownParameter() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    params:\n      tau_m: 10 ms\n      tau_x: 3 ms")
        assertFails(yaml, at: "tau_x", mentions: ["unknown parameter 'tau_x'", "iaf_psc_alpha", "populations.n.params.tau_x"])
    }

    func testOutOfRangeParameter() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    params:\n      C_m: -250 pF")
        assertFails(yaml, at: "C_m", mentions: ["C_m = -250", "must be > 0"])
    }

    func testInconsistentParameters() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_delta\n    params:\n      V_th: -60 mV\n      V_reset: -50 mV")
        assertFails(yaml, at: "V_reset", mentions: ["V_reset = -50", "V_th = -60"])
    }

    func testBadUnit() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    params:\n      tau_m: 10 mV")
        assertFails(yaml, at: "tau_m", mentions: ["unit 'mV'", "tau_m", "ms"])
    }

    func testMissingValue() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    params:\n      tau_m:")
        assertFails(yaml, at: "tau_m", mentions: ["a value is missing"])
    }

    func testUnparsableNumber() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    params:\n      tau_m: ten ms")
        assertFails(yaml, at: "tau_m", mentions: ["'ten ms' is not a number"])
    }

    func testNaNParameter() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    params:\n      tau_m: .nan")
        assertFails(yaml, at: "tau_m", mentions: ["tau_m", "NaN"])
        let yaml2 = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    params:\n      V_th: nan mV")
        assertFails(yaml2, at: "V_th", mentions: ["V_th", "NaN"])
    }

    func testNaNInitialState() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    params:\n      V_m: nan")
        assertFails(yaml, at: "V_m", mentions: ["V_m", "NaN"])
        let yaml2 = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    params:\n      V_m: {distribution: normal, mean: nan, std: 1 mV}")
        assertFails(yaml2, at: "V_m", mentions: ["V_m", "NaN"])
        let yaml3 = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    params:\n      V_m: -inf mV")
        assertFails(yaml3, at: "V_m", mentions: ["initial value of V_m must be finite, got -inf"])
        let yaml4 = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    params:\n      V_m: {distribution: uniform, min: -inf, max: -60 mV}")
        assertFails(yaml4, at: "V_m", mentions: ["initial value of V_m", "infinite"])
        // One value per neuron: the right count, each finite.
        let yaml5 = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    size: 3\n    params:\n      V_m: [-70 mV, -60 mV]")
        assertFails(yaml5, at: "V_m", mentions: ["initial value of V_m: 2 values for 3 neurons"])
        let yaml6 = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    size: 2\n    params:\n      V_m: [-70 mV, .nan]")
        assertFails(yaml6, at: "V_m", mentions: ["initial value of V_m must be finite, got nan"])
    }

    func testInfiniteTimeParameter() {
        // t_ref becomes a whole number of steps; infinity used to trap in that conversion.
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_delta\n    params:\n      t_ref: inf")
        assertFails(yaml, at: "t_ref", mentions: ["t_ref", "inf"])
    }

    func testNegativeSize() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    size: -3")
        assertFails(yaml, at: "size", mentions: ["size must be >= 1, got -3"])
    }

    func testFractionalSize() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    size: 2.5")
        assertFails(yaml, at: "size", mentions: ["'2.5' is not a whole number"])
    }

    func testHugeSize() {
        // More nodes than gids can hold; used to overflow (trap) when the state was allocated.
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    size: 9223372036854775807")
        assertFails(yaml, at: "size", mentions: ["9223372036854775807"])
        let yaml2 = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    size: 99999999999999999999999")
        assertFails(yaml2, at: "size", mentions: ["99999999999999999999999"])
    }

    // MARK: time

    func testZeroResolution() {
        let yaml = experiment(head: "resolution: 0 ms\nduration: 10 ms")
        assertFails(yaml, at: "resolution", mentions: ["resolution = 0.0", "positive"])
    }

    func testHugeResolution() {
        // Every duration is "on the grid" of 1e300 ms; the models' refractory tics used to trap.
        let yaml = experiment(head: "resolution: 1e300 ms\nduration: 10 ms")
        assertFails(yaml, at: "resolution", mentions: ["resolution = 1e+300 ms is out of range"])
    }

    func testTinyResolution() {
        // 10 ms at 1e-300 ms is 1e301 steps.
        let yaml = experiment(head: "resolution: 1e-300 ms\nduration: 10 ms")
        assertFails(yaml, at: "duration", mentions: ["duration = 10.0 ms is out of range", "2^53 steps of 1e-300 ms"])
    }

    func testDurationOffGrid() {
        let yaml = experiment(head: "resolution: 0.1 ms\nduration: 10.05 ms")
        assertFails(yaml, at: "duration", mentions: ["duration 10.05 ms", "resolution 0.1 ms"])
    }

    func testDurationWithWrongUnit() {
        let yaml = experiment(head: "resolution: 0.1 ms\nduration: 10 mV")
        assertFails(yaml, at: "duration", mentions: ["unit 'mV'"])
    }

    func testHugeDuration() {
        // 1e300 ms is 1e301 steps: used to trap converting to Int64.
        let yaml = experiment(head: "resolution: 0.1 ms\nduration: 1e300 ms")
        assertFails(yaml, at: "duration", mentions: ["duration", "1e+300"])
    }

    func testNegativeSeed() {
        let yaml = experiment(head: "resolution: 0.1 ms\nduration: 10 ms\nseed: -4").replacingOccurrences(of: "seed: 3\n", with: "")
        assertFails(yaml, at: "seed", mentions: ["seed must be a whole number >= 0"])
    }

    // MARK: devices

    func testSpikeTimeOffGrid() {
        let yaml = experiment(populations: """
              n: {model: iaf_psc_alpha}
              sg:
                model: spike_generator
                params:
                  spike_times:
                    - 1.0 ms
                    - 2.05 ms
            """, connections: "  - {source: sg, target: n}")
        assertFails(yaml, at: "2.05 ms", mentions: ["spike time 2.05 ms", "0.1 ms grid"])
    }

    func testSpikeTimesUnsorted() {
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  sg: {model: spike_generator, params: {spike_times: [3 ms, 2 ms]}}")
        assertFails(yaml, at: "sg:", mentions: ["spike_times must be sorted", "2.0 ms follows 3.0 ms"])
    }

    func testHugeSpikeTime() {
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  sg:\n    model: spike_generator\n    params: {spike_times: [1e300 ms]}")
        assertFails(yaml, at: "spike_times", mentions: ["1e+300"])
    }

    func testSpikeWeightsMismatch() {
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  sg:\n    model: spike_generator\n    params:\n      spike_times: [1 ms, 2 ms]\n      spike_weights: [1]")
        assertFails(yaml, at: "spike_weights", mentions: ["spike_weights has 1 values but spike_times has 2"])
    }

    func testNegativeRate() {
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  pg:\n    model: poisson_generator\n    params: {rate: -5 Hz}")
        assertFails(yaml, at: "rate", mentions: ["rate = -5.0", ">= 0"])
    }

    func testHugeRate() {
        // A Poisson mean beyond Int's range used to trap in the sampler during the run.
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  pg:\n    model: poisson_generator\n    params: {rate: 1e300 Hz}",
                              connections: "  - {source: pg, target: n}")
        assertFails(yaml, at: "rate", mentions: ["rate", "1e+300"], run: true)
    }

    func testInfiniteStart() {
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  dc:\n    model: dc_generator\n    params: {amplitude: 10 pA, start: inf}",
                              connections: "  - {source: dc, target: n}")
        assertFails(yaml, at: "start", mentions: ["start", "inf"])
    }

    func testNoiseDtOffGrid() {
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  ng:\n    model: noise_generator\n    params: {std: 10 pA, dt: 0.25 ms}",
                              connections: "  - {source: ng, target: n}")
        assertFails(yaml, at: "dt:", mentions: ["dt 0.25 ms", "0.1 ms"])
    }

    func testUnknownDeviceParameter() {
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  pg:\n    model: poisson_generator\n    params: {rat: 5 Hz}")
        assertFails(yaml, at: "rat:", mentions: ["unknown parameter 'rat'", "poisson_generator"])
    }

    // MARK: connections

    private let twoPops = "  a: {model: iaf_psc_alpha, size: 3}\n  b: {model: iaf_psc_alpha, size: 2}"

    func testDelayBelowResolution() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse: {weight: 1 pA, delay: 0.05 ms}")
        assertFails(yaml, at: "delay", mentions: ["delay 0.05 ms is below the resolution 0.1 ms"])
    }

    func testDrawnDelayBelowResolution() {
        let yaml = experiment(populations: twoPops, connections: """
              - source: a
                target: b
                synapse:
                  weight: 1 pA
                  delay: {distribution: uniform, min: 0.01 ms, max: 0.04 ms}
            """)
        assertFails(yaml, at: "delay", mentions: ["delay drawn for target gid 4 rounds to 0 steps", "below the resolution 0.1 ms"])
    }

    func testDelayWithWrongUnit() {
        let yaml = experiment(populations: twoPops, connections: "  - {source: a, target: b, synapse: {delay: 2 pA}}")
        assertFails(yaml, at: "source: a", mentions: ["delay", "unit 'pA'"])
    }

    func testHugeDelay() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse: {weight: 1 pA, delay: 1e300 ms}")
        assertFails(yaml, at: "delay", mentions: ["delay", "1e+300"])
    }

    /// Delays the synapse tables (32-bit step counts) or the neurons' input rings cannot hold are
    /// refused before building: a plastic synapse's 1e12 ms trapped, a static one's allocated
    /// rings of 1e13 steps.
    func testDelayBeyondTheTablesOrTheMemory() {
        for model in ["static_synapse", "stdp_synapse"] {
            let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse: {model: \(model), weight: 1 pA, delay: 1e12 ms}")
            assertFails(yaml, at: "delay", mentions: ["synapse.delay", "at most 2147483647 steps"])
        }
        ResourceUsage.memoryCeilingBytes = 16 * 1_073_741_824
        defer { ResourceUsage.memoryCeilingBytes = nil }
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse: {weight: 1 pA, delay: {distribution: uniform, min: 1 ms, max: 1e8 ms}}")
        assertFails(yaml, at: "delay", mentions: ["synapse.delay", "input rings", "this machine has"])
    }

    func testInfiniteDelayDistribution() {
        // Used to trap converting the drawn infinity to a whole number of steps.
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse:\n      delay: {distribution: uniform, min: 1 ms, max: inf}")
        assertFails(yaml, at: "delay", mentions: ["delay", "inf"])
    }

    func testNaNWeightDistribution() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse:\n      weight: {distribution: normal, mean: nan, std: 1}")
        assertFails(yaml, at: "weight", mentions: ["weight", "NaN"])
    }

    func testInfiniteWeight() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse:\n      weight: inf pA")
        assertFails(yaml, at: "weight", mentions: ["weight inf is not finite"])
        let yaml2 = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse:\n      weight: {distribution: uniform, min: 0, max: 1e300}")
        assertFails(yaml2, at: "weight", mentions: ["weight", "drawn for target gid 4", "32-bit"])
    }

    func testNaNWeightFromPoissonGenerator() {
        // Device connections take their weights on another path than synapses; same checks.
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  pg: {model: poisson_generator, params: {rate: 10 Hz}}",
                              connections: "  - source: pg\n    target: n\n    synapse:\n      weight: {distribution: lognormal, mu: 1000, sigma: 1}")
        assertFails(yaml, at: "weight", mentions: ["weight", "inf"])
    }

    func testOneToOneSizeMismatch() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    rule: one_to_one")
        assertFails(yaml, at: "rule", mentions: ["one_to_one needs equal sizes; a has 3, b has 2"])
    }

    func testUnknownSource() {
        let yaml = experiment(populations: twoPops, connections: "  - source: c\n    target: b")
        assertFails(yaml, at: "source: c", mentions: ["no population named 'c'"])
    }

    func testUnknownRule() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    rule: all_to_some")
        assertFails(yaml, at: "rule", mentions: ["unknown rule 'all_to_some'"])
    }

    func testRuleArgumentInsideRuleMapping() {
        // `p` is decoded from inside `rule:`; the error must still find its line.
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    rule:\n      name: pairwise_bernoulli\n      p: -0.5")
        assertFails(yaml, at: "p: -0.5", mentions: ["p = -0.5", "[0, 1]"])
    }

    func testHugeIndegree() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    rule: fixed_indegree\n    indegree: 100000000000000000000")
        assertFails(yaml, at: "indegree:", mentions: ["'100000000000000000000' is too large"])
    }

    func testMissingRuleArgument() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    rule: fixed_indegree")
        assertFails(yaml, at: "rule", mentions: ["rule fixed_indegree needs 'indegree'"])
    }

    func testProbabilityOutOfRange() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    rule: pairwise_bernoulli\n    p: 1.5")
        assertFails(yaml, at: "p: 1.5", mentions: ["p = 1.5", "[0, 1]"])
    }

    func testIndegreeTooLargeWithoutMultapses() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    rule: {name: fixed_indegree, indegree: 5, allow_multapses: false}")
        assertFails(yaml, at: "rule", mentions: ["indegree 5 exceeds the 3 possible sources"])
    }

    func testDeviceAsTarget() {
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  pg: {model: poisson_generator, params: {rate: 10 Hz}}",
                              connections: "  - {source: n, target: pg}")
        assertFails(yaml, at: "target: pg", mentions: ["'pg' is a poisson_generator"])
    }

    func testUnknownSynapseModelByItsAlias() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse:\n      weight: 2 pA\n      synapse_model: stdp_facetshw_synapse_hom")
        assertFails(yaml, at: "stdp_facetshw_synapse_hom", mentions: ["unknown synapse model 'stdp_facetshw_synapse_hom'"])
    }

    func testUnknownSynapseModel() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse:\n      model: stdp_synaps")
        assertFails(yaml, at: "stdp_synaps", mentions: ["unknown synapse model 'stdp_synaps'", "stdp_synapse"])
    }

    /// A plastic synapse parameter that the model does not have, and one out of range.
    func testPlasticSynapseParameters() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse:\n      model: stdp_synapse\n      weight: 5\n      tau_plu: 20 ms")
        assertFails(yaml, at: "tau_plu", mentions: ["unknown parameter 'tau_plu' for stdp_synapse"])
        let yaml2 = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse:\n      model: stdp_synapse\n      weight: 5\n      tau_plus: -20 ms")
        assertFails(yaml2, at: "tau_plus", mentions: ["tau_plus = -20.0 breaks stdp_synapse's condition [[tau_plus > 0 ms]]", "stdp_synapse.nestml:"])
        let yaml3 = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse:\n      model: stdp_synapse\n      weight: 150\n      Wmax: 100")
        assertFails(yaml3, at: "weight: 150", mentions: ["weight 150.0 breaks stdp_synapse's condition", "abs(w) <= abs(Wmax)", "with Wmax = 100.0"])
    }

    func testUnknownDistribution() {
        let yaml = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse:\n      weight: {distribution: gamma, k: 2}")
        assertFails(yaml, at: "weight", mentions: ["unknown key 'k'"])
        let yaml2 = experiment(populations: twoPops, connections: "  - source: a\n    target: b\n    synapse:\n      weight: {distribution: gamma}")
        assertFails(yaml2, at: "weight", mentions: ["unknown distribution 'gamma'"])
    }

    // MARK: recording

    func testRecordUnknownPopulation() {
        let yaml = experiment(record: "  - {type: spike_recorder, population: m}")
        assertFails(yaml, at: "population: m", mentions: ["no population named 'm'"])
    }

    func testRecordUnknownVariable() {
        let yaml = experiment(record: "  - type: multimeter\n    population: n\n    variables: [V_m, g_ex]")
        assertFails(yaml, at: "variables", mentions: ["iaf_psc_alpha has no recordable 'g_ex'", "V_m"])
    }

    func testRecordUnknownVariableByItsAlias() {
        let yaml = experiment(record: "  - type: multimeter\n    population: n\n    interval: 1 ms\n    record_from: [V_x]")
        assertFails(yaml, at: "record_from", mentions: ["no recordable 'V_x'"])
    }

    func testMultimeterOnADevice() {
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  pg: {model: poisson_generator}",
                              record: "  - type: multimeter\n    population: pg\n    variables: [V_m]")
        assertFails(yaml, at: "population: pg", mentions: ["'pg' is a poisson_generator"])
    }

    func testRecordUnknownType() {
        let yaml = experiment(record: "  - type: voltmeter\n    population: n")
        assertFails(yaml, at: "voltmeter", mentions: ["unknown recording type 'voltmeter'"])
    }

    func testMultimeterIntervalOffGrid() {
        let yaml = experiment(record: "  - type: multimeter\n    population: n\n    variables: [V_m]\n    interval: 0.15 ms")
        assertFails(yaml, at: "interval", mentions: ["interval 0.15 ms", "resolution 0.1 ms"])
    }

    func testHugeMultimeterInterval() {
        let yaml = experiment(record: "  - type: multimeter\n    population: n\n    variables: [V_m]\n    interval: 1e300 ms")
        assertFails(yaml, at: "interval", mentions: ["interval", "1e+300"])
    }

    // MARK: the simulation

    /// Hodgkin-Huxley under a 1 mA current: the gating dynamics diverge and V_m goes non-finite.
    /// The run stops with the variable, the neuron's gid and the time, placed at the population's
    /// line; the neurons before it (gids 1-3) stay fine.
    func testNaNBlowUpDuringTheRun() {
        let yaml = experiment(populations: """
              quiet: {model: iaf_psc_alpha, size: 3}
              blowup:
                model: hh_psc_alpha
                size: 2
                params: {I_e: 1e9 pA}
            """)
        let text = assertFails(yaml, at: "blowup:", mentions: ["V_m of neuron gid 4", "hh_psc_alpha", "non-finite", "in the step ending at t = 0.1 ms"], run: true)
        XCTAssertFalse(text.contains("gid 1 "), text)
    }

    /// The recipe of a huge current into a tiny capacitance: the propagator times I_e overflows
    /// (valid parameters each, a non-finite product).
    func testOverflowDuringTheRun() {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_delta\n    params: {C_m: 1e-10 pF, I_e: -1e300 pA}")
        assertFails(yaml, at: "  n:", mentions: ["V_m of neuron gid 1", "iaf_psc_delta", "non-finite", "in the step ending at t = 0.1 ms"], run: true)
    }

    /// Izhikevich's published two-half-step scheme under a strong current with an unreachable
    /// threshold: V_m overflows within the step.
    func testIzhikevichBlowUp() {
        let yaml = experiment(populations: "  n:\n    model: izhikevich\n    params: {V_th: 1e300 mV, I_e: 1000 pA, consistent_integration: 0}")
        assertFails(yaml, at: "  n:", mentions: ["V_m of neuron gid 1", "izhikevich", "non-finite"], run: true)
    }

    /// A runaway state shrinks the adaptive solver's step towards zero: one 0.1 ms step used to
    /// run for minutes (I_e of 1e40 pA, a weight of 3e38 nS). After RKF45.maxSubsteps internal
    /// steps the solver gives up and the run stops with the neuron, the step and why.
    func testAdaptiveSolverGivesUpOnARunawayState() {
        for model in ["iaf_cond_exp", "iaf_cond_alpha", "hh_psc_alpha"] {
            let yaml = experiment(populations: "  n:\n    model: \(model)\n    params: {I_e: 1e40 pA}")
            assertFails(yaml, at: "  n:", mentions: ["V_m of neuron gid 1", model, "non-finite", "internal steps"], run: true)
        }
        let yaml = experiment(populations: """
              n: {model: iaf_cond_alpha}
              sg: {model: spike_generator, params: {spike_times: [1 ms]}}
            """, connections: "  - {source: sg, target: n, synapse: {weight: 3e38 nS, delay: 1 ms}}")
        assertFails(yaml, at: "  n:", mentions: ["V_m of neuron gid 1", "iaf_cond_alpha", "non-finite"], run: true)
    }

    /// Every parameter of every neuron model and device must be finite unless its declared
    /// default is that infinity (ParameterSpec.check): `C_m: .inf` ran silently with no spikes.
    func testInfiniteParametersAreRefusedUnlessTheDefaultIsInfinite() throws {
        for model in ["iaf_psc_alpha", "iaf_cond_exp", "aeif_cond_exp", "hh_psc_alpha", "izhikevich"] {
            let yaml = experiment(populations: "  n:\n    model: \(model)\n    params: {C_m: .inf}")
            if model == "izhikevich" {
                assertFails(yaml, at: "    params:", mentions: ["unknown parameter 'C_m'"])
            } else {
                assertFails(yaml, at: "    params:", mentions: ["populations.n.params.C_m", "C_m = inf pF must be finite"])
            }
        }
        assertFails(experiment(populations: "  dc: {model: dc_generator, params: {amplitude: -.inf}}"),
                    at: "  dc:", mentions: ["populations.dc.params.amplitude", "must be finite"])
        // NEST's own infinite defaults may be written out.
        XCTAssertNil(userError(experiment(populations: "  n: {model: iaf_psc_alpha, params: {V_min: -.inf}}\n  dc: {model: dc_generator, params: {stop: .inf}}"), run: true))
    }

    /// A network too big for the machine is refused before its state or synapses are
    /// allocated, saying how much it needs (it aborted with "failed to allocate").
    func testNetworkTooBigForTheMachineIsRefusedBeforeBuilding() throws {
        // The same cases on any machine: at most 16 GiB as a container or batch job would allow.
        ResourceUsage.memoryCeilingBytes = 16 * 1_073_741_824
        defer { ResourceUsage.memoryCeilingBytes = nil }
        XCTAssertLessThanOrEqual(try XCTUnwrap(ResourceUsage.memoryAvailableBytes()), 16 * 1_073_741_824)
        assertFails(experiment(populations: "  n: {model: iaf_psc_alpha, size: 2000000000}"),
                    at: "  n:", mentions: ["populations.n.size", "needs at least", "2000000000 neurons", "this machine has"])
        let yaml = experiment(populations: "  a: {model: iaf_psc_alpha, size: 100000}\n  b: {model: iaf_psc_alpha, size: 100000}",
                              connections: "  - {source: a, target: b, rule: all_to_all}")
        assertFails(yaml, at: "  - {source: a", mentions: ["connections[0]", "needs at least", "10000000000 synapses", "this machine has"])
        // fixed_total_number is refused before it draws its per-target counts (1e12 draws hung).
        let total = experiment(populations: "  a: {model: iaf_psc_alpha, size: 10}\n  b: {model: iaf_psc_alpha, size: 10}",
                               connections: "  - {source: a, target: b, rule: {rule: fixed_total_number, N: 1000000000000}}")
        assertFails(total, at: "  - {source: a", mentions: ["connections[0]", "1000000000000 synapses", "this machine has"])
    }

    /// aeif_cond_exp stops where NEST throws NumericalInstability (V_m below -1000 mV).
    func testAdExNumericalInstability() {
        let yaml = experiment(populations: "  n:\n    model: aeif_cond_exp\n    params: {I_e: -1e7 pA}")
        assertFails(yaml, at: "  n:", mentions: ["V_m of neuron gid 1", "aeif_cond_exp", "non-finite", "in the step ending at t = 0.1 ms"], run: true)
    }

    // MARK: the command line

    private func runPlexus(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try CLI.plexus(arguments)
    }

    func testCommandLineRejectsABadFile() throws {
        let yaml = experiment(populations: "  n:\n    model: iaf_psc_alpha\n    params:\n      tau_x: 3 ms",
                              record: "  - {type: spike_recorder, population: n}")
        let path = write(yaml)
        let out = folder.appendingPathComponent("out-bad").path
        let r = try runPlexus(["run", path, "--out", out, "--quiet"])
        print("CLI: status \(r.status), stderr: \(r.stderr)")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(path):\(line(of: "tau_x", in: yaml)!)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("tau_x"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/spikes.csv"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/provenance.json"))
    }

    /// A run whose recordings grow past the memory it may use stops with an error that says
    /// when and how much it holds (a Poisson rate of 2^31 Hz into recorded parrots grew to 7 GiB
    /// in 20 s and would have taken the machine), here under a ceiling of 300 MiB.
    func testARunThatOutgrowsTheMemoryStops() throws {
        let yaml = experiment(populations: "  pg: {model: poisson_generator, params: {rate: 1e9 Hz}}\n  p: {model: parrot_neuron, size: 10}",
                              connections: "  - {source: pg, target: p, rule: all_to_all, synapse: {weight: 1, delay: 1 ms}}",
                              record: "  - {type: spike_recorder, population: p}", head: "resolution: 0.1 ms\nduration: 1000 ms")
        ResourceUsage.memoryCeilingBytes = 300 * 1_048_576
        defer { ResourceUsage.memoryCeilingBytes = nil }
        assertFails(yaml, at: "record:", mentions: ["the run stopped at t = ", "recorded spikes", "this machine has for it"], run: true)
    }

    /// A run of duration 0 (valid, as NEST's Simulate(0)) writes its report: the Fano factors and
    /// the figures' axes over a zero-length run trapped converting NaN to a whole number.
    func testZeroDurationRunWritesItsReport() throws {
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha, size: 3, params: {I_e: 400 pA}}",
                              record: "  - {type: spike_recorder, population: n}\n  - {type: multimeter, population: n, variables: [V_m]}",
                              head: "resolution: 0.1 ms\nduration: 0 ms")
        let path = write(yaml)
        let out = folder.appendingPathComponent("out-zero").path
        let r = try runPlexus(["run", path, "--out", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/report.html"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/provenance.json"))
    }

    func testCommandLineStopsOnNaNWithoutOutputs() throws {
        let yaml = experiment(populations: "  n: {model: iaf_psc_alpha}\n  blowup:\n    model: hh_psc_alpha\n    params: {I_e: 1e9 pA}",
                              record: "  - {type: spike_recorder, population: n}\n  - {type: multimeter, population: blowup, variables: [V_m]}")
        let path = write(yaml)
        let out = folder.appendingPathComponent("out-nan").path
        let r = try runPlexus(["run", path, "--out", out, "--quiet"])
        print("CLI: status \(r.status), stderr: \(r.stderr)")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(path):\(line(of: "blowup:", in: yaml)!)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("V_m of neuron gid 2"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/spikes.csv"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/multimeter_blowup.csv"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/provenance.json"))
    }
}
