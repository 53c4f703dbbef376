import PlexusCore

/// Leaky integrate-and-fire neuron with delta-shaped synaptic input (NEST `iaf_psc_delta`):
/// a spike of weight w (mV) makes V_m jump by w. Exact integration of the subthreshold dynamics
/// (Rotter & Diesmann 1999); V_m is kept relative to E_L internally, as NEST does.
public struct IafPscDelta: PointNeuronModel {
    public static let name = "iaf_psc_delta"
    public static let parameters: [ParameterSpec] = [
        .init("E_L", .mV, -70, "resting membrane potential"),
        .init("C_m", .pF, 250, "membrane capacitance"),
        .init("tau_m", .ms, 10, "membrane time constant"),
        .init("t_ref", .ms, 2, "duration of the refractory period"),
        .init("V_th", .mV, -55, "spike threshold"),
        .init("V_reset", .mV, -70, "reset potential"),
        .init("I_e", .pA, 0, "constant input current"),
        .init("V_min", .mV, -Double.infinity, "absolute lower bound of V_m"),
        .init("refractory_input", .one, 0, "1: spikes arriving during refractoriness are added, discounted, at its end"),
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        .init("refractory_steps", .one, initial: 0, recordable: false),
        .init("I_stim", .pA, initial: 0, recordable: false),
        .init("refractory_spikes", .mV, initial: 0, recordable: false),
    ]
    public static let weightUnit = PhysicalUnit.mV

    let EL, Vth, Vreset, Vmin, Ie, tauM: Double
    let P30, P33: Double
    let refractorySteps: Double
    let withRefractoryInput: Bool
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        try Check.positive(p, "C_m", "tau_m")
        try Check.nonNegative(p, "t_ref")
        try Check.less(p, "V_reset", "V_th")
        EL = p["E_L"]
        Vth = p["V_th"] - EL
        Vreset = p["V_reset"] - EL
        Vmin = p["V_min"] - EL
        Ie = p["I_e"]
        tauM = p["tau_m"]
        self.h = h
        P33 = _exp(-h / tauM)
        P30 = -tauM / p["C_m"] * _expm1(-h / tauM)
        refractorySteps = Double(nestDurationSteps(p["t_ref"], resolution: h))
        withRefractoryInput = p["refractory_input"] != 0
    }

    public func prepareState(_ s: StateColumns, count: Int) {
        let v = s.column(0)
        for i in 0..<count { v[i] -= EL }
    }

    public func recordedValue(_ s: StateColumns, variable v: Int, neuron i: Int) -> Double {
        v == 0 ? s.column(0)[i] + EL : s.column(v)[i]
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let y3 = s.column(0), r = s.column(1), y0 = s.column(2), refrBuf = s.column(3)
        for i in range {
            let w = input.excitatory(i) + input.inhibitory(i)
            var v = y3[i]
            if r[i] == 0 {
                v = P30 * (y0[i] + Ie) + P33 * v + w
                if withRefractoryInput && refrBuf[i] != 0 {
                    v += refrBuf[i]
                    refrBuf[i] = 0
                }
                v = v < Vmin ? Vmin : v
            } else {
                if withRefractoryInput { refrBuf[i] += w * _exp(-r[i] * h / tauM) }
                r[i] -= 1
            }
            if v >= Vth {
                r[i] = refractorySteps
                v = Vreset
                spikes.emit(i)
            }
            y3[i] = v
            y0[i] = input.current[i]
        }
    }
}
