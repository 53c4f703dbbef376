import PlexusCore

/// A structural connectome in TVB's conventions: `weights[i*n + j]` is the strength of the
/// connection FROM region j TO region i (row = target, column = source; the inverse of the Brain
/// Connectivity Toolbox), tract lengths in mm, region centres in mm. Diagonal weights are kept and
/// act with zero delay, as in TVB. Nothing is normalised.
public struct Connectome: Sendable, Equatable {
    public var labels: [String]
    /// n x n, row-major, row = target.
    public var weights: [Double]
    /// n x n tract lengths in mm.
    public var tractLengths: [Double]
    /// n x 3 centres in mm (x, y, z per region).
    public var centres: [Double]
    /// Optional per-region facts (empty when the source does not have them).
    public var cortical: [Bool] = []
    /// true = right hemisphere. TVB derives it from label prefixes/suffixes when absent.
    public var hemispheres: [Bool] = []
    public var areas: [Double] = []
    /// n x 3, not unit-normalised (as shipped).
    public var orientations: [Double] = []
    /// Where it came from (file name, "synthetic(...)") for messages and provenance.
    public var source: String = ""

    public init(labels: [String], weights: [Double], tractLengths: [Double], centres: [Double] = [],
                cortical: [Bool] = [], hemispheres: [Bool] = [], areas: [Double] = [], orientations: [Double] = [],
                source: String = "") {
        self.labels = labels
        self.weights = weights
        self.tractLengths = tractLengths
        self.centres = centres.isEmpty ? [Double](repeating: 0, count: 3 * labels.count) : centres
        self.cortical = cortical
        self.areas = areas
        self.orientations = orientations
        self.source = source
        self.hemispheres = hemispheres.isEmpty ? Connectome.hemispheres(fromLabels: labels) ?? [] : hemispheres
    }

    public var count: Int { labels.count }

    @inlinable public func weight(to i: Int, from j: Int) -> Double { weights[i * labels.count + j] }

    /// Number of nonzero weights (the coupling terms evaluated per step).
    public var nonzeroCount: Int { weights.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }

    /// Whether W equals its transpose.
    public var isUndirected: Bool {
        let n = count
        for i in 0..<n { for j in 0..<i where weights[i * n + j] != weights[j * n + i] { return false } }
        return true
    }

    /// TVB's rule: all labels start with r/l (case-insensitive) -> right = starts with r; else all
    /// end with r/l -> right = ends with r; else unknown (nil).
    public static func hemispheres(fromLabels labels: [String]) -> [Bool]? {
        guard !labels.isEmpty else { return nil }
        func isRL(_ c: Character?) -> Bool { c.map { "rRlL".contains($0) } ?? false }
        if labels.allSatisfy({ isRL($0.first) }) { return labels.map { $0.first!.lowercased() == "r" } }
        if labels.allSatisfy({ isRL($0.last) }) { return labels.map { $0.last!.lowercased() == "r" } }
        return nil
    }

    /// Checks shapes and values; errors name the key path (`connectivity.weights[i][j]`).
    public func validate(keyPath: String = "connectivity") throws {
        let n = count
        guard n >= 1 else { throw PlexusError("the connectome has no regions", keyPath: keyPath) }
        guard weights.count == n * n else {
            throw PlexusError("weights hold \(weights.count) values; \(n) regions need \(n * n)", keyPath: "\(keyPath).weights")
        }
        guard tractLengths.count == n * n else {
            throw PlexusError("tract lengths hold \(tractLengths.count) values; \(n) regions need \(n * n)", keyPath: "\(keyPath).tract_lengths")
        }
        guard centres.count == 3 * n else {
            throw PlexusError("centres hold \(centres.count / 3) regions; weights have \(n)", keyPath: "\(keyPath).centres")
        }
        for i in 0..<n {
            for j in 0..<n {
                let w = weights[i * n + j]
                guard w.isFinite else {
                    throw PlexusError("weight to region \(i) (\(labels[i])) from region \(j) is \(w)", keyPath: "\(keyPath).weights[\(i)][\(j)]")
                }
                let l = tractLengths[i * n + j]
                guard l.isFinite, l >= 0 else {
                    throw PlexusError("tract length to region \(i) (\(labels[i])) from region \(j) is \(l); lengths must be finite and >= 0",
                                      keyPath: "\(keyPath).tract_lengths[\(i)][\(j)]")
                }
            }
        }
        for (name, count) in [("cortical", cortical.count), ("hemispheres", hemispheres.count), ("areas", areas.count)]
            where count != 0 && count != n {
            throw PlexusError("\(name) has \(count) entries; the connectome has \(n) regions", keyPath: "\(keyPath).\(name)")
        }
        if !orientations.isEmpty && orientations.count != 3 * n {
            throw PlexusError("average_orientations has \(orientations.count / 3) rows; the connectome has \(n) regions", keyPath: "\(keyPath).orientations")
        }
    }

