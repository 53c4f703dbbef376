import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusCable

/// CableMorphology, regions, locsets and discretisation policies.
final class CableMorphologyTests: XCTestCase {
    /// A soma with two dendrites: Y-shaped, three branches.
    func yCell() throws -> CableMorphology {
        var t = SegmentTree()
        let s = try t.append(parent: -1, prox: MPoint(0, 0, 0, 5), dist: MPoint(10, 0, 0, 5), tag: 1)
        let a = try t.append(parent: s, prox: MPoint(10, 0, 0, 1), dist: MPoint(60, 0, 0, 1), tag: 3)
        try t.append(parent: a, dist: MPoint(110, 0, 0, 0.5), tag: 3)
        try t.append(parent: s, prox: MPoint(10, 0, 0, 1), dist: MPoint(10, 100, 0, 1), tag: 2)
        return CableMorphology(t)
    }

    func testBranchesRegionsAndLocsets() throws {
        let m = try yCell()
        XCTAssertEqual(m.branchCount, 3)
        XCTAssertEqual(m.branchParent, [-1, 0, 0])
        XCTAssertEqual(m.branchLength[1], 100, accuracy: 1e-12)
        XCTAssertEqual(try Region(parsing: "dend").cables(on: m), [MCable(branch: 1, prox: 0, dist: 1)])
        XCTAssertEqual(try Region(parsing: "(join axon soma)").cables(on: m).count, 2)
        XCTAssertEqual(try Locset(parsing: "terminals").locations(on: m), [MLocation(branch: 1, pos: 1), MLocation(branch: 2, pos: 1)])
        XCTAssertEqual(try Locset.somaCenter.locations(on: m), [MLocation(branch: 0, pos: 0.5)])
        let u = try Locset(parsing: "(uniform (all) 0 99 7)").locations(on: m)
        XCTAssertEqual(u.count, 100)
        XCTAssertEqual(u, try Locset(parsing: "(uniform (all) 0 99 7)").locations(on: m), "same seed, same points")
        XCTAssertThrowsError(try Locset(parsing: "(location 5 0.5)").locations(on: m))
        XCTAssertThrowsError(try Locset(parsing: "(bogus 1)"))
        // Frustum area and axial integral.
        XCTAssertEqual(m.area(MCable(branch: 1, prox: 0.5, dist: 1)), Double.pi * 1.5 * (50 * 50 + 0.25).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(m.ixa(MCable(branch: 1, prox: 0.5, dist: 1)), 50 / (Double.pi * 1 * 0.5), accuracy: 1e-9)
    }

    func testDiscretisationPolicies() throws {
        let m = try yCell()
        func cvs(_ p: CVPolicy) throws -> CVGeometry { CVGeometry(m, points: try p.boundaryPoints(m), ra: 100) }
        // One CV per branch plus Arbor's zero-size CV at the fork.
        let one = try cvs(.default)
        XCTAssertEqual(one.count, 4)
        XCTAssertEqual(one.area.filter { $0 == 0 }.count, 1)
        XCTAssertEqual(try cvs(.perBranch(3)).count, 10)
        XCTAssertEqual(try cvs(.everySegment).count, 5, "four segments and the fork")
        // max extent 30 µm: soma 1, dendrite ceil(100/30) = 4, axon 4, fork 1.
        XCTAssertEqual(try cvs(.maxExtent(30)).count, 10)
        // Total membrane area does not depend on the discretisation.
        let total = try cvs(.perBranch(7)).area.reduce(0, +)
        XCTAssertEqual(total, one.area.reduce(0, +), accuracy: 1e-9)
        // Parents precede children (Hines order).
        for (i, p) in try cvs(.perBranch(5)).parent.enumerated() { XCTAssertLessThan(p, i) }
    }

    func testHHTemperatureScaling() throws {
        var t = SegmentTree()
        try t.append(parent: -1, prox: MPoint(0, 0, 0, 5), dist: MPoint(10, 0, 0, 5), tag: 1)
        var cell = CableCellDescription(tree: t)
        cell.paints = [Paint(.soma, MechanismDescription("hh"))]
        cell.temperature = 16.3
        let net = try CableNetwork(CableExperiment(duration: 1, cells: [("c", cell)], populations: [CablePopulation(name: "p", cell: "c", size: 1)]))
        let g = net.groups[0]
        XCTAssertEqual(g.field("hh", "q10")![0], 3, accuracy: 1e-12, "q10 = 3^((T - 6.3)/10)")
    }
}
