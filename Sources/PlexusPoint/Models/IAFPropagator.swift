import PlexusCore

/// NEST's `IAFPropagator` (libnestutil/iaf_propagator.cpp) for the Swift models that need it
/// (the `_ps` and multisynapse models; iaf_psc_exp and iaf_psc_alpha spell it out as functions
/// in their descriptions): the propagators that map a synaptic current onto V_m for exponential
/// and alpha kernels. The textbook expressions divide by τ_m − τ_syn; when τ_m ≈ τ_syn they lose all digits or are 0·∞, so NEST switches to the
/// limit τ_syn → τ_m. We reproduce its tests and formulas literally (including computing with
/// the precomputed inverses) so that the numbers agree to the last bits.
struct IAFPropagator {
    let hMinRegular: Double
    let beta, gamma: Double
    let invTauSyn, invTauM, invC, invBeta: Double

    init(tauSyn: Double, tauM: Double, C: Double) {
        // Regular P31 only if h > 1e-7·τ_m²/|τ_m − τ_syn| (NEST's NUMERICAL_STABILITY_FACTOR_).
        hMinRegular = 1e-7 * tauM * tauM / abs(tauM - tauSyn)
        beta = tauSyn * tauM / (tauM - tauSyn)   // ±inf when equal: handled below
        gamma = beta / C
        invTauSyn = 1 / tauSyn
        invTauM = 1 / tauM
        invC = 1 / C
        invBeta = (tauM - tauSyn) / (tauSyn * tauM)   // explicit, so 0 when equal
    }

    /// P32 (current → V) and the pieces the alpha case reuses; `expHTau` is NaN unless the
    /// singular branch computed it.
    func p32(_ h: Double) -> (P32: Double, expHTauSyn: Double, expm1HTau: Double, expHTau: Double) {
        let expHTauSyn = _exp(-h * invTauSyn)
        let expm1HTau = _expm1(h * invBeta)
        let P32 = gamma * expHTauSyn * expm1HTau
        if P32.isNormal && P32 > 0 {
            return (P32, expHTauSyn, expm1HTau, .nan)
        }
        // Limit τ_syn → τ_m (also catches inf·0 = NaN when they are equal).
        let expHTau = _exp(-h * invTauM)
        return (h * invC * expHTau, expHTauSyn, expm1HTau, expHTau)
    }

    /// `IAFPropagatorExp::evaluate`: P21 of iaf_psc_exp.
    func exponential(_ h: Double) -> Double { p32(h).P32 }

    /// `IAFPropagatorAlpha::evaluate`: (P31, P32) of iaf_psc_alpha (dI → V, I → V).
    func alpha(_ h: Double) -> (Double, Double) {
        let (P32, expHTauSyn, expm1HTau, e) = p32(h)
        if h > hMinRegular {
            return (gamma * expHTauSyn * (beta * expm1HTau - h), P32)
        }
        let expHTau = e.isNaN ? _exp(-h * invTauM) : e
        return (0.5 * h * h * invC * expHTau, P32)
    }
}
