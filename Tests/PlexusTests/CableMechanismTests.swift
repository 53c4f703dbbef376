import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusCable

/// The cable mechanism interface (Mechanism.swift): every mechanism is a declared conformance,
/// its fields are consistent, probes read declared states, and the per-CV folding of expsyn and
/// the ordinary instance path give the same cell.
final class CableMechanismTests: XCTestCase {
    func testRegistryDeclaresEveryMechanismConsistently() throws {
        let names = MechanismCatalog.ordered.map { $0.name }
        XCTAssertEqual(Set(names).count, names.count, "names are unique")
        XCTAssertTrue(Set(["hh", "pas", "expsyn", "exp2syn", "iclamp"]).isSubset(of: names), "\(names)")
        for kind in MechanismCatalog.ordered {
            let m = kind.info
            XCTAssertEqual(Set(m.parameters.map(\.name)).count, m.parameters.count, m.name)
            let fields = m.fields.map(\.name)
            XCTAssertEqual(Set(fields).count, fields.count, "\(m.name): field names are unique")
            switch m.folding {
            case .none: break
            case .constant(let g, let e):
                XCTAssertTrue(m.state.isEmpty, "\(m.name): a constant-folded mechanism runs no kernel, so it has no state")
                XCTAssertLessThan(try XCTUnwrap(m.fieldIndex(g)), m.constants.count)
                XCTAssertLessThan(try XCTUnwrap(m.fieldIndex(e)), m.constants.count)
            case .perCV(let g, let e):
                XCTAssertGreaterThanOrEqual(try XCTUnwrap(m.fieldIndex(g)), m.constants.count + m.assigned.count, "\(m.name): g is a state")
                XCTAssertLessThan(try XCTUnwrap(m.fieldIndex(e)), m.constants.count, "\(m.name): e is a constant")
            }
            if m.receivesEvents { XCTAssertEqual(m.kind, .point, "\(m.name): only point mechanisms receive events") }
            // prepare writes its constants and nothing past them.
            let n = m.constants.count
            var row = [Double](repeating: .nan, count: n + 1)
            row.withUnsafeMutableBufferPointer {
                kind.prepare(m.parameters.map(\.defaultValue), InstanceContext(area: 100, temperature: 6.3, dt: 0.025), into: $0.baseAddress!)
            }
            XCTAssertTrue(row[n].isNaN, "\(m.name) writes past its constants")
            XCTAssertFalse(row[..<n].contains { $0.isNaN }, "\(m.name) leaves a constant unset")
        }
        // Per-CV sums add currents in a fixed order: density mechanisms, synapses, stimuli.
        let order = MechanismCatalog.ordered.map { $0.name }
        XCTAssertLessThan(order.firstIndex(of: "hh")!, order.firstIndex(of: "expsyn")!)
        XCTAssertLessThan(order.firstIndex(of: "expsyn")!, order.firstIndex(of: "exp2syn")!)
        XCTAssertLessThan(order.firstIndex(of: "exp2syn")!, order.firstIndex(of: "iclamp")!)
        XCTAssertEqual(MechanismCatalog.stateVariables.filter { $0.hasPrefix("hh.") }, ["hh.m", "hh.h", "hh.n"])
    }

    static func soma() throws -> SegmentTree {
        var t = SegmentTree()
        try t.append(parent: -1, prox: MPoint(0, 0, 0, 10), dist: MPoint(20, 0, 0, 10), tag: 1)
        return t
    }

    func testProbesReadTheDeclaredStates() throws {
        var cell = CableCellDescription(tree: try Self.soma())
        cell.paints = [Paint(.all, MechanismDescription("hh"))]
        cell.places = [.synapse(.somaCenter, MechanismDescription("expsyn", ["tau": 3]), label: "a"),
                       .synapse(.somaCenter, MechanismDescription("exp2syn", ["tau1": 1, "tau2": 4]), label: "b")]
        let present: Set = ["hh", "expsyn", "exp2syn"]
        let variables = MechanismCatalog.stateVariables.filter { present.contains(String($0.split(separator: ".")[0])) }
        XCTAssertEqual(variables.count, 6)
        cell.probes = variables.map { Probe(.somaCenter, variable: $0, label: $0) }
        var net = CableExperiment(duration: 1, cells: [("c", cell)], populations: [CablePopulation(name: "p", cell: "c", size: 1)])
        let w = 0.0625, dt = 0.025
        net.generators = [EventGenerator(population: "p", synapse: TargetRef("a"), weight: w, schedule: .explicit([0.5])),
                          EventGenerator(population: "p", synapse: TargetRef("b"), weight: w, schedule: .explicit([0.5]))]
        let r = try CableNetwork(net).run()
        func trace(_ name: String) -> [Double] { r.probes.first { $0.name == name }!.values }
        // hh starts at its steady state at V_init.
        // Rates of hh.mod at -65 mV (Arbor's forms).
        func exprelr(_ x: Double) -> Double { 1.0 + x == 1.0 ? 1.0 : x / _expm1(x) }
        let v = -65.0
        let (ma, mb) = (exprelr(-0.1 * v - 4.0), 4.0 * _exp(-(v + 65.0) / 18.0))
        let (na, nb) = (0.1 * exprelr(-0.1 * v - 5.5), 0.125 * _exp(-0.0125 * v - 0.8125))
        XCTAssertEqual(trace("hh.m")[0], ma / (ma + mb))
        XCTAssertEqual(trace("hh.n")[0], na / (na + nb))
        // The event of step 20 is added at the step's start; the sample after it has decayed once.
        let s = 20
        XCTAssertEqual(trace("expsyn.g")[s], 0)
        XCTAssertEqual(trace("expsyn.g")[s + 1], w * padeExp(-1 / 3.0 * dt))
        let tp = (1.0 * 4) / (4 - 1) * _log(4.0 / 1)
        let factor = 1 / (-_exp(-tp / 1) + _exp(-tp / 4))
        XCTAssertEqual(trace("exp2syn.A")[s + 1], w * factor * padeExp(-1 / 1.0 * dt))
        XCTAssertEqual(trace("exp2syn.B")[s + 1], w * factor * padeExp(-1 / 4.0 * dt))
        XCTAssertThrowsError(try CableNetwork(CableExperiment(duration: 1, cells: [("c", { var c = cell; c.probes = [Probe(.somaCenter, variable: "pas.g")]; return c }())],
                                                              populations: [CablePopulation(name: "p", cell: "c", size: 1)]))) { e in
            XCTAssertTrue("\(e)".contains("unknown probe variable 'pas.g'; use v or mechanism.state: "), "\(e)")
            XCTAssertTrue("\(e)".contains("hh.m, hh.h, hh.n"), "\(e)")
        }
    }

