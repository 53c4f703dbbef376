import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusCable
@testable import PlexusIO

/// SWC reading (both interpretations), the `engine: cable` file, and bad input: every fault names
/// its file and line (or key path).
final class CableInputTests: XCTestCase {
    private lazy var tmp = temporaryFolder("plexus-cable")
    private var folder: URL { tmp.url }

    private func write(_ text: String, _ name: String) -> String {
        tmp.write(name, text)
    }

    private func line(of needle: String, in text: String) -> Int {
        for (k, l) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where l.contains(needle) { return k + 1 }
        XCTFail("'\(needle)' not found")
        return -1
    }

    // MARK: SWC

    static let ballAndStickSWC = """
    # soma cylinder and a dendrite
    1 1   0.0     0 0 6.30785 -1
    2 1  12.6157  0 0 6.30785  1
    3 3  12.6157  0 0 0.5      2
    4 3 212.6157  0 0 0.5      3
    """

    func testSWCNeuronInterpretationGivesTheBallAndStick() throws {
        let tree = try SWC.parse(Self.ballAndStickSWC, dialect: .neuron)
        XCTAssertEqual(tree.count, 2)
        XCTAssertEqual(tree.segments[1].parent, 0)
        XCTAssertEqual(tree.segments[1].prox, MPoint(12.6157, 0, 0, 0.5))
        let m = CableMorphology(tree)
        XCTAssertEqual(m.branchCount, 1, "a soma with one dendrite is one branch, as in Arbor")
        XCTAssertEqual(m.area(MCable(branch: 0, prox: 0, dist: m.segmentCable[0].dist)), Double.pi * 12.6157 * 12.6157, accuracy: 1e-9)
    }

    func testSWCSphericalSomaInBothInterpretations() throws {
        let text = "1 1 0 0 0 5 -1\n2 3 5 0 0 1 1\n3 3 105 0 0 1 2\n"
        let tree = try SWC.parse(text, dialect: .neuron)
        // Soma: two cylinders along x split at the centre; the dendrite starts at its first sample.
        XCTAssertEqual(tree.count, 3)
        XCTAssertEqual(tree.segments[0].prox, MPoint(-5, 0, 0, 5))
        XCTAssertEqual(tree.segments[1].dist, MPoint(5, 0, 0, 5))
        XCTAssertEqual(tree.segments[2].parent, 0, "sub-trees attach at the soma centre")
        XCTAssertEqual(tree.segments[2].prox, MPoint(5, 0, 0, 1))
        XCTAssertThrowsError(try SWC.parse(text, file: "s.swc", dialect: .arbor)) { e in
            XCTAssertEqual((e as? PlexusError)?.line, 1)
        }
        // Arbor's interpretation: a segment from every sample to its parent.
        let arbor = try SWC.parse("1 1 0 0 0 5 -1\n2 1 10 0 0 5 1\n3 3 20 0 0 1 2\n", dialect: .arbor)
        XCTAssertEqual(arbor.count, 2)
        XCTAssertEqual(arbor.segments[1].prox, MPoint(10, 0, 0, 5))
    }

    func testShippedRealisticCellLoadsAndRuns() throws {
        let file = Repo.file("examples/pyramidal.yaml").path
        guard FileManager.default.fileExists(atPath: file) else { throw XCTSkip("examples/pyramidal.yaml missing") }
        var desc = try CableExperimentFile.load(file)
        desc.duration = 20
        let res = try CableNetwork(desc).run()
        XCTAssertGreaterThan(res.spikes.count, 0, "the soma fires under the clamp")
    }

