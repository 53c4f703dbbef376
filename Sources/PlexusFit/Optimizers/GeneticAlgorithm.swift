import PlexusCore

/// A generational genetic algorithm on real vectors, after L2L's GeneticAlgorithmOptimizer (which
/// runs DEAP's eaSimple loop with cxBlend, mutGaussian and selTournament), plus elitism.
///
/// Generation 0 is `population` points uniform in the box. Each later generation is built from
/// the last one (all of whose losses are known) with the generation's single stream
/// (seed, .optimizer, g, 0), drawn in this fixed order:
/// 1. elitism: the best `eliteCount` individuals are copied unchanged;
/// 2. tournament selection: each of the other λ - e slots takes the best of `tournamentSize`
///    individuals drawn uniformly with replacement (first drawn wins ties);
/// 3. blend crossover (BLX-α): consecutive offspring pairs are crossed with probability
///    `crossoverProbability`; per gene, γ = (1 + 2α)·u - α with u ~ U[0,1) and
///    x1' = (1-γ)·x1 + γ·x2, x2' = γ·x1 + (1-γ)·x2;
/// 4. Gaussian mutation: with probability `mutationProbability` an offspring is mutated, each gene
///    with probability `geneMutationProbability`: x ← x + σ·N(0,1), σ = `mutationSigma` in
///    unit-box coordinates;
/// 5. an offspring equal to an elite or to an earlier offspring gets every gene mutated (L2L
///    mutates such duplicates with probability 0.8; here always, so no run is spent twice).
/// Every operator clips into [0,1] (L2L's bounding function). As in DEAP, an individual that no
/// operator changed keeps its loss and is not evaluated again: ask() returns only the new
/// individuals, so a generation may hold fewer than λ candidates (never none).
/// Non-finite losses rank worst in elitism and tournaments.
public struct GeneticAlgorithm: Optimizer {
    public static let defaultPopulation = 30
    public static let defaultCrossoverProbability = 0.5
    public static let defaultBlendAlpha = 0.5
    public static let defaultMutationProbability = 0.3
    public static let defaultMutationSigma = 0.1
    public static let defaultTournamentSize = 3
    public static let defaultEliteCount = 1

    public let dimension: Int
    public let seed: UInt64
    /// Individuals per generation (λ).
    public let population: Int
    public let crossoverProbability: Double
    public let blendAlpha: Double
    public let mutationProbability: Double
    public let geneMutationProbability: Double
    public let mutationSigma: Double
    public let tournamentSize: Int
    public let eliteCount: Int
    public private(set) var generation = 0
    public private(set) var best: EvaluatedCandidate?

    /// The current population and its losses (nil: not yet evaluated).
    public private(set) var individuals: [[Double]] = []
    public private(set) var losses: [Double?] = []
    /// Indices into `individuals` of the candidates of the pending ask().
    private var pendingIndices: [Int]?

    public init(dimension: Int, seed: UInt64, population: Int = GeneticAlgorithm.defaultPopulation,
                crossoverProbability: Double = GeneticAlgorithm.defaultCrossoverProbability,
                blendAlpha: Double = GeneticAlgorithm.defaultBlendAlpha,
                mutationProbability: Double = GeneticAlgorithm.defaultMutationProbability,
                geneMutationProbability: Double? = nil,
                mutationSigma: Double = GeneticAlgorithm.defaultMutationSigma,
                tournamentSize: Int = GeneticAlgorithm.defaultTournamentSize,
                eliteCount: Int = GeneticAlgorithm.defaultEliteCount) {
        precondition(dimension >= 1, "GeneticAlgorithm dimension must be at least 1")
        precondition(population >= 2, "GeneticAlgorithm population must be at least 2")
        precondition(eliteCount >= 0 && eliteCount < population, "GeneticAlgorithm eliteCount must be in 0..<population")
        precondition(tournamentSize >= 1, "GeneticAlgorithm tournamentSize must be at least 1")
        precondition(mutationSigma > 0 && mutationSigma.isFinite, "GeneticAlgorithm mutationSigma must be > 0")
        precondition(blendAlpha >= 0 && blendAlpha.isFinite, "GeneticAlgorithm blendAlpha must be >= 0")
        for p in [crossoverProbability, mutationProbability, geneMutationProbability ?? 0] {
            precondition(p >= 0 && p <= 1, "GeneticAlgorithm probabilities must be in [0, 1]")
        }
        self.dimension = dimension
        self.seed = seed
        self.population = population
        self.crossoverProbability = crossoverProbability
        self.blendAlpha = blendAlpha
        self.mutationProbability = mutationProbability
        self.geneMutationProbability = geneMutationProbability ?? 1.0 / Double(dimension)
        self.mutationSigma = mutationSigma
        self.tournamentSize = tournamentSize
        self.eliteCount = eliteCount
    }

