import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusCable

/// The cable engine against analytic solutions and Arbor's reference runs.
final class CableNumericsTests: XCTestCase {
    // MARK: passive sealed-end cable

    /// Cylinder 1000 x 1 µm, Ra 100, cm 1, pas g 1e-4 e -65, 0.01 nA into x = 0 (validate_passive.py).
    static func passiveCable(cvs: Int, dt: Double = 0.025, duration: Double = 500) throws -> (x: [Double], v: [Double]) {
        var tree = SegmentTree()
        try tree.append(parent: -1, prox: MPoint(0, 0, 0, 0.5), dist: MPoint(1000, 0, 0, 0.5), tag: 3)
        var cell = CableCellDescription(tree: tree)
        cell.discretization = .perBranch(cvs)
        cell.axialResistivity = 100
        cell.membraneCapacitance = 1
        cell.initialVoltage = -65
        cell.paints = [Paint(.all, MechanismDescription("pas", ["g": 1e-4, "e": -65]))]
        cell.places = [.iclamp(.location(MLocation(branch: 0, pos: 0)), delay: 0, duration: .infinity, amplitude: 0.01)]
        let xs = (0..<cvs).map { (Double($0) + 0.5) / Double(cvs) }
        cell.probes = [Probe(.sum(xs.map { .location(MLocation(branch: 0, pos: $0)) }), variable: "v", interval: duration)]
        let net = CableExperiment(resolution: dt, duration: duration, cells: [("cable", cell)],
                                          populations: [CablePopulation(name: "c", cell: "cable", size: 1)])
        let results = try CableNetwork(net).run()
        return (xs.map { $0 * 1000 }, results.probes.map { $0.values.last! })
    }

    static func analytic(_ x: Double) -> Double {
        let d = 1e-4, L = 1000e-4, rm = 1 / 1e-4, ra = 100.0
        let lambda = (d * rm / (4 * ra)).squareRoot()
        let raLen = 4 * ra / (Double.pi * d * d)
        return -65 + 1e3 * 0.01e-9 * raLen * lambda * cosh((L - x * 1e-4) / lambda) / sinh(L / lambda)
    }

    func testPassiveCableMatchesAnalyticSteadyStateAt100CVs() throws {
        let ref = try Reference.json("arbor/passive_cable.json")
        // Implicit Euler's steady state does not depend on dt: a coarse step reaches it quickly.
        let (x, v) = try Self.passiveCable(cvs: 100, dt: 0.5)
        var worst = 0.0
        for (xi, vi) in zip(x, v) { worst = max(worst, abs(vi - Self.analytic(xi))) }
        let arbor = ((ref["runs"] as! [String: Any])["v_arbor_100cv"] as! [String: Any])["max_abs_err_at_cv_centres_mV"] as! Double
        print("passive cable, 100 CVs: max |V - analytic| at CV centres = \(worst) mV (Arbor \(arbor) mV)")
        XCTAssertLessThan(worst, 1e-4)
        XCTAssertEqual(worst, arbor, accuracy: 1e-6, "same discretisation as Arbor: same error")
        XCTAssertEqual(v[0], -58.4595650511556, accuracy: 1e-6, "Arbor's first CV centre")
    }

    func testPassiveCableConvergesAtSecondOrder() throws {
        var errors: [Double] = []
        for n in [25, 50, 100, 200] {
            let (x, v) = try Self.passiveCable(cvs: n, dt: 0.5)
            errors.append(zip(x, v).map { abs($1 - Self.analytic($0)) }.max()!)
        }
        let orders = (1..<errors.count).map { log2(errors[$0 - 1] / errors[$0]) }
        print("passive cable errors at 25/50/100/200 CVs: \(errors); observed orders \(orders)")
        for p in orders { XCTAssertEqual(p, 2, accuracy: 0.1) }
    }

    // MARK: ball and stick against Arbor

    /// Soma cylinder 12.6157 µm with hh, dendrite 200 x 1 µm with pas (validate_cable.py).
    static func ballAndStick(dendCVs n: Int) throws -> CableResults {
        var tree = SegmentTree()
        let r = 12.6157 / 2
        let s = try tree.append(parent: -1, prox: MPoint(0, 0, 0, r), dist: MPoint(12.6157, 0, 0, r), tag: 1)
        try tree.append(parent: s, prox: MPoint(12.6157, 0, 0, 0.5), dist: MPoint(212.6157, 0, 0, 0.5), tag: 3)
        var cell = CableCellDescription(tree: tree)
        cell.discretization = CVPolicy([.init(.single, region: .soma), .init(.perBranch(n), region: .dend)])
        cell.axialResistivity = 100
        cell.temperature = 6.3
        cell.paints = [Paint(.soma, MechanismDescription("hh")),
                       Paint(.dend, MechanismDescription("pas", ["g": 0.001, "e": -65]))]
        cell.places = [.iclamp(.somaCenter, delay: 10, duration: 40, amplitude: 0.1)]
        cell.probes = [Probe(.somaCenter, label: "soma"),
                       Probe(.onComponents(1 - 0.5 / Double(n), .dend), label: "dend_lastcv"),
                       Probe(.somaCenter, variable: "hh.m", label: "m")]
        let net = CableExperiment(resolution: 0.025, duration: 60, cells: [("bas", cell)],
                                          populations: [CablePopulation(name: "c", cell: "bas", size: 1)])
        return try CableNetwork(net).run()
    }

    static func crossings(_ t: [Double], _ v: [Double], threshold: Double = 0) -> [Double] {
        var out: [Double] = []
        for k in 0..<(v.count - 1) where v[k] < threshold && v[k + 1] >= threshold {
            out.append(t[k] + (threshold - v[k]) * (t[k + 1] - t[k]) / (v[k + 1] - v[k]))
        }
        return out
    }

    func testBallAndStickMatchesArbor() throws {
        let validation = try Reference.json("arbor/cable_validation.json")["runs"] as! [String: Any]
        try Reference.require([10, 50, 200].map { "arbor/cable_bas_\($0)cv.csv" })
        for n in [10, 50, 200] {
            let ref = try Reference.csv("arbor/cable_bas_\(n)cv.csv")
            let res = try Self.ballAndStick(dendCVs: n)
            let soma = res.probes.first { $0.name == "soma" }!, dend = res.probes.first { $0.name == "dend_lastcv" }!
            XCTAssertEqual(soma.values.count, ref["v_soma"]!.count)
            var worstSoma = 0.0, worstDend = 0.0
            for k in 0..<min(soma.values.count, ref["v_soma"]!.count) {
                worstSoma = max(worstSoma, abs(soma.values[k] - ref["v_soma"]![k]))
                worstDend = max(worstDend, abs(dend.values[k] - ref["v_dend_lastcv"]![k]))
            }
            let mine = Self.crossings(soma.times, soma.values)
            let arbor = (validation["\(n)cv"] as! [String: Any])["spikes_arbor_ms"] as! [Double]
            print("ball and stick \(n) CVs: max |dV| soma \(worstSoma) mV, last dendritic CV \(worstDend) mV; spikes \(mine) vs Arbor \(arbor)")
            XCTAssertLessThan(worstSoma, 0.1, "\(n) CVs soma")
            XCTAssertLessThan(worstDend, 0.1, "\(n) CVs dendrite")
            XCTAssertEqual(mine.count, arbor.count)
            for (a, b) in zip(mine, arbor) { XCTAssertEqual(a, b, accuracy: 0.01, "\(n) CVs spike time") }
        }
    }
}
