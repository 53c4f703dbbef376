import PlexusCore

/// Superposition of gamma processes (NEST `gamma_sup_generator`): every target gets its own
/// superposition of `n_proc` independent gamma processes of shape `gamma_shape` and rate `rate`,
/// active in the window (origin + start, origin + stop]. PyNN's SpikeSourceGamma.
public struct GammaSupGenerator: StimulationDevice {
    public static let name = "gamma_sup_generator"
    public static let parameters: [ParameterSpec] = [
        .init("rate", .Hz, 0, "rate of each component gamma process"),
        .init("gamma_shape", .one, 1, "shape of the component processes' gamma-distributed intervals (whole number >= 1)"),
        .init("n_proc", .one, 1, "number of superposed component processes (whole number >= 1)"),
    ] + ActivityWindow.parameters

    public let window: ActivityWindow
    public let process: SpikeProcess

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        let shape = try DeviceCheck.integer(p, "gamma_shape", atLeast: 1)
        try DeviceCheck.nonNegative(p, "rate")
        let nProc = try DeviceCheck.integer(p, "n_proc", atLeast: 1)
        let rate = p["rate"]
        // NEST's pre_run_hook.
        let transition = rate * Double(shape) * grid.h / 1000.0
        guard transition <= 1 else {
            throw PlexusError("rate \(rate) Hz × gamma_shape \(shape) is too high for the resolution: the transition probability per step (rate × gamma_shape × h) must be <= 1",
                              keyPath: "rate")
        }
        let each = UInt64(nProc / shape)
        window = try ActivityWindow(p, grid: grid)
        process = SpikeProcess(kind: .gamma, probability: transition, bins: shape, initialEach: each,
                               initialExtra: UInt64(nProc) &- each &* UInt64(shape), emits: rate > 0,
                               startStep: window.startStep, stopStep: window.stopStep)
    }

    public var output: DeviceOutput { .process(process) }
}

/// Superposition of Poisson processes with dead time (NEST `ppd_sup_generator`): every target
/// gets its own superposition of `n_proc` independent processes of rate `rate` with an absolute
/// dead time `dead_time`, the rate optionally modulated by `1 + relative_amplitude·sin(2π
/// frequency t)`. PyNN's SpikeSourcePoissonRefractory.
public struct PpdSupGenerator: StimulationDevice {
    public static let name = "ppd_sup_generator"
    public static let parameters: [ParameterSpec] = [
        .init("rate", .Hz, 0, "rate of each component process"),
        .init("dead_time", .ms, 0, "dead time of each component process"),
        .init("n_proc", .one, 1, "number of superposed component processes (whole number >= 1)"),
        .init("frequency", .Hz, 0, "frequency of the rate modulation"),
        .init("relative_amplitude", .one, 0, "relative amplitude of the rate modulation, in [0, 1]"),
    ] + ActivityWindow.parameters

    public let window: ActivityWindow
    public let process: SpikeProcess

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        try DeviceCheck.nonNegative(p, "dead_time", "rate")
        let rate = p["rate"], deadTime = p["dead_time"]
        if 1000.0 / rate <= deadTime {
            throw PlexusError("rate \(rate) Hz: the inverse rate \(1000.0 / rate) ms must be longer than the dead time \(deadTime) ms",
                              keyPath: "rate")
        }
        let nProc = try DeviceCheck.integer(p, "n_proc", atLeast: 1)
        let amplitude = p["relative_amplitude"]
        guard amplitude >= 0 && amplitude <= 1 else {
            throw PlexusError.outOfRange("relative_amplitude", amplitude, "the relative amplitude of the rate modulation must be in [0, 1]")
        }
        let h = grid.h
        // NEST's pre_run_hook.
        let bins = Int(deadTime / h)
        let hazard = 1.0 / (1000.0 / rate - deadTime) * h
        let modulated = p["frequency"] != 0 ? hazard * (1 + amplitude) : hazard
        guard modulated <= 1 else {
            throw PlexusError("rate \(rate) Hz is too high for the resolution: the hazard per step (h / (1000/rate - dead_time), modulation included) must be <= 1",
                              keyPath: "rate")
        }
        let each = UInt64(rate / 1000.0 * Double(nProc) * h)
        window = try ActivityWindow(p, grid: grid)
        process = SpikeProcess(kind: .deadTime, probability: hazard, bins: bins, initialEach: each,
                               initialExtra: UInt64(nProc) &- each &* UInt64(bins),
                               amplitude: amplitude, omega: 2.0 * Double.pi * p["frequency"] / 1000.0, emits: rate > 0,
                               startStep: window.startStep, stopStep: window.stopStep)
    }

    public var output: DeviceOutput { .process(process) }
}

