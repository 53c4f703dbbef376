import PlexusCore
import PlexusModel
import PlexusPoint

// The `kernel:` block of point experiment files: NEST's kernel settings that a description needs.
// Waveform relaxation (GapJunctionsFile.swift) and NEST's random numbers:
//
//   kernel:
//     random_streams: nest           # devices draw NEST's random numbers (default: plexus)
//     total_num_virtual_procs: 1     # ... those of this many NEST virtual processes
//     min_delay: 0.5 ms              # NEST's min_delay (default: NEST's rule, recorders at 1 ms)
//     nest_gids: [2, 3, 5]           # NEST's gid of each node (default: node number + 1)
extension ExperimentFile {
    static let kernelKeys = ["use_wfr", "wfr_comm_interval", "wfr_tol", "wfr_max_iterations", "wfr_interpolation_order",
                             "random_streams", "total_num_virtual_procs", "min_delay", "nest_gids"]

    /// The NEST random-number settings of the kernel block, into `experiment`.
    static func readRandomStreams(_ node: YNode?, into experiment: inout PointExperiment) throws {
        guard let node else { return }
        let m = try node.mapping(allowed: kernelKeys)
        let kind = try m["random_streams"]?.string() ?? "plexus"
        switch kind {
        case "plexus":
            if let v = m["total_num_virtual_procs"] { throw v.error("total_num_virtual_procs applies to random_streams: nest") }
            experiment.randomStreams = .plexus
        case "nest":
            var vps = 1
            if let v = m["total_num_virtual_procs"] {
                vps = try v.int()
                guard (1...4096).contains(vps) else { throw v.error("total_num_virtual_procs must be in 1...4096, got \(vps)") }
            }
            experiment.randomStreams = .nest(virtualProcesses: vps)
        default:
            throw m["random_streams"]!.error(PlexusError.unknownMessage("random_streams", kind, known: ["plexus", "nest"], listedAs: "known"))
        }
        // min_delay is checked against the resolution and the synapses when the network is built.
        if let v = m["min_delay"] {
            let q = try v.quantity()
            let ms = try wrapLine(v) { try q.value(in: .ms, name: "min_delay") }
            guard ms > 0, ms.isFinite else { throw v.error("min_delay must be a positive number of ms, got \(ms)") }
            experiment.nestMinDelay = q
        }
        if let v = m["nest_gids"] {   // whole numbers >= 1, inline or {npy: file}
            experiment.nestGids = try numberList(v, what: "nest_gids must be a list of gids").enumerated().map { i, g in
                guard g >= 1, g <= 4_294_967_295, g == g.rounded() else { throw v.error("nest_gids[\(i)] = \(g) is not a gid (a whole number >= 1)") }
                return Int(g)
            }
        }
    }
}
