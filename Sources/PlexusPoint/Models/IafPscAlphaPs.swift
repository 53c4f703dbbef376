import PlexusCore

/// Leaky integrate-and-fire neuron with alpha-shaped synaptic currents and precise spike timing
/// (NEST `iaf_psc_alpha_ps`). The dynamics are iaf_psc_alpha's, integrated exactly between the
/// events of a step (off-grid input spikes, the end of refractoriness) rather than over whole
/// steps; a threshold crossing is located within its interval by regula falsi and the spike
/// leaves with its offset. The refractory period ends at its precise time. V_m is kept relative
/// to E_L.
public struct IafPscAlphaPs: PointNeuronModel, RestRelativeVoltage {
    public static let name = "iaf_psc_alpha_ps"
    /// iaf_psc_alpha's list: the integrate-and-fire membrane, the synapses, I_e and V_min.
    public static let parameters: [ParameterSpec] = IafPscMembrane.parameters + [
        .init("tau_syn_ex", .ms, 2, "rise time of the excitatory synaptic alpha function"),
        .init("tau_syn_in", .ms, 2, "rise time of the inhibitory synaptic alpha function"),
        NeuronParameter.I_e,
        IafPscMembrane.V_min,
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        .init("I_syn_ex", .pA, initial: 0),
        .init("I_syn_in", .pA, initial: 0),
        .init("dI_syn_ex", .one, initial: 0, recordable: false),
        .init("dI_syn_in", .one, initial: 0, recordable: false),
        NeuronState.stimulus,
    ] + PreciseState.columns
    public static let weightUnit = PhysicalUnit.pA
    public static let isPrecise = true

