import Foundation
import XCTest
import CPlexusMechanism
@testable import PlexusCore
@testable import PlexusModel
@testable import PlexusCable
@testable import PlexusIO

/// The model language past the parser: lowering, code generation, the compiled catalogue and its
/// ABI, and the errors a user gets for a bad .mod file, fit file or morphology.
final class NMODLModelTests: XCTestCase {
    func temp() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-nmodl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: d) }
        return d
    }

    /// Generated catalogues carry the ABI header as text; it is the C target's header.
    func testGeneratedHeaderIsTheABIHeader() throws {
        let header = try String(contentsOf: Repo.root.appendingPathComponent("Sources/CPlexusMechanism/include/plexus_mechanism.h"), encoding: .utf8)
        XCTAssertEqual(MechanismABI.header, header)
        XCTAssertEqual(MechanismABI.version, PLX_ABI_VERSION)
    }

    static let channel = """
    NEURON { SUFFIX kchan USEION k READ ek WRITE ik RANGE gbar }
    UNITS { (mV) = (millivolt) (mA) = (milliamp) (S) = (siemens) }
    PARAMETER { gbar = 0.01 (S/cm2) <0, 1e9> }
    ASSIGNED { v (mV) ek (mV) ik (mA/cm2) }
    STATE { n }
    BREAKPOINT { SOLVE states METHOD cnexp ik = gbar*n*n*n*n*(v - ek) }
    INITIAL { n = ninf(v) }
    DERIVATIVE states { n' = (ninf(v) - n)/2 }
    FUNCTION ninf(v (mV)) { ninf = 1/(1 + exp(-(v + 40)/10)) }
    """

    /// A user's file: declarations, ions, solver, and the compiled kernels in the catalogue.
    func testAUsersChannelIsLoweredCompiledAndListed() throws {
        let src = try MechanismSources(files: [("kchan.mod", Self.channel)])
        let m = try XCTUnwrap(src.models.first)
        XCTAssertEqual(m.name, "kchan")
        XCTAssertEqual(m.ions.map(\.name), ["k"])
        XCTAssertTrue(m.ions[0].readsReversal && m.ions[0].writesCurrent)
        XCTAssertEqual(m.solve?.method, .cnexp)
        XCTAssertEqual(m.parameters.map(\.name), ["gbar"])
        XCTAssertEqual(m.parameters[0].hi, 1e9)
        let lib = try src.compiled(cacheDirectory: try temp().path)
        XCTAssertEqual(lib.mechanisms.count, 1)
        XCTAssertEqual(String(cString: lib.mechanisms[0].name), "kchan")
        XCTAssertEqual(lib.mechanisms[0].ion_count, 1)
        XCTAssertNotNil(lib.mechanisms[0].advance_state)
        // The same source is not compiled twice: the cache serves it.
        var again: Double?
        _ = try src.compiled(cacheDirectory: lib.path.components(separatedBy: "/").dropLast().joined(separator: "/")) { again = $0 }
        XCTAssertNil(again)
    }

    /// The CUDA source of the same kernels: one __global__ kernel per phase and mechanism,
    /// compiled by nvcc where the machine has it.
    func testCUDASource() throws {
        let src = try MechanismSources(folder: Repo.root.appendingPathComponent("examples/allen/mechanisms").path)
        let cu = try CUDAGenerator().source(src.models)
        for m in src.models {
            XCTAssertTrue(cu.contains("__global__ void") && cu.contains("_\(m.name)_state_kernel"), m.name)
        }
        XCTAssertTrue(cu.contains("atomicAdd(&p->current[node]"))
        guard let nvcc = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map({ "\($0)/nvcc" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("nvcc not found on the PATH: the CUDA source was generated and checked, not compiled")
        }
        let dir = try temp()
        let file = dir.appendingPathComponent("allen.cu")
        try cu.write(to: file, atomically: true, encoding: .utf8)
        let o = ChildProcess.run([nvcc, "-c", "-o", dir.appendingPathComponent("allen.o").path, file.path], timeout: 300)
        XCTAssertEqual(o.status, 0, o.standardError)
    }

    /// Each fault of a .mod file is an error with the file, the line and what is wrong.
    func testBadModFilesNameFileLineAndConstruct() throws {
        func refusal(_ text: String) -> String {
            do { _ = try MechanismSources(files: [("bad.mod", text)]).cSource(); return "accepted" } catch { return "\(error)" }
        }
        let cases: [(String, String, String)] = [
            (Self.channel.replacingOccurrences(of: "SOLVE states METHOD cnexp", with: "SOLVE states METHOD cnexp )"), "bad.mod:6", "')'"),
            (Self.channel.replacingOccurrences(of: "ninf = 1/", with: "net_send(0, 1) ninf = 1/"), "bad.mod:9", "net_send"),
            (Self.channel.replacingOccurrences(of: "UNITS", with: "VERBATIM\nx\nENDVERBATIM\nUNITS"), "bad.mod:2", "VERBATIM"),
            (Self.channel.replacingOccurrences(of: "ik (mA/cm2)", with: "ik (nA)"), "bad.mod:4", "unit mismatch"),
            (Self.channel.replacingOccurrences(of: "(v - ek)", with: "(v - ekk)"), "bad.mod:6", "'ekk' is not declared"),
            (Self.channel.replacingOccurrences(of: "n' = (ninf(v) - n)/2", with: "n' = -n*n"), "bad.mod:8", "linear in its own state"),
            (Self.channel.replacingOccurrences(of: "METHOD cnexp", with: "METHOD runge"), "bad.mod:6", "runge"),
            (Self.channel.replacingOccurrences(of: "READ ek", with: "READ ek, ekx"), "bad.mod:1", "ekx"),
            (Self.channel.replacingOccurrences(of: "ninf(v) }", with: "ninf(v, 2) }"), "bad.mod:7", "argument"),
        ]
        for (text, location, what) in cases {
            let e = refusal(text)
            XCTAssertTrue(e.hasPrefix(location), "\(what): \(e)")
            XCTAssertTrue(e.contains(what), "\(what): \(e)")
        }
    }

    /// A mechanism folder with a file that does not lower: the other files run; a cell that
    /// names the refused file's mechanism is told why it is missing.
    func testARefusedFileIsNamedWhenItsMechanismIsUsed() throws {
        let dir = try temp()
        let mods = dir.appendingPathComponent("mods")
        try FileManager.default.createDirectory(at: mods, withIntermediateDirectories: true)
        try Self.channel.write(to: mods.appendingPathComponent("kchan.mod"), atomically: true, encoding: .utf8)
        try "NEURON { SUFFIX broken RANGE g }\nPARAMETER { g = 1 }\nBREAKPOINT { g = g + }\n".write(to: mods.appendingPathComponent("broken.mod"), atomically: true, encoding: .utf8)
        func yaml(_ mech: String) -> String {
            """
            engine: cable
            mechanisms: [mods]
            duration: 5 ms
            cells:
              c:
                morphology: {swc: \(Repo.root.appendingPathComponent("examples/data/ball_and_stick.swc").path)}
                paint: [{region: soma, mechanism: \(mech)}]
            populations: {p: {cell: c}}
            """
        }
        let file = dir.appendingPathComponent("x.yaml").path
        let ok = try CableExperimentFile.decode(yaml("kchan"), file: file)
        XCTAssertEqual(try CableNetwork(ok).run().simulatedSteps, 200)
        XCTAssertThrowsError(try CableExperimentFile.decode(yaml("broken"), file: file)) { e in
            XCTAssertTrue("\(e)".contains("unknown mechanism 'broken'") && "\(e)".contains("broken.mod:3"), "\(e)")
        }
        // A parameter in a unit of another dimension.
        let wrongUnit = yaml("kchan").replacingOccurrences(of: "mechanism: kchan}", with: "mechanism: kchan, params: {gbar: 5 mV}}")
        XCTAssertThrowsError(try CableExperimentFile.decode(wrongUnit, file: file)) { e in
            XCTAssertTrue("\(e)".contains("x.yaml:7") && "\(e)".contains("gbar"), "\(e)")
        }
    }

    /// A fit file that names a mechanism the folder lacks, and a morphology without a soma.
    func testAllenModelFaults() throws {
        let dir = try temp()
        let allen = Repo.root.appendingPathComponent("examples/allen")
        let catalogue = try MechanismCatalogue.with(folders: [allen.appendingPathComponent("mechanisms").path])
        let swc = allen.appendingPathComponent("morphologies/Pvalb_470522102_m.swc").path
        var fit = try String(contentsOf: allen.appendingPathComponent("fits/472912177_fit.json"), encoding: .utf8)
        fit = fit.replacingOccurrences(of: "\"mechanism\": \"Kd\"", with: "\"mechanism\": \"Kdr\"")
            .replacingOccurrences(of: "\"gbar_Kd\"", with: "\"gbar_Kdr\"")
        let fitFile = dir.appendingPathComponent("fit.json")
        try fit.write(to: fitFile, atomically: true, encoding: .utf8)
        let kdLine = fit.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("\"Kdr\"") }! + 1
        XCTAssertThrowsError(try AllenModel.cell(morphology: swc, fit: fitFile.path, catalogue: catalogue)) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("fit.json:\(kdLine)") && text.contains("unknown mechanism 'Kdr'") && text.contains("did you mean 'Kd'"), text)
        }
        // No soma: the root sample is a dendrite's.
        let noSoma = dir.appendingPathComponent("nosoma.swc")
        try "# no soma\n1 3 0 0 0 1 -1\n2 3 10 0 0 1 1\n".write(to: noSoma, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try AllenModel.cell(morphology: noSoma.path, fit: allen.appendingPathComponent("fits/472912177_fit.json").path, catalogue: catalogue)) { e in
            XCTAssertTrue("\(e)".contains("nosoma.swc:2") && "\(e)".contains("soma"), "\(e)")
        }
    }
}

