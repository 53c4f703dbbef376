import PlexusCore

// Gap junctions as NEST 3.10 does them: the `gap_junction` synapse (weight = conductance g in nS,
// no delay) between neurons of models that support it (hh_psc_alpha_gap), and NEST's waveform
// relaxation (WFR, Hahne et al. 2015) to couple them. The gap current into i is
// Σ_j g_ij (V_j(t) - V_i(t)); within a communication interval V_j(t) is a polynomial per step
// (interpolation order 0, 1 or 3) from the previous iteration:
//
//   per interval (min(min_delay, wfr_comm_interval) steps — the engine's epoch):
//     repeat: every gap neuron integrates the interval from its saved state with the partners'
//             polynomials, emits its own per-step polynomials, state restored;
//             partners' polynomials summed into each neuron (fixed order: by source gid)
//     until no neuron's V_m at any step end moved more than wfr_tol since the last iteration
//           (a global decision over all threads) or wfr_max_iterations;
//     then the real update with the last polynomials; afterwards each neuron offers its final
//     V_m as a constant for every step of the next interval's first iteration.
//
// NEST details reproduced: the first iteration of the first interval sees no coupling at all
// (nothing has been delivered yet: Σg = 0, coefficients 0); the V_m compared against in the first
// iteration of an interval is 0 (reset after every real update), so there are always >= 2
// iterations; iterations see the spike input of the interval (already in the ring buffers) and
// the I_stim of the last real step, held constant; GSL's step size is not restored after an
// iteration; every neuron of a gap model takes part, connected or not. With use_wfr false the
// interval is one step and each step sees the partners' V_m at the end of the previous step.
//
// Gap junctions shorten the epoch to the interval: NEST counts them as connections with delay
// wfr_comm_interval, and counts device connections (generators, and recorders with their default
// delay of 1 ms) too when computing min_delay.

/// NEST's waveform-relaxation kernel settings, with its names and defaults.
public struct WaveformRelaxation: Sendable, Equatable {
    /// NEST's `use_wfr`: iterate; false: partners' V_m of the previous step, every step.
    public var useWFR: Bool
    /// NEST's `wfr_comm_interval` (default 1 ms); nil: the default. Only with use_wfr.
    public var commInterval: Quantity?
    /// NEST's `wfr_tol` (mV).
    public var tolerance: Double
    /// NEST's `wfr_max_iterations`.
    public var maxIterations: Int
    /// NEST's `wfr_interpolation_order`: 0, 1 or 3.
    public var interpolationOrder: Int

    public init(useWFR: Bool = true, commInterval: Quantity? = nil, tolerance: Double = 1e-4, maxIterations: Int = 15,
                interpolationOrder: Int = 3) {
        self.useWFR = useWFR
        self.commInterval = commInterval
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.interpolationOrder = interpolationOrder
    }

    /// NEST's synapse model name.
    public static let synapseModel = "gap_junction"
}

/// A neuron model that can be coupled by gap junctions.
public protocol GapJunctionModel: PointNeuronModel {
    /// Where the engine puts each neuron's summed partner polynomials (set up once per network).
    var coupling: GapCoupling { get }
    /// One WFR iteration of neurons `range` over `coupling.interval` steps from `firstStep`; the
    /// state is left unchanged except for solver step sizes. Returns whether some V_m differed
    /// by more than `tol` from `lastV`.
    func relax(_ state: StateColumns, _ range: Range<Int>, _ ring: GapRingView, firstStep: Int64,
               out: UnsafeMutablePointer<Double>, lastV: UnsafeMutablePointer<Double>, tol: Double) -> Bool
    /// State columns that must start non-negative (NEST refuses negative (in)activation variables).
    static var gatingVariables: [Int] { get }
}

/// Per-population coupling input of a gap model, indexed by population-local neuron:
/// `coefficients[(i·interval + lag)·(order+1) + k]` = Σ_j g_ij·c_jk (NEST's
/// interpolation_coefficients) and `sumG[i]` = Σ_j g_ij. Without junctions both are nil.
public final class GapCoupling: @unchecked Sendable {
    public internal(set) var order = 3
    public internal(set) var interval = 0
    public internal(set) var coefficients: UnsafeMutablePointer<Double>?
    public internal(set) var sumG: UnsafeMutablePointer<Double>?
    public init() {}
}

