import PlexusCable
import PlexusCore
import PlexusMass
import PlexusPoint

/// One array of a run's results in memory, for bindings (the Python package wraps them as numpy
/// arrays without a copy): row-major values and their shape. Names are paths: `spikes/E/times`,
/// `multimeter/E/V_m`, `monitors/bold/data`.
public struct ResultArray: Sendable {
    public enum Values: Sendable {
        case float64([Double])
        case int64([Int64])
    }
    public let name: String
    public let shape: [Int]
    public let values: Values

    public init(_ name: String, _ values: [Double], shape: [Int]? = nil) {
        self.name = name
        self.shape = shape ?? [values.count]
        self.values = .float64(values)
    }

    public init(_ name: String, _ values: [Int], shape: [Int]? = nil) {
        self.name = name
        self.shape = shape ?? [values.count]
        self.values = .int64(values.map(Int64.init))
    }

    public var count: Int {
        switch values {
        case .float64(let v): return v.count
        case .int64(let v): return v.count
        }
    }
}

/// A run's arrays, kept when the request asks (`RunRequest.keepArrays`): what each engine
/// recorded, under the names above. Point and cable recordings are NEST's `events` layout (one
/// row per event or sample: times, senders, then one array per variable); a neural-mass monitor
/// is `times` [samples] and `data` [samples, variables, columns].
enum ResultArrays {
    static func point(_ r: PointResults) -> [ResultArray] {
        var out: [ResultArray] = []
        for s in r.spikes {
            out.append(ResultArray("spikes/\(s.population)/times", s.times))
            out.append(ResultArray("spikes/\(s.population)/senders", s.gids))
        }
        for m in r.states {
            out.append(ResultArray("multimeter/\(m.population)/times", m.times))
            out.append(ResultArray("multimeter/\(m.population)/senders", m.gids))
            for (v, name) in m.variables.enumerated() { out.append(ResultArray("multimeter/\(m.population)/\(name)", m.values[v])) }
        }
        if !r.weights.isEmpty {
            out.append(ResultArray("weights/times", r.weights.map(\.time)))
            out.append(ResultArray("weights/senders", r.weights.map(\.source)))
            out.append(ResultArray("weights/targets", r.weights.map(\.target)))
            out.append(ResultArray("weights/weights", r.weights.map(\.weight)))
        }
        return out
    }

    /// Every synapse by model, as the network stands after the run: 1-based gids, the weight in
    /// the target's unit, the delay in ms (static synapses, then each plastic model).
    static func connections(_ network: PointNetwork) -> [ResultArray] {
        func arrays(_ model: String, _ list: [(source: Int, target: Int, weight: Double, delay: Double)]) -> [ResultArray] {
            list.isEmpty ? [] : [ResultArray("connections/\(model)/sources", list.map(\.source)),
                                 ResultArray("connections/\(model)/targets", list.map(\.target)),
                                 ResultArray("connections/\(model)/weights", list.map(\.weight)),
                                 ResultArray("connections/\(model)/delays", list.map(\.delay))]
        }
        // The plastic tables may hold static synapses too: they join the static ones.
        var byModel = Dictionary(grouping: network.plasticSynapses(), by: \.model)
            .mapValues { $0.map { (source: $0.source, target: $0.target, weight: $0.weight, delay: $0.delay) } }
        byModel["static_synapse", default: []].insert(contentsOf: network.synapses().map { ($0.source, $0.target, $0.weight, $0.delay) }, at: 0)
        return byModel.sorted { a, b in a.key == "static_synapse" || (b.key != "static_synapse" && a.key < b.key) }
            .flatMap { arrays($0.key, $0.value) }
    }

    static func cable(_ r: CableResults) -> [ResultArray] {
        var out = [ResultArray("spikes/times", r.spikes.map(\.time)), ResultArray("spikes/senders", r.spikes.map(\.gid)),
                   ResultArray("spikes/detectors", r.spikes.map(\.detector))]
        for p in r.probes {
            out.append(ResultArray("probes/\(p.gid):\(p.name)/times", p.times))
            out.append(ResultArray("probes/\(p.gid):\(p.name)/values", p.values))
        }
        return out
    }

    /// `names[j]` is monitor j's file stem (the run folder's names: `tavg`, `bold`, `tavg_2`).
    static func mass(_ r: MassResults, names: [String], fc: [Double]?) -> [ResultArray] {
        var out: [ResultArray] = []
        for (m, name) in zip(r.monitors, names) {
            out.append(ResultArray("monitors/\(name)/times", m.times))
            out.append(ResultArray("monitors/\(name)/data", m.values, shape: [m.samples, m.variables.count, m.regions]))
        }
        if let fc {
            let side = Int(Double(fc.count).squareRoot().rounded())
            out.append(ResultArray("fc", fc, shape: [side, side]))
        }
        return out
    }
}