/// The draws a `SpikeProcess` step makes: NEST's (libstdc++ distributions on the VP's
/// mt19937_64, per target) or Plexus's (a counter-based stream per target and step).
protocol ProcessDraws {
    mutating func binomial(_ n: UInt64, _ p: Double) -> UInt64
    mutating func poisson(_ mean: Double) -> UInt64
}

extension SpikeProcess {
    /// Words of state per target: gamma's occupations; the dead-time process's active count,
    /// the index of the bin to release next, then its refractory bins.
    var stateWords: Int {
        switch kind {
        case .gamma: return bins
        case .deadTime: return bins + 2
        case .sinusoidal: return 0
        }
    }

    /// A target's state before its first step (NEST's pre_run_hook).
    func initialize(_ s: UnsafeMutablePointer<UInt64>) {
        switch kind {
        case .gamma:
            for i in 0..<bins { s[i] = initialEach }
            s[bins - 1] &+= initialExtra
        case .deadTime:
            s[0] = initialExtra
            s[1] = 0
            for i in 0..<bins { s[2 + i] = initialEach }
        case .sinusoidal:
            break
        }
    }

    /// sinusoidal_poisson_generator's mean count in emission step `e` with Plexus's streams:
    /// NEST's oscillator turned e + 1 times from t = 0, `rate + amplitude·sin(omega·(e+1)·h +
    /// phase)` per ms, at least 0, times h.
    @inline(__always)
    func sinusoidalMean(at e: Int64, h: Double) -> Double {
        max(0, probability + amplitude * _sin(omega * Double(e + 1) * h + phase)) * h
    }

    /// The probability per step for emission step `e` (NEST evaluates the modulation at the
    /// step's start, `t.get_ms()`, in tics).
    @inline(__always)
    func probability(at e: Int64, ticsPerStep: Int64) -> Double {
        guard kind == .deadTime && amplitude > 0 && omega != 0 else { return probability }
        let ms = (1 / 1000.0) * Double(e &* ticsPerStep)
        return probability * (1.0 + amplitude * _sin(omega * ms))
    }

    /// How many of `n` components move on with probability `p`: NEST's rule of thumb takes a
    /// Poisson count (at most n) where it approximates the binomial well.
    @inline(__always)
    static func transitions<D: ProcessDraws>(_ n: UInt64, _ p: Double, _ draws: inout D) -> UInt64 {
        guard n > 0 else { return 0 }
        if (n >= 100 && p <= 0.01) || (n >= 500 && p * Double(n) <= 0.1) {
            return min(draws.poisson(p * Double(n)), n)
        }
        return draws.binomial(n, p)
    }