    /// Each SWC fault: the error names the file and the line of the bad record.
    func testSWCFaultsNameFileAndLine() {
        let cases: [(String, String, String, String)] = [
            ("missing parent", "1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n3 3 20 0 0 1 7\n", "3 3 20", "parent 7"),
            ("cycle", "1 1 0 0 0 5 -1\n2 3 10 0 0 1 3\n3 3 20 0 0 1 2\n", "2 3 10", "cycle"),
            ("non-numeric field", "1 1 0 0 0 5 -1\n2 3 10 0 zero 1 1\n", "zero", "not a number"),
            ("negative radius", "1 1 0 0 0 5 -1\n2 3 10 0 0 -1 1\n", "-1 1", "negative radius"),
            ("unknown tag", "1 1 0 0 0 5 -1\n2 9 10 0 0 1 1\n", "2 9", "unknown tag 9"),
            // Past Int32 an id would overflow when converted (the release build does not trap).
            ("parent out of range", "1 1 0 0 0 5 -1\n2 3 10 0 0 1 1e300\n", "1e300", "out of range"),
            ("id out of range", "1 1 0 0 0 5 -1\n-9e18 3 10 0 0 1 1\n", "-9e18", "out of range"),
        ]
        for (name, text, needle, mention) in cases {
            let path = write("# \(name)\n" + text, "\(name.replacingOccurrences(of: " ", with: "_")).swc")
            do {
                _ = try SWC.load(path, dialect: .neuron)
                XCTFail("\(name): no error")
            } catch let e as PlexusError {
                print("SWC \(name): \(e)")
                XCTAssertEqual(e.file, path, name)
                XCTAssertEqual(e.line, line(of: needle, in: "# \(name)\n" + text), "\(name): \(e)")
                XCTAssertTrue(e.description.contains(mention), "\(name): \(e)")
            } catch { XCTFail("\(name): \(error)") }
        }
    }

    // MARK: experiment files

    private func experiment(paint: String = "      - {region: soma, mechanism: hh}",
                            place: String = "      - {locset: soma_center, iclamp: {delay: 1 ms, duration: 5 ms, amplitude: 0.2 nA}}",
                            swc: String = "cell.swc") -> String {
        _ = write(Self.ballAndStickSWC, "cell.swc")
        return """
        engine: cable
        resolution: 0.025 ms
        duration: 10 ms
        cells:
          bas:
            morphology: {swc: \(swc), dialect: neuron}
            discretization: {per_branch: 5}
            defaults: {Ra: 100 ohm*cm}
            paint:
        \(paint)
              - {region: dend, mechanism: pas, params: {g: 0.001 S/cm2, e: -65 mV}}
            place:
        \(place)
            detectors: [{locset: soma_center, threshold: -10 mV}]
            probes: [{locset: soma_center, variable: v}]
        populations:
          c: {cell: bas, size: 2}
        """
    }

    /// Decodes, builds and runs as `plexus run` does; the located error or nil.
    private func userError(_ yaml: String) -> (PlexusError, String)? {
        let path = write(yaml, "experiment.yaml")
        do {
            let d = try CableExperimentFile.load(path)
            _ = try CableNetwork(d, threads: 2).run()
            return nil
        } catch let e as PlexusError {
            return (ExperimentFile.locate(e, file: path, index: ExperimentFile.lineIndex(yaml)), path)
        } catch { XCTFail("\(error)"); return nil }
    }

    private func assertFails(_ yaml: String, at needle: String, mentions: String, file: StaticString = #filePath, line l: UInt = #line) {
        guard let (e, path) = userError(yaml) else { XCTFail("no error", file: file, line: l); return }
        print("BAD CABLE INPUT: \(e)")
        XCTAssertEqual(e.file, path, e.description, file: file, line: l)
        XCTAssertEqual(e.line, line(of: needle, in: yaml), e.description, file: file, line: l)
        XCTAssertTrue(e.description.contains(mentions), e.description, file: file, line: l)
    }

