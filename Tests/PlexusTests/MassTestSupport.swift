import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusMass
@testable import PlexusIO

/// Finding tvb-data's connectomes and TVB's reference outputs for the neural-mass tests.
enum MassData {
    /// Path of a tvb-data connectivity zip, or a skip naming what is missing.
    static func zip(_ name: String) throws -> String {
        guard ConnectomeZip.tvbDataDirectory() != nil else {
            throw XCTSkip("tvb-data missing: pip install tvb-data==3.0.0 (or set PLEXUS_TVB_DATA to the tvb_data folder) to read \(name).zip")
        }
        return try ConnectomeZip.tvbDataZip(name)
    }

    static func connectome(_ name: String = "connectivity_76") throws -> Connectome {
        try ConnectomeZip.read(zip(name))
    }

    /// A TVB reference CSV (`time_ms,<labels>`) as (times, rows of values in label order).
    static func timeSeries(_ relative: String) throws -> (header: [String], times: [Double], rows: [[Double]]) {
        let text = try Reference.text(relative)
        var lines = text.split(separator: "\n")
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        var times: [Double] = [], rows: [[Double]] = []
        for l in lines {
            let f = l.split(separator: ",").map { Double($0)! }
            times.append(f[0])
            rows.append(Array(f.dropFirst()))
        }
        return (Array(header.dropFirst()), times, rows)
    }

    /// A numeric CSV without header (TVB's idelays).
    static func matrix(_ relative: String) throws -> [[Double]] {
        let text = try Reference.text(relative)
        return text.split(separator: "\n").map { $0.split(separator: ",").map { Double($0)! } }
    }

    static func sinIC(_ n: Int, _ scale: Double, _ offset: Double = 0) -> InitialValue {
        .perRegion((0..<n).map { offset + scale * _sin(Double($0)) })
    }

    /// The reference runs' experiments (README of ../shared/peers/tvb).
    static func g2d(_ n: Int, precision: MassPrecision, duration: Double = 100) -> MassExperiment {
        MassExperiment(connectivity: .tvbData("connectivity_76"), speed: 3.0, model: MassModelDescription(name: "Generic2dOscillator"),
                       coupling: CouplingDescription(name: "Linear", params: ["a": 0.0152, "b": 0]),
                       integrator: IntegratorDescription(scheme: .heun, dt: 0.0625),
                       initialHistory: ["V": sinIC(n, 0.1), "W": .constant(0)], duration: duration,
                       monitors: [MonitorDescription(.raw)], precision: precision)
    }

    static func rww(_ n: Int, precision: MassPrecision, duration: Double = 100) -> MassExperiment {
        MassExperiment(connectivity: .tvbData("connectivity_76"), speed: 3.0,
                       model: MassModelDescription(name: "ReducedWongWang", params: ["a": 0.27, "w": 1.0, "I_o": 0.3]),
                       coupling: CouplingDescription(name: "Linear", params: ["a": 0.5 / 50.0]),
                       integrator: IntegratorDescription(scheme: .heun, dt: 0.1),
                       initialHistory: ["S": sinIC(n, 0.05, 0.1)], duration: duration,
                       monitors: [MonitorDescription(.raw)], precision: precision)
    }

    static func jr(_ n: Int, precision: MassPrecision, duration: Double = 100) -> MassExperiment {
        let cosIC = InitialValue.perRegion((0..<n).map { 10 + _cos(Double($0)) })
        return MassExperiment(connectivity: .tvbData("connectivity_76"), speed: 3.0, model: MassModelDescription(name: "JansenRit"),
                              coupling: CouplingDescription(name: "SigmoidalJansenRit"),
                              integrator: IntegratorDescription(scheme: .heun, dt: 0.1),
                              initialHistory: ["y0": sinIC(n, 0.01, 0.05), "y1": sinIC(n, 2, 15), "y2": cosIC,
                                               "y3": .constant(0), "y4": .constant(0), "y5": .constant(0)],
                              duration: duration,
                              monitors: [MonitorDescription(.raw, variables: ["y1", "y2"])], precision: precision)
    }
}

/// Largest |a - b| over a run and where it happened.
struct MaxError: CustomStringConvertible {
    var value = 0.0
    var sample = 0
    var region = 0
    var reference = 0.0

    mutating func add(_ mine: Double, _ ref: Double, sample: Int, region: Int) {
        let e = abs(mine - ref)
        if !(e <= value) { value = e; self.sample = sample; self.region = region; reference = ref }
    }

    var description: String { "\(value) (sample \(sample), region \(region), reference \(reference))" }
}
