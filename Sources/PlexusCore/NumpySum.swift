// numpy's summation orders, needed to reproduce TVB's float32 coupling to rounding (PlexusMass)
// and TVB's derived model coefficients (PlexusModel's derived parameters).
//
// - `np.add.reduce` along a contiguous axis (and `.sum(axis)`) uses pairwise summation: below 8
//   values a plain loop from -0.0; up to 128 values eight interleaved accumulators combined as
//   ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus a sequential tail; above 128 it splits in two halves
//   (the first a multiple of 8 long) and adds the two sums.
// - `np.add.reduceat` copies the first element of each segment and adds the pairwise sum of the
//   rest to it. The accumulators have the array's type (float32 for TVB's SparseCoupling).
// Both were checked against numpy 2.4 on random data (bit-identical).

@inlinable
public func numpyPairwiseSum<T: BinaryFloatingPoint>(_ a: UnsafePointer<T>, _ n: Int) -> T {
    if n < 8 {
        var r: T = -0.0
        for i in 0..<n { r += a[i] }
        return r
    } else if n <= 128 {
        var r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7]
        var i = 8
        let end = n - n % 8
        while i < end {
            r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3]
            r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7]
            i += 8
        }
        var res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n { res += a[i]; i += 1 }
        return res
    } else {
        var n2 = n / 2
        n2 -= n2 % 8
        return numpyPairwiseSum(a, n2) + numpyPairwiseSum(a + n2, n - n2)
    }
}

/// `np.add.reduceat` over one segment of `n` values (n >= 1).
@inlinable
public func numpyReduceatSum<T: BinaryFloatingPoint>(_ a: UnsafePointer<T>, _ n: Int) -> T {
    n == 1 ? a[0] : a[0] + numpyPairwiseSum(a + 1, n - 1)
}

/// `np.add.reduce` with its identity 0 first (what `.sum(axis=...)` does).
@inlinable
public func numpySum<T: BinaryFloatingPoint>(_ a: UnsafePointer<T>, _ n: Int) -> T {
    0 + numpyPairwiseSum(a, n)
}
