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
    /// Heun's stages with their updates in the kernel's loop (`HeunIntegrator`).
    let heunPredict: RateKernel.SurfaceHeunStage
    let heunCorrect: RateKernel.SurfaceHeunStage
    /// The team whose local products wait for each other, set when the run starts: nil on one
    /// thread, and when no local-connectivity entry links two threads' vertices.
    let team: TeamReference

    @inline(__always)
    func apply(_ s: UnsafePointer<Double>, n: Int, _ r: Range<Int>) {
        for (j, v) in variables.enumerated() { matrix.multiply(s + v * n, into: rows + j * n, r) }
    }
}

/// The local connectivity in compressed sparse rows, in the smallest form that gives the same
/// sums, arranged for the threads' vertex ranges.
///
/// The product is most of a surface step. Two things cost: memory traffic, 12 bytes per entry (a
/// float64 value and an Int32 column) streamed from L3 twice a step; and the exit of each row's
/// loop, which mispredicts when consecutive rows have different lengths (cortical meshes have 3
/// to 11 neighbours in no order). TVB's cortical matrices have one value per row (1/neighbours
/// times the coupling strength) and fewer than 65,536 vertices: they are kept as one value per
/// row and 16-bit columns (2 bytes per entry; the 16k cortex then fits in L2 beside the state),
/// and within each thread's range the rows are grouped by length, so a group runs one
/// fixed-length loop, four rows at a time in the lanes of a vector (entries stored in the order
/// they are read). Every row's sum is still `value_i * x_k` added over its columns in ascending
/// order from 0: the CSR product's arithmetic, bit for bit. What bounds it now is the loads that
/// gather the neighbours' values. Other matrices, and ranges that are not the planned ones, use
/// the plain CSR loop.
public final class LocalMatrix: @unchecked Sendable {
    let rowStarts: Storage<Int>
    let columns: Storage<Int32>
    let values: Storage<Double>
    /// The planned ranges; part p's groups are `partGroups[p] ..< partGroups[p + 1]` (empty
    /// when the matrix has no compact form).
    let parts: [Range<Int>]
    /// The part starting at each planned range's first row.
    let partAt: [Int: Int]
    let partGroups: [Int]
    /// Group g: `groupLength[g]` entries per row, its rows at positions `groupRows[g] ..<
    /// groupRows[g + 1]` of `order` (the row) and `rowValue`, its entries from `groupEntries[g]` on.
    let groupLength: Storage<Int>
    let groupRows: Storage<Int>
    let groupEntries: Storage<Int>
    let order: Storage<Int32>
    let rowValue: Storage<Double>
    let groupedColumns: Storage<UInt16>

    /// `rowStarts` (n + 1 entries), `columns` and `values` are the matrix's CSR arrays; `parts`
    /// the vertex ranges the threads will ask for.
    public init(rowStarts: [Int], columns: [Int32], values: [Double], parts: [Range<Int>]) {
        let n = rowStarts.count - 1
        self.rowStarts = Storage(rowStarts)
        self.columns = Storage(columns.isEmpty ? [0] : columns)
        self.values = Storage(values.isEmpty ? [0] : values)
        var compact = n <= Int(UInt16.max) + 1
        for i in 0..<n where compact && rowStarts[i + 1] > rowStarts[i] {
            let first = values[rowStarts[i]].bitPattern
            for k in rowStarts[i]..<rowStarts[i + 1] where values[k].bitPattern != first { compact = false }
        }
        self.parts = compact ? parts : []
        partAt = Dictionary(self.parts.enumerated().map { ($1.lowerBound, $0) }, uniquingKeysWith: { first, _ in first })
        var partGroups = [0], lengths = [Int](), groupRows = [0], groupEntries = [Int]()
        var order = [Int32](), rowValue = [Double](), grouped = [UInt16]()
        for part in self.parts {
            let byLength = Dictionary(grouping: part) { rowStarts[$0 + 1] - rowStarts[$0] }
            for length in byLength.keys.sorted() {
                lengths.append(length)
                groupEntries.append(grouped.count)
                let rows = byLength[length]!   // ascending: grouping keeps the range's order
                for row in rows {
                    order.append(Int32(row))
                    rowValue.append(length > 0 ? values[rowStarts[row]] : 0)
                }
                // Chunks of `lanes` rows stored entry-major (entry k of the chunk's rows side by
                // side), so a chunk's rows are summed in the lanes of one vector; the last
                // `rows.count % lanes` rows row-major.
                let column = { (row: Int, k: Int) in UInt16(truncatingIfNeeded: columns[rowStarts[row] + k]) }
                let chunked = rows.count / LocalMatrix.lanes * LocalMatrix.lanes
                for c in stride(from: 0, to: chunked, by: LocalMatrix.lanes) {
                    for k in 0..<length { for l in 0..<LocalMatrix.lanes { grouped.append(column(rows[c + l], k)) } }
                }
                for row in rows[chunked...] { for k in 0..<length { grouped.append(column(row, k)) } }
                groupRows.append(order.count)
            }
            partGroups.append(lengths.count)
        }
        self.partGroups = partGroups
        groupLength = Storage(lengths.isEmpty ? [0] : lengths)
        self.groupRows = Storage(groupRows)
        self.groupEntries = Storage(groupEntries.isEmpty ? [0] : groupEntries)
        self.order = Storage(order.isEmpty ? [0] : order)
        self.rowValue = Storage(rowValue.isEmpty ? [0] : rowValue)
        groupedColumns = Storage(grouped.isEmpty ? [0] : grouped)
    }

