import PlexusCore

/// Hodgkin-Huxley neuron with gap-junction support (NEST `hh_psc_alpha_gap`, after Mancilla et al.
/// 2007): Na, Kv1 and Kv3 channels, alpha-shaped synaptic currents, and a gap current
/// Σ_j g_ij (V_j - V_i) whose partner voltages V_j are the interpolation polynomials of the
/// waveform relaxation (GapJunctions.swift). Integrated like NEST: GSL's adaptive RKF45 with an
/// absolute tolerance of 1e-6 on the values (not hh_psc_alpha's 1e-3), the step size carried over.
/// Spikes as in hh_psc_alpha: the first step end with V >= 0 mV just past the peak, outside t_ref.
public struct HhPscAlphaGap: GapJunctionModel {
    public static let name = "hh_psc_alpha_gap"
    /// The list of both Hodgkin-Huxley models (HodgkinHuxleyAlpha.swift: t_ref, g_Na, g_Kv1, g_Kv3,
    /// g_L, C_m, E_Na, E_K, E_L, tau_syn_ex, tau_syn_in, I_e) with this model's defaults.
    public static let parameters = HodgkinHuxleyAlpha.parameters(
        g_Na: 4500,
        potassium: [
            .init("g_Kv1", .nS, 9, "Kv1 potassium peak conductance"),
            .init("g_Kv3", .nS, 9000, "Kv3 potassium peak conductance"),
        ],
        g_L: 10, C_m: 40, E_Na: 74, E_K: -90, E_L: -70)

    /// NEST starts at this V_m (near rest, not E_L) with every gate at its steady state there.
    static let restingV = -69.60401191631222
    static let restingGates = gatesSteadyState(restingV)

    /// V_m, the gates, then the synaptic currents and bookkeeping shared with hh_psc_alpha.
    public static let state: [StateSpec] =
        HodgkinHuxleyAlpha.membraneState(restingV: restingV, m: restingGates.m, h: restingGates.h, n: restingGates.n)
        + [.init("Inact_p", .one, initial: restingGates.p)] + HodgkinHuxleyAlpha.synapseState
    public static let weightUnit = PhysicalUnit.pA

    static let dimension = 9   // V_m, m, h, n, p, dI_ex, I_ex, dI_in, I_in: NEST's order
    static let control = GSLStandardControl.y(epsAbs: 1e-6, epsRel: 0)
    static let columnStep = 10, columnStim = 11
    public static let gatingVariables = [1, 2, 3, 4]   // Act_m, Inact_h, Act_n, Inact_p

    /// The rate functions of NEST's hh_psc_alpha_gap (V in mV, rates in 1/ms), written with the
    /// same operations (divisions by exp where NEST divides).
    @inline(__always)
    static func rates(_ V: Double) -> (am: Double, bm: Double, ah: Double, bh: Double, ap: Double, bp: Double,
                                       an: Double, bn: Double) {
        // 0/0 at V = 75.5, -51.25, 95 and -44 mV exactly: the limits there (see hh_psc_alpha).
        let am = V == 75.5 ? 40.0 * 13.5 : 40.0 * (V - 75.5) / (1.0 - _exp(-(V - 75.5) / 13.5))
        let bm = 1.2262 / _exp(V / 42.248)
        let ah = 0.0035 / _exp(V / 24.186)
        let bh = V == -51.25 ? 0.017 * 5.2 : 0.017 * (51.25 + V) / (1.0 - _exp(-(51.25 + V) / 5.2))
        let ap = V == 95.0 ? 11.8 : (V - 95.0) / (1.0 - _exp(-(V - 95.0) / 11.8))
        let bp = 0.025 / _exp(V / 22.222)
        let an = V == -44.0 ? 0.014 * 2.3 : 0.014 * (V + 44.0) / (1.0 - _exp(-(V + 44.0) / 2.3))
        let bn = 0.0043 / _exp((V + 44.0) / 34.0)
        return (am, bm, ah, bh, ap, bp, an, bn)
    }

    static func gatesSteadyState(_ V: Double) -> (m: Double, h: Double, n: Double, p: Double) {
        let k = rates(V)
        return (k.am / (k.am + k.bm), k.ah / (k.ah + k.bh), k.an / (k.an + k.bn), k.ap / (k.ap + k.bp))
    }

