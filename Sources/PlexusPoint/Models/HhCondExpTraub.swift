import PlexusCore

/// Hodgkin-Huxley neuron after Traub and Miles, with exponentially decaying synaptic conductances
/// (NEST `hh_cond_exp_traub`, the hh_coba model of Brette et al. 2007). Integrated like NEST:
/// GSL's adaptive RKF45 (absolute tolerance 1e-3 on the values), the step size carried over.
/// There is no reset: a spike is reported at the first step end where V >= V_T + 30 mV and V has
/// started to fall (just past the peak), unless within t_ref of the previous spike.
public struct HhCondExpTraub: PointNeuronModel {
    public static let name = "hh_cond_exp_traub"
    /// NEST's names, units, defaults and order.
    public static let parameters: [ParameterSpec] = [
        .init("g_Na", .nS, 20000, "sodium peak conductance"),
        .init("g_K", .nS, 6000, "potassium peak conductance"),
        .init("g_L", .nS, 10, "leak conductance"),
        .init("C_m", .pF, 200, "membrane capacitance"),
        .init("E_Na", .mV, 50, "sodium reversal potential"),
        .init("E_K", .mV, -90, "potassium reversal potential"),
        .init("E_L", .mV, -60, "leak reversal potential"),
        .init("V_T", .mV, -63, "voltage offset of the gating dynamics (threshold near V_T + 13 mV)"),
        .init("E_ex", .mV, 0, "excitatory reversal potential"),
        .init("E_in", .mV, -80, "inhibitory reversal potential"),
        .init("tau_syn_ex", .ms, 5, "decay time of the excitatory conductance"),
        .init("tau_syn_in", .ms, 10, "decay time of the inhibitory conductance"),
        .init("t_ref", .ms, 2, "minimal time between reported spikes"),
        NeuronParameter.I_e,
    ]

    /// NEST starts at the default E_L (whatever E_L is set to later), with the gates from the
    /// rate functions at that V itself, not at V - V_T as the dynamics take them: so they start
    /// off their steady state (m ≈ 1e-8, h ≈ 1, n ≈ 3e-7).
    static let restingV = -60.0
    static let restingGates = gatesSteadyState(restingV)

    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: restingV),
        .init("Act_m", .one, initial: restingGates.m),
        .init("Inact_h", .one, initial: restingGates.h),
        .init("Act_n", .one, initial: restingGates.n),
        .init("g_ex", .nS, initial: 0),
        .init("g_in", .nS, initial: 0),
    ] + NeuronState.afterODE
    public static let weightUnit = PhysicalUnit.nS

    static let dimension = 6   // V_m, m, h, n, g_ex, g_in: NEST's order
    static let control = GSLStandardControl.y(epsAbs: 1e-3, epsRel: 0)

    /// The rate functions of NEST's hh_cond_exp_traub at V = V_m - V_T (mV; rates in 1/ms).
    @inline(__always)
    static func rates(_ V: Double) -> (an: Double, bn: Double, am: Double, bm: Double, ah: Double, bh: Double) {
        // 0/0 at V = 15, 13 and 40 mV exactly (NEST then carries NaN on): the limits there, as
        // in hh_psc_alpha. Elsewhere: NEST's digits.
        let an = V == 15.0 ? 0.032 * 5.0 : 0.032 * (15.0 - V) / (_exp((15.0 - V) / 5.0) - 1.0)
        let bn = 0.5 * _exp((10.0 - V) / 40.0)
        let am = V == 13.0 ? 0.32 * 4.0 : 0.32 * (13.0 - V) / (_exp((13.0 - V) / 4.0) - 1.0)
        let bm = V == 40.0 ? 0.28 * 5.0 : 0.28 * (V - 40.0) / (_exp((V - 40.0) / 5.0) - 1.0)
        let ah = 0.128 * _exp((17.0 - V) / 18.0)
        let bh = 4.0 / (1.0 + _exp((40.0 - V) / 5.0))
        return (an, bn, am, bm, ah, bh)
    }

    static func gatesSteadyState(_ V: Double) -> (m: Double, h: Double, n: Double) {
        let k = rates(V)
        return (k.am / (k.am + k.bm), k.ah / (k.ah + k.bh), k.an / (k.an + k.bn))
    }

    let gNa, gK, gL, Cm, ENa, EK, EL, VT, Eex, Ein, tauEx, tauIn, Ie: Double
    let refractorySteps: Double
    let h: Double

    /// NEST's checks, in its order (it checks no conductance).
    public init(parameters p: ParameterValues, resolution h: Double) throws {
        try Check.positive(p, "C_m")
        try Check.positive(p, "tau_syn_ex", "tau_syn_in")
        try Check.nonNegative(p, "t_ref")
        gNa = p["g_Na"]; gK = p["g_K"]; gL = p["g_L"]; Cm = p["C_m"]
        ENa = p["E_Na"]; EK = p["E_K"]; EL = p["E_L"]; VT = p["V_T"]
        Eex = p["E_ex"]; Ein = p["E_in"]
        tauEx = p["tau_syn_ex"]; tauIn = p["tau_syn_in"]; Ie = p["I_e"]
        refractorySteps = Double(nestDurationSteps(p["t_ref"], resolution: h))
        self.h = h
    }

    /// NEST's hh_cond_exp_traub_dynamics, in its order of operations.
    struct RHS: ODERightHandSide {
        let m: HhCondExpTraub
        let iStim: Double
        var dimension: Int { HhCondExpTraub.dimension }

        @inline(__always)
        func callAsFunction(_ t: Double, _ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>) {
            let Vm = y[0], gm = y[1], gh = y[2], gn = y[3], gex = y[4], gin = y[5]
            let INa = m.gNa * gm * gm * gm * gh * (Vm - m.ENa)
            let IK = m.gK * gn * gn * gn * gn * (Vm - m.EK)
            let IL = m.gL * (Vm - m.EL)
            let Iex = gex * (Vm - m.Eex)
            let Iin = gin * (Vm - m.Ein)
            f[0] = (-INa - IK - IL - Iex - Iin + iStim + m.Ie) / m.Cm
            let k = HhCondExpTraub.rates(Vm - m.VT)
            f[1] = k.am - (k.am + k.bm) * gm
            f[2] = k.ah - (k.ah + k.bh) * gh
            f[3] = k.an - (k.an + k.bn) * gn
            f[4] = -gex / m.tauEx
            f[5] = -gin / m.tauIn
        }
    }

    /// One step as NEST's update: integrate, add the step's spikes to the conductances (they act
    /// after the integration: NEST's ring buffer), then count down t_ref or report a spike if
    /// V >= V_T + 30 and V has fallen during the step; the step's current acts in the next one.
    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let d = Self.dimension
        let r = s.column(d), hstep = s.column(d + 1), istim = s.column(d + 2)
        let threshold = VT + 30.0
        RKF45.withState(dimension: d) { y, work in
            for i in range {
                for v in 0..<d { y[v] = s.column(v)[i] }
                let vOld = y[0]
                var hs = RKF45.carriedStepSize(hstep[i], resolution: h)
                RKF45.advance(RHS(m: self, iStim: istim[i]), control: Self.control, over: h, stepSize: &hs, y: y, work: work)
                y[4] += input.excitatory(i)
                y[5] += -input.inhibitory(i)   // inhibitory weights are negative, g_in grows
                if r[i] > 0 {
                    r[i] -= 1
                } else if y[0] >= threshold && vOld > y[0] {
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
