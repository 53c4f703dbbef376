import XCTest
@testable import Plexus

/// The Brunel (2000) network of NEST's brunel_delta example, full size (12,500 neurons, 15.6
/// million synapses), against NEST 3.10's statistics: mean rate within 5 %, CV(ISI) within 0.03,
/// and the oscillation at the same frequency. Spike trains cannot be compared one to one (NEST's
/// own differ between thread counts).
final class BrunelValidationTests: XCTestCase {
    struct Stats { var rateE, rateI, cvE, cvI, peak, centroid: Double }

    func simulate(vReset: Double, g: Double, eta: Double) throws -> Stats {
        var exp = try ExperimentFile.load(Repo.file("examples/brunel_delta.yaml").path)
        for k in exp.populations.indices where exp.populations[k].model == "iaf_psc_delta" {
            exp.populations[k].params["V_reset"] = .number(vReset, "mV")
        }
        for k in exp.connections.indices where exp.connections[k].source == "I" {
            exp.connections[k].synapse.weight = .constant(Quantity(-g * 0.1, "mV"))
        }
        for k in exp.populations.indices where exp.populations[k].model == "poisson_generator" {
            exp.populations[k].params["rate"] = .number(eta * 10000, "Hz")   // eta * nu_th * CE, nu_th = 0.01/ms
        }
        let res = try PointNetwork(exp, threads: 2).run()
        let e = res.spikes.first { $0.population == "E" }!, i = res.spikes.first { $0.population == "I" }!
        let all = SpikeAnalysis.histogram(times: e.times + i.times, width: 1, until: 1000)
        let spec = SpikeAnalysis.powerSpectrum(Array(all[100...]).map { $0 / 12.5 }, dt: 1)
        let (peak, centroid) = SpikeAnalysis.spectralPeak(spec, fmin: 10, sigma: 15)
        return Stats(rateE: SpikeAnalysis.meanRate(times: e.times, neurons: 10000, from: 100, to: 1000),
                     rateI: SpikeAnalysis.meanRate(times: i.times, neurons: 2500, from: 100, to: 1000),
                     cvE: SpikeAnalysis.meanCV(gids: e.gids, times: e.times, from: 100),
                     cvI: SpikeAnalysis.meanCV(gids: i.gids, times: i.times, from: 100),
                     peak: peak, centroid: centroid)
    }

    /// NEST's spectral figures from its population-rate files (same analysis as ours).
    func nestSpectrum(_ tag: String) throws -> (peak: Double, centroid: Double) {
        let rate = try Reference.csv("nest/brunel_rate_\(tag).csv")
        let pop = zip(rate["rate_E_hz"]!, rate["rate_I_hz"]!).map { (4 * $0 + $1) / 5 }
        return SpikeAnalysis.spectralPeak(SpikeAnalysis.powerSpectrum(Array(pop[100...]), dt: 1), fmin: 10, sigma: 15)
    }

    /// NEST's figures for the runs `tags`: its summary entries and spectra. Read before simulating,
    /// so that missing reference files skip the test at once.
    struct NESTRuns { var runs: [[String: Any]]; var spectra: [(peak: Double, centroid: Double)] }

    func nestRuns(_ tags: [String]) throws -> NESTRuns {
        let summary = try Reference.json("nest/brunel_summary.json")["runs"] as! [[String: Any]]
        return NESTRuns(runs: summary.filter { tags.contains($0["tag"] as! String) }, spectra: try tags.map(nestSpectrum))
    }

    func check(_ mine: Stats, _ reference: NESTRuns, tags: [String], cvTolerance: Double = 0.03, file: StaticString = #filePath, line: UInt = #line) {
        let runs = reference.runs
        XCTAssertEqual(runs.count, tags.count)
        let rateE = runs.map { $0["rate_E_hz_100_1000"] as! Double }.reduce(0, +) / Double(runs.count)
        let rateI = runs.map { $0["rate_I_hz_100_1000"] as! Double }.reduce(0, +) / Double(runs.count)
        let cvE = runs.map { $0["cv_isi_E_100_1000"] as! Double }.reduce(0, +) / Double(runs.count)
        let cvI = runs.map { $0["cv_isi_I_100_1000"] as! Double }.reduce(0, +) / Double(runs.count)
        let nestCentroid = reference.spectra.map(\.centroid)
        print("Brunel \(tags): rate E/I \(mine.rateE)/\(mine.rateI) Hz vs NEST \(rateE)/\(rateI); CV E/I \(mine.cvE)/\(mine.cvI) vs \(cvE)/\(cvI); smoothed peak \(mine.peak) Hz, centroid \(mine.centroid) Hz vs NEST \(nestCentroid)")
        XCTAssertEqual(mine.rateE, rateE, accuracy: 0.05 * rateE, "E rate", file: file, line: line)
        XCTAssertEqual(mine.rateI, rateI, accuracy: 0.05 * rateI, "I rate", file: file, line: line)
        XCTAssertEqual(mine.cvE, cvE, accuracy: cvTolerance, "E CV(ISI)", file: file, line: line)
        XCTAssertEqual(mine.cvI, cvI, accuracy: cvTolerance, "I CV(ISI)", file: file, line: line)
        // The smoothed peak must lie within NEST's own run-to-run spread, widened by the smoothing
        // width; the centroid within 5 % of NEST's.
        let nest = reference.spectra
        let lo = nest.map(\.peak).min()! - 15, hi = nest.map(\.peak).max()! + 15
        XCTAssert(mine.peak >= lo && mine.peak <= hi, "spectral peak \(mine.peak) Hz outside NEST's \(lo)...\(hi) Hz", file: file, line: line)
        let c = nest.map(\.centroid).reduce(0, +) / Double(nest.count)
        XCTAssertEqual(mine.centroid, c, accuracy: 0.05 * c, "spectral centroid", file: file, line: line)
    }

    func testNESTExamplePoint() throws {
        let tags = ["NE10000_t1", "NE10000_t2"]
        let nest = try nestRuns(tags)
        let s = try simulate(vReset: 0, g: 5, eta: 2)
        check(s, nest, tags: tags)
    }

    /// Brunel's Fig. 8B parameters (g = 6, eta = 4, V_reset = 10 mV): another regime, 58 Hz, CV 0.8.
    /// Its population bursts (Fano factor ~500) make CV(ISI) a noisy single-run figure: Plexus
    /// gives 0.74, 0.71, 0.81 for seeds 1, 2, 3 (rates 58.3, 58.2, 59.2 Hz), and NEST's file is
    /// one run; the CV check here is one run-to-run spread (0.1), the rate check stays at 5 %.
    func testBurstingRegime() throws {
        let tags = ["NE10000_t2_g6_eta4_Vreset10"]
        let nest = try nestRuns(tags)
        let s = try simulate(vReset: 10, g: 6, eta: 4)
        check(s, nest, tags: tags, cvTolerance: 0.1)
    }
}
