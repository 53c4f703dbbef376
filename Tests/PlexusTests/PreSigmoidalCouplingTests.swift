import XCTest
@testable import PlexusMass

/// TVB 2.10's PreSigmoidal coupling (static threshold) on the Generic2dOscillator reference case
/// (500 ms): Tests/Fixtures/pre_sigmoidal_g2d_V_5ms.csv, made by tools/tvb_reference/pre_sigmoidal.py
/// in TVB's simulator with the class's summation axis corrected (TVB 2.10 sums over the target
/// axis; the script shows it and prints how far that is). TVB's arithmetic (float32 history and
/// weights, float64 sigmoid, the float64 sum over the source axis) is reproduced to rounding.
final class PreSigmoidalCouplingTests: XCTestCase {
    func testMatchesTVB() throws {
        let params = ["H": 0.02, "Q": 1.1, "G": 2.5, "P": 1.2, "theta": 0.3, "dynamic": 0]
        for p in MassPrecision.allCases {
            let err = try MassData.couplingCaseMatchesTVB("PreSigmoidal", params: params,
                                                          reference: "pre_sigmoidal_g2d_V_5ms.csv", precision: p)
            XCTAssertLessThanOrEqual(err.value, p == .float32 ? 1e-12 : 1e-8, "\(p): \(err)")
        }
    }

    /// TVB's default is the dynamic threshold, which Plexus does not implement: refused by name,
    /// not run as the static one.
    func testDynamicThresholdIsRefused() throws {
        let conn = try MassData.connectome()
        var e = MassData.g2d(conn.count, precision: .float64, duration: 1)
        e.coupling = CouplingDescription(name: "PreSigmoidal", params: [:])
        XCTAssertThrowsError(try MassNetwork(e, connectome: conn)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("coupling.params.dynamic") && text.contains("dynamic: 0"), text)
        }
    }
}
