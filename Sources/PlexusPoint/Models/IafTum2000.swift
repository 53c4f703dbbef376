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
    /// iaf_psc_exp's list, then the release dynamics of the outgoing spikes.
    public static let parameters: [ParameterSpec] = IafPscExp.parameters + [
        .init("tau_fac", .ms, 1000, "facilitation time constant of the outgoing release (0: none)"),
        .init("tau_psc", .ms, 2, "decay time of the released fraction y"),
        .init("tau_rec", .ms, 400, "recovery time constant of the resources x"),
        .init("U", .one, 0.5, "utilisation increment"),
    ]
    public static let state: [StateSpec] = IafPscExp.state + [
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
