import PlexusCore

/// Synapse models with NEST's names. `static_synapse` lives in the compact CSR tables; the plastic
/// ones keep per-synapse state in `PlasticConnectivity` and update it when a presynaptic spike is
/// delivered, exactly as NEST's `send` does.
public enum SynapseModel: String, CaseIterable, Sendable {
    case staticSynapse = "static_synapse"
    case stdp = "stdp_synapse"
    case stdpTriplet = "stdp_triplet_synapse"
    case tsodyks = "tsodyks_synapse"
    case tsodyks2 = "tsodyks2_synapse"
    case stdpDopamine = "stdp_dopamine_synapse"

    /// Parameters and initial state with NEST's names and defaults (weight and delay are separate).
    public var parameters: [ParameterSpec] {
        switch self {
        case .staticSynapse: return []
        case .stdp:
            return [
                .init("tau_plus", .time, 20, "time constant of the presynaptic trace"),
                .init("lambda", .dimensionless, 0.01, "step size"),
                .init("alpha", .dimensionless, 1, "asymmetry between depression and potentiation"),
                .init("mu_plus", .dimensionless, 1, "weight dependence exponent of potentiation"),
                .init("mu_minus", .dimensionless, 1, "weight dependence exponent of depression"),
                .init("Wmax", .weight, 100, "maximum weight (same sign as the weight)"),
                .init("Kplus", .dimensionless, 0, "initial presynaptic trace"),
            ]
        case .stdpTriplet:
            return [
                .init("tau_plus", .time, 16.8, "time constant of the presynaptic pair trace"),
                .init("tau_plus_triplet", .time, 101, "time constant of the presynaptic triplet trace"),
                .init("Aplus", .dimensionless, 5e-10, "weight of pair potentiation"),
                .init("Aminus", .dimensionless, 7e-3, "weight of pair depression"),
                .init("Aplus_triplet", .dimensionless, 6.2e-3, "weight of triplet potentiation"),
                .init("Aminus_triplet", .dimensionless, 2.3e-4, "weight of triplet depression"),
                .init("Wmax", .weight, 100, "maximum weight (same sign as the weight)"),
                .init("Kplus", .dimensionless, 0, "initial presynaptic pair trace"),
                .init("Kplus_triplet", .dimensionless, 0, "initial presynaptic triplet trace"),
            ]
        case .tsodyks:
            return [
                .init("U", .dimensionless, 0.5, "utilisation increment"),
                .init("tau_psc", .time, 3, "time constant of the synaptic current (set the neuron's tau_syn to it)"),
                .init("tau_rec", .time, 800, "recovery time constant"),
                .init("tau_fac", .time, 0, "facilitation time constant (0: none)"),
                .init("x", .dimensionless, 1, "initial fraction of recovered resources"),
                .init("y", .dimensionless, 0, "initial fraction of active resources"),
                .init("u", .dimensionless, 0, "initial utilisation"),
            ]
        case .tsodyks2:
            return [
                .init("U", .dimensionless, 0.5, "utilisation increment"),
                .init("u", .dimensionless, 0.5, "initial utilisation"),
                .init("x", .dimensionless, 1, "initial fraction of available resources"),
                .init("tau_rec", .time, 800, "recovery time constant"),
                .init("tau_fac", .time, 0, "facilitation time constant (0: none)"),
            ]
        case .stdpDopamine:
            // NEST keeps the first eight as common properties of the synapse model (set by
            // CopyModel); here each connection statement is its own copy.
            return [
                .init("A_plus", .dimensionless, 1, "amplitude of the eligibility increase by a pre-post pair"),
                .init("A_minus", .dimensionless, 1.5, "amplitude of the eligibility decrease by a post-pre pair"),
                .init("tau_plus", .time, 20, "time constant of the presynaptic trace"),
                .init("tau_c", .time, 1000, "time constant of the eligibility trace"),
                .init("tau_n", .time, 200, "time constant of the dopamine trace"),
                .init("b", .dimensionless, 0, "dopaminergic baseline concentration"),
                .init("Wmin", .weight, 0, "minimum weight"),
                .init("Wmax", .weight, 200, "maximum weight"),
                .init("Kplus", .dimensionless, 0, "initial presynaptic trace"),
                .init("c", .dimensionless, 0, "initial eligibility trace"),
                .init("n", .dimensionless, 0, "initial dopamine trace"),
            ]
        }
    }

