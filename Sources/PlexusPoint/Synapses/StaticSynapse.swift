import PlexusCore

/// NEST's `static_synapse`: a fixed weight. Most static synapses live in the compact CSR tables
/// (Connectivity.swift); those with a weight recorder or on a parrot's silent receptor go through
/// the plastic tables as this model.
struct StaticSynapse: PointSynapseModel {
    struct State: SynapseState {
        var weight: Double
        var variables: [String: Double] { [:] }
    }

    static let name = "static_synapse"
    static let parameters: [ParameterSpec] = []

    init() {}
    init(parameters p: ParameterValues) throws {}

    func initialState(weight: Double) -> State { State(weight: weight) }

    @inline(__always)
    func preSpike(_ s: inout State, _ spike: PreSynapticSpike, post: inout PostArchive) -> Double { s.weight }
}