    /// The first expsyn of a CV is folded into the matrix assembly; another one with other
    /// parameters is an ordinary instance. Both paths give the same cell (up to rounding), and
    /// the probe reads the CV's first instance.
    func testSecondExpSynOfACVBehavesAsTheFirst() throws {
        var one = CableCellDescription(tree: try Self.soma())
        one.paints = [Paint(.all, MechanismDescription("hh"))]
        one.places = [.synapse(.somaCenter, MechanismDescription("expsyn", ["tau": 5, "e": -10]), label: "s")]
        one.probes = [Probe(.somaCenter, label: "v"), Probe(.somaCenter, variable: "expsyn.g", label: "g")]
        var two = one
        two.places.insert(.synapse(.somaCenter, MechanismDescription("expsyn", ["tau": 2]), label: "idle"), at: 0)
        var net = CableExperiment(duration: 30, cells: [("one", one), ("two", two)],
                                  populations: [CablePopulation(name: "a", cell: "one", size: 1), CablePopulation(name: "b", cell: "two", size: 1)])
        net.generators = ["a", "b"].map {
            EventGenerator(population: $0, synapse: TargetRef("s"), weight: 0.02, schedule: .regular(start: 2, interval: 6, stop: 30))
        }
        let network = try CableNetwork(net)
        XCTAssertEqual(network.synapseInstanceCount, 3)
        let r = try network.run()
        let v1 = r.probes.first { $0.gid == 0 && $0.name == "v" }!.values, v2 = r.probes.first { $0.gid == 1 && $0.name == "v" }!.values
        XCTAssertGreaterThan(v1.max()!, 0, "the synapse makes the cell fire")
        XCTAssertEqual(r.spikes.filter { $0.gid == 0 }.count, r.spikes.filter { $0.gid == 1 }.count)
        XCTAssertEqual(v1.count, v2.count)
        XCTAssertLessThan(zip(v1, v2).map { abs($0 - $1) }.max()!, 1e-9, "folded and ordinary instances agree to rounding")
        XCTAssertGreaterThan(r.probes.first { $0.gid == 0 && $0.name == "g" }!.values.max()!, 0.019)
        XCTAssertEqual(r.probes.first { $0.gid == 1 && $0.name == "g" }!.values.max()!, 0, "cell two's first expsyn gets no events")
    }

    func testIClampIsAnOrdinaryPointMechanism() throws {
        var a = CableCellDescription(tree: try Self.soma())
        a.paints = [Paint(.all, MechanismDescription("hh"))]
        a.probes = [Probe(.somaCenter)]
        var b = a
        a.places = [.iclamp(.somaCenter, delay: 1, duration: 5, amplitude: 0.2)]
        b.places = [.synapse(.somaCenter, MechanismDescription("iclamp", ["delay": 1, "duration": 5, "amplitude": 0.2]), label: "stim")]
        var net = CableExperiment(duration: 10, cells: [("a", a), ("b", b)],
                                  populations: [CablePopulation(name: "a", cell: "a", size: 1), CablePopulation(name: "b", cell: "b", size: 1)])
        let r = try CableNetwork(net).run()
        XCTAssertGreaterThan(r.probes[0].values.max()!, 0)
        XCTAssertEqual(r.probes[0].values, r.probes[1].values, "the same mechanism either way")
        net.generators = [EventGenerator(population: "b", synapse: TargetRef("stim"), weight: 1, schedule: .explicit([1]))]
        XCTAssertThrowsError(try CableNetwork(net)) { e in
            XCTAssertTrue("\(e)".contains("receives no events"), "\(e)")
        }
    }
}
