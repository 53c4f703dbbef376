import PlexusCore

/// Leaky integrate-and-fire neuron with alpha-shaped synaptic currents (NEST `iaf_psc_alpha`).
/// A spike of weight w (pA) starts a PSC w·(t/τ_syn)·e^{1-t/τ_syn} peaking at w after τ_syn.
/// Exact integration (Rotter & Diesmann 1999) with NEST's propagators, including the
/// `IAFPropagatorAlpha` fallback when τ_m is (numerically) close to τ_syn. V_m is kept relative
/// to E_L internally, as NEST does.
public struct IafPscAlpha: PointNeuronModel, RestRelativeVoltage {
    public static let name = "iaf_psc_alpha"
    /// The integrate-and-fire membrane shared with iaf_psc_exp and iaf_psc_delta (E_L, C_m, tau_m,
    /// t_ref, V_th, V_reset: SharedParameters.swift), then the synapses, I_e and V_min.
    public static let parameters: [ParameterSpec] = IafPscMembrane.parameters + [
        .init("tau_syn_ex", .ms, 2, "rise time of the excitatory synaptic alpha function"),
        .init("tau_syn_in", .ms, 2, "rise time of the inhibitory synaptic alpha function"),
        NeuronParameter.I_e,
        IafPscMembrane.V_min,
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        .init("I_syn_ex", .pA, initial: 0),
        .init("I_syn_in", .pA, initial: 0),
        // Derivative-like second variable of each alpha kernel (NEST's dI_ex_, dI_in_), in pA/ms.
        .init("dI_syn_ex", .one, initial: 0, recordable: false),
        .init("dI_syn_in", .one, initial: 0, recordable: false),
        NeuronState.refractorySteps,
        NeuronState.stimulus,
    ]
    public static let weightUnit = PhysicalUnit.pA

    let m: IafPscMembrane
    public var EL: Double { m.EL }
    var refractorySteps: Double { m.refractorySteps }
    let Vmin: Double
    // Membrane: P30 maps the constant current, expm1TauM = P33 - 1 (NEST adds V·expm1 + V,
    // which keeps the digits that P33·V would round away).
    let P30, expm1TauM: Double
    // Alpha kernels: P11 = P22 = e^{-h/τ_syn}, P21 = h·P11; P31/P32 map dI and I onto V.
    let P11ex, P21ex, P31ex, P32ex: Double
    let P11in, P21in, P31in, P32in: Double
    // A weight w enters dI as w·e/τ_syn so that the PSC peaks at w.
    let epscInitial, ipscInitial: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        // NEST's order of checks (Parameters_::set).
        try Check.positive(p, "C_m", "tau_m", "tau_syn_ex", "tau_syn_in")
        try Check.nonNegative(p, "t_ref")
        try Check.less(p, "V_reset", "V_th")
        m = IafPscMembrane(p, resolution: h)
        Vmin = p["V_min"] - m.EL
        let tauM = p["tau_m"], C = p["C_m"], tauEx = p["tau_syn_ex"], tauIn = p["tau_syn_in"]

        P11ex = _exp(-h / tauEx)
        P11in = _exp(-h / tauIn)
        expm1TauM = _expm1(-h / tauM)
        P30 = -tauM / C * _expm1(-h / tauM)
        P21ex = h * P11ex
        P21in = h * P11in
        (P31ex, P32ex) = IAFPropagator(tauSyn: tauEx, tauM: tauM, C: C).alpha(h)
        (P31in, P32in) = IAFPropagator(tauSyn: tauIn, tauM: tauM, C: C).alpha(h)
        epscInitial = eulerE / tauEx
        ipscInitial = eulerE / tauIn
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let y3 = s.column(0), iEx = s.column(1), iIn = s.column(2)
        let dEx = s.column(3), dIn = s.column(4), r = s.column(5), y0 = s.column(6)
        for i in range {
            var v = y3[i]
            if r[i] == 0 {
                // Same term order as NEST so that rounding agrees.
                v = P30 * (y0[i] + m.Ie) + P31ex * dEx[i] + P32ex * iEx[i] + P31in * dIn[i]
                    + P32in * iIn[i] + expm1TauM * v + v
                v = v < Vmin ? Vmin : v
            } else {
                r[i] -= 1
            }
            // Propagate the kernels over the step, then add the spikes that arrive at its end:
            // they act on V only from the next step.
            iEx[i] = P21ex * dEx[i] + P11ex * iEx[i]
            dEx[i] = dEx[i] * P11ex + epscInitial * input.excitatory(i)
            iIn[i] = P21in * dIn[i] + P11in * iIn[i]
            dIn[i] = dIn[i] * P11in + ipscInitial * input.inhibitory(i)
            m.fireAtThreshold(&v, refractory: &r[i], neuron: i, &spikes)
            y3[i] = v
            y0[i] = input.current[i]
        }
    }
}

/// NEST's `IAFPropagator` (libnestutil/iaf_propagator.cpp): the propagators that map a
/// synaptic current onto V_m for exponential and alpha kernels. The textbook expressions divide
/// by τ_m − τ_syn; when τ_m ≈ τ_syn they lose all digits or are 0·∞, so NEST switches to the
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
