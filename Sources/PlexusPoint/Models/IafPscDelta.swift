import PlexusCore

/// Leaky integrate-and-fire neuron with delta-shaped synaptic input (NEST `iaf_psc_delta`):
/// a spike of weight w (mV) makes V_m jump by w. Exact integration of the subthreshold dynamics
/// (Rotter & Diesmann 1999); V_m is kept relative to E_L internally, as NEST does.
public struct IafPscDelta: PointNeuronModel, RestRelativeVoltage {
    public static let name = "iaf_psc_delta"
    /// The integrate-and-fire membrane shared with iaf_psc_alpha and iaf_psc_exp (E_L, C_m, tau_m,
    /// t_ref, V_th, V_reset: SharedParameters.swift), then I_e, V_min and refractory_input.
    public static let parameters: [ParameterSpec] = IafPscMembrane.parameters + [
        NeuronParameter.I_e,
        IafPscMembrane.V_min,
        .init("refractory_input", .one, 0, "1: spikes arriving during refractoriness are added, discounted, at its end"),
        // NEST's ignore-and-spike mechanism (ArchivingNode): spikes at fixed times, whatever V does.
        .init("ignore_and_spike", .one, 0, "1: spike at ignore_and_spike_offset, then every ignore_and_spike_interval, ignoring the threshold"),
        .init("ignore_and_spike_offset", .ms, 1, "time of the first forced spike"),
        .init("ignore_and_spike_interval", .ms, 100, "interval of the forced spikes"),
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        NeuronState.refractorySteps,
        NeuronState.stimulus,
        .init("refractory_spikes", .mV, initial: 0, recordable: false),
        // Steps until the next forced spike of ignore_and_spike (0 until the model sets it).
        .init("steps_until_spike", .one, initial: 0, recordable: false),
    ]
    public static let weightUnit = PhysicalUnit.mV

    let m: IafPscMembrane
    public var EL: Double { m.EL }
    let Vmin, tauM: Double
    let P30, P33: Double
    let withRefractoryInput: Bool
    let ignoreAndSpike: Bool
    let offsetSteps, intervalSteps: Double
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        try Check.positive(p, "C_m", "tau_m")
        try Check.nonNegative(p, "t_ref")
        try Check.less(p, "V_reset", "V_th")
        m = IafPscMembrane(p, resolution: h)
        Vmin = p["V_min"] - m.EL
        tauM = p["tau_m"]
        self.h = h
        P33 = _exp(-h / tauM)
        P30 = -tauM / p["C_m"] * _expm1(-h / tauM)
        withRefractoryInput = p["refractory_input"] != 0
        try Check.positive(p, "ignore_and_spike_offset", "ignore_and_spike_interval")
        ignoreAndSpike = p["ignore_and_spike"] != 0
        offsetSteps = Double(nestDurationSteps(p["ignore_and_spike_offset"], resolution: h))
        intervalSteps = Double(nestDurationSteps(p["ignore_and_spike_interval"], resolution: h))
    }

    public func prepareState(_ s: StateColumns, count: Int) {
        let v = s.column(0), next = s.column(4)
        for i in 0..<count {
            v[i] -= EL
            if next[i] == 0 { next[i] = offsetSteps }
        }
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let y3 = s.column(0), r = s.column(1), y0 = s.column(2), refrBuf = s.column(3), next = s.column(4)
        for i in range {
            let w = input.excitatory(i) + input.inhibitory(i)
            var v = y3[i]
            if r[i] == 0 {
                v = P30 * (y0[i] + m.Ie) + P33 * v + w
                if withRefractoryInput && refrBuf[i] != 0 {
                    v += refrBuf[i]
                    refrBuf[i] = 0
                }
                v = v < Vmin ? Vmin : v
            } else {
                if withRefractoryInput { refrBuf[i] += w * _exp(-r[i] * h / tauM) }
                r[i] -= 1
            }
            if ignoreAndSpike {
                // NEST's spike_event_is_due: count down; spike and restart at 0, whatever V is.
                next[i] -= 1
                if next[i] == 0 {
                    next[i] = intervalSteps
                    r[i] = m.refractorySteps
                    v = m.Vreset
                    spikes.emit(i)
                }
            } else {
                m.fireAtThreshold(&v, refractory: &r[i], neuron: i, &spikes)
            }
            y3[i] = v
            y0[i] = input.current[i]
        }
    }
}