    /// Advances a target's state by one active step with probability `p`; returns its spikes.
    @inline(__always)
    func step<D: ProcessDraws>(_ s: UnsafeMutablePointer<UInt64>, p: Double, _ draws: inout D) -> UInt64 {
        switch kind {
        case .gamma:
            // The transitions of every state are drawn from the occupations before the step
            // (state 0 first); each state then passes its count to the next, the last to the first.
            var carry: UInt64 = 0
            for i in 0..<bins {
                let occ = s[i]
                let n = Self.transitions(occ, p, &draws)
                s[i] = occ - n + carry
                carry = n
            }
            s[0] += carry
            return carry
        case .deadTime:
            let n = Self.transitions(s[0], p, &draws)
            if bins > 0 {
                let k = Int(s[1])
                s[0] = s[0] + s[2 + k] - n
                s[2 + k] = n
                s[1] = UInt64((k + 1) % bins)
            }
            return n
        case .sinusoidal:
            return p > 0 ? draws.poisson(p) : 0   // p: the step's mean count
        }
    }
}

/// NEST's draws for one target: its own binomial and Poisson distribution objects (their normal
/// deviates' saved values) on the VP's engine.
struct NestProcessDraws: ProcessDraws {
    let engine: UnsafeMutablePointer<MT19937_64>
    let binomials: UnsafeMutablePointer<LibstdcxxBinomial>
    let poissons: UnsafeMutablePointer<LibstdcxxPoisson>

    mutating func binomial(_ n: UInt64, _ p: Double) -> UInt64 {
        binomials.pointee.next(&engine.pointee, trials: n, probability: p)
    }

    mutating func poisson(_ mean: Double) -> UInt64 {
        poissons.pointee.setMean(mean)
        return UInt64(poissons.pointee.next(&engine.pointee))
    }
}

/// Plexus's draws: one counter-based stream per (statement, target, step), so that the trains do
/// not depend on threads.
struct PlexusProcessDraws: ProcessDraws {
    var stream: RandomStream

    mutating func binomial(_ n: UInt64, _ p: Double) -> UInt64 {
        UInt64(stream.nextBinomial(Int(n), p))
    }

    mutating func poisson(_ mean: Double) -> UInt64 {
        UInt64(stream.nextPoisson(mean))
    }
}

/// Sinusoidally modulated Poisson trains (NEST `sinusoidal_poisson_generator`): rate
/// `rate + amplitude·sin(2π·frequency·t + phase)` (at least 0), every target its own train
/// (`individual_spike_trains` 1, NEST's default) or one train for all targets (0; NEST: one per
/// virtual process).
public struct SinusoidalPoissonGenerator: StimulationDevice {
    public static let name = "sinusoidal_poisson_generator"
    public static let parameters: [ParameterSpec] = [
        .init("rate", .Hz, 0, "mean rate"),
        .init("amplitude", .Hz, 0, "amplitude of the rate modulation"),
        .init("frequency", .Hz, 0, "frequency of the rate modulation"),
        .init("phase", .one, 0, "phase of the rate modulation in degrees"),
        .init("individual_spike_trains", .one, 1, "1: every target its own train; 0: one train for all targets"),
    ] + ActivityWindow.parameters

    public let window: ActivityWindow
    public let process: SpikeProcess

    public init(_ p: DeviceParameters, grid: TimeGrid) throws {
        let individual = p["individual_spike_trains"]
        guard individual == 0 || individual == 1 else {
            throw PlexusError.outOfRange("individual_spike_trains", individual, "must be 0 or 1 (false or true)")
        }
        window = try ActivityWindow(p, grid: grid)
        // NEST's set: per ms, rad/ms, rad. Its type is CURRENT_GENERATOR's: it sends in the
        // steps e with start < e + 2 <= stop.
        var process = SpikeProcess(kind: .sinusoidal, probability: p["rate"] / 1000.0, bins: 0, initialEach: 0, initialExtra: 0,
                                   amplitude: p["amplitude"] / 1000.0, omega: p["frequency"] * (2.0 * Double.pi / 1000.0), emits: true,
                                   startStep: window.startStep - 2, stopStep: window.stopStep - 2)
        process.phase = p["phase"] * (Double.pi / 180.0)
        process.shared = individual == 0
        self.process = process
    }

    public var output: DeviceOutput { .process(process) }
}
