import PlexusCore

/// The cross-entropy method with a Gaussian of full covariance (as L2L's CrossEntropyOptimizer
/// with its `Gaussian` distribution; Rubinstein & Kroese 2004).
///
/// Generation 0 is uniform in the box, and the distribution starts at the box's own moments
/// (mean 0.5, covariance I/12). Every later generation samples x ~ N(m, Σ) and clips it into
/// [0,1]^d (as L2L's bounding function does). After each generation the best
/// n_e = max(1, floor(ρ·λ)) candidates (ρ = `eliteFraction`) give the maximum-likelihood fit
///
///     m_e = (1/n_e) Σ x_i,    Σ_e = (1/n_e) Σ (x_i - m_e)(x_i - m_e)^T
///
/// and the distribution is smoothed towards it (s = `smoothing`, L2L's convention):
///
///     m ← s·m + (1-s)·m_e,    Σ ← s·Σ + (1-s)·Σ_e
///
/// Smoothing keeps Σ positive definite while the elite alone would be rank-deficient (n_e ≤ d)
/// and slows the variance collapse that makes plain CE converge prematurely. Candidate k of
/// generation g draws from the stream (seed, .optimizer, g, k). Non-finite losses rank last and
/// never enter the elite; a generation with no finite loss leaves the distribution as it was.
/// Left out from L2L: the temperature-based admission of non-elite samples (off by default
/// there, temp_decay = 0) and the noisy / mixture distributions.
public struct CrossEntropy: Optimizer {
    public static let defaultPopulation = 30
    public static let defaultEliteFraction = 0.2
    public static let defaultSmoothing = 0.2

    public let dimension: Int
    public let seed: UInt64
    /// Candidates per generation (λ).
    public let population: Int
    public let eliteFraction: Double
    public let smoothing: Double
    /// Elite candidates per generation: max(1, floor(eliteFraction · population)).
    public let eliteCount: Int
    public private(set) var generation = 0
    public private(set) var best: EvaluatedCandidate?
    /// The sampling distribution's mean.
    public private(set) var mean: [Double]
    /// The sampling distribution's covariance, row-major d×d.
    public private(set) var covariance: [Double]
    private var pending: [[Double]]?

    public init(dimension: Int, seed: UInt64, population: Int = CrossEntropy.defaultPopulation,
                eliteFraction: Double = CrossEntropy.defaultEliteFraction,
                smoothing: Double = CrossEntropy.defaultSmoothing) {
        precondition(dimension >= 1, "CrossEntropy dimension must be at least 1")
        precondition(population >= 1, "CrossEntropy population must be at least 1")
        precondition(eliteFraction > 0 && eliteFraction <= 1, "CrossEntropy eliteFraction must be in (0, 1]")
        precondition(smoothing >= 0 && smoothing < 1, "CrossEntropy smoothing must be in [0, 1)")
        self.dimension = dimension
        self.seed = seed
        self.population = population
        self.eliteFraction = eliteFraction
        self.smoothing = smoothing
        self.eliteCount = max(1, Int((eliteFraction * Double(population)).rounded(.down)))
        self.mean = Array(repeating: 0.5, count: dimension)
        var c = [Double](repeating: 0, count: dimension * dimension)
        for i in 0..<dimension { c[i * dimension + i] = 1.0 / 12.0 }
        self.covariance = c
    }

    public mutating func ask() -> [[Double]] {
        if let pending { return pending }
        let d = dimension, g = generation, seed = seed
        var batch: [[Double]] = []
        batch.reserveCapacity(population)
        if g == 0 {
            for k in 0..<population {
                var rng = OptimizerSupport.stream(seed: seed, generation: g, id: k)
                batch.append((0..<d).map { _ in rng.nextDouble() })
            }
        } else {
            let l = Self.choleskyWithJitter(covariance, n: d)
            for k in 0..<population {
                var rng = OptimizerSupport.stream(seed: seed, generation: g, id: k)
                let z = (0..<d).map { _ in rng.nextNormal() }
                var x = mean
                for i in 0..<d {
                    var s = 0.0
                    for j in 0...i { s += l[i * d + j] * z[j] }
                    x[i] = OptimizerSupport.clampUnit(x[i] + s)
                }
                batch.append(x)
            }
        }
        pending = batch
        return batch
    }

    public mutating func tell(_ losses: [Double]) {
        let candidates = OptimizerSupport.checkTell(losses, pending: pending, "CrossEntropy")
        OptimizerSupport.updateBest(&best, candidates: candidates, losses: losses)
        let elite = OptimizerSupport.ranking(losses).prefix(eliteCount).filter { losses[$0].isFinite }
        if !elite.isEmpty {
            let d = dimension, n = Double(elite.count)
            var m = [Double](repeating: 0, count: d)
            for i in elite { for a in 0..<d { m[a] += candidates[i][a] } }
            for a in 0..<d { m[a] /= n }
            var c = [Double](repeating: 0, count: d * d)
            for i in elite {
                let x = candidates[i]
                for a in 0..<d {
                    let da = x[a] - m[a]
                    for b in a..<d { c[a * d + b] += da * (x[b] - m[b]) }
                }
            }
            let s = smoothing
            for a in 0..<d {
                mean[a] = s * mean[a] + (1 - s) * m[a]
                for b in a..<d {
                    let v = s * covariance[a * d + b] + (1 - s) * c[a * d + b] / n
                    covariance[a * d + b] = v
                    covariance[b * d + a] = v
                }
            }
        }
        generation += 1
        pending = nil
    }

    /// Lower Cholesky factor (row-major) of a symmetric positive semi-definite matrix, adding
    /// ε·mean(diag)·I with growing ε if rounding leaves it not quite positive definite.
    static func choleskyWithJitter(_ a: [Double], n: Int) -> [Double] {
        var scale = 0.0
        for i in 0..<n { scale += abs(a[i * n + i]) }
        scale = scale > 0 ? scale / Double(n) : 1
        var jitter = 0.0
        for _ in 0..<40 {
            if let l = cholesky(a, n: n, jitter: jitter) { return l }
            jitter = jitter == 0 ? 1e-15 * scale : jitter * 10
        }
        // Unreachable for finite input; fall back to the square roots of the diagonal.
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n { l[i * n + i] = max(0, a[i * n + i]).squareRoot() }
        return l
    }

    static func cholesky(_ a: [Double], n: Int, jitter: Double) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j] + (i == j ? jitter : 0)
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard s > 0, s.isFinite else { return nil }
                    l[i * n + i] = s.squareRoot()
                } else {
                    l[i * n + j] = s / l[j * n + j]
                }
            }
        }
        return l
    }
}
