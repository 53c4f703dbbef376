import Foundation
import PlexusCore

/// What NEST draws while a script builds its network, with `RandomStreams.nest`: random initial
/// values (`nodes.V_m = nest.random.normal(...)`) and the connections of fixed_indegree,
/// pairwise_bernoulli and fixed_outdegree, from the same streams and in the same order as NEST,
/// so that the network is NEST's and the devices' draws that follow (`NestStreams`, which takes
/// over the engines) are NEST's too.
///
/// NEST's order: each virtual process draws from its own stream for the nodes it owns (gid
/// modulo the VPs), in the order of the script's calls. A `set` with a random parameter draws one
/// value per node in gid order (`update_value_param`). fixed_indegree draws, per target in gid
/// order, `ulrand(n_sources)` until the source is allowed (autapses, multapses by source
/// index); pairwise_bernoulli draws one `drand()` per (target, source) pair except autapses;
/// fixed_outdegree draws its targets from the rank-synchronised stream, per source. Every
/// synapse with a random delay or weight then draws them (the delay first) from the target's VP
/// stream, right after its source was drawn; all_to_all (per target, its sources in order) and
/// one_to_one draw only those. Where the script set random values relative to its Connect calls
/// is `nest_draw_points`.
///
/// Runs once, before the populations are built, on the description; anything it cannot
/// resolve (an unknown population, an invalid rule) is left alone and reported by the build.
final class NestDraws {
    /// One stream per VP; after `init`, as the devices take them over (`NestStreams`).
    private(set) var engines: [MT19937_64]
    var rankSynced: MT19937_64
    /// libstdc++'s normal distributions keep half a pair: NEST keeps one per parameter object
    /// and thread. Plexus shares one per distribution and VP, which is the same for a script
    /// that reuses one parameter object (`random_vm` for two groups) and for one that does not
    /// when each group has an even count per VP.
    private var normals: [(sampler: Sampler, perVP: [LibstdcxxNormal])] = []
    /// Drawn initial values: population index -> state variable -> one value per neuron.
    private(set) var values: [Int: [String: [Double]]] = [:]
    /// Drawn connections by statement index.
    private(set) var connections: [Int: DrawnConnections] = [:]
    /// Why drawing stopped: the tables would not fit in memory (thrown by the network's build).
    private(set) var tooBig: Error?

    /// Draws with `e.nestBuildSeed` (else `seed`); a script that set rng_seed after building
    /// (`nestBuildSeed` given) leaves the devices fresh streams of `seed`, as NEST restarts them.
    init(_ e: PointExperiment, virtualProcesses vps: Int, seed: UInt32) {
        let buildSeed = e.nestBuildSeed ?? seed
        engines = (0..<vps).map { NestRandom.virtualProcess($0, seed: buildSeed) }
        rankSynced = NestRandom.rankSynced(seed: buildSeed)
        defer { if e.nestBuildSeed != nil { engines = (0..<vps).map { NestRandom.virtualProcess($0, seed: seed) } } }
        var firstNode: [String: (index: Int, first: Int, size: Int)] = [:]
        var node = 0
        for (pi, p) in e.populations.enumerated() {
            guard p.size >= 1, p.size <= PointNetwork.maxNodes - node else { return }
            firstNode[p.name] = (pi, node, p.size)
            node += p.size
        }
        if let gids = e.nestGids, gids.count != node { return }
        let vpOf: (Int) -> Int = { n in (e.nestGids?[n] ?? n + 1) % vps }
        var tableBytes = 0.0
        for statement in 0...e.connections.count {
            for (pi, p) in e.populations.enumerated() where (e.nestDrawPoints[p.name] ?? 0) == statement {
                drawInitialValues(p, index: pi, first: firstNode[p.name]!.first, vpOf: vpOf)
            }
            guard statement < e.connections.count else { break }
            let c = e.connections[statement]
            guard let src = firstNode[c.source], let tgt = firstNode[c.target] else { continue }
            let shape = ConnectionShape(path: "connections[\(statement)]", sourceName: c.source, targetName: c.target,
                                        sources: src.size, targets: tgt.size, sourceFirstNode: src.first, targetFirstNode: tgt.first,
                                        samePopulation: c.source == c.target, autapses: c.allowAutapses, multapses: c.allowMultapses,
                                        statement: statement, seed: UInt64(seed))
            guard (try? c.rule.kind.validate(shape)) != nil else { continue }
            // Random weights and delays (in the target's weight unit; anything the build would
            // refuse is left to it).
            let unit = ModelCatalog.neuron(e.populations[tgt.index].model)?.weightUnit
            let weight = unit.flatMap { try? c.synapse.weight.sampler($0, name: "weight") }
            let delay = try? c.synapse.delay.sampler(.ms, name: "delay")
            let values = SynapseValues(weight: weight.flatMap { $0.isConstant ? nil : $0 },
                                       delay: delay.flatMap { $0.isConstant ? nil : $0 })
            // The tables (4 bytes a synapse, 8 more per random value) must fit; if not, nothing
            // more is drawn and the network refuses to build (`tooBig`).
            tableBytes += c.rule.kind.expectedSynapses(shape) * Double(4 + 8 * ((values.weight == nil ? 0 : 1) + (values.delay == nil ? 0 : 1)))
            do {
                try ResourceUsage.checkFits(tableBytes, "the connections NEST's streams draw up to this statement", keyPath: shape.path)
            } catch {
                tooBig = error
                break
            }
            if let rule = c.rule.kind as? FixedIndegree {
                connections[statement] = drawIndegree(rule.indegree, shape, values, vpOf: vpOf)
            } else if let rule = c.rule.kind as? PairwiseBernoulli {
                connections[statement] = drawBernoulli(rule.p, shape, values, vpOf: vpOf)
            } else if let rule = c.rule.kind as? FixedOutdegree {
                connections[statement] = drawOutdegree(rule.outdegree, shape, values, vpOf: vpOf)
            } else if values.any, c.rule.kind is AllToAll {
                connections[statement] = drawAllToAll(shape, values, vpOf: vpOf)
            } else if values.any, c.rule.kind is OneToOne {
                connections[statement] = drawOneToOne(shape, values, vpOf: vpOf)
            }
        }
    }

