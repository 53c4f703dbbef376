import PlexusCore

/// Exhaustive search over a regular grid of the unit box.
///
/// Axis i has n_i values evenly spaced from 0 to 1 inclusive, v_k = k / (n_i - 1), or the single
/// value 0.5 when n_i = 1. The candidates are the cartesian product in row-major order (the
/// first axis varies slowest, the last fastest), handed out `population` at a time (default: the
/// whole grid in one generation); after the last one, ask() returns [].
/// Uses no random numbers: the losses only decide `best`.
public struct GridSearch: Optimizer {
    public static let defaultPointsPerAxis = 5

    public let dimension: Int
    public let pointsPerAxis: [Int]
    /// Candidates per generation.
    public let population: Int
    /// Points in the whole grid: the product of `pointsPerAxis`.
    public let pointCount: Int
    public private(set) var generation = 0
    public private(set) var best: EvaluatedCandidate?
    /// Index of the first grid point not yet handed out.
    public private(set) var nextPoint = 0
    private var pending: [[Double]]?

    /// A grid with `pointsPerAxis[i]` values on axis i (each >= 1), `population` points per
    /// generation (default all).
    public init(pointsPerAxis: [Int], population: Int? = nil) {
        precondition(!pointsPerAxis.isEmpty, "GridSearch needs at least one axis")
        precondition(pointsPerAxis.allSatisfy { $0 >= 1 }, "GridSearch needs at least one point per axis")
        guard let count = Self.pointCount(pointsPerAxis) else { preconditionFailure("GridSearch: too many grid points") }
        self.dimension = pointsPerAxis.count
        self.pointsPerAxis = pointsPerAxis
        self.pointCount = count
        let population = population ?? count
        precondition(population >= 1, "GridSearch population must be at least 1")
        self.population = population
    }

    /// The same number of points on every axis.
    public init(dimension: Int, pointsPerAxis: Int = GridSearch.defaultPointsPerAxis, population: Int? = nil) {
        precondition(dimension >= 1, "GridSearch dimension must be at least 1")
        self.init(pointsPerAxis: Array(repeating: pointsPerAxis, count: dimension), population: population)
    }

    /// The product of the counts, or nil if it overflows.
    public static func pointCount(_ pointsPerAxis: [Int]) -> Int? {
        var n = 1
        for k in pointsPerAxis {
            let (p, overflow) = n.multipliedReportingOverflow(by: k)
            if overflow { return nil }
            n = p
        }
        return n
    }

    /// The values of an axis with n points: k/(n-1), k = 0..<n; [0.5] for n = 1.
    public static func axisValues(_ n: Int) -> [Double] {
        n == 1 ? [0.5] : (0..<n).map { Double($0) / Double(n - 1) }
    }

    /// Grid point number `index` (0..<pointCount), first axis slowest.
    public func point(at index: Int) -> [Double] {
        precondition(index >= 0 && index < pointCount, "GridSearch point index out of range")
        var x = [Double](repeating: 0, count: dimension)
        var rest = index
        for axis in stride(from: dimension - 1, through: 0, by: -1) {
            let n = pointsPerAxis[axis]
            let k = rest % n
            rest /= n
            x[axis] = n == 1 ? 0.5 : Double(k) / Double(n - 1)
        }
        return x
    }

    public mutating func ask() -> [[Double]] {
        if let pending { return pending }
        guard nextPoint < pointCount else { return [] }
        let batch = (nextPoint..<min(pointCount, nextPoint + population)).map(point(at:))
        pending = batch
        return batch
    }

    public mutating func tell(_ losses: [Double]) {
        let candidates = OptimizerSupport.checkTell(losses, pending: pending, "GridSearch")
        OptimizerSupport.updateBest(&best, candidates: candidates, losses: losses)
        nextPoint += candidates.count
        generation += 1
        pending = nil
    }
}
