import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusPoint
@testable import PlexusIO
@testable import PlexusCable
@testable import PlexusMass

/// The point engine over several ranks (Ranks.swift): ranks as threads of one process
/// (`InProcessRanks`) run the same distributed code as an MPI launch — partitions, the ranks'
/// spike gather, rank 0's gather of samples and weights, errors agreed by all ranks. The results
/// must be bit-identical to one process's for any ranks x threads. `MPIRunTests` runs the real
/// thing under mpirun.
final class RankTests: XCTestCase {
    /// A small Brunel network (Poisson drive, fixed indegree, delays drawn) with spike
    /// recorders, a multimeter and, when `stdp`, STDP synapses with a weight recorder.
    static func experiment(stdp: Bool = false, neurons: Int = 400, duration: Int = 150) throws -> PointExperiment {
        let ne = neurons * 4 / 5, ni = neurons - ne
        let plastic = stdp ? "{model: stdp_synapse, weight: 20 pA, delay: 1.5 ms, Wmax: 60, record_weights: true}" : "{weight: 20 pA, delay: {distribution: uniform, min: 1 ms, max: 3 ms}}"
        let yaml = """
            resolution: 0.1 ms
            duration: \(duration) ms
            seed: 7
            populations:
              E: {model: iaf_psc_alpha, size: \(ne), params: {V_m: {distribution: uniform, min: -70 mV, max: -55 mV}}}
              I: {model: iaf_psc_exp, size: \(ni)}
              drive: {model: poisson_generator, params: {rate: 9000 Hz}}
              kick: {model: spike_generator, params: {spike_times: [5 ms, 7.5 ms, 20 ms]}}
            connections:
              - {source: drive, target: E, synapse: {weight: 12 pA, delay: 1 ms}}
              - {source: drive, target: I, synapse: {weight: 12 pA, delay: 1 ms}}
              - {source: kick, target: I, rule: all_to_all, synapse: {weight: 300 pA, delay: 1 ms}}
              - {source: E, target: E, rule: fixed_indegree, indegree: 40, synapse: \(plastic)}
              - {source: E, target: I, rule: fixed_outdegree, outdegree: 10, synapse: {weight: 20 pA, delay: 1.5 ms}}
              - {source: I, target: E, rule: pairwise_bernoulli, p: 0.1, synapse: {weight: -80 pA, delay: 1.5 ms}}
              - {source: I, target: I, rule: fixed_indegree, indegree: 10, synapse: {weight: -80 pA, delay: 2 ms}}
            record:
              - {type: spike_recorder, population: E}
              - {type: spike_recorder, population: I}
              - {type: multimeter, population: I, variables: [V_m, I_syn_ex], interval: 0.5 ms}
            """
        return try ExperimentFile.decode(try ExperimentSource(yaml, file: "ranks.yaml"))
    }

    /// Runs `experiment` on `ranks` in-process ranks of `threads` threads; rank 0's results (the
    /// others must have recorded nothing) or the error every rank threw.
    static func run(_ experiment: PointExperiment, ranks: Int, threads: Int, mode: SpikeExchangeMode = .targeted,
                    traffic: Traffic? = nil, iterations: Iterations? = nil) -> Result<PointResults, PlexusError> {
        let group = InProcessRanks(size: ranks)
        let outcomes = Outcomes(ranks)
        group.run { comm in
            do {
                let net = try PointNetwork.distributed(experiment, team: ThreadTeam(threads: threads), communicator: comm, exchange: mode)
                let sim = PointSimulation(net)
                try sim.advance(to: net.totalSteps)
                if let t = sim.exchangeTraffic { traffic?.add(comm.rank, t.received) }
                iterations?.set(comm.rank, net.waveformRelaxationIterations)
                outcomes.set(comm.rank, .success(sim.results(final: true)))
            } catch let e as PlexusError {
                outcomes.set(comm.rank, .failure(e))
            } catch {
                outcomes.set(comm.rank, .failure(PlexusError("\(error)")))
            }
        }
        for r in 1..<ranks {
            switch (outcomes.values[r]!, outcomes.values[0]!) {
            case (.success(let other), .success):
                XCTAssertTrue(other.spikes.allSatisfy { $0.gids.isEmpty }, "rank \(r) recorded spikes")
                XCTAssertTrue(other.states.allSatisfy { $0.times.isEmpty }, "rank \(r) kept samples")
            case (.failure(let a), .failure(let b)):
                XCTAssertEqual(a, b, "ranks 0 and \(r) threw different errors")
            default:
                XCTFail("rank \(r) and rank 0 ended differently: \(outcomes.values[r]!) / \(outcomes.values[0]!)")
            }
        }
        return outcomes.values[0]!
    }

    /// Bytes each rank received in the spike exchanges.
    final class Traffic: @unchecked Sendable {
        var received: [Int: Int] = [:]
        let lock = NSLock()
        func add(_ r: Int, _ n: Int) { lock.lock(); received[r] = n; lock.unlock() }
        var total: Int { received.values.reduce(0, +) }
    }

    /// Each rank's waveform-relaxation iterations per interval.
    final class Iterations: @unchecked Sendable {
        var byRank: [Int: [Int]] = [:]
        let lock = NSLock()
        func set(_ r: Int, _ v: [Int]) { lock.lock(); byRank[r] = v; lock.unlock() }
    }

    final class Outcomes: @unchecked Sendable {
        var values: [Result<PointResults, PlexusError>?]
        let lock = NSLock()
        init(_ n: Int) { values = Array(repeating: nil, count: n) }
        func set(_ r: Int, _ v: Result<PointResults, PlexusError>) { lock.lock(); values[r] = v; lock.unlock() }
    }

    static func assertIdentical(_ a: PointResults, _ b: PointResults, _ what: String) {
        XCTAssertEqual(a.totalSpikes, b.totalSpikes, what)
        XCTAssertEqual(a.spikes.map(\.gids), b.spikes.map(\.gids), what)
        XCTAssertEqual(a.spikes.map(\.times), b.spikes.map(\.times), what)
        XCTAssertEqual(a.states.map(\.gids), b.states.map(\.gids), what)
        XCTAssertEqual(a.states.map(\.times), b.states.map(\.times), what)
        // Bit patterns, so that a NaN or -0 would not slip through.
        XCTAssertEqual(a.states.map { $0.values.map { $0.map(\.bitPattern) } }, b.states.map { $0.values.map { $0.map(\.bitPattern) } }, what)
        XCTAssertEqual(a.weights, b.weights, what)
    }

