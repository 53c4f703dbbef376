import PlexusCore

/// One static synapse as a user sees it (NEST's GetConnections): 1-based gids, weight in the
/// target's unit, delay in ms.
public struct SynapseInfo: Sendable, Equatable {
    public let source: Int
    public let target: Int
    public let weight: Double
    public let delay: Double
}

extension PointNetwork {
    /// Every static synapse, ordered by source gid, then thread, then statement and target.
    /// Weights are as stored (Float in the general layout). For inspection and tests, not for
    /// hot paths: it allocates one entry per synapse.
    public func synapses() -> [SynapseInfo] {
        var out: [SynapseInfo] = []
        out.reserveCapacity(synapseCount)
        var neuronNode = [Int](repeating: 0, count: neuronCount)
        for p in neuronPopulations { for i in 0..<p.size { neuronNode[p.firstNeuron + i] = p.firstNode + i } }
        for node in 0..<nodeCount {
            for (t, conn) in connectivity.enumerated() {
                for k in conn.rows.synapses(of: node) {
                    let word = conn.words[k]
                    let target = neuronNode[partitions[t].lowerBound + receptorLayouts[t].neuron(ofPair: Int(word & conn.targetMask)).neuron]
                    let w: Double, d: Int
                    if let kinds = conn.kinds {
                        let kind = kinds[Int(word >> UInt32(conn.targetBits))]
                        (w, d) = (kind.weight, kind.delay)
                    } else {
                        (w, d) = (Double(conn.weights[k]), Int(word >> UInt32(conn.targetBits)) + 1)
                    }
                    out.append(SynapseInfo(source: node + 1, target: target + 1, weight: w, delay: grid.time(Int64(d))))
                }
            }
        }
        return out
    }
}

/// One plastic synapse as a user sees it (NEST's GetStatus of the connection): weight and the
/// model's state variables by NEST's names, as they stand after the last run.
public struct PlasticSynapseInfo: Sendable, Equatable {
    public let source: Int
    public let target: Int
    public let model: String
    public let weight: Double
    public let delay: Double
    public let state: [String: Double]
}

extension PointNetwork {
    /// Every plastic synapse (and static synapse kept in the plastic tables), ordered by source
    /// gid, then thread, then statement and target.
    public func plasticSynapses() -> [PlasticSynapseInfo] {
        var neuronNode = [Int](repeating: 0, count: neuronCount)
        for p in neuronPopulations { for i in 0..<p.size { neuronNode[p.firstNeuron + i] = p.firstNode + i } }
        var out: [PlasticSynapseInfo] = []
        for node in 0..<nodeCount {
            for (t, pl) in plastic.enumerated() {
                for table in pl.tables {
                    guard let i = table.row(of: node) else { continue }
                    for k in table.offsets[i]..<table.offsets[i + 1] {
                        let s = table.kind.synapse(table, k)
                        out.append(PlasticSynapseInfo(source: node + 1, target: neuronNode[partitions[t].lowerBound + s.target] + 1,
                                                      model: table.modelName, weight: s.weight,
                                                      delay: grid.time(Int64(s.delay)), state: s.variables))
                    }
                }
            }
        }
        return out
    }
}

extension PointNetwork {
    /// The synapse model's parameters of connection statement `index`, defaults filled in, in
    /// canonical units (for the provenance record); nil for a static synapse.
    public func synapseParameters(ofStatement index: Int) -> [String: Double]? {
        guard let rule = plasticRules.first(where: { $0.statement == index }), !(rule.model is StaticSynapse) else { return nil }
        var out: [String: Double] = [:]
        for (spec, value) in zip(rule.parameters.specs, rule.parameters.values) { out[spec.name] = value }
        return out
    }
}