    /// Whether the synapse needs a `volume_transmitter` (the dopamine signal).
    public var needsVolumeTransmitter: Bool { self == .stdpDopamine }

    /// Whether the rule reads the postsynaptic spike history (NEST's archiving node).
    var needsPostHistory: Bool { self == .stdp || self == .stdpTriplet || self == .stdpDopamine }

    /// Checks the resolved parameters (NEST's rules, plus Wmax not below the weight for STDP).
    func validate(_ p: ParameterValues, weight: Sampler) throws {
        switch self {
        case .staticSynapse: return
        case .stdp:
            try Check.positive(p, "tau_plus")
            try Check.nonNegative(p, "lambda", "alpha", "Kplus")
            let wmax = p["Wmax"]
            if case .constant(let w) = weight {
                guard (w >= 0) == (wmax >= 0) else {
                    throw PlexusError("weight \(w) and Wmax \(wmax) must have the same sign", keyPath: "Wmax")
                }
                guard abs(w) <= abs(wmax) else {
                    throw PlexusError("Wmax = \(wmax) is below the weight \(w)", keyPath: "Wmax")
                }
            }
        case .stdpTriplet:
            try Check.positive(p, "tau_plus", "tau_plus_triplet")
            try Check.nonNegative(p, "Aplus", "Aminus", "Aplus_triplet", "Aminus_triplet", "Kplus", "Kplus_triplet")
            let wmax = p["Wmax"]
            if case .constant(let w) = weight {
                guard abs(w) <= abs(wmax) else { throw PlexusError("Wmax = \(wmax) is below the weight \(w)", keyPath: "Wmax") }
            }
        case .tsodyks:
            try Check.positive(p, "tau_psc", "tau_rec")
            try Check.nonNegative(p, "tau_fac")
            guard p["tau_psc"] != p["tau_rec"] else {
                throw PlexusError("tau_psc and tau_rec must differ (the propagator divides by their difference)", keyPath: "tau_psc")
            }
            for k in ["U", "x", "y", "u"] where !(p[k] >= 0 && p[k] <= 1) {
                throw PlexusError.outOfRange(k, p[k], "must be in [0, 1]")
            }
            guard p["x"] + p["y"] <= 1 else { throw PlexusError("x + y must not exceed 1", keyPath: "x") }
        case .tsodyks2:
            try Check.positive(p, "tau_rec")
            try Check.nonNegative(p, "tau_fac")
            for k in ["U", "u", "x"] where !(p[k] >= 0 && p[k] <= 1) {
                throw PlexusError.outOfRange(k, p[k], "must be in [0, 1]")
            }
        case .stdpDopamine:
            try Check.positive(p, "tau_plus", "tau_c", "tau_n")
            try Check.nonNegative(p, "Kplus")
            let wmin = p["Wmin"], wmax = p["Wmax"]
            guard wmin <= wmax else { throw PlexusError("Wmax = \(wmax) is below Wmin = \(wmin)", keyPath: "Wmax") }
            if case .constant(let w) = weight {
                guard w <= wmax else { throw PlexusError("Wmax = \(wmax) is below the weight \(w)", keyPath: "Wmax") }
                guard w >= wmin else { throw PlexusError("Wmin = \(wmin) is above the weight \(w)", keyPath: "Wmin") }
            }
        }
    }
}

/// Constants of one plastic connection statement, shared by its synapses. A plain value (no
/// reference inside): delivery copies it per synapse without reference counting.
struct PlasticRule {
    let model: SynapseModel
    let p: SIMD16<Double>          // parameters in `model.parameters` order
    /// Receptor 1 of a parrot neuron: the spike updates the synapse but is not passed on.
    let silent: Bool
    /// The target counts spikes (parrot_neuron): it receives 1 per spike whatever the weight.
    let unitWeight: Bool
    let recordWeights: Bool
    let statement: Int
    /// Index of the volume transmitter (stdp_dopamine_synapse), or -1.
    var volumeTransmitter: Int = -1

    init(model: SynapseModel, p: [Double], silent: Bool, unitWeight: Bool, recordWeights: Bool, statement: Int,
         volumeTransmitter: Int = -1) {
        precondition(p.count <= 16, "a synapse model has at most 16 parameters")
        var v = SIMD16<Double>()
        for (k, x) in p.enumerated() { v[k] = x }
        self.model = model
        self.p = v
        self.silent = silent
        self.unitWeight = unitWeight
        self.recordWeights = recordWeights
        self.statement = statement
        self.volumeTransmitter = volumeTransmitter
    }
}

