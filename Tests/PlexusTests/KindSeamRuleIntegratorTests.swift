import Foundation
import XCTest
@testable import Plexus
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusMass
@testable import PlexusIO

/// A rule written outside the engine (here, in the tests): every source i onto target (i + 1) mod n.
/// The engine builds it through the seam alone, as it would a new file in ConnectionRules/.
struct RingRule: ConnectionRuleKind {
    static let name = "ring"
    static let doc = "source i connects to target i + 1 (mod n)"
    static let parameters: [ParameterSpec] = []
    init() {}
    init(_ arguments: ConnectionRuleArguments) throws {}
    var arguments: ConnectionRuleArguments { ConnectionRuleArguments(Self.name) }
    func validate(_ shape: ConnectionShape) throws {
        guard shape.sources == shape.targets else { throw PlexusError("ring needs equal sizes", keyPath: shape.path + ".rule") }
    }
    func connect<Sink: ConnectionSink>(_ shape: ConnectionShape, keys: Range<Int>, targets: Range<Int>, into sink: inout Sink) {
        for j in keys {
            sink.key(shape.targetFirstNode + j)
            sink.connect((j + shape.sources - 1) % shape.sources, j)
        }
    }
}

/// Counts what a rule draws, without the engine.
struct CountingSink: ConnectionSink {
    var keys: [Int] = []
    var pairs: [(Int, Int)] = []
    var skipped = 0
    mutating func key(_ node: Int) { keys.append(node) }
    mutating func connect(_ source: Int, _ target: Int) { pairs.append((source, target)) }
    mutating func skip() { skipped += 1 }
}

/// Connection rules and neural-mass integrators are kinds with registries: the file reader,
/// `plexus models` and the engines read them from `ConnectionRules.all` and `MassIntegrators.all`.
final class KindSeamRuleIntegratorTests: XCTestCase {
    private lazy var tmp = temporaryFolder("plexus-rule-seam")

    func testRegistriesListNESTsRulesAndTVBsIntegrators() {
        XCTAssertEqual(Set(ConnectionRules.names), ["all_to_all", "one_to_one", "fixed_indegree", "fixed_outdegree",
                                                    "fixed_total_number", "pairwise_bernoulli", "pairs"])
        XCTAssertEqual(ConnectionRules.named("fixed_indegree")?.parameters.map(\.name), ["indegree"])
        XCTAssertEqual(ConnectionRules.named("pairwise_bernoulli")?.parameters.map(\.name), ["p"])
        XCTAssertEqual(Set(MassIntegrators.names), ["EulerDeterministic", "EulerStochastic", "HeunDeterministic", "HeunStochastic",
                                                    "RungeKutta4thOrderDeterministic", "RungeKutta4thOrderStochastic"])
        XCTAssertEqual(IntegrationScheme.allCases, [.euler, .heun, .rk4])
        XCTAssertEqual(MassIntegrators.named("HeunStochastic").map { IntegrationScheme($0.kind) }, .heun)
        XCTAssertEqual(MassIntegrators.named("HeunStochastic")?.stochastic, true)
        XCTAssertEqual(RK4Integrator.stages, 4)
        XCTAssertEqual(IntegratorDescription(scheme: .rk4, stochastic: true, dt: 0.1).name, "RungeKutta4thOrderStochastic")
        // Rules compare by name and arguments.
        XCTAssertEqual(ConnectionRule.fixedIndegree(5), try ConnectionRule(name: "fixed_indegree", arguments: ["indegree": .whole(5)]))
        XCTAssertNotEqual(ConnectionRule.fixedIndegree(5), .fixedOutdegree(5))
    }

    func testUnknownRuleNameGivesDidYouMeanWithKeyPath() throws {
        let yaml = """
            resolution: 0.1 ms
            duration: 10 ms
            populations:
              a: {model: iaf_psc_alpha, size: 3}
            connections:
              - source: a
                target: a
                rule: fixed_indegre
                indegree: 2
            """
        let path = tmp.write("experiment.yaml", yaml)
        XCTAssertThrowsError(try ExperimentFile.load(path)) { error in
            guard let e = error as? PlexusError else { return XCTFail("not a PlexusError: \(error)") }
            XCTAssertEqual(e.keyPath, "connections[0].rule", e.description)
            XCTAssertEqual(e.line, 8, e.description)
            XCTAssertTrue(e.message.contains("unknown rule 'fixed_indegre' (did you mean 'fixed_indegree'?)"), e.message)
            XCTAssertTrue(e.message.contains("pairwise_bernoulli"), "lists the known rules: \(e.message)")
        }
        XCTAssertThrowsError(try ConnectionRule(name: "pairwise_bernouli")) { error in
            XCTAssertTrue("\(error)".contains("did you mean 'pairwise_bernoulli'?"), "\(error)")
        }
    }

