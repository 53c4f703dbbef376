import PlexusCore
import Synchronization

/// One point of a parameter sweep and what it measured.
public struct SweepPoint: Sendable {
    /// Values of the swept parameters, in the order of the axes.
    public let values: [Double]
    /// FC-vs-SC correlation (nil when FC could not be computed).
    public let fcSC: Double?
    /// FC-vs-FC correlation with the empirical FC, when one is given.
    public let fcFC: Double?
    /// Mean and standard deviation over samples (after `fc.discard`) and regions of the first
    /// variable of the first monitor.
    public let mean: Double
    public let std: Double
    public let seconds: Double
    /// nil when the point ran; otherwise why it failed (e.g. the step where it blew up).
    public let error: String?
}

extension SweepPoint {
    /// The point as bytes for the ranks' gather (index, values, the optional correlations with
    /// a flag, mean, std, seconds, the error's UTF-8).
    static func encode(index: Int, _ p: SweepPoint, into out: inout [UInt8]) {
        var w = GatherWriter()
        swap(&w.bytes, &out)   // appends in place (no copy of what is there)
        defer { swap(&w.bytes, &out) }
        w.int(index)
        w.doubles(p.values)
        w.int((p.fcSC == nil ? 0 : 1) | (p.fcFC == nil ? 0 : 2) | (p.error == nil ? 0 : 4))
        for x in [p.fcSC ?? 0, p.fcFC ?? 0, p.mean, p.std, p.seconds] { w.double(x) }
        w.string(p.error ?? "")
    }

    static func decode(_ bytes: [UInt8], at: inout Int) -> (Int, SweepPoint) {
        var r = GatherReader(bytes, at: at)
        defer { at = r.at }
        let index = r.int()
        let values = r.doubles()
        let flags = r.int()
        let fcSC = r.double(), fcFC = r.double(), mean = r.double(), std = r.double(), seconds = r.double()
        let error = r.string()
        return (index, SweepPoint(values: values, fcSC: flags & 1 != 0 ? fcSC : nil, fcFC: flags & 2 != 0 ? fcFC : nil,
                                  mean: mean, std: std, seconds: seconds, error: flags & 4 != 0 ? error : nil))
    }
}

/// Runs one experiment over a grid of one or two parameters, points on all threads.
///
/// Parameters: `coupling.<name>`, `model.<name>`, `speed` (mm/ms), `noise.nsig`. Every point uses
/// the experiment's seed (common random numbers across the grid). Points run independently, one
/// per thread at a time, so results do not depend on the number of threads. A point that blows up
/// is reported in the table, it does not stop the sweep.
public final class MassSweep {
    public let experiment: MassExperiment
    public let connectome: Connectome
    public let axes: [SweepAxis]
    public let threads: Int
    /// Cartesian grid: the first axis varies slowest.
    public let points: [[Double]]
    /// The first point, built (errors in the base experiment surface before any point runs).
    let firstPoint: MassNetwork

    public init(_ e: MassExperiment, connectome: Connectome, threads: Int = 1) throws {
        experiment = e
        self.connectome = connectome
        let axes = e.sweep
        self.axes = axes
        guard (1...2).contains(axes.count) else {
            throw PlexusError("a sweep takes one or two parameters, got \(axes.count)", keyPath: "sweep")
        }
        for a in axes {
            guard !a.values.isEmpty else { throw PlexusError("no values for \(a.parameter)", keyPath: "sweep.\(a.parameter)") }
            for v in a.values where !v.isFinite { throw PlexusError("\(a.parameter) value \(v)", keyPath: "sweep.\(a.parameter)") }
            _ = try MassSweep.apply(a.parameter, a.values[0], to: e, keyPath: "sweep.\(a.parameter)")
        }
        if axes.count == 1 {
            points = axes[0].values.map { [$0] }
        } else {
            points = axes[0].values.flatMap { a in axes[1].values.map { [a, $0] } }
        }
        self.threads = max(1, threads)
        // Build the first point once so that errors in the base experiment surface now, by key path.
        var first = e
        for (k, a) in axes.enumerated() { first = try MassSweep.apply(a.parameter, points[0][k], to: first, keyPath: "sweep.\(a.parameter)") }
        firstPoint = try MassNetwork(first, connectome: connectome, threads: 1)
    }

    /// The experiment with one parameter set.
    public static func apply(_ parameter: String, _ value: Double, to e: MassExperiment, keyPath: String) throws -> MassExperiment {
        var e = e
        let parts = parameter.split(separator: ".", maxSplits: 1).map(String.init)
        switch (parts.first ?? "", parts.count) {
        case ("speed", 1): e.speed = value
        case ("coupling", 2): e.coupling.params[parts[1]] = value
        case ("model", 2): e.model.params[parts[1]] = value
        case ("noise", 2) where parts[1] == "nsig":
            guard e.integrator.stochastic else {
                throw PlexusError("noise.nsig needs a stochastic integrator (e.g. HeunStochastic)", keyPath: keyPath)
            }
            e.integrator.nsig = [value]
        default:
            throw PlexusError("cannot sweep '\(parameter)'; use coupling.<param>, model.<param>, speed or noise.nsig", keyPath: keyPath)
        }
        return e
    }

