import ArgumentParser
import Foundation
import PlexusCore
import PlexusMPI
import PlexusSession

// The command line: arguments in, PlexusSession called, errors out. Nothing else lives here.

@main
struct PlexusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plexus",
        abstract: "Brain simulation at every scale: point-neuron networks (NEST's job), detailed cells (Arbor's and NEURON's), whole-brain neural masses (TVB's).",
        version: RunRecord.version,
        subcommands: [Run.self, Sweep.self, Fit.self, Models.self, BuildCatalogue.self, ReportCommand.self, RerunCommand.self])
}

/// A Plexus error as a message on standard error and exit status 1.
func reporting(_ body: () throws -> Void) throws {
    do { try body() } catch let e as PlexusError {
        FileHandle.standardError.write(Data("error: \(e)\n".utf8))
        throw ExitCode(1)
    }
}

extension SpikeExchangeMode: ExpressibleByArgument {}

/// `reporting` for a command that may run under mpirun: the ranks of the launch (one process
/// without mpirun). An error every rank threw together is printed once, by rank 0, and all
/// ranks end MPI and exit 1; an error only this rank saw is printed with its rank and ends the
/// launch (MPI_Abort), since the other ranks may be waiting for it in a collective.
func reportingRanks(_ body: (any Communicator) throws -> Void) throws {
    var world: MPICommunicator?
    try reporting { world = try MPICommunicator.world() }
    let comm: any Communicator = world ?? SingleProcess.shared
    do {
        try body(comm)
    } catch let e as PlexusError {
        guard let world, world.size > 1 else {
            MPICommunicator.finalize()
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode(1)
        }
        if world.agreedError?.message == e.message {
            if world.rank == 0 { FileHandle.standardError.write(Data("error: \(e)\n".utf8)) }
            MPICommunicator.finalize()
            throw ExitCode(1)
        }
        FileHandle.standardError.write(Data("error (rank \(world.rank) of \(world.size)): \(e)\n".utf8))
        MPICommunicator.abort(1)
        throw ExitCode(1)
    }
    MPICommunicator.finalize()
}

/// Where results go and how a run speaks: shared by `plexus run` and `plexus sweep`.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output folder (default: runs/<file name>/).")
    var out: String?

    @Option(name: .long, help: "Random seed (overrides the file's `seed`).")
    var seed: UInt64?

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    @Flag(name: .long, help: "Do not write report.html (`plexus report DIR` builds it later).")
    var noReport = false

    func request(_ file: String, threads: Int) -> RunRequest {
        RunRequest(file: file, out: out, threads: threads, seed: seed, quiet: quiet, noReport: noReport,
                   progressBar: isatty(2) != 0)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Simulate an experiment file and write its results.")

    @Argument(help: "Experiment file (YAML).")
    var file: String

    @Option(name: .long, help: "Worker threads (results are identical for any number).")
    var threads: Int = 1

    @Option(name: .long, help: ArgumentHelp("Under mpirun: how spikes cross between ranks, 'targeted' (only to the ranks that host targets) or 'gather' (to every rank). Results are identical.", valueName: "mode"))
    var spikeExchange = SpikeExchangeMode.targeted

    @OptionGroup var options: OutputOptions

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        try reportingRanks { comm in
            var request = options.request(file, threads: threads)
            request.communicator = comm
            request.spikeExchange = spikeExchange
            try Session.run(request)
        }
    }
}

