import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusCable
@testable import PlexusIO

/// Allen Cell Types perisomatic models (examples/allen: bmtk 1.2.0's files) built by
/// `AllenModel` and run with their own NMODL channels, against NEURON 9.0.2 running the same
/// cells the way bmtk builds them (Tests/Fixtures/allen, made by tools/neuron_allen.py).
final class AllenCellTests: XCTestCase {
    /// The five cells of bmtk's wheel, with the fits its example networks give them.
    static let cells = ["Scnn1a_473845048", "Rorb_325404214", "Pvalb_470522102", "Nr5a1_471087815", "Pvalb_469628681"]
    static let mechanisms = Repo.root.appendingPathComponent("examples/allen/mechanisms").path

    struct Manifest {
        let morphology: String, fit: String
        let amps: [String: Double]
        let spikes: [String: [Double]]
    }

    static func manifest(_ cell: String) throws -> Manifest {
        let m = try JSONSerialization.jsonObject(with: try Reference.data("allen/manifest.json")) as! [String: Any]
        let c = (m["cells"] as! [String: Any])[cell] as! [String: Any]
        var amps: [String: Double] = [:], spikes: [String: [Double]] = [:]
        for r in c["runs"] as! [[String: Any]] {
            let label = r["label"] as! String
            amps[label] = (r["amp_nA"] as! NSNumber).doubleValue
            spikes[label] = (r["spike_times_interp_ms"] as! [NSNumber]).map(\.doubleValue)
        }
        return Manifest(morphology: Repo.root.appendingPathComponent(c["morphology"] as! String).path,
                        fit: Repo.root.appendingPathComponent(c["fit"] as! String).path, amps: amps, spikes: spikes)
    }

    /// NEURON's soma voltage every 0.1 ms from t = 0.
    static func neuronTrace(_ cell: String, _ label: String) throws -> [Double] {
        try Reference.text("allen/\(cell)_\(label)_v.csv").split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[1])! }
    }

    /// The cell as bmtk runs it: 34 °C, V_init −80 mV, a step of `amp` nA from 100 ms for 1 s at
    /// the soma's centre, a detector at −15 mV, the soma's voltage every 0.1 ms.
    static func experiment(_ cell: String, amp: Double, duration: Double, passiveOnly: Bool = false) throws -> CableExperiment {
        let man = try manifest(cell)
        let catalogue = try MechanismCatalogue.with(folders: [mechanisms])
        var c = try AllenModel.cell(morphology: man.morphology, fit: man.fit, catalogue: catalogue, passiveOnly: passiveOnly)
        c.temperature = 34
        c.initialVoltage = -80
        c.places = [.iclamp(.somaCenter, delay: 100, duration: 1000, amplitude: amp)]
        c.detectors = [Detector(.somaCenter, threshold: -15, label: "soma")]
        c.probes = [Probe(.somaCenter, label: "v", interval: 0.1)]
        var e = CableExperiment(resolution: 0.025, duration: duration, cells: [("c", c)], populations: [CablePopulation(name: "p", cell: "c", size: 1)])
        e.mechanismFolders = [mechanisms]
        return e
    }

    /// NEURON's segments: the same number of nodes with membrane, and the same areas.
    func testCompartmentsAreNEURONsSegments() throws {
        for cell in Self.cells {
            let e = try Self.experiment(cell, amp: 0, duration: 0)
            let compiled = try e.cells[0].1.compile(gid: 0, dt: 0.025, catalogue: try MechanismCatalogue.with(folders: [Self.mechanisms]))
            let ours = compiled.geometry.area.filter { $0 > 0 }.sorted()
            var theirs: [Double] = []
            let lines = try Reference.text("allen/\(cell)_geometry.csv").split(separator: "\n")
            let header = lines[0].split(separator: ",").map(String.init)
            let col = try XCTUnwrap(header.firstIndex(of: "area_um2"))
            for l in lines.dropFirst() { let a = Double(l.split(separator: ",", omittingEmptySubsequences: false)[col])!; if a > 0 { theirs.append(a) } }
            theirs.sort()
            XCTAssertEqual(ours.count, theirs.count, "\(cell): CVs with membrane vs NEURON's segments")
            let worst = zip(ours, theirs).map { abs($0 - $1) / $1 }.max() ?? 0
            print("\(cell): \(ours.count) segments, largest relative area difference \(worst)")
            // Exact but for rounding: the 3-d points rounded as NEURON keeps them (C floats), the
            // soma a cylinder of its ends, frusta integrated over half-segments.
            XCTAssertLessThan(worst, 1e-12, cell)
            XCTAssertEqual(ours.reduce(0, +), theirs.reduce(0, +), accuracy: 1e-6 * theirs.reduce(0, +), cell)
        }
    }
}

