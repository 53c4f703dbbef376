import Foundation
import PlexusCore
import PlexusIO
import PlexusPoint
import PlexusCable
import PlexusMass
import PlexusModel

/// The inputs a user hands Plexus, as entry points for a fuzzer (Sources/PlexusFuzz, run by
/// scripts/fuzz) and for the regression tests that replay what it found (Tests/Fixtures/fuzz).
///
/// Each target takes arbitrary bytes and must either accept them or throw a `PlexusError`; a
/// crash, a trap, a hang or any other error type is a finding. Experiment targets go as far as a
/// user's run would: decode, validate, build, and simulate a few steps. So that one input stays
/// cheap, a run is capped at `maxSteps` steps and `memoryCeilingBytes` of network (a bigger
/// network gets the same "needs at least ... GiB" error a user would see on a smaller machine).
public enum FuzzTarget: String, CaseIterable, Sendable {
    case point, cable, mass, swc, zip, nmodl, rate, nestml

    /// The most steps of simulation one input runs.
    public static let maxSteps = 20.0
    /// The most memory one input's network may need.
    public static let memoryCeilingBytes = 64.0 * 1_048_576

    /// What the target feeds its input to.
    public var doc: String {
        switch self {
        case .point: "point-engine experiment YAML: decode, build, simulate \(Int(Self.maxSteps)) steps"
        case .cable: "cable-engine experiment YAML: decode, morphology files, build, simulate \(Int(Self.maxSteps)) steps"
        case .mass: "neural-mass experiment YAML: decode, connectome, build, simulate \(Int(Self.maxSteps)) steps, FC"
        case .swc: "SWC morphology text: records, segment tree, branches"
        case .zip: "TVB connectivity zip: members, matrices, centres"
        case .nmodl: "NMODL mechanism file: parse, lower, generate C and CUDA (not compiled)"
        case .rate: "rate-model description (.rate): parse, check names, generate C (not compiled)"
        case .nestml: "NESTML model file: parse, fix units, lower neurons and synapses, generate C (not compiled)"
        }
    }

    /// Runs one input. `directory` is where relative paths in an experiment point (examples/ for
    /// the seed corpus); `scratch` a folder the zip target may write its input to.
    public func run(_ data: Data, directory: String, scratch: String) throws {
        let ceiling = ResourceUsage.memoryCeilingBytes
        ResourceUsage.memoryCeilingBytes = Self.memoryCeilingBytes
        defer { ResourceUsage.memoryCeilingBytes = ceiling }
        switch self {
        case .point, .cable, .mass:
            guard let text = String(data: data, encoding: .utf8) else { return }   // the CLI refuses non-UTF-8 text before this
            let source = try ExperimentSource(text, file: directory + "/fuzz.yaml")
            do { try experiment(source, directory: directory) } catch let e as PlexusError { throw source.locate(e) }
        case .swc:
            guard let text = String(data: data, encoding: .utf8) else { return }
            for dialect in [SWC.Dialect.neuron, .arbor] {
                let tree = try SWC.parse(text, file: "fuzz.swc", dialect: dialect)
                _ = CableMorphology(tree)
            }
        case .zip:
            let path = scratch + "/fuzz-\(getpid()).zip"
            guard FileManager.default.createFile(atPath: path, contents: data) else {
                throw PlexusError("cannot write the fuzz input", file: path)
            }
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = try ConnectomeZip.read(path)
        case .nmodl:
            guard let text = String(data: data, encoding: .utf8) else { return }
            let sources = try MechanismSources(files: [("fuzz.mod", text)])
            _ = try sources.cSource()
            _ = try CUDAGenerator().source(sources.models)
        case .rate:
            guard let text = String(data: data, encoding: .utf8) else { return }
            _ = RateKernelWriter(try RateModel.parse(text, file: "fuzz.rate")).source()
        case .nestml:
            guard let text = String(data: data, encoding: .utf8) else { return }
            _ = try NESTMLLowering.models(try NESTMLParser.parse(text, path: "fuzz.nestml"))
        }
    }

    private func experiment(_ source: ExperimentSource, directory: String) throws {
        // A fit section: decoded, its parameters written into the file at the intervals' middles
        // (what each point of the fit runs, and best.yaml), then the experiment as below.
        if FitFile.hasFit(source), let fit = try FitFile.decode(source, defaultSeed: 1) {
            let middle = fit.parameters.map { $0.value(unit: 0.5) }
            _ = try FitFile.experiment(source, parameters: fit.parameters, values: middle)
            try experiment(try FitFile.applying(fit.parameters, middle, to: source), directory: directory, fit: false)
            return
        }
        try experiment(source, directory: directory, fit: false)
    }

    private func experiment(_ source: ExperimentSource, directory: String, fit: Bool) throws {
        switch self {
        case .point:
            var e = try ExperimentFile.decode(source)
            if let h = try? e.resolution.value(in: .ms, name: "resolution"),
               let d = try? e.duration.value(in: .ms, name: "duration"), h > 0, d > Self.maxSteps * h {
                e.duration = Quantity(Self.maxSteps * h, "ms")
            }
            _ = try PointNetwork(e, threads: 1).run()
        case .cable:
            var e = try CableExperimentFile.decode(source)
            if e.resolution > 0, e.duration > Self.maxSteps * e.resolution { e.duration = Self.maxSteps * e.resolution }
            _ = try CableNetwork(e, threads: 1).run()
        case .mass:
            var e = try MassExperimentFile.decode(source)
            if e.integrator.dt > 0, e.duration > Self.maxSteps * e.integrator.dt { e.duration = Self.maxSteps * e.integrator.dt }
            let connectome = try Self.connectome(e.connectivity, directory: directory)
            try SensorFileReader.resolve(&e, connectome: connectome)
            let net = try MassNetwork(e, connectome: connectome, threads: 1)
            let result = try net.run()
            _ = try? FCResult(result, connectome: connectome, description: e.fc)
        case .swc, .zip, .nmodl, .rate, .nestml:
            break
        }
    }

    /// tvb-data's connectomes are read once per process: the fuzzer spends its time on the
    /// experiment, and the zip target covers the reader.
    nonisolated(unsafe) private static var connectomes: [String: Connectome] = [:]
    private static func connectome(_ source: ConnectivitySource, directory: String) throws -> Connectome {
        guard case .tvbData(let name) = source else { return try ConnectomeZip.load(source, baseDirectory: directory) }
        if let c = connectomes[name] { return c }
        let c = try ConnectomeZip.load(source, baseDirectory: directory)
        connectomes[name] = c
        return c
    }
}
