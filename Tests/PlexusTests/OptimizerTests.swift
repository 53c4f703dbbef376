import XCTest
import PlexusCore
@testable import PlexusFit

/// The ask/tell optimisers of PlexusFit: determinism (a fit resumes by replaying its losses),
/// the grid's order, CMA-ES against the reference implementation's evaluation counts, the other
/// optimisers' progress on a sphere, and non-finite losses.
final class OptimizerTests: XCTestCase {
    // MARK: Test functions on the unit box (optimum inside, away from the centre)

    /// Centres spread over 0.3...0.7, so the box centre (the CMA-ES start) is not the optimum.
    static func centre(_ n: Int) -> [Double] { (0..<n).map { 0.3 + 0.4 * Double($0) / Double(max(1, n - 1)) } }

    /// Sphere Σ (10(x_i - c_i))²; f = 14.7 at the box centre in 10-D.
    static func sphere(_ x: [Double]) -> Double {
        let c = centre(x.count)
        var s = 0.0
        for i in x.indices { let y = 10 * (x[i] - c[i]); s += y * y }
        return s
    }

    /// Ellipsoid Σ 10^(6(i-1)/(n-1)) (10(x_i - c_i))², condition 1e6.
    static func ellipsoid(_ x: [Double]) -> Double {
        let c = centre(x.count), n = x.count
        var s = 0.0
        for i in x.indices { let y = 10 * (x[i] - c[i]); s += _pow(1e6, Double(i) / Double(n - 1)) * y * y }
        return s
    }

    /// Rosenbrock Σ 100(y_i² - y_{i+1})² + (y_i - 1)² with y = 1 + 5(x - 0.7): the optimum is at
    /// x = 0.7 and the box centre maps to y = 0, the usual start; the local optimum near
    /// y_1 = -1 (x_1 = 0.3) is inside the box too.
    static func rosenbrock(_ x: [Double]) -> Double {
        let y = x.map { 1 + 5 * ($0 - 0.7) }
        var s = 0.0
        for i in 0..<(y.count - 1) {
            let a = y[i] * y[i] - y[i + 1], b = y[i] - 1
            s += 100 * a * a + b * b
        }
        return s
    }

    /// Plain sphere Σ (x_i - c_i)² for the low-dimensional checks.
    static func smallSphere(_ x: [Double]) -> Double {
        let c = centre(x.count)
        var s = 0.0
        for i in x.indices { s += (x[i] - c[i]) * (x[i] - c[i]) }
        return s
    }

    struct Run {
        var evaluations = 0
        var best = Double.infinity
        /// Mean loss of the first generation (the "start" of the progress checks).
        var start = Double.nan
        var generations: [[[Double]]] = []
        var losses: [[Double]] = []
    }

    /// Asks and tells until `budget` evaluations, `target` reached, or the optimiser is done.
    static func drive<O: Optimizer>(_ optimizer: inout O, budget: Int, target: Double = -.infinity,
                                    record: Bool = false, _ f: ([Double]) -> Double) -> Run {
        var run = Run()
        while run.evaluations < budget {
            let xs = optimizer.ask()
            if xs.isEmpty { break }
            let ls = xs.map(f)
            if run.start.isNaN { run.start = ls.reduce(0, +) / Double(ls.count) }
            if record { run.generations.append(xs); run.losses.append(ls) }
            run.evaluations += xs.count
            optimizer.tell(ls)
            run.best = optimizer.best?.loss ?? .infinity
            if run.best < target { break }
        }
        return run
    }

    static func make(_ kind: OptimizerKind, dimension: Int, seed: UInt64) -> any Optimizer {
        // A small grid keeps the grid's checks short; the others take their defaults.
        let settings = OptimizerSettings(pointsPerAxis: [4])
        return try! makeOptimizer(kind, dimension: dimension, seed: seed, settings: settings)
    }

    // MARK: Determinism

    func testSameSeedGivesTheSameCandidatesAndOtherSeedsDiffer() {
        for kind in OptimizerKind.allCases {
            var a = Self.make(kind, dimension: 3, seed: 7)
            var b = Self.make(kind, dimension: 3, seed: 7)
            let ra = Self.drive(&a, budget: 600, record: true, Self.smallSphere)
            let rb = Self.drive(&b, budget: 600, record: true, Self.smallSphere)
            XCTAssertEqual(ra.generations, rb.generations, "\(kind)")
            XCTAssertGreaterThan(ra.generations.count, kind == .grid ? 0 : 3, "\(kind)")
            if kind != .grid {
                var c = Self.make(kind, dimension: 3, seed: 8)
                XCTAssertNotEqual(c.ask(), ra.generations[0], "\(kind): another seed, other candidates")
            }
        }
    }