    let gNa, gKv1, gKv3, gL, Cm, ENa, EK, EL: Double
    let syn: HodgkinHuxleyAlpha
    let h: Double
    public let coupling = GapCoupling()

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        syn = try HodgkinHuxleyAlpha(p, resolution: h)
        try Check.nonNegative(p, "g_Kv1", "g_Kv3", "g_Na", "g_L")
        gNa = p["g_Na"]; gKv1 = p["g_Kv1"]; gKv3 = p["g_Kv3"]; gL = p["g_L"]; Cm = p["C_m"]
        ENa = p["E_Na"]; EK = p["E_K"]; EL = p["E_L"]
        self.h = h
    }

    public func prepareState(_ state: StateColumns, count: Int) {}

    /// NEST's hh_psc_alpha_gap_dynamics. The gap current is -Σg·V + the summed partner
    /// polynomial of this step, evaluated at t/h in [0, 1].
    struct RHS: ODERightHandSide {
        let m: HhPscAlphaGap
        let iStim: Double
        let sumG: Double
        let c: UnsafePointer<Double>?
        let order: Int
        var dimension: Int { HhPscAlphaGap.dimension }

        @inline(__always)
        func callAsFunction(_ time: Double, _ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>) {
            let V = y[0], gm = y[1], gh = y[2], gn = y[3], gp = y[4]
            let Iex = y[6], Iin = y[8]
            let k = HhPscAlphaGap.rates(V)
            let INa = m.gNa * gm * gm * gm * gh * (V - m.ENa)
            let IK = (m.gKv1 * gn * gn * gn * gn + m.gKv3 * gp * gp) * (V - m.EK)
            let IL = m.gL * (V - m.EL)
            var gap = 0.0
            if let c {
                let t = time / m.h
                switch order {
                case 0: gap = -sumG * V + c[0]
                case 1: gap = -sumG * V + c[0] + c[1] * t
                default: gap = -sumG * V + c[0] + c[1] * t + c[2] * t * t + c[3] * t * t * t
                }
            }
            f[0] = (-(INa + IK + IL) + iStim + m.syn.Ie + Iex + Iin + gap) / m.Cm
            f[1] = k.am * (1 - gm) - k.bm * gm
            f[2] = k.ah * (1 - gh) - k.bh * gh
            f[3] = k.an * (1 - gn) - k.bn * gn
            f[4] = k.ap * (1 - gp) - k.bp * gp
            m.syn.synapticDerivatives(y, f, from: 5)
        }
    }

    /// The real update (NEST's update_ with called_from_wfr_update false).
    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let cp = coupling
        let k = cp.order + 1
        let lag = cp.interval > 0 ? Int(input.step % Int64(cp.interval)) : 0
        syn.update(s, range, input, &spikes, dimension: Self.dimension, control: Self.control, resolution: h) { i, iStim in
            let c = cp.coefficients.map { UnsafePointer($0 + (i &* cp.interval &+ lag) &* k) }
            return RHS(m: self, iStim: iStim, sumG: cp.sumG?[i] ?? 0, c: c, order: cp.order)
        }
    }

    /// One waveform-relaxation iteration over an interval (NEST's wfr_update): from the saved
    /// state, with the partners' polynomials of the previous iteration, the I_stim of the last
    /// real step held constant and the spike input already in the ring buffer (not consumed).
    /// Writes this neuron's own interpolation coefficients per step to `out`, compares V_m at
    /// each step end with the previous iteration's (`lastV`), and leaves the state as it was —
    /// except GSL's step size, which NEST does not restore either.
    public func relax(_ s: StateColumns, _ range: Range<Int>, _ ring: GapRingView, firstStep: Int64,
                      out: UnsafeMutablePointer<Double>, lastV: UnsafeMutablePointer<Double>, tol: Double) -> Bool {
        let d = Self.dimension
        let hstep = s.column(Self.columnStep), istim = s.column(Self.columnStim)
        let cp = coupling
        let m = cp.interval, order = cp.order, k = order + 1
        var exceeded = false
        RKF45.withState(dimension: d, extra: d) { y, work in
            let f = y + d
            for i in range {
                for v in 0..<d { y[v] = s.column(v)[i] }
                var hs = RKF45.carriedStepSize(hstep[i], resolution: h)
                let sumG = cp.sumG?[i] ?? 0
                let o = out + i &* m &* k, last = lastV + i &* m
                for lag in 0..<m {
                    let c = cp.coefficients.map { UnsafePointer($0 + (i &* m &+ lag) &* k) }
                    let rhs = RHS(m: self, iStim: istim[i], sumG: sumG, c: c, order: order)
                    let yi = y[0]
                    var hfi = 0.0
                    if order == 3 {
                        rhs(0, y, f)
                        hfi = h * f[0]
                    }
                    RKF45.advance(rhs, control: Self.control, over: h, stepSize: &hs, y: y, work: work)
                    let row = ring.row(firstStep + Int64(lag))
                    syn.receive(y, from: 5, excitatory: row[2 &* i], inhibitory: row[2 &* i &+ 1])
                    exceeded = exceeded || abs(y[0] - last[lag]) > tol
                    last[lag] = y[0]
                    let ol = o + lag &* k
                    ol[0] = yi
                    switch order {
                    case 0: break
                    case 1: ol[1] = y[0] - yi
                    default:
                        let yip1 = y[0]
                        rhs(h, y, f)
                        let hfip1 = h * f[0]
                        ol[1] = hfi
                        ol[2] = -3 * yi + 3 * yip1 - 2 * hfi - hfip1
                        ol[3] = 2 * yi - 2 * yip1 + hfi + hfip1
                    }
                }
                hstep[i] = hs
            }
        }
        return exceeded
    }
}
