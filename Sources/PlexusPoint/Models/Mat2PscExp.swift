import PlexusCore

/// Multi-timescale adaptive threshold neuron (Kobayashi et al. 2009; NEST `mat2_psc_exp`): a
/// leaky membrane with exponential synaptic currents that is never reset; instead each spike
/// raises the threshold by alpha_1 and alpha_2, which decay with tau_1 and tau_2. After a spike
/// the neuron cannot fire for t_ref, but V_m keeps integrating. Exact integration with NEST's own
/// propagators for this model (not IAFPropagator: NEST requires tau_m ≠ tau_syn here instead).
/// V_m and the resting threshold omega are kept relative to E_L internally, as NEST does.
public struct Mat2PscExp: PointNeuronModel, RestRelativeVoltage {
    public static let name = "mat2_psc_exp"
    public static let parameters: [ParameterSpec] = [
        .init("E_L", .mV, -70, "resting membrane potential"),
        .init("C_m", .pF, 100, "membrane capacitance"),
        .init("tau_m", .ms, 5, "membrane time constant"),
        .init("tau_syn_ex", .ms, 1, "decay time of the excitatory synaptic current"),
        .init("tau_syn_in", .ms, 3, "decay time of the inhibitory synaptic current"),
        .init("t_ref", .ms, 2, "duration of absolute refractoriness (no spikes, no reset)"),
        .init("tau_1", .ms, 10, "short threshold time constant"),
        .init("tau_2", .ms, 200, "long threshold time constant"),
        .init("alpha_1", .mV, 37, "threshold jump on the short time scale"),
        .init("alpha_2", .mV, 2, "threshold jump on the long time scale"),
        .init("omega", .mV, -51, "resting spike threshold (absolute)"),
        NeuronParameter.I_e,
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        // The effective threshold E_L + omega + V_th_alpha_1 + V_th_alpha_2, kept up to date for
        // recording; NEST derives it and ignores attempts to set it.
        .init("V_th", .mV, initial: -51),
        .init("V_th_alpha_1", .mV, initial: 0, recordable: false),
        .init("V_th_alpha_2", .mV, initial: 0, recordable: false),
        .init("I_syn_ex", .pA, initial: 0, recordable: false),
        .init("I_syn_in", .pA, initial: 0, recordable: false),
        NeuronState.refractorySteps,
        NeuronState.stimulus,
    ]
    public static let weightUnit = PhysicalUnit.pA

    public let EL: Double
    let omega, Ie, alpha1, alpha2: Double
    let P20, P22expm1: Double     // constant current → V; e^{-h/τ_m} − 1 (NEST adds V·expm1 + V)
    let P11ex, P11in: Double      // synaptic decay
    let P21ex, P21in: Double      // synaptic current → V
    let P11th, P22th: Double      // threshold decay
    let refractorySteps: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        // NEST's order of checks (Parameters_::set, then pre_run_hook).
        try Check.positive(p, "C_m", "tau_m", "tau_syn_ex", "tau_syn_in", "t_ref", "tau_1", "tau_2")
        for syn in ["tau_syn_ex", "tau_syn_in"] where p["tau_m"] == p[syn] {
            // The propagator below divides by 1 − τ_m/τ_syn; NEST refuses rather than take a limit.
            throw PlexusError("tau_m = \(p["tau_m"]) and \(syn) = \(p[syn]) must differ", keyPath: syn)
        }
        let steps = nestDurationSteps(p["t_ref"], resolution: h)
        if steps < 1 {
            throw PlexusError.outOfRange("t_ref", p["t_ref"], "must be at least one step of the resolution")
        }
        EL = p["E_L"]
        omega = p["omega"] - EL
        Ie = p["I_e"]
        alpha1 = p["alpha_1"]
        alpha2 = p["alpha_2"]
        let tauM = p["tau_m"], C = p["C_m"], tauEx = p["tau_syn_ex"], tauIn = p["tau_syn_in"]
        P11ex = _exp(-h / tauEx)
        P11in = _exp(-h / tauIn)
        P22expm1 = _expm1(-h / tauM)
        P21ex = -tauM / (C * (1.0 - tauM / tauEx)) * P11ex * _expm1(h * (1.0 / tauEx - 1.0 / tauM))
        P21in = -tauM / (C * (1.0 - tauM / tauIn)) * P11in * _expm1(h * (1.0 / tauIn - 1.0 / tauM))
        P20 = -tauM / C * P22expm1
        P11th = _exp(-h / p["tau_1"])
        P22th = _exp(-h / p["tau_2"])
        refractorySteps = Double(steps)
    }

    /// V_m relative to E_L (as RestRelativeVoltage), and the recorded threshold from its parts.
    public func prepareState(_ s: StateColumns, count: Int) {
        let v = s.column(0), th = s.column(1), th1 = s.column(2), th2 = s.column(3)
        for i in 0..<count {
            v[i] -= EL
            th[i] = EL + omega + th1[i] + th2[i]
        }
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let vm = s.column(0), vth = s.column(1), th1 = s.column(2), th2 = s.column(3)
        let iEx = s.column(4), iIn = s.column(5), r = s.column(6), i0 = s.column(7)
        for i in range {
            // V integrates in every step, refractory or not (same term order as NEST).
            let v = vm[i] * P22expm1 + vm[i] + iEx[i] * P21ex + iIn[i] * P21in + (Ie + i0[i]) * P20
            var t1 = th1[i] * P11th
            var t2 = th2[i] * P22th
            // Spikes arriving at the end of the step: seen by V from the next step on.
            iEx[i] = iEx[i] * P11ex + input.excitatory(i)
            iIn[i] = iIn[i] * P11in + input.inhibitory(i)
            if r[i] == 0 {
                if v >= omega + t2 + t1 {
                    r[i] = refractorySteps
                    t1 += alpha1
                    t2 += alpha2
                    spikes.emit(i)
                }
            } else {
                r[i] -= 1
            }
            vm[i] = v
            th1[i] = t1
            th2[i] = t2
            vth[i] = EL + omega + t1 + t2
            i0[i] = input.current[i]
        }
    }
}
