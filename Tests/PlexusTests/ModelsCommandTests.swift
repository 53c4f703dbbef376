import Foundation
import XCTest
@testable import Plexus

/// `plexus models` lists every engine's catalogue from the same declarations the engines check
/// input against, so what it prints is what a file may use.
final class ModelsCommandTests: XCTestCase {
    /// Runs the built `plexus` with `args`; returns (status, stdout, stderr).
    func plexus(_ args: [String]) throws -> (Int32, String, String) {
        let dirs = [Bundle.main.executableURL, URL(fileURLWithPath: CommandLine.arguments[0]), Bundle(for: Self.self).bundleURL]
            .compactMap { $0?.deletingLastPathComponent() }
        guard let exe = dirs.map({ $0.appendingPathComponent("plexus") }).first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("the plexus executable is not built next to the tests (looked in \(dirs.map(\.path)))")
        }
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // The listing is a few KB: read both pipes to the end, then reap.
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testEveryEngineIsListed() throws {
        let (rc, out, _) = try plexus(["models"])
        XCTAssertEqual(rc, 0)
        for name in ModelCatalog.allNames + SynapseModel.allCases.map(\.rawValue) + [WaveformRelaxation.synapseModel] + MechanismCatalog.all.keys.sorted()
            + MassModels.names + CouplingKind.allCases.map(\.rawValue) {
            XCTAssertTrue(out.contains("\n\(name)  (") || out.hasPrefix("\(name)  ("), "\(name) missing from plexus models")
        }
        // A default as declared: stdp_dopamine_synapse's tau_c, the hh mechanism's gnabar.
        let (_, dopa, _) = try plexus(["models", "stdp_dopamine_synapse"])
        XCTAssertTrue(dopa.contains("tau_c") && dopa.contains("1000 ms"), dopa)
        let (_, hh, _) = try plexus(["models", "hh", "--engine", "cable"])
        XCTAssertTrue(hh.contains("gnabar") && hh.contains("0.12 S/cm2"), hh)
        let (bad, _, err) = try plexus(["models", "hh", "--engine", "mass"])
        XCTAssertNotEqual(bad, 0)
        XCTAssertTrue(err.contains("unknown model 'hh' in the mass engine"), err)
    }
}