/// Read access to one thread's spike ring for the neurons of one population, by step.
@frozen public struct GapRingView {
    public let spikes: UnsafeMutablePointer<Double>
    public let ringLength: Int
    public let nLocal: Int
    /// Index of the population's neuron 0 in the thread's rows.
    public let offset: Int

    @inline(__always) public func row(_ step: Int64) -> UnsafePointer<Double> {
        UnsafePointer(spikes + 2 &* (Int(step % Int64(ringLength)) &* nLocal &+ offset))
    }
}

/// The engine's handle on a population of a gap model.
protocol GapPopulation: AnyObject {
    var gapCoupling: GapCoupling { get }
    func relax(_ range: Range<Int>, _ ring: GapRingView, firstStep: Int64, out: UnsafeMutablePointer<Double>,
               lastV: UnsafeMutablePointer<Double>, tol: Double) -> Bool
    func membraneVoltage(_ i: Int) -> Double
    /// First initial value that the model refuses, as (neuron, variable, value).
    func invalidInitialState() -> (Int, String, Double)?
}

extension ModelPopulation: GapPopulation where M: GapJunctionModel {
    var gapCoupling: GapCoupling { model.coupling }
    func relax(_ range: Range<Int>, _ ring: GapRingView, firstStep: Int64, out: UnsafeMutablePointer<Double>,
               lastV: UnsafeMutablePointer<Double>, tol: Double) -> Bool {
        model.relax(columns, range, ring, firstStep: firstStep, out: out, lastV: lastV, tol: tol)
    }
    func membraneVoltage(_ i: Int) -> Double { columns.column(0)[i] }
    func invalidInitialState() -> (Int, String, Double)? {
        for v in M.gatingVariables {
            let c = columns.column(v)
            for i in local where !(c[i] >= 0) { return (i, M.state[v].name, c[i]) }
        }
        return nil
    }
}

/// Gap junctions of a network: the junction list while building, then the WFR buffers.
final class GapJunctionLayer: EpochHook, @unchecked Sendable {
    /// Models that support gap junctions.
    static let models = [HhPscAlphaGap.name]
    /// (target node, source node, g) of every junction, in creation order.
    var junctions: [(target: Int, source: Int, g: Double)] = []

    // Set up by `buildGapJunctions`.
    var settings = WaveformRelaxation()
    var interval = 1
    var order = 3
    var populations: [(pop: NeuronPopulation, handle: GapPopulation, base: Int)] = []
    var count = 0                         // gap-model neurons
    var partnerOffsets = Storage<Int>(repeating: 0, count: 1)
    var partnerSource = Storage<Int32>(repeating: 0, count: 1)
    var partnerG = Storage<Double>(repeating: 0, count: 1)
    var coefficients = Storage<Double>(repeating: 0, count: 1)
    var sumG = Storage<Double>(repeating: 0, count: 1)
    var out: [Storage<Double>] = []       // per iteration parity
    var lastV = Storage<Double>(repeating: 0, count: 1)
    var vEnd: [Storage<Double>] = []      // per epoch parity
    var done = Storage<UInt8>(repeating: 0, count: 1)   // [parity][thread]
    /// Iterations of each interval (written by thread 0).
    var iterations: [Int] = []
    /// Gap neurons of each thread (set when the hook is made).
    var segments: [[GapSegment]] = []
    /// The ranks (nil: one process), the gap indices of each rank's neurons (contiguous: gap
    /// indices follow neuron order), and whether every rank's iteration converged (written by
    /// thread 0 between two barriers).
    var communicator: (any Communicator)?
    var rankGaps: [Range<Int>] = []
    var ranksDone = true
    /// The WFR interval this rank's own synapses and devices allow (the run's is the minimum
    /// over ranks) and wfr_comm_interval in steps.
    var localInterval = 1
    var commSteps = 1
}

extension PointNetwork {
    /// The WFR iterations of every interval so far (NEST's loop count per min_delay slice);
    /// empty without gap junctions or with use_wfr false.
    public var waveformRelaxationIterations: [Int] { gapLayer?.iterations ?? [] }