    /// The random initial values of population `p` (state variables with a distribution), in
    /// the order of their names.
    private func drawInitialValues(_ p: PopulationDescription, index: Int, first: Int, vpOf: (Int) -> Int) {
        guard let type = ModelCatalog.neuron(p.model) else { return }
        for key in p.params.keys.sorted() {
            guard case .distribution(let d)? = p.params[key],
                  let v = type.state.firstIndex(where: { $0.name == key && $0.recordable }),
                  let sampler = try? d.sampler(type.state[v].unit, name: key) else { continue }
            values[index, default: [:]][key] = (0..<p.size).map { draw(sampler, vp: vpOf(first + $0)) }
        }
    }

    /// One value of NEST's parameter of this distribution, from VP `vp`'s stream.
    private func draw(_ s: Sampler, vp: Int) -> Double {
        switch s {
        case .constant(let x): return x
        case .uniform(let a, let b): return a + engines[vp].canonical() * (b - a)      // UniformParameter
        case .normal(let m, let sd): return standardNormal(for: s, vp: vp) * sd + m
        case .normalClipped(let m, let sd, let lo, let hi):   // nest.math.redraw: draws until inside
            while true {
                let x = standardNormal(for: s, vp: vp) * sd + m
                if x >= lo && x <= hi { return x }
            }
        case .lognormal(let mu, let sigma): return Foundation.exp(sigma * standardNormal(for: s, vp: vp) + mu)
        case .exponential(let beta): return beta * -Foundation.log(1 - engines[vp].canonical())
        }
    }

    /// The next deviate of the normal distribution object that distribution `s` draws from on
    /// VP `vp` (its own saved second value).
    private func standardNormal(for s: Sampler, vp: Int) -> Double {
        let k: Int
        if let found = normals.firstIndex(where: { $0.sampler == s }) {
            k = found
        } else {
            normals.append((s, Array(repeating: LibstdcxxNormal(), count: engines.count)))
            k = normals.count - 1
        }
        return normals[k].perVP[vp].next(&engines[vp])
    }

    /// A statement's random delay and weight (nil: constant, nothing drawn).
    struct SynapseValues {
        var weight: Sampler?
        var delay: Sampler?
        var any: Bool { weight != nil || delay != nil }
    }

    /// One synapse's random values from VP `vp`'s stream, as NEST's single_connect_: the delay,
    /// then the weight.
    private func drawSynapseValues(_ v: SynapseValues, vp: Int, into drawn: DrawnConnections) {
        if let d = v.delay { drawn.delays.append(draw(d, vp: vp)) }
        if let w = v.weight { drawn.weights.append(draw(w, vp: vp)) }
    }

    private func drawAllToAll(_ shape: ConnectionShape, _ v: SynapseValues, vpOf: (Int) -> Int) -> DrawnConnections {
        let drawn = DrawnConnections(keyedBySource: false, keys: shape.targets, expected: shape.sources * shape.targets)
        for j in 0..<shape.targets {
            let vp = vpOf(shape.targetFirstNode + j)
            for i in 0..<shape.sources where !(shape.noAutapse && i == j) {
                drawn.partners.append(UInt32(i))
                drawSynapseValues(v, vp: vp, into: drawn)
            }
            drawn.offsets.append(drawn.partners.count)
        }
        return drawn
    }

    private func drawOneToOne(_ shape: ConnectionShape, _ v: SynapseValues, vpOf: (Int) -> Int) -> DrawnConnections {
        let drawn = DrawnConnections(keyedBySource: false, keys: shape.targets, expected: shape.targets)
        for j in 0..<shape.targets {
            if !shape.noAutapse {   // one_to_one within one population without autapses: nothing
                drawn.partners.append(UInt32(j))
                drawSynapseValues(v, vp: vpOf(shape.targetFirstNode + j), into: drawn)
            }
            drawn.offsets.append(drawn.partners.count)
        }
        return drawn
    }

