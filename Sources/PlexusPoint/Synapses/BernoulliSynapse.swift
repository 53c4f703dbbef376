import PlexusCore

/// NEST's `bernoulli_synapse`: a static synapse that passes each spike it receives with
/// probability `p_transmit` (each of a spike's count separately, as NEST draws one number per
/// count); the spikes that pass carry the weight.
///
/// The draws are Plexus's own (counter-based, keyed by the synapse's identity and the spike's
/// step), so a run is the same for any threads and ranks; with `random_streams: nest` they are
/// still Plexus's: NEST draws them from the target thread's stream in its delivery order, which
/// Plexus does not reproduce. Spike counts then agree with NEST's in distribution, not one by one.
struct BernoulliSynapse: PointSynapseModel {
    struct State: SynapseState {
        var weight: Double
        /// The synapse's random stream key (`SynapseIdentity`).
        var streamIndex: UInt32
        var streamID: UInt64
        var variables: [String: Double] { [:] }
    }

    static let name = "bernoulli_synapse"
    static let parameters: [ParameterSpec] = [
        .init("p_transmit", .one, 1, "probability that a spike passes the synapse"),
    ]
    static var needsIdentity: Bool { true }
    static var decidesCount: Bool { true }

    let pTransmit: Double

    init(parameters p: ParameterValues) throws {
        guard p["p_transmit"] >= 0 && p["p_transmit"] <= 1 else {
            throw PlexusError.outOfRange("p_transmit", p["p_transmit"], "must be in [0, 1]")
        }
        pTransmit = p["p_transmit"]
    }

    func initialState(weight: Double) -> State { State(weight: weight, streamIndex: 0, streamID: 0) }

    func initialState(weight: Double, identity: SynapseIdentity) -> State {
        State(weight: weight, streamIndex: identity.streamIndex, streamID: identity.streamID)
    }

    @inline(__always)
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double {
        var rng = RandomStream(seed: spike.seed, purpose: .synapseTransmission, index: s.streamIndex, id: s.streamID,
                               time: UInt32(truncatingIfNeeded: spike.step))
        let count = Int(spike.multiplicity.rounded())
        var passed = 0
        for _ in 0..<max(count, 0) where rng.nextDouble() < pTransmit { passed += 1 }
        return Double(passed)
    }
}
