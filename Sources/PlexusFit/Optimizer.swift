import PlexusCore

// Ask/tell optimisers over the unit box [0,1]^d. They MINIMISE a loss and know nothing of what
// the numbers mean: the caller maps the unit box to real bounds (linear or log) and back.
//
// Determinism: every generation's candidates are a pure function of (seed, the losses told so
// far). Random numbers come from the counter-based `RandomStream` keyed by (seed, .optimizer,
// generation, candidate), sorting breaks ties by index, and nothing iterates a dictionary, so a
// fit that was interrupted resumes exactly by replaying its recorded losses:
//
//     var opt = try makeOptimizer(.cmaes, dimension: d, seed: seed)
//     for losses in recorded { _ = opt.ask(); opt.tell(losses) }   // same state as before
//     let next = opt.ask()                                         // same candidates as before

/// An ask/tell optimiser that minimises a loss over the unit box [0,1]^d.
public protocol Optimizer: Sendable {
    /// Dimension of the search space (unit box [0,1]^d).
    var dimension: Int { get }
    /// The next generation of candidates (each d values in [0,1]); empty when the optimiser is
    /// finished (e.g. grid exhausted). Asking again before `tell` returns the same generation.
    mutating func ask() -> [[Double]]
    /// Losses of the candidates of the last ask(), same order. Non-finite loss (NaN/inf: a failed
    /// or blown-up run) = worst; never crashes. The count must match the last ask().
    mutating func tell(_ losses: [Double])
    /// The best candidate told so far with a finite loss (nil before any finite loss).
    var best: EvaluatedCandidate? { get }
    /// Generations told so far.
    var generation: Int { get }
}

/// A candidate (in the unit box) with its loss.
public struct EvaluatedCandidate: Sendable, Equatable {
    public var candidate: [Double]
    public var loss: Double

    public init(candidate: [Double], loss: Double) {
        self.candidate = candidate
        self.loss = loss
    }
}

/// The optimisers `makeOptimizer` builds.
public enum OptimizerKind: String, Sendable, CaseIterable {
    case grid
    case random
    case crossEntropy = "cross_entropy"
    case genetic
    case cmaes

    /// Accepts the raw value and common spellings: "crossEntropy", "cross-entropy", "ce",
    /// "ga", "genetic_algorithm", "cma-es", "cma", "grid_search", "random_search" (any case).
    public init?(name: String) {
        let key = name.lowercased().filter { $0 != "_" && $0 != "-" && $0 != " " }
        switch key {
        case "grid", "gridsearch": self = .grid
        case "random", "randomsearch": self = .random
        case "crossentropy", "ce", "cem": self = .crossEntropy
        case "genetic", "ga", "geneticalgorithm": self = .genetic
        case "cmaes", "cma": self = .cmaes
        default: return nil
        }
    }

    /// Candidates per generation when none is given: CMA-ES 4 + floor(3 ln d) (Hansen 2016,
    /// Table 1); cross-entropy 30 (L2L's default pop_size); genetic 30; random 16; grid: the
    /// whole grid at once (returned as nil here, since it depends on the grid).
    public func defaultPopulation(dimension: Int) -> Int? {
        switch self {
        case .grid: return nil
        case .random: return RandomSearch.defaultPopulation
        case .crossEntropy: return CrossEntropy.defaultPopulation
        case .genetic: return GeneticAlgorithm.defaultPopulation
        case .cmaes: return CMAES.defaultPopulation(dimension: dimension)
        }
    }
}

