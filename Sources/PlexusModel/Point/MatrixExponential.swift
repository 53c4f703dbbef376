import Foundation

/// exp(A) of a small dense matrix (row-major, n×n): the exact propagators of a linear
/// constant-coefficient ODE system over one step (y(t+h) = exp(A·h)·y(t)), what ODE-toolbox
/// computes symbolically for NESTML. Computed numerically by scaling and squaring with the
/// [13/13] Padé approximant (Higham, "The scaling and squaring method for the matrix exponential
/// revisited", SIAM J. Matrix Anal. Appl. 26, 2005, algorithm 2.3): accurate to a few ulps of
/// the largest entry for the well-conditioned systems of neuron models, and, unlike closed
/// forms, without a singular case when two time constants coincide (tau_m = tau_syn).
public enum MatrixExponential {
    /// exp(a) for the n×n matrix `a` (row-major); nil if `a` holds a non-finite entry.
    public static func exp(_ a: [Double], n: Int) -> [Double]? {
        precondition(a.count == n * n, "matrix of \(a.count) entries is not \(n)x\(n)")
        guard a.allSatisfy(\.isFinite) else { return nil }
        if n == 0 { return [] }
        // 1-norm (largest column sum)
        var norm = 0.0
        for j in 0..<n {
            var s = 0.0
            for i in 0..<n { s += abs(a[i * n + j]) }
            norm = max(norm, s)
        }
        // Padé degree 13 with scaling 2^-s so that ‖A/2^s‖₁ ≤ θ13 (Higham's table 2.3).
        let theta13 = 5.371920351148152
        var s = 0
        if norm > theta13 { s = max(0, Int(Foundation.ceil(Foundation.log2(norm / theta13)))) }
        let scale = Foundation.pow(2.0, Double(-s))
        let A = a.map { $0 * scale }
        let b: [Double] = [64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000,
                           10559470521600, 670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1]
        let I = identity(n)
        let A2 = mul(A, A, n), A4 = mul(A2, A2, n), A6 = mul(A4, A2, n)
        // U = A·(A6·(b13 A6 + b11 A4 + b9 A2) + b7 A6 + b5 A4 + b3 A2 + b1 I)
        var t = comb([(b[13], A6), (b[11], A4), (b[9], A2)], n)
        var u = add(mul(A6, t, n), comb([(b[7], A6), (b[5], A4), (b[3], A2), (b[1], I)], n))
        let U = mul(A, u, n)
        // V = A6·(b12 A6 + b10 A4 + b8 A2) + b6 A6 + b4 A4 + b2 A2 + b0 I
        t = comb([(b[12], A6), (b[10], A4), (b[8], A2)], n)
        u = add(mul(A6, t, n), comb([(b[6], A6), (b[4], A4), (b[2], A2), (b[0], I)], n))
        let V = u
        // R = (V - U)⁻¹ (V + U), then squared s times
        guard var R = solve(zip(V, U).map { $0 - $1 }, zip(V, U).map { $0 + $1 }, n) else { return nil }
        for _ in 0..<s { R = mul(R, R, n) }
        return R.allSatisfy(\.isFinite) ? R : nil
    }

    static func identity(_ n: Int) -> [Double] {
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n { m[i * n + i] = 1 }
        return m
    }

    static func mul(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for k in 0..<n where a[i * n + k] != 0 {
                let x = a[i * n + k]
                for j in 0..<n { c[i * n + j] += x * b[k * n + j] }
            }
        }
        return c
    }

    static func add(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }

    static func comb(_ terms: [(Double, [Double])], _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for (k, m) in terms { for i in 0..<(n * n) { c[i] += k * m[i] } }
        return c
    }

    /// X with P·X = Q (LU with partial pivoting); nil if P is singular.
    static func solve(_ p: [Double], _ q: [Double], _ n: Int) -> [Double]? {
        var a = p, x = q
        for col in 0..<n {
            var piv = col
            for r in (col + 1)..<max(col + 1, n) where abs(a[r * n + col]) > abs(a[piv * n + col]) { piv = r }
            guard a[piv * n + col] != 0 else { return nil }
            if piv != col {
                for j in 0..<n { a.swapAt(piv * n + j, col * n + j); x.swapAt(piv * n + j, col * n + j) }
            }
            for r in (col + 1)..<max(col + 1, n) {
                let f = a[r * n + col] / a[col * n + col]
                if f == 0 { continue }
                for j in col..<n { a[r * n + j] -= f * a[col * n + j] }
                for j in 0..<n { x[r * n + j] -= f * x[col * n + j] }
            }
        }
        for col in stride(from: n - 1, through: 0, by: -1) {
            for j in 0..<n {
                var s = x[col * n + j]
                for k in (col + 1)..<max(col + 1, n) { s -= a[col * n + k] * x[k * n + j] }
                x[col * n + j] = s / a[col * n + col]
            }
        }
        return x
    }
}
