import XCTest
@testable import PlexusCore
@testable import PlexusPoint

/// The counts a poisson_generator delivers per step, read back exactly: an iaf_psc_delta neuron
/// that neither leaks (tau_m = 1e12 ms) nor fires integrates 1 mV per input spike, so the step
/// to step change of V_m is the count. Both drawing paths are checked against Poisson(lambda):
/// the table path (lambda >= 0.3 per step) and the event-by-event sparse path (lambda < 0.3).
final class PoissonInputTests: XCTestCase {
    func counts(rateHz: Double, neurons: Int, steps: Int, seed: UInt64 = 5, origin: Double = 0) throws -> [[Int]] {
        let exp = PointExperiment(
            duration: Quantity(Double(steps) * 0.1, "ms"), seed: seed,
            populations: [
                PopulationDescription(name: "n", model: "iaf_psc_delta", size: neurons, params: [
                    "tau_m": .number(1e12, "ms"), "V_th": .number(1e9, "mV"), "E_L": .number(0, "mV"),
                    "V_m": .number(0, "mV"), "V_reset": .number(0, "mV")]),
                PopulationDescription(name: "pg", model: "poisson_generator", params: ["rate": .number(rateHz, "Hz"),
                                                                                       "origin": .number(origin, "ms")]),
            ],
            connections: [ConnectionDescription(source: "pg", target: "n", synapse: SynapseDescription(
                weight: .constant(Quantity(1, "mV")), delay: .constant(Quantity(0.1, "ms"))))],
            recordings: [.multimeter(population: "n", variables: ["V_m"], interval: Quantity(0.1, "ms"))])
        let res = try PointNetwork(exp, threads: 2).run()
        let rows = res.states[0]
        var out = [[Int]](repeating: [], count: neurons)
        var last = [Double](repeating: 0, count: neurons)
        for r in 0..<rows.times.count {
            let i = rows.gids[r] - 1
            let v = rows.values[0][r]
            let n = (v - last[i]).rounded()
            XCTAssertEqual(v - last[i], n, accuracy: 1e-6, "V_m moves by whole input spikes")
            out[i].append(Int(n))
            last[i] = v
        }
        return out
    }

    /// Pearson chi-square of the observed counts against Poisson(lambda), with neighbouring
    /// counts pooled into bins of expectation >= 20 (both tails included).
    func chiSquare(_ samples: [Int], lambda: Double) -> (chi2: Double, bins: Int) {
        let total = Double(samples.count)
        let top = Int(lambda + 20 * lambda.squareRoot() + 20)
        var pmf = [Double](repeating: 0, count: top + 1)
        var p = _exp(-lambda)
        for k in 0...top { pmf[k] = p; p *= lambda / Double(k + 1) }
        var observed = [Double](repeating: 0, count: top + 1)
        for s in samples { observed[min(s, top)] += 1 }
        var bins: [(o: Double, e: Double)] = []
        var o = 0.0, e = 0.0
        for k in 0...top {
            o += observed[k]; e += total * pmf[k]
            if e >= 20 { bins.append((o, e)); o = 0; e = 0 }
        }
        if let last = bins.popLast() { bins.append((last.o + o, last.e + e)) }   // the upper tail
        let chi2 = bins.reduce(0.0) { $0 + ($1.o - $1.e) * ($1.o - $1.e) / $1.e }
        return (chi2, bins.count)
    }

    func check(rateHz: Double) throws {
        let lambda = rateHz * 0.1 / 1000
        let c = try counts(rateHz: rateHz, neurons: 40, steps: 5000)
        // Steps 0 and 1 get nothing: a generator emits from the step after its start (NEST), one
        // step of delay later it arrives.
        XCTAssertTrue(c.allSatisfy { $0[0] == 0 && $0[1] == 0 })
        let all = c.flatMap { $0.dropFirst(2) }
        let mean = Double(all.reduce(0, +)) / Double(all.count)
        let variance = all.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(all.count - 1)
        let (chi2, bins) = chiSquare(all, lambda: lambda)
        print("poisson lambda \(lambda): mean \(mean), variance \(variance), chi2 \(chi2) over \(bins) bins, \(all.count) steps")
        // 199,920 draws: the mean's standard error is sqrt(lambda / n), ~0.003 at lambda 1.5.
        XCTAssertEqual(mean, lambda, accuracy: 5 * (lambda / Double(all.count)).squareRoot())
        XCTAssertEqual(variance / lambda, 1, accuracy: 0.03)
        // Chi-square with bins - 1 degrees of freedom: bound well above its 1e-5 upper quantile
        // (mean + 7 sd of the chi-square distribution).
        let dof = Double(bins - 1)
        XCTAssertLessThan(chi2, dof + 7 * (2 * dof).squareRoot(), "counts are not Poisson(\(lambda))")
        // Trains of different targets are independent: neighbour correlation of the counts.
        var r = 0.0
        for i in 0..<(c.count - 1) {
            let a = c[i].dropFirst(2).map(Double.init), b = c[i + 1].dropFirst(2).map(Double.init)
            let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
            var sab = 0.0, saa = 0.0, sbb = 0.0
            for k in a.indices { sab += (a[k] - ma) * (b[k] - mb); saa += (a[k] - ma) * (a[k] - ma); sbb += (b[k] - mb) * (b[k] - mb) }
            r += sab / (saa * sbb).squareRoot() / Double(c.count - 1)
        }
        // 39 pairs × 4999 steps: the mean correlation's spread is about 0.0023.
        XCTAssertEqual(r, 0, accuracy: 0.012, "neighbouring targets' trains are correlated")
    }

    func testTablePathCountsArePoisson() throws { try check(rateHz: 15_000) }

    /// A generator active since before t = 0 (negative origin) emits from the first step on,
    /// never before: nothing arrives in step 0, and step 1 gets the first step's count.
    func testNothingArrivesFromBeforeTheStart() throws {
        // The three drawing paths: means of 150, 30 and 0.15 per step.
        for (rate, neurons) in [(1_500_000.0, 4), (300_000, 4), (1_500, 400)] {
            let c = try counts(rateHz: rate, neurons: neurons, steps: 20, origin: -50)
            XCTAssertTrue(c.allSatisfy { $0[0] == 0 }, "\(rate) Hz, step 0: nothing emitted before t = 0 arrives")
            if rate > 100_000 {
                XCTAssertTrue(c.allSatisfy { $0[1] > 0 }, "\(rate) Hz, step 1: the count emitted in step 0")
            } else {
                XCTAssertGreaterThan(c.filter { $0[1] > 0 }.count, 20, "\(rate) Hz, step 1: about 14 % of the trains")
            }
        }
    }

    func testSparsePathCountsArePoisson() throws { try check(rateHz: 1_500) }

    func testLargeMeanCountsArePoisson() throws {
        // lambda 2.5 and 30: deeper tables with more bins.
        try check(rateHz: 25_000)
        try check(rateHz: 300_000)
    }
}
