import PlexusCore

/// Leaky integrate-and-fire neuron with exponentially decaying synaptic currents (NEST
/// `iaf_psc_exp`): a spike of weight w (pA) makes the synaptic current jump by w, which then
/// decays with τ_syn. Exact integration with NEST's `IAFPropagatorExp` (stable for τ_m ≈ τ_syn).
/// V_m is kept relative to E_L internally, as NEST does.
///
/// Not supported: NEST's stochastic threshold (`delta` > 0 needs a random stream; rejected) and
/// current input on receptor 1 (filtered through the excitatory synapse), which this engine's
/// single current channel cannot address.
public struct IafPscExp: PointNeuronModel, RestRelativeVoltage {
    public static let name = "iaf_psc_exp"
    /// The integrate-and-fire membrane shared with iaf_psc_alpha and iaf_psc_delta (E_L, C_m,
    /// tau_m, t_ref, V_th, V_reset: SharedParameters.swift), then the synapses, I_e, rho and delta.
    public static let parameters: [ParameterSpec] = IafPscMembrane.parameters + [
        .init("tau_syn_ex", .ms, 2, "decay time of the excitatory synaptic current"),
        .init("tau_syn_in", .ms, 2, "decay time of the inhibitory synaptic current"),
        NeuronParameter.I_e,
        .init("rho", .Hz, 0.01, "stochastic firing intensity at threshold (used only if delta > 0)"),
        .init("delta", .mV, 0, "width of the stochastic threshold region (0: hard threshold)"),
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        .init("I_syn_ex", .pA, initial: 0),
        .init("I_syn_in", .pA, initial: 0),
        NeuronState.refractorySteps,
        NeuronState.stimulus,
    ]
    public static let weightUnit = PhysicalUnit.pA

    let e: ExpPSCMembrane
    public var EL: Double { e.m.EL }

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        // NEST's order of checks (Parameters_::set).
        try Check.less(p, "V_reset", "V_th")
        try Check.positive(p, "C_m", "tau_m", "tau_syn_ex", "tau_syn_in")
        try Check.nonNegative(p, "t_ref", "rho", "delta")
        e = try ExpPSCMembrane(p, resolution: h)
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        e.update(s, range, input, &spikes) { _ in 1 }
    }
}

/// The membrane and exponential synaptic currents of NEST's iaf_psc_exp, shared with
/// iaf_tum_2000: V_m relative to E_L, the propagators, and the step (state columns V_m, I_syn_ex,
/// I_syn_in, refractory count, I_stim first).
struct ExpPSCMembrane {
    let m: IafPscMembrane
    let P20, P22: Double          // constant current → V, V decay
    let P11ex, P11in: Double      // synaptic decay
    let P21ex, P21in: Double      // synaptic current → V
    /// NEST fires on the hard threshold only if delta < 1e-10 (delta exactly 1e-10 never fires).
    let hardThreshold: Bool

    /// After the model's own checks of the values.
    init(_ p: ParameterValues, resolution h: Double) throws {
        if p["delta"] > 1e-10 {
            throw PlexusError.outOfRange("delta", p["delta"], "the stochastic threshold (delta > 0) is not supported; use 0")
        }
        m = IafPscMembrane(p, resolution: h)
        let tauM = p["tau_m"], C = p["C_m"]
        P11ex = _exp(-h / p["tau_syn_ex"])
        P11in = _exp(-h / p["tau_syn_in"])
        P22 = _exp(-h / tauM)
        P21ex = IAFPropagator(tauSyn: p["tau_syn_ex"], tauM: tauM, C: C).exponential(h)
        P21in = IAFPropagator(tauSyn: p["tau_syn_in"], tauM: tauM, C: C).exponential(h)
        P20 = tauM / C * (1.0 - P22)
        hardThreshold = p["delta"] < 1e-10
    }

    /// One step of neurons `range`; a neuron that reaches V_th fires with the multiplicity
    /// `fired(i)` returns (1, or iaf_tum_2000's released fraction), after it was reset.
    @inline(__always)
    func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput,
                fired: (_ neuron: Int) -> Double) {
        let vm = s.column(0), iEx = s.column(1), iIn = s.column(2), r = s.column(3), i0 = s.column(4)
        for i in range {
            var v = vm[i]
            if r[i] == 0 {
                // Same term order as NEST so that rounding agrees.
                v = v * P22 + iEx[i] * P21ex + iIn[i] * P21in + (m.Ie + i0[i]) * P20
            } else {
                r[i] -= 1
            }
            // Decay over the step, then add the spikes that arrive at its end (they act on V
            // from the next step).
            iEx[i] = iEx[i] * P11ex + input.excitatory(i)
            iIn[i] = iIn[i] * P11in + input.inhibitory(i)
            if hardThreshold && v >= m.Vth {
                r[i] = m.refractorySteps
                v = m.Vreset
                spikes.emit(i, multiplicity: fired(i))
            }
            vm[i] = v
            i0[i] = input.current[i]
        }
    }
}
