import Foundation
import XCTest
@testable import Plexus

/// `plexus models` lists every engine's catalogue from the same declarations the engines check
/// input against, so what it prints is what a file may use.
final class ModelsCommandTests: XCTestCase {
    func plexus(_ args: [String]) throws -> (Int32, String, String) {
        let r = try CLI.plexus(args)
        return (r.status, r.stdout, r.stderr)
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
        // Monitors are listed from their declarations too, with TVB's haemodynamic defaults.
        for monitor in MonitorKind.allCases {
            XCTAssertTrue(out.contains("\n\(monitor.rawValue)  (neural-mass monitor)"), "\(monitor.rawValue) missing from plexus models")
        }
        let (_, balloon, _) = try plexus(["models", "balloon"])
        XCTAssertTrue(balloon.contains("params.E0") && balloon.contains("0.4 "), balloon)
        let (bad, _, err) = try plexus(["models", "hh", "--engine", "mass"])
        XCTAssertNotEqual(bad, 0)
        XCTAssertTrue(err.contains("unknown model 'hh' in the mass engine"), err)
    }

    /// `--source` prints the description a built-in neuron or synapse is generated from; a Swift model or an
    /// unknown name is an error saying so.
    func testSourceOfABuiltInDescription() throws {
        let (rc, out, _) = try plexus(["models", "iaf_psc_alpha", "--source"])
        XCTAssertEqual(rc, 0)
        XCTAssertTrue(out.hasPrefix("# Sources/PlexusPoint/Descriptions/iaf_psc_alpha.nestml\n"), out)
        XCTAssertTrue(out.contains("model iaf_psc_alpha:") && out.contains("@plexus::relative_to_E_L"), out)
        let (synapse, syn, _) = try plexus(["models", "stdp_synapse", "--source"])
        XCTAssertEqual(synapse, 0)
        XCTAssertTrue(syn.hasPrefix("# Sources/PlexusPoint/Descriptions/stdp_synapse.nestml\n") && syn.contains("post_Kminus()"), syn)
        let (swift, _, err) = try plexus(["models", "aeif_cond_exp", "--source"])
        XCTAssertEqual(swift, 1)
        XCTAssertTrue(err.contains("aeif_cond_exp is written in Swift"), err)
        let (swiftSynapse, _, err3) = try plexus(["models", "static_synapse", "--source"])
        XCTAssertEqual(swiftSynapse, 1)
        XCTAssertTrue(err3.contains("static_synapse is written in Swift"), err3)
        let (unknown, _, err2) = try plexus(["models", "iaf_psc_alpah", "--source"])
        XCTAssertEqual(unknown, 1)
        XCTAssertTrue(err2.contains("iaf_psc_alpha"), err2)
    }
}
