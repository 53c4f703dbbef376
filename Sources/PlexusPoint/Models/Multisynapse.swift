import PlexusCore

// NEST's multisynapse neuron models: K receptor ports (receptor_type 1 ... K), K set by the
// length of their array parameters, each port with its own synaptic time constants (and reversal
// potential). The engine gives such a model one input channel per port (ReceptorLayout,
// `StepInput.receptor`). The per-port state columns (g_1, I_syn_1, ...) come after the fixed
// ones, so that the static `state` list stays a prefix of `state(for:)`.

/// The checks of NEST's multisynapse array parameters: lengths that agree, time constants > 0.
enum ReceptorArrays {
    /// All `names` must have the length of the first; throws naming the first that differs.
    static func sameLength(_ p: ParameterValues, _ names: [String]) throws -> Int {
        let k = p.array(names[0]).count
        for n in names.dropFirst() where p.array(n).count != k {
            throw PlexusError("\(n) has \(p.array(n).count) values but \(names[0]) has \(k): the arrays \(names.joined(separator: ", ")) must have the same length (one value per receptor port)",
                              keyPath: n)
        }
        return k
    }

    static func positive(_ p: ParameterValues, _ name: String) throws {
        for (i, x) in p.array(name).enumerated() where !(x > 0) {
            throw PlexusError("\(name)[\(i)] = \(x): all synaptic time constants must be strictly positive", keyPath: name)
        }
    }
}

// MARK: AdEx with conductance-based multisynapse input