extension AllenCellTests {
    /// Runs `cell` under the fixture's step `label` for `duration` ms: spike times and the soma's
    /// voltage every 0.1 ms.
    static func run(_ cell: String, _ label: String, duration: Double = 1200) throws -> (spikes: [Double], v: [Double]) {
        let man = try manifest(cell)
        let e = try experiment(cell, amp: try XCTUnwrap(man.amps[label]), duration: duration, passiveOnly: label == "passive")
        let r = try CableNetwork(e).run()
        return (r.spikes.map(\.time), r.probes[0].values)
    }

    /// The five cells at three step amplitudes (below threshold, near it, strong firing):
    /// NEURON's spike count and spike times, and the soma's voltage before the first spike.
    /// The issue asks for every spike of the first 500 ms within 0.2 ms and the voltage within
    /// 0.5 mV; measured: every spike of the second within 1e-7 ms and the voltage within
    /// 5e-7 mV, the rounding of the fixture's %.6f. The bounds here (1e-5 ms, 1e-4 mV) leave
    /// room for another libm, not for another model.
    func testSpikesAndSubthresholdVoltageMatchNEURON() throws {
        try Reference.require(Self.cells.map { "allen/\($0)_sub_v.csv" })
        for cell in Self.cells {
            let man = try Self.manifest(cell)
            for label in ["sub", "near", "strong"] {
                let (spikes, v) = try Self.run(cell, label)
                let ref = try XCTUnwrap(man.spikes[label])
                XCTAssertEqual(spikes.count, ref.count, "\(cell) \(label): spike count")
                let early = zip(spikes, ref).filter { $0.1 < 500 }.map { abs($0.0 - $0.1) }
                let worst = zip(spikes, ref).map { abs($0.0 - $0.1) }.max() ?? 0
                print("\(cell) \(label): \(spikes.count) spikes (NEURON \(ref.count)); largest |dt| \(early.max() ?? 0) ms in the first 500 ms, \(worst) ms overall")
                XCTAssertLessThan(early.max() ?? 0, 0.2, "\(cell) \(label)")
                XCTAssertLessThan(worst, 1e-5, "\(cell) \(label)")
                // Below threshold (and before the first spike): the soma's voltage.
                let neuron = try Self.neuronTrace(cell, label)
                let until = min(neuron.count, v.count, Int(((ref.first ?? 600) - 5) * 10))
                let dv = (0..<until).map { abs(v[$0] - neuron[$0]) }.max() ?? 0
                print("\(cell) \(label): largest |dV| before the first spike \(dv) mV")
                XCTAssertLessThan(dv, 1e-4, "\(cell) \(label)")
            }
        }
    }

    /// The passive cells (channels left out, pas with the fit's g and e_pas) under −0.1 nA: the
    /// soma's voltage within 0.01 mV of NEURON's over 600 ms (the bound; measured:
    /// 5e-7 mV, the fixture's rounding; asserted: 1e-4 mV).
    func testPassiveCellsMatchNEURON() throws {
        for cell in Self.cells {
            let (_, v) = try Self.run(cell, "passive", duration: 600)
            let neuron = try Self.neuronTrace(cell, "passive")
            let n = min(v.count, neuron.count)
            XCTAssertGreaterThan(n, 5000)
            let dv = (0..<n).map { abs(v[$0] - neuron[$0]) }.max()!
            print("\(cell) passive: largest |dV| \(dv) mV over \(n) samples")
            XCTAssertLessThan(dv, 1e-4, cell)
        }
    }
}

extension AllenCellTests {
    /// The example network of 30 Allen cells (examples/allen_network.yaml; 60 ms of it, with
    /// stronger, earlier steps so that it fires): the same spikes and voltages, bit for bit, on
    /// 1 and 3 threads (3 threads split the three cell types unevenly).
    func testNetworkIsTheSameForAnyThreadCount() throws {
        let file = Repo.root.appendingPathComponent("examples/allen_network.yaml")
        var text = try String(contentsOf: file, encoding: .utf8)
        for (a, b) in [("duration: 500 ms", "duration: 60 ms"), ("delay: 50 ms", "delay: 5 ms"), ("0.075 nA", "0.4 nA"), ("0.13 nA", "0.5 nA"), ("0.16 nA", "0.7 nA")] {
            XCTAssertTrue(text.contains(a), a)
            text = text.replacingOccurrences(of: a, with: b)
        }
        let e = try CableExperimentFile.decode(text, file: file.path)
        let runs = try [1, 3].map { try CableNetwork(e, threads: $0).run() }
        XCTAssertGreaterThan(runs[0].spikes.count, 10, "the network fires")
        for r in runs.dropFirst() {
            XCTAssertEqual(r.spikes.map(\.time), runs[0].spikes.map(\.time))
            XCTAssertEqual(r.spikes.map(\.gid), runs[0].spikes.map(\.gid))
            XCTAssertEqual(r.probes.map(\.values), runs[0].probes.map(\.values))
        }
    }
}
