import PlexusCore

/// Leaky integrate-and-fire neuron with exponential synaptic currents and precise spike timing
/// (NEST `iaf_psc_exp_ps`): iaf_psc_exp's dynamics integrated exactly between the events of a
/// step, threshold crossings located by regula falsi, spikes sent with their offsets. V_m is
/// kept relative to E_L.
public struct IafPscExpPs: PointNeuronModel, RestRelativeVoltage {
    public static let name = "iaf_psc_exp_ps"
    public static let parameters: [ParameterSpec] = IafPscMembrane.parameters + [
        .init("tau_syn_ex", .ms, 2, "decay time of the excitatory synaptic current"),
        .init("tau_syn_in", .ms, 2, "decay time of the inhibitory synaptic current"),
        NeuronParameter.I_e,
        IafPscMembrane.V_min,
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        // NEST records V_m only but takes initial I_syn_ex, I_syn_in (PyNN's isyn_exc, isyn_inh).
        .init("I_syn_ex", .pA, initial: 0),
        .init("I_syn_in", .pA, initial: 0),
        NeuronState.stimulus,
    ] + PreciseState.columns
    public static let weightUnit = PhysicalUnit.pA
    public static let isPrecise = true

    let m: PreciseMembrane
    public var EL: Double { m.EL }
    let tauM, C, tauEx, tauIn: Double
    let expm1TauM, P20, expEx, expIn, P21ex, P21in: Double
    let propEx, propIn: IAFPropagator

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        m = try PreciseMembrane(p, resolution: h)
        try Check.positive(p, "tau_syn_ex", "tau_syn_in")
        tauM = p["tau_m"]; C = p["C_m"]; tauEx = p["tau_syn_ex"]; tauIn = p["tau_syn_in"]
        expm1TauM = _expm1(-h / tauM)
        expEx = _exp(-h / tauEx)
        expIn = _exp(-h / tauIn)
        P20 = -tauM / C * _expm1(-h / tauM)
        propEx = IAFPropagator(tauSyn: tauEx, tauM: tauM, C: C)
        propIn = IAFPropagator(tauSyn: tauIn, tauM: tauM, C: C)
        P21ex = propEx.exponential(h)
        P21in = propIn.exponential(h)
    }

    struct Neuron {
        var V, Iex, Iin, y0: Double
        var refractory: Bool
    }

    @inline(__always)
    func distance(_ t: Double, _ b: Neuron) -> Double {
        let p20 = -tauM / C * _expm1(-t / tauM)
        let p21ex = propEx.exponential(t), p21in = propIn.exponential(t)
        let v = p20 * (m.Ie + b.y0) + p21ex * b.Iex + p21in * b.Iin + b.V * _exp(-t / tauM)
        return v - m.Vth
    }

    @inline(__always)
    func propagate(_ n: inout Neuron, _ dt: Double) {
        if !n.refractory {
            let p20 = -tauM / C * _expm1(-dt / tauM)
            let p21ex = propEx.exponential(dt), p21in = propIn.exponential(dt)
            n.V = p20 * (m.Ie + n.y0) + p21ex * n.Iex + p21in * n.Iin + n.V * _exp(-dt / tauM)
        }
        n.Iex = n.Iex * _exp(-dt / tauEx)
        n.Iin = n.Iin * _exp(-dt / tauIn)
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let cV = s.column(0), cIex = s.column(1), cIin = s.column(2), cy0 = s.column(3)
        let cRefr = s.column(4), cLastStep = s.column(5), cLastOffset = s.column(6)
        let T = input.step, h = m.h
        var cursor = 0
        for i in range {
            var n = Neuron(V: cV[i], Iex: cIex[i], Iin: cIin[i], y0: cy0[i], refractory: cRefr[i] != 0)
            var lastStep = Int64(cLastStep[i]), lastOffset = cLastOffset[i]
            func fire(_ offset: Double) {
                lastStep = T + 1
                lastOffset = offset
                n.V = m.Vreset
                n.refractory = true
                spikes.emit(i, offset: offset)
            }
            if n.V >= m.Vth { fire(h * (1 - Double.ulpOfOne)) }
            let refractoryEnd = n.refractory && T + 1 - lastStep == m.refractorySteps ? lastOffset : -1
            var events = PreciseStepEvents(input, neuron: i, from: &cursor, refractoryEnd: refractoryEnd, accumulate: false)
            var before = n
            if events.isEmpty {
                if !n.refractory {
                    n.V = P20 * (m.Ie + n.y0) + P21ex * n.Iex + P21in * n.Iin + expm1TauM * n.V + n.V
                    n.V = n.V < m.Vmin ? m.Vmin : n.V
                }
                n.Iex = n.Iex * expEx
                n.Iin = n.Iin * expIn
                if n.V >= m.Vth {
                    let b = before
                    fire(h - regulaFalsi(h) { distance($0, b) })
                }
            } else {
                var last = h
                while let (offset, weight, endOfRefractoriness) = events.pop() {
                    let ministep = last - offset
                    if ministep > 0 {
                        propagate(&n, ministep)
                        if n.V >= m.Vth {
                            let b = before, t0 = h - last
                            fire(h - (t0 + regulaFalsi(ministep) { distance($0, b) }))
                        }
                    }
                    if endOfRefractoriness {
                        n.refractory = false
                    } else if weight >= 0 {
                        n.Iex += weight
                    } else {
                        n.Iin += weight
                    }
                    before = n
                    last = offset
                }
                if last > 0 {
                    propagate(&n, last)
                    if n.V >= m.Vth {
                        let b = before, t0 = h - last
                        fire(h - (t0 + regulaFalsi(last) { distance($0, b) }))
                    }
                }
            }
            cV[i] = n.V; cIex[i] = n.Iex; cIin[i] = n.Iin
            cy0[i] = input.current[i]
            cRefr[i] = n.refractory ? 1 : 0
            cLastStep[i] = Double(lastStep)
            cLastOffset[i] = lastOffset
        }
    }
}
