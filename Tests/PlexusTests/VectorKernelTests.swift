import Foundation
import XCTest
@testable import PlexusCore

/// VectorMath's exp and log (SIMD4) stay within 1 ulp of libm (2 for log) and take libm's value
/// outside their polynomial range, lane by lane.
final class VectorKernelTests: XCTestCase {
    /// Distance in units in the last place.
    func ulps(_ a: Double, _ b: Double) -> Double {
        if a == b { return 0 }
        return abs(a - b) / (b.ulp == 0 ? Double.leastNonzeroMagnitude : b.ulp)
    }

    func testVectorExpAndLogAgreeWithLibm() {
        var rng = RandomStream(seed: 8, purpose: .user, id: 0)
        var worstExp = 0.0, worstLog = 0.0
        for _ in 0..<50_000 {
            let xs = SIMD4<Double>(rng.nextDouble() * 1400 - 700, rng.nextDouble() * 4 - 2, rng.nextDouble() * 1e-3, -rng.nextDouble() * 40)
            let e = VectorMath.exp(xs)
            for l in 0..<4 { worstExp = max(worstExp, ulps(e[l], Foundation.exp(xs[l]))) }
            let ys = SIMD4<Double>(rng.nextDouble() * 1e300, 0.5 + rng.nextDouble(), exp2(rng.nextDouble() * 2000 - 1000), 1 + (rng.nextDouble() - 0.5) * 1e-6)
            let g = VectorMath.log(ys)
            for l in 0..<4 { worstLog = max(worstLog, ulps(g[l], Foundation.log(ys[l]))) }
        }
        XCTAssertLessThanOrEqual(worstExp, 1, "exp: \(worstExp) ulp")
        XCTAssertLessThanOrEqual(worstLog, 2, "log: \(worstLog) ulp")
        // Outside the polynomial path, lane by lane: libm's values, the other lanes untouched.
        let edge = VectorMath.exp(SIMD4(-800, 710, .nan, 1))
        XCTAssertEqual(edge[0], 0); XCTAssertEqual(edge[1], .infinity); XCTAssertTrue(edge[2].isNaN)
        XCTAssertEqual(edge[3], VectorMath.exp(SIMD4(repeating: 1))[0])
        let logs = VectorMath.log(SIMD4(0, -1, 5e-324, .infinity))
        XCTAssertEqual(logs[0], -.infinity); XCTAssertTrue(logs[1].isNaN)
        XCTAssertEqual(logs[2], Foundation.log(5e-324)); XCTAssertEqual(logs[3], .infinity)
    }
}
