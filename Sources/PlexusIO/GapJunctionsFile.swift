import PlexusCore
import PlexusModel
import PlexusPoint

// Gap-junction parts of point experiment files: NEST's waveform-relaxation settings in the
// `kernel:` block (KernelBlock.swift has the block's keys), and the checks of a `gap_junction`
// synapse that need the file's lines.
//
//   kernel:
//     use_wfr: true                  # NEST's defaults
//     wfr_comm_interval: 1 ms
//     wfr_tol: 0.0001
//     wfr_max_iterations: 15
//     wfr_interpolation_order: 3
extension ExperimentFile {
    static func waveformRelaxation(_ node: YNode?) throws -> WaveformRelaxation {
        var w = WaveformRelaxation()
        guard let node else { return w }
        let m = try node.mapping(allowed: kernelKeys)
        if let v = m["use_wfr"] { w.useWFR = try v.bool() }
        if let v = m["wfr_comm_interval"] {
            guard w.useWFR else {
                throw v.error("Cannot set waveform communication interval when usage of waveform relaxation is disabled. Set use_wfr to true first.")
            }
            let q = try v.quantity()
            _ = try wrapLine(v) { try q.value(in: .ms, name: "wfr_comm_interval") }
            w.commInterval = q
        }
        if let v = m["wfr_tol"] {
            w.tolerance = try v.double()
            guard w.tolerance >= 0, w.tolerance.isFinite else { throw v.error("wfr_tol: Tolerance must be zero or positive, got \(w.tolerance)") }
        }
        if let v = m["wfr_max_iterations"] {
            w.maxIterations = try v.int()
            guard w.maxIterations > 0 else {
                throw v.error("wfr_max_iterations must be positive, got \(w.maxIterations); to disable waveform relaxation set use_wfr: false")
            }
        }
        if let v = m["wfr_interpolation_order"] {
            w.interpolationOrder = try v.int()
            guard [0, 1, 3].contains(w.interpolationOrder) else {
                throw v.error("wfr_interpolation_order: Interpolation order must be 0, 1, or 3, got \(w.interpolationOrder)")
            }
        }
        return w
    }

    /// A gap_junction synapse takes no delay (NEST: "gap_junction connection has no delay").
    static func checkGapJunctionSynapse(_ sm: [String: YNode]) throws {
        guard let model = sm["model"] ?? sm["synapse_model"], try model.string() == WaveformRelaxation.synapseModel else { return }
        if let d = sm["delay"] { throw d.error("gap_junction connection has no delay") }
    }
}

extension Provenance {
    /// The waveform-relaxation settings, when the network has gap junctions: NEST's names, the
    /// defaults filled in, and the communication interval actually used (NEST's min_delay).
    static func resolvedKernel(_ net: PointNetwork) -> [String: Any]? {
        guard net.gapJunctionCount > 0 else { return nil }
        let w = net.experiment.waveformRelaxation
        let its = net.waveformRelaxationIterations
        var k: [String: Any] = ["use_wfr": w.useWFR, "wfr_tol": w.tolerance, "wfr_max_iterations": w.maxIterations,
                                "wfr_interpolation_order": w.interpolationOrder,
                                "communication_interval_ms": Double(net.minDelay) * net.grid.h,
                                "gap_junctions": net.gapJunctionCount]
        if w.useWFR {
            k["wfr_comm_interval"] = w.commInterval?.description ?? "1.0 ms"
            if !its.isEmpty {
                k["wfr_iterations_mean"] = Double(its.reduce(0, +)) / Double(its.count)
                k["wfr_iterations_max"] = its.max()!
                k["wfr_intervals_at_max_iterations"] = its.filter { $0 >= w.maxIterations }.count
            }
        }
        return k
    }
}