    /// Number of gap junctions (each direction counts once, as NEST's GetConnections does).
    public var gapJunctionCount: Int { gapLayer?.junctions.count ?? 0 }

    /// Hook of `resolveConnections`: takes the statement when it is a gap junction (or asks for
    /// make_symmetric, which only gap junctions support here) and records its junctions.
    func resolveGapJunction(_ ci: Int, _ c: ConnectionDescription) throws -> Bool {
        let path = "connections[\(ci)]"
        guard c.synapse.model == WaveformRelaxation.synapseModel else {
            if c.makeSymmetric {
                throw PlexusError("make_symmetric is supported for gap_junction connections only, not \(c.synapse.model)",
                                  keyPath: path + ".make_symmetric")
            }
            return false
        }
        guard let src = population(named: c.source) else {
            throw PlexusError("no population named '\(c.source)'", keyPath: path + ".source")
        }
        guard let tgt = population(named: c.target) else {
            throw PlexusError("no population named '\(c.target)'", keyPath: path + ".target")
        }
        func supports(_ p: PopulationInfo) -> Bool {
            guard case .neuron(let ni) = p.kind else { return false }
            return neuronPopulations[ni] is GapPopulation
        }
        let gapModels = GapJunctionLayer.models
        guard supports(src) else {
            throw PlexusError("The source node does not support gap junction output: '\(src.name)' is a \(src.model) (gap junctions connect \(gapModels.joined(separator: ", ")))",
                              keyPath: path + ".source")
        }
        guard supports(tgt) else {
            throw PlexusError("The target node or synapse model does not support gap junction input: '\(tgt.name)' is a \(tgt.model) (gap junctions connect \(gapModels.joined(separator: ", ")))",
                              keyPath: path + ".target")
        }
        // gap_junction has no delay (NEST: "gap_junction connection has no delay")
        if c.synapse.delay != SynapseDescription().delay {
            throw PlexusError("gap_junction connection has no delay", keyPath: path + ".synapse.delay")
        }
        if let k = c.synapse.parameters.keys.sorted().first {
            throw PlexusError("gap_junction has no parameter '\(k)' (only weight)", keyPath: path + ".synapse.\(k)")
        }
        if c.synapse.receptor != 0 {
            throw PlexusError("receptor_type \(c.synapse.receptor) does not exist for gap junctions (0 only)",
                              keyPath: path + ".synapse.receptor_type")
        }
        if c.synapse.recordWeights {
            throw PlexusError("gap junctions have no weight updates to record", keyPath: path + ".synapse.record_weights")
        }
        guard case .constant(let q) = c.synapse.weight else {
            throw PlexusError("gap_junction weights must be one number (both directions of a junction carry the same g)",
                              keyPath: path + ".synapse.weight")
        }
        let g = try wrap(path + ".synapse.weight") { try q.value(in: .nS, name: "weight") }
        guard g.isFinite, g >= 0 else {
            throw PlexusError.outOfRange("weight", g, "a gap junction's conductance must be finite and >= 0 nS",
                                         keyPath: path + ".synapse.weight")
        }
        // NEST's rules: gap_junction requires symmetric connectivity, which one_to_one gives with
        // make_symmetric, and all_to_all within one population with a scalar weight gives itself.
        switch c.rule {
        case .oneToOne:
            guard c.makeSymmetric else {
                throw PlexusError("Connections with this synapse model can only be created as one-to-one connections with \"make_symmetric\" set to true or as all-to-all connections with equal source and target populations and default or scalar parameters.",
                                  keyPath: path + ".make_symmetric")
            }
            guard src.size == tgt.size else {
                throw PlexusError("one_to_one needs equal sizes; \(src.name) has \(src.size), \(tgt.name) has \(tgt.size)", keyPath: path + ".rule")
            }
        case _ where c.rule.kind is Pairs:
            // NEST's Connect of node-id arrays (one_to_one over the arrays) with make_symmetric.
            let pairs = c.rule.kind as! Pairs
            if pairs.weights != nil || pairs.delays != nil {
                throw PlexusError("gap junctions take one weight (synapse.weight) and no delay, not per-pair lists",
                                  keyPath: path + (pairs.weights != nil ? ".weights" : ".delays"))
            }
            guard c.makeSymmetric else {
                throw PlexusError("Connections with this synapse model can only be created as one-to-one connections with \"make_symmetric\" set to true or as all-to-all connections with equal source and target populations and default or scalar parameters.",
                                  keyPath: path + ".make_symmetric")
            }
            try pairs.validate(ConnectionShape(path: path, sourceName: src.name, targetName: tgt.name, sources: src.size, targets: tgt.size,
                                               sourceFirstNode: src.firstNode, targetFirstNode: tgt.firstNode, samePopulation: src.name == tgt.name,
                                               autapses: c.allowAutapses, multapses: true, statement: ci, seed: seed))
        case .allToAll:
            if c.makeSymmetric {
                throw PlexusError("This connection rule does not support symmetric connections (make_symmetric works with one_to_one; all_to_all within one population is symmetric already).",
                                  keyPath: path + ".make_symmetric")
            }
            guard src.name == tgt.name else {
                throw PlexusError("Connections with this synapse model can only be created as one-to-one connections with \"make_symmetric\" set to true or as all-to-all connections with equal source and target populations and default or scalar parameters.",
                                  keyPath: path + ".rule")
            }
        default:
            if c.makeSymmetric {
                throw PlexusError("This connection rule does not support symmetric connections.", keyPath: path + ".make_symmetric")
            }
            throw PlexusError("Connections with this synapse model can only be created as one-to-one connections with \"make_symmetric\" set to true or as all-to-all connections with equal source and target populations and default or scalar parameters.",
                              keyPath: path + ".rule")
        }
        let layer = gapLayer ?? GapJunctionLayer()
        gapLayer = layer
        let same = src.name == tgt.name
        switch c.rule {
        case _ where c.rule.kind is Pairs:
            for (i, j) in (c.rule.kind as! Pairs).pairs {   // each junction both ways, pair by pair (NEST's order)
                layer.junctions.append((tgt.firstNode + j, src.firstNode + i, g))
                layer.junctions.append((src.firstNode + i, tgt.firstNode + j, g))
            }
        case .oneToOne:
            for i in 0..<src.size where !(same && !c.allowAutapses) {
                layer.junctions.append((tgt.firstNode + i, src.firstNode + i, g))
            }
            // make_symmetric: NEST then connects the reverse direction
            for i in 0..<src.size where !(same && !c.allowAutapses) {
                layer.junctions.append((src.firstNode + i, tgt.firstNode + i, g))
            }
        default:
            for j in 0..<tgt.size {
                for i in 0..<src.size where !(i == j && !c.allowAutapses) {
                    layer.junctions.append((tgt.firstNode + j, src.firstNode + i, g))
                }
            }
        }
        return true
    }

