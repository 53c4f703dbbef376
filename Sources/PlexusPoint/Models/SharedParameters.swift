import PlexusCore

// Declarations that several of NEST's neuron models share: the same name, unit, meaning and
// default, declared once here. A model's `parameters` names the groups it takes and declares the
// rest itself, in NEST's order, so that `plexus models` lists every model as NEST does.

/// Parameters that most of NEST's neurons declare alike.
enum NeuronParameter {
    /// `I_e`, the constant input current (pA, default 0).
    static let I_e = ParameterSpec("I_e", .pA, 0, "constant input current")
}

/// The leaky integrate-and-fire membrane as NEST's `iaf_psc_alpha`, `iaf_psc_exp` and
/// `iaf_psc_delta` declare and keep it. `parameters` is the head of their lists (E_L to V_reset,
/// NEST's order); each model follows it with its synapse parameters, `I_e` and its own.
struct IafPscMembrane {
    static let parameters: [ParameterSpec] = [
        .init("E_L", .mV, -70, "resting membrane potential"),
        .init("C_m", .pF, 250, "membrane capacitance"),
        .init("tau_m", .ms, 10, "membrane time constant"),
        .init("t_ref", .ms, 2, "duration of the refractory period"),
        // +inf: never fires (NEST takes it; V_th only enters `V >= V_th`).
        ParameterSpec("V_th", .mV, -55, "spike threshold").allowingPositiveInfinity(),
        .init("V_reset", .mV, -70, "reset potential"),
    ]
    /// The floor of V_m in `iaf_psc_alpha` and `iaf_psc_delta` (none by default).
    static let V_min = ParameterSpec("V_min", .mV, -Double.infinity, "absolute lower bound of V_m")

    /// E_L (mV); V_th and V_reset relative to it, as NEST keeps them.
    let EL, Vth, Vreset: Double
    /// I_e (pA).
    let Ie: Double
    let refractorySteps: Double

    /// The values, once the model has checked them (NEST orders its checks differently per model).
    init(_ p: ParameterValues, resolution h: Double) {
        EL = p["E_L"]
        Vth = p["V_th"] - EL
        Vreset = p["V_reset"] - EL
        Ie = p["I_e"]
        refractorySteps = Double(nestDurationSteps(p["t_ref"], resolution: h))
    }

    /// The end of a step: a neuron at or above V_th fires, is reset and becomes refractory.
    @inline(__always)
    func fireAtThreshold(_ v: inout Double, refractory r: inout Double, neuron i: Int, _ spikes: inout SpikeOutput) {
        if v >= Vth {
            r = refractorySteps
            v = Vreset
            spikes.emit(i)
        }
    }
}

/// A model that keeps V_m (state column 0) relative to E_L internally, as NEST's `iaf_psc_*` and
/// `mat2_psc_exp` do: the user's (absolute) V_m is shifted by E_L before the run and shifted
/// back when recorded.
public protocol RestRelativeVoltage: PointNeuronModel {
    /// E_L (mV).
    var EL: Double { get }
}

extension RestRelativeVoltage {
    public func prepareState(_ s: StateColumns, count: Int) {
        let v = s.column(0)
        for i in 0..<count { v[i] -= EL }
    }

    /// NEST's State_::set: V relative to E_L moves by the change of E_L (V_m itself stays).
    public func carryState(_ s: StateColumns, count: Int, from old: Self) -> Bool {
        let delta = EL - old.EL
        if delta != 0 {
            let v = s.column(0)
            for i in 0..<count { v[i] -= delta }
        }
        return true
    }

    public func recordedValue(_ s: StateColumns, variable v: Int, neuron i: Int) -> Double {
        v == 0 ? s.column(0)[i] + EL : s.column(v)[i]
    }
}

/// State columns that many of the models keep with the same meaning.
enum NeuronState {
    /// Steps left of the refractory period (hidden).
    static let refractorySteps = StateSpec("refractory_steps", .one, initial: 0, recordable: false)
    /// The current from generators that arrived in the previous step and acts in this one (hidden).
    static let stimulus = StateSpec("I_stim", .pA, initial: 0, recordable: false)
    /// GSL's step size, kept per neuron between simulation steps (NEST's IntegrationStep_) by the
    /// models integrated with `RKF45`; 0 means "not started": the first step tries the
    /// resolution, as NEST's init does (`RKF45.carriedStepSize`).
    static let integrationStep = StateSpec("integration_step", .ms, initial: 0, recordable: false)
    /// The columns after the ODE state of the RKF45 models that count their refractory steps.
    static let afterODE = [refractorySteps, integrationStep, stimulus]
}

/// Euler's number rounded to double, as NEST's `numerics::e` (M_E, std::numbers::e): a spike of
/// weight w makes the derivative of an alpha kernel with time constant τ jump by w·e/τ, so that
/// the kernel peaks at w after τ.
let eulerE = 2.718281828459045
