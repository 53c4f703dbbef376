import PlexusCore

/// Leaky integrate-and-fire neuron with delta-shaped synaptic input and precise spike timing
/// (NEST `iaf_psc_delta_ps`): a spike of weight w (mV) makes V_m jump by w at its precise time
/// (spikes at the same time are summed first). The neuron fires either at an input spike that
/// takes V_m over threshold (at that spike's time), or when the constant current takes it there
/// between events (the crossing solved in closed form). Input that arrives while refractory is
/// lost, as in NEST (whose refractory_input cannot be switched on). V_m is kept relative to E_L.
public struct IafPscDeltaPs: PointNeuronModel, RestRelativeVoltage {
    public static let name = "iaf_psc_delta_ps"
    public static let parameters: [ParameterSpec] = IafPscMembrane.parameters + [
        NeuronParameter.I_e,
        // NEST's default is the most negative double, not -inf.
        ParameterSpec("V_min", .mV, -Double.greatestFiniteMagnitude, "absolute lower bound of V_m"),
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -70),
        NeuronState.stimulus,
    ] + PreciseState.columns
    public static let weightUnit = PhysicalUnit.mV
    public static let isPrecise = true

    let m: PreciseMembrane
    public var EL: Double { m.EL }
    let tauM, R, expm1H: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        m = try PreciseMembrane(p, resolution: h)
        tauM = p["tau_m"]
        R = tauM / p["C_m"]
        expm1H = _expm1(-h / tauM)
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let cU = s.column(0), cI = s.column(1), cRefr = s.column(2), cLastStep = s.column(3), cLastOffset = s.column(4)
        let T = input.step, h = m.h
        var cursor = 0
        for i in range {
            var U = cU[i]
            let I = cI[i]
            var refractory = cRefr[i] != 0
            var lastStep = Int64(cLastStep[i]), lastOffset = cLastOffset[i]
            func fireAt(_ offset: Double) {
                lastStep = T + 1
                lastOffset = offset
                U = m.Vreset
                refractory = true
                spikes.emit(i, offset: offset)
            }
            // Crossed between events, `offsetU` before the end of the step being where U is now:
            // back to the crossing along the relaxation towards v_inf.
            func fireCrossed(_ offsetU: Double) {
                let vInf = R * (I + m.Ie)
                let dt = -tauM * _log((vInf - U) / (vInf - m.Vth))
                fireAt(offsetU + dt)
            }
            func propagate(_ dt: Double) {
                let e = _expm1(-dt / tauM)
                let vInf = R * (I + m.Ie)
                U = -vInf * e + U * e + U
            }
            if U >= m.Vth { fireAt(h * (1 - Double.ulpOfOne)) }
            let refractoryEnd = refractory && T + 1 - lastStep == m.refractorySteps ? lastOffset : -1
            var events = PreciseStepEvents(input, neuron: i, from: &cursor, refractoryEnd: refractoryEnd, accumulate: true)
            if events.isEmpty {
                if !refractory {
                    let iExt = -expm1H * R * (I + m.Ie)
                    U = iExt + expm1H * U + U
                    U = U < m.Vmin ? m.Vmin : U
                    if U >= m.Vth { fireCrossed(0) }
                }
            } else {
                var t = h
                while let (offset, weight, endOfRefractoriness) = events.pop() {
                    if refractory {
                        t = offset
                        if endOfRefractoriness {
                            refractory = false
                            if U >= m.Vth { fireAt(t) }
                        }
                        continue
                    }
                    propagate(t - offset)
                    t = offset
                    if U >= m.Vth {
                        fireCrossed(t)
                        continue
                    }
                    U += weight
                    if U >= m.Vth { fireAt(t) }
                }
                if !refractory && t > 0 {
                    propagate(t)
                    if U >= m.Vth { fireCrossed(0) }
                }
            }
            cU[i] = U
            cI[i] = input.current[i]
            cRefr[i] = refractory ? 1 : 0
            cLastStep[i] = Double(lastStep)
            cLastOffset[i] = lastOffset
        }
    }
}
