import PlexusCore

/// The (μ/μ_w, λ)-CMA-ES of Hansen, "The CMA Evolution Strategy: A Tutorial" (2016,
/// arXiv:1604.00772), with the default parameters of its Table 1: weighted recombination,
/// cumulative step-size adaptation (CSA), rank-one and rank-μ covariance updates, and (by
/// default, as in Table 1) negative weights for the worse half in the rank-μ update.
///
/// Sampling, candidate k of generation g from the stream (seed, .optimizer, g, k):
///
///     x_k = m + σ·B·D·z_k,  z_k ~ N(0, I),   C = B·D²·Bᵀ
///
/// Parameters (n = dimension): λ = 4 + ⌊3 ln n⌋, μ = ⌊λ/2⌋, w'_i = ln((λ+1)/2) - ln i,
/// μ_eff = (Σ_{i≤μ} w'_i)² / Σ_{i≤μ} w'_i², c_σ = (μ_eff + 2)/(n + μ_eff + 5),
/// d_σ = 1 + 2·max(0, √((μ_eff-1)/(n+1)) - 1) + c_σ, c_c = (4 + μ_eff/n)/(n + 4 + 2μ_eff/n),
/// c_1 = 2/((n+1.3)² + μ_eff), c_μ = min(1 - c_1, 2(1/4 + μ_eff + 1/μ_eff - 2)/((n+2)² + μ_eff)).
/// Positive weights sum to 1; negative ones are scaled by min(1 + c_1/c_μ, 1 + 2μ⁻_eff/(μ_eff+2),
/// (1 - c_1 - c_μ)/(n·c_μ)) / Σ|w'⁻|.
///
/// Update with y_i = (x_{i:λ} - m)/σ ranked by loss, ⟨y⟩ = Σ_{i≤μ} w_i y_i:
///
///     m   ← m + σ⟨y⟩
///     p_σ ← (1-c_σ)p_σ + √(c_σ(2-c_σ)μ_eff) · C^{-1/2}⟨y⟩
///     h_σ = [‖p_σ‖/√(1-(1-c_σ)^{2(g+1)}) < (1.4 + 2/(n+1))·E‖N(0,I)‖]
///     p_c ← (1-c_c)p_c + h_σ√(c_c(2-c_c)μ_eff) · ⟨y⟩
///     C   ← (1 + c_1(1-h_σ)c_c(2-c_c) - c_1 - c_μΣw_j)·C + c_1 p_c p_cᵀ + c_μ Σ_i w°_i y_i y_iᵀ
///     σ   ← σ·exp((c_σ/d_σ)(‖p_σ‖/E‖N(0,I)‖ - 1))
///
/// with w°_i = w_i·(1 if w_i ≥ 0 else n/‖C^{-1/2}y_i‖²) and E‖N(0,I)‖ ≈ √n(1 - 1/(4n) + 1/(21n²)).
/// C is decomposed every generation with a cyclic Jacobi eigen solver (n is small here; a
/// 50-dimensional C takes about a millisecond).
///
/// Box handling (Hansen's cmaes.m, "boundary handling by penalisation"; Hansen et al. 2009,
/// IEEE TEC 13(1), Sec. IV-B): the candidate handed to the caller is x_k clipped to [0,1]^d, so
/// the loss is always evaluated inside the box; the ranking uses that loss plus
///
///     Σ_i γ_i (x_ki - clip(x_k)_i)²
///
/// while the update uses the unclipped x_k. The weights γ start at 0 and are set, the first
/// time the mean m leaves the box, to 2·median of the recent (IQR of losses)/(n·σ²·mean diag C)
/// (divided per axis by C_ii/mean diag C), and grow by 1.2^min(1, μ_eff/(10n)) each generation in
/// which the mean is more than 3·max(1, √n/μ_eff)·σ√C_ii outside on axis i and still moving out.
/// The penalty is invariant to the scale of the loss (only ranks matter), leaves an optimum
/// inside the box untouched, and still lets the search converge onto a face of the box.
///
/// Non-finite losses rank worst (they also get the most negative active weights); a generation
/// with no finite loss changes nothing but the generation counter. Two safeguards, as in pycma
/// and cmaes.m: the exponent of the σ update is capped at 1, and the largest standard deviation
/// σ·√max(C_ii) at 10 (ten box widths); neither acts in a normal run. No termination criteria:
/// the caller decides when to stop (e.g. when σ·√max(C_ii) falls below its resolution).
public struct CMAES: Optimizer {
    public static let defaultInitialSigma = 0.3
    /// λ = 4 + ⌊3 ln n⌋.
    public static func defaultPopulation(dimension: Int) -> Int {
        4 + Int((3 * _log(Double(max(1, dimension)))).rounded(.down))
    }

