import XCTest
@testable import PlexusPoint

/// iaf_psc_delta against NEST 3.10 (exact integration: V_m within 1e-6 mV, spikes on the grid).
final class IafPscDeltaReferenceTests: XCTestCase {
    func testDC() throws {
        try assertMatchesReference(runReferenceCase("iaf_psc_delta", "iaf_psc_delta_dc"), "iaf_psc_delta_dc", vmTolerance: 1e-6)
    }
    func testSpikeInput() throws {
        try assertMatchesReference(runReferenceCase("iaf_psc_delta", "iaf_psc_delta_spikes"), "iaf_psc_delta_spikes", vmTolerance: 1e-6)
    }
}