    /// TVB's integer delays: `rint(tract_length / speed / dt)` (round half to even), row = target.
    /// Checks that every tract's delay in steps (`length / speed / dt`, rounded) is finite and at
    /// most `limit`, the history a run can hold, before `integerDelays` converts them; names the
    /// longest tract and what would fix it.
    public func checkDelays(speed: Double, dt: Double, limit: Int) throws {
        guard let k = tractLengths.indices.max(by: { tractLengths[$0] < tractLengths[$1] }) else { return }
        let steps = (tractLengths[k] / speed / dt).rounded(.toNearestOrEven)
        guard steps.isFinite, steps <= Double(limit) else {
            let (i, j) = (k / count, k % count)
            throw PlexusError("the longest delay, \(tractLengths[k]) mm from region \(j) (\(labels[j])) to \(i) (\(labels[i])) at \(speed) mm/ms, "
                              + "is \(steps) steps of \(dt) ms; the history can hold \(limit) steps for \(count) regions: raise the speed or dt",
                              keyPath: "speed")
        }
    }

    public func integerDelays(speed: Double, dt: Double) -> [Int32] {
        tractLengths.map { Int32(($0 / speed / dt).rounded(.toNearestOrEven)) }
    }

    /// Mean in-strength (row sum) of tvb-data's connectivity_76, the scale TVB's timing script gives
    /// its synthetic connectomes.
    public static let connectivity76MeanInStrength = 39.326916606796054

    /// A seeded synthetic connectome for scale tests, built like the TVB timing script's: centres
    /// uniform in an ellipsoid (semi-axes 70, 85, 60 mm); symmetric links preferentially between
    /// nearby regions (score = -distance/40 mm + Gumbel noise; the top `density` fraction of the
    /// off-diagonal pairs); lognormal(0, 1) weights rescaled so the mean in-strength is
    /// `meanInStrength`; tract lengths = Euclidean distances; no self links.
    public static func synthetic(regions n: Int, density: Double, seed: UInt64,
                                 meanInStrength: Double = connectivity76MeanInStrength) throws -> Connectome {
        guard n >= 2 else { throw PlexusError.outOfRange("regions", Double(n), "must be >= 2", keyPath: "connectivity.synthetic.regions") }
        guard density > 0, density <= 1 else {
            throw PlexusError.outOfRange("density", density, "must be in (0, 1]", keyPath: "connectivity.synthetic.density")
        }
        // Distances, weights, tract lengths and the candidate pairs: about 40 bytes per pair.
        try ResourceUsage.checkFits(Double(n) * Double(n) * 40, "a synthetic connectome of \(n) regions", keyPath: "connectivity.synthetic.regions")
        var rng = RandomStream(seed: seed, purpose: .connectionWeights, index: 77, id: 0)
        var c = [Double]()
        c.reserveCapacity(3 * n)
        while c.count < 3 * n {
            let x = 2 * rng.nextDouble() - 1, y = 2 * rng.nextDouble() - 1, z = 2 * rng.nextDouble() - 1
            if x * x + y * y + z * z <= 1 { c += [x * 70, y * 85, z * 60] }
        }
        var d = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n where i != j {
                let dx = c[3 * i] - c[3 * j], dy = c[3 * i + 1] - c[3 * j + 1], dz = c[3 * i + 2] - c[3 * j + 2]
                d[i * n + j] = (dx * dx + dy * dy + dz * dz).squareRoot()
            }
        }
        var pairs: [(score: Double, i: Int32, j: Int32)] = []
        pairs.reserveCapacity(n * (n - 1) / 2)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let gumbel = -_log(-_log(rng.nextOpenDouble() * (1 - 1e-16)))
                pairs.append((-d[i * n + j] / 40 + gumbel, Int32(i), Int32(j)))
            }
        }
        let k = Int((density * Double(pairs.count)).rounded())
        pairs.sort { $0.score != $1.score ? $0.score > $1.score : ($0.i, $0.j) < ($1.i, $1.j) }
        var w = [Double](repeating: 0, count: n * n)
        for p in pairs.prefix(k) {
            let v = _exp(rng.nextNormal())
            w[Int(p.i) * n + Int(p.j)] = v
            w[Int(p.j) * n + Int(p.i)] = v
        }
        var total = 0.0
        for v in w { total += v }
        let scale = total > 0 ? meanInStrength / (total / Double(n)) : 1
        for q in 0..<(n * n) { w[q] *= scale }
        let labels = (0..<n).map { i -> String in
            let s = String(i)
            return "syn" + String(repeating: "0", count: max(0, 4 - s.count)) + s
        }
        return Connectome(labels: labels, weights: w, tractLengths: d, centres: c,
                          source: "synthetic(regions: \(n), density: \(density), seed: \(seed))")
    }
}
