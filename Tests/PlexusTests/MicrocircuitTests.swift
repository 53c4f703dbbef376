import XCTest
@testable import Plexus

/// The Potjans & Diesmann (2014) microcircuit at scale 0.1 (examples/microcircuit.yaml, 7717
/// neurons, 3 million synapses): per-population mean rates over 500..1500 ms within 10 % of
/// NEST 3.10's (0.3 Hz for the populations below 3 Hz, where 10 % is under one run-to-run spread).
final class MicrocircuitTests: XCTestCase {
    func testRatesMatchNEST() throws {
        let reference = try Reference.json("nest/microcircuit_rates.json")
        let runs = reference["runs"] as! [[String: Any]]
        let exp = try ExperimentFile.load(Repo.file("examples/microcircuit.yaml").path)
        let res = try PointNetwork(exp, threads: 2).run()
        for pop in ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"] {
            let size = exp.populations.first { $0.name == pop }!.size
            let times = res.spikes.first { $0.population == pop }!.times
            let mine = SpikeAnalysis.meanRate(times: times, neurons: size, from: 500, to: 1500)
            let nest = runs.map { (($0["populations"] as! [String: Any])[pop] as! [String: Any])["mean_rate_hz"] as! Double }
            let ref = nest.reduce(0, +) / Double(nest.count)
            let tolerance = ref < 3 ? max(0.1 * ref, 0.3) : 0.1 * ref
            XCTAssertEqual(mine, ref, accuracy: tolerance, "\(pop): \(mine) Hz, NEST \(nest)")
        }
    }
}