    private func drawIndegree(_ k: Int, _ shape: ConnectionShape, _ v: SynapseValues, vpOf: (Int) -> Int) -> DrawnConnections {
        let drawn = DrawnConnections(keyedBySource: false, keys: shape.targets, expected: k * shape.targets)
        let n = UInt64(shape.sources)
        var chosen = Set<UInt32>()
        for j in 0..<shape.targets {
            let vp = vpOf(shape.targetFirstNode + j)
            chosen.removeAll(keepingCapacity: true)
            for _ in 0..<k {
                drawn.partners.append(Self.partner(below: n, excluding: shape.noAutapse ? j : nil, multapses: shape.multapses,
                                                   &chosen, &engines[vp]))
                drawSynapseValues(v, vp: vp, into: drawn)
            }
            drawn.offsets.append(drawn.partners.count)
        }
        return drawn
    }

    /// One partner index below `n` as NEST's fixed-degree rules draw it: `ulrand(n)` again while
    /// it is `excluded` (an autapse) or, without multapses, in `chosen`.
    private static func partner(below n: UInt64, excluding excluded: Int?, multapses: Bool,
                                _ chosen: inout Set<UInt32>, _ engine: inout MT19937_64) -> UInt32 {
        var i: UInt32
        repeat { i = UInt32(engine.ulrand(n)) }
        while Int(i) == excluded || (!multapses && chosen.contains(i))
        if !multapses { chosen.insert(i) }
        return i
    }

    private func drawBernoulli(_ p: Double, _ shape: ConnectionShape, _ v: SynapseValues, vpOf: (Int) -> Int) -> DrawnConnections {
        let drawn = DrawnConnections(keyedBySource: false, keys: shape.targets, expected: Int(p * Double(shape.sources) * Double(shape.targets)))
        for j in 0..<shape.targets {
            let vp = vpOf(shape.targetFirstNode + j)
            for i in 0..<shape.sources where !(shape.noAutapse && i == j) {
                if engines[vp].canonical() < p {
                    drawn.partners.append(UInt32(i))
                    drawSynapseValues(v, vp: vp, into: drawn)
                }
            }
            drawn.offsets.append(drawn.partners.count)
        }
        return drawn
    }

    private func drawOutdegree(_ k: Int, _ shape: ConnectionShape, _ v: SynapseValues, vpOf: (Int) -> Int) -> DrawnConnections {
        let drawn = DrawnConnections(keyedBySource: true, keys: shape.sources, expected: k * shape.sources)
        let n = UInt64(shape.targets)
        var chosen = Set<UInt32>()
        for s in 0..<shape.sources {
            chosen.removeAll(keepingCapacity: true)
            for _ in 0..<k {
                drawn.partners.append(Self.partner(below: n, excluding: shape.noAutapse ? s : nil, multapses: shape.multapses,
                                                   &chosen, &rankSynced))
            }
            // Then each target's VP draws its synapse's values, in the order the targets came.
            for t in drawn.partners[drawn.offsets.last!...] { drawSynapseValues(v, vp: vpOf(shape.targetFirstNode + Int(t)), into: drawn) }
            drawn.offsets.append(drawn.partners.count)
        }
        return drawn
    }
}

/// A statement's connections as NEST drew them (`NestDraws`): per key node (target, or source
/// for fixed_outdegree) its partners in draw order, which the build replays instead of the rule.
final class DrawnConnections: @unchecked Sendable {
    let keyedBySource: Bool
    var offsets: [Int] = [0]
    var partners: [UInt32] = []
    /// Random delays (ms) and weights per synapse, in `partners`' order; empty where constant.
    var delays: [Double] = []
    var weights: [Double] = []

    init(keyedBySource: Bool, keys: Int, expected: Int) {
        self.keyedBySource = keyedBySource
        offsets.reserveCapacity(keys + 1)
        partners.reserveCapacity(max(0, expected))
    }

    /// The rule's contract (`ConnectionRuleKind.connect`): per key node `sink.key`, then its
    /// synapses; a drawn target outside `targets` is skipped.
    func replay(_ shape: ConnectionShape, keys: Range<Int>, targets: Range<Int>, into sink: inout ConnectionDrawSink) {
        let values = !(delays.isEmpty && weights.isEmpty)
        partners.withUnsafeBufferPointer { partners in
            for key in keys {
                let row = offsets[key]..<offsets[key + 1]
                sink.key(keyedBySource ? shape.sourceFirstNode + key : shape.targetFirstNode + key)
                for k in row {
                    let (s, t) = keyedBySource ? (key, Int(partners[k])) : (Int(partners[k]), key)
                    if !targets.contains(t) { sink.skip(); continue }
                    if values {
                        sink.connect(s, t, weight: weights.isEmpty ? nil : weights[k], delay: delays.isEmpty ? nil : delays[k])
                    } else {
                        sink.connect(s, t)
                    }
                }
            }
        }
    }
}
