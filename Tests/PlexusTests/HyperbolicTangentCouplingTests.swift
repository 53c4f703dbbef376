import XCTest
@testable import PlexusMass

/// TVB 2.10's HyperbolicTangent coupling on the Generic2dOscillator reference case (500 ms),
/// against TVB itself: Tests/Fixtures/hyperbolic_tangent_g2d_V_5ms.csv, made by
/// tools/tvb_reference/hyperbolic_tangent.py. TVB's arithmetic (float32 history and weights, the
/// float32 sum) reproduces it to rounding (measured: exactly); float64 differs by TVB's float32
/// rounding (measured 1.7e-9, as for the Linear case).
final class HyperbolicTangentCouplingTests: XCTestCase {
    func testMatchesTVB() throws {
        let params = ["a": 0.0152, "b": 0.8, "midpoint": 0.1, "sigma": 1.5]
        for p in MassPrecision.allCases {
            let err = try MassData.couplingCaseMatchesTVB("HyperbolicTangent", params: params,
                                                          reference: "hyperbolic_tangent_g2d_V_5ms.csv", precision: p)
            XCTAssertLessThanOrEqual(err.value, p == .float32 ? 1e-12 : 1e-8, "\(p): \(err)")
        }
    }
}
