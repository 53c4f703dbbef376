import PlexusCore

/// NEST's `tsodyks2_synapse` (Tsodyks & Markram 1997; Fuhrmann et al. 2002): available
/// resources x and utilisation u relax between presynaptic spikes; the spike carries w u x.
///
///   between spikes h apart:  x ← 1 + (x − u x − 1) e^(−h/τ_rec),  u ← U + u (1 − U) e^(−h/τ_fac)
struct Tsodyks2Synapse: PointSynapseModel {
    struct State: SynapseState {
        var weight: Double
        var x: Double
        var u: Double
        /// Time of the last presynaptic spike (ms); negative before the first.
        var tLast: Double
        var variables: [String: Double] { ["x": x, "u": u] }
    }

    static let name = "tsodyks2_synapse"
    /// U, tau_rec and tau_fac as in tsodyks_synapse (SynapseParameters.swift).
    static let parameters: [ParameterSpec] = [
        SynapseParameter.U,
        .init("u", .one, 0.5, "initial utilisation"),
        .init("x", .one, 1, "initial fraction of available resources"),
        SynapseParameter.tau_rec,
        SynapseParameter.tau_fac,
    ]

    let U, u0, x0, tauRec, tauFac: Double

    init(parameters p: ParameterValues) throws {
        try Check.positive(p, "tau_rec")
        try Check.nonNegative(p, "tau_fac")
        for k in ["U", "u", "x"] where !(p[k] >= 0 && p[k] <= 1) {
            throw PlexusError.outOfRange(k, p[k], "must be in [0, 1]")
        }
        (U, u0, x0, tauRec, tauFac) = (p["U"], p["u"], p["x"], p["tau_rec"], p["tau_fac"])
    }

    func initialState(weight: Double) -> State { State(weight: weight, x: x0, u: u0, tLast: -1) }

    @inline(__always)
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double {
        let t = spike.time
        if s.tLast >= 0 {
            let h = t - s.tLast
            let xDecay = _exp(-h / tauRec)
            let uDecay = tauFac == 0 ? 0 : _exp(-h / tauFac)
            s.x = 1 + (s.x - s.x * s.u - 1) * xDecay
            s.u = U + s.u * (1 - U) * uDecay
        }
        s.tLast = t
        return s.x * s.u * s.weight
    }
}
