import PlexusCore

/// NEST's `stdp_triplet_synapse` (Pfister & Gerstner 2006): pair and triplet terms, all-to-all,
/// through the presynaptic traces r₁ = K⁺ and r₂ = K⁺_triplet (here) and the postsynaptic traces
/// o₁ = K⁻ and o₂ = K⁻_triplet (on the target's archive); the weight keeps the sign of Wmax.
///
///   per post spike:  |w| ← |w| + r₁ (A₂⁺ + A₃⁺ o₂(t_post − ε)),  capped at |Wmax|
///   per pre spike:   |w| ← |w| − o₁ (A₂⁻ + A₃⁻ r₂(t_pre − ε)),  floored at 0
struct STDPTripletSynapse: PointSynapseModel {
    struct State: SynapseState {
        var weight: Double
        /// The presynaptic pair trace just after the last presynaptic spike.
        var kplus: Double
        /// The presynaptic triplet trace just after the last presynaptic spike.
        var kplusTriplet: Double
        /// Time of the last presynaptic spike (ms).
        var tLast: Double
        var variables: [String: Double] { ["Kplus": kplus, "Kplus_triplet": kplusTriplet] }
    }

    static let name = "stdp_triplet_synapse"
    /// Wmax as in stdp_synapse (SynapseParameters.swift).
    static let parameters: [ParameterSpec] = [
        .init("tau_plus", .ms, 16.8, "time constant of the presynaptic pair trace"),
        .init("tau_plus_triplet", .ms, 101, "time constant of the presynaptic triplet trace"),
        .init("Aplus", .one, 5e-10, "weight of pair potentiation"),
        .init("Aminus", .one, 7e-3, "weight of pair depression"),
        .init("Aplus_triplet", .one, 6.2e-3, "weight of triplet potentiation"),
        .init("Aminus_triplet", .one, 2.3e-4, "weight of triplet depression"),
        SynapseParameter.Wmax,
        .init("Kplus", .one, 0, "initial presynaptic pair trace"),
        .init("Kplus_triplet", .one, 0, "initial presynaptic triplet trace"),
    ]
    static var readsPostHistory: Bool { true }

    let tauPlus, tauPlusTriplet, aPlus, aMinus, aPlusTriplet, aMinusTriplet, wmax, kplus0, kplusTriplet0: Double

    init(parameters p: ParameterValues) throws {
        try Check.positive(p, "tau_plus", "tau_plus_triplet")
        try Check.nonNegative(p, "Aplus", "Aminus", "Aplus_triplet", "Aminus_triplet", "Kplus", "Kplus_triplet")
        (tauPlus, tauPlusTriplet, aPlus, aMinus) = (p["tau_plus"], p["tau_plus_triplet"], p["Aplus"], p["Aminus"])
        (aPlusTriplet, aMinusTriplet, wmax) = (p["Aplus_triplet"], p["Aminus_triplet"], p["Wmax"])
        (kplus0, kplusTriplet0) = (p["Kplus"], p["Kplus_triplet"])
    }

    func validate(weight: Sampler) throws {
        guard case .constant(let w) = weight else { return }
        guard abs(w) <= abs(wmax) else { throw PlexusError("Wmax = \(wmax) is below the weight \(w)", keyPath: "Wmax") }
    }

    func initialState(weight: Double) -> State {
        State(weight: weight, kplus: kplus0, kplusTriplet: kplusTriplet0, tLast: 0)
    }

    /// Potentiation by a post spike `minusDt` ms after the last pre spike (negative), after which
    /// the postsynaptic triplet trace was `kminusTriplet`.
    @inline(__always)
    func facilitate(_ s: inout State, minusDt: Double, kminusTriplet: Double) {
        // The post triplet trace just before that post spike (Pfister & Gerstner's t - eps).
        let ky = kminusTriplet - 1
        let w = abs(s.weight) + s.kplus * _exp(minusDt / tauPlus) * (aPlus + aPlusTriplet * ky)
        s.weight = (w < abs(wmax) ? w : wmax).magnitude * (wmax < 0 ? -1 : 1)
    }

    /// Depression by the pre spike at `t`, meeting the postsynaptic pair trace `kminus`.
    @inline(__always)
    func depress(_ s: inout State, at t: Double, kminus: Double) {
        s.kplusTriplet *= _exp((s.tLast - t) / tauPlusTriplet)
        let w = abs(s.weight) - kminus * (aMinus + aMinusTriplet * s.kplusTriplet)
        s.weight = (w > 0 ? w : 0) * (wmax < 0 ? -1 : 1)
    }

    @inline(__always)
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double {
        let t = spike.time, d = spike.delay
        for k in post.history(s.tLast - d, t - d) {
            facilitate(&s, minusDt: s.tLast - (post.times[k] + d), kminusTriplet: post.kminusTriplet[k])
        }
        depress(&s, at: t, kminus: post.trace(at: t - d))
        s.kplusTriplet += 1
        s.kplus = s.kplus * _exp((s.tLast - t) / tauPlus) + 1
        s.tLast = t
        return s.weight
    }
}