    /// Checks the WFR settings and, when junctions exist, sets up the layer and shortens the
    /// epoch to the WFR interval. Called once the synapse tables are built.
    func buildGapJunctions() throws {
        let s = experiment.waveformRelaxation
        let kp = "kernel"
        var intervalSteps = 1
        if s.useWFR {
            var ms = 1.0
            if let q = s.commInterval {
                ms = try wrap(kp + ".wfr_comm_interval") { try q.value(in: .ms, name: "wfr_comm_interval") }
            }
            try Self.checkTime(ms, "wfr_comm_interval", grid: grid, keyPath: kp + ".wfr_comm_interval")
            guard ms >= grid.h * (1 - 1e-9) else {
                throw PlexusError("Communication interval of the waveform relaxation must be greater or equal to the resolution of the simulation (wfr_comm_interval \(ms) ms < \(grid.h) ms).",
                                  keyPath: kp + ".wfr_comm_interval")
            }
            intervalSteps = max(1, Int(grid.steps(ms)))
        } else if s.commInterval != nil {
            throw PlexusError("Cannot set waveform communication interval when usage of waveform relaxation is disabled. Set use_wfr to true first.",
                              keyPath: kp + ".wfr_comm_interval")
        }
        guard s.tolerance >= 0, s.tolerance.isFinite else {
            throw PlexusError.outOfRange("wfr_tol", s.tolerance, "Tolerance must be zero or positive", keyPath: kp + ".wfr_tol")
        }
        guard s.maxIterations > 0 else {
            throw PlexusError.outOfRange("wfr_max_iterations", Double(s.maxIterations),
                                         "must be positive (to disable waveform relaxation set use_wfr: false)",
                                         keyPath: kp + ".wfr_max_iterations")
        }
        guard [0, 1, 3].contains(s.interpolationOrder) else {
            throw PlexusError("Interpolation order must be 0, 1, or 3 (got \(s.interpolationOrder))", keyPath: kp + ".wfr_interpolation_order")
        }
        for p in neuronPopulations {
            guard let gp = p as? GapPopulation, let (i, name, v) = gp.invalidInitialState() else { continue }
            throw PlexusError("initial \(name) = \(v) of neuron gid \(p.firstNode + i + 1): all (in)activation variables must be non-negative",
                              keyPath: "populations.\(p.name).params.\(name)")
        }
        guard let layer = gapLayer else { return }
        // A statement may create no junction (one_to_one within a population without autapses):
        // as in NEST, no secondary connections then means no waveform relaxation.
        if layer.junctions.isEmpty { gapLayer = nil; return }

        // min_delay as NEST computes it with secondary connections: every delay, device
        // connections included, and the gap junctions' wfr_comm_interval.
        var m = intervalSteps
        for conn in connectivity where conn.minDelay != Int.max { m = min(m, conn.minDelay) }
        for d in deviceInputs {
            for p in d.poisson { m = min(m, Int(p.delay)) }
            for c in d.currents { m = min(m, Int(c.delay)) }
        }
        // NEST connects spike recorders and multimeters with the default delay, 1 ms, which
        // enters min_delay like any other: with recordings the interval is at most 1 ms.
        if !experiment.recordings.isEmpty { m = min(m, max(1, Int(grid.steps(1.0)))) }
        minDelay = m
        maxDelay = max(maxDelay, intervalSteps, m)

        layer.settings = s
        layer.localInterval = m
        layer.commSteps = intervalSteps
        layer.order = s.interpolationOrder
        var base = 0
        var gapOfNode = [Int](repeating: -1, count: nodeCount)
        for p in neuronPopulations {
            guard let handle = p as? GapPopulation else { continue }
            layer.populations.append((p, handle, base))
            for i in 0..<p.size { gapOfNode[p.firstNode + i] = base + i }
            base += p.size
        }
        let n = base
        layer.count = n
        // Partners of each neuron by source gid (NEST delivers a target's gap events in the
        // order of its connections, sorted by source); equal sources keep creation order.
        var order = Array(layer.junctions.indices)
        order.sort { a, b in
            let x = layer.junctions[a], y = layer.junctions[b]
            return (x.target, x.source, a) < (y.target, y.source, b)
        }
        var offsets = [Int](repeating: 0, count: n + 1)
        for j in layer.junctions { offsets[gapOfNode[j.target] + 1] += 1 }
        for a in 0..<n { offsets[a + 1] += offsets[a] }
        layer.partnerOffsets = Storage(offsets)
        layer.partnerSource = Storage(order.map { Int32(gapOfNode[layer.junctions[$0].source]) } + [0])
        layer.partnerG = Storage(order.map { layer.junctions[$0].g } + [0])
        layOutGapBuffers(interval: m)
    }

