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
struct STDPNNSymmSynapse: PointSynapseModel, PairSTDP {
    struct State: PairSTDPState {
        var weight: Double
        /// Time of the last presynaptic spike (ms).
        var tLast: Double
        var variables: [String: Double] { [:] }
    }

    static let name = "stdp_nn_symm_synapse"
    static let parameters: [ParameterSpec] =
        [.init("tau_plus", .ms, 20, "time constant of the potentiation window")] + PowerLawWeight.parameters
    static let signTest = PowerLawWeight.SignTest.signBit

    let tauPlus: Double
    let rule: PowerLawWeight

    init(parameters p: ParameterValues) throws {
        try Check.positive(p, "tau_plus")
        try Check.nonNegative(p, "lambda", "alpha")
        tauPlus = p["tau_plus"]
        rule = PowerLawWeight(p)
    }

    /// NEST compares the sign bits: a weight of -0 has the sign of a negative Wmax.
    func rejection(ofDrawnWeight w: Double) -> String? {
        !rule.hasSignOfWmax(w, Self.signTest) ? "and Wmax \(wmax) must have the same sign"
            : abs(w) > abs(wmax) ? "is beyond Wmax \(wmax)" : nil
    }

    func initialState(weight: Double) -> State { State(weight: weight, tLast: 0) }

    /// Nearest neighbour: the last pre spike alone.
    @inline(__always)
    func potentiationTrace(_ s: State, minusDt: Double) -> Double { _exp(minusDt / tauPlus) }

    /// Nearest neighbour: the trace of the last post spike alone, as NEST computes it.
    @inline(__always)
    func depressionTrace(at t: Double, delay d: Double, post: inout PostArchive) -> Double {
        post.latest(before: t - d).map { _exp(($0.time - (t - d)) * (1 / post.tauMinus)) } ?? 0
    }

    /// Nothing but its time (no presynaptic trace).
    @inline(__always)
    func takePreSpike(_ s: inout State, at t: Double) {}
}