    let m: PreciseMembrane
    public var EL: Double { m.EL }
    let tauM, invTauM, invC, invTauEx, invTauIn: Double
    let pscNormEx, pscNormIn: Double
    // Whole-step propagators (NEST's pre_run_hook), for steps without events.
    let expm1TauM, P30, expEx, expIn: Double
    let P31ex, P32ex, P31in, P32in: Double
    let propEx, propIn: IAFPropagator

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        m = try PreciseMembrane(p, resolution: h)
        try Check.positive(p, "tau_syn_ex", "tau_syn_in")
        tauM = p["tau_m"]
        let C = p["C_m"], tauEx = p["tau_syn_ex"], tauIn = p["tau_syn_in"]
        invC = 1 / C
        invTauM = 1 / tauM
        invTauEx = 1 / tauEx
        invTauIn = 1 / tauIn
        pscNormEx = eulerE * invTauEx
        pscNormIn = eulerE * invTauIn
        expm1TauM = _expm1(-h / tauM)
        expEx = _exp(-h / tauEx)
        expIn = _exp(-h / tauIn)
        P30 = -tauM / C * expm1TauM
        propEx = IAFPropagator(tauSyn: tauEx, tauM: tauM, C: C)
        propIn = IAFPropagator(tauSyn: tauIn, tauM: tauM, C: C)
        (P31ex, P32ex) = propEx.alpha(h)
        (P31in, P32in) = propIn.alpha(h)
    }

    /// One neuron's state while a step is computed.
    struct Neuron {
        var V, Iex, Iin, dEx, dIn, y0: Double
        var refractory: Bool
    }

    /// V at `t` after the start of the current interval, from `b` (the state at its start),
    /// less the threshold (NEST's threshold_distance).
    @inline(__always)
    func distance(_ t: Double, _ b: Neuron) -> Double {
        let e = _expm1(-t * invTauM)
        let p30 = -tauM * invC * e
        let (p31ex, p32ex) = propEx.alpha(t)
        let (p31in, p32in) = propIn.alpha(t)
        let v = p30 * (m.Ie + b.y0) + p31ex * b.dEx + p32ex * b.Iex + p31in * b.dIn + p32in * b.Iin + b.V * e + b.V
        return v - m.Vth
    }

    /// Exact propagation over `dt` ms (NEST's propagate_): V only when not refractory.
    @inline(__always)
    func propagate(_ n: inout Neuron, _ dt: Double) {
        if !n.refractory {
            let e = _expm1(-dt * invTauM)
            let p30 = -tauM * invC * e
            let (p31ex, p32ex) = propEx.alpha(dt)
            let (p31in, p32in) = propIn.alpha(dt)
            n.V = p30 * (m.Ie + n.y0) + p31ex * n.dEx + p32ex * n.Iex + p31in * n.dIn + p32in * n.Iin + n.V * e + n.V
            n.V = n.V < m.Vmin ? m.Vmin : n.V
        }
        let eEx = _exp(-dt * invTauEx), eIn = _exp(-dt * invTauIn)
        n.Iex = eEx * dt * n.dEx + eEx * n.Iex
        n.dEx = eEx * n.dEx
        n.Iin = eIn * dt * n.dIn + eIn * n.Iin
        n.dIn = eIn * n.dIn
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let cV = s.column(0), cIex = s.column(1), cIin = s.column(2), cdEx = s.column(3), cdIn = s.column(4)
        let cy0 = s.column(5), cRefr = s.column(6), cLastStep = s.column(7), cLastOffset = s.column(8)
        let T = input.step, h = m.h
        var cursor = 0
        for i in range {
            var n = Neuron(V: cV[i], Iex: cIex[i], Iin: cIin[i], dEx: cdEx[i], dIn: cdIn[i], y0: cy0[i], refractory: cRefr[i] != 0)
            var lastStep = Int64(cLastStep[i]), lastOffset = cLastOffset[i]
            // A spike at `offset` before the end of this step: reset, refractory, sent.
            func fire(_ offset: Double) {
                lastStep = T + 1
                lastOffset = offset
                n.V = m.Vreset
                n.refractory = true
                spikes.emit(i, offset: offset)
            }
            // Above threshold at the start (initial or set values): a spike at the step's start.
            if n.V >= m.Vth { fire(h * (1 - Double.ulpOfOne)) }
            let refractoryEnd = n.refractory && T + 1 - lastStep == m.refractorySteps ? lastOffset : -1
            var events = PreciseStepEvents(input, neuron: i, from: &cursor, refractoryEnd: refractoryEnd, accumulate: false)
            var before = n
            if events.isEmpty {
                if !n.refractory {
                    n.V = P30 * (m.Ie + n.y0) + P31ex * n.dEx + P32ex * n.Iex + P31in * n.dIn + P32in * n.Iin + expm1TauM * n.V + n.V
                    n.V = n.V < m.Vmin ? m.Vmin : n.V
                }
                n.Iex = expEx * h * n.dEx + expEx * n.Iex
                n.dEx = expEx * n.dEx
                n.Iin = expIn * h * n.dIn + expIn * n.Iin
                n.dIn = expIn * n.dIn
                if n.V >= m.Vth {
                    let b = before
                    fire(h - regulaFalsi(h) { distance($0, b) })
                }
            } else {
                var last = h
                while let (offset, weight, endOfRefractoriness) = events.pop() {
                    let ministep = last - offset
                    propagate(&n, ministep)
                    if n.V >= m.Vth {
                        let b = before, t0 = h - last
                        fire(h - (t0 + regulaFalsi(ministep) { distance($0, b) }))
                    }
                    if endOfRefractoriness {
                        n.refractory = false
                    } else if weight >= 0 {
                        n.dEx += pscNormEx * weight
                    } else {
                        n.dIn += pscNormIn * weight
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
            cV[i] = n.V; cIex[i] = n.Iex; cIin[i] = n.Iin; cdEx[i] = n.dEx; cdIn[i] = n.dIn
            cy0[i] = input.current[i]
            cRefr[i] = n.refractory ? 1 : 0
            cLastStep[i] = Double(lastStep)
            cLastOffset[i] = lastOffset
        }
    }
}
