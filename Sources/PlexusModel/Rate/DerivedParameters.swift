import Foundation
import PlexusCore

/// Derived parameters of a rate model (the `.rate` key `derived:`, docs/rate-models.md): vector
/// parameters computed from the declared scalar ones, per node, the way a TVB model's
/// `update_derived_parameters` computes them. The engine fills their slots of the parameter table
/// (`RateModel.deriveParameters`); expressions read them as vector parameters (`Aik[4]`).
///
/// The computations follow TVB's numpy and scipy code operation by operation: scipy's `ndtri`
/// (cephes), `norm.ppf` as `ndtri(q) * scale + loc`, `norm.pdf` as `exp(-x**2 / 2) / sqrt(2 pi) /
/// scale` with `x = (z - loc) / scale`, `numpy.arange`'s fill (`start + i * delta`), scipy's
/// `trapezoid` (`sum(d * (y[1:] + y[:-1]) / 2.0)`, numpy's pairwise sum along the row) and the
/// outer products `numpy.dot` forms of a column and a row (one product per element). With the C
/// library's `exp` and `pow` they equal TVB's coefficients bit for bit when numpy runs without its
/// AVX-512 (SVML) loops; with them, numpy's `exp` in `norm.pdf` differs from the C library's in the
/// last bit for some of the 1500 samples, which moves the pdf-weighted integrals (Aik, Bik, Cik) by
/// up to an ulp or so.
public struct RateDerivedFunction: Sendable {
    /// The name a `.rate` file gives (`derived: ReducedSetFitzHughNagumo`).
    public let name: String
    /// The scalar parameters it reads, in order (the file must declare them).
    public let inputs: [String]
    /// The vector parameters it writes: name, number of elements, doc.
    public let outputs: [(name: String, count: Int, doc: String)]
    /// inputs (in `inputs` order) -> every output's elements in turn (`outputs` order).
    public let compute: @Sendable ([Double]) -> [Double]

    public var outputCount: Int { outputs.reduce(0) { $0 + $1.count } }

    /// The registered functions, by name.
    public static let registry: [String: RateDerivedFunction] = {
        var out: [String: RateDerivedFunction] = [:]
        for f in [StefanescuJirsa.fitzHughNagumo, StefanescuJirsa.hindmarshRose] { out[f.name] = f }
        return out
    }()
}

/// TVB's ReducedSetFitzHughNagumo and ReducedSetHindmarshRose coefficients
/// (tvb/simulator/models/stefanescu_jirsa.py, `update_derived_parameters`): 3 modes of 1500
/// oscillators each (TVB's class constants `number_of_modes`, `nu`, `nv`), the population's
/// excitabilities normally distributed (mu, sigma) and sampled at the normal quantiles
/// 1/1501 ... 1500/1501. Matrices are stored row-major: `Aik[3*j + k]` is TVB's `Aik[j, k]`.
public enum StefanescuJirsa {
    public static let modes = 3
    public static let nu = 1500
    public static let nv = 1500

    static let matrixDoc = "(row-major: [3*j + k] is TVB's [j, k])"

    public static let fitzHughNagumo = RateDerivedFunction(
        name: "ReducedSetFitzHughNagumo", inputs: ["a", "sigma", "mu"],
        outputs: [("Aik", 9, "Mode coupling xi -> xi \(matrixDoc)."), ("Bik", 9, "Mode coupling alpha -> xi \(matrixDoc)."),
                  ("Cik", 9, "Mode coupling xi -> alpha \(matrixDoc)."), ("e_i", 3, "Cubic coefficient of xi per mode."),
                  ("f_i", 3, "Cubic coefficient of alpha per mode."), ("IE_i", 3, "Mean excitatory input per mode."),
                  ("II_i", 3, "Mean inhibitory input per mode."), ("m_i", 3, "Offset of eta per mode (a times the mode integral)."),
                  ("n_i", 3, "Offset of beta per mode (a times the mode integral).")],
        compute: { p in
            let (a, sigma, mu) = (p[0], p[1], p[2])
            let v = Modes(n: nv, mu: mu, sigma: sigma)
            // TVB normalises U with a tile of nv columns (nu == nv, so the same).
            let u = Modes(n: nu, mu: mu, sigma: sigma)
            var out: [Double] = []
            out += outer(v.intc, v.intGV, transposed: true)          // Aik = dot(intcVdZ, intG1VdZ).T
            out += outer(v.intc, u.intGV, transposed: false)         // Bik = dot(intcVdZ, trapz(G2*U))
            out += outer(u.intc, v.intGV, transposed: true)          // Cik = dot(intcUdZ, intG1VdZ).T
            out += v.integral { m, x in m * pow(m, 3) }              // e_i = trapz(cV * V**3)
            out += u.integral { m, x in m * pow(m, 3) }              // f_i
            out += v.integral { m, x in x * m }                      // IE_i = trapz(Zv * cV)
            out += u.integral { m, x in x * m }                      // II_i
            out += v.intc.map { a * $0 }                             // m_i = (a * intcVdZ).T
            out += u.intc.map { a * $0 }                             // n_i
            return out
        })

