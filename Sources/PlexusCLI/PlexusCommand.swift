import ArgumentParser
import Foundation
import Plexus

@main
struct PlexusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plexus",
        abstract: "Brain simulation at every scale: point-neuron networks (NEST's job) and more to come.",
        version: Provenance.version,
        subcommands: [Run.self, Models.self],
        defaultSubcommand: nil)
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Simulate an experiment file and write its results.")

    @Argument(help: "Experiment file (YAML).")
    var file: String

    @Option(name: .long, help: "Worker threads (results are identical for any number).")
    var threads: Int = 1

    @Option(name: .long, help: "Output folder (default: runs/<file name>/).")
    var out: String?

    @Option(name: .long, help: "Random seed (overrides the file's `seed`).")
    var seed: UInt64?

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        do {
            try execute()
        } catch let e as PlexusError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode(1)
        }
    }

    func execute() throws {
        let started = Provenance.isoNow()
        let t0 = ResourceUsage.now()
        var experiment = try ExperimentFile.load(file)
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let lines = ExperimentFile.lineIndex(text)
        if let seed { experiment.seed = seed }
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let dir = out ?? "runs/\(name)"
        let t1 = ResourceUsage.now()

        let network: PointNetwork
        do { network = try PointNetwork(experiment, threads: threads) } catch let e as PlexusError {
            throw ExperimentFile.locate(e, file: file, index: lines)
        }
        let t2 = ResourceUsage.now()
        if !quiet {
            say("\(name): \(network.neuronCount) neurons, \(network.synapseCount) synapses (\(String(format: "%.2f", network.bytesPerSynapse)) bytes each), \(network.deviceConnectionCount) device connections; built in \(String(format: "%.2f", t2 - t1)) s")
        }
        let progress = Progress(enabled: !quiet && isatty(2) != 0, start: t2, duration: network.grid.time(network.totalSteps))
        let results: PointResults
        do { results = try network.run(progress: progress.update) } catch let e as PlexusError {
            progress.finish()
            throw ExperimentFile.locate(e, file: file, index: lines)
        }
        progress.finish()
        let t3 = ResourceUsage.now()

        var output = try RunOutput(directory: dir)
        if experiment.recordings.contains(where: { if case .spikes = $0 { return true } else { return false } }) {
            try output.writeSpikes(results)
        }
        try output.writeStates(results)
        let t4 = ResourceUsage.now()
        let simulated = network.grid.time(network.totalSteps)
        var record: [String: Any] = [
            "plexus_version": Provenance.version,
            "command": CommandLine.arguments,
            "experiment_file": file,
            "experiment_sha256": SHA256.hex(Array(text.utf8)),
            "experiment": Provenance.resolved(network),
            "seed": experiment.seed,
            "threads": threads,
            "machine": Provenance.machine,
            "started_utc": started,
            "finished_utc": Provenance.isoNow(),
            "timings_s": ["read": t1 - t0, "build": t2 - t1, "simulate": t3 - t2, "write": t4 - t3, "total": t4 - t0],
            "realtime_factor": simulated > 0 ? (t3 - t2) / (simulated / 1000) : 0,
            "counts": ["neurons": network.neuronCount, "nodes": network.nodeCount, "synapses": network.synapseCount,
                       "device_connections": network.deviceConnectionCount, "spikes": results.totalSpikes,
                       "min_delay_steps": network.minDelay, "max_delay_steps": network.maxDelay],
            "bytes_per_synapse": network.bytesPerSynapse,
        ]
        if let c = Provenance.gitCommit { record["git_commit"] = c }
        if let d = Provenance.gitDirty { record["git_dirty"] = d }
        if let rss = ResourceUsage.peakRSSBytes() { record["peak_rss_bytes"] = rss }
        try output.writeProvenance(record)
        if !quiet {
            let rate = network.neuronCount > 0 && simulated > 0 ? Double(results.totalSpikes) / Double(network.neuronCount) / (simulated / 1000) : 0
            say("simulated \(OutputText.number(simulated)) ms in \(String(format: "%.2f", t3 - t2)) s; \(results.totalSpikes) spikes (mean \(String(format: "%.2f", rate)) Hz); results in \(dir)/")
        }
    }

    func say(_ s: String) { print(s) }
}

/// Progress on a terminal for runs longer than a second.
final class Progress {
    let enabled: Bool
    let start: Double
    let duration: Double
    var lastDraw = 0.0
    var drawn = false

    init(enabled: Bool, start: Double, duration: Double) {
        self.enabled = enabled
        self.start = start
        self.duration = duration
    }

    func update(_ fraction: Double) {
        guard enabled else { return }
        let now = ResourceUsage.now()
        guard now - start > 1, now - lastDraw > 0.2 || fraction >= 1 else { return }
        lastDraw = now
        drawn = true
        let width = 30
        let filled = Int(Double(width) * fraction)
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let eta = fraction > 0 ? (now - start) * (1 - fraction) / fraction : 0
        FileHandle.standardError.write(Data(String(format: "\r[%@] %3.0f%%  t = %.0f ms  eta %.0f s ", bar, fraction * 100, fraction * duration, eta).utf8))
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List models and devices with their parameters and defaults.")

    @Argument(help: "Show only this model.")
    var name: String?

    func run() throws {
        for (model, type) in ModelCatalog.neuronModels.sorted(by: { $0.key < $1.key }) where name == nil || name == model {
            print("\(model)  (weights in \(type.weightDimension == .conductance ? "nS" : type.weightDimension == .voltage ? "mV" : "pA"))")
            for p in type.parameters {
                print("  \(p.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(OutputText.number(p.defaultValue)) \(p.dimension.canonicalUnit)  \(p.doc)")
            }
            print("  recordables: \(type.state.filter(\.recordable).map(\.name).joined(separator: ", "))")
        }
        for (device, kind) in ModelCatalog.deviceModels.sorted(by: { $0.key < $1.key }) where name == nil || name == device {
            print("\(device)  (device)")
            for p in kind.parameters {
                print("  \(p.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(OutputText.number(p.defaultValue)) \(p.dimension.canonicalUnit)  \(p.doc)")
            }
            for l in kind.listParameters { print("  \(l.name.padding(toLength: 18, withPad: " ", startingAt: 0)) [list]") }
        }
        if let name, ModelCatalog.neuronModels[name] == nil, ModelCatalog.deviceModels[name] == nil {
            throw ValidationError("unknown model '\(name)'; known: \(ModelCatalog.allNames.joined(separator: ", "))")
        }
    }
}
