import PlexusCore

/// What NEST's `hh_psc_alpha` and `hh_psc_alpha_gap` share: alpha-shaped synaptic currents
/// (parameters, state columns, dynamics and spike input), the spike report — the first step end
/// with V >= 0 mV just past the peak, outside t_ref of the previous one (there is no reset) —
/// and the update loop around the solver. The channels, their rate functions, the solver's
/// tolerance and the gap current are each model's own.
///
/// Both models keep the same columns after their ODE state of `d` variables, whose last four
/// are the synaptic currents: dI_ex, I_syn_ex, dI_in, I_syn_in at d-4…d-1, then
/// refractory_steps, integration_step and I_stim at d, d+1, d+2.
struct HodgkinHuxleyAlpha {
    /// The parameters of both models in NEST's order, with the defaults of the model that calls:
    /// t_ref, the sodium conductance, the potassium conductance(s) (`potassium`), the leak,
    /// C_m, the reversal potentials, then the synapses and I_e (the same defaults in both).
    static func parameters(g_Na: Double, potassium: [ParameterSpec], g_L: Double, C_m: Double,
                           E_Na: Double, E_K: Double, E_L: Double) -> [ParameterSpec] {
        [
            .init("t_ref", .ms, 2, "minimal time between reported spikes"),
            .init("g_Na", .nS, g_Na, "sodium peak conductance"),
        ] + potassium + [
            .init("g_L", .nS, g_L, "leak conductance"),
            .init("C_m", .pF, C_m, "membrane capacitance"),
            .init("E_Na", .mV, E_Na, "sodium reversal potential"),
            .init("E_K", .mV, E_K, "potassium reversal potential"),
            .init("E_L", .mV, E_L, "leak reversal potential"),
            .init("tau_syn_ex", .ms, 0.2, "rise time of the excitatory synaptic current"),
            .init("tau_syn_in", .ms, 2, "rise time of the inhibitory synaptic current"),
            NeuronParameter.I_e,
        ]
    }
    /// The first state columns of both models: V_m and the gates m, h and n (NEST starts them at
    /// V = `restingV` with the gates at their steady state there); hh_psc_alpha_gap adds its p.
    static func membraneState(restingV: Double, m: Double, h: Double, n: Double) -> [StateSpec] {
        [
            .init("V_m", .mV, initial: restingV),
            .init("Act_m", .one, initial: m),
            .init("Inact_h", .one, initial: h),
            .init("Act_n", .one, initial: n),
        ]
    }
    /// The state columns after the gates.
    static let synapseState: [StateSpec] = [
        .init("dI_ex", .pA, initial: 0, recordable: false),
        .init("I_syn_ex", .pA, initial: 0),
        .init("dI_in", .pA, initial: 0, recordable: false),
        .init("I_syn_in", .pA, initial: 0),
    ] + NeuronState.afterODE

    let tauEx, tauIn, Ie: Double
    /// dI jumps by w·e/tau so that the alpha current peaks at w after tau.
    let psCurrInitEx, psCurrInitIn: Double
    let refractorySteps: Double

    /// NEST's first checks, in its order (each model checks its conductances after them).
    init(_ p: ParameterValues, resolution h: Double) throws {
        try Check.positive(p, "C_m")
        try Check.nonNegative(p, "t_ref")
        try Check.positive(p, "tau_syn_ex", "tau_syn_in")
        tauEx = p["tau_syn_ex"]; tauIn = p["tau_syn_in"]; Ie = p["I_e"]
        psCurrInitEx = 1.0 * eulerE / tauEx
        psCurrInitIn = 1.0 * eulerE / tauIn
        refractorySteps = (p["t_ref"] / h).rounded()
    }

    /// The derivatives of the synaptic currents, which stand at `y[k]`…`y[k+3]`.
    @inline(__always)
    func synapticDerivatives(_ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>, from k: Int) {
        let dIex = y[k], Iex = y[k + 1], dIin = y[k + 2], Iin = y[k + 3]
        f[k] = -dIex / tauEx
        f[k + 1] = dIex - (Iex / tauEx)
        f[k + 2] = -dIin / tauIn
        f[k + 3] = dIin - (Iin / tauIn)
    }

    /// The spikes that arrived in a step, weights `ex` and `inh`, added to dI_ex and dI_in at
    /// `y[k]` and `y[k+2]` (NEST keeps inhibitory weights negative for these models).
    @inline(__always)
    func receive(_ y: UnsafeMutablePointer<Double>, from k: Int, excitatory ex: Double, inhibitory inh: Double) {
        y[k] += ex * psCurrInitEx
        y[k + 2] += inh * psCurrInitIn
    }

    /// One simulation step of neurons `range` for a model with an ODE state of `d` variables:
    /// each neuron is integrated with the right-hand side `rhs(i, I_stim)` (NEST's ring buffer:
    /// the input of this step acts after the integration), then reports a spike if V >= 0 and V
    /// has started to fall, unless refractory.
    @inline(__always)
    func update<F: ODERightHandSide>(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput,
                                     _ spikes: inout SpikeOutput, dimension d: Int, control: GSLStandardControl,
                                     resolution h: Double, rhs: (_ neuron: Int, _ iStim: Double) -> F) {
        let r = s.column(d), hstep = s.column(d + 1), istim = s.column(d + 2)
        RKF45.withState(dimension: d) { y, work in
            for i in range {
                for v in 0..<d { y[v] = s.column(v)[i] }
                let vOld = y[0]
                var hs = RKF45.carriedStepSize(hstep[i], resolution: h)
                RKF45.advance(rhs(i, istim[i]), control: control, over: h, stepSize: &hs, y: y, work: work)
                receive(y, from: d - 4, excitatory: input.excitatory(i), inhibitory: input.inhibitory(i))
                if r[i] > 0 {
                    r[i] -= 1
                } else if y[0] >= 0 && vOld > y[0] {
                    // above 0 mV and just past the maximum
                    r[i] = refractorySteps
                    spikes.emit(i)
                }
                for v in 0..<d { s.column(v)[i] = y[v] }
                hstep[i] = hs
                istim[i] = input.current[i]
            }
        }
    }
}