    public static let hindmarshRose = RateDerivedFunction(
        name: "ReducedSetHindmarshRose", inputs: ["r", "a", "b", "c", "d", "s", "xo", "sigma", "mu"],
        outputs: [("A_ik", 9, "Mode coupling xi -> xi \(matrixDoc)."), ("B_ik", 9, "Mode coupling alpha -> xi \(matrixDoc)."),
                  ("C_ik", 9, "Mode coupling xi -> alpha \(matrixDoc)."), ("a_i", 3, "a times the cubic mode integral of V."),
                  ("b_i", 3, "b times the quadratic mode integral of V."), ("c_i", 3, "c times the mode integral of V."),
                  ("d_i", 3, "d times the quadratic mode integral of V (TVB's corrected_d_p)."),
                  ("e_i", 3, "a times the cubic mode integral of U."), ("f_i", 3, "b times the quadratic mode integral of U."),
                  ("h_i", 3, "c times the mode integral of U."), ("p_i", 3, "d times the quadratic mode integral of U (corrected_d_p)."),
                  ("IE_i", 3, "Mean excitatory input per mode."), ("II_i", 3, "Mean inhibitory input per mode."),
                  ("m_i", 3, "r*s*xo times the mode integral of V."), ("n_i", 3, "r*s*xo times the mode integral of U.")],
        compute: { p in
            let (r, a, b, c, d, s, xo, sigma, mu) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8])
            let v = Modes(n: nv, mu: mu, sigma: sigma)
            let u = Modes(n: nu, mu: mu, sigma: sigma)
            let v3 = v.integral { m, x in m * pow(m, 3) }, u3 = u.integral { m, x in m * pow(m, 3) }
            let v2 = v.integral { m, x in m * (m * m) }, u2 = u.integral { m, x in m * (m * m) }
            let rsxo = r * s * xo
            var out: [Double] = []
            out += outer(v.intc, v.intGV, transposed: true)          // A_ik = dot(intcVdI, intG1VdI).T
            out += outer(v.intc, u.intGV, transposed: false)         // B_ik = dot(intcVdI, trapz(G2*U))
            out += outer(u.intc, v.intGV, transposed: true)          // C_ik = dot(intcUdI, intG1VdI).T
            out += v3.map { a * $0 }                                 // a_i = a * trapz(cV * V**3)
            out += v2.map { b * $0 }                                 // b_i = b * trapz(cV * V**2)
            out += v.intc.map { c * $0 }                             // c_i = (c * intcVdI).T
            out += v2.map { d * $0 }                                 // d_i = d * trapz(cV * V**2)
            out += u3.map { a * $0 }                                 // e_i
            out += u2.map { b * $0 }                                 // f_i
            out += u.intc.map { c * $0 }                             // h_i
            out += u2.map { d * $0 }                                 // p_i
            out += v.integral { m, x in x * m }                      // IE_i = trapz(Iv * cV)
            out += u.integral { m, x in x * m }                      // II_i
            out += v.intc.map { rsxo * $0 }                          // m_i = (r * s * xo * intcVdI).T
            out += u.intc.map { rsxo * $0 }                          // n_i
            return out
        })

    /// numpy's `dot` of a column `col` (3x1) and a row `row` (1x3): element [i][k] = col[i] * row[k];
    /// `.T` transposes it. Row-major.
    static func outer(_ col: [Double], _ row: [Double], transposed: Bool) -> [Double] {
        var out = [Double](repeating: 0, count: modes * modes)
        for i in 0..<modes {
            for k in 0..<modes { out[i * modes + k] = transposed ? col[k] * row[i] : col[i] * row[k] }
        }
        return out
    }

    /// One population's sampling and its normalised modes (TVB's Z, V, g1 and the integrals).
    struct Modes {
        /// The excitabilities: the normal quantiles at numpy.arange(1/(n+1), 1, 1/(n+1)).
        let z: [Double]
        /// Each mode's norm, sqrt(trapz(V * V, Z)) (V is 1 on the mode's block, 0 elsewhere).
        let norm: [Double]
        /// norm.pdf(z).
        let pdf: [Double]
        let n: Int
        /// trapz(cV, Z) and trapz(G * V, Z) per mode.
        var intc: [Double] = []
        var intGV: [Double] = []

        init(n: Int, mu: Double, sigma: Double) {
            self.n = n
            let step = 1.0 / Double(n + 2 - 1)
            let q = numpyArange(start: step, stop: 1.0, step: step)
            precondition(q.count == n, "numpy.arange gives \(q.count) quantiles for \(n)")
            z = q.map { ndtri($0) * sigma + mu }
            pdf = z.map { x in
                let t = (x - mu) / sigma
                return exp(-(t * t) / 2.0) / 2.5066282746310002 / sigma
            }
            let per = n / modes
            let zs = z
            norm = (0..<modes).map { i in
                let row = (0..<n).map { j in (j >= i * per && j < (i + 1) * per) ? 1.0 : 0.0 }
                return sqrt(Self.trapz(row.map { $0 * $0 }, zs))
            }
            intc = integral { m, _ in m }
            intGV = (0..<modes).map { i in Self.trapz((0..<n).map { j in pdf[j] * value(i, j) }, z) }
        }

        /// Mode i's value at sample j (TVB's V[i, j] = (1 on the block) / norm_i).
        func value(_ i: Int, _ j: Int) -> Double {
            let per = n / modes
            return (j >= i * per && j < (i + 1) * per ? 1.0 : 0.0) / norm[i]
        }

        /// trapz(f(V[i], Z), Z) for each mode i.
        func integral(_ f: (Double, Double) -> Double) -> [Double] {
            (0..<modes).map { i in Self.trapz((0..<n).map { j in f(value(i, j), z[j]) }, z) }
        }

        /// scipy.integrate.trapezoid(y, x) of one row: numpy's sum of d * (y[1:] + y[:-1]) / 2.0.
        static func trapz(_ y: [Double], _ x: [Double]) -> Double {
            var terms = [Double](repeating: 0, count: x.count - 1)
            for j in 0..<(x.count - 1) { terms[j] = (x[j + 1] - x[j]) * (y[j + 1] + y[j]) / 2.0 }
            return terms.withUnsafeBufferPointer { numpySum($0.baseAddress!, $0.count) }
        }
    }

    /// numpy.arange(start, stop, step) for floats: ceil((stop - start) / step) values, the first two
    /// start and start + step, then start + i * delta with delta = (start + step) - start.
    static func numpyArange(start: Double, stop: Double, step: Double) -> [Double] {
        let count = Int(((stop - start) / step).rounded(.up))
        guard count > 0 else { return [] }
        var out = [start]
        if count > 1 { out.append(start + step) }
        let delta = count > 1 ? out[1] - out[0] : step
        for i in stride(from: 2, to: count, by: 1) { out.append(start + Double(i) * delta) }
        return out
    }

    /// scipy.special.ndtri (cephes ndtri.c, as scipy's xsf library has it): the inverse of the
    /// standard normal CDF.
    public static func ndtri(_ y0: Double) -> Double {
        if y0 <= 0 { return -.infinity }
        if y0 >= 1 { return .infinity }
        let s2pi = 2.50662827463100050242e0
        let expm2 = 0.13533528323661269189
        var y = y0, code = true
        if y > 1.0 - expm2 { y = 1.0 - y; code = false }
        if y > expm2 {
            y -= 0.5
            let y2 = y * y
            let x = y + y * (y2 * polevl(y2, P0) / p1evl(y2, Q0))
            return x * s2pi
        }
        let x = sqrt(-2.0 * log(y))
        let x0 = x - log(x) / x
        let z = 1.0 / x
        let x1 = x < 8.0 ? z * polevl(z, P1) / p1evl(z, Q1) : z * polevl(z, P2) / p1evl(z, Q2)
        let r = x0 - x1
        return code ? -r : r
    }

    static func polevl(_ x: Double, _ c: [Double]) -> Double {
        var a = c[0]
        for k in 1..<c.count { a = a * x + c[k] }
        return a
    }

    static func p1evl(_ x: Double, _ c: [Double]) -> Double {
        var a = x + c[0]
        for k in 1..<c.count { a = a * x + c[k] }
        return a
    }

    static let P0 = [-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
                     1.39312609387279679503e1, -1.23916583867381258016e0]
    static let Q0 = [1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
                     -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1,
                     1.59056225126211695515e1, -1.18331621121330003142e0]
    static let P1 = [4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
                     4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
                     -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4]
    static let Q1 = [1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1,
                     1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1,
                     -3.80806407691578277194e-2, -9.33259480895457427372e-4]
    static let P2 = [3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
                     1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
                     3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9]
    static let Q2 = [6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
                     2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
                     2.89247864745380683936e-6, 6.79019408009981274425e-9]
}