/// State of one plastic synapse (NEST's per-connection members).
struct PlasticState {
    var weight: Double
    var a: Double          // stdp, stdp_dopamine: Kplus;  tsodyks: x;  tsodyks2: x
    var b: Double          // stdp_triplet: Kplus_triplet;  tsodyks: y;  stdp_dopamine: c
    var c: Double          // tsodyks, tsodyks2: u;  stdp_dopamine: n
    var tLast: Double      // time of the last presynaptic spike (ms); stdp_dopamine: of the last update
    var index: Int32 = 0   // stdp_dopamine: the last dopamine spike it has taken in (dopa_spikes_idx_)
}

/// The postsynaptic spike history NEST's ArchivingNode keeps for neurons with STDP inputs:
/// spike times with the trace K⁻ just after each, pruned once every incoming synapse read them.
struct PostArchive {
    var times: [Double] = []
    var kminus: [Double] = []
    var kminusTriplet: [Double] = []
    var reads: [Int32] = []
    var first = 0              // entries before `first` are pruned
    var Kminus = 0.0
    var KminusTriplet = 0.0
    var lastSpike = -1.0
    var incoming: Int32 = 0
    var tauMinus = 20.0
    var tauMinusTriplet = 110.0

    static let eps = 1e-6      // NEST's stdp_eps

    /// NEST's set_spiketime: prune what all synapses have read (keeping a margin of delays),
    /// then append the spike with the updated trace.
    mutating func record(_ t: Double, pruneMargin: Double) {
        while times.count - first > 1 {
            if reads[first] >= incoming && t - times[first + 1] > pruneMargin + Self.eps { first += 1 } else { break }
        }
        if first > 64 && first * 2 > times.count {
            times.removeFirst(first); kminus.removeFirst(first); kminusTriplet.removeFirst(first); reads.removeFirst(first)
            first = 0
        }
        Kminus = Kminus * _exp((lastSpike - t) / tauMinus) + 1
        KminusTriplet = KminusTriplet * _exp((lastSpike - t) / tauMinusTriplet) + 1
        lastSpike = t
        times.append(t); kminus.append(Kminus); kminusTriplet.append(KminusTriplet); reads.append(0)
    }

    /// K⁻ at time t from the last spike strictly before t (NEST's get_K_value).
    func trace(at t: Double) -> Double {
        // Usually the last spike is already before t: its time and trace are kept in the
        // struct (the last entry is never pruned), so the history arrays are not touched.
        if lastSpike >= 0 && t - lastSpike > Self.eps { return Kminus * _exp((lastSpike - t) / tauMinus) }
        var i = times.count - 1
        while i >= first {
            if t - times[i] > Self.eps { return kminus[i] * _exp((times[i] - t) / tauMinus) }
            i -= 1
        }
        return 0
    }

    /// Entries with t1 < t <= t2 (NEST's get_history, with its eps), marking them read.
    mutating func history(_ t1: Double, _ t2: Double) -> Range<Int> {
        // No entry lies above t1 when the last one does not: answer without touching the arrays
        // (for most synapse events; each touch of another neuron's history is a cache miss).
        if lastSpike < t1 + Self.eps { return 0..<0 }
        let first = first
        return times.withUnsafeBufferPointer { times in
            reads.withUnsafeMutableBufferPointer { reads in
                var hi = times.count
                while hi > first && times[hi - 1] >= t2 + Self.eps { hi -= 1 }
                var lo = hi
                while lo > first && times[lo - 1] >= t1 + Self.eps { lo -= 1; reads[lo] += 1 }
                return lo..<hi
            }
        }
    }
}

extension PlasticRule {
    /// x^mu, without the call for the usual exponents: pow(x, 1) is x and pow(x, 0) is 1
    /// exactly (IEEE 754), so the result is the same bit for bit.
    @inline(__always)
    static func power(_ x: Double, _ mu: Double) -> Double {
        mu == 1 ? x : mu == 0 ? 1 : _pow(x, mu)
    }

