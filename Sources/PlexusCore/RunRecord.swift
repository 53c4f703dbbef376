import Foundation

/// provenance.json: what one run (or sweep) was, how it went and what it wrote. PlexusSession
/// fills it in; PlexusIO writes and reads it; the report, `plexus rerun` and the tests read it.
/// One Codable type, so every key is spelled once (in `CodingKeys`).
public struct RunRecord: Codable, Sendable, Equatable {
    /// The engine that ran: the value of the experiment file's `engine:`.
    public enum Engine: String, Codable, Sendable, CaseIterable {
        case point, cable, mass
    }

    /// Which command made the folder.
    public enum Command: String, Codable, Sendable {
        case run, sweep, fit
    }

    public struct Machine: Codable, Sendable, Equatable {
        public var hostname: String
        public var os: String
        public var cpus: Int
        public var memoryBytes: UInt64
        public var cpuModel: String?

        enum CodingKeys: String, CodingKey {
            case hostname, os, cpus, memoryBytes = "memory_bytes", cpuModel = "cpu_model"
        }

        public init(hostname: String, os: String, cpus: Int, memoryBytes: UInt64, cpuModel: String?) {
            self.hostname = hostname; self.os = os; self.cpus = cpus; self.memoryBytes = memoryBytes; self.cpuModel = cpuModel
        }
    }

    /// Wall time of one phase of the run, in the order the phases ran.
    public struct Phase: Codable, Sendable, Equatable {
        public var phase: String
        public var seconds: Double
        public init(_ phase: String, _ seconds: Double) { self.phase = phase; self.seconds = seconds }
    }

    /// A named count ("neurons", "synapses", "spikes"...), in the order a reader looks for them.
    public struct Count: Codable, Sendable, Equatable {
        public var name: String
        public var value: Int
        public init(_ name: String, _ value: Int) { self.name = name; self.value = value }
    }

    /// A data file of the run with its checksum (report.html and provenance.json are derived, not listed).
    public struct Output: Codable, Sendable, Equatable {
        public var file: String
        public var bytes: Int
        public var sha256: String
        public init(file: String, bytes: Int, sha256: String) { self.file = file; self.bytes = bytes; self.sha256 = sha256 }
    }

    /// A population as placed: gids `firstGid ..< firstGid + size` (1-based for point runs, as
    /// NEST; 0-based for cable runs, as Arbor). `model` is the neuron or device model (point) or
    /// the cell kind (cable).
    public struct Population: Codable, Sendable, Equatable {
        public var name: String
        public var model: String
        public var firstGid: Int
        public var size: Int

        enum CodingKeys: String, CodingKey { case name, model, firstGid = "first_gid", size }

        public init(name: String, model: String, firstGid: Int, size: Int) {
            self.name = name; self.model = model; self.firstGid = firstGid; self.size = size
        }
    }

    /// A cable probe of a cell kind: its label (column `gid:label` of the probe files) and variable.
    public struct Probe: Codable, Sendable, Equatable {
        public var cell: String
        public var label: String?
        public var variable: String
        public init(cell: String, label: String?, variable: String) { self.cell = cell; self.label = label; self.variable = variable }
    }

    /// A neural-mass monitor and the file it wrote.
    public struct Monitor: Codable, Sendable, Equatable {
        public var file: String
        public var type: String
        public var periodMs: Double
        public var variables: [String]
        /// The column names after `t_ms`, recorded when the monitor was written as .npy (which
        /// has no header line); nil for a CSV-only run, whose first line names them.
        public var columns: [String]?
        /// The .npy file of this monitor when one was written (output format npy or [csv, npy]);
        /// `file` is the CSV when one was written too, else this same file.
        public var npyFile: String?

        enum CodingKeys: String, CodingKey { case file, type, periodMs = "period_ms", variables, columns, npyFile = "npy_file" }

        public init(file: String, type: String, periodMs: Double, variables: [String], columns: [String]? = nil, npyFile: String? = nil) {
            self.file = file; self.type = type; self.periodMs = periodMs; self.variables = variables
            self.columns = columns; self.npyFile = npyFile
        }
    }

    /// Functional connectivity of a mass run: which monitor and variable, how many samples, and
    /// its correlation with the structural (and, when given, empirical) connectivity.
    public struct FC: Codable, Sendable, Equatable {
        public var monitor: Int
        public var variable: String
        public var samples: Int
        public var fcVsSC: Double?
        public var fcVsFC: Double?

