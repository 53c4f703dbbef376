import PlexusCore

/// NEST's `stdp_dopamine_synapse` (Izhikevich 2007; Potjans et al. 2010): pre-post pairings build
/// an eligibility trace c, which dopamine (the trace n of a volume transmitter's spikes) turns
/// into weight changes:
///
///   dc/dt = −c/τ_c + A₊ K⁺ δ(t − t_post) − A₋ K⁻ δ(t − t_pre)
///   dn/dt = −n/τ_n + Σ δ(t − t_dopa) / τ_n
///   dw/dt = c (n − b),  w clipped to [Wmin, Wmax]
///
/// The weight is integrated exactly between events. Between the volume transmitter's triggers
/// a synapse reads the transmitter's spike list when a presynaptic spike passes; at a trigger it
/// is brought up to the trigger time (VolumeTransmitter.swift).
struct STDPDopamineSynapse: PointSynapseModel {
    struct State: SynapseState {
        var weight: Double
        /// The presynaptic trace just after the last presynaptic spike.
        var kplus: Double
        /// The eligibility trace at `tLast`.
        var c: Double
        /// The dopamine trace just after the dopamine spike `index` of the transmitter's list.
        var n: Double
        /// Time of the last update (ms): a presynaptic spike or a trigger.
        var tLast: Double
        /// The last dopamine spike taken in (NEST's dopa_spikes_idx_).
        var index: Int32 = 0
        var variables: [String: Double] { ["Kplus": kplus, "c": c, "n": n] }
    }

    static let name = "stdp_dopamine_synapse"
    // NEST keeps the first eight as common properties of the synapse model (set by CopyModel);
    // here each connection statement is its own copy. tau_plus and Kplus as in stdp_synapse
    // (SynapseParameters.swift).
    static let parameters: [ParameterSpec] = [
        .init("A_plus", .one, 1, "amplitude of the eligibility increase by a pre-post pair"),
        .init("A_minus", .one, 1.5, "amplitude of the eligibility decrease by a post-pre pair"),
        SynapseParameter.tau_plus,
        .init("tau_c", .ms, 1000, "time constant of the eligibility trace"),
        .init("tau_n", .ms, 200, "time constant of the dopamine trace"),
        .init("b", .one, 0, "dopaminergic baseline concentration"),
        .init("Wmin", .weight, 0, "minimum weight"),
        .init("Wmax", .weight, 200, "maximum weight"),
        SynapseParameter.Kplus,
        .init("c", .one, 0, "initial eligibility trace"),
        .init("n", .one, 0, "initial dopamine trace"),
    ]
    static var readsPostHistory: Bool { true }
    static var needsVolumeTransmitter: Bool { true }

    let aPlus, aMinus, tauPlus, tauC, tauN, b, wmin, wmax, kplus0, c0, n0: Double
    /// 1/τ_c + 1/τ_n, the decay rate of c·n.
    let taus: Double

    init(parameters p: ParameterValues) throws {
        try Check.positive(p, "tau_plus", "tau_c", "tau_n")
        try Check.nonNegative(p, "Kplus")
        let wmin = p["Wmin"], wmax = p["Wmax"]
        guard wmin <= wmax else { throw PlexusError("Wmax = \(wmax) is below Wmin = \(wmin)", keyPath: "Wmax") }
        (aPlus, aMinus, tauPlus, tauC, tauN, b) = (p["A_plus"], p["A_minus"], p["tau_plus"], p["tau_c"], p["tau_n"], p["b"])
        (self.wmin, self.wmax, kplus0, c0, n0) = (wmin, wmax, p["Kplus"], p["c"], p["n"])
        taus = (tauC + tauN) / (tauC * tauN)
    }

    func validate(weight: Sampler) throws {
        guard case .constant(let w) = weight else { return }
        guard w <= wmax else { throw PlexusError("Wmax = \(wmax) is below the weight \(w)", keyPath: "Wmax") }
        guard w >= wmin else { throw PlexusError("Wmin = \(wmin) is above the weight \(w)", keyPath: "Wmin") }
    }

    func rejection(ofDrawnWeight w: Double) -> String? {
        w >= wmin && w <= wmax ? nil : "is outside [Wmin, Wmax] = [\(wmin), \(wmax)]"
    }