    /// The WFR buffers for an interval of `m` steps (again when the ranks agree on a shorter one).
    func layOutGapBuffers(interval m: Int) {
        guard let layer = gapLayer else { return }
        let s = layer.settings, n = layer.count, k = layer.order + 1
        layer.interval = m
        layer.coefficients = Storage(repeating: 0, count: max(1, n * m * k))
        layer.sumG = Storage(repeating: 0, count: max(1, n))
        layer.out = [Storage(repeating: 0, count: max(1, n * m * k)), Storage(repeating: 0, count: max(1, n * m * k))]
        layer.lastV = Storage(repeating: 0, count: max(1, n * m))
        layer.vEnd = [Storage(repeating: 0, count: max(1, n)), Storage(repeating: 0, count: max(1, n))]
        layer.done = Storage(repeating: 0, count: 2 * team.count)
        layer.iterations.reserveCapacity(Int(totalSteps / Int64(m)) + 1)
        for (_, handle, b) in layer.populations {
            let c = handle.gapCoupling
            c.order = s.interpolationOrder
            c.interval = m
            c.coefficients = layer.coefficients.base + b * m * k
            c.sumG = layer.sumG.base + b
        }
    }

    /// With ranks (collective): the run's WFR interval is the shortest any rank's synapses and
    /// devices allow, as one process computes it over all of them; and each rank's gap indices.
    func joinGapRanks() {
        guard communicator.size > 1, let layer = gapLayer else { return }
        let m = Int(communicator.minimum(Int64(layer.localInterval)))
        minDelay = m
        minDelayIsDefault = false
        maxDelay = Swift.max(maxDelay, layer.commSteps, m)
        if m != layer.interval { layOutGapBuffers(interval: m) }
        layer.communicator = communicator
        // Gap indices follow neuron order: a rank's are those before its last neuron less
        // those before its first.
        func gapsBefore(_ neuron: Int) -> Int {
            layer.populations.reduce(0) { $0 + Swift.min(Swift.max(neuron - $1.pop.firstNeuron, 0), $1.pop.size) }
        }
        layer.rankGaps = (0..<communicator.size).map { r in
            let neurons = neuronRange(ofRank: r)
            return gapsBefore(neurons.lowerBound)..<gapsBefore(neurons.upperBound)
        }
    }

