import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusCable

/// nsuite's busyring benchmark against Arbor's 64-cell spikes (reference/arbor/ring_spikes_64cells.csv).
final class CableBusyringTests: XCTestCase {
    func testMersenneTwisterMatchesStdMt19937() {
        // std::mt19937 default seed 5489: the 10000th output is 4123659995 (C++ standard).
        var g = MT19937(seed: 5489)
        var x: UInt32 = 0
        for _ in 0..<10000 { x = g.next() }
        XCTAssertEqual(x, 4123659995)
    }

    /// A negative number of extra connections was taken as given; it is refused with its key path.
    func testNegativeExtraConnectionCountIsRefused() throws {
        var p = BusyringParameters(cells: 4)
        p.synapses = 3
        var net = p.network
        net.connections[1] = CableConnectionSet.busyringExtra(population: "ring", count: -5, label: "s_syn", weight: 0, minDelay: 5)
        XCTAssertThrowsError(try CableNetwork(net)) { e in
            XCTAssertEqual((e as? PlexusError)?.keyPath, "connections[1].count", "\(e)")
        }
    }

    func testBusyringCellsAreNsuiteCells() throws {
        // CV counts per cell as Arbor reports them for 8 cells (ring_timings.json: mean 115.125, min 101).
        let timings = try Reference.json("arbor/ring_timings.json")["runs"] as! [[String: Any]]
        let p = BusyringParameters(cells: 8)
        var counts: [Int] = []
        for gid in 0..<8 {
            let c = try p.cell.compile(gid: gid, dt: 0.025)
            counts.append(c.geometry.count)
        }
        let mean = Double(counts.reduce(0, +)) / 8
        print("busyring CVs per cell (8 cells): \(counts), mean \(mean)")
        let arbor8 = timings.first { ($0["simulator"] as? String) == "arbor" && ($0["cells"] as? Int) == 8 }!
        XCTAssertEqual(mean, arbor8["cvs_per_cell_mean"] as! Double)
        XCTAssertEqual(counts.min(), arbor8["cvs_per_cell_min"] as? Int)
        XCTAssertEqual(counts.max(), arbor8["cvs_per_cell_max"] as? Int)
    }

    func testBusyring64CellsMatchesArborSpikes() throws {
        let ref = try Reference.csv("arbor/ring_spikes_64cells.csv")
        let net = try CableNetwork(BusyringParameters(cells: 64).network, threads: 2)
        let res = try net.run()
        var mine: [Int: [Double]] = [:], arbor: [Int: [Double]] = [:]
        for s in res.spikes { mine[s.gid, default: []].append(s.time) }
        for (g, t) in zip(ref["gid"]!, ref["time_ms"]!) { arbor[Int(g), default: []].append(t) }
        print("busyring 64 cells: \(res.spikes.count) spikes (Arbor \(ref["gid"]!.count)), \(net.connectionCount) connections, \(res.events) events")
        XCTAssertEqual(res.spikes.count, ref["gid"]!.count)
        var worst = 0.0
        for gid in 0..<64 {
            let a = arbor[gid] ?? [], b = mine[gid] ?? []
            XCTAssertEqual(a.count, b.count, "spikes of gid \(gid)")
            for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
        }
        print("busyring 64 cells: max |t - t_Arbor| = \(worst) ms")
        XCTAssertLessThanOrEqual(worst, 0.025)
    }
}