    func testStaticNetworkIsIdenticalForAnyRanksAndThreads() throws {
        let e = try Self.experiment()
        let one = try PointNetwork(e, threads: 1).run()
        XCTAssertGreaterThan(one.totalSpikes, 500, "the network must be active for the comparison to mean something")
        XCTAssertGreaterThan(one.states[0].times.count, 0)
        for mode in SpikeExchangeMode.allCases {
            for (ranks, threads) in [(1, 2), (2, 1), (2, 2), (3, 1)] {
                let r = try Self.run(e, ranks: ranks, threads: threads, mode: mode).get()
                Self.assertIdentical(one, r, "\(ranks) ranks x \(threads) threads, \(mode) exchange")
            }
        }
    }

    /// The targeted exchange sends a spike only where a target (or rank 0's recorder) is: with
    /// connections that stay inside each rank's half and nothing recorded, no spike crosses, and
    /// the results are still those of one process.
    func testTargetedExchangeSendsOnlyWhereTargetsAre() throws {
        let yaml = """
            resolution: 0.1 ms
            duration: 100 ms
            seed: 5
            populations:
              a: {model: iaf_psc_alpha, size: 50, params: {I_e: 400 pA}}
              b: {model: iaf_psc_alpha, size: 50, params: {I_e: 380 pA}}
            connections:
              - {source: a, target: a, rule: one_to_one, synapse: {weight: 30 pA, delay: 1 ms}}
              - {source: b, target: b, rule: one_to_one, synapse: {weight: 30 pA, delay: 1 ms}}
            record:
              - {type: multimeter, population: b, variables: [V_m], interval: 1 ms}
            """
        let local = try ExperimentFile.decode(try ExperimentSource(yaml, file: "local.yaml"))
        let one = try PointNetwork(local, threads: 1).run()
        XCTAssertGreaterThan(one.totalSpikes, 100)
        let targeted = Traffic(), gathered = Traffic()
        Self.assertIdentical(one, try Self.run(local, ranks: 2, threads: 1, mode: .targeted, traffic: targeted).get(), "targeted")
        Self.assertIdentical(one, try Self.run(local, ranks: 2, threads: 1, mode: .gather, traffic: gathered).get(), "gather")
        // Each rank receives, per 10-step epoch, a header from both ranks ((10 + 1) Int64s), and
        // the spikes: targeted, each spike once (its own rank delivers it); gathered, at both.
        let epochs = 100, headers = 2 * 2 * epochs * (10 + 1) * 8
        XCTAssertEqual(targeted.total, headers + 16 * one.totalSpikes, "spikes crossed ranks")
        XCTAssertEqual(gathered.total, headers + 2 * 16 * one.totalSpikes)
        // Recording b's spikes (on rank 1) sends them to rank 0 as well, and nothing else.
        let recordB = try ExperimentFile.decode(try ExperimentSource(yaml + "\n  - {type: spike_recorder, population: b}", file: "local.yaml"))
        let traffic = Traffic()
        let r = try Self.run(recordB, ranks: 2, threads: 1, mode: .targeted, traffic: traffic).get()
        let oneB = try PointNetwork(recordB, threads: 1).run()
        Self.assertIdentical(oneB, r, "b recorded on rank 0")
        let bSpikes = oneB.spikes[0].gids.count
        XCTAssertGreaterThan(bSpikes, 50)
        XCTAssertEqual(traffic.received[0], headers / 2 + 16 * oneB.totalSpikes, "rank 0: a's spikes and b's")
        XCTAssertEqual(traffic.received[1], headers / 2 + 16 * bSpikes, "rank 1: b's spikes")
    }

    func testSTDPIsIdenticalForAnyRanksAndThreads() throws {
        let e = try Self.experiment(stdp: true)
        let one = try PointNetwork(e, threads: 1).run()
        XCTAssertGreaterThan(one.weights.count, 1000)
        XCTAssertTrue(one.weights.contains { $0.weight != 20 }, "the weights must change")
        for (ranks, threads) in [(2, 1), (2, 2), (3, 1)] {
            let r = try Self.run(e, ranks: ranks, threads: threads).get()
            Self.assertIdentical(one, r, "STDP, \(ranks) ranks x \(threads) threads")
        }
    }

    /// More ranks than neurons: some ranks own none and still take part in every exchange.
    func testRanksWithoutNeurons() throws {
        let e = try ExperimentFile.decode(try ExperimentSource(String(contentsOf: Repo.examples.appendingPathComponent("single_neuron.yaml"), encoding: .utf8),
                                                               file: "single_neuron.yaml"))
        let one = try PointNetwork(e, threads: 1).run()
        XCTAssertGreaterThan(one.totalSpikes, 0)
        Self.assertIdentical(one, try Self.run(e, ranks: 3, threads: 2).get(), "3 ranks x 2 threads, one neuron")
    }

    /// A blow-up in a neuron of the last rank only: every rank stops after the same epoch and
    /// throws that rank's error (the neuron, variable and time), none hangs.
    func testBlowUpOnOneRankStopsAllWithItsError() throws {
        let yaml = """
            resolution: 0.1 ms
            duration: 50 ms
            populations:
              quiet: {model: iaf_psc_alpha, size: 6}
              blowup: {model: hh_psc_alpha, size: 1, params: {I_e: 1e9 pA}}
            """
        let e = try ExperimentFile.decode(try ExperimentSource(yaml, file: "blowup.yaml"))
        let single: PlexusError
        do { _ = try PointNetwork(e, threads: 1).run(); return XCTFail("no error") } catch let err as PlexusError { single = err }
        switch Self.run(e, ranks: 3, threads: 1) {
        case .success: XCTFail("the blow-up on rank 2 was not reported")
        case .failure(let err):
            XCTAssertEqual(err.message, single.message)
            XCTAssertTrue(err.message.contains("V_m of neuron gid 7"), err.message)
            XCTAssertEqual(err.keyPath, "populations.blowup")
        }
    }

    /// A drawn delay below the resolution for a target that one rank builds: the build fails on
    /// every rank with that error.
    func testBuildErrorOnOneRankIsEveryRanks() throws {
        let yaml = """
            resolution: 0.1 ms
            duration: 10 ms
            seed: 3
            populations:
              a: {model: iaf_psc_alpha, size: 20}
            connections:
              - {source: a, target: a, rule: fixed_indegree, indegree: 5, synapse: {weight: 1 pA, delay: {distribution: normal, mean: 0.3 ms, std: 0.1 ms}}}
            """
        let e = try ExperimentFile.decode(try ExperimentSource(yaml, file: "delays.yaml"))
        let single: PlexusError
        do { _ = try PointNetwork(e, threads: 1); return XCTFail("no error") } catch let err as PlexusError { single = err }
        switch Self.run(e, ranks: 2, threads: 2) {
        case .success: XCTFail("the bad delay was not reported")
        case .failure(let err):
            XCTAssertEqual(err.keyPath, single.keyPath)
            XCTAssertTrue(err.message.contains("rounds to"), err.message)
        }
    }

