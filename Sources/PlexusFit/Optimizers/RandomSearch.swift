import PlexusCore

/// Uniform random search: every generation draws `population` independent points uniformly in
/// the unit box, x_i ~ U[0, 1), without end. Candidate k of generation g uses the stream
/// (seed, .optimizer, g, k), so the candidates do not depend on the losses at all.
public struct RandomSearch: Optimizer {
    public static let defaultPopulation = 16

    public let dimension: Int
    public let seed: UInt64
    /// Candidates per generation.
    public let population: Int
    public private(set) var generation = 0
    public private(set) var best: EvaluatedCandidate?
    private var pending: [[Double]]?

    public init(dimension: Int, seed: UInt64, population: Int = RandomSearch.defaultPopulation) {
        precondition(dimension >= 1, "RandomSearch dimension must be at least 1")
        precondition(population >= 1, "RandomSearch population must be at least 1")
        self.dimension = dimension
        self.seed = seed
        self.population = population
    }

    public mutating func ask() -> [[Double]] {
        if let pending { return pending }
        let g = generation, d = dimension, seed = seed
        let batch = (0..<population).map { k -> [Double] in
            var rng = OptimizerSupport.stream(seed: seed, generation: g, id: k)
            return (0..<d).map { _ in rng.nextDouble() }
        }
        pending = batch
        return batch
    }

    public mutating func tell(_ losses: [Double]) {
        let candidates = OptimizerSupport.checkTell(losses, pending: pending, "RandomSearch")
        OptimizerSupport.updateBest(&best, candidates: candidates, losses: losses)
        generation += 1
        pending = nil
    }
}
