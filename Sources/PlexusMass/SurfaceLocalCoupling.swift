import PlexusCore
import PlexusModel

/// The local coupling of a surface simulation: `rows[j*n + i] = sum_k L[i, k] * s[v_j*n + k]`
/// for each state variable v_j a model's `local(...)` reads (L already times the coupling
/// strength; the sum over a row's columns in ascending order, as scipy's CSR product that TVB uses).
public struct SurfaceLocalCoupling: @unchecked Sendable {
    let rowStarts: UnsafePointer<Int>
    let columns: UnsafePointer<Int32>
    let values: UnsafePointer<Double>
    /// State variable of each row.
    let variables: [Int]
    let rows: UnsafeMutablePointer<Double>
    let kernel: RateKernel.SurfaceDFun
    /// The run's thread team (nil: one thread), set when the run starts.
    let team: TeamReference

    @inline(__always)
    func apply(_ s: UnsafePointer<Double>, n: Int, _ r: Range<Int>) {
        for (j, v) in variables.enumerated() {
            let x = s + v * n, out = rows + j * n
            // A while loop with wrapping increments: a range per row costs a trap check and
            // about 20 % more time per entry (measured on the 16k cortex).
            var k = rowStarts[r.lowerBound]
            for i in r {
                let end = rowStarts[i &+ 1]
                var sum = 0.0
                while k < end {
                    sum += values[k] * x[Int(truncatingIfNeeded: columns[k])]
                    k &+= 1
                }
                out[i] = sum
            }
        }
    }
}