    public let dimension: Int
    public let seed: UInt64
    /// λ, candidates per generation.
    public let population: Int
    /// μ, the candidates that move the mean.
    public let parentCount: Int
    /// Recombination weights w_1 ≥ ... ≥ w_λ (negative ones only with active covariance).
    public let weights: [Double]
    public let muEff: Double
    public let cSigma: Double
    public let dSigma: Double
    public let cc: Double
    public let c1: Double
    public let cmu: Double
    /// E‖N(0, I)‖.
    public let chiN: Double

    public private(set) var generation = 0
    public private(set) var best: EvaluatedCandidate?
    /// Distribution mean m (unit-box coordinates; may lie outside the box).
    public private(set) var mean: [Double]
    /// Step size σ.
    public private(set) var sigma: Double
    /// Covariance C, row-major n×n.
    public private(set) var covariance: [Double]
    private var eigenBasis: [Double]        // B, columns are eigenvectors (row-major)
    private var axisLengths: [Double]       // D, square roots of the eigenvalues
    private var pathSigma: [Double]
    private var pathC: [Double]
    private var previousMean: [Double]
    // Box penalty state.
    private var boundWeights: [Double]
    private var boundInitialPhase = true
    private var validFitnessRangeSeen = false
    private var fitnessRangeHistory: [Double] = []
    /// The unclipped samples of the pending ask(); nil when none is pending.
    private var pendingRaw: [[Double]]?

    /// - Parameters:
    ///   - population: λ (default 4 + ⌊3 ln n⌋, at least 2).
    ///   - initialMean: m at the start (default the centre of the box).
    ///   - initialSigma: σ at the start in unit-box coordinates (default 0.3).
    ///   - activeCovariance: negative weights in the rank-μ update (Table 1; default true).
    public init(dimension: Int, seed: UInt64, population: Int? = nil, initialMean: [Double]? = nil,
                initialSigma: Double = CMAES.defaultInitialSigma, activeCovariance: Bool = true) {
        precondition(dimension >= 1, "CMAES dimension must be at least 1")
        precondition(initialSigma > 0 && initialSigma.isFinite, "CMAES initialSigma must be > 0")
        let n = Double(dimension)
        let lambda = population ?? Self.defaultPopulation(dimension: dimension)
        precondition(lambda >= 2, "CMAES population must be at least 2")
        let mu = lambda / 2
        self.dimension = dimension
        self.seed = seed
        self.population = lambda
        self.parentCount = mu

        let raw = (1...lambda).map { _log((Double(lambda) + 1) / 2) - _log(Double($0)) }
        let pos = raw.prefix(mu)
        let sumPos = pos.reduce(0, +)
        let muEff = sumPos * sumPos / pos.reduce(0) { $0 + $1 * $1 }
        let cSigma = (muEff + 2) / (n + muEff + 5)
        let c1 = 2 / ((n + 1.3) * (n + 1.3) + muEff)
        let cmu = min(1 - c1, 2 * (0.25 + muEff + 1 / muEff - 2) / ((n + 2) * (n + 2) + muEff))
        var w = raw
        let sumPositive = raw.filter { $0 > 0 }.reduce(0, +)
        for i in 0..<lambda where raw[i] >= 0 { w[i] = raw[i] / sumPositive }
        let negative = raw.filter { $0 < 0 }
        if activeCovariance && !negative.isEmpty {
            let sumNeg = negative.reduce(0) { $0 + abs($1) }
            let muEffNeg = sumNeg * sumNeg / negative.reduce(0) { $0 + $1 * $1 }
            let alphaMu = 1 + c1 / cmu
            let alphaMuEff = 1 + 2 * muEffNeg / (muEff + 2)
            let alphaPosDef = (1 - c1 - cmu) / (n * cmu)
            let scale = min(alphaMu, alphaMuEff, alphaPosDef) / sumNeg
            for i in 0..<lambda where raw[i] < 0 { w[i] = raw[i] * scale }
        } else {
            for i in 0..<lambda where raw[i] < 0 { w[i] = 0 }
        }
        self.weights = w
        self.muEff = muEff
        self.cSigma = cSigma
        self.dSigma = 1 + 2 * max(0, ((muEff - 1) / (n + 1)).squareRoot() - 1) + cSigma
        self.cc = (4 + muEff / n) / (n + 4 + 2 * muEff / n)
        self.c1 = c1
        self.cmu = cmu
        self.chiN = n.squareRoot() * (1 - 1 / (4 * n) + 1 / (21 * n * n))

        let m = initialMean ?? Array(repeating: 0.5, count: dimension)
        precondition(m.count == dimension && m.allSatisfy(\.isFinite), "CMAES initialMean needs \(dimension) finite values")
        self.mean = m
        self.previousMean = m
        self.sigma = initialSigma
        var identity = [Double](repeating: 0, count: dimension * dimension)
        for i in 0..<dimension { identity[i * dimension + i] = 1 }
        self.covariance = identity
        self.eigenBasis = identity
        self.axisLengths = Array(repeating: 1, count: dimension)
        self.pathSigma = Array(repeating: 0, count: dimension)
        self.pathC = Array(repeating: 0, count: dimension)
        self.boundWeights = Array(repeating: 0, count: dimension)
    }

