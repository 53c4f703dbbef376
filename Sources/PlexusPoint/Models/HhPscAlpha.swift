import PlexusCore

/// Hodgkin-Huxley neuron with alpha-shaped synaptic currents (NEST `hh_psc_alpha`). Integrated
/// like NEST: GSL's adaptive RKF45 (absolute tolerance 1e-3 on the values), the step size carried
/// over. There is no reset: a spike is reported at the first step end where V >= 0 mV and V has
/// started to fall (just past the peak), unless within t_ref of the previous spike.
public struct HhPscAlpha: PointNeuronModel {
    public static let name = "hh_psc_alpha"
    public static let parameters: [ParameterSpec] = [
        .init("t_ref", .ms, 2, "minimal time between reported spikes"),
        .init("g_Na", .nS, 12000, "sodium peak conductance"),
        .init("g_K", .nS, 3600, "potassium peak conductance"),
        .init("g_L", .nS, 30, "leak conductance"),
        .init("C_m", .pF, 100, "membrane capacitance"),
        .init("E_Na", .mV, 50, "sodium reversal potential"),
        .init("E_K", .mV, -77, "potassium reversal potential"),
        .init("E_L", .mV, -54.402, "leak reversal potential"),
        .init("tau_syn_ex", .ms, 0.2, "rise time of the excitatory synaptic current"),
        .init("tau_syn_in", .ms, 2, "rise time of the inhibitory synaptic current"),
        .init("I_e", .pA, 0, "constant input current"),
    ]

    /// NEST starts at V_m = -65 mV (not E_L) with the gates at their steady state there.
    static let restingV = -65.0
    static let restingGates = gatesSteadyState(restingV)

    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: restingV),
        .init("Act_m", .one, initial: restingGates.m),
        .init("Inact_h", .one, initial: restingGates.h),
        .init("Act_n", .one, initial: restingGates.n),
        .init("dI_ex", .pA, initial: 0, recordable: false),
        .init("I_syn_ex", .pA, initial: 0),
        .init("dI_in", .pA, initial: 0, recordable: false),
        .init("I_syn_in", .pA, initial: 0),
        .init("refractory_steps", .one, initial: 0, recordable: false),
        // GSL's step size, kept per neuron between simulation steps (NEST's IntegrationStep_);
        // 0 means "not started": the first step tries the resolution, as NEST's init does.
        .init("integration_step", .ms, initial: 0, recordable: false),
        .init("I_stim", .pA, initial: 0, recordable: false),
    ]
    public static let weightUnit = PhysicalUnit.pA

    static let dimension = 8   // V_m, m, h, n, dI_ex, I_ex, dI_in, I_in: NEST's order
    static let control = GSLStandardControl.y(epsAbs: 1e-3, epsRel: 0)
    /// e rounded to double, as NEST's numerics::e (std::numbers::e).
    static let eulerE = 2.718281828459045

    /// The rate functions of NEST's hh_psc_alpha (V in mV, rates in 1/ms).
    @inline(__always)
    static func rates(_ V: Double) -> (an: Double, bn: Double, am: Double, bm: Double, ah: Double, bh: Double) {
        let an = (0.01 * (V + 55.0)) / (1.0 - _exp(-(V + 55.0) / 10.0))
        let bn = 0.125 * _exp(-(V + 65.0) / 80.0)
        let am = (0.1 * (V + 40.0)) / (1.0 - _exp(-(V + 40.0) / 10.0))
        let bm = 4.0 * _exp(-(V + 65.0) / 18.0)
        let ah = 0.07 * _exp(-(V + 65.0) / 20.0)
        let bh = 1.0 / (1.0 + _exp(-(V + 35.0) / 10.0))
        return (an, bn, am, bm, ah, bh)
    }

    static func gatesSteadyState(_ V: Double) -> (m: Double, h: Double, n: Double) {
        let k = rates(V)
        return (k.am / (k.am + k.bm), k.ah / (k.ah + k.bh), k.an / (k.an + k.bn))
    }

    let gNa, gK, gL, Cm, ENa, EK, EL, tauEx, tauIn, Ie: Double
    let psCurrInitEx, psCurrInitIn: Double
    let refractorySteps: Double
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        try Check.positive(p, "C_m")
        try Check.nonNegative(p, "t_ref")
        try Check.positive(p, "tau_syn_ex", "tau_syn_in")
        try Check.nonNegative(p, "g_K", "g_Na", "g_L")
        gNa = p["g_Na"]; gK = p["g_K"]; gL = p["g_L"]; Cm = p["C_m"]
        ENa = p["E_Na"]; EK = p["E_K"]; EL = p["E_L"]
        tauEx = p["tau_syn_ex"]; tauIn = p["tau_syn_in"]; Ie = p["I_e"]
        // dI jumps by w·e/tau so that the alpha current peaks at w after tau
        psCurrInitEx = 1.0 * Self.eulerE / tauEx
        psCurrInitIn = 1.0 * Self.eulerE / tauIn
        refractorySteps = (p["t_ref"] / h).rounded()
        self.h = h
    }

    /// NEST's hh_psc_alpha_dynamics (no clamping: the model has no reset).
    struct RHS: ODERightHandSide {
        let m: HhPscAlpha
        let iStim: Double
        var dimension: Int { HhPscAlpha.dimension }

        @inline(__always)
        func callAsFunction(_ t: Double, _ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>) {
            let V = y[0], gm = y[1], gh = y[2], gn = y[3]
            let dIex = y[4], Iex = y[5], dIin = y[6], Iin = y[7]
            let k = HhPscAlpha.rates(V)
            let INa = m.gNa * gm * gm * gm * gh * (V - m.ENa)
            let IK = m.gK * gn * gn * gn * gn * (V - m.EK)
            let IL = m.gL * (V - m.EL)
            // synaptic currents are signed: the inhibitory one is negative
            f[0] = (-(INa + IK + IL) + iStim + m.Ie + Iex + Iin) / m.Cm
            f[1] = k.am * (1 - gm) - k.bm * gm
            f[2] = k.ah * (1 - gh) - k.bh * gh
            f[3] = k.an * (1 - gn) - k.bn * gn
            f[4] = -dIex / m.tauEx
            f[5] = dIex - (Iex / m.tauEx)
            f[6] = -dIin / m.tauIn
            f[7] = dIin - (Iin / m.tauIn)
        }
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let d = Self.dimension
        let r = s.column(8), hstep = s.column(9), istim = s.column(10)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: d + RKF45Workspace.scratchCount(dimension: d)) { buf in
            let y = buf.baseAddress!
            let work = RKF45Workspace(y + d, dimension: d)
            for i in range {
                for v in 0..<d { y[v] = s.column(v)[i] }
                let vOld = y[0]
                let rhs = RHS(m: self, iStim: istim[i])
                var hs = hstep[i] > 0 ? hstep[i] : h
                var t = 0.0
                while t < h {
                    RKF45.evolveApply(rhs, control: Self.control, t: &t, t1: h, h: &hs, y: y, work: work)
                }
                // input that arrived in this step acts after its integration (NEST's ring buffer);
                // NEST keeps inhibitory weights negative for this model
                y[4] += input.excitatory(i) * psCurrInitEx
                y[6] += input.inhibitory(i) * psCurrInitIn
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
