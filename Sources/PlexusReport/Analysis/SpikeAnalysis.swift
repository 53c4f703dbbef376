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
    /// standard deviation, as numpy's default). Neurons are visited in gid order.
    public static func meanCV(gids: [Int], times: [Double], from t0: Double) -> Double {
        guard let lo = gids.min(), let hi = gids.max() else { return .nan }
        let trains = SpikeTrains(gids: gids, times: times, firstGid: lo, count: hi - lo + 1)
        let cvs = trains.cvs(from: t0)
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
    /// frequencies in Hz). The DFT is FFTW's real-to-complex transform.
    public static func powerSpectrum(_ x: [Double], dt: Double) -> (frequencies: [Double], power: [Double]) {
        let n = x.count
        guard n > 0 else { return ([], []) }
        let mean = x.reduce(0, +) / Double(n)
        let spectrum = FFT.real(x.map { $0 - mean })
        let f = (0...(n / 2)).map { Double($0) / (Double(n) * dt / 1000) }
        return (f, spectrum.map { $0.re * $0.re + $0.im * $0.im })
    }

    /// One-sided power spectral density of x (sampled every dt ms) in units of x² per Hz:
    /// |DFT(x − mean)|² · Δt / n, doubled for 0 < f < Nyquist, so that its integral over f is the
    /// variance of x (Parseval).
    public static func powerSpectralDensity(_ x: [Double], dt: Double) -> (frequencies: [Double], density: [Double]) {
        let (f, p) = powerSpectrum(x, dt: dt)
        let n = Double(x.count), seconds = dt / 1000
        let density = p.enumerated().map { k, v in
            let twice = k > 0 && !(x.count % 2 == 0 && k == x.count / 2)
            return v * seconds / n * (twice ? 2 : 1)
        }
        return (f, density)
    }

    /// Frequency of the largest power at f >= fmin after Gaussian smoothing of the spectrum
    /// (sigma in Hz; 0 = raw peak), and the power-weighted mean frequency over f >= fmin.
    /// The raw peak of a 900 ms population rate is noisy (NEST's own 1- and 2-thread runs of the
    /// same Brunel network peak at 100 and 124 Hz); the smoothed peak and the centroid are stable.
    public static func spectralPeak(_ spectrum: (frequencies: [Double], power: [Double]), fmin: Double,
                                    sigma: Double) -> (peak: Double, centroid: Double) {
        let (f, p) = spectrum
        let smooth = sigma > 0 ? gaussianSmooth(f, p, sigma: sigma) : p
        var best = -1.0, peak = Double.nan, num = 0.0, den = 0.0
        for i in f.indices where f[i] >= fmin {
            if smooth[i] > best { best = smooth[i]; peak = f[i] }
            num += f[i] * smooth[i]
            den += smooth[i]
        }
        return (peak, den > 0 ? num / den : .nan)
    }

    /// p smoothed along f by a Gaussian kernel of width sigma (in f's units), normalised per point.
    /// Only neighbours within 8 sigma contribute (f ascending; the weights left out are below
    /// e^-32 of the centre's).
    public static func gaussianSmooth(_ f: [Double], _ p: [Double], sigma: Double) -> [Double] {
        guard sigma > 0 else { return p }
        // A long run's spectrum has bins far finer than sigma (500 s: 0.002 Hz against 5 Hz, so
        // 8,000 bins a side and 1e10 exponentials, minutes). Then the bins are first averaged in
        // blocks of at most sigma/256 (a box far narrower than the kernel), smoothed, and read back
        // by linear interpolation: O(n). Runs up to about 250 s at sigma 5 Hz keep the exact sum.
        if f.count > 1, let df = Optional((f[f.count - 1] - f[0]) / Double(f.count - 1)), df > 0, 8 * sigma / df > 2048 {
            let block = Int((8 * sigma / df / 2048).rounded(.up))
            var cf: [Double] = [], cp: [Double] = []
            var k = 0
            while k < f.count {
                let e = min(k + block, f.count)
                cf.append(f[k..<e].reduce(0, +) / Double(e - k))
                cp.append(p[k..<e].reduce(0, +) / Double(e - k))
                k = e
            }
            let cs = gaussianSmooth(cf, cp, sigma: sigma)
            var out = p
            var j = 0
            for i in f.indices {
                while j + 1 < cf.count - 1 && cf[j + 1] < f[i] { j += 1 }
                if cf.count == 1 || f[i] <= cf[0] { out[i] = cs[0]; continue }
                if f[i] >= cf[cf.count - 1] { out[i] = cs[cs.count - 1]; continue }
                let u = (f[i] - cf[j]) / (cf[j + 1] - cf[j])
                out[i] = cs[j] + u * (cs[j + 1] - cs[j])
            }
            return out
        }
        var out = p
        var lo = 0
        for i in f.indices {
            while lo < i && f[i] - f[lo] > 8 * sigma { lo += 1 }
            var num = 0.0, den = 0.0
            var j = lo
            while j < f.count && f[j] - f[i] <= 8 * sigma {
                let d = (f[i] - f[j]) / sigma
                let w = _exp(-0.5 * d * d)
                num += w * p[j]
                den += w
                j += 1
            }
            out[i] = num / den
        }
        return out
    }
}