/// What NEST's aeif_cond_beta_multisynapse and aeif_cond_alpha_multisynapse share: the AdEx
/// membrane of aeif_cond_alpha with, instead of two synapses, K ports whose conductances follow
/// a beta function (rise τ_rise, decay τ_decay; alpha: both τ_syn) normalised to peak at the
/// weight. Integrated with GSL's RKF45 and NEST's step control, V_peak checked after every
/// internal step, on NEST's state vector (V_m, w, dg_1, g_1, dg_2, g_2, ...).
struct AeifMultisynapse {
    static let parameters = AeifMembrane.membrane + AeifMembrane.adaptation
    /// Columns: V_m, w, then the refractory count, solver step and I_stim; the ports' dg_k, g_k after.
    static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70.6),
        .init("w", .pA, initial: 0),
    ] + NeuronState.afterODE
    static let fixed = 5

    static func state(ports: Int) -> [StateSpec] {
        state + (0..<ports).flatMap { k in
            [StateSpec("dg_\(k + 1)", .one, initial: 0, recordable: false), StateSpec("g_\(k + 1)", .nS, initial: 0)]
        }
    }

    let Cm, Vth, gL, EL, Vreset, a, b, DeltaT, tauW, Ie, Vpeak: Double
    let spikeThreshold: Double
    let refractorySteps: Double
    let control: GSLStandardControl
    let ports: Int
    let Erev, tauRise, tauDecay: [Double]
    /// A weight w enters dg_k as w·g0_k, so that g_k peaks at w (NEST's beta_normalization_factor).
    let g0: [Double]

    /// NEST's checks (Parameters_::set), after the arrays' own.
    init(_ p: ParameterValues, resolution h: Double, Erev: [Double], tauRise: [Double], tauDecay: [Double]) throws {
        if !(p["V_peak"] >= p["V_th"]) {
            throw PlexusError("V_peak = \(p["V_peak"]) must be >= V_th = \(p["V_th"])", keyPath: "V_peak")
        }
        try Check.less(p, "V_reset", "V_peak")
        try AeifMembrane.checkDeltaT(p)
        try Check.positive(p, "C_m")
        try Check.nonNegative(p, "t_ref")
        try Check.positive(p, "tau_w", "gsl_error_tol")
        Cm = p["C_m"]; Vth = p["V_th"]; gL = p["g_L"]; EL = p["E_L"]; Vreset = p["V_reset"]
        a = p["a"]; b = p["b"]; DeltaT = p["Delta_T"]; tauW = p["tau_w"]; Ie = p["I_e"]; Vpeak = p["V_peak"]
        spikeThreshold = DeltaT > 0 ? Vpeak : Vth
        refractorySteps = (p["t_ref"] / h).rounded()
        control = .yp(epsAbs: p["gsl_error_tol"], epsRel: p["gsl_error_tol"])
        ports = Erev.count
        self.Erev = Erev
        self.tauRise = tauRise
        self.tauDecay = tauDecay
        g0 = zip(tauRise, tauDecay).map { Self.betaNormalization(rise: $0, decay: $1) }
    }

    /// NEST's beta_normalization_factor: 1/peak of e^{-t/τd} − e^{-t/τr} times (1/τr − 1/τd),
    /// or e/τ when the two times agree (alpha function).
    static func betaNormalization(rise: Double, decay: Double) -> Double {
        let difference = decay - rise
        var peak = 0.0
        if abs(difference) > Double.ulpOfOne {
            let tPeak = decay * rise * _log(decay / rise) / difference
            peak = _exp(-tPeak / decay) - _exp(-tPeak / rise)
        }
        if abs(peak) < Double.ulpOfOne { return eulerE / decay }
        return (1.0 / rise - 1.0 / decay) / peak
    }

    struct RHS: ODERightHandSide {
        let m: UnsafePointer<AeifMultisynapse>
        let erev, rise, decay: UnsafePointer<Double>
        let iStim: Double
        let refractory: Bool
        var dimension: Int { 2 + 2 * m.pointee.ports }

        /// NEST's aeif_cond_beta_multisynapse_dynamics, term for term.
        @inline(__always)
        func callAsFunction(_ t: Double, _ y: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>) {
            let p = m.pointee
            let V = refractory ? p.Vreset : min(y[0], p.Vpeak)
            let w = y[1]
            var Isyn = 0.0
            for k in 0..<p.ports { Isyn += y[3 + 2 * k] * (erev[k] - V) }
            let Ispike = p.DeltaT == 0 ? 0.0 : (p.DeltaT * p.gL * _exp((V - p.Vth) / p.DeltaT))
            f[0] = refractory ? 0.0 : (-p.gL * (V - p.EL) + Ispike + Isyn - w + p.Ie + iStim) / p.Cm
            f[1] = (p.a * (V - p.EL) - w) / p.tauW
            for k in 0..<p.ports {
                f[2 + 2 * k] = -y[2 + 2 * k] / rise[k]
                f[3 + 2 * k] = y[2 + 2 * k] - y[3 + 2 * k] / decay[k]
            }
        }
    }

    func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput, resolution h: Double) {
        let d = 2 + 2 * ports
        let vm = s.column(0), wc = s.column(1), r = s.column(2), hstep = s.column(3), istim = s.column(4)
        withUnsafePointer(to: self) { me in
        Erev.withUnsafeBufferPointer { erev in
        tauRise.withUnsafeBufferPointer { rise in
        tauDecay.withUnsafeBufferPointer { decay in
        RKF45.withState(dimension: d) { y, work in
            for i in range {
                y[0] = vm[i]
                y[1] = wc[i]
                for v in 2..<d { y[v] = s.column(Self.fixed + v - 2)[i] }
                var ri = r[i]
                var hs = RKF45.carriedStepSize(hstep[i], resolution: h)
                var t = 0.0
                while t < h {
                    let rhs = RHS(m: me, erev: erev.baseAddress!, rise: rise.baseAddress!, decay: decay.baseAddress!,
                                  iStim: istim[i], refractory: ri > 0)
                    RKF45.evolveApply(rhs, control: control, t: &t, t1: h, h: &hs, y: y, work: work)
                    // NEST stops with NumericalInstability; the engine stops on this NaN.
                    if y[0] < -1e3 || y[1] < -1e6 || y[1] > 1e6 || !y[0].isFinite {
                        y[0] = .nan
                        break
                    }
                    if ri > 0 {
                        y[0] = Vreset
                    } else if y[0] >= spikeThreshold {
                        y[0] = Vreset
                        y[1] += b
                        ri = refractorySteps > 0 ? refractorySteps + 1 : 0
                        spikes.emit(i)
                    }
                }
                if ri > 0 { ri -= 1 }
                for k in 0..<ports { y[2 + 2 * k] += input.receptor(i, k, ports: ports) * g0[k] }
                vm[i] = y[0]
                wc[i] = y[1]
                for v in 2..<d { s.column(Self.fixed + v - 2)[i] = y[v] }
                r[i] = ri
                hstep[i] = hs
                istim[i] = input.current[i]
            }
        }
        }
        }
        }
        }
    }
}

