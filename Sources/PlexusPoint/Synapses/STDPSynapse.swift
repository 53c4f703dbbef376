import PlexusCore

/// NEST's `stdp_synapse` (Gütig et al. 2003, Morrison et al. 2008): all-to-all pairing of pre-
/// and postsynaptic spikes through the presynaptic trace K⁺ (here) and the postsynaptic trace K⁻
/// (on the target's archive), with power-law weight dependence.
///
///   facilitation, per post spike:  ŵ ← ŵ + λ (1 − ŵ)^μ₊ K⁺,  ŵ = w / Wmax, capped at 1
///   depression, per pre spike:     ŵ ← ŵ − α λ ŵ^μ₋ K⁻,     floored at 0
struct STDPSynapse: PointSynapseModel {
    struct State: SynapseState {
        var weight: Double
        /// The presynaptic trace just after the last presynaptic spike.
        var kplus: Double
        /// Time of the last presynaptic spike (ms).
        var tLast: Double
        var variables: [String: Double] { ["Kplus": kplus] }
    }

    static let name = "stdp_synapse"
    static let parameters: [ParameterSpec] =
        [.init("tau_plus", .ms, 20, "time constant of the presynaptic trace")] + PowerLawWeight.parameters
        + [.init("Kplus", .one, 0, "initial presynaptic trace")]
    static var readsPostHistory: Bool { true }

    let tauPlus, kplus0: Double
    let rule: PowerLawWeight
    var wmax: Double { rule.wmax }

    init(parameters p: ParameterValues) throws {
        try Check.positive(p, "tau_plus")
        try Check.nonNegative(p, "lambda", "alpha", "Kplus")
        (tauPlus, kplus0) = (p["tau_plus"], p["Kplus"])
        rule = PowerLawWeight(p)
    }

    func validate(weight: Sampler) throws {
        guard case .constant(let w) = weight else { return }
        guard (w >= 0) == (wmax >= 0) else {
            throw PlexusError("weight \(w) and Wmax \(wmax) must have the same sign", keyPath: "Wmax")
        }
        guard abs(w) <= abs(wmax) else { throw PlexusError("Wmax = \(wmax) is below the weight \(w)", keyPath: "Wmax") }
    }

    func rejection(ofDrawnWeight w: Double) -> String? {
        (w >= 0) == (wmax >= 0) && abs(w) <= abs(wmax) ? nil : "is beyond Wmax \(wmax) or of the other sign"
    }

    func initialState(weight: Double) -> State { State(weight: weight, kplus: kplus0, tLast: 0) }

    /// A post spike `minusDt` ms after the last pre spike (negative) potentiates.
    @inline(__always)
    func facilitate(_ s: inout State, minusDt: Double) {
        s.weight = rule.potentiate(s.weight, by: s.kplus * _exp(minusDt / tauPlus))
    }

    /// The pre spike meets the postsynaptic trace `kminus` and depresses.
    @inline(__always)
    func depress(_ s: inout State, kminus: Double) {
        s.weight = rule.depress(s.weight, by: kminus)
    }

    @inline(__always)
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double {
        let t = spike.time, d = spike.delay
        // Post spikes since the last pre spike, met at t_post + d.
        for k in post.history(s.tLast - d, t - d) {
            facilitate(&s, minusDt: s.tLast - (post.times[k] + d))
        }
        depress(&s, kminus: post.trace(at: t - d))
        s.kplus = s.kplus * _exp((s.tLast - t) / tauPlus) + 1
        s.tLast = t
        return s.weight
    }
}