    /// Gap neurons of thread `t`: (population, population-local range, gap index of neuron 0,
    /// index of neuron 0 in the thread's rows).
    func gapSegments(_ t: Int) -> [GapSegment] {
        guard let layer = gapLayer else { return [] }
        let part = partitions[t]
        return layer.populations.compactMap { p, handle, base in
            let lo = max(part.lowerBound, p.firstNeuron), hi = min(part.upperBound, p.firstNeuron + p.size)
            guard lo < hi else { return nil }
            return (handle, (lo - p.firstNeuron)..<(hi - p.firstNeuron), base, p.firstNeuron - part.lowerBound)
        }
    }
}

/// Gap neurons of one population on one thread: (population, population-local range, gap index
/// of neuron 0, index of neuron 0 in the thread's rows).
typealias GapSegment = (handle: GapPopulation, range: Range<Int>, base: Int, rowOffset: Int)

// MARK: the epoch hook

extension GapJunctionLayer {
    /// The network's layer (built by `buildGapJunctions`), with each thread's gap neurons.
    static func make(for network: PointNetwork) -> GapJunctionLayer? {
        guard let layer = network.gapLayer else { return nil }
        layer.segments = network.partitions.indices.map(network.gapSegments)
        return layer
    }

    /// The iterations integrate the whole interval: its device input must be in the rings.
    var needsEpochInputFirst: Bool { true }