/// Adaptive exponential integrate-and-fire neuron with K conductance-based receptor ports whose
/// conductances rise with τ_rise and decay with τ_decay (NEST `aeif_cond_beta_multisynapse`):
/// arrays E_rev, tau_rise, tau_decay (one value per port); recordables V_m, w, g_1 ... g_K.
public struct AeifCondBetaMultisynapse: PointNeuronModel {
    public static let name = "aeif_cond_beta_multisynapse"
    public static let parameters = AeifMultisynapse.parameters
    public static let arrayParameters: [ArrayParameterSpec] = [
        .init("E_rev", .mV, [0], "reversal potential of each receptor port"),
        .init("tau_rise", .ms, [2], "rise time of each port's conductance"),
        .init("tau_decay", .ms, [20], "decay time of each port's conductance"),
    ]
    public static let state = AeifMultisynapse.state
    public static let weightUnit = PhysicalUnit.nS
    public static func receptorPorts(_ p: ParameterValues) -> Int? { p.array("E_rev").count }
    public static func state(for p: ParameterValues) -> [StateSpec] { AeifMultisynapse.state(ports: p.array("E_rev").count) }

    let m: AeifMultisynapse
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        _ = try ReceptorArrays.sameLength(p, ["E_rev", "tau_rise", "tau_decay"])
        try ReceptorArrays.positive(p, "tau_rise")
        try ReceptorArrays.positive(p, "tau_decay")
        for (k, (r, d)) in zip(p.array("tau_rise"), p.array("tau_decay")).enumerated() where d < r {
            throw PlexusError("tau_rise[\(k)] = \(r) ms must be smaller than or equal to tau_decay[\(k)] = \(d) ms", keyPath: "tau_rise")
        }
        m = try AeifMultisynapse(p, resolution: h, Erev: p.array("E_rev"), tauRise: p.array("tau_rise"), tauDecay: p.array("tau_decay"))
        self.h = h
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        m.update(s, range, input, &spikes, resolution: h)
    }
}

/// Adaptive exponential integrate-and-fire neuron with K conductance-based receptor ports with
/// alpha-shaped conductances (NEST `aeif_cond_alpha_multisynapse`): arrays E_rev and tau_syn;
/// recordables V_m, w, g_1 ... g_K.
public struct AeifCondAlphaMultisynapse: PointNeuronModel {
    public static let name = "aeif_cond_alpha_multisynapse"
    public static let parameters = AeifMultisynapse.parameters
    public static let arrayParameters: [ArrayParameterSpec] = [
        .init("E_rev", .mV, [0], "reversal potential of each receptor port"),
        .init("tau_syn", .ms, [2], "rise time (= decay time) of each port's alpha conductance"),
    ]
    public static let state = AeifMultisynapse.state
    public static let weightUnit = PhysicalUnit.nS
    public static func receptorPorts(_ p: ParameterValues) -> Int? { p.array("E_rev").count }
    public static func state(for p: ParameterValues) -> [StateSpec] { AeifMultisynapse.state(ports: p.array("E_rev").count) }

    let m: AeifMultisynapse
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        _ = try ReceptorArrays.sameLength(p, ["E_rev", "tau_syn"])
        try ReceptorArrays.positive(p, "tau_syn")
        m = try AeifMultisynapse(p, resolution: h, Erev: p.array("E_rev"), tauRise: p.array("tau_syn"), tauDecay: p.array("tau_syn"))
        self.h = h
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        m.update(s, range, input, &spikes, resolution: h)
    }
}

// MARK: current-based

