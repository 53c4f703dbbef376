import PlexusCore

/// NEST's `stdp_nn_symm_synapse` (Morrison et al. 2007, 2008, fig. 7A): STDP with the symmetric
/// nearest-neighbour pairing. Each post spike pairs with the last pre spike before it
/// (potentiation) and each pre spike with the last post spike before it (depression), with the
/// weight dependence of `stdp_synapse`:
///
///   per post spike at t_post (met at t_post + d):  ŵ ← ŵ + λ (1 − ŵ)^μ₊ e^(−(t_post + d − t_pre,last)/τ₊),  capped at 1
///   per pre spike at t_pre:                        ŵ ← ŵ − α λ ŵ^μ₋ e^(−(t_pre − d − t_post,last)/τ₋),    floored at 0
///
/// with ŵ = w / Wmax and the whole delay d dendritic. As in NEST 3.10:
/// - the post spikes in (t_pre,last − d, t_pre − d] all pair with the last pre spike, and before
///   the first pre spike with t = 0 (NEST's t_lastspike_ starts at 0);
/// - a post spike with t_post + d = t_pre (Δt = 0) is left out of that pre spike's depression,
///   which pairs with the post spike before (NEST's get_K_values takes spikes strictly before
///   t_pre − d); it potentiates against the previous pre spike instead;
/// - τ₋ is the target's tau_minus.
struct STDPNNSymmSynapse: PointSynapseModel {
    struct State: SynapseState {
        var weight: Double
        /// Time of the last presynaptic spike (ms).
        var tLast: Double
        var variables: [String: Double] { [:] }
    }

    static let name = "stdp_nn_symm_synapse"
    static let parameters: [ParameterSpec] =
        [.init("tau_plus", .ms, 20, "time constant of the potentiation window")] + PowerLawWeight.parameters
    static var readsPostHistory: Bool { true }

    let tauPlus: Double
    let rule: PowerLawWeight
    var wmax: Double { rule.wmax }

    init(parameters p: ParameterValues) throws {
        try Check.positive(p, "tau_plus")
        try Check.nonNegative(p, "lambda", "alpha")
        tauPlus = p["tau_plus"]
        rule = PowerLawWeight(p)
    }

    /// NEST compares the sign bits: a weight of -0 has the sign of a negative Wmax.
    func rejection(ofDrawnWeight w: Double) -> String? {
        w.sign != wmax.sign ? "and Wmax \(wmax) must have the same sign"
            : abs(w) > abs(wmax) ? "is beyond Wmax \(wmax)" : nil
    }

    func validate(weight: Sampler) throws {
        guard case .constant(let w) = weight else { return }
        guard w.sign == wmax.sign else {
            throw PlexusError("weight \(w) and Wmax \(wmax) must have the same sign", keyPath: "Wmax")
        }
        guard abs(w) <= abs(wmax) else { throw PlexusError("Wmax = \(wmax) is below the weight \(w)", keyPath: "Wmax") }
    }

    func initialState(weight: Double) -> State { State(weight: weight, tLast: 0) }

    /// Potentiation by a post spike met `minusDt` ms after the last pre spike (negative).
    @inline(__always)
    func facilitate(_ s: inout State, minusDt: Double) {
        s.weight = rule.potentiate(s.weight, by: _exp(minusDt / tauPlus))
    }

    /// Depression by the pre spike, meeting the nearest post spike's trace `kminus`.
    @inline(__always)
    func depress(_ s: inout State, kminus: Double) {
        s.weight = rule.depress(s.weight, by: kminus)
    }

    @inline(__always)
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double {
        let t = spike.time, d = spike.delay
        for k in post.history(s.tLast - d, t - d) {
            facilitate(&s, minusDt: s.tLast - (post.times[k] + d))
        }
        // The trace of the last post spike alone (nearest neighbour), as NEST computes it.
        let nearest = post.latest(before: t - d).map { _exp(($0.time - (t - d)) * (1 / post.tauMinus)) } ?? 0
        depress(&s, kminus: nearest)
        s.tLast = t
        return s.weight
    }
}