    /// An interrupted fit resumes by replaying the recorded losses into a fresh optimiser: the
    /// next generation (and `best`) are those the original would have produced.
    func testReplayingToldLossesReproducesTheNextGeneration() {
        for kind in OptimizerKind.allCases {
            var original = Self.make(kind, dimension: 4, seed: 42)
            let run = Self.drive(&original, budget: kind == .grid ? 200 : 300, record: true, Self.smallSphere)
            var resumed = Self.make(kind, dimension: 4, seed: 42)
            for losses in run.losses {
                _ = resumed.ask()
                resumed.tell(losses)
            }
            XCTAssertEqual(resumed.generation, original.generation, "\(kind)")
            XCTAssertEqual(resumed.best, original.best, "\(kind)")
            let next = original.ask()
            XCTAssertEqual(resumed.ask(), next, "\(kind)")
            XCTAssertEqual(original.ask(), next, "\(kind): asking again before tell repeats the generation")
        }
    }

    /// Candidate k of generation g is drawn from the stream (seed, .optimizer, g, k).
    func testRandomSearchDrawsFromTheOptimizerStream() {
        var search = RandomSearch(dimension: 3, seed: 99, population: 4)
        _ = search.ask()
        search.tell([1, 2, 3, 4])
        let second = search.ask()
        var rng = RandomStream(seed: 99, purpose: .optimizer, index: 1, id: 2)
        XCTAssertEqual(second[2], [rng.nextDouble(), rng.nextDouble(), rng.nextDouble()])
    }

