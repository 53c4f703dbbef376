import PlexusCore

/// NEST's `tsodyks_synapse` (Tsodyks, Uziel & Markram 2000): resources recovered x, active y and
/// inactive z = 1 − x − y with utilisation u, propagated exactly between presynaptic spikes; the
/// spike carries the weight times the fraction of resources it activates.
///
///   at a spike:  u ← u + U (1 − u),  Δy = u x,  x ← x − Δy,  y ← y + Δy,  carries w Δy
struct TsodyksSynapse: PointSynapseModel {
    struct State: SynapseState {
        var weight: Double
        var x: Double
        var y: Double
        var u: Double
        /// Time of the last presynaptic spike (ms).
        var tLast: Double
        var variables: [String: Double] { ["x": x, "y": y, "u": u] }
    }

    static let name = "tsodyks_synapse"
    /// U, tau_rec and tau_fac as in tsodyks2_synapse (SynapseParameters.swift).
    static let parameters: [ParameterSpec] = [
        SynapseParameter.U,
        .init("tau_psc", .ms, 3, "time constant of the synaptic current (set the neuron's tau_syn to it)"),
        SynapseParameter.tau_rec,
        SynapseParameter.tau_fac,
        .init("x", .one, 1, "initial fraction of recovered resources"),
        .init("y", .one, 0, "initial fraction of active resources"),
        .init("u", .one, 0, "initial utilisation"),
    ]

    let U, tauPsc, tauRec, tauFac, x0, y0, u0: Double

    init(parameters p: ParameterValues) throws {
        try Check.positive(p, "tau_psc", "tau_rec")
        try Check.nonNegative(p, "tau_fac")
        guard p["tau_psc"] != p["tau_rec"] else {
            throw PlexusError("tau_psc and tau_rec must differ (the propagator divides by their difference)", keyPath: "tau_psc")
        }
        for k in ["U", "x", "y", "u"] where !(p[k] >= 0 && p[k] <= 1) {
            throw PlexusError.outOfRange(k, p[k], "must be in [0, 1]")
        }
        guard p["x"] + p["y"] <= 1 else { throw PlexusError("x + y must not exceed 1", keyPath: "x") }
        (U, tauPsc, tauRec, tauFac) = (p["U"], p["tau_psc"], p["tau_rec"], p["tau_fac"])
        (x0, y0, u0) = (p["x"], p["y"], p["u"])
    }

    func initialState(weight: Double) -> State { State(weight: weight, x: x0, y: y0, u: u0, tLast: 0) }

    @inline(__always)
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double {
        let t = spike.time
        let h = t - s.tLast
        let puu = tauFac == 0 ? 0 : _exp(-h / tauFac)
        let pyy = _exp(-h / tauPsc)
        let pzz = _expm1(-h / tauRec)
        let pxy = (pzz * tauRec - (pyy - 1) * tauPsc) / (tauPsc - tauRec)
        let z = 1 - s.x - s.y
        // NEST's order: propagate u, x, y to the spike, then the jumps.
        s.u *= puu
        s.x += pxy * s.y - pzz * z
        s.y *= pyy
        s.u += U * (1 - s.u)
        let dy = s.u * s.x
        s.x -= dy
        s.y += dy
        s.tLast = t
        return dy * s.weight
    }
}