    /// Runs the points on all threads, in groups of up to `lanes` points that run as one batch
    /// (MassBatch: SIMD lanes of one simulation) where they differ only in parameters and noise
    /// (not in speed); the numbers are the same either way.
    ///
    /// With several ranks (`communicator`), rank r runs groups r, r + R, r + 2R, ... on its
    /// threads, and rank 0 gathers every point (the other ranks return no points); a point's
    /// numbers do not depend on where it ran.
    public func run(lanes: Int = 1, communicator: any Communicator = SingleProcess.shared,
                    progress: ((Int, Int) -> Void)? = nil) -> [SweepPoint] {
        let count = points.count
        let out = Storage<SweepPoint?>(repeating: nil, count: count)
        let workers = threads * communicator.size
        let width = max(1, min(MassBatch.lanes(for: firstPoint, requested: lanes), (count + workers - 1) / workers))
        // Points share a batch only at the same speed (the delays): group by the speed axis, if
        // any, then cut into groups of `width`.
        let speedAxis = axes.firstIndex { $0.parameter == "speed" }
        let order = points.indices.sorted { a, b in
            guard let s = speedAxis, points[a][s] != points[b][s] else { return a < b }
            return points[a][s] < points[b][s]
        }
        var groups: [[Int]] = []
        for k in order {
            if let group = groups.last, group.count < width,
               speedAxis.map({ points[group[0]][$0] == points[k][$0] }) ?? true {
                groups[groups.count - 1].append(k)
            } else {
                groups.append([k])
            }
        }
        let allGroups = groups
        groups = stride(from: communicator.rank, to: allGroups.count, by: communicator.size).map { allGroups[$0] }
        let share = groups.reduce(0) { $0 + $1.count }   // progress counts this rank's points
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let body = { (member: Int) in
            while true {
                let g = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if g >= groups.count { break }
                for (k, point) in zip(groups[g], self.runGroup(groups[g].map { self.points[$0] })) { out[k] = point }
                let d = done.wrappingAdd(groups[g].count, ordering: .relaxed).newValue
                if member == 0, let progress { progress(d, share) }
            }
        }
        let t = min(threads, groups.count)
        if t > 1 {
            let team = ThreadTeam(threads: t)
            team.run(body)
        } else if t == 1 {
            body(0)
        }
        guard communicator.size > 1 else { return out.array.map { $0! } }
        // Rank 0 gathers the points the others ran, by index.
        var mine: [UInt8] = []
        for g in groups { for k in g { SweepPoint.encode(index: k, out[k]!, into: &mine) } }
        let all = communicator.gather(mine, root: 0)
        guard communicator.rank == 0 else { return [] }
        var table = [SweepPoint?](repeating: nil, count: count)
        for bytes in all {
            var at = 0
            while at < bytes.count {
                let (k, point) = SweepPoint.decode(bytes, at: &at)
                table[k] = point
            }
        }
        return table.map { $0! }
    }

    /// The experiment of one point.
    func experiment(_ values: [Double]) throws -> MassExperiment {
        var e = experiment
        for (k, a) in axes.enumerated() { e = try MassSweep.apply(a.parameter, values[k], to: e, keyPath: "sweep.\(a.parameter)") }
        return e
    }

    /// Points as one batch when they allow it, else one by one.
    func runGroup(_ group: [[Double]]) -> [SweepPoint] {
        let t0 = ResourceUsage.now()
        guard group.count > 1, let experiments = try? group.map(experiment), MassBatch.incompatibility(experiments) == nil,
              let batch = try? MassBatch(experiments, connectome: connectome) else { return group.map(runPoint) }
        let results = batch.run()
        let seconds = (ResourceUsage.now() - t0) / Double(group.count)
        return group.indices.map { k in
            switch results[k] {
            case .success(let r): return summary(group[k], r, experiments[k], seconds: seconds)
            case .failure(let error): return SweepPoint(values: group[k], fcSC: nil, fcFC: nil, mean: .nan, std: .nan, seconds: seconds, error: "\(error)")
            }
        }
    }

    func runPoint(_ values: [Double]) -> SweepPoint {
        let t0 = ResourceUsage.now()
        do {
            let e = try experiment(values)
            let result = try MassNetwork(e, connectome: connectome, threads: 1).run()
            return summary(values, result, e, seconds: ResourceUsage.now() - t0)
        } catch {
            return SweepPoint(values: values, fcSC: nil, fcFC: nil, mean: .nan, std: .nan,
                              seconds: ResourceUsage.now() - t0, error: "\(error)")
        }
    }

    /// A point's row: FC against SC (and the empirical FC), the first monitor's mean and spread.
    func summary(_ values: [Double], _ result: MassResults, _ e: MassExperiment, seconds: Double) -> SweepPoint {
        do {
            var fcSC: Double?, fcFC: Double?
            if let fc = try? FCResult(result, connectome: connectome, description: e.fc) {
                fcSC = fc.fcSC
                fcFC = fc.fcFC
            }
            let m = result.monitors[0]
            let discard = e.fc?.discard ?? 0
            var s = 0.0, s2 = 0.0, cnt = 0.0
            for k in 0..<m.samples where m.times[k] > discard {
                for i in 0..<m.regions {
                    let v = m.value(sample: k, variable: 0, region: i)
                    s += v; s2 += v * v; cnt += 1
                }
            }
            let mean = cnt > 0 ? s / cnt : .nan
            let std = cnt > 1 ? max(0, (s2 - s * s / cnt) / (cnt - 1)).squareRoot() : .nan
            return SweepPoint(values: values, fcSC: fcSC, fcFC: fcFC, mean: mean, std: std, seconds: seconds, error: nil)
        }
    }
}