    func testCandidatesStayInTheUnitBox() {
        for kind in OptimizerKind.allCases {
            var optimizer = Self.make(kind, dimension: 5, seed: 3)
            // A loss that pulls towards a corner outside the box.
            let run = Self.drive(&optimizer, budget: 2000, record: true) { x in x.reduce(0) { $0 + ($1 - 1.5) * ($1 - 1.5) } }
            for x in run.generations.joined() {
                XCTAssertEqual(x.count, 5)
                XCTAssertTrue(x.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(kind): \(x)")
            }
        }
    }

    // MARK: Grid

    func testGridCoversTheCartesianProductFirstAxisSlowest() {
        var grid = GridSearch(pointsPerAxis: [3, 2, 1], population: 4)
        XCTAssertEqual(grid.pointCount, 6)
        let first = grid.ask()
        XCTAssertEqual(first, [[0, 0, 0.5], [0, 1, 0.5], [0.5, 0, 0.5], [0.5, 1, 0.5]])
        grid.tell([4, 3, .nan, 5])
        let second = grid.ask()
        XCTAssertEqual(second, [[1, 0, 0.5], [1, 1, 0.5]])
        grid.tell([9, 8])
        XCTAssertEqual(grid.ask(), [], "exhausted")
        XCTAssertEqual(grid.ask(), [], "and stays so")
        XCTAssertEqual(grid.best, EvaluatedCandidate(candidate: [0, 1, 0.5], loss: 3))
        XCTAssertEqual(grid.generation, 2)

        // All at once by default; every point exactly once.
        var whole = GridSearch(dimension: 3, pointsPerAxis: 5)
        let points = whole.ask()
        XCTAssertEqual(points.count, 125)
        let axis = [0, 0.25, 0.5, 0.75, 1.0]
        var expected: [[Double]] = []
        for a in axis { for b in axis { for c in axis { expected.append([a, b, c]) } } }
        XCTAssertEqual(points, expected)
        whole.tell(points.map(Self.smallSphere))
        XCTAssertEqual(whole.ask(), [])
        XCTAssertEqual(GridSearch.axisValues(1), [0.5])
    }

    // MARK: CMA-ES

    /// Strategy parameters of Table 1 (Hansen 2016). The weights, c_1, c_μ and c_c agree with
    /// pycma 4.5.0 (Hansen's reference implementation) to all printed digits; c_σ follows the
    /// tutorial and purecma, (μ_eff + 2)/(n + μ_eff + 5) (pycma's default divides by n + μ_eff + 3).
    func testCMAESDefaultParametersFollowTheTutorialTable() {
        let es = CMAES(dimension: 10, seed: 1)
        XCTAssertEqual(es.population, 10)
        XCTAssertEqual(es.parentCount, 5)
        XCTAssertEqual(es.muEff, 3.1672992814107, accuracy: 1e-12)
        let pycma = [0.456273, 0.270753, 0.162231, 0.085234, 0.02551,
                     -0.080013, -0.221764, -0.344555, -0.452864, -0.54975]
        for (w, p) in zip(es.weights, pycma) { XCTAssertEqual(w, p, accuracy: 1e-6) }
        XCTAssertEqual(es.weights.prefix(5).reduce(0, +), 1, accuracy: 1e-14)
        XCTAssertEqual(es.c1, 0.015283824524751714, accuracy: 1e-15)
        XCTAssertEqual(es.cmu, 0.02355177665041747, accuracy: 1e-15)
        XCTAssertEqual(es.cc, 0.29499038303562225, accuracy: 1e-15)
        XCTAssertEqual(es.cSigma, (es.muEff + 2) / (10 + es.muEff + 5), accuracy: 1e-15)
        XCTAssertEqual(es.dSigma, 1 + es.cSigma, accuracy: 1e-15)
        XCTAssertEqual(CMAES.defaultPopulation(dimension: 2), 6)
        XCTAssertEqual(CMAES.defaultPopulation(dimension: 50), 15)
        let positive = CMAES(dimension: 10, seed: 1, activeCovariance: false)
        XCTAssertEqual(positive.weights.suffix(5), [0, 0, 0, 0, 0])
    }

    /// Evaluations to reach f < 1e-10 in 10-D (λ = 10, m0 = box centre, σ0 = 0.3).
    static func cmaesEvaluations(_ f: ([Double]) -> Double, seed: UInt64, active: Bool = true, budget: Int = 20_000) -> Int? {
        var es = CMAES(dimension: 10, seed: seed, activeCovariance: active)
        let run = drive(&es, budget: budget, target: 1e-10, f)
        return run.best < 1e-10 ? run.evaluations : nil
    }

    // Reference counts: pycma 4.5.0 (Hansen's reference Python implementation, default aCMA-ES,
    // unbounded) on exactly these functions from x0 = 0.5, σ0 = 0.3, median of seeds 1-20:
    // sphere 1,760, ellipsoid 4,270, Rosenbrock 5,520 evaluations; with positive weights only
    // (CMA_active=False): 1,710 / 5,900 / 6,400; purecma (the tutorial's algorithm, positive
    // weights): 1,870 / 6,140 / 6,510. These agree with the published orders of magnitude for the
    // (5/5_w,10)-CMA-ES in 10-D (sphere ~1.5-2e3 to 1e-10; Rosenbrock ~5-7e3; ellipsoid ~6e3 without
    // negative weights; Hansen & Ostermeier 2001, Hansen 2016). This implementation, seeds 1-20:
    // sphere median 1,780 (1,610-1,840), ellipsoid 4,290 (3,720-4,850), Rosenbrock 5,480
    // (4,580-6,580); positive weights: 1,720 / 5,930 (5,300-6,470) / 6,310 (5 of 20 runs end in
    // Rosenbrock's local optimum, which pycma's docs put at about 20% of runs).
    // Each run below must stay within 1.5x the reference median (and not be implausibly fast).

    func testCMAESSphereMatchesReferenceEvaluationCount() {
        let counts = (1...4).map { Self.cmaesEvaluations(Self.sphere, seed: UInt64($0)) }
        for c in counts { XCTAssertLessThanOrEqual(c ?? .max, 2_640, "reference 1,760; counts \(counts)") }
        XCTAssertGreaterThan(counts.compactMap { $0 }.min() ?? 0, 1_100, "implausibly fast: \(counts)")
    }

    func testCMAESEllipsoidMatchesReferenceEvaluationCount() {
        let counts = (1...3).map { Self.cmaesEvaluations(Self.ellipsoid, seed: UInt64($0)) }
        for c in counts { XCTAssertLessThanOrEqual(c ?? .max, 6_405, "reference 4,270; counts \(counts)") }
        XCTAssertGreaterThan(counts.compactMap { $0 }.min() ?? 0, 2_800, "implausibly fast: \(counts)")
    }

    func testCMAESRosenbrockMatchesReferenceEvaluationCount() {
        let counts = (1...2).map { Self.cmaesEvaluations(Self.rosenbrock, seed: UInt64($0)) }
        for c in counts { XCTAssertLessThanOrEqual(c ?? .max, 8_280, "reference 5,520; counts \(counts)") }
        XCTAssertGreaterThan(counts.compactMap { $0 }.min() ?? 0, 3_500, "implausibly fast: \(counts)")
    }

    /// Without negative weights the ellipsoid takes the reference's ~5,900 evaluations, clearly
    /// more than with them (Jastrebski & Arnold 2006): the active update does its work. (Over
    /// seeds 1-20 the slowest active run, 4,850, beats the fastest positive one, 5,300.)
    func testCMAESActiveUpdateSpeedsUpTheEllipsoid() {
        for seed: UInt64 in [4] {
            let positive = Self.cmaesEvaluations(Self.ellipsoid, seed: seed, active: false) ?? .max
            let active = Self.cmaesEvaluations(Self.ellipsoid, seed: seed) ?? .max
            XCTAssertLessThanOrEqual(positive, 8_850, "reference 5,900")
            XCTAssertGreaterThan(positive, 4_000)
            XCTAssertLessThan(active, positive)
        }
    }

    /// An optimum outside the box: the search converges onto the face x_0 = 0 (the candidates
    /// are clipped; the penalty keeps the mean near the box), to the constrained minimum 0.04.
    func testCMAESConvergesOntoABoxFace() {
        let c = [-0.2, 0.4, 0.6, 0.5]
        var es = CMAES(dimension: 4, seed: 11)
        let run = Self.drive(&es, budget: 4000) { x in zip(x, c).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        XCTAssertLessThan(run.best - 0.04, 1e-9)
        XCTAssertEqual(es.best?.candidate[0], 0)
        XCTAssertEqual(es.best?.candidate[1] ?? 0, 0.4, accuracy: 1e-4)
        XCTAssertLessThan(es.mean[0], 0, "the mean sits just outside, where the clipped loss is flat")
        XCTAssertGreaterThan(es.mean[0], -0.05, "but the penalty keeps it near the face")
    }

    /// The Jacobi eigen solver: A·V = V·Λ and VᵀV = I, also with eigenvalues 1e-12 apart in scale.
    func testSymmetricEigenDecomposition() {
        let n = 12
        var rng = RandomStream(seed: 5, purpose: .user, id: 0)
        let q0 = (0..<(n * n)).map { _ in rng.nextNormal() }
        // An orthogonal Q by Gram-Schmidt, then A = Q·diag(λ)·Qᵀ with λ from 1e-12 to 1.
        var q = q0
        for j in 0..<n {
            for k in 0..<j {
                var dot = 0.0
                for i in 0..<n { dot += q[i * n + j] * q[i * n + k] }
                for i in 0..<n { q[i * n + j] -= dot * q[i * n + k] }
            }
            var norm = 0.0
            for i in 0..<n { norm += q[i * n + j] * q[i * n + j] }
            for i in 0..<n { q[i * n + j] /= norm.squareRoot() }
        }
        let lambda = (0..<n).map { _pow(10, -12 * Double($0) / Double(n - 1)) }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += q[i * n + k] * lambda[k] * q[j * n + k] } } }
        let (values, v) = CMAES.symmetricEigen(a, n: n)
        for i in 0..<n {
            for j in 0..<n {
                var av = 0.0, vtv = 0.0
                for k in 0..<n { av += a[i * n + k] * v[k * n + j]; vtv += v[k * n + i] * v[k * n + j] }
                XCTAssertEqual(av, v[i * n + j] * values[j], accuracy: 1e-14)
                XCTAssertEqual(vtv, i == j ? 1 : 0, accuracy: 1e-13)
            }
        }
        for (computed, exact) in zip(values.sorted(by: >), lambda) { XCTAssertEqual(computed, exact, accuracy: 1e-14) }
        XCTAssertEqual(values.max()! / values.min()!, 1e12, accuracy: 1e12 * 1e-3, "small eigenvalues keep their relative accuracy")
    }

    // MARK: Cross-entropy, genetic, random

    func testCrossEntropyReducesTheLossOnA4DSphere() {
        for seed: UInt64 in 1...3 {
            var ce = CrossEntropy(dimension: 4, seed: seed)
            let run = Self.drive(&ce, budget: 900, Self.smallSphere)
            XCTAssertLessThan(run.best, 1e-3 * run.start, "seed \(seed): \(run.best) from \(run.start)")
            var random = RandomSearch(dimension: 4, seed: seed, population: 30)
            let baseline = Self.drive(&random, budget: 900, Self.smallSphere)
            XCTAssertLessThan(run.best, 1e-2 * baseline.best, "seed \(seed): far better than random search")
        }
    }

    func testGeneticAlgorithmReducesTheLossOnA4DSphere() {
        for seed: UInt64 in 1...3 {
            var ga = GeneticAlgorithm(dimension: 4, seed: seed)
            var previousBestInPopulation = Double.infinity
            var run = Run()
            while run.evaluations < 1500 {
                let xs = ga.ask()
                XCTAssertTrue((1...ga.population).contains(xs.count))
                let ls = xs.map(Self.smallSphere)
                if run.start.isNaN { run.start = ls.reduce(0, +) / Double(ls.count) }
                run.evaluations += xs.count
                ga.tell(ls)
                // Elitism: the population's best never gets worse.
                let bestInPopulation = ga.losses.compactMap { $0 }.min()!
                XCTAssertLessThanOrEqual(bestInPopulation, previousBestInPopulation)
                previousBestInPopulation = bestInPopulation
            }
            let best = ga.best!.loss
            XCTAssertLessThan(best, 1e-3 * run.start, "seed \(seed): \(best) from \(run.start)")
            var random = RandomSearch(dimension: 4, seed: seed, population: 30)
            let baseline = Self.drive(&random, budget: 1500, Self.smallSphere)
            XCTAssertLessThan(best, 1e-2 * baseline.best, "seed \(seed): far better than random search")
        }
    }

    func testRandomSearchIsUniformAndFindsA2DSphereMinimum() {
        for seed: UInt64 in 1...3 {
            var search = RandomSearch(dimension: 2, seed: seed)
            let run = Self.drive(&search, budget: 8000, Self.smallSphere)
            XCTAssertLessThan(run.best, 1e-3 * run.start, "seed \(seed): \(run.best) from \(run.start)")
        }
        var search = RandomSearch(dimension: 3, seed: 1, population: 4000)
        let xs = search.ask().joined()
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count)
        XCTAssertEqual(mean, 0.5, accuracy: 0.015)
        XCTAssertEqual(variance, 1.0 / 12, accuracy: 0.004)
        XCTAssertTrue(xs.allSatisfy { $0 >= 0 && $0 < 1 })
    }

    // MARK: Non-finite losses

    func testNonFiniteLossesRankWorst() {
        XCTAssertEqual(OptimizerSupport.ranking([3, .nan, 1, .infinity, -.infinity, 2, 1]), [2, 6, 5, 0, 1, 3, 4])
    }

    /// NaN, +inf and -inf are all "worst": telling any of them leads to the same next candidates,
    /// and none of them becomes `best`.
    func testNaNAndInfinityAreTheSameWorstLoss() {
        for kind in OptimizerKind.allCases {
            var next: [[[Double]]] = []
            for bad in [Double.nan, .infinity, -.infinity] {
                var optimizer = Self.make(kind, dimension: 3, seed: 21)
                for g in 0..<6 {
                    let xs = optimizer.ask()
                    if xs.isEmpty { break }
                    optimizer.tell(xs.indices.map { k in g % 2 == 1 && k % 3 == 0 ? bad : Self.smallSphere(xs[k]) })
                    XCTAssertTrue(optimizer.best?.loss.isFinite ?? true, "\(kind)")
                }
                next.append(optimizer.ask())
            }
            XCTAssertEqual(next[0], next[1], "\(kind): NaN = +inf")
            XCTAssertEqual(next[0], next[2], "\(kind): -inf = +inf (worst, not best)")
        }
    }

    /// Failed runs in part of the box and whole generations of failures: no crash, the best stays
    /// finite and outside the failing region, and the search still converges.
    func testOptimisersSurviveFailedRuns() {
        let failing: ([Double]) -> Double = { x in x[0] > 0.8 ? .nan : Self.smallSphere(x) }
        for kind in OptimizerKind.allCases {
            var optimizer = kind == .grid ? GridSearch(dimension: 2, pointsPerAxis: 6, population: 6) : Self.make(kind, dimension: 2, seed: 5)
            let first = optimizer.ask()
            optimizer.tell(Array(repeating: .nan, count: first.count))
            XCTAssertNil(optimizer.best, "\(kind): no finite loss yet")
            let run = Self.drive(&optimizer, budget: 1500, failing)
            XCTAssertTrue(run.best.isFinite, "\(kind)")
            XCTAssertLessThanOrEqual(optimizer.best!.candidate[0], 0.8, "\(kind)")
            if kind == .crossEntropy || kind == .genetic || kind == .cmaes {
                XCTAssertLessThan(run.best, 1e-4, "\(kind) still converges")
            }
        }
        // CMA-ES: a generation of nothing but failures changes nothing but the generation count.
        var es = CMAES(dimension: 3, seed: 2)
        _ = Self.drive(&es, budget: 60, Self.smallSphere)
        let (mean, sigma, covariance) = (es.mean, es.sigma, es.covariance)
        let xs = es.ask()
        es.tell(Array(repeating: .nan, count: xs.count))
        XCTAssertEqual(es.mean, mean)
        XCTAssertEqual(es.sigma, sigma)
        XCTAssertEqual(es.covariance, covariance)
        XCTAssertNotEqual(es.ask(), xs, "a new generation draws new candidates")
        // And CMA-ES in 10-D with a tenth of all runs failing still reaches 1e-10 on the sphere.
        var flaky = CMAES(dimension: 10, seed: 3)
        var count = 0
        let run = Self.drive(&flaky, budget: 6000, target: 1e-10) { x in
            count += 1
            return count % 10 == 0 || x[0] > 0.95 ? .nan : Self.sphere(x)
        }
        XCTAssertLessThan(run.best, 1e-10, "after \(run.evaluations) evaluations")
    }

    // MARK: Factory

    func testFactoryBuildsEachKindWithItsDefaults() throws {
        XCTAssertEqual((try makeOptimizer(.cmaes, dimension: 10, seed: 1) as? CMAES)?.population, 10)
        XCTAssertEqual((try makeOptimizer(.cmaes, dimension: 3, seed: 1, population: 20) as? CMAES)?.population, 20)
        XCTAssertEqual((try makeOptimizer(.random, dimension: 3, seed: 1) as? RandomSearch)?.population, 16)
        XCTAssertEqual((try makeOptimizer(.crossEntropy, dimension: 3, seed: 1) as? CrossEntropy)?.eliteCount, 6)
        let ga = try makeOptimizer(.genetic, dimension: 4, seed: 1) as? GeneticAlgorithm
        XCTAssertEqual(ga?.population, 30)
        XCTAssertEqual(ga?.geneMutationProbability, 0.25)
        let grid = try makeOptimizer(.grid, dimension: 2, seed: 1, settings: OptimizerSettings(pointsPerAxis: [3, 4])) as? GridSearch
        XCTAssertEqual(grid?.pointCount, 12)
        XCTAssertEqual((try makeOptimizer(.grid, dimension: 3, seed: 1) as? GridSearch)?.pointCount, 125)
        let es = try makeOptimizer(.cmaes, dimension: 2, seed: 1,
                                   settings: OptimizerSettings(initialMean: [0.2, 0.8], initialSigma: 0.1)) as? CMAES
        XCTAssertEqual(es?.mean, [0.2, 0.8])
        XCTAssertEqual(es?.sigma, 0.1)

        XCTAssertThrowsError(try makeOptimizer(.crossEntropy, dimension: 2, seed: 1, settings: OptimizerSettings(eliteFraction: 1.5)))
        XCTAssertThrowsError(try makeOptimizer(.crossEntropy, dimension: 2, seed: 1, settings: OptimizerSettings(smoothing: 1)))
        XCTAssertThrowsError(try makeOptimizer(.grid, dimension: 3, seed: 1, settings: OptimizerSettings(pointsPerAxis: [2, 2])))
        XCTAssertThrowsError(try makeOptimizer(.grid, dimension: 40, seed: 1, settings: OptimizerSettings(pointsPerAxis: [10])))
        XCTAssertThrowsError(try makeOptimizer(.genetic, dimension: 2, seed: 1, population: 1))
        XCTAssertThrowsError(try makeOptimizer(.cmaes, dimension: 2, seed: 1, settings: OptimizerSettings(initialMean: [0.5])))
        XCTAssertThrowsError(try makeOptimizer(.random, dimension: 0, seed: 1))

        XCTAssertEqual(OptimizerKind(name: "CMA-ES"), .cmaes)
        XCTAssertEqual(OptimizerKind(name: "cross_entropy"), .crossEntropy)
        XCTAssertEqual(OptimizerKind(name: "crossEntropy"), .crossEntropy)
        XCTAssertEqual(OptimizerKind(name: "GA"), .genetic)
        XCTAssertEqual(OptimizerKind(name: "grid_search"), .grid)
        XCTAssertNil(OptimizerKind(name: "simplex"))
        XCTAssertEqual(OptimizerKind.cmaes.defaultPopulation(dimension: 10), 10)
    }
}