        enum CodingKeys: String, CodingKey { case monitor, variable, samples, fcVsSC = "fc_vs_sc", fcVsFC = "fc_vs_fc" }

        public init(monitor: Int, variable: String, samples: Int, fcVsSC: Double?, fcVsFC: Double?) {
            self.monitor = monitor; self.variable = variable; self.samples = samples; self.fcVsSC = fcVsSC; self.fcVsFC = fcVsFC
        }
    }

    /// One swept parameter and its values.
    /// What a fit searched and found (`plexus fit`).
    public struct Fit: Codable, Sendable, Equatable {
        public struct Parameter: Codable, Sendable, Equatable {
            public var path: String
            public var from: Double
            public var to: Double
            public var scale: String
            public init(path: String, from: Double, to: Double, scale: String) { self.path = path; self.from = from; self.to = to; self.scale = scale }
        }
        public struct Term: Codable, Sendable, Equatable {
            public var term: String
            public var weight: Double
            public var subjects: [String]
            public init(term: String, weight: Double, subjects: [String]) { self.term = term; self.weight = weight; self.subjects = subjects }
        }
        public var optimizer: String
        public var seed: UInt64
        public var population: Int
        public var generations: Int
        public var evaluations: Int
        /// Evaluations taken from an earlier, interrupted fit in the same folder.
        public var resumedEvaluations: Int
        public var parameters: [Parameter]
        public var objective: [Term]
        public var bestValues: [Double]
        public var bestFitness: Double
        public init(optimizer: String, seed: UInt64, population: Int, generations: Int, evaluations: Int, resumedEvaluations: Int,
                    parameters: [Parameter], objective: [Term], bestValues: [Double], bestFitness: Double) {
            self.optimizer = optimizer; self.seed = seed; self.population = population; self.generations = generations
            self.evaluations = evaluations; self.resumedEvaluations = resumedEvaluations; self.parameters = parameters
            self.objective = objective; self.bestValues = bestValues; self.bestFitness = bestFitness
        }
        enum CodingKeys: String, CodingKey {
            case optimizer, seed, population, generations, evaluations, resumedEvaluations = "resumed_evaluations", parameters, objective
            case bestValues = "best_values", bestFitness = "best_fitness"
        }
    }

    /// A change made between the pieces of a point run (`ContinuingRun.set`): at `atMs`, the
    /// population's `params` (the mapping text as given) for `neurons` (first, count; nil: all).
    /// `plexus rerun` makes them again at the same times.
    public struct Change: Codable, Sendable, Equatable {
        public var atMs: Double
        public var population: String
        public var params: String
        public var neurons: [Int]?
        enum CodingKeys: String, CodingKey { case atMs = "at_ms", population, params, neurons }
        public init(atMs: Double, population: String, params: String, neurons: [Int]?) {
            self.atMs = atMs; self.population = population; self.params = params; self.neurons = neurons
        }
    }

    public struct SweepAxis: Codable, Sendable, Equatable {
        public var parameter: String
        public var values: [Double]
        public init(parameter: String, values: [Double]) { self.parameter = parameter; self.values = values }
    }

    /// The cells and times a cable report draws coloured by voltage (morphology.csv, cv_voltage.csv).
    public struct Snapshots: Codable, Sendable, Equatable {
        public var timesMs: [Double]
        public var cells: [Int]
        enum CodingKeys: String, CodingKey { case timesMs = "times_ms", cells }
        public init(timesMs: [Double], cells: [Int]) { self.timesMs = timesMs; self.cells = cells }
    }

    // What made the run.
    public var plexusVersion: String
    public var build: String
    public var gitCommit: String?
    public var gitDirty: Bool?
    public var commandLine: [String]
    public var command: Command
    public var engine: Engine
    public var experimentFile: String
    public var experimentSHA256: String
    /// The experiment file's text, which `plexus rerun` repeats.
    public var experimentYAML: String?
    public var description: String?
    public var seed: UInt64?
    public var threads: Int
    public var ranks: Int
    /// How spikes crossed between ranks of a point or cable run (`SpikeExchangeMode`), when there
    /// were several.
    public var spikeExchange: String?
    public var machine: Machine
    public var startedUTC: String
    public var finishedUTC: String

