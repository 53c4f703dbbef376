import PlexusCore

/// The power-law weight dependence of NEST's pair STDP synapses (Gütig et al. 2003), on the
/// normalised weight ŵ = w / Wmax:
///
///   potentiation:  ŵ ← ŵ + λ (1 − ŵ)^μ₊ k,    capped at 1
///   depression:    ŵ ← ŵ − α λ ŵ^μ₋ k,        floored at 0
///
/// `stdp_synapse` and `stdp_nn_symm_synapse` differ only in which traces k they pair.
struct PowerLawWeight {
    let lambda, alpha, muPlus, muMinus, wmax: Double

    /// The parameters of the rule, as NEST names them, in NEST's order (after `tau_plus`); Wmax
    /// as in stdp_triplet_synapse (SynapseParameters.swift).
    static let parameters: [ParameterSpec] = [
        .init("lambda", .one, 0.01, "step size"),
        .init("alpha", .one, 1, "asymmetry between depression and potentiation"),
        .init("mu_plus", .one, 1, "weight dependence exponent of potentiation"),
        .init("mu_minus", .one, 1, "weight dependence exponent of depression"),
        SynapseParameter.Wmax,
    ]

    init(_ p: ParameterValues) {
        (lambda, alpha, muPlus, muMinus, wmax) = (p["lambda"], p["alpha"], p["mu_plus"], p["mu_minus"], p["Wmax"])
    }

    /// How NEST compares a weight's sign with Wmax's: `stdp_synapse` by w >= 0, so a weight of -0
    /// counts as positive; `stdp_nn_symm_synapse` by the sign bits, so -0 is negative.
    enum SignTest { case nonNegative, signBit }

    func hasSignOfWmax(_ w: Double, _ test: SignTest) -> Bool {
        switch test {
        case .nonNegative: (w >= 0) == (wmax >= 0)
        case .signBit: w.sign == wmax.sign
        }
    }

    /// NEST's check of a connection statement's constant weight: the sign of Wmax, and not beyond it.
    func validate(weight: Sampler, _ test: SignTest) throws {
        guard case .constant(let w) = weight else { return }
        guard hasSignOfWmax(w, test) else {
            throw PlexusError("weight \(w) and Wmax \(wmax) must have the same sign", keyPath: "Wmax")
        }
        guard abs(w) <= abs(wmax) else { throw PlexusError("Wmax = \(wmax) is below the weight \(w)", keyPath: "Wmax") }
    }

    @inline(__always)
    func potentiate(_ w: Double, by k: Double) -> Double {
        let norm = w / wmax + lambda * Self.power(1 - w / wmax, muPlus) * k
        return norm < 1 ? norm * wmax : wmax
    }

    @inline(__always)
    func depress(_ w: Double, by k: Double) -> Double {
        let norm = w / wmax - alpha * lambda * Self.power(w / wmax, muMinus) * k
        return norm > 0 ? norm * wmax : 0
    }

    /// x^mu, without the call for the usual exponents: pow(x, 1) is x and pow(x, 0) is 1
    /// exactly (IEEE 754), so the result is the same bit for bit.
    @inline(__always)
    static func power(_ x: Double, _ mu: Double) -> Double {
        mu == 1 ? x : mu == 0 ? 1 : _pow(x, mu)
    }
}

/// The state the pair STDP synapses share: the weight and the time of the last presynaptic spike.
protocol PairSTDPState: SynapseState {
    var weight: Double { get set }
    /// Time of the last presynaptic spike (ms).
    var tLast: Double { get set }
}

/// NEST's pair STDP synapses with the power-law weight dependence (`stdp_synapse`,
/// `stdp_nn_symm_synapse`). They share the flow of NEST's `send` — the post spikes since the
/// last pre spike potentiate, each met at t_post + d (the whole delay d is dendritic), then the
/// pre spike depresses — and differ only in which spikes they pair: the traces that scale the
/// two updates, and what a pre spike leaves behind besides its time.
protocol PairSTDP: PointSynapseModel where State: PairSTDPState {
    var rule: PowerLawWeight { get }
    /// How the model compares a weight's sign with Wmax's.
    static var signTest: PowerLawWeight.SignTest { get }
    /// The presynaptic factor of the potentiation by a post spike met `minusDt` ms after the last
    /// pre spike (negative).
    func potentiationTrace(_ s: State, minusDt: Double) -> Double
    /// The postsynaptic factor of the depression by the pre spike at `t` (delay `d`).
    func depressionTrace(at t: Double, delay d: Double, post: inout PostArchive) -> Double
    /// Updates the presynaptic traces for the pre spike at `t` (`s.tLast` is still the last one).
    func takePreSpike(_ s: inout State, at t: Double)
}

extension PairSTDP {
    static var readsPostHistory: Bool { true }
    var wmax: Double { rule.wmax }

    func validate(weight: Sampler) throws { try rule.validate(weight: weight, Self.signTest) }

    @inline(__always)
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double {
        let t = spike.time, d = spike.delay
        // Post spikes since the last pre spike, met at t_post + d.
        for k in post.history(s.tLast - d, t - d) {
            let minusDt = s.tLast - (post.times[k] + d)
            s.weight = rule.potentiate(s.weight, by: potentiationTrace(s, minusDt: minusDt))
        }
        s.weight = rule.depress(s.weight, by: depressionTrace(at: t, delay: d, post: &post))
        takePreSpike(&s, at: t)
        s.tLast = t
        return s.weight
    }
}