    func testARuleOutsideTheEngineBuildsThroughTheSeam() throws {
        let pops = [PopulationDescription(name: "A", model: "iaf_psc_delta", size: 7),
                    PopulationDescription(name: "B", model: "iaf_psc_delta", size: 7)]
        for threads in [1, 3] {
            let exp = PointExperiment(duration: Quantity(1, "ms"), populations: pops, connections: [
                ConnectionDescription(source: "A", target: "B", rule: ConnectionRule(RingRule()))])
            let s = try PointNetwork(exp, threads: threads).synapses()
            XCTAssertEqual(s.count, 7)
            // Node ids are NEST's 1-based gids: A is 1...7, B is 8...14.
            for syn in s { XCTAssertEqual(syn.target - 8, syn.source % 7, "threads \(threads)") }
        }
        let bad = PointExperiment(duration: Quantity(1, "ms"), populations: [pops[0], PopulationDescription(name: "C", model: "iaf_psc_delta", size: 2)],
                                  connections: [ConnectionDescription(source: "A", target: "C", rule: ConnectionRule(RingRule()))])
        XCTAssertThrowsError(try PointNetwork(bad)) { XCTAssertEqual(($0 as? PlexusError)?.keyPath, "connections[0].rule") }
    }

    func testRulesDrawIntoAnySink() {
        let shape = ConnectionShape(path: "connections[0]", sourceName: "A", targetName: "B", sources: 20, targets: 10,
                                    sourceFirstNode: 0, targetFirstNode: 20, samePopulation: false, autapses: true,
                                    multapses: false, statement: 0, seed: 1)
        var sink = CountingSink()
        FixedIndegree(indegree: 4).connect(shape, keys: 2..<6, targets: 2..<6, into: &sink)
        XCTAssertEqual(sink.keys, [22, 23, 24, 25])
        XCTAssertEqual(sink.pairs.count, 16)
        for j in 2..<6 { XCTAssertEqual(Set(sink.pairs.filter { $0.1 == j }.map(\.0)).count, 4, "distinct sources without multapses") }
        // fixed_outdegree draws every source's targets (keyed by the source) and skips the others.
        var out = CountingSink()
        XCTAssertTrue(FixedOutdegree.keyedBySource)
        FixedOutdegree(outdegree: 3).connect(shape, keys: 0..<20, targets: 0..<5, into: &out)
        XCTAssertEqual(out.keys, Array(0..<20))
        XCTAssertEqual(out.pairs.count + out.skipped, 60)
        // fixed_total_number splits N over the targets once, the same for any part drawn.
        let total = FixedTotalNumber(n: 37).prepared(shape)
        var all = CountingSink(), part = CountingSink()
        total.connect(shape, keys: 0..<10, targets: 0..<10, into: &all)
        total.connect(shape, keys: 3..<5, targets: 3..<7, into: &part)
        total.connect(shape, keys: 5..<7, targets: 3..<7, into: &part)
        XCTAssertEqual(all.pairs.count, 37)
        XCTAssertEqual(all.pairs.filter { (3..<7).contains($0.1) }.map { [$0.0, $0.1] }, part.pairs.map { [$0.0, $0.1] })
    }

    func testModelsCommandListsRulesAndIntegrators() throws {
        let one = try Catalogue.listing(name: "fixed_indegree")
        XCTAssertTrue(one.hasPrefix("fixed_indegree  (connection rule)"), one)
        XCTAssertTrue(one.contains("indegree") && one.contains("required") && one.contains("whole number"), one)
        let all = try Catalogue.listing()
        for name in ConnectionRules.names { XCTAssertTrue(all.contains("\n\(name)  (connection rule)"), name) }
        let heun = try Catalogue.listing(name: "HeunStochastic")
        XCTAssertTrue(heun.contains("HeunDeterministic, HeunStochastic  (neural-mass integrator)"), heun)
        XCTAssertThrowsError(try Catalogue.listing(name: "fixed_indegre")) { XCTAssertTrue("\($0)".contains("did you mean 'fixed_indegree'?"), "\($0)") }
    }
}
