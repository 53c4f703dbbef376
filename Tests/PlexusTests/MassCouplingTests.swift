import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusMass
@testable import PlexusIO

/// Every registered coupling (MassCouplings.all) against its own declarations: parameters as a
/// model file may give them, the float64 engine's split of `pre` into history terms and a gather
/// equal to `pre`, and the float64 engine against TVB's float32 arithmetic. A coupling added as one
/// new file is checked here without editing this file; its TVB reference test uses
/// `MassData.couplingCaseMatchesTVB`.
final class MassCouplingTests: XCTestCase {
    func testRegistryListsTVBsCouplingsWithTheirParameters() {
        let names = MassCouplings.names
        for tvb in ["Linear", "Scaling", "Sigmoidal", "SigmoidalJansenRit", "Difference", "Kuramoto", "HyperbolicTangent", "PreSigmoidal"] {
            XCTAssertTrue(names.contains(tvb), "\(tvb) missing from MassCouplings.all: \(names)")
        }
        XCTAssertEqual(Set(names).count, names.count, "names are unique")
        XCTAssertEqual(CouplingKind.allCases.map(\.rawValue), names)
        for C in MassCouplings.all {
            XCTAssertEqual(CouplingKind(rawValue: C.name)?.parameters.map(\.name), C.parameters.map(\.name))
            XCTAssertFalse(C.doc.isEmpty, C.name)
            XCTAssertEqual(Set(C.parameters.map(\.name)).count, C.parameters.count, "\(C.name): parameter names are unique")
            for p in C.parameters {
                XCTAssertTrue(p.lo <= p.defaultValue && p.defaultValue <= p.hi, "\(C.name).\(p.name): default \(p.defaultValue) outside [\(p.lo), \(p.hi)]")
                XCTAssertFalse(p.doc.isEmpty, "\(C.name).\(p.name)")
            }
        }
    }

    /// The float64 engine sums source terms from its history (`history`) and combines them with
    /// the target (`gather`): for one weight of 1 that must be `pre` itself.
    func testHistoryTermsAndGatherReproducePre() {
        for C in MassCouplings.all { checkSplit(C) }
    }

    func checkSplit<C: MassCoupling>(_: C.Type) {
        let ipo = C.inputsPerOutput, cpo = C.historyChannelsPerOutput
        let f = C(C.defaults, couplingVariables: ipo)
        let offsets = (0..<max(ipo, cpo)).map { $0 }
        var rng = CouplingTestRandom(seed: 3)
        var worst = 0.0
        for _ in 0..<1000 {
            let xi = (0..<ipo).map { _ in rng.uniform(-3, 3) }, xj = (0..<ipo).map { _ in rng.uniform(-3, 3) }
            var terms = [Double](repeating: 0, count: cpo)
            offsets.withUnsafeBufferPointer { o in
                xi.withUnsafeBufferPointer { pi in
                    xj.withUnsafeBufferPointer { pj in
                        let vi = CouplingValues(pi.baseAddress!, o.baseAddress!), vj = CouplingValues(pj.baseAddress!, o.baseAddress!)
                        let pre: Double = f.pre(vi, vj)
                        let gx: Double
                        if C.historyHoldsState {
                            XCTAssertEqual(cpo, 1, "\(C.name): a history of the state has one channel per output")
                            terms[0] = xj[0]
                        } else {
                            terms.withUnsafeMutableBufferPointer { f.history(vj, $0.baseAddress!) }
                        }
                        if C.preReadsTarget {
                            gx = terms.withUnsafeBufferPointer { f.gather(CouplingValues($0.baseAddress!, o.baseAddress!), vi, rowSum: 1) }
                        } else {
                            XCTAssertEqual(cpo, 1, "\(C.name): a pre of the source alone has one channel per output")
                            gx = terms[0]
                        }
                        worst = max(worst, abs(gx - pre) / max(1, abs(pre)))
                    }
                }
            }
        }
        XCTAssertLessThan(worst, 1e-14, "\(C.name): float64 history terms + gather differ from pre")
    }