/// Leaky integrate-and-fire neuron with K current-based receptor ports, each an exponentially
/// decaying current with its own τ_syn (NEST `iaf_psc_exp_multisynapse`), integrated exactly as
/// NEST does: array tau_syn; recordables V_m, I_syn (the ports' sum), I_syn_1 ... I_syn_K.
/// V_m is kept relative to E_L internally.
public struct IafPscExpMultisynapse: PointNeuronModel, RestRelativeVoltage {
    public static let name = "iaf_psc_exp_multisynapse"
    public static let parameters: [ParameterSpec] = IafPscMembrane.parameters + [NeuronParameter.I_e]
    public static let arrayParameters: [ArrayParameterSpec] = [
        .init("tau_syn", .ms, [2], "decay time of each receptor port's current"),
    ]
    /// V_m, I_syn (recorded as the sum of the ports; the column itself is unused), the refractory
    /// count and I_stim; I_syn_1 ... I_syn_K after.
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        .init("I_syn", .pA, initial: 0),
        NeuronState.refractorySteps,
        NeuronState.stimulus,
    ]
    static let fixed = 4
    public static let weightUnit = PhysicalUnit.pA
    public static func receptorPorts(_ p: ParameterValues) -> Int? { p.array("tau_syn").count }
    public static func state(for p: ParameterValues) -> [StateSpec] {
        state + (0..<p.array("tau_syn").count).map { StateSpec("I_syn_\($0 + 1)", .pA, initial: 0) }
    }

    let m: IafPscMembrane
    let P20, P22: Double
    let P11, P21: [Double]
    let ports: Int
    public var EL: Double { m.EL }

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        // NEST's order of checks (Parameters_::set).
        try Check.positive(p, "C_m", "tau_m")
        try ReceptorArrays.positive(p, "tau_syn")
        for (k, t) in p.array("tau_syn").enumerated() where t == p["tau_m"] {
            throw PlexusError("tau_syn[\(k)] = \(t) ms equals tau_m: membrane and synapse time constants must differ", keyPath: "tau_syn")
        }
        try Check.nonNegative(p, "t_ref")
        try Check.less(p, "V_reset", "V_th")
        m = IafPscMembrane(p, resolution: h)
        let tauM = p["tau_m"], C = p["C_m"]
        P22 = _exp(-h / tauM)
        P20 = tauM / C * (1.0 - P22)
        P11 = p.array("tau_syn").map { _exp(-h / $0) }
        P21 = p.array("tau_syn").map { IAFPropagator(tauSyn: $0, tauM: tauM, C: C).exponential(h) }
        ports = P11.count
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let vm = s.column(0), r = s.column(2), i0 = s.column(3)
        let syn = s.column(Self.fixed), n = s.n
        for i in range {
            var v = vm[i]
            if r[i] == 0 {
                // NEST's order: the membrane and constant current first, then port by port.
                v = v * P22 + (m.Ie + i0[i]) * P20
                for k in 0..<ports { v += P21[k] * syn[k &* n &+ i] }
            } else {
                r[i] -= 1
            }
            for k in 0..<ports {
                syn[k &* n &+ i] = syn[k &* n &+ i] * P11[k] + input.receptor(i, k, ports: ports)
            }
            if v >= m.Vth {
                r[i] = m.refractorySteps
                v = m.Vreset
                spikes.emit(i)
            }
            vm[i] = v
            i0[i] = input.current[i]
        }
    }

    public func recordedValue(_ s: StateColumns, variable v: Int, neuron i: Int) -> Double {
        recordedPortCurrentValue(s, variable: v, neuron: i, ports: ports, firstPort: Self.fixed)
    }
}

