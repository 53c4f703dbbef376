import PlexusCore

/// NEST's `stdp_synapse` (Gütig et al. 2003, Morrison et al. 2008): all-to-all pairing of pre-
/// and postsynaptic spikes through the presynaptic trace K⁺ (here) and the postsynaptic trace K⁻
/// (on the target's archive), with power-law weight dependence.
///
///   facilitation, per post spike:  ŵ ← ŵ + λ (1 − ŵ)^μ₊ K⁺,  ŵ = w / Wmax, capped at 1
///   depression, per pre spike:     ŵ ← ŵ − α λ ŵ^μ₋ K⁻,     floored at 0
struct STDPSynapse: PointSynapseModel, PairSTDP {
    struct State: PairSTDPState {
        var weight: Double
        /// The presynaptic trace just after the last presynaptic spike.
        var kplus: Double
        /// Time of the last presynaptic spike (ms).
        var tLast: Double
        var variables: [String: Double] { ["Kplus": kplus] }
    }

    static let name = "stdp_synapse"
    /// tau_plus and Kplus as in stdp_dopamine_synapse (SynapseParameters.swift), the rule's in between.
    static let parameters: [ParameterSpec] =
        [SynapseParameter.tau_plus] + PowerLawWeight.parameters + [SynapseParameter.Kplus]
    static let signTest = PowerLawWeight.SignTest.nonNegative

    let tauPlus, kplus0: Double
    let rule: PowerLawWeight

    init(parameters p: ParameterValues) throws {
        try Check.positive(p, "tau_plus")
        try Check.nonNegative(p, "lambda", "alpha", "Kplus")
        (tauPlus, kplus0) = (p["tau_plus"], p["Kplus"])
        rule = PowerLawWeight(p)
    }

    func rejection(ofDrawnWeight w: Double) -> String? {
        rule.hasSignOfWmax(w, Self.signTest) && abs(w) <= abs(wmax) ? nil : "is beyond Wmax \(wmax) or of the other sign"
    }

    func initialState(weight: Double) -> State { State(weight: weight, kplus: kplus0, tLast: 0) }

    /// All-to-all: K⁺ decayed to the post spike.
    @inline(__always)
    func potentiationTrace(_ s: State, minusDt: Double) -> Double { s.kplus * _exp(minusDt / tauPlus) }

    /// All-to-all: the postsynaptic trace K⁻.
    @inline(__always)
    func depressionTrace(at t: Double, delay d: Double, post: inout PostArchive) -> Double { post.trace(at: t - d) }

    @inline(__always)
    func takePreSpike(_ s: inout State, at t: Double) {
        s.kplus = s.kplus * _exp((s.tLast - t) / tauPlus) + 1
    }
}
