import PlexusCore
import PlexusModel

/// The local coupling of a surface simulation: `rows[j*n + i] = sum_k L[i, k] * s[v_j*n + k]`
/// for each state variable v_j a model's `local(...)` reads (L already times the coupling
/// strength; the sum over a row's columns in ascending order, as scipy's CSR product that TVB uses).
public struct SurfaceLocalCoupling: @unchecked Sendable {
    let matrix: LocalMatrix
    /// State variable of each row.
    let variables: [Int]
    let rows: UnsafeMutablePointer<Double>
    let kernel: RateKernel.SurfaceDFun
    /// The run's thread team (nil: one thread), set when the run starts.
    let team: TeamReference

    @inline(__always)
    func apply(_ s: UnsafePointer<Double>, n: Int, _ r: Range<Int>) {
        for (j, v) in variables.enumerated() { matrix.multiply(s + v * n, into: rows + j * n, r) }
    }
}

/// The local connectivity in compressed sparse rows, in the smallest form that gives the same
/// sums. The product is most of a surface step, and it is bound by memory traffic: 12 bytes per
/// entry (a float64 value and an Int32 column) stream from L3 twice a step. TVB's cortical
/// matrices have one value per row (1/neighbours times the coupling strength) and fewer than 65,536
/// vertices, so they are kept as one value per row and 16-bit columns (2 bytes per entry; the
/// 16k cortex then fits in L2 beside the state), multiplied as `value_i * x_k` entry by entry,
/// the same arithmetic bit for bit. Other matrices keep the general form.
public final class LocalMatrix: @unchecked Sendable {
    let rowStarts: Storage<Int>
    /// General form: a value and an Int32 column per entry.
    let columns: Storage<Int32>
    let values: Storage<Double>
    /// Compact form: 16-bit columns and one value per row (nil: the general form).
    let compactColumns: Storage<UInt16>?
    let rowValues: Storage<Double>

    /// `rowStarts` (n + 1 entries), `columns` and `values` are the matrix's CSR arrays.
    public init(rowStarts: [Int], columns: [Int32], values: [Double]) {
        let n = rowStarts.count - 1
        self.rowStarts = Storage(rowStarts)
        var uniform = n <= Int(UInt16.max) + 1
        var perRow = [Double](repeating: 0, count: n)
        for i in 0..<n where uniform && rowStarts[i + 1] > rowStarts[i] {
            let first = values[rowStarts[i]]
            perRow[i] = first
            for k in rowStarts[i]..<rowStarts[i + 1] where values[k].bitPattern != first.bitPattern { uniform = false }
        }
        if uniform {
            compactColumns = Storage(columns.isEmpty ? [0] : columns.map { UInt16(truncatingIfNeeded: $0) })
            rowValues = Storage(perRow.isEmpty ? [0] : perRow)
            self.columns = Storage([0])
            self.values = Storage([0])
        } else {
            compactColumns = nil
            rowValues = Storage([0])
            self.columns = Storage(columns.isEmpty ? [0] : columns)
            self.values = Storage(values.isEmpty ? [0] : values)
        }
    }

    /// Whether the compact form is in use.
    var isCompact: Bool { compactColumns != nil }

    /// `out[i] = sum_k L[i, k] * x[k]` for the rows `r`, each sum over its columns in ascending order.
    /// (While loops with wrapping increments: a range per row costs a trap check and about 20 %.)
    @inline(__always)
    func multiply(_ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, _ r: Range<Int>) {
        let starts = rowStarts.base
        var k = starts[r.lowerBound]
        if let compact = compactColumns {
            let cs = compact.base, rv = rowValues.base
            for i in r {
                let end = starts[i &+ 1], w = rv[i]
                var sum = 0.0
                while k < end {
                    sum += w * x[Int(cs[k])]
                    k &+= 1
                }
                out[i] = sum
            }
        } else {
            let cs = columns.base, vs = values.base
            for i in r {
                let end = starts[i &+ 1]
                var sum = 0.0
                while k < end {
                    sum += vs[k] * x[Int(truncatingIfNeeded: cs[k])]
                    k &+= 1
                }
                out[i] = sum
            }
        }
    }
}