    /// Gap junctions over ranks: the waveform relaxation's iterations span the ranks (each
    /// iteration's polynomials and convergence, each interval's final V_m), so spikes, traces and
    /// the iterations per interval are one process's. A 0.5 ms synapse onto the last rank's
    /// neurons only makes that rank's interval shorter than the others': the run takes the
    /// shortest, as one process does. With use_wfr false the partners' V_m crosses every step.
    func testGapJunctionsAreIdenticalForAnyRanksAndThreads() throws {
        let text = try String(contentsOf: Repo.examples.appendingPathComponent("gap_junctions.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "duration: 100 ms", with: "duration: 60 ms")
            .replacingOccurrences(of: "connections:\n", with: "connections:\n  - {source: quiet, target: cluster, rule: fixed_indegree, indegree: 1, synapse: {weight: 30 pA, delay: 0.5 ms}}\n")
            .replacingOccurrences(of: "record:\n", with: "record:\n  - {type: multimeter, population: cluster, variables: [V_m], interval: 0.1 ms}\n")
        let base = try ExperimentFile.decode(try ExperimentSource(text, file: "gap_junctions.yaml"))
        XCTAssertEqual(base.connections.count, 4)
        XCTAssertEqual(base.recordings.count, 5)
        var noWFR = base
        noWFR.waveformRelaxation = WaveformRelaxation(useWFR: false)
        for (e, what) in [(base, "wfr"), (noWFR, "use_wfr false")] {
            let net = try PointNetwork(e, threads: 1)
            let sim = PointSimulation(net)
            try sim.advance(to: net.totalSteps)
            let one = sim.results(final: true)
            XCTAssertGreaterThan(one.totalSpikes, 20, what)
            let single = net.waveformRelaxationIterations
            XCTAssertEqual(single.isEmpty, what != "wfr", what)
            XCTAssertEqual(net.minDelay, what == "wfr" ? 5 : 1, "\(what): the interval is the 0.5 ms synapse's (or one step)")
            for (ranks, threads) in [(2, 1), (2, 2), (3, 1)] {
                let iterations = Iterations()
                Self.assertIdentical(one, try Self.run(e, ranks: ranks, threads: threads, iterations: iterations).get(), "\(what), \(ranks) ranks x \(threads) threads")
                for r in 0..<ranks { XCTAssertEqual(iterations.byRank[r], single, "\(what): WFR iterations of rank \(r) of \(ranks)") }
            }
        }
    }

    /// Structural plasticity over ranks: each rank grows its own neurons' elements; before every
    /// update the ranks share them, and every rank deletes and pairs alike, keeping the tables of
    /// its own targets. Spikes, and the recorded Ca, elements and synapse counts, are one
    /// process's, with either spike exchange (targeted routes include every neuron with a pre
    /// element: structural synapses appear during the run).
    func testStructuralPlasticityIsIdenticalForAnyRanksAndThreads() throws {
        let text = try String(contentsOf: Repo.examples.appendingPathComponent("structural_plasticity.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "duration: 10000 ms", with: "duration: 2000 ms")
        let e = try ExperimentFile.decode(try ExperimentSource(text, file: "structural_plasticity.yaml"))
        let net = try PointNetwork(e, threads: 1)
        let sim = PointSimulation(net)
        try sim.advance(to: net.totalSteps)
        let one = sim.results(final: true)
        let synapses = try XCTUnwrap(one.structural?.column("synapse_ex.E.E"))
        XCTAssertGreaterThan(synapses.last ?? 0, 50, "structural synapses should have grown")
        final class Box: @unchecked Sendable { var recording: StructuralRecording?; var results: PointResults?; let lock = NSLock() }
        for (ranks, threads, mode) in [(2, 1, SpikeExchangeMode.targeted), (2, 2, .gather), (3, 1, .targeted)] {
            let what = "\(ranks) ranks x \(threads) threads, \(mode)"
            let box = Box()
            InProcessRanks(size: ranks).run { comm in
                do {
                    let n = try PointNetwork.distributed(e, team: ThreadTeam(threads: threads), communicator: comm, exchange: mode)
                    let s = PointSimulation(n)
                    try s.advance(to: n.totalSteps)
                    let r = s.results(final: true)
                    if comm.rank == 0 { box.lock.lock(); box.recording = r.structural; box.results = r; box.lock.unlock() }
                } catch {
                    XCTFail("\(what): rank \(comm.rank) threw \(error)")
                }
            }
            Self.assertIdentical(one, try XCTUnwrap(box.results), what)
            let got = try XCTUnwrap(box.recording, what)
            XCTAssertEqual(got.columns, one.structural!.columns, what)
            XCTAssertEqual(got.times, one.structural!.times, what)
            XCTAssertEqual(got.values.map { $0.map(\.bitPattern) }, one.structural!.values.map { $0.map(\.bitPattern) }, what)
        }
    }

    /// Dopamine-modulated STDP over ranks: every rank keeps every volume transmitter, so the
    /// dopaminergic spikes go to every rank (targeted routes include them) and the triggers fall
    /// on one process's min delay. Spikes, traces and recorded weights are one process's.
    func testVolumeTransmittersAreIdenticalForAnyRanksAndThreads() throws {
        let e = try ExperimentFile.load(Repo.examples.appendingPathComponent("dopamine_stdp.yaml").path)
        let net = try PointNetwork(e, threads: 1)
        let sim = PointSimulation(net)
        try sim.advance(to: net.totalSteps)
        let one = sim.results(final: true)
        XCTAssertGreaterThan(one.weights.count, 100)
        XCTAssertGreaterThan(Set(one.weights.map(\.weight)).count, 10, "the dopamine synapses' weights should change")
        for (ranks, threads, mode) in [(2, 1, SpikeExchangeMode.targeted), (2, 2, .gather), (3, 1, .targeted)] {
            Self.assertIdentical(one, try Self.run(e, ranks: ranks, threads: threads, mode: mode).get(), "\(ranks) ranks x \(threads) threads, \(mode)")
        }
    }

    /// What does not run across ranks yet is refused with the feature and the key path: NEST's
    /// own random streams (drawn in its order of virtual processes).
    func testRefusedAcrossRanks() throws {
        var e = try Self.experiment(neurons: 40, duration: 10)
        e.randomStreams = .nest(virtualProcesses: 1)
        switch Self.run(e, ranks: 2, threads: 1) {
        case .success: XCTFail("random_streams: nest ran on 2 ranks")
        case .failure(let err):
            XCTAssertTrue(err.message.contains("random_streams: nest") && err.message.contains("2 ranks"), err.message)
            XCTAssertEqual(err.keyPath, "kernel.random_streams")
        }
    }

    /// The cable engine over ranks: a small busyring with probes, spikes, probe traces and CV
    /// snapshots identical to one process's for any ranks x threads (rank 0 returns them all).
    func testCableNetworkIsIdenticalForAnyRanksAndThreads() throws {
        let yaml = """
            engine: cable
            resolution: 0.025 ms
            duration: 40 ms
            cells:
              busyring:
                morphology: {generator: busyring, depth: 2}
                discretization: {every_segment: true}
                temperature: 6.3 degC
                defaults: {Ra: 100 ohm*cm, cm: 1 uF/cm2, V_init: -65 mV}
                paint:
                  - {region: soma, mechanism: hh}
                  - {region: "(join (tag 3) (tag 4))", mechanism: pas, params: {g: 0.001 S/cm2, e: -65 mV}}
                place:
                  - {locset: "(location 1 0)", synapse: expsyn, label: p_syn, params: {tau: 2 ms}}
                  - {locset: "(uniform (all) 0 49 gid)", synapse: expsyn, label: s_syn, params: {tau: 2 ms}}
                detectors:
                  - {locset: "(location 0 0)", threshold: 10 mV}
                probes: [{locset: "(location 0 0.5)", variable: v, interval: 0.5 ms, label: soma}]
            populations:
              ring: {cell: busyring, size: 21}
            connections:
              - {rule: ring, population: ring, group_size: 7, synapse: p_syn, weight: 0.01 uS, delay: 5 ms}
              - {rule: busyring_extra, population: ring, count: 50, synapse: s_syn, min_delay: 5 ms, weight: 0.0001 uS}
            generators:
              - {population: ring, every: 7, synapse: p_syn, weight: 0.01 uS, times: [1 ms]}
            """
        let desc = try CableExperimentFile.decode(try ExperimentSource(yaml, file: "ring.yaml"))
        let snaps = SnapshotRequest(times: [10, 30], gids: [0, 11, 20])
        let one = try CableNetwork(desc, threads: 1).run(snapshots: snaps)
        XCTAssertGreaterThan(one.spikes.count, 10)
        XCTAssertEqual(one.probes.count, 21)
        XCTAssertEqual(one.snapshots.count, 6)
        final class Box: @unchecked Sendable { var results: [Int: Result<CableResults, PlexusError>] = [:]; let lock = NSLock() }
        for (ranks, threads) in [(2, 1), (2, 2), (3, 2)] {
            let box = Box()
            InProcessRanks(size: ranks).run { comm in
                let r: Result<CableResults, PlexusError>
                do { r = .success(try CableNetwork.distributed(desc, threads: threads, communicator: comm).run(snapshots: snaps)) }
                catch let e as PlexusError { r = .failure(e) } catch { r = .failure(PlexusError("\(error)")) }
                box.lock.lock(); box.results[comm.rank] = r; box.lock.unlock()
            }
            let what = "\(ranks) ranks x \(threads) threads"
            let r = try box.results[0]!.get()
            XCTAssertEqual(r.spikes.map(\.gid), one.spikes.map(\.gid), what)
            XCTAssertEqual(r.spikes.map(\.time.bitPattern), one.spikes.map(\.time.bitPattern), what)
            XCTAssertEqual(r.probes.map(\.gid), one.probes.map(\.gid), what)
            XCTAssertEqual(r.probes.map { $0.values.map(\.bitPattern) }, one.probes.map { $0.values.map(\.bitPattern) }, what)
            XCTAssertEqual(r.probes.map(\.times), one.probes.map(\.times), what)
            XCTAssertEqual(r.snapshots.map(\.gid), one.snapshots.map(\.gid), what)
            XCTAssertEqual(r.snapshots.map { $0.voltage.map(\.bitPattern) }, one.snapshots.map { $0.voltage.map(\.bitPattern) }, what)
            XCTAssertEqual(r.events, one.events, what)
            for k in 1..<ranks { XCTAssertTrue(try box.results[k]!.get().probes.isEmpty, what) }
        }
        // A synapse label missing on cells that only rank 1 holds: every rank throws that error.
        var bad = desc
        bad.connections.append(.list([CableConnection(source: 0, detector: 0, target: 20, synapse: TargetRef("nope"), weight: 0.01, delay: 5)]))
        let box = Box()
        let badDesc = bad
        InProcessRanks(size: 2).run { comm in
            let r: Result<CableResults, PlexusError>
            do { r = .success(try CableNetwork.distributed(badDesc, threads: 1, communicator: comm).run()) }
            catch let e as PlexusError { r = .failure(e) } catch { r = .failure(PlexusError("\(error)")) }
            box.lock.lock(); box.results[comm.rank] = r; box.lock.unlock()
        }
        for k in 0..<2 {
            guard case .failure(let e) = box.results[k]! else { XCTFail("rank \(k) did not fail"); continue }
            XCTAssertTrue(e.message.contains("cell 20 has no synapse label 'nope'"), e.message)
            XCTAssertEqual(e.keyPath, "connections[2][0].synapse")
        }
    }

    /// A mass run on `ranks` ranks as threads: each rank's outcome.
    static func massRun(_ e: MassExperiment, _ c: Connectome, ranks: Int, threads: Int) -> [Result<MassResults, PlexusError>] {
        final class Box: @unchecked Sendable { var results: [Int: Result<MassResults, PlexusError>] = [:]; let lock = NSLock() }
        let box = Box()
        InProcessRanks(size: ranks).run { comm in
            let r: Result<MassResults, PlexusError>
            do { r = .success(try MassNetwork(e, connectome: c, threads: threads, communicator: comm).run()) }
            catch let err as PlexusError { r = .failure(err) } catch { r = .failure(PlexusError("\(error)")) }
            box.lock.lock(); box.results[comm.rank] = r; box.lock.unlock()
        }
        return (0..<ranks).map { box.results[$0]! }
    }

    static func assertIdentical(_ a: MassResults, _ b: MassResults, _ what: String) {
        XCTAssertEqual(a.monitors.count, b.monitors.count, what)
        for (x, y) in zip(a.monitors, b.monitors) {
            XCTAssertEqual(x.times, y.times, "\(x.description.kind) \(what)")
            XCTAssertEqual(x.regions, y.regions, what)
            XCTAssertEqual(x.values.count, y.values.count, what)
            // The first difference, not two arrays of thousands of numbers.
            if let k = x.values.indices.first(where: { $0 < y.values.count && x.values[$0].bitPattern != y.values[$0].bitPattern }) {
                XCTFail("\(x.description.kind) differs on \(what) at value \(k): \(x.values[k]) vs \(y.values[k])")
            }
        }
    }

    /// The mass engine over ranks: each rank integrates its regions and the ranks exchange their
    /// coupled states where the threads meet. A connectome with short delays between regions of
    /// different ranks (exchanges every few steps), self-links, coloured multiplicative noise, a
    /// stimulus and monitors of every kind that reads the whole network at the end (BOLD,
    /// spatial and global averages, afferent coupling, raw): identical bits for any ranks x threads.
    func testMassRunIsIdenticalForAnyRanksAndThreads() throws {
        let n = 20
        var c = try Connectome.synthetic(regions: n, density: 0.4, seed: 9, meanInStrength: 2)
        for i in stride(from: 0, to: n, by: 4) { c.weights[i * n + i] = 0.3 }
        for q in 0..<(n * n) { c.tractLengths[q] *= 0.05 }
        var e = MassExperiment(connectivity: .given(c), speed: 3, model: MassModelDescription(name: "Generic2dOscillator", params: ["a": -0.5]),
                               coupling: CouplingDescription(name: "Linear", params: ["a": 0.02]),
                               integrator: IntegratorDescription(scheme: .heun, stochastic: true, dt: 0.1, nsig: [2e-3, 1e-3]),
                               duration: 600,
                               monitors: [MonitorDescription(.raw), MonitorDescription(.temporalAverage, period: 2),
                                          MonitorDescription(.bold, period: 100), MonitorDescription(.spatialAverage, period: 1),
                                          MonitorDescription(.globalAverage, period: 1), MonitorDescription(.afferentCoupling)], seed: 4)
        e.integrator.noise = .multiplicative(a: 0.5, b: 1)
        e.integrator.ntau = 2
        e.stimuli = [StimulusDescription(.equation("PulseTrain", ["onset": 50, "T": 100, "tau": 10, "amp": 0.5]),
                                         weights: (0..<n).map { $0 % 7 == 0 ? 1 : 0 })]
        XCTAssertLessThan(try MassNetwork(e, connectome: c, threads: 3).barrierInterval, 16, "the case should have delays shorter than a block between parts")
        let one = try MassNetwork(e, connectome: c, threads: 1).run()
        XCTAssertGreaterThan(one.monitors[0].values.count, 1000)
        for (ranks, threads) in [(1, 2), (2, 1), (2, 2), (3, 1), (3, 2)] {
            let outcomes = Self.massRun(e, c, ranks: ranks, threads: threads)
            Self.assertIdentical(one, try outcomes[0].get(), "\(ranks) ranks x \(threads) threads")
        }
        // connectivity_76 with TVB's Epileptor example (noise, stimulus, EEG and MEG projections).
        guard ConnectomeZip.tvbDataDirectory() != nil else { throw XCTSkip("tvb-data missing: pip install tvb-data==3.0.0 for the 76-region case") }
        let file = Repo.examples.appendingPathComponent("tvb76_epileptor_eeg.yaml").path
        var epileptor = try MassExperimentFile.decode(try ExperimentSource(contentsOf: file))
        epileptor.duration = 400
        let c76 = try ConnectomeZip.load(epileptor.connectivity, baseDirectory: Repo.examples.path)
        try SensorFileReader.resolve(&epileptor, connectome: c76)
        let single = try MassNetwork(epileptor, connectome: c76, threads: 1).run()
        XCTAssertEqual(single.monitors.map(\.regions), [76, 65, 276])   // regions, EEG and MEG sensors
        for (ranks, threads) in [(2, 1), (2, 2), (3, 1)] {
            Self.assertIdentical(single, try Self.massRun(epileptor, c76, ranks: ranks, threads: threads)[0].get(), "76 regions, \(ranks) ranks x \(threads) threads")
        }
    }

    /// A mass run that blows up in a region of the last rank: every rank stops at the same
    /// exchange and throws one process's error (step, region, variable); refusals name why.
    func testMassBlowUpAndRefusalsAcrossRanks() throws {
        let n = 9
        let c = try Connectome.synthetic(regions: n, density: 0.5, seed: 2, meanInStrength: 1)
        var e = MassExperiment(connectivity: .given(c), speed: 3, model: MassModelDescription(name: "Generic2dOscillator", lists: ["I": (0..<n).map { $0 == 8 ? 1e200 : 0 }]),
                               coupling: CouplingDescription(name: "Linear", params: ["a": 0.01]),
                               integrator: IntegratorDescription(scheme: .heun, dt: 0.1), duration: 50, monitors: [MonitorDescription(.raw)], seed: 1)
        let single: PlexusError
        do { _ = try MassNetwork(e, connectome: c, threads: 1).run(); return XCTFail("no blow-up") } catch let err as PlexusError { single = err }
        XCTAssertTrue(single.message.contains("region 8"), single.message)
        for outcome in Self.massRun(e, c, ranks: 3, threads: 1) {
            guard case .failure(let err) = outcome else { XCTFail("a rank did not report the blow-up"); continue }
            XCTAssertEqual(err.message, single.message)
            XCTAssertEqual(err.keyPath, "integrator.dt")
        }
        e.model = MassModelDescription(name: "Generic2dOscillator")
        var f32 = e
        f32.precision = .float32
        var numpy = e
        numpy.integrator.stochastic = true
        numpy.integrator.numpySeed = 42
        for (x, path) in [(f32, "precision"), (numpy, "integrator.noise.numpy_seed")] {
            guard case .failure(let err) = Self.massRun(x, c, ranks: 2, threads: 1)[1] else { XCTFail("\(path) ran on 2 ranks"); continue }
            XCTAssertEqual(err.keyPath, path, err.message)
            XCTAssertTrue(err.message.contains("one process"), err.message)
        }
        guard case .failure(let err) = Self.massRun(e, c, ranks: 10, threads: 1)[0] else { return XCTFail("9 regions ran on 10 ranks") }
        XCTAssertTrue(err.message.contains("9 regions cannot be split over 10 ranks"), err.message)
    }

    /// The ranks' gather itself: counts, order and the failure flag, for an epoch of several
    /// steps where some parts emit nothing.
    func testRankSpikeExchangeOrdersPartsAndSteps() {
        let group = InProcessRanks(size: 3)
        let lists = ListBox()
        group.run { comm in
            let team = ThreadTeam(threads: 2)
            let exchange = RankSpikeExchange<Spike>(team: team, communicator: comm)
            team.run { t in
                let part = comm.rank * 2 + t
                // Part p emits p spikes in step 1 and one in step 2 when p is even.
                var spikes: [Spike] = []
                var offsets = [0, 0]
                for _ in 0..<part { spikes.append(Spike(gid: UInt32(100 * part + spikes.count))) }
                offsets.append(spikes.count)
                if part % 2 == 0 { spikes.append(Spike(gid: UInt32(100 * part + 99))) }
                offsets.append(spikes.count)
                spikes.withUnsafeBufferPointer { s in
                    offsets.withUnsafeBufferPointer { o in
                        exchange.publish(part: t, epoch: 4, steps: 3, spikes: s.baseAddress ?? UnsafePointer(bitPattern: 8)!, stepOffsets: o.baseAddress!)
                        let failed = exchange.exchange(part: t, epoch: 4, failed: part == 5)
                        var got: [[UInt32]] = []
                        for p in 0..<exchange.parts { for k in 0..<3 { got.append(exchange.spikes(of: p, step: k, epoch: 4).map(\.gid)) } }
                        lists.set(part, got, failed)
                    }
                }
            }
        }
        var expected: [[UInt32]] = []
        for p in 0..<6 {
            expected.append([])
            expected.append((0..<p).map { UInt32(100 * p + $0) })
            expected.append(p % 2 == 0 ? [UInt32(100 * p + 99)] : [])
        }
        for part in 0..<6 {
            XCTAssertEqual(lists.got[part], expected, "part \(part)")
            XCTAssertEqual(lists.failed[part], true, "part \(part) must learn that part 5 failed")
        }
    }

    final class ListBox: @unchecked Sendable {
        var got = [[[UInt32]]](repeating: [], count: 6)
        var failed = [Bool](repeating: false, count: 6)
        let lock = NSLock()
        func set(_ p: Int, _ g: [[UInt32]], _ f: Bool) { lock.lock(); got[p] = g; failed[p] = f; lock.unlock() }
    }
}

/// The real launch: `mpirun -np N plexus run` writes the same data files as one process, for
/// ranks x threads 2x1, 2x2 (the gather) and 3x1 (Open MPI's shared-memory transport between
/// processes), and between two network namespaces over TCP.
final class MPIRunTests: XCTestCase {
    static func mpirun() throws -> URL {
        for dir in ["/usr/bin", "/usr/local/bin"] {
            let p = URL(fileURLWithPath: dir).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: p.path) { return p }
        }
        throw XCTSkip("mpirun is not installed (scripts/bootstrap installs openmpi-bin)")
    }

    /// mpirun's arguments: as root Open MPI wants its consent; more ranks than cores need
    /// --oversubscribe.
    static func launch(_ ranks: Int, _ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1)
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1)
        return try CLI.run(try mpirun(), ["--oversubscribe", "-np", String(ranks), try CLI.plexus().path] + args, timeout: 300)
    }

    /// Runs `file` as one process, then under mpirun at each (ranks, threads): every file of
    /// `files` must be byte-identical to one process's (and at least `minBytes` long). The run
    /// folders, by layout.
    @discardableResult
    static func assertSameFilesUnderMPI(_ file: String, in dir: TemporaryFolder, name: String, layouts: [(Int, Int)], files: [String],
                                        minBytes: Int = 1000) throws -> [String] {
        let one = try CLI.plexus(["run", file, "--out", dir.path("\(name)/one"), "--no-report", "--quiet"])
        XCTAssertEqual(one.status, 0, one.stderr)
        var folders: [String] = []
        for (ranks, threads) in layouts {
            let out = dir.path("\(name)/r\(ranks)t\(threads)")
            folders.append(out)
            let r = try launch(ranks, ["run", file, "--out", out, "--threads", String(threads), "--no-report", "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            for f in files {
                let a = try Data(contentsOf: dir.file("\(name)/one/\(f)"))
                XCTAssertGreaterThan(a.count, minBytes, "\(name): \(f)")
                XCTAssertEqual(a, try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(f)")), "\(name): \(f) differs on \(ranks) ranks x \(threads) threads")
            }
        }
        return folders
    }

    func testDataFilesAreByteIdenticalToOneProcess() throws {
        _ = try Self.mpirun()
        let dir = temporaryFolder("plexus-mpi")
        let yaml = """
            resolution: 0.1 ms
            duration: 100 ms
            seed: 11
            populations:
              E: {model: iaf_psc_alpha, size: 800}
              I: {model: iaf_psc_alpha, size: 200}
              drive: {model: poisson_generator, params: {rate: 9000 Hz}}
            connections:
              - {source: drive, target: E, synapse: {weight: 12 pA, delay: 1 ms}}
              - {source: drive, target: I, synapse: {weight: 12 pA, delay: 1 ms}}
              - {source: E, target: E, rule: fixed_indegree, indegree: 80, synapse: {model: stdp_synapse, weight: 20 pA, delay: 1.5 ms, Wmax: 60, record_weights: true}}
              - {source: E, target: I, rule: fixed_indegree, indegree: 80, synapse: {weight: 20 pA, delay: {distribution: uniform, min: 1 ms, max: 2 ms}}}
              - {source: I, target: E, rule: fixed_indegree, indegree: 20, synapse: {weight: -80 pA, delay: 1.5 ms}}
              - {source: I, target: I, rule: fixed_indegree, indegree: 20, synapse: {weight: -80 pA, delay: 1.5 ms}}
            record:
              - {type: spike_recorder, population: E}
              - {type: spike_recorder, population: I}
              - {type: multimeter, population: I, variables: [V_m], interval: 1 ms}
            """
        let file = dir.write("net.yaml", yaml)
        let one = try CLI.plexus(["run", file, "--out", dir.path("one"), "--no-report", "--quiet"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let files = ["spikes.csv", "multimeter_I.csv", "weights.csv"]
        for f in files {
            let size = (try? FileManager.default.attributesOfItem(atPath: dir.path("one/\(f)"))[.size] as? Int) ?? 0
            XCTAssertGreaterThan(size, 1000, "\(f) of one process is nearly empty")
        }
        for (ranks, threads, mode) in [(2, 1, "targeted"), (2, 2, "gather"), (3, 1, "targeted")] {
            let out = dir.path("r\(ranks)t\(threads)")
            let r = try Self.launch(ranks, ["run", file, "--out", out, "--threads", String(threads), "--no-report", "--quiet",
                                            "--spike-exchange", mode])
            XCTAssertEqual(r.status, 0, r.stderr)
            for f in files {
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.path("one/\(f)"))), try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(f)")),
                               "\(f) differs on \(ranks) ranks x \(threads) threads")
            }
            let record = try RunRecord(json: String(contentsOfFile: "\(out)/provenance.json", encoding: .utf8), file: "provenance.json")
            XCTAssertEqual(record.ranks, ranks)
            XCTAssertEqual(record.threads, threads)
            XCTAssertEqual(record.spikeExchange, mode)
        }
    }

    /// Arbor's busyring under mpirun: the cable engine's files (spikes, CV voltages) match one
    /// process's byte for byte at 2x2 and 3x1.
    func testBusyringIsByteIdenticalToOneProcess() throws {
        _ = try Self.mpirun()
        let dir = temporaryFolder("plexus-mpi-ring")
        let text = try String(contentsOf: Repo.examples.appendingPathComponent("busyring.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "duration: 100 ms", with: "duration: 30 ms")
            .replacingOccurrences(of: "ring: {cell: busyring, size: 64}", with: "ring: {cell: busyring, size: 30}")
        let file = dir.write("ring.yaml", text)
        try Self.assertSameFilesUnderMPI(file, in: dir, name: "ring", layouts: [(2, 2), (3, 1)], files: ["spikes.csv", "cv_voltage.csv"], minBytes: 200)
    }

    /// `mpirun -np 3 plexus sweep`: the points spread over the ranks, rank 0 writes the same
    /// sweep.csv as one process (every column but the seconds each point took).
    func testSweepOverRanksWritesTheSameTable() throws {
        _ = try Self.mpirun()
        let dir = temporaryFolder("plexus-mpi-sweep")
        let file = dir.write("sweep.yaml", """
            engine: mass
            connectivity: {synthetic: {regions: 12, density: 0.4, seed: 3}}
            speed: 3.0 mm/ms
            model: {name: Generic2dOscillator, params: {a: -0.5}}
            coupling: {name: Linear, params: {a: 0.0152}}
            integrator: {name: HeunStochastic, dt: 0.1 ms, noise: {nsig: 1e-4}}
            duration: 300 ms
            monitors:
              - {type: temporal_average, period: 1 ms}
            fc: {monitor: 0, discard: 50 ms}
            sweep:
              coupling.a: {from: 0.002, to: 0.03, count: 4}
              speed: [2, 4, 8]
            """)
        func table(_ path: String) throws -> [String] {
            // Drop the seconds column (the second last).
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
                var cols = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                cols.remove(at: cols.count - 2)
                return cols.joined(separator: ",")
            }
        }
        let one = try CLI.plexus(["sweep", file, "--out", dir.path("one"), "--threads", "1", "--no-report", "--quiet"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let r = try Self.launch(3, ["sweep", file, "--out", dir.path("three"), "--threads", "1", "--no-report", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let a = try table(dir.path("one/sweep.csv")), b = try table(dir.path("three/sweep.csv"))
        XCTAssertEqual(a.count, 13)
        XCTAssertEqual(a, b)
        let record = try RunRecord(json: String(contentsOfFile: dir.path("three/provenance.json"), encoding: .utf8), file: "provenance.json")
        XCTAssertEqual(record.ranks, 3)
    }

    /// An error is printed once (by rank 0), with its line and key path, and every rank exits 1;
    /// a command or engine that does not run across ranks says so, once.
    func testErrorsUnderMPI() throws {
        _ = try Self.mpirun()
        let dir = temporaryFolder("plexus-mpi-err")
        let file = dir.write("bad.yaml", """
            resolution: 0.1 ms
            duration: 20 ms
            populations:
              a: {model: iaf_psc_alpha, size: 10, params: {tau_mm: 3 ms}}
            """)
        let r = try Self.launch(2, ["run", file, "--out", dir.path("out")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.stderr.components(separatedBy: "unknown parameter 'tau_mm'").count - 1, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("bad.yaml:4 (populations.a.params.tau_mm)"), r.stderr)
        let cable = try Self.launch(2, ["run", Repo.examples.appendingPathComponent("ball_and_stick.yaml").path, "--out", dir.path("cable")])
        XCTAssertNotEqual(cable.status, 0)
        XCTAssertEqual(cable.stderr.components(separatedBy: "1 cell cannot be split over 2 ranks").count - 1, 1, cable.stderr)
        let mass = try Self.launch(2, ["run", dir.write("mass.yaml", """
            engine: mass
            connectivity: {synthetic: {regions: 4, density: 0.5, seed: 3}}
            model: {name: Generic2dOscillator, params: {I: [0, 0, 0, 1e200]}}
            coupling: {name: Linear}
            integrator: {name: HeunDeterministic, dt: 0.1 ms}
            duration: 10 ms
            monitors: [{type: raw}]
            """), "--out", dir.path("mass")])
        XCTAssertNotEqual(mass.status, 0)
        XCTAssertEqual(mass.stderr.components(separatedBy: "the integration became unstable").count - 1, 1, mass.stderr)
        XCTAssertTrue(mass.stderr.contains("region 3"), mass.stderr)
    }

    /// NEST's gap-junction example under mpirun (waveform relaxation across ranks): spikes and
    /// traces are one process's, byte for byte.
    /// And structural plasticity (its example, shortened): spikes and structural.csv.
    func testGapJunctionsAndStructuralPlasticityAreByteIdenticalToOneProcess() throws {
        _ = try Self.mpirun()
        let dir = temporaryFolder("plexus-mpi-gap")
        let gap = Repo.examples.appendingPathComponent("gap_junctions.yaml").path
        let sp = dir.write("sp.yaml", try String(contentsOf: Repo.examples.appendingPathComponent("structural_plasticity.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "duration: 10000 ms", with: "duration: 2000 ms"))
        for (file, name, files) in [(gap, "gap", ["spikes.csv", "multimeter_quiet.csv"]), (sp, "sp", ["spikes.csv", "structural.csv"])] {
            try Self.assertSameFilesUnderMPI(file, in: dir, name: name, layouts: [(2, 2), (3, 1)], files: files)
        }
    }

    /// `mpirun -np 2 plexus fit`: the ranks share each generation; evaluations.csv and best.yaml
    /// are one process's. A fit file with an error fails once, on every rank, printed once.
    func testFitUnderMPI() throws {
        _ = try Self.mpirun()
        let dir = temporaryFolder("plexus-mpi-fit")
        let file = try FitTests.smallFit(in: dir, optimizer: "{name: cmaes, population: 5, generations: 3}")
        let one = try CLI.plexus(["fit", file, "--out", dir.path("one"), "--no-report", "--quiet"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let r = try Self.launch(2, ["fit", file, "--out", dir.path("two"), "--no-report", "--quiet", "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for f in ["evaluations.csv", "best.yaml", "best_fc.csv"] {
            let a = try Data(contentsOf: dir.file("one/\(f)"))
            XCTAssertGreaterThan(a.count, 100, f)
            XCTAssertEqual(a, try Data(contentsOf: dir.file("two/\(f)")), "\(f) differs on 2 ranks")
        }
        let record = try RunRecord(json: String(contentsOfFile: dir.path("two/provenance.json"), encoding: .utf8), file: "provenance.json")
        XCTAssertEqual(record.ranks, 2)
        let bad = dir.write("bad.yaml", try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "model.a:", with: "model.aa:"))
        let failed = try Self.launch(2, ["fit", bad, "--out", dir.path("bad")])
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertEqual(failed.stderr.components(separatedBy: "no parameter 'aa'").count - 1, 1, failed.stderr)
    }

    /// TVB's Epileptor example on connectivity_76 (noise, a stimulus, EEG and MEG) under mpirun:
    /// every data file is one process's, byte for byte.
    func testMassRunIsByteIdenticalToOneProcess() throws {
        _ = try Self.mpirun()
        guard let tvbData = ConnectomeZip.tvbDataDirectory() else { throw XCTSkip("tvb-data missing: pip install tvb-data==3.0.0") }
        // The folder this process found, for the ranks too (whatever python3 mpirun's ranks see).
        setenv("PLEXUS_TVB_DATA", tvbData, 1)
        defer { unsetenv("PLEXUS_TVB_DATA") }
        let dir = temporaryFolder("plexus-mpi-mass")
        let text = try String(contentsOf: Repo.examples.appendingPathComponent("tvb76_epileptor_eeg.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "duration: 4000 ms", with: "duration: 500 ms")
        let file = dir.write("epileptor.yaml", text)
        let layouts = [(2, 1), (2, 2), (3, 1)]
        let folders = try Self.assertSameFilesUnderMPI(file, in: dir, name: "epileptor", layouts: layouts, files: ["tavg.csv", "eeg.csv", "meg.csv"],
                                                       minBytes: 10_000)
        for ((ranks, _), out) in zip(layouts, folders) {
            let record = try RunRecord(json: String(contentsOfFile: "\(out)/provenance.json", encoding: .utf8), file: "provenance.json")
            XCTAssertEqual(record.ranks, ranks)
            XCTAssertGreaterThan(record.counts.first { $0.name == "exchange_epochs" }?.value ?? 0, 0)
        }
    }

    /// Two ranks on two "hosts": network namespaces made here, joined by a veth pair with
    /// addresses of their own, so that the ranks (and Open MPI's daemons) can talk only over TCP
    /// between two network stacks, as two nodes do. mpirun runs in the first namespace and starts
    /// the second rank through a launch agent that enters the second one (where ssh would log in
    /// to another node). Skipped, saying what is missing, where namespaces cannot be made.
    func testTwoRanksInTwoNetworkNamespacesOverTCP() throws {
        let mpirun = try Self.mpirun()
        let plexus = try CLI.plexus()
        guard getuid() == 0 else { throw XCTSkip("making network namespaces needs root") }
        let ip = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip")
        guard FileManager.default.isExecutableFile(atPath: ip.path) else { throw XCTSkip("the ip command (iproute2) is not installed") }
        let tag = String(getpid() % 100000)
        let (nsA, nsB, vA, vB) = ("plx\(tag)a", "plx\(tag)b", "plxv\(tag)a", "plxv\(tag)b")
        func sh(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) { try CLI.run(ip, args, timeout: 30) }
        let made = try sh(["netns", "add", nsA])
        guard made.status == 0 else { throw XCTSkip("network namespaces cannot be made here: \(made.stderr)") }
        addTeardownBlock {
            _ = try? CLI.run(ip, ["netns", "del", nsA], timeout: 30)
            _ = try? CLI.run(ip, ["netns", "del", nsB], timeout: 30)
        }
        for args in [["netns", "add", nsB], ["link", "add", vA, "type", "veth", "peer", "name", vB],
                     ["link", "set", vA, "netns", nsA], ["link", "set", vB, "netns", nsB],
                     ["netns", "exec", nsA, "ip", "addr", "add", "10.213.0.1/24", "dev", vA],
                     ["netns", "exec", nsB, "ip", "addr", "add", "10.213.0.2/24", "dev", vB],
                     ["netns", "exec", nsA, "ip", "link", "set", vA, "up"], ["netns", "exec", nsB, "ip", "link", "set", vB, "up"],
                     ["netns", "exec", nsA, "ip", "link", "set", "lo", "up"], ["netns", "exec", nsB, "ip", "link", "set", "lo", "up"]] {
            let r = try sh(args)
            guard r.status == 0 else { throw XCTSkip("setting up the namespaces failed at `ip \(args.joined(separator: " "))`: \(r.stderr)") }
        }
        let dir = temporaryFolder("plexus-netns")
        // Open MPI's launch agent gets "[options] host command": run the command in that host's namespace.
        let agent = dir.write("agent.sh", """
            #!/bin/sh
            while [ "${1#-}" != "$1" ]; do shift; done
            host="$1"; shift
            case "$host" in 10.213.0.1) ns=\(nsA);; 10.213.0.2) ns=\(nsB);; *) echo "unknown host $host" >&2; exit 1;; esac
            exec \(ip.path) netns exec "$ns" sh -c "$*"
            """)
        chmod(agent, 0o755)
        let hosts = dir.write("hosts", "10.213.0.1 slots=1\n10.213.0.2 slots=1\n")
        let file = dir.write("net.yaml", """
            resolution: 0.1 ms
            duration: 100 ms
            seed: 4
            populations:
              E: {model: iaf_psc_alpha, size: 400}
              drive: {model: poisson_generator, params: {rate: 9000 Hz}}
            connections:
              - {source: drive, target: E, synapse: {weight: 12 pA, delay: 1 ms}}
              - {source: E, target: E, rule: fixed_indegree, indegree: 40, synapse: {weight: 15 pA, delay: 1.5 ms}}
            record:
              - {type: spike_recorder, population: E}
            """)
        let one = try CLI.plexus(["run", file, "--out", dir.path("one"), "--no-report", "--quiet"])
        XCTAssertEqual(one.status, 0, one.stderr)
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1)
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1)
        // TCP only, on the veth addresses: no shared memory between the "hosts".
        let r = try CLI.run(ip, ["netns", "exec", nsA, mpirun.path, "--hostfile", hosts, "-np", "2",
                                 "--mca", "plm_rsh_agent", agent, "--mca", "oob_tcp_if_include", "10.213.0.0/24",
                                 "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "10.213.0.0/24",
                                 plexus.path, "run", file, "--out", dir.path("two"), "--no-report", "--quiet"], timeout: 120)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let spikes = try Data(contentsOf: dir.file("one/spikes.csv"))
        XCTAssertGreaterThan(spikes.count, 1000)
        XCTAssertEqual(spikes, try Data(contentsOf: dir.file("two/spikes.csv")), "two ranks over TCP wrote other spikes")
        let record = try RunRecord(json: String(contentsOfFile: dir.path("two/provenance.json"), encoding: .utf8), file: "provenance.json")
        XCTAssertEqual(record.ranks, 2)
    }
}