    /// Ratio of the longest to the shortest axis of the distribution, √(cond C).
    public var axisRatio: Double {
        let lo = axisLengths.min() ?? 1, hi = axisLengths.max() ?? 1
        return lo > 0 ? hi / lo : .infinity
    }

    public mutating func ask() -> [[Double]] {
        if pendingRaw == nil {
            let n = dimension, g = generation, seed = seed
            var raw: [[Double]] = []
            raw.reserveCapacity(population)
            for k in 0..<population {
                var rng = OptimizerSupport.stream(seed: seed, generation: g, id: k)
                var dz = [Double](repeating: 0, count: n)
                for j in 0..<n { dz[j] = axisLengths[j] * rng.nextNormal() }
                var x = mean
                for i in 0..<n {
                    var s = 0.0
                    for j in 0..<n { s += eigenBasis[i * n + j] * dz[j] }
                    x[i] += sigma * s
                }
                raw.append(x)
            }
            pendingRaw = raw
        }
        return pendingRaw!.map { $0.map(OptimizerSupport.clampUnit) }
    }

    public mutating func tell(_ losses: [Double]) {
        guard let raw = pendingRaw else { preconditionFailure("CMAES.tell called without a pending ask()") }
        precondition(losses.count == raw.count, "CMAES.tell got \(losses.count) losses for \(raw.count) candidates")
        let clipped = raw.map { $0.map(OptimizerSupport.clampUnit) }
        OptimizerSupport.updateBest(&best, candidates: clipped, losses: losses)
        pendingRaw = nil
        defer { generation += 1 }
        guard losses.contains(where: \.isFinite) else { return }

        let n = dimension, lambda = population
        let f = losses.map(OptimizerSupport.rankable)
        let penalties = boxPenalties(raw: raw, clipped: clipped, losses: f)
        let selection = zip(f, penalties).map { $0 + $1 }
        let order = OptimizerSupport.ranking(selection)

        // y_i = (x_{i:λ} - m)/σ, and the weighted step ⟨y⟩.
        let ys: [[Double]] = order.map { k in (0..<n).map { (raw[k][$0] - mean[$0]) / sigma } }
        var yw = [Double](repeating: 0, count: n)
        for i in 0..<parentCount { for j in 0..<n { yw[j] += weights[i] * ys[i][j] } }

        previousMean = mean
        for j in 0..<n { mean[j] += sigma * yw[j] }

        // C^{-1/2}v = B·D⁻¹·Bᵀv.
        func invSqrtC(_ v: [Double]) -> [Double] {
            var t = [Double](repeating: 0, count: n)
            for a in 0..<n {
                var s = 0.0
                for i in 0..<n { s += eigenBasis[i * n + a] * v[i] }
                t[a] = s / axisLengths[a]
            }
            var r = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var s = 0.0
                for a in 0..<n { s += eigenBasis[i * n + a] * t[a] }
                r[i] = s
            }
            return r
        }

