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

    /// The parameters of the rule, as NEST names them, in NEST's order (after `tau_plus`).
    static let parameters: [ParameterSpec] = [
        .init("lambda", .one, 0.01, "step size"),
        .init("alpha", .one, 1, "asymmetry between depression and potentiation"),
        .init("mu_plus", .one, 1, "weight dependence exponent of potentiation"),
        .init("mu_minus", .one, 1, "weight dependence exponent of depression"),
        .init("Wmax", .weight, 100, "maximum weight (same sign as the weight)"),
    ]

    init(_ p: ParameterValues) {
        (lambda, alpha, muPlus, muMinus, wmax) = (p["lambda"], p["alpha"], p["mu_plus"], p["mu_minus"], p["Wmax"])
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
