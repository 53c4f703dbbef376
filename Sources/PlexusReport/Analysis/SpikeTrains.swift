/// The spike trains of a block of neurons with consecutive gids, grouped by neuron (compressed
/// rows: the times of neuron i are times[offsets[i] ..< offsets[i+1]], ascending). Built in
/// linear time from a recorder's (gid, time) lists; every statistic below visits neurons in gid
/// order, so results do not depend on the order of the input.
public struct SpikeTrains: Sendable, Equatable {
    public let firstGid: Int
    public let count: Int
    public let offsets: [Int]
    public let times: [Double]

    /// Spikes of gids outside firstGid ..< firstGid + count are left out.
    public init(gids: [Int], times: [Double], firstGid: Int, count: Int) {
        self.firstGid = firstGid
        self.count = max(count, 0)
        var offsets = [Int](repeating: 0, count: self.count + 1)
        for g in gids where g >= firstGid && g < firstGid + self.count { offsets[g - firstGid + 1] += 1 }
        for i in 0..<self.count { offsets[i + 1] += offsets[i] }
        var fill = offsets
        var sorted = [Double](repeating: 0, count: offsets[self.count])
        var ordered = true
        var last = [Double](repeating: -.infinity, count: self.count)
        for (g, t) in zip(gids, times) where g >= firstGid && g < firstGid + self.count {
            let i = g - firstGid
            sorted[fill[i]] = t
            fill[i] += 1
            if t < last[i] { ordered = false }
            last[i] = t
        }
        if !ordered {
            for i in 0..<self.count where offsets[i + 1] - offsets[i] > 1 { sorted[offsets[i]..<offsets[i + 1]].sort() }
        }
        self.offsets = offsets
        self.times = sorted
    }

    public func train(_ i: Int) -> ArraySlice<Double> { times[offsets[i]..<offsets[i + 1]] }

    public var spikeCount: Int { times.count }

    /// Rate in Hz of every neuron over spikes with t in (t0, t1].
    public func rates(from t0: Double, to t1: Double) -> [Double] {
        let seconds = (t1 - t0) / 1000
        return (0..<count).map { i in
            Double(train(i).reduce(0) { $0 + ($1 > t0 && $1 <= t1 ? 1 : 0) }) / seconds
        }
    }

    /// All inter-spike intervals (ms) between consecutive spikes at t >= t0, neuron by neuron.
    public func intervals(from t0: Double) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(times.count)
        for i in 0..<count {
            var prev = Double.nan
            for t in train(i) where t >= t0 {
                if !prev.isNaN { out.append(t - prev) }
                prev = t
            }
        }
        return out
    }

    /// CV(ISI) = std(ISI)/mean(ISI) (population std) of every neuron with at least `minSpikes`
    /// spikes at t >= t0 and a positive mean ISI, in gid order.
    public func cvs(from t0: Double, minSpikes: Int = 3) -> [Double] {
        var out: [Double] = []
        for i in 0..<count {
            let ts = train(i).filter { $0 >= t0 }
            guard ts.count >= max(minSpikes, 2) else { continue }
            var sum = 0.0
            for k in 1..<ts.count { sum += ts[k] - ts[k - 1] }
            let m = sum / Double(ts.count - 1)
            guard m > 0 else { continue }
            var v = 0.0
            for k in 1..<ts.count { let d = ts[k] - ts[k - 1] - m; v += d * d }
            v /= Double(ts.count - 1)
            out.append(v.squareRoot() / m)
        }
        return out
    }

    /// Fano factor var(N)/mean(N) of every neuron's spike counts N in consecutive windows of
    /// `window` ms tiling (t0, t1] (a partial last window is dropped), for neurons with a
    /// positive mean count; needs at least two windows.
    public func fanoFactors(window: Double, from t0: Double, to t1: Double) -> [Double] {
        // No windows in an empty or zero-length run (duration 0 is a valid run).
        let windows = ((t1 - t0) / window + 1e-9).rounded(.down)
        guard window > 0, windows >= 2, windows < 1e9 else { return [] }
        let k = Int(windows)
        var out: [Double] = []
        var counts = [Double](repeating: 0, count: k)
        for i in 0..<count {
            for w in 0..<k { counts[w] = 0 }
            for t in train(i) where t > t0 {
                let w = Int(((t - t0 - 1e-9) / window).rounded(.down))
                if w >= 0 && w < k { counts[w] += 1 }
            }
            let m = Statistics.mean(counts)
            if m > 0 { out.append(Statistics.variance(counts) / m) }
        }
        return out
    }

    /// Population rate in Hz per neuron in bins of `width` ms over [0, t1) (binning as
    /// `SpikeAnalysis.histogram`).
    public func populationRate(width: Double, until t1: Double) -> [Double] {
        let h = SpikeAnalysis.histogram(times: times, width: width, until: t1)
        let scale = 1000 / width / Double(max(count, 1))
        return h.map { $0 * scale }
    }
}