        let cs = cSigma
        let zw = invSqrtC(yw)
        let csFactor = (cs * (2 - cs) * muEff).squareRoot()
        for j in 0..<n { pathSigma[j] = (1 - cs) * pathSigma[j] + csFactor * zw[j] }
        let psNorm = pathSigma.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let correction = (1 - _pow(1 - cs, 2 * Double(generation + 1))).squareRoot()
        let hSigma: Double = psNorm / max(correction, 1e-300) < (1.4 + 2 / (Double(n) + 1)) * chiN ? 1 : 0
        let ccFactor = (cc * (2 - cc) * muEff).squareRoot()
        for j in 0..<n { pathC[j] = (1 - cc) * pathC[j] + hSigma * ccFactor * yw[j] }

        // Covariance: decay, rank-one, rank-μ (with the negative weights rescaled).
        var adjusted = weights
        for i in 0..<lambda where weights[i] < 0 {
            let z = invSqrtC(ys[i])
            let norm2 = z.reduce(0) { $0 + $1 * $1 }
            adjusted[i] = norm2 > 0 ? weights[i] * Double(n) / norm2 : 0
        }
        let decay = 1 + c1 * (1 - hSigma) * cc * (2 - cc) - c1 - cmu * weights.reduce(0, +)
        let flat = ys.flatMap { $0 }
        let active = (0..<lambda).filter { adjusted[$0] != 0 }
        flat.withUnsafeBufferPointer { yb in
            covariance.withUnsafeMutableBufferPointer { cb in
                let y = yb.baseAddress!, c = cb.baseAddress!
                for a in 0..<n {
                    for b in a..<n {
                        var rankMu = 0.0
                        for i in active { rankMu += adjusted[i] * y[i * n + a] * y[i * n + b] }
                        let v = decay * c[a * n + b] + c1 * pathC[a] * pathC[b] + cmu * rankMu
                        c[a * n + b] = v
                        c[b * n + a] = v
                    }
                }
            }
        }

        sigma *= _exp(min(1, (cs / dSigma) * (psNorm / chiN - 1)))
        var maxDiag = 0.0
        for i in 0..<n { maxDiag = max(maxDiag, covariance[i * n + i]) }
        if maxDiag > 0, sigma * maxDiag.squareRoot() > 10 { sigma = 10 / maxDiag.squareRoot() }