    /// At the start of every epoch (all threads): the partners' input for the interval —
    /// constant extrapolation from the last real update, then the WFR iterations. The epoch's
    /// neuron updates that follow are the real update with the last iteration's coupling.
    ///
    /// The iterations are the one collective of a hook: after each, every thread must see every
    /// other's `done` flag (the global convergence decision) and every gap neuron's polynomials
    /// in `out` (partners' coefficients). In-process this is the team barrier below plus shared
    /// memory. With MPI ranks thread 0 of each rank then allgathers the ranks' `out` rows and
    /// convergence (`shareRows`), and a second barrier holds the other threads until it has; the
    /// last interval's final V_m crosses the same way before the extrapolation.
    func beforeUpdates(_ epoch: EpochContext, rings: InputRings) {
        let t = epoch.thread, e0 = epoch.firstStep
        let segments = self.segments[t]
        let m = interval, k = order + 1, mk = m * k
        let offsets = partnerOffsets.base, src = partnerSource.base, gs = partnerG.base
        let coeff = coefficients.base, sumG = self.sumG.base
        // Constant extrapolation of the partners' final V_m (nothing at the very start).
        let vEnd = self.vEnd[Int((epoch.index &+ 1) & 1)].base
        if communicator != nil && epoch.index > 0 {
            // Every rank's final V_m of the last interval (all threads wrote theirs before the
            // spike exchange).
            if t == 0 { shareRows(vEnd, width: 1, flag: nil) }
            epoch.team.barrier()
        }
        for seg in segments {
            for a in (seg.base + seg.range.lowerBound)..<(seg.base + seg.range.upperBound) {
                let c = coeff + a * mk
                c.update(repeating: 0, count: mk)
                var sg = 0.0, acc = 0.0
                if epoch.index > 0 {
                    for e in offsets[a]..<offsets[a + 1] {
                        sg += gs[e]
                        acc += gs[e] * vEnd[Int(src[e])]
                    }
                    for lag in 0..<m { c[lag * k] = acc }
                }
                sumG[a] = sg
            }
        }
        guard settings.useWFR else { return }
        let threads = epoch.team.count
        let tol = settings.tolerance
        let lastV = self.lastV.base, done = self.done.base
        for seg in segments {
            (lastV + (seg.base + seg.range.lowerBound) * m).update(repeating: 0, count: seg.range.count * m)
        }
        var iteration = 0
        while true {
            let parity = iteration & 1
            let out = self.out[parity].base
            var exceeded = false
            for seg in segments {
                let ring = GapRingView(spikes: rings.spikes, ringLength: rings.ringLength, nLocal: rings.nPairs, offset: seg.rowOffset)
                let x = seg.handle.relax(seg.range, ring, firstStep: e0, out: out + seg.base * mk,
                                         lastV: lastV + seg.base * m, tol: tol)
                exceeded = exceeded || x
            }
            done[parity * threads + t] = exceeded ? 0 : 1
            epoch.team.barrier()
            var allDone = true
            for u in 0..<threads where done[parity * threads + u] == 0 { allDone = false }
            if communicator != nil {
                // The ranks' collective: every gap neuron's polynomials, and whether all converged.
                if t == 0 { ranksDone = shareRows(out, width: mk, flag: allDone) }
                epoch.team.barrier()
                allDone = ranksDone
            }
            // Deliver: Σ_j g_ij · coefficients_j, in source order.
            for seg in segments {
                for a in (seg.base + seg.range.lowerBound)..<(seg.base + seg.range.upperBound) {
                    let c = coeff + a * mk
                    c.update(repeating: 0, count: mk)
                    var sg = 0.0
                    for e in offsets[a]..<offsets[a + 1] {
                        let g = gs[e]
                        sg += g
                        let o = out + Int(src[e]) * mk
                        for x in 0..<mk { c[x] += g * o[x] }
                    }
                    sumG[a] = sg
                }
            }
            iteration += 1
            if allDone || iteration >= settings.maxIterations { break }
        }
        if t == 0 { iterations.append(iteration) }
    }

    /// Ranks (thread 0 of each): sends this rank's rows of `rows` (`width` values per gap
    /// neuron) with `flag`, receives every other rank's into place; returns whether every
    /// rank's flag was true.
    @discardableResult
    func shareRows(_ rows: UnsafeMutablePointer<Double>, width: Int, flag: Bool?) -> Bool {
        guard let comm = communicator else { return flag ?? true }
        let mine = rankGaps[comm.rank]
        var send = [Double](repeating: flag == false ? 0 : 1, count: 1 + mine.count * width)
        send.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: 1).update(from: rows + mine.lowerBound * width, count: mine.count * width) }
        let all = comm.gather(send, root: nil)
        var every = true
        for (q, part) in all.enumerated() {
            if part[0] == 0 { every = false }
            guard q != comm.rank else { continue }
            let r = rankGaps[q]
            part.withUnsafeBufferPointer { (rows + r.lowerBound * width).update(from: $0.baseAddress! + 1, count: r.count * width) }
        }
        return every
    }

    /// At the end of every epoch's real update, before the exchange: each neuron's final V_m for
    /// the next interval's constant extrapolation.
    func afterUpdates(_ epoch: EpochContext, own: ThreadSpikes) {
        let vEnd = self.vEnd[Int(epoch.index & 1)].base
        for seg in segments[epoch.thread] {
            for i in seg.range { vEnd[seg.base + i] = seg.handle.membraneVoltage(i) }
        }
    }
}