/// Leaky integrate-and-fire neuron with K current-based receptor ports, each an alpha-shaped
/// current with its own τ_syn peaking at the weight (NEST `iaf_psc_alpha_multisynapse`),
/// integrated exactly as NEST does: array tau_syn; recordables V_m, I_syn (the ports' sum),
/// I_syn_1 ... I_syn_K. V_m is kept relative to E_L internally.
public struct IafPscAlphaMultisynapse: PointNeuronModel, RestRelativeVoltage {
    public static let name = "iaf_psc_alpha_multisynapse"
    public static let parameters: [ParameterSpec] = IafPscMembrane.parameters + [NeuronParameter.I_e, IafPscMembrane.V_min]
    public static let arrayParameters: [ArrayParameterSpec] = [
        .init("tau_syn", .ms, [2], "rise time of each receptor port's alpha current"),
    ]
    public static let state = IafPscExpMultisynapse.state
    static let fixed = 4
    public static let weightUnit = PhysicalUnit.pA
    public static func receptorPorts(_ p: ParameterValues) -> Int? { p.array("tau_syn").count }
    /// The fixed columns, then I_syn_1 ... I_syn_K, then the hidden dI_syn_1 ... dI_syn_K (NEST's y1).
    public static func state(for p: ParameterValues) -> [StateSpec] {
        let k = p.array("tau_syn").count
        return state + (0..<k).map { StateSpec("I_syn_\($0 + 1)", .pA, initial: 0) }
            + (0..<k).map { StateSpec("dI_syn_\($0 + 1)", .one, initial: 0, recordable: false) }
    }

    let m: IafPscMembrane
    let Vmin: Double
    let P30, P33: Double
    let P11, P21, P31, P32, psc0: [Double]
    let ports: Int
    public var EL: Double { m.EL }

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        // NEST's order of checks (Parameters_::set).
        try Check.positive(p, "C_m", "tau_m")
        try ReceptorArrays.positive(p, "tau_syn")
        try Check.nonNegative(p, "t_ref")
        try Check.less(p, "V_reset", "V_th")
        m = IafPscMembrane(p, resolution: h)
        Vmin = p["V_min"] - m.EL
        let tauM = p["tau_m"], C = p["C_m"], taus = p.array("tau_syn")
        P33 = _exp(-h / tauM)
        P30 = 1 / C * (1 - P33) * tauM
        P11 = taus.map { _exp(-h / $0) }
        P21 = P11.map { h * $0 }
        let alpha = taus.map { IAFPropagator(tauSyn: $0, tauM: tauM, C: C).alpha(h) }
        P31 = alpha.map(\.0)
        P32 = alpha.map(\.1)
        psc0 = taus.map { 1.0 * eulerE / $0 }
        ports = taus.count
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let vm = s.column(0), r = s.column(2), i0 = s.column(3)
        let y2 = s.column(Self.fixed), y1 = s.column(Self.fixed + ports), n = s.n
        for i in range {
            var v = vm[i]
            if r[i] == 0 {
                // NEST's order: the constant current and the membrane, then port by port.
                v = P30 * (i0[i] + m.Ie) + P33 * v
                for k in 0..<ports { v += P31[k] * y1[k &* n &+ i] + P32[k] * y2[k &* n &+ i] }
                v = v < Vmin ? Vmin : v
            } else {
                r[i] -= 1
            }
            for k in 0..<ports {
                let j = k &* n &+ i
                y2[j] = P21[k] * y1[j] + P11[k] * y2[j]
                y1[j] *= P11[k]
                y1[j] += psc0[k] * input.receptor(i, k, ports: ports)
            }
            if v >= m.Vth {
                r[i] = m.refractorySteps
                v = m.Vreset
                spikes.emit(i)
            }
            vm[i] = v
            i0[i] = input.current[i]
        }
    }

    public func recordedValue(_ s: StateColumns, variable v: Int, neuron i: Int) -> Double {
        recordedPortCurrentValue(s, variable: v, neuron: i, ports: ports, firstPort: Self.fixed)
    }
}

extension RestRelativeVoltage {
    /// What the current-based multisynapse models record: V_m (kept relative to E_L), I_syn
    /// (column 1: the sum of the ports' currents, from column `firstPort` on), the rest as kept.
    func recordedPortCurrentValue(_ s: StateColumns, variable v: Int, neuron i: Int, ports: Int, firstPort: Int) -> Double {
        switch v {
        case 0: return s.column(0)[i] + EL
        case 1:
            var sum = 0.0
            for k in 0..<ports { sum += s.column(firstPort + k)[i] }
            return sum
        default: return s.column(v)[i]
        }
    }
}