/// Settings of all optimisers; nil means the optimiser's own default (each type documents its
/// defaults). Settings that do not apply to the chosen kind are ignored.
public struct OptimizerSettings: Sendable, Equatable {
    /// Grid: points per axis, one value for every axis or one per axis (default 5).
    public var pointsPerAxis: [Int]?
    /// Cross-entropy: fraction of a generation kept as elite (default 0.2).
    public var eliteFraction: Double?
    /// Cross-entropy: weight of the old distribution when refitting (default 0.2).
    public var smoothing: Double?
    /// Genetic: probability that a pair of offspring is crossed (default 0.5).
    public var crossoverProbability: Double?
    /// Genetic: alpha of the blend crossover (default 0.5).
    public var blendAlpha: Double?
    /// Genetic: probability that an offspring is mutated (default 0.3).
    public var mutationProbability: Double?
    /// Genetic: probability that each gene of a mutated offspring changes (default 1/d).
    public var geneMutationProbability: Double?
    /// Genetic: standard deviation of a Gaussian mutation in unit-box coordinates (default 0.1).
    public var mutationSigma: Double?
    /// Genetic: tournament size (default 3).
    public var tournamentSize: Int?
    /// Genetic: best individuals copied unchanged into the next generation (default 1).
    public var eliteCount: Int?
    /// CMA-ES: initial mean in unit-box coordinates (default the centre, 0.5 on every axis).
    public var initialMean: [Double]?
    /// CMA-ES: initial step size in unit-box coordinates (default 0.3).
    public var initialSigma: Double?
    /// CMA-ES: negative recombination weights in the rank-mu update ("active" CMA, part of the
    /// tutorial's Table 1 defaults; default true).
    public var activeCovariance: Bool?

    public init(pointsPerAxis: [Int]? = nil, eliteFraction: Double? = nil, smoothing: Double? = nil,
                crossoverProbability: Double? = nil, blendAlpha: Double? = nil,
                mutationProbability: Double? = nil, geneMutationProbability: Double? = nil,
                mutationSigma: Double? = nil, tournamentSize: Int? = nil, eliteCount: Int? = nil,
                initialMean: [Double]? = nil, initialSigma: Double? = nil, activeCovariance: Bool? = nil) {
        self.pointsPerAxis = pointsPerAxis
        self.eliteFraction = eliteFraction
        self.smoothing = smoothing
        self.crossoverProbability = crossoverProbability
        self.blendAlpha = blendAlpha
        self.mutationProbability = mutationProbability
        self.geneMutationProbability = geneMutationProbability
        self.mutationSigma = mutationSigma
        self.tournamentSize = tournamentSize
        self.eliteCount = eliteCount
        self.initialMean = initialMean
        self.initialSigma = initialSigma
        self.activeCovariance = activeCovariance
    }
}

