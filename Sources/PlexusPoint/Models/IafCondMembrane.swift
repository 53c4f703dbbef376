import PlexusCore

/// The membrane of NEST's conductance-based integrate-and-fire models as the Swift ones keep it
/// (iaf_cond_exp_sfa_rr; iaf_cond_exp and iaf_cond_alpha are descriptions with the same list,
/// Descriptions/*.nestml): the parameter list (names, units, defaults and order), its checks,
/// the membrane constants, the voltage their currents see and the reset.
struct IafCondMembrane {
    /// The parameters; `kernelTime` says what tau_syn_ex and tau_syn_in are
    /// ("decay time", "rise time"); `defaults` replaces defaults by name (iaf_cond_exp_sfa_rr's).
    static func parameters(kernelTime: String, defaults: [String: Double] = [:]) -> [ParameterSpec] {
        let list: [ParameterSpec] = [
            .init("V_th", .mV, -55, "spike threshold"),
            .init("V_reset", .mV, -60, "reset potential"),
            .init("t_ref", .ms, 2, "duration of the refractory period"),
            .init("g_L", .nS, 16.6667, "leak conductance"),
            .init("C_m", .pF, 250, "membrane capacitance"),
            E_ex,
            E_in,
            .init("E_L", .mV, -70, "leak reversal potential"),
        ] + synapticTimeConstants(kernelTime) + [NeuronParameter.I_e]
        return list.map { p in defaults[p.name].map { ParameterSpec(p.name, p.unit, $0, lo: p.lo, hi: p.hi, p.doc) } ?? p }
    }

    // The synaptic conductances as NEST's conductance-based models declare them (these two and
    // aeif_cond_exp): reversal potentials and time constants, the same defaults in all three.
    static let E_ex = ParameterSpec("E_ex", .mV, 0, "excitatory reversal potential")
    static let E_in = ParameterSpec("E_in", .mV, -85, "inhibitory reversal potential")
    static func synapticTimeConstants(_ kernelTime: String) -> [ParameterSpec] {
        [
            .init("tau_syn_ex", .ms, 0.2, "\(kernelTime) of the excitatory conductance"),
            .init("tau_syn_in", .ms, 2, "\(kernelTime) of the inhibitory conductance"),
        ]
    }

    /// Both are integrated like NEST: GSL's adaptive RKF45, absolute tolerance 1e-3 on the values.
    static let control = GSLStandardControl.y(epsAbs: 1e-3, epsRel: 0)

    let Vth, Vreset, gL, Cm, Eex, Ein, EL, tauEx, tauIn, Ie: Double
    let refractorySteps: Double

    /// NEST's checks (in its order) and the values.
    init(_ p: ParameterValues, resolution h: Double) throws {
        try Check.less(p, "V_reset", "V_th")
        try Check.positive(p, "C_m")
        try Check.nonNegative(p, "t_ref")
        try Check.positive(p, "tau_syn_ex", "tau_syn_in")
        Vth = p["V_th"]; Vreset = p["V_reset"]; gL = p["g_L"]; Cm = p["C_m"]
        Eex = p["E_ex"]; Ein = p["E_in"]; EL = p["E_L"]
        tauEx = p["tau_syn_ex"]; tauIn = p["tau_syn_in"]; Ie = p["I_e"]
        refractorySteps = (p["t_ref"] / h).rounded()
    }

    /// The V that the currents on the right-hand side see: clamped to V_reset while refractory;
    /// otherwise capped at V_th, so that an internal step that overshoots the threshold does not
    /// feed a runaway back into the solver.
    @inline(__always)
    func voltage(_ v: Double, refractory: Bool) -> Double {
        refractory ? Vreset : min(v, Vth)
    }

    /// The excitatory, inhibitory and leak currents at V with conductances `gEx` and `gIn` (pA).
    @inline(__always)
    func currents(_ V: Double, gEx: Double, gIn: Double) -> (Iex: Double, Iin: Double, IL: Double) {
        (gEx * (V - Eex), gIn * (V - Ein), gL * (V - EL))
    }

    /// One simulation step of neurons `range` of `model`, whose ODE state (V_m first) fills
    /// columns 0 to d - 1, followed by the refractory count, the step size and I_stim: each
    /// neuron is integrated over the step, is reset or fires (NEST checks the threshold before
    /// adding the step's input), and then `receive(y, i)` adds the spikes that arrived in the step
    /// to its conductances: they act after its integration (NEST's ring buffer).
    @inline(__always)
    func update<Model: RefractoryODENeuron>(_ model: Model, _ s: StateColumns, _ range: Range<Int>, _ input: StepInput,
                                            _ spikes: inout SpikeOutput, resolution h: Double,
                                            receive: (_ y: UnsafeMutablePointer<Double>, _ neuron: Int) -> Void,
                                            fired: (_ y: UnsafeMutablePointer<Double>) -> Void = { _ in }) {
        let d = Model.dimension
        let r = s.column(d), hstep = s.column(d + 1), istim = s.column(d + 2)
        RKF45.withState(dimension: d) { y, work in
            for i in range {
                for v in 0..<d { y[v] = s.column(v)[i] }
                let rhs = RefractoryRHS(model: model, iStim: istim[i], refractory: r[i] > 0)
                var hs = RKF45.carriedStepSize(hstep[i], resolution: h)
                RKF45.advance(rhs, control: Self.control, over: h, stepSize: &hs, y: y, work: work)
                if resetOrFire(&y[0], refractory: &r[i], neuron: i, &spikes) { fired(y) }
                receive(y, i)
                for v in 0..<d { s.column(v)[i] = y[v] }
                hstep[i] = hs
                istim[i] = input.current[i]
            }
        }
    }

    /// The end of a simulation step: a refractory neuron counts down and stays at V_reset; one at
    /// or above V_th fires, is reset and becomes refractory.
    /// Returns whether it fired.
    @inline(__always) @discardableResult
    func resetOrFire(_ v: inout Double, refractory r: inout Double, neuron i: Int, _ spikes: inout SpikeOutput) -> Bool {
        if r > 0 {
            r -= 1
            v = Vreset
        } else if v >= Vth {
            r = refractorySteps
            v = Vreset
            spikes.emit(i)
            return true
        }
        return false
    }
}
