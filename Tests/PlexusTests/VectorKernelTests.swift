import Foundation
import XCTest
@testable import PlexusCore

/// VectorMath's exp and log (SIMD16) stay within 1 ulp of libm (2 for log) and take libm's value
/// outside their polynomial range, lane by lane; the unchecked forms equal them inside it.
final class VectorKernelTests: XCTestCase {
    /// Distance in units in the last place.
    func ulps(_ a: Double, _ b: Double) -> Double {
        if a == b { return 0 }
        return abs(a - b) / (b.ulp == 0 ? Double.leastNonzeroMagnitude : b.ulp)
    }

    func testVectorExpAndLogAgreeWithLibm() {
        var rng = RandomStream(seed: 8, purpose: .user, id: 0)
        var worstExp = 0.0, worstLog = 0.0
        for _ in 0..<12_500 {
            var xs = VectorMath.Vector(), ys = VectorMath.Vector()
            for l in stride(from: 0, to: 16, by: 4) {
                xs[l] = rng.nextDouble() * 1400 - 700; xs[l + 1] = rng.nextDouble() * 4 - 2
                xs[l + 2] = rng.nextDouble() * 1e-3; xs[l + 3] = -rng.nextDouble() * 40
                ys[l] = rng.nextDouble() * 1e300; ys[l + 1] = 0.5 + rng.nextDouble()
                ys[l + 2] = exp2(rng.nextDouble() * 2000 - 1000); ys[l + 3] = 1 + (rng.nextDouble() - 0.5) * 1e-6
            }
            let e = VectorMath.exp(xs), g = VectorMath.log(ys)
            XCTAssertEqual(e, VectorMath.expInRange(xs))
            XCTAssertEqual(g, VectorMath.logOfNormal(ys))
            for l in 0..<16 {
                worstExp = max(worstExp, ulps(e[l], Foundation.exp(xs[l])))
                worstLog = max(worstLog, ulps(g[l], Foundation.log(ys[l])))
            }
        }
        XCTAssertLessThanOrEqual(worstExp, 1, "exp: \(worstExp) ulp")
        XCTAssertLessThanOrEqual(worstLog, 2, "log: \(worstLog) ulp")
        // Outside the polynomial path, lane by lane: libm's values, the other lanes untouched.
        var x = VectorMath.Vector(repeating: 1)
        (x[0], x[5], x[10], x[15]) = (-800, 710, .nan, -700)
        let edge = VectorMath.exp(x)
        XCTAssertEqual(edge[0], 0); XCTAssertEqual(edge[5], .infinity); XCTAssertTrue(edge[10].isNaN)
        XCTAssertEqual(edge[15], VectorMath.expInRange(VectorMath.Vector(repeating: -700))[0])
        XCTAssertEqual(edge[1], VectorMath.expInRange(VectorMath.Vector(repeating: 1))[0])
        var y = VectorMath.Vector(repeating: 2)
        (y[0], y[3], y[8], y[14]) = (0, -1, 5e-324, .infinity)
        let logs = VectorMath.log(y)
        XCTAssertEqual(logs[0], -.infinity); XCTAssertTrue(logs[3].isNaN)
        XCTAssertEqual(logs[8], Foundation.log(5e-324)); XCTAssertEqual(logs[14], .infinity)
        XCTAssertEqual(logs[1], VectorMath.logOfNormal(VectorMath.Vector(repeating: 2))[0])
        XCTAssertTrue(VectorMath.allTrue(VectorMath.Vector(repeating: 1) .> 0))
        for l in 0..<16 {
            var v = VectorMath.Vector(repeating: 1)
            v[l] = -1
            XCTAssertFalse(VectorMath.allTrue(v .> 0), "lane \(l)")
        }
    }
}