    /// Whether the grouped compact form is in use.
    var isCompact: Bool { !parts.isEmpty }

    /// `out[i] = sum_k L[i, k] * x[k]` for the rows `r`, each sum over its columns in ascending order.
    @inline(__always)
    func multiply(_ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, _ r: Range<Int>) {
        guard let p = partAt[r.lowerBound], parts[p] == r else {
            // Plain CSR; while loops with wrapping increments (a range per row costs a trap check).
            let starts = rowStarts.base, cs = columns.base, vs = values.base
            var k = starts[r.lowerBound]
            for i in r {
                let end = starts[i &+ 1]
                var sum = 0.0
                while k < end {
                    sum += vs[k] * x[Int(truncatingIfNeeded: cs[k])]
                    k &+= 1
                }
                out[i] = sum
            }
            return
        }
        for g in partGroups[p]..<partGroups[p + 1] {
            let (first, last, entries) = (groupRows[g], groupRows[g + 1], groupEntries[g])
            // A literal length per common case, so the compiler unrolls the loop completely.
            switch groupLength[g] {
            case 3: rows(3, first, last, entries, x, out)
            case 4: rows(4, first, last, entries, x, out)
            case 5: rows(5, first, last, entries, x, out)
            case 6: rows(6, first, last, entries, x, out)
            case 7: rows(7, first, last, entries, x, out)
            case 8: rows(8, first, last, entries, x, out)
            case 9: rows(9, first, last, entries, x, out)
            case let length: rows(length, first, last, entries, x, out)
            }
        }
    }

    /// Rows per vector in the grouped form (the SIMD4 of `rows`).
    static let lanes = 4

    /// The rows at positions `first ..< last`, each `length` entries long, from entry `entries`
    /// on: whole chunks four rows at a time (a lane per row, so each row's sum is still its
    /// products added one by one in column order), then the rest one by one.
    @inline(__always)
    private func rows(_ length: Int, _ first: Int, _ last: Int, _ entries: Int,
                      _ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        let cs = groupedColumns.base, rv = UnsafeRawPointer(rowValue.base), order = self.order.base
        var e = entries, q = first
        while q &+ 4 <= last {
            let w = rv.loadUnaligned(fromByteOffset: q &* 8, as: SIMD4<Double>.self)
            var sum = SIMD4<Double>(repeating: 0)
            for _ in 0..<length {
                // The four lanes' columns in one load (loads, not arithmetic, bound this loop).
                let c = UnsafeRawPointer(cs + e).loadUnaligned(as: UInt64.self)
                let v = SIMD4<Double>(x[Int(c & 0xFFFF)], x[Int((c &>> 16) & 0xFFFF)],
                                      x[Int((c &>> 32) & 0xFFFF)], x[Int(c &>> 48)])
                sum += w * v
                e &+= 4
            }
            out[Int(order[q])] = sum[0]
            out[Int(order[q &+ 1])] = sum[1]
            out[Int(order[q &+ 2])] = sum[2]
            out[Int(order[q &+ 3])] = sum[3]
            q &+= 4
        }
        while q < last {
            let w = rv.load(fromByteOffset: q &* 8, as: Double.self)
            var sum = 0.0
            for k in 0..<length { sum += w * x[Int(cs[e &+ k])] }
            out[Int(order[q])] = sum
            e &+= length
            q &+= 1
        }
    }
}