    func initialState(weight: Double) -> State { State(weight: weight, kplus: kplus0, c: c0, n: n0, tLast: 0) }

    /// Integrates the weight over a span of length -minusDt in which c decays from c0 and n from n0.
    @inline(__always)
    func updateWeight(_ s: inout State, c0: Double, n0: Double, minusDt: Double) {
        var w = s.weight - c0 * (n0 / taus * _expm1(taus * minusDt) - b * tauC * _expm1(minusDt / tauC))
        if w < wmin { w = wmin }
        if w > wmax { w = wmax }
        s.weight = w
    }

    /// Takes in the next dopamine spike: n decays to it and jumps by multiplicity / tau_n.
    @inline(__always)
    func takeDopamineSpike(_ s: inout State, _ spikes: UnsafeBufferPointer<DopaSpike>) {
        let i = Int(s.index)
        let minusDt = spikes[i].time - spikes[i + 1].time
        s.index += 1
        s.n = s.n * _exp(minusDt / tauN) + spikes[i + 1].multiplicity / tauN
    }

    /// Brings the weight and the traces from t0 to t1 through the dopamine spikes in between.
    func processDopamine(_ s: inout State, _ spikes: UnsafeBufferPointer<DopaSpike>, _ t0: Double, _ t1: Double) {
        let eps = PostArchive.eps
        @inline(__always) func nextArrives() -> Bool {
            spikes.count > Int(s.index) + 1 && t1 - spikes[Int(s.index) + 1].time > -eps
        }
        if nextArrives() {
            let n0 = s.n * _exp((spikes[Int(s.index)].time - t0) / tauN)
            updateWeight(&s, c0: s.c, n0: n0, minusDt: t0 - spikes[Int(s.index) + 1].time)
            takeDopamineSpike(&s, spikes)
            while nextArrives() {
                let cd = s.c * _exp((t0 - spikes[Int(s.index)].time) / tauC)
                updateWeight(&s, c0: cd, n0: s.n, minusDt: spikes[Int(s.index)].time - spikes[Int(s.index) + 1].time)
                takeDopamineSpike(&s, spikes)
            }
            let cd = s.c * _exp((t0 - spikes[Int(s.index)].time) / tauC)
            updateWeight(&s, c0: cd, n0: s.n, minusDt: spikes[Int(s.index)].time - t1)
        } else {
            let n0 = s.n * _exp((spikes[Int(s.index)].time - t0) / tauN)
            updateWeight(&s, c0: s.c, n0: n0, minusDt: t0 - t1)
        }
        s.c *= _exp((t0 - t1) / tauC)
    }

    /// NEST's `send`: the presynaptic spike at `t` (delay `d`, all dendritic) passes; returns the
    /// weight it carries.
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double {
        let t = spike.time, d = spike.delay
        var t0 = s.tLast
        for k in post.history(s.tLast - d, t - d) {
            let tPost = post.times[k] + d
            processDopamine(&s, spike.dopamine, t0, tPost)
            t0 = tPost
            // Eligibility from the pair (earlier pre, this post).
            if t - post.times[k] > PostArchive.eps { s.c += aPlus * s.kplus * _exp((s.tLast - t0) / tauPlus) }
        }
        processDopamine(&s, spike.dopamine, t0, t)
        s.c -= aMinus * post.trace(at: t - d)
        let w = s.weight
        s.kplus = s.kplus * _exp((s.tLast - t) / tauPlus) + 1
        s.tLast = t
        return w
    }

    /// NEST's `trigger_update_weight`: brings the synapse to the trigger time `tTrig`.
    func dopamineTrigger(_ s: inout State, at tTrig: Double, delay d: Double, post: inout PostArchive,
                         dopamine spikes: UnsafeBufferPointer<DopaSpike>) {
        var t0 = s.tLast
        for k in post.history(s.tLast - d, tTrig - d) {
            let tPost = post.times[k] + d
            processDopamine(&s, spikes, t0, tPost)
            t0 = tPost
            s.c += aPlus * s.kplus * _exp((s.tLast - t0) / tauPlus)
        }
        processDopamine(&s, spikes, t0, tTrig)
        s.n *= _exp((spikes[Int(s.index)].time - tTrig) / tauN)
        s.kplus *= _exp((s.tLast - tTrig) / tauPlus)
        s.tLast = tTrig
        s.index = 0
    }
}
