import PlexusCore

/// Parameter points of one experiment run as the SIMD lanes of one simulation.
///
/// A fit's generation or a sweep's grid often varies only model parameters, coupling parameters
/// and noise over one connectome. Such points share the delays, the integrator and the monitors, so
/// they run as one network of regions x lanes nodes (node i*L + l is region i of lane l): every
/// edge's index and weight serve all lanes (LaneCoupling), a stochastic run draws each region's
/// noise once for all lanes (the points share the seed, as a sweep's and a fit's points do), and
/// the model kernel, the integrator and the monitors run over all nodes as over the regions of one
/// run. Each lane's numbers are those of its point run alone, bit for bit (MassBatchTests).
///
/// A batch runs on one thread; callers run several batches side by side. A lane that becomes
/// unstable fails alone: the others go on.
public final class MassBatch {
    /// Each point validated as a run of its own (errors name its key path).
    public let networks: [MassNetwork]
    public let connectome: Connectome
    let core: MassCore

    public var lanes: Int { networks.count }
    /// Bytes of the batch's delay history (every lane's).
    public var historyBytes: Int { core.historyBytes }

    /// How many points of `network`'s experiment to run per batch, at most `requested`: 1 for a
    /// deterministic run, whose time-blocked coupling already runs at SIMD width and whose
    /// history a batch would multiply out of cache (measured slower at every width); for a
    /// stochastic run, as many as keep the lanes' delay history within `cacheBytes` (the lanes
    /// share each region's noise draws; past a share of the last-level cache the history's
    /// traffic outweighs that). docs/fitting.md has the measurements.
    public static func lanes(for network: MassNetwork, requested: Int, cacheBytes: Int = 8 << 20) -> Int {
        guard requested > 1, network.experiment.integrator.stochastic,
              incompatibility([network.experiment]) == nil else { return 1 }
        return max(1, min(requested, cacheBytes / max(1, network.historyBytes)))
    }

    /// Why `experiments` cannot run as the lanes of one batch (nil: they can).
    public static func incompatibility(_ experiments: [MassExperiment]) -> String? {
        guard let first = experiments.first else { return "no points" }
        let e = first
        if e.surface != nil { return "a surface simulation runs one point at a time" }
        if !e.stimuli.isEmpty { return "stimuli are not batched" }
        if e.precision != .float64 { return "precision float32 (TVB's arithmetic) runs one point at a time" }
        if e.integrator.numpySeed != nil { return "numpy's noise stream is sequential" }
        if e.integrator.ntau > 0 { return "coloured noise is not batched" }
        let perNode: Set<MonitorKind> = [.raw, .subSample, .temporalAverage, .bold, .balloon, .neurolibBold, .afferentCoupling, .afferentCouplingTemporalAverage]
        if let m = e.monitors.first(where: { !perNode.contains($0.kind) }) {
            return "a \(m.kind.rawValue) monitor combines regions (only per-region monitors are batched)"
        }
        // What may differ: parameters (model, per region, coupling), noise and the initial state.
        func shared(_ e: MassExperiment) -> MassExperiment {
            var k = e
            k.model.params = [:]
            k.model.lists = [:]
            k.coupling.params = [:]
            k.integrator.nsig = []
            k.initialHistory = [:]
            k.sweep = []
            k.fc = nil
            return k
        }
        let key = shared(e)
        if let k = experiments.firstIndex(where: { shared($0) != key }) {
            return "point \(k) differs from point 0 in more than model, coupling and noise parameters and the initial state (e.g. the speed, which sets the delays)"
        }
        return nil
    }

