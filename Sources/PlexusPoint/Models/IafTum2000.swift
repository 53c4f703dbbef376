import PlexusCore

/// iaf_psc_exp whose outgoing spikes carry Tsodyks-Markram short-term plasticity computed by the
/// sender (NEST `iaf_tum_2000`, Tsodyks, Uziel & Markram 2000): at each spike the neuron updates
/// its release variables u, x, y over the time since its last spike and sends the fraction
/// released, u·x, with the spike; the receiving iaf_tum_2000 scales the weight by it (NEST's
/// receptor_type 1). Here the fraction travels as the spike's multiplicity, so such spikes may only
/// reach iaf_tum_2000 targets (`spikesCarryRelease`, checked when the network is built). V_m is
/// kept relative to E_L, as NEST does.
///
/// Not supported: the stochastic threshold (delta > 0) and current input on receptor 1.
public struct IafTum2000: PointNeuronModel, RestRelativeVoltage {
    public static let name = "iaf_tum_2000"
    /// iaf_psc_exp's list (the integrate-and-fire membrane, the synapses, I_e, rho and delta),
    /// then the release dynamics of the outgoing spikes.
    public static let parameters: [ParameterSpec] = IafPscMembrane.parameters + [
        .init("tau_syn_ex", .ms, 2, "decay time of the excitatory synaptic current"),
        .init("tau_syn_in", .ms, 2, "decay time of the inhibitory synaptic current"),
        NeuronParameter.I_e,
        .init("rho", .Hz, 0.01, "stochastic firing intensity at threshold (used only if delta > 0)"),
        .init("delta", .mV, 0, "width of the stochastic threshold region (0: hard threshold)"),
        .init("tau_fac", .ms, 1000, "facilitation time constant of the outgoing release (0: none)"),
        .init("tau_psc", .ms, 2, "decay time of the released fraction y"),
        .init("tau_rec", .ms, 400, "recovery time constant of the resources x"),
        .init("U", .one, 0.5, "utilisation increment"),
    ]
    /// iaf_psc_exp's state, then the release variables.
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        .init("I_syn_ex", .pA, initial: 0),
        .init("I_syn_in", .pA, initial: 0),
        NeuronState.refractorySteps,
        NeuronState.stimulus,
        // The release variables (NEST starts all three at 0; readable and settable, not recordable there).
        .init("x", .one, initial: 0),
        .init("y", .one, initial: 0),
        .init("u", .one, initial: 0),
        // Time of the last spike (ms; NEST counts from 0 before the first).
        .init("t_lastspike", .ms, initial: 0, recordable: false),
    ]
    public static let weightUnit = PhysicalUnit.pA
    public static let spikesCarryRelease = true

    let e: ExpPSCMembrane
    public var EL: Double { e.m.EL }
    let tauFac, tauPsc, tauRec, U: Double
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        // NEST's order of checks (Parameters_::set).
        try Check.less(p, "V_reset", "V_th")
        try Check.positive(p, "C_m", "tau_m", "tau_syn_ex", "tau_syn_in", "tau_psc", "tau_rec")
        try Check.nonNegative(p, "tau_fac", "t_ref")
        if !(p["U"] >= 0 && p["U"] <= 1) { throw PlexusError.outOfRange("U", p["U"], "must be in [0, 1]") }
        try Check.nonNegative(p, "rho", "delta")
        e = try ExpPSCMembrane(p, resolution: h)
        (tauFac, tauPsc, tauRec, U) = (p["tau_fac"], p["tau_psc"], p["tau_rec"], p["U"])
        self.h = h
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let xs = s.column(5), ys = s.column(6), us = s.column(7), tLast = s.column(8)
        let tSpike = Double(input.step + 1) * h
        e.update(s, range, input, &spikes) { i in
            // NEST's update: the release variables from the last spike to this one, in its order.
            let dt = tSpike - tLast[i]
            let Puu = tauFac == 0 ? 0.0 : _exp(-dt / tauFac)
            let Pyy = _exp(-dt / tauPsc)
            let Pzz = _expm1(-dt / tauRec)
            let Pxy = (Pzz * tauRec - (Pyy - 1.0) * tauPsc) / (tauPsc - tauRec)
            let z = 1.0 - xs[i] - ys[i]
            us[i] *= Puu
            xs[i] += Pxy * ys[i] - Pzz * z
            ys[i] *= Pyy
            us[i] += U * (1.0 - us[i])
            let released = us[i] * xs[i]
            xs[i] -= released
            ys[i] += released
            tLast[i] = tSpike
            return released
        }
    }
}

/// The membrane and exponential synaptic currents of NEST's iaf_psc_exp as iaf_tum_2000 keeps
/// them (iaf_psc_exp itself is a description, Descriptions/iaf_psc_exp.nestml): V_m relative to
/// E_L, the propagators, and the step (state columns V_m, I_syn_ex, I_syn_in, refractory count,
/// I_stim first).
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
