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
//     nest_draw_points: {E: 2}       # E's random initial values are drawn after connections[0...1]
//     nest_build_seed: 143202461     # the build drew with this rng_seed; devices from fresh streams
//     nest_noise_recorders: [noise]  # keep these noise_generators' I (NEST's recordable) each step
extension ExperimentFile {
    static let kernelKeys = ["use_wfr", "wfr_comm_interval", "wfr_tol", "wfr_max_iterations", "wfr_interpolation_order",
                             "random_streams", "total_num_virtual_procs", "min_delay", "nest_gids", "nest_draw_points", "nest_build_seed",
                             "nest_noise_recorders"]

    /// The NEST random-number settings of the kernel block, into `experiment`.
    static func readRandomStreams(_ node: YNode?, into experiment: inout PointExperiment) throws {
        guard let node else { return }
        let m = try node.mapping(allowed: kernelKeys)
        let kind = try m["random_streams"]?.string() ?? "plexus"
        switch kind {
        case "plexus":
            for key in ["total_num_virtual_procs", "nest_draw_points", "nest_build_seed", "nest_noise_recorders"] {
                if let v = m[key] { throw v.error("\(key) applies to random_streams: nest") }
            }
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
        if let v = m["nest_draw_points"] {   // population name -> statements drawn before its values
            for (name, k) in try v.mapping() {
                let n = try k.int()
                guard n >= 0 else { throw k.error("nest_draw_points.\(name) must be a whole number >= 0, got \(n)") }
                experiment.nestDrawPoints[name] = n
            }
        }
        if let v = m["nest_noise_recorders"] {
            experiment.nestNoiseRecorders = try v.sequence().map { try $0.string() }
        }
        if let v = m["nest_build_seed"] {
            let seed = try v.int()
            guard seed > 0, seed < 1 << 32 else { throw v.error("nest_build_seed must be in (0, 2^32) (NEST's rng_seed), got \(seed)") }
            experiment.nestBuildSeed = UInt32(seed)
        }
        if let v = m["nest_gids"] {   // whole numbers >= 1, inline or {npy: file}
            experiment.nestGids = try numberList(v, what: "nest_gids must be a list of gids").enumerated().map { i, g in
                guard g >= 1, g <= 4_294_967_295, g == g.rounded() else { throw v.error("nest_gids[\(i)] = \(g) is not a gid (a whole number >= 1)") }
                return Int(g)
            }
        }
    }
}