    /// The float64 engine (time-blocked history) against TVB's arithmetic (float32 history and
    /// weights) for every coupling with the first model that takes it (among models that stay
    /// tame on this random connectome at dt 0.05): they differ by rounding only.
    func testEveryCouplingAgreesWithTVBArithmetic() throws {
        var c = try Connectome.synthetic(regions: 24, density: 0.35, seed: 5, meanInStrength: 3)
        for i in stride(from: 0, to: 24, by: 3) { c.weights[i * 24 + i] = 0.4 }
        for q in 0..<(24 * 24) { c.tractLengths[q] *= 0.06 }
        for C in MassCouplings.all {
            let tame = ["Generic2dOscillator", "JansenRit", "Kuramoto", "MontbrioPazoRoxin", "ReducedWongWang", "WilsonCowan"]
            guard let M = tame.compactMap(MassModels.named).first(where: {
                C.unsupported(couplingVariables: $0.couplingVariables.count) == nil && C.outputs(ncvar: $0.couplingVariables.count) >= $0.couplingTerms
            }) else { XCTFail("\(C.name): no model takes it"); continue }
            // A switch whose default is refused (PreSigmoidal's dynamic threshold) is set to 0.
            let params = C.unsupported(parameters: C.defaults).map { [$0.parameter: 0.0] } ?? [:]
            var out: [[Double]] = []
            for p in MassPrecision.allCases {
                let e = MassExperiment(connectivity: .given(c), speed: 3, model: MassModelDescription(name: M.name),
                                       coupling: CouplingDescription(name: C.name, params: params),
                                       integrator: IntegratorDescription(scheme: .heun, dt: 0.05),
                                       duration: 20, monitors: [MonitorDescription(.raw)], precision: p, seed: 11)
                out.append(try MassNetwork(e, connectome: c).run().monitors[0].values)
            }
            var worst = 0.0, scale = 0.0
            for k in out[0].indices { worst = max(worst, abs(out[0][k] - out[1][k])); scale = max(scale, abs(out[1][k])) }
            print("MASS COUPLING \(C.name) with \(M.name): float64 vs float32 arithmetic max |diff| \(worst) (scale \(scale))")
            XCTAssertTrue(out[0].allSatisfy(\.isFinite), C.name)
            XCTAssertLessThan(worst, 1e-5 * max(1, scale), "\(C.name) with \(M.name)")
            XCTAssertGreaterThan(worst, 0, "\(C.name): the two paths are different code")
        }
    }
}

extension MassData {
    /// TVB's Generic2dOscillator reference case (`g2d`: connectivity_76, speed 3, Heun dt 1/16 ms,
    /// V = 0.1 sin(i), W = 0) with another coupling, against a TVB output (`time_ms,<labels>` of V
    /// at some steps, tools/tvb_reference/). Returns the largest |error| over the fixture's samples.
    static func couplingCaseMatchesTVB(_ coupling: String, params: [String: Double], reference: String,
                                       precision: MassPrecision) throws -> MaxError {
        let conn = try connectome()
        let ref = try timeSeries(reference)
        XCTAssertEqual(ref.header, conn.labels, "region order")
        let dt = 0.0625
        var e = g2d(conn.count, precision: precision, duration: ref.times.last!)
        e.coupling = CouplingDescription(name: coupling, params: params)
        let m = try MassNetwork(e, connectome: conn).run().monitors[0]
        var err = MaxError()
        for (k, t) in ref.times.enumerated() {
            let s = Int((t / dt).rounded()) - 1
            XCTAssertEqual(m.times[s], t, accuracy: 1e-9, "time of sample \(k)")
            for i in 0..<conn.count { err.add(m.value(sample: s, variable: 0, region: i), ref.rows[k][i], sample: k, region: i) }
        }
        print("MASS COUPLING REFERENCE \(coupling) \(reference) [\(precision.rawValue)]: max |error| \(err)")
        return err
    }
}

/// A small deterministic generator for test inputs.
struct CouplingTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * Double(next() >> 11) * 0x1p-53 }
}
