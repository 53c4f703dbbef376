import PlexusCore

/// NEST's `stdp_pl_synapse_hom` (Morrison et al. 2007): all-to-all pair STDP with power-law
/// potentiation and multiplicative depression of the weight itself (not normalised by a Wmax),
/// its parameters shared by every synapse of the model (NEST's "hom"):
///
///   facilitation, per post spike:  w ← w + λ w^μ K⁺
///   depression, per pre spike:     w ← w − λ α w K⁻,  floored at 0
///
/// The flow is stdp_synapse's (PowerLawWeight.swift's PairSTDP); NEST multiplies by 1/τ₊ here
/// where stdp_synapse divides, and so does this, for the same digits.
struct STDPPLSynapseHom: PointSynapseModel {
    /// stdp_synapse's: the weight, K⁺ after the last pre spike, its time.
    typealias State = STDPSynapse.State

    static let name = "stdp_pl_synapse_hom"
    static let parameters: [ParameterSpec] = [
        .init("tau_plus", .ms, 20, "time constant of the presynaptic trace"),
        .init("lambda", .one, 0.1, "step size"),
        .init("alpha", .one, 1, "asymmetry between depression and potentiation"),
        .init("mu", .one, 0.4, "weight dependence exponent of potentiation"),
        SynapseParameter.Kplus,
    ]
    static var readsPostHistory: Bool { true }

    let tauPlusInv, lambda, alpha, mu, kplus0: Double

    init(parameters p: ParameterValues) throws {
        try Check.positive(p, "tau_plus")
        try Check.nonNegative(p, "Kplus")
        tauPlusInv = 1 / p["tau_plus"]
        (lambda, alpha, mu, kplus0) = (p["lambda"], p["alpha"], p["mu"], p["Kplus"])
    }

    func initialState(weight: Double) -> State { State(weight: weight, kplus: kplus0, tLast: 0) }

    @inline(__always)
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double {
        let t = spike.time, d = spike.delay
        // Post spikes since the last pre spike, met at t_post + d.
        for k in post.history(s.tLast - d, t - d) {
            let minusDt = s.tLast - (post.times[k] + d)
            s.weight = s.weight + lambda * _pow(s.weight, mu) * (s.kplus * _exp(minusDt * tauPlusInv))
        }
        let depressed = s.weight - lambda * alpha * s.weight * post.trace(at: t - d)
        s.weight = depressed > 0 ? depressed : 0
        s.kplus = s.kplus * _exp((s.tLast - t) * tauPlusInv) + 1
        s.tLast = t
        return s.weight
    }
}
