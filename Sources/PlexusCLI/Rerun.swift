import ArgumentParser
import Foundation
import Plexus

/// `plexus rerun DIR`: repeats a finished run from its provenance record (experiment, seed,
/// threads) into a temporary folder and compares every output file by SHA-256.
struct RerunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun",
        abstract: "Repeat a finished run from its provenance.json and say whether its outputs are identical.",
        discussion: "Exit status 0 when every output is identical, 1 when a file differs (each is named).")

    @Argument(help: "Run folder (written by `plexus run`).")
    var dir: String

    @Option(name: .long, help: "Worker threads (default: the run's; results are identical for any number).")
    var threads: Int?

    @Flag(name: .long, help: "Keep the repeated run's folder (printed) instead of deleting it.")
    var keep = false

    func run() throws {
        do {
            let text = try RunReports.readProvenance(dir)
            let p = try RunReports.parse(text, file: dir + "/provenance.json")
            let file = p["experiment_file"]?.string ?? "experiment.yaml"
            // The experiment as it was: its text from the record, else the file if unchanged.
            var yaml = p["experiment_yaml"]?.string
            if yaml == nil {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw PlexusError("provenance.json has no experiment text and the experiment file is gone", file: file)
                }
                guard SHA256.hex(data) == p["experiment_sha256"]?.string else {
                    throw PlexusError("the experiment file changed since the run (SHA-256 differs) and provenance.json has no copy of it", file: file)
                }
                yaml = String(decoding: data, as: UTF8.self)
            }
            if let v = p["plexus_version"]?.string, v != Provenance.version {
                print("note: the run was made by Plexus \(v); this is \(Provenance.version)")
            }
            if let c = p["git_commit"]?.string, let now = Provenance.gitCommit, c != now {
                print("note: the run was made at commit \(c.prefix(12)); the source tree is now at \(now.prefix(12))")
            }
            let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-rerun-\(ProcessInfo.processInfo.processIdentifier)-\(UInt64(Date().timeIntervalSince1970 * 1000))")
            try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
            defer { if !keep { try? FileManager.default.removeItem(at: tmp) } }
            // The copy sits next to the original file when that folder is still there, so the
            // paths it names relative to itself (SWC files, connectomes, initial states) resolve
            // as they did; hidden, and removed afterwards.
            let original = URL(fileURLWithPath: file)
            let home = original.deletingLastPathComponent()
            var experiment = home.appendingPathComponent(".plexus-rerun-\(ProcessInfo.processInfo.processIdentifier)-\(original.lastPathComponent)")
            if (try? Data(yaml!.utf8).write(to: experiment)) == nil {
                experiment = tmp.appendingPathComponent(original.lastPathComponent)
                try Data(yaml!.utf8).write(to: experiment)
            }
            defer { if experiment.path.hasPrefix(home.path) { try? FileManager.default.removeItem(at: experiment) } }
            let out = tmp.appendingPathComponent("run").path
            var args = [experiment.path, "--out", out, "--quiet", "--no-report",
                        "--threads", String(threads ?? p["threads"]?.int ?? 1)]
            // The seed read exactly (a UInt64 may exceed a Double's 53 bits).
            if let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], let seed = obj["seed"] as? NSNumber {
                args += ["--seed", String(seed.uint64Value)]
            }
            print("repeating \(file) (seed \(p["seed"]?.text ?? "default"), \(threads ?? p["threads"]?.int ?? 1) threads) ...")
            let t0 = ResourceUsage.now()
            try Run.parse(args).run()
            let comparison = try Provenance.compareOutputs(original: dir, rerun: out)
            let changed = comparison.filter { !$0.identical }
            for c in comparison { print("  " + c.summary) }
            if keep { print("repeated run kept in \(out)") }
            if changed.isEmpty {
                print("identical: all \(comparison.count) output files have the same SHA-256 (rerun took \(String(format: "%.1f", ResourceUsage.now() - t0)) s)")
            } else {
                print("changed: \(changed.map(\.file).joined(separator: ", "))")
                throw ExitCode(1)
            }
        } catch let e as PlexusError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode(1)
        }
    }
}