    /// A discretization that would need unbounded memory (a max_extent of 1e-300 µm overflowed
    /// to one CV; per_branch 1e12 ran for ever) is refused before anything is allocated.
    func testDiscretizationBeyondTheCVLimitIsRefused() {
        for (policy, mention) in [("{max_extent: 1e-300 um}", "max_extent"), ("{per_branch: 1000000000000}", "per_branch"),
                                  ("[{single: true, region: soma}, {max_extent: 1e-4 um, region: dend}]", "max_extent")] {
            let yaml = experiment().replacingOccurrences(of: "discretization: {per_branch: 5}", with: "discretization: \(policy)")
            assertFails(yaml, at: "discretization:", mentions: mention)
            assertFails(yaml, at: "discretization:", mentions: "more than \(CVPolicy.maxCVsPerCell) CVs")
        }
    }

    /// A duration off the time grid was rounded silently; one of more than 2^53 steps overflowed.
    func testDurationMustBeWholeStepsOfTheResolution() {
        assertFails(experiment().replacingOccurrences(of: "duration: 10 ms", with: "duration: 10.01 ms"),
                    at: "duration:", mentions: "not a whole number of steps of 0.025 ms (10.0 or 10.025 ms would be)")
        assertFails(experiment().replacingOccurrences(of: "resolution: 0.025 ms", with: "resolution: 1e-300 ms"),
                    at: "duration:", mentions: "at most 2^53 steps")
    }

