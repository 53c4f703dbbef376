import PlexusCore

/// Hodgkin-Huxley neuron with alpha-shaped synaptic currents (NEST `hh_psc_alpha`). Integrated
/// like NEST: GSL's adaptive RKF45 (absolute tolerance 1e-3 on the values), the step size carried
/// over. There is no reset: a spike is reported at the first step end where V >= 0 mV and V has
/// started to fall (just past the peak), unless within t_ref of the previous spike.
public struct HhPscAlpha: PointNeuronModel {
    public static let name = "hh_psc_alpha"
    /// The list of both Hodgkin-Huxley models (HodgkinHuxleyAlpha.swift: t_ref, g_Na, g_K, g_L,
    /// C_m, E_Na, E_K, E_L, tau_syn_ex, tau_syn_in, I_e) with this model's defaults.
    public static let parameters = HodgkinHuxleyAlpha.parameters(
        g_Na: 12000, potassium: [.init("g_K", .nS, 3600, "potassium peak conductance")],
        g_L: 30, C_m: 100, E_Na: 50, E_K: -77, E_L: -54.402)

    /// NEST starts at V_m = -65 mV (not E_L) with the gates at their steady state there.
    static let restingV = -65.0
    static let restingGates = gatesSteadyState(restingV)

    /// V_m, the gates, then the synaptic currents and bookkeeping shared with hh_psc_alpha_gap.
    public static let state: [StateSpec] =
        HodgkinHuxleyAlpha.membraneState(restingV: restingV, m: restingGates.m, h: restingGates.h, n: restingGates.n)
        + HodgkinHuxleyAlpha.synapseState
    public static let weightUnit = PhysicalUnit.pA

    static let dimension = 8   // V_m, m, h, n, dI_ex, I_ex, dI_in, I_in: NEST's order
    static let control = GSLStandardControl.y(epsAbs: 1e-3, epsRel: 0)

    /// The rate functions of NEST's hh_psc_alpha (V in mV, rates in 1/ms).
    @inline(__always)
    static func rates(_ V: Double) -> (an: Double, bn: Double, am: Double, bm: Double, ah: Double, bh: Double) {
        // NEST's formulas are 0/0 at V = -55 and -40 mV exactly (NEST then carries NaN on);
        // there they take their limits, as NEURON's vtrap does. Elsewhere: NEST's digits.
        let an = V == -55.0 ? 0.1 : (0.01 * (V + 55.0)) / (1.0 - _exp(-(V + 55.0) / 10.0))
        let bn = 0.125 * _exp(-(V + 65.0) / 80.0)
        let am = V == -40.0 ? 1.0 : (0.1 * (V + 40.0)) / (1.0 - _exp(-(V + 40.0) / 10.0))
        let bm = 4.0 * _exp(-(V + 65.0) / 18.0)
        let ah = 0.07 * _exp(-(V + 65.0) / 20.0)
        let bh = 1.0 / (1.0 + _exp(-(V + 35.0) / 10.0))
        return (an, bn, am, bm, ah, bh)
    }

    static func gatesSteadyState(_ V: Double) -> (m: Double, h: Double, n: Double) {
        let k = rates(V)
        return (k.am / (k.am + k.bm), k.ah / (k.ah + k.bh), k.an / (k.an + k.bn))
    }

    let gNa, gK, gL, Cm, ENa, EK, EL: Double
    let syn: HodgkinHuxleyAlpha
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        syn = try HodgkinHuxleyAlpha(p, resolution: h)
        try Check.nonNegative(p, "g_K", "g_Na", "g_L")
        gNa = p["g_Na"]; gK = p["g_K"]; gL = p["g_L"]; Cm = p["C_m"]
        ENa = p["E_Na"]; EK = p["E_K"]; EL = p["E_L"]
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
            let Iex = y[5], Iin = y[7]
            let k = HhPscAlpha.rates(V)
            let INa = m.gNa * gm * gm * gm * gh * (V - m.ENa)
            let IK = m.gK * gn * gn * gn * gn * (V - m.EK)
            let IL = m.gL * (V - m.EL)
            // synaptic currents are signed: the inhibitory one is negative
            f[0] = (-(INa + IK + IL) + iStim + m.syn.Ie + Iex + Iin) / m.Cm
            f[1] = k.am * (1 - gm) - k.bm * gm
            f[2] = k.ah * (1 - gh) - k.bh * gh
            f[3] = k.an * (1 - gn) - k.bn * gn
            m.syn.synapticDerivatives(y, f, from: 4)
        }
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        syn.update(s, range, input, &spikes, dimension: Self.dimension, control: Self.control, resolution: h) { _, iStim in
            RHS(m: self, iStim: iStim)
        }
    }
}