        decompose()
    }

    /// B and D from C (eigenvalues floored at 1e-20 of the largest, which keeps C^{-1/2} finite).
    private mutating func decompose() {
        let n = dimension
        let (values, vectors) = Self.symmetricEigen(covariance, n: n)
        let top = max(values.max() ?? 1, 1e-300)
        eigenBasis = vectors
        axisLengths = values.map { max($0, top * 1e-20).squareRoot() }
    }

    /// The penalty of each candidate for lying outside the box (see the type's documentation).
    private mutating func boxPenalties(raw: [[Double]], clipped: [[Double]], losses: [Double]) -> [Double] {
        let n = dimension
        var meanDiag = 0.0
        for i in 0..<n { meanDiag += covariance[i * n + i] }
        meanDiag /= Double(n)
        // Typical loss difference per unit squared step: IQR/(n·σ²·mean diag C).
        let sorted = losses.sorted()
        var value = (Self.percentile(sorted, 75) - Self.percentile(sorted, 25)) / Double(n) / meanDiag / (sigma * sigma)
        var usable = true
        if !value.isFinite {
            if let v = fitnessRangeHistory.max() { value = v } else { usable = false }
        } else if value == 0 {
            if let v = fitnessRangeHistory.filter({ $0 > 0 }).min() { value = v } else { usable = false }
        } else if !validFitnessRangeSeen {
            fitnessRangeHistory = []
            validFitnessRangeSeen = true
        }
        if usable {
            fitnessRangeHistory.append(value)
            let keep = 20 + (3 * n) / population
            if fitnessRangeHistory.count > keep { fitnessRangeHistory.removeFirst(fitnessRangeHistory.count - keep) }
        }
        let meanOutside = mean.map { $0 < 0 || $0 > 1 }
        if boundInitialPhase && meanOutside.contains(true) && !fitnessRangeHistory.isEmpty {
            let h = fitnessRangeHistory.sorted()
            let median = h.count % 2 == 1 ? h[h.count / 2] : 0.5 * (h[h.count / 2 - 1] + h[h.count / 2])
            for i in 0..<n {
                let dd = meanDiag > 0 ? covariance[i * n + i] / meanDiag : 1
                boundWeights[i] = 2.0002 * median / (dd > 0 ? dd : 1)
            }
            if validFitnessRangeSeen && generation > 2 { boundInitialPhase = false }
        }
        if meanOutside.contains(true) {
            let limit = 3 * max(1, Double(n).squareRoot() / muEff) * sigma
            let factor = _pow(1.2, min(1, muEff / 10 / Double(n)))
            for i in 0..<n where meanOutside[i] {
                let outside = mean[i] - OptimizerSupport.clampUnit(mean[i])
                let moving = mean[i] - previousMean[i]
                if abs(outside) > limit * covariance[i * n + i].squareRoot() && outside * moving > 0 {
                    boundWeights[i] *= factor
                }
            }
        }
        return zip(raw, clipped).map { x, c in
            var p = 0.0
            for i in 0..<n where x[i] != c[i] { p += boundWeights[i] * (x[i] - c[i]) * (x[i] - c[i]) }
            return p
        }
    }

    /// Percentile of sorted values as Hansen's cmaes.m (myprctile): the i-th of N sorted values
    /// sits at 100·(i - 0.5)/N percent, linear in between, clamped at the ends.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let count = sorted.count
        guard count > 1 else { return sorted.first ?? 0 }
        let pos = p / 100 * Double(count) - 0.5       // fractional index
        if pos <= 0 { return sorted[0] }
        if pos >= Double(count - 1) { return sorted[count - 1] }
        let i = Int(pos.rounded(.down)), t = pos - Double(i)
        let lo = sorted[i], hi = sorted[i + 1]
        if lo == hi { return lo }
        return lo + t * (hi - lo)
    }

    /// Eigenvalues and eigenvectors (the columns of the returned row-major matrix) of a symmetric
    /// n×n matrix by cyclic Jacobi rotations (Golub & Van Loan, Matrix Computations, §8.5). Each
    /// rotation zeroes a_pq with t = sgn(θ)/(|θ| + √(θ²+1)), θ = (a_qq - a_pp)/(2a_pq),
    /// c = 1/√(1+t²), s = t·c. Sweeps stop once every |a_pq| ≤ 1e-17·√|a_pp·a_qq| (which gives
    /// the small eigenvalues to high relative accuracy) or after 60 sweeps.
    public static func symmetricEigen(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n, "symmetricEigen needs an n×n matrix")
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        a.withUnsafeMutableBufferPointer { ab in
            v.withUnsafeMutableBufferPointer { vb in
                let a = ab.baseAddress!, v = vb.baseAddress!
                for _ in 0..<60 {
                    var rotated = false
                    var p = 0
                    while p < n - 1 {
                        var q = p + 1
                        while q < n {
                            let apq = a[p * n + q]
                            let app = a[p * n + p], aqq = a[q * n + q]
                            if abs(apq) <= 1e-17 * abs(app * aqq).squareRoot() || abs(apq) < 1e-300 { q += 1; continue }
                            rotated = true
                            let theta = (aqq - app) / (2 * apq)
                            let t: Double
                            if abs(theta) > 1e150 {
                                t = 1 / (2 * theta)
                            } else {
                                t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                            }
                            let c = 1 / (t * t + 1).squareRoot(), s = t * c
                            // The rotation on n pairs (x[k*stride], y[k*stride]): columns p and q
                            // of A (stride n), then its rows p and q (stride 1), then V's columns.
                            func rotate(_ x: UnsafeMutablePointer<Double>, _ y: UnsafeMutablePointer<Double>, stride: Int) {
                                var k = 0
                                while k < n {
                                    let xk = x[k * stride], yk = y[k * stride]
                                    x[k * stride] = c * xk - s * yk
                                    y[k * stride] = s * xk + c * yk
                                    k += 1
                                }
                            }
                            rotate(a + p, a + q, stride: n)
                            rotate(a + p * n, a + q * n, stride: 1)
                            a[p * n + q] = 0
                            a[q * n + p] = 0
                            rotate(v + p, v + q, stride: n)
                            q += 1
                        }
                        p += 1
                    }
                    if !rotated { break }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }
}