/// `--threads` of the commands that run whole points, one per thread (sweep, fit): all cores
/// unless given.
struct PointThreads: ParsableArguments {
    @Option(name: .long, help: "Worker threads (default: all cores); each runs whole points.")
    var threads: Int?

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
    }

    var count: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }
}

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a neural-mass experiment over a grid of one or two parameters.")

    @Argument(help: "Experiment file (YAML) with a `sweep:` section.")
    var file: String

    @OptionGroup var workers: PointThreads

    @Option(name: .long, help: "At most this many stochastic neural-mass points per simulation, as SIMD lanes sharing the noise draws (1: one point per run).")
    var lanes = Session.defaultLanes

    func validate() throws {
        guard lanes >= 1 else { throw ValidationError("--lanes must be at least 1, got \(lanes)") }
    }

    @OptionGroup var options: OutputOptions

    func run() throws {
        try reportingRanks { comm in
            // With ranks, rank 0 shows the points it has run itself.
            let tty = !options.quiet && isatty(2) != 0 && comm.rank == 0
            var request = options.request(file, threads: workers.count)
            request.communicator = comm
            try Session.sweep(request, lanes: lanes) { done, total in
                if tty { FileHandle.standardError.write(Data("\r\(done)/\(total) points\(done == total ? "\n" : "")".utf8)) }
            }
        }
    }
}

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit an experiment's parameters to data with an optimiser (grid, random, cross_entropy, genetic, cmaes).",
        discussion: """
            The file's `fit:` section names the parameters (key paths with intervals), the objective \
            (neural masses: FC correlation, FC distance, FCD KS distance against empirical data; point \
            networks: population rates and CVs; cells: spike count and latency) and the optimiser. \
            Each generation's points run on all threads. Stochastic neural-mass points that differ \
            only in parameters and noise run as the SIMD lanes of one simulation per thread, as \
            many as keep the delay history in cache (--lanes caps it; 1 runs them one by one); the \
            numbers are the same either way and do not depend on the thread count. --resume continues an interrupted fit in the same folder.
            """)

    @Argument(help: "Experiment file (YAML) with a `fit:` section.")
    var file: String

    @OptionGroup var workers: PointThreads

    @Flag(name: .long, help: "Continue the fit in the output folder: its recorded evaluations are not run again.")
    var resume = false

    @Option(name: .long, help: "At most this many stochastic neural-mass points per simulation, as SIMD lanes sharing the noise draws (1: one point per run).")
    var lanes = Session.defaultLanes

    @OptionGroup var options: OutputOptions

    func validate() throws {
        guard lanes >= 1 else { throw ValidationError("--lanes must be at least 1, got \(lanes)") }
    }

    func run() throws {
        let tty = !options.quiet && isatty(2) != 0
        try reportingRanks { comm in
            var request = options.request(file, threads: workers.count)
            request.communicator = comm
            // Under mpirun each rank evaluates its share of every generation; rank 0 speaks.
            let speaks = tty && comm.rank == 0
            try Session.fit(request, resume: resume, lanes: lanes) { g, n, best in
                if speaks { FileHandle.standardError.write(Data("\rgeneration \(g): \(n) evaluations, best fitness \(String(format: "%.4f", best))   ".utf8)) }
            }
            if speaks { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }
}

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the models of every engine with their parameters, defaults and units.",
        discussion: """
            Point engine: neuron models, devices and synapse models (NEST's names). Cable engine: \
            mechanisms (NEURON's and Arbor's names). Neural-mass engine: models and couplings (TVB's \
            class names).
            """)

    @Argument(help: "Show only this model, device, synapse, mechanism or coupling.")
    var name: String?

    @Option(help: "Show only one engine: \(RunRecord.Engine.allCases.map(\.rawValue).joined(separator: ", ")).")
    var engine: String?

    @Flag(help: "Print the NESTML description a built-in neuron model is generated from (a starting point for a variant of your own).")
    var source = false

    func run() throws {
        if source {
            guard let name else { throw ValidationError("--source needs a model name, e.g. plexus models iaf_psc_alpha --source") }
            try reporting { print(try Catalogue.neuronDescription(name), terminator: "") }
            return
        }
        let kind = try engine.map { e in
            guard let k = RunRecord.Engine(rawValue: e) else {
                throw ValidationError("unknown engine '\(e)'; engines: \(RunRecord.Engine.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return k
        }
        try reporting { print(try Catalogue.listing(name: name, engine: kind)) }
    }
}

struct BuildCatalogue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build-catalogue",
        abstract: "Compile a folder of NMODL (.mod) files into a mechanism catalogue, as nrnivmodl does.",
        discussion: """
            Each file is parsed, checked and turned into C kernels (NEURON's numerics: cnexp with the \
            exact exponential, conductances as NEURON takes them), compiled by clang at -O3 into the \
            catalogue cache ($PLEXUS_CACHE, else ~/.cache/plexus). A cable experiment that lists the \
            folder under `mechanisms:` then uses the library built here; without it, `plexus run` \
            compiles what it needs.
            """)

    @Argument(help: "Folder of .mod files.")
    var folder: String

    @Option(name: .customLong("emit-c"), help: "Also write the generated C source to this file.")
    var cSource: String?

    @Option(name: .customLong("emit-cuda"), help: "Also write CUDA source of the same kernels to this file.")
    var cudaSource: String?

    func run() throws {
        try reporting { print(try CatalogueBuild.run(.init(folder: folder, cSource: cSource, cudaSource: cudaSource))) }
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild a run folder's report.html from its data files and provenance.json.")

    @Argument(help: "Run folder (written by `plexus run`).")
    var dir: String

    @Option(name: .long, help: "File name of the report inside the folder.")
    var name: String = "report.html"

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        try reporting {
            let r = try Session.report(directory: dir, name: name)
            if !quiet { print(r.summary) }
        }
    }
}

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
        try reporting {
            let r = try Session.rerun(directory: dir, threads: threads, keep: keep) { print($0) }
            for note in r.notes { print("note: \(note)") }
            for c in r.comparisons { print("  " + c.summary) }
            if keep { print("repeated run kept in \(r.directory)") }
            if r.identical {
                print("identical: all \(r.comparisons.count) output files have the same SHA-256 (rerun took \(String(format: "%.1f", r.seconds)) s)")
            } else {
                print("changed: \(r.comparisons.filter { !$0.identical }.map(\.file).joined(separator: ", "))")
                throw ExitCode(1)
            }
        }
    }
}