    public mutating func ask() -> [[Double]] {
        if pendingIndices == nil {
            if generation == 0 { initialPopulation() } else { breed() }
        }
        return pendingIndices!.map { individuals[$0] }
    }

    public mutating func tell(_ losses: [Double]) {
        guard let indices = pendingIndices else { preconditionFailure("GeneticAlgorithm.tell called without a pending ask()") }
        precondition(losses.count == indices.count,
                     "GeneticAlgorithm.tell got \(losses.count) losses for \(indices.count) candidates")
        OptimizerSupport.updateBest(&best, candidates: indices.map { individuals[$0] }, losses: losses)
        for (i, loss) in zip(indices, losses) { self.losses[i] = loss }
        generation += 1
        pendingIndices = nil
    }

    private mutating func initialPopulation() {
        let d = dimension, seed = seed
        individuals = (0..<population).map { k in
            var rng = OptimizerSupport.stream(seed: seed, generation: 0, id: k)
            return (0..<d).map { _ in rng.nextDouble() }
        }
        losses = Array(repeating: nil, count: population)
        pendingIndices = Array(0..<population)
    }

    private func key(_ i: Int) -> Double { OptimizerSupport.rankable(losses[i] ?? .infinity) }

    private mutating func breed() {
        var rng = OptimizerSupport.stream(seed: seed, generation: generation, id: 0)
        let d = dimension, n = population
        // 1. Elitism.
        let order = individuals.indices.sorted { key($0) != key($1) ? key($0) < key($1) : $0 < $1 }
        var next: [[Double]] = order.prefix(eliteCount).map { individuals[$0] }
        var nextLoss: [Double?] = order.prefix(eliteCount).map { losses[$0] }
        // 2. Tournament selection.
        var offspring: [[Double]] = []
        var offspringLoss: [Double?] = []
        for _ in eliteCount..<n {
            var winner = rng.nextInt(below: n)
            for _ in 1..<max(tournamentSize, 1) {
                let c = rng.nextInt(below: n)
                if key(c) < key(winner) { winner = c }
            }
            offspring.append(individuals[winner])
            offspringLoss.append(losses[winner])
        }
        // 3. Blend crossover of consecutive pairs.
        var i = 0
        while i + 1 < offspring.count {
            if rng.nextDouble() < crossoverProbability {
                var a = offspring[i], b = offspring[i + 1]
                for j in 0..<d {
                    let gamma = (1 + 2 * blendAlpha) * rng.nextDouble() - blendAlpha
                    let x1 = a[j], x2 = b[j]
                    a[j] = OptimizerSupport.clampUnit((1 - gamma) * x1 + gamma * x2)
                    b[j] = OptimizerSupport.clampUnit(gamma * x1 + (1 - gamma) * x2)
                }
                if a != offspring[i] { offspring[i] = a; offspringLoss[i] = nil }
                if b != offspring[i + 1] { offspring[i + 1] = b; offspringLoss[i + 1] = nil }
            }
            i += 2
        }
        // 4. Gaussian mutation.
        for k in offspring.indices where rng.nextDouble() < mutationProbability {
            var x = offspring[k]
            for j in 0..<d where rng.nextDouble() < geneMutationProbability {
                x[j] = OptimizerSupport.clampUnit(x[j] + mutationSigma * rng.nextNormal())
            }
            if x != offspring[k] { offspring[k] = x; offspringLoss[k] = nil }
        }
        // 5. Duplicates are mutated in every gene (a few tries, since clipping can recreate them).
        for k in offspring.indices {
            var tries = 0
            while tries < 8 && (next.contains(offspring[k]) || offspring[..<k].contains(offspring[k])) {
                offspring[k] = offspring[k].map { OptimizerSupport.clampUnit($0 + mutationSigma * rng.nextNormal()) }
                offspringLoss[k] = nil
                tries += 1
            }
        }
        // Never an empty generation (which would read as "finished").
        if !offspringLoss.contains(where: { $0 == nil }), let k = offspring.indices.last {
            offspring[k] = offspring[k].map { OptimizerSupport.clampUnit($0 + mutationSigma * rng.nextNormal()) }
            offspringLoss[k] = nil
        }
        next += offspring
        nextLoss += offspringLoss
        individuals = next
        losses = nextLoss
        pendingIndices = nextLoss.indices.filter { nextLoss[$0] == nil }
    }
}