    /// NEST's `send` for this synapse at presynaptic spike time `t` (ms, the stamp); returns the
    /// weight the event carries.
    @inline(__always)
    func transmit(_ s: inout PlasticState, at t: Double, delay d: Double, archive: inout PostArchive) -> Double {
        switch model {
        case .staticSynapse:
            return s.weight
        case .stdp:
            let tauPlus = p[0], lambda = p[1], alpha = p[2], muPlus = p[3], muMinus = p[4], wmax = p[5]
            // Facilitation by postsynaptic spikes since the last presynaptic one; the whole delay
            // is dendritic, so a post spike at t_post meets the synapse at t_post + d.
            for k in archive.history(s.tLast - d, t - d) {
                let minusDt = s.tLast - (archive.times[k] + d)
                let kplus = s.a * _exp(minusDt / tauPlus)
                let norm = s.weight / wmax + lambda * Self.power(1 - s.weight / wmax, muPlus) * kplus
                s.weight = norm < 1 ? norm * wmax : wmax
            }
            let kminus = archive.trace(at: t - d)
            let norm = s.weight / wmax - alpha * lambda * Self.power(s.weight / wmax, muMinus) * kminus
            s.weight = norm > 0 ? norm * wmax : 0
            s.a = s.a * _exp((s.tLast - t) / tauPlus) + 1
            s.tLast = t
            return s.weight
        case .stdpTriplet:
            let tauPlus = p[0], tauPlusTriplet = p[1], aPlus = p[2], aMinus = p[3]
            let aPlusTriplet = p[4], aMinusTriplet = p[5], wmax = p[6]
            for k in archive.history(s.tLast - d, t - d) {
                let minusDt = s.tLast - (archive.times[k] + d)
                // The post triplet trace just before that post spike (Pfister & Gerstner's t - eps).
                let ky = archive.kminusTriplet[k] - 1
                let w = abs(s.weight) + s.a * _exp(minusDt / tauPlus) * (aPlus + aPlusTriplet * ky)
                s.weight = (w < abs(wmax) ? w : wmax).magnitude * (wmax < 0 ? -1 : 1)
            }
            s.b *= _exp((s.tLast - t) / tauPlusTriplet)
            let w = abs(s.weight) - archive.trace(at: t - d) * (aMinus + aMinusTriplet * s.b)
            s.weight = (w > 0 ? w : 0) * (wmax < 0 ? -1 : 1)
            s.b += 1
            s.a = s.a * _exp((s.tLast - t) / tauPlus) + 1
            s.tLast = t
            return s.weight
        case .tsodyks:
            let U = p[0], tauPsc = p[1], tauRec = p[2], tauFac = p[3]
            let h = t - s.tLast
            let puu = tauFac == 0 ? 0 : _exp(-h / tauFac)
            let pyy = _exp(-h / tauPsc)
            let pzz = _expm1(-h / tauRec)
            let pxy = (pzz * tauRec - (pyy - 1) * tauPsc) / (tauPsc - tauRec)
            let z = 1 - s.a - s.b
            // NEST's order: propagate u, x, y to the spike, then the jumps.
            s.c *= puu
            s.a += pxy * s.b - pzz * z
            s.b *= pyy
            s.c += U * (1 - s.c)
            let dy = s.c * s.a
            s.a -= dy
            s.b += dy
            s.tLast = t
            return dy * s.weight
        case .tsodyks2:
            let U = p[0], tauRec = p[3], tauFac = p[4]
            if s.tLast >= 0 {
                let h = t - s.tLast
                let xDecay = _exp(-h / tauRec)
                let uDecay = tauFac == 0 ? 0 : _exp(-h / tauFac)
                s.a = 1 + (s.a - s.a * s.c - 1) * xDecay
                s.c = U + s.c * (1 - U) * uDecay
            }
            s.tLast = t
            return s.a * s.c * s.weight
        case .stdpDopamine:
            // Needs the volume transmitter's spikes: see `transmitDopamine`.
            return s.weight
        }
    }

    /// Initial state of a synapse of this rule.
    func initialState(weight: Double) -> PlasticState {
        switch model {
        case .staticSynapse: return PlasticState(weight: weight, a: 0, b: 0, c: 0, tLast: 0)
        case .stdp: return PlasticState(weight: weight, a: p[6], b: 0, c: 0, tLast: 0)
        case .stdpTriplet: return PlasticState(weight: weight, a: p[7], b: p[8], c: 0, tLast: 0)
        case .tsodyks: return PlasticState(weight: weight, a: p[4], b: p[5], c: p[6], tLast: 0)
        case .tsodyks2: return PlasticState(weight: weight, a: p[2], b: 0, c: p[1], tLast: -1)
        case .stdpDopamine: return PlasticState(weight: weight, a: p[8], b: p[9], c: p[10], tLast: 0)
        }
    }
}