    /// Delays and event schedules that trapped converting to steps (a delay or an event time of
    /// 1e300 ms) or that needed unbounded memory (a delay of 1e10 ms: event rings of 9.6 TB; a
    /// regular interval of 1e-300 ms) are refused with their key path; an event after the run is
    /// left out, as it is never delivered.
    func testDelaysAndScheduleBeyondWhatARunCanHold() throws {
        let busyring = try String(contentsOf: Repo.file("examples/busyring.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "size: 64", with: "size: 10").replacingOccurrences(of: "duration: 100 ms", with: "duration: 10 ms")
        let ring = "group_size: 10, synapse: p_syn, weight: 0.01 uS, delay: 5 ms}"
        XCTAssertTrue(busyring.contains(ring) && busyring.contains("times: [1 ms]") && busyring.contains("min_delay: 5 ms"))
        assertFails(busyring.replacingOccurrences(of: ring, with: ring.replacingOccurrences(of: "5 ms", with: "1e300 ms")),
                    at: "rule: ring", mentions: "connections[0].delay")
        assertFails(busyring.replacingOccurrences(of: "min_delay: 5 ms", with: "min_delay: 1e300 ms"), at: "busyring_extra", mentions: "at most 1e15")
        assertFails(busyring.replacingOccurrences(of: ring, with: ring.replacingOccurrences(of: "5 ms", with: "1e10 ms")),
                    at: "rule: ring", mentions: "event rings over a delay of")
        assertFails(busyring.replacingOccurrences(of: "times: [1 ms]", with: "regular: {start: 0 ms, interval: 1e-300 ms, stop: 5 ms}"),
                    at: "every: 10", mentions: "regular events")
        XCTAssertNil(userError(busyring.replacingOccurrences(of: "times: [1 ms]", with: "times: [1 ms, 1e300 ms]")))
    }

    func testValidExperimentRuns() {
        XCTAssertNil(userError(experiment()))
    }

    func testUnknownMechanism() {
        assertFails(experiment(paint: "      - {region: soma, mechanism: hhh}"), at: "hhh", mentions: "unknown mechanism 'hhh'")
    }

    func testUnknownParameter() {
        assertFails(experiment(paint: "      - {region: soma, mechanism: hh, params: {gnabar: 0.12 S/cm2, gcabar: 1 S/cm2}}"),
                    at: "gcabar", mentions: "no parameter 'gcabar'")
    }

    func testParameterWithWrongUnit() {
        assertFails(experiment(paint: "      - {region: soma, mechanism: hh, params: {gnabar: 0.12 mV}}"), at: "gnabar", mentions: "unit 'mV'")
    }

    func testLocationOffTheCell() {
        let yaml = experiment(place: "      - {locset: \"(location 3 0.5)\", synapse: expsyn, label: syn}")
        assertFails(yaml, at: "(location 3 0.5)", mentions: "off the cell")
        let yaml2 = experiment(place: "      - {locset: \"(location 0 1.5)\", iclamp: {amplitude: 0.1 nA}}")
        assertFails(yaml2, at: "(location 0 1.5)", mentions: "off the cell")
    }

    func testMissingSWCFileAndBadSWCInsideAnExperiment() {
        assertFails(experiment(swc: "nowhere.swc"), at: "nowhere.swc", mentions: "not found")
        let bad = write("1 1 0 0 0 5 -1\n2 3 1 0 0 1 5\n", "bad.swc")
        guard let (e, _) = userError(experiment(swc: "bad.swc")) else { return XCTFail("no error") }
        XCTAssertEqual(e.file, bad)
        XCTAssertEqual(e.line, 2)
    }

    func testCommandLineExitsNonZeroOnABadFile() throws {
        let yaml = experiment(paint: "      - {region: soma, mechanism: hhh}")
        let path = write(yaml, "cli.yaml")
        let r = try CLI.plexus(["run", path, "--out", folder.appendingPathComponent("out").path, "--quiet"])
        let text = r.stderr
        print("CLI: \(r.status) \(text)")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(text.hasPrefix("error: \(path):\(line(of: "hhh", in: yaml))"), text)
    }

    // MARK: determinism and the API

    func testSameSpikesForOneAndTwoThreads() throws {
        var p = BusyringParameters(cells: 20)
        p.synapses = 200
        p.duration = 40
        let net = p.network
        let a = try CableNetwork(net, threads: 1).run(), b = try CableNetwork(net, threads: 2).run()
        XCTAssertGreaterThanOrEqual(a.spikes.count, 10)
        XCTAssertEqual(a.spikes.map(\.gid), b.spikes.map(\.gid))
        XCTAssertEqual(a.spikes.map(\.time), b.spikes.map(\.time), "bit-identical")
    }

    func testGeneratorsAndExp2Syn() throws {
        var tree = SegmentTree()
        try tree.append(parent: -1, prox: MPoint(0, 0, 0, 10), dist: MPoint(20, 0, 0, 10), tag: 1)
        var cell = CableCellDescription(tree: tree)
        cell.paints = [Paint(.all, MechanismDescription("pas", ["e": -65]))]
        cell.places = [.synapse(.somaCenter, MechanismDescription("exp2syn"), label: "syn")]
        cell.probes = [Probe(.somaCenter, variable: "exp2syn.B"), Probe(.somaCenter)]
        var net = CableExperiment(duration: 20, cells: [("c", cell)], populations: [CablePopulation(name: "p", cell: "c", size: 2)])
        net.generators = [EventGenerator(population: "p", cells: [0], synapse: TargetRef("syn"), weight: 0.01, schedule: .regular(start: 2, interval: 5, stop: 20)),
                          EventGenerator(population: "p", cells: [1], synapse: TargetRef("syn"), weight: 0.01, schedule: .poisson(rate: 200, start: 0, stop: 20, seed: 4))]
        let r1 = try CableNetwork(net, threads: 1).run(), r2 = try CableNetwork(net, threads: 2).run()
        let v0 = r1.probes.filter { $0.gid == 0 && $0.name.hasPrefix("v") }[0].values
        XCTAssertEqual(v0[Int(2 / 0.025)], -65, accuracy: 1e-9, "nothing before the first event")
        XCTAssertGreaterThan(v0.max()!, -64.5, "the events depolarise")
        // exp2syn's conductance B - A peaks at the weight (B alone overshoots it).
        let b = r1.probes.first { $0.gid == 0 && $0.name.hasPrefix("exp2syn") }!.values
        XCTAssertGreaterThan(b.max()!, 0.01)
        XCTAssertEqual(b[Int(2 / 0.025)], 0, "no event yet")
        XCTAssertEqual(r1.probes.map(\.values), r2.probes.map(\.values), "Poisson input independent of threads")
    }
}