    // How it went.
    public var timings: [Phase]
    /// CPU seconds of the process (all threads) per phase, where measured.
    public var cpuSeconds: [Phase]?
    public var realtimeFactor: Double?
    public var peakRSSBytes: Int?
    public var counts: [Count]
    public var bytesPerSynapse: Double?
    public var bytesPerConnection: Double?
    public var warnings: [String]?

    // What it simulated and wrote.
    public var durationMs: Double
    public var resolutionMs: Double
    public var populations: [Population]?
    /// The populations whose spikes were recorded (in spikes.csv), in the order they were asked for.
    public var spikesRecorded: [String]?
    public var probes: [Probe]?
    public var probeFiles: [String]?
    public var snapshots: Snapshots?
    public var monitors: [Monitor]?
    public var fc: FC?
    public var model: String?
    public var sweep: [SweepAxis]?
    public var fit: Fit?
    /// Changes made during a point run in pieces, in order.
    public var changes: [Change]?
    /// The fully resolved experiment (every default filled in), for people and tools to read.
    public var experiment: JSONValue
    public var outputs: [Output]

    enum CodingKeys: String, CodingKey {
        case plexusVersion = "plexus_version", build, gitCommit = "git_commit", gitDirty = "git_dirty"
        case commandLine = "command_line", command, engine
        case experimentFile = "experiment_file", experimentSHA256 = "experiment_sha256", experimentYAML = "experiment_yaml"
        case description, seed, threads, ranks, spikeExchange = "spike_exchange", machine, startedUTC = "started_utc", finishedUTC = "finished_utc"
        case timings = "timings_s", cpuSeconds = "cpu_s", realtimeFactor = "realtime_factor", peakRSSBytes = "peak_rss_bytes"
        case counts, bytesPerSynapse = "bytes_per_synapse", bytesPerConnection = "bytes_per_connection", warnings
        case durationMs = "duration_ms", resolutionMs = "resolution_ms", populations, spikesRecorded = "spikes_recorded", probes, probeFiles = "probe_files"
        case snapshots, monitors, fc, model, sweep, fit, changes, experiment, outputs
    }

    public init(engine: Engine, command: Command = .run, experimentFile: String, experimentText: String,
                durationMs: Double, resolutionMs: Double, experiment: JSONValue = .null) {
        plexusVersion = RunRecord.version
        build = RunRecord.buildKind
        commandLine = CommandLine.arguments
        self.command = command
        self.engine = engine
        self.experimentFile = experimentFile
        experimentSHA256 = SHA256.hex(Array(experimentText.utf8))
        experimentYAML = experimentText
        threads = 1
        ranks = 1
        machine = RunRecord.thisMachine
        startedUTC = RunRecord.isoNow()
        finishedUTC = startedUTC
        timings = []
        counts = []
        self.durationMs = durationMs
        self.resolutionMs = resolutionMs
        self.experiment = experiment
        outputs = []
    }

    /// Seconds of a phase ("simulate"), nil when not timed.
    public func seconds(_ phase: String) -> Double? { timings.first { $0.phase == phase }?.seconds }

    /// A count by name, nil when not counted.
    public func count(_ name: String) -> Int? { counts.first { $0.name == name }?.value }

    // MARK: encoding

    /// provenance.json's text: pretty-printed, keys sorted, ending in a newline.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// Reads provenance.json's text; `file` names it in errors.
    public init(json text: String, file: String) throws {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            self = try decoder.decode(RunRecord.self, from: Data(text.utf8))
        } catch let DecodingError.keyNotFound(key, context) {
            throw PlexusError("not a Plexus run record: '\(RunRecord.path(context.codingPath + [key]))' is missing", file: file)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            let at = context.codingPath.isEmpty ? "" : " at '\(RunRecord.path(context.codingPath))'"
            throw PlexusError("not a readable run record\(at): \(context.debugDescription)", file: file)
        } catch {
            throw PlexusError("not a readable run record: \(error)", file: file)
        }
    }

    static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    // MARK: facts about this build and machine

    public static let version = "0.1.0"

    /// How this binary was compiled: "debug" or "release".
    public static var buildKind: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    public static var thisMachine: Machine {
        let info = ProcessInfo.processInfo
        return Machine(hostname: info.hostName, os: info.operatingSystemVersionString, cpus: info.processorCount,
                       memoryBytes: info.physicalMemory, cpuModel: cpuModel)
    }

    /// The processor's name from /proc/cpuinfo (Linux), nil elsewhere.
    public static var cpuModel: String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    public static func isoNow() -> String { ISO8601DateFormatter().string(from: Date()) }
}