/// A setting out of its range (what `makeOptimizer` throws; the types' own inits trap instead).
public struct OptimizerSettingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Builds an optimiser of the given kind, checking the settings first (a bad value throws
/// `OptimizerSettingError` rather than trapping, so user input can reach this directly).
public func makeOptimizer(_ kind: OptimizerKind, dimension: Int, seed: UInt64, population: Int? = nil,
                          settings: OptimizerSettings = OptimizerSettings()) throws -> any Optimizer {
    func check(_ ok: Bool, _ message: @autoclosure () -> String) throws {
        if !ok { throw OptimizerSettingError(message()) }
    }
    func fraction(_ v: Double?, _ name: String, open: Bool = false) throws {
        if let v { try check(v.isFinite && v >= 0 && (open ? v < 1 : v <= 1), "\(name) must be in [0, 1\(open ? ")" : "]"), got \(v)") }
    }
    try check(dimension >= 1, "dimension must be at least 1, got \(dimension)")
    if let population { try check(population >= 1, "population must be at least 1, got \(population)") }
    switch kind {
    case .grid:
        let points = settings.pointsPerAxis ?? [GridSearch.defaultPointsPerAxis]
        try check(points.count == 1 || points.count == dimension,
                  "pointsPerAxis needs 1 or \(dimension) values, got \(points.count)")
        try check(points.allSatisfy { $0 >= 1 }, "pointsPerAxis must be at least 1 on every axis")
        let perAxis = points.count == 1 ? Array(repeating: points[0], count: dimension) : points
        try check(GridSearch.pointCount(perAxis) != nil, "the grid has more points than an Int can count")
        return GridSearch(pointsPerAxis: perAxis, population: population)
    case .random:
        return RandomSearch(dimension: dimension, seed: seed, population: population ?? RandomSearch.defaultPopulation)
    case .crossEntropy:
        try fraction(settings.eliteFraction, "eliteFraction")
        if let e = settings.eliteFraction { try check(e > 0, "eliteFraction must be positive") }
        try fraction(settings.smoothing, "smoothing", open: true)
        return CrossEntropy(dimension: dimension, seed: seed, population: population ?? CrossEntropy.defaultPopulation,
                            eliteFraction: settings.eliteFraction ?? CrossEntropy.defaultEliteFraction,
                            smoothing: settings.smoothing ?? CrossEntropy.defaultSmoothing)
    case .genetic:
        let pop = population ?? GeneticAlgorithm.defaultPopulation
        let elite = settings.eliteCount ?? GeneticAlgorithm.defaultEliteCount
        try check(pop >= 2, "the genetic algorithm needs a population of at least 2, got \(pop)")
        try check(elite >= 0 && elite < pop, "eliteCount must be in 0..<population, got \(elite)")
        try fraction(settings.crossoverProbability, "crossoverProbability")
        try fraction(settings.mutationProbability, "mutationProbability")
        try fraction(settings.geneMutationProbability, "geneMutationProbability")
        if let a = settings.blendAlpha { try check(a.isFinite && a >= 0, "blendAlpha must be >= 0, got \(a)") }
        if let s = settings.mutationSigma { try check(s.isFinite && s > 0, "mutationSigma must be > 0, got \(s)") }
        if let t = settings.tournamentSize { try check(t >= 1, "tournamentSize must be at least 1, got \(t)") }
        return GeneticAlgorithm(dimension: dimension, seed: seed, population: pop,
                                crossoverProbability: settings.crossoverProbability ?? GeneticAlgorithm.defaultCrossoverProbability,
                                blendAlpha: settings.blendAlpha ?? GeneticAlgorithm.defaultBlendAlpha,
                                mutationProbability: settings.mutationProbability ?? GeneticAlgorithm.defaultMutationProbability,
                                geneMutationProbability: settings.geneMutationProbability ?? 1.0 / Double(dimension),
                                mutationSigma: settings.mutationSigma ?? GeneticAlgorithm.defaultMutationSigma,
                                tournamentSize: settings.tournamentSize ?? GeneticAlgorithm.defaultTournamentSize,
                                eliteCount: elite)
    case .cmaes:
        if let p = population { try check(p >= 2, "CMA-ES needs a population of at least 2, got \(p)") }
        if let m = settings.initialMean {
            try check(m.count == dimension, "initialMean needs \(dimension) values, got \(m.count)")
            try check(m.allSatisfy(\.isFinite), "initialMean must be finite")
        }
        if let s = settings.initialSigma { try check(s.isFinite && s > 0, "initialSigma must be > 0, got \(s)") }
        return CMAES(dimension: dimension, seed: seed, population: population,
                     initialMean: settings.initialMean, initialSigma: settings.initialSigma ?? CMAES.defaultInitialSigma,
                     activeCovariance: settings.activeCovariance ?? true)
    }
}

// MARK: - Shared pieces

enum OptimizerSupport {
    /// Non-finite losses (NaN, +-inf) rank as +inf: the worst.
    @inline(__always)
    static func rankable(_ loss: Double) -> Double { loss.isFinite ? loss : .infinity }

    /// Candidate indices from best to worst; ties (including all the non-finite ones) keep their
    /// index order, so the ranking never depends on the sort algorithm.
    static func ranking(_ losses: [Double]) -> [Int] {
        let keys = losses.map(rankable)
        return keys.indices.sorted { a, b in keys[a] != keys[b] ? keys[a] < keys[b] : a < b }
    }

    /// Replaces `best` by the first candidate with a strictly lower finite loss.
    static func updateBest(_ best: inout EvaluatedCandidate?, candidates: [[Double]], losses: [Double]) {
        for (x, loss) in zip(candidates, losses) where loss.isFinite {
            if best == nil || loss < best!.loss { best = EvaluatedCandidate(candidate: x, loss: loss) }
        }
    }

    /// The stream of one candidate (or, with id 0, of a generation's shared draws).
    @inline(__always)
    static func stream(seed: UInt64, generation: Int, id: Int) -> RandomStream {
        RandomStream(seed: seed, purpose: .optimizer, index: UInt32(truncatingIfNeeded: generation), id: UInt64(id))
    }

    @inline(__always)
    static func clampUnit(_ x: Double) -> Double { x.isNaN ? 0.5 : min(1, max(0, x)) }

    static func checkTell(_ losses: [Double], pending: [[Double]]?, _ type: String) -> [[Double]] {
        guard let pending else { preconditionFailure("\(type).tell called without a pending ask()") }
        precondition(losses.count == pending.count,
                     "\(type).tell got \(losses.count) losses for \(pending.count) candidates")
        return pending
    }
}