extension NMODLModelTests {
    /// NEURON's own hh.mod, passive.mod, expsyn.mod, exp2syn.mod and stim.mod (the neuron 9.0.2
    /// wheel's, Tests/Fixtures/nmodl/neuron) through the same path replace the built-ins (which
    /// are Arbor's formulation: Padé cnexp, exprelr rates, symbolic conductance) in the
    /// ball-and-stick example: NEURON's TABLE'd rates computed exactly, its exact cnexp and
    /// numeric conductance move the spike by 3e-4 ms and the voltage by at most 0.08 mV (at the
    /// spike's peak).
    func testNEURONsOwnBuiltinsGiveTheBuiltinsCell() throws {
        let example = Repo.root.appendingPathComponent("examples/ball_and_stick.yaml")
        let text = try String(contentsOf: example, encoding: .utf8)
        let builtin = try CableNetwork(try CableExperimentFile.decode(text, file: example.path)).run()
        let neuronMods = Repo.root.appendingPathComponent("Tests/Fixtures/nmodl/neuron").path
        let withNEURONs = text.replacingOccurrences(of: "engine: cable\n", with: "engine: cable\nmechanisms: [\(neuronMods)]\n")
        let e = try CableExperimentFile.decode(withNEURONs, file: example.path)
        XCTAssertEqual(try MechanismCatalogue.with(folders: e.mechanismFolders).info("hh")?.source, neuronMods + "/hh.mod")
        let theirs = try CableNetwork(e).run()
        XCTAssertEqual(builtin.spikes.count, 1)
        XCTAssertEqual(theirs.spikes.count, 1)
        XCTAssertEqual(theirs.spikes[0].time, builtin.spikes[0].time, accuracy: 0.002)
        let dv = zip(builtin.probes[0].values, theirs.probes[0].values).map { abs($0 - $1) }.max()!
        print("ball-and-stick, NEURON's hh.mod vs the built-in: spike \(theirs.spikes[0].time) vs \(builtin.spikes[0].time) ms, largest |dV| \(dv) mV")
        XCTAssertGreaterThan(dv, 0, "NEURON's formulation is not Arbor's, bit for bit")
        XCTAssertLessThan(dv, 0.15)
    }
}