    /// Validates every point (as `MassNetwork` does) and builds one simulation of all of them.
    public init(_ experiments: [MassExperiment], connectome: Connectome) throws {
        if let why = MassBatch.incompatibility(experiments) {
            throw PlexusError("these points cannot run as one batch: \(why)")
        }
        let networks = try experiments.map { try MassNetwork($0, connectome: connectome, threads: 1) }
        self.networks = networks
        self.connectome = connectome
        let setups = networks.map(\.setup)
        let base = setups[0]
        let L = networks.count, N = connectome.count, nodes = N * L
        let horizon = Double(networks[0].horizon)
        try ResourceUsage.checkFits(horizon * Double(nodes) * Double(base.model.couplingVariables.count) * 8,
                                    "the delay history of a batch of \(L) points (\(Int(horizon)) steps of \(nodes) nodes)", keyPath: "speed")
        /// Columns of N values per lane -> columns of N x L, lane fastest.
        func interleave(_ columns: [[Double]]) -> [Double] {
            let count = columns[0].count / N
            var out = [Double](repeating: 0, count: count * nodes)
            for c in 0..<count {
                for i in 0..<N {
                    for l in 0..<L { out[c * nodes + i * L + l] = columns[l][c * N + i] }
                }
            }
            return out
        }
        let nsv = base.model.stateVariables.count
        let noise = experiments.map { e in
            (0..<nsv).map { v in e.integrator.stochastic ? (2.0 * (e.integrator.nsig.count == 1 ? e.integrator.nsig[0] : e.integrator.nsig[v])).squareRoot() : 0 }
        }
        let monitors = try base.monitors.map { m in
            try MonitorRecorder(m.description, variables: m.variables, voi: m.voi, regions: nodes, dt: base.experiment.integrator.dt, steps: base.steps)
        }
        let setup = MassCoreSetup(model: base.model, kernel: base.kernel, parameters: interleave(setups.map(\.parameters)), observed: base.observed,
                                  stimuli: nil, experiment: base.experiment, connectome: connectome,
                                  delays: base.delays,   // every point's: incompatibility() compared speed, dt and connectivity
                                  function: base.function,
                                  x0: interleave(setups.map(\.x0)), monitors: monitors, parts: [0..<nodes], steps: base.steps,
                                  lanes: MassLanes(count: L, couplingValues: setups.map(\.function.values), noiseScale: noise))
        func make<I: MassIntegrator>(_ integrator: I.Type) -> MassCore { MassCoreImpl<I>(setup) }
        core = make(base.experiment.integrator.scheme.kind)
    }

    /// Runs the batch; each point's results, or why it failed (its own instability).
    public func run() -> [Result<MassResults, PlexusError>] {
        let t0 = ResourceUsage.now(), c0 = ResourceUsage.cpuSeconds()
        _ = core.run(team: nil, progress: nil)
        let all = core.results, failures = core.laneFailures
        let L = lanes, N = connectome.count
        // Each lane's share of the batch's time.
        let wall = (ResourceUsage.now() - t0) / Double(L), cpu = (ResourceUsage.cpuSeconds() - c0) / Double(L)
        return networks.indices.map { l in
            if let bad = failures[l] { return .failure(networks[l].unstable(bad)) }
            let monitors = all.map { r -> MonitorResult in
                let rows = r.values.count / r.regions
                var values = [Double](repeating: 0, count: rows * N)
                for row in 0..<rows {
                    for i in 0..<N { values[row * N + i] = r.values[row * r.regions + i * L + l] }
                }
                return MonitorResult(description: r.description, variables: r.variables, regions: N, times: r.times, values: values)
            }
            return .success(MassResults(monitors: monitors, steps: networks[l].steps, simulateSeconds: wall, simulateCPUSeconds: cpu))
        }
    }
}

/// Calls `body` with a batch's lane count as a literal for the common counts (1, 2, 4, 8), so a
/// loop over the lanes inside it, inlined, has a constant trip count and compiles to vector moves
/// (with a variable count it was a loop per region: 7 cycles per region for the noise's copies).
@inline(__always)
func withLaneCount(_ lanes: Int, _ body: (Int) -> Void) {
    switch lanes {
    case 1: body(1)
    case 2: body(2)
    case 4: body(4)
    case 8: body(8)
    default: body(lanes)
    }
}
