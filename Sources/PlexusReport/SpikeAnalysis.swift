import PlexusCore

/// Statistics of spike trains, defined as the peers' reference scripts define them (so that
/// Plexus and NEST numbers are comparable one to one).
public enum SpikeAnalysis {
    /// Mean rate in Hz of `neurons` neurons over spikes with t in (t0, t1].
    public static func meanRate(times: [Double], neurons: Int, from t0: Double, to t1: Double) -> Double {
        let n = times.reduce(0) { $0 + ($1 > t0 && $1 <= t1 ? 1 : 0) }
        return Double(n) / Double(neurons) / ((t1 - t0) / 1000)
    }

    /// Mean over neurons with at least 3 spikes at t >= t0 of std(ISI)/mean(ISI) (population
    /// standard deviation, as numpy's default).
    public static func meanCV(gids: [Int], times: [Double], from t0: Double) -> Double {
        var trains: [Int: [Double]] = [:]
        for (g, t) in zip(gids, times) where t >= t0 { trains[g, default: []].append(t) }
        var cvs: [Double] = []
        for (_, var ts) in trains where ts.count >= 3 {
            ts.sort()
            let isi = zip(ts.dropFirst(), ts).map { $0 - $1 }
            let m = isi.reduce(0, +) / Double(isi.count)
            guard m > 0 else { continue }
            let v = isi.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(isi.count)
            cvs.append(v.squareRoot() / m)
        }
        return cvs.isEmpty ? .nan : cvs.reduce(0, +) / Double(cvs.count)
    }

    /// Spike counts in bins [k·width, (k+1)·width) of the interval [0, t1) (a spike at t goes to
    /// bin floor((t − ε)/width): spikes stamped at a bin's end belong to the bin, as in NEST's
    /// reference script).
    public static func histogram(times: [Double], width: Double, until t1: Double) -> [Double] {
        let n = Int((t1 / width).rounded())
        var h = [Double](repeating: 0, count: n)
        for t in times {
            let k = Int(((t - 1e-9) / width).rounded(.down))
            if k >= 0 && k < n { h[k] += 1 }
        }
        return h
    }

    /// Power spectrum |DFT(x − mean)|² at frequencies k/(n·dt) for k = 0 ... n/2 (dt in ms;
    /// frequencies in Hz).
    public static func powerSpectrum(_ x: [Double], dt: Double) -> (frequencies: [Double], power: [Double]) {
        let n = x.count
        let mean = x.reduce(0, +) / Double(max(n, 1))
        let y = x.map { $0 - mean }
        var f: [Double] = [], p: [Double] = []
        for k in 0...(n / 2) {
            var re = 0.0, im = 0.0
            let w = -2 * Double.pi * Double(k) / Double(n)
            for (j, v) in y.enumerated() {
                re += v * _cos(w * Double(j))
                im += v * _sin(w * Double(j))
            }
            f.append(Double(k) / (Double(n) * dt / 1000))
            p.append(re * re + im * im)
        }
        return (f, p)
    }

    /// Frequency of the largest power at f >= fmin after Gaussian smoothing of the spectrum
    /// (sigma in Hz; 0 = raw peak), and the power-weighted mean frequency over f >= fmin.
    /// The raw peak of a 900 ms population rate is noisy (NEST's own 1- and 2-thread runs of the
    /// same Brunel network peak at 100 and 124 Hz); the smoothed peak and the centroid are stable.
    public static func spectralPeak(_ spectrum: (frequencies: [Double], power: [Double]), fmin: Double,
                                    sigma: Double) -> (peak: Double, centroid: Double) {
        let (f, p) = spectrum
        var smooth = p
        if sigma > 0 {
            for i in f.indices {
                var num = 0.0, den = 0.0
                for j in f.indices {
                    let d = (f[i] - f[j]) / sigma
                    let w = _exp(-0.5 * d * d)
                    num += w * p[j]
                    den += w
                }
                smooth[i] = num / den
            }
        }
        var best = -1.0, peak = Double.nan, num = 0.0, den = 0.0
        for i in f.indices where f[i] >= fmin {
            if smooth[i] > best { best = smooth[i]; peak = f[i] }
            num += f[i] * smooth[i]
            den += smooth[i]
        }
        return (peak, den > 0 ? num / den : .nan)
    }
}
