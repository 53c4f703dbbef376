import PlexusCore

/// Izhikevich (2003) neuron (NEST `izhikevich`):
///   dV/dt = 0.04 V² + 5 V + 140 − U + I,  dU/dt = a (b V − U),
/// spike when V ≥ V_th, then V = c, U += d. Forward Euler on the resolution grid, as NEST does.
/// A spike of weight w (mV) makes V jump by w; I_e (documented in pA, as in NEST) and generator
/// currents are added straight to dV/dt (in mV/ms: NEST assumes R = 1).
public struct Izhikevich: PointNeuronModel {
    public static let name = "izhikevich"
    public static let parameters: [ParameterSpec] = [
        .init("V_th", .mV, 30, "spike threshold"),
        .init("I_e", .pA, 0, "constant input current (enters dV/dt as mV/ms, R = 1)"),
        .init("V_min", .mV, -Double.greatestFiniteMagnitude, "absolute lower bound of V_m"),
        .init("a", .one, 0.02, "time scale of the recovery variable (1/ms)"),
        .init("b", .one, 0.2, "sensitivity of the recovery variable"),
        .init("c", .mV, -65, "after-spike reset value of V_m"),
        .init("d", .mV, 8, "after-spike increment of U_m"),
        .init("consistent_integration", .one, 1,
              "1: forward Euler from the old values of V and U; 0: the two half steps of Izhikevich (2003)"),
    ]
    public static let state: [StateSpec] = [
        .init("V_m", .mV, initial: -65),
        .init("U_m", .mV, initial: -13),   // b · V_m at the defaults, as NEST
        NeuronState.stimulus,
    ]
    public static let weightUnit = PhysicalUnit.mV

    let Vth, Ie, Vmin, a, b, c, d: Double
    let consistent: Bool
    let h: Double

    public init(parameters p: ParameterValues, resolution h: Double) throws {
        // NEST checks nothing here; we only refuse values that NEST's types cannot hold.
        let ci = p["consistent_integration"]
        if ci != 0 && ci != 1 {
            throw PlexusError.outOfRange("consistent_integration", ci, "must be 0 or 1 (a boolean)")
        }
        for spec in Self.parameters where p[spec.name].isNaN {
            throw PlexusError.outOfRange(spec.name, p[spec.name], "must be a number")
        }
        Vth = p["V_th"]
        Ie = p["I_e"]
        Vmin = p["V_min"]
        a = p["a"]
        b = p["b"]
        c = p["c"]
        d = p["d"]
        consistent = ci == 1
        self.h = h
    }

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        let vm = s.column(0), um = s.column(1), iStim = s.column(2)
        for i in range {
            // NEST keeps one buffer for both signs; the weight arriving at the step's end is added
            // to V in this step (after the Euler increment, as NEST writes it).
            let w = input.excitatory(i) + input.inhibitory(i)
            var v = vm[i], u = um[i]
            let I = iStim[i]
            if consistent {
                let vOld = v, uOld = u
                v += h * (0.04 * vOld * vOld + 5.0 * vOld + 140.0 - uOld + I + Ie) + w
                u += h * a * (b * vOld - uOld)
            } else {
                // Izhikevich's published scheme: two half steps for V (the second uses the new V),
                // then U from the new V; the spike input is spread over both halves.
                v += h * 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + I + Ie + w)
                v += h * 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + I + Ie + w)
                u += h * a * (b * v - u)
            }
            v = v < Vmin ? Vmin : v
            if v >= Vth {
                v = c
                u = u + d
                spikes.emit(i)
            }
            vm[i] = v
            um[i] = u
            iStim[i] = input.current[i]
        }
    }
}
