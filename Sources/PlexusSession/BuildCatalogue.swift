import Foundation
import PlexusCore
import PlexusIO
import PlexusModel
import PlexusPoint

/// `plexus build-catalogue DIR`: every .mod file (cable mechanisms) and .rate file (neural-mass
/// models) of a folder through the model language (parse, lower, generate C), compiled ahead of
/// time into the catalogue cache, as NEURON's nrnivmodl does; a run that names the folder then
/// finds the libraries built. Optionally writes the generated C and CUDA sources (mechanisms).
public enum CatalogueBuild {
    public struct Request: Sendable {
        public var folder: String
        /// Also write the generated C here.
        public var cSource: String?
        /// Also write the CUDA source here.
        public var cudaSource: String?
        public init(folder: String, cSource: String? = nil, cudaSource: String? = nil) {
            self.folder = folder; self.cSource = cSource; self.cudaSource = cudaSource
        }
    }

    /// Builds and returns what a user reads: each mechanism, the library and the compile time.
    public static func run(_ r: Request) throws -> String {
        if r.folder.hasSuffix(".nestml") { return try nestmlModels([r.folder], from: r.folder, cSource: r.cSource) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: r.folder)) ?? []
        let nestml = names.filter { $0.hasSuffix(".nestml") }.sorted()
        if !nestml.isEmpty {
            return try nestmlModels(nestml.map { (r.folder as NSString).appendingPathComponent($0) }, from: r.folder, cSource: r.cSource)
        }
        let rates = names.filter { $0.hasSuffix(".rate") }.sorted()
        var out = ""
        if !rates.isEmpty {
            out += try rateModels(rates.map { (r.folder as NSString).appendingPathComponent($0) }, folder: r.folder)
            if !names.contains(where: { $0.hasSuffix(".mod") }) { return out }
            out += "\n"
        }
        return out + (try mechanisms(r))
    }

    /// NESTML models: each file parsed and lowered (or refused, with the reason), the lowered
    /// neurons compiled into one library, the synapses into another.
    static func nestmlModels(_ paths: [String], from source: String, cSource: String?) throws -> String {
        var lowered: [PointNeuronDescription] = [], synapses: [PointSynapseDescription] = []
        var lines: [String] = []
        var refused = 0
        for path in paths {
            let file = (path as NSString).lastPathComponent
            do {
                let models = try NESTMLLowering.models(contentsOf: path)
                for d in models.neurons {
                    lowered.append(d)
                    var solver = d.exactVariables.isEmpty ? "" : "exact: \(d.exactVariables.joined(separator: ", "))"
                    if !d.numericVariables.isEmpty { solver += (solver.isEmpty ? "" : "; ") + "RKF45: \(d.numericVariables.joined(separator: ", "))" }
                    lines.append("  \(d.name) (\(file)): \(solver.isEmpty ? "no ODEs" : solver)")
                    lines.append("    parameters: " + d.parameters.filter { !$0.name.hasPrefix("__") }.map {
                        "\($0.name) = \(OutputText.number($0.defaultValue))\($0.unit.isEmpty ? "" : " " + $0.unit)" }.joined(separator: ", "))
                }
                for d in models.synapses {
                    synapses.append(d)
                    lines.append("  \(d.name) (\(file)): synapse, state \(d.state.map(\.name).joined(separator: ", "))"
                                 + (d.readsPostSpikes ? "; reads the target's spikes" : "")
                                 + (d.postTraces.isEmpty ? "" : "; post-spike traces \(d.postTraces.map { d.state[$0].name }.joined(separator: ", "))"))
                    lines.append("    parameters: " + d.parameters.prefix(d.parameterCount).map {
                        "\($0.name) = \(OutputText.number($0.defaultValue))\($0.unit.isEmpty ? "" : " " + $0.unit)" }.joined(separator: ", "))
                }
            } catch let e as PlexusError {
                refused += 1
                lines.append("  refused \(file): \(e.message)\(e.line.map { " (line \($0))" } ?? "")")
            }
        }
        let count = lowered.count + synapses.count
        var out = "\(lowered.count) neuron model\(lowered.count == 1 ? "" : "s")\(synapses.isEmpty ? "" : " and \(synapses.count) synapse model\(synapses.count == 1 ? "" : "s")") from \(source)\(refused > 0 ? ", \(refused) file\(refused == 1 ? "" : "s") refused" : ""):\n"
        out += lines.joined(separator: "\n") + "\n"
        guard count > 0 else { return out }
        if !lowered.isEmpty {
            var compileTime: Double?
            let models = try GeneratedNeuronModel.compile(lowered) { compileTime = $0 }
            if let path = cSource { try write(models[0].librarySource, to: path) }
            out += (compileTime.map { String(format: "neurons compiled in %.2f s", $0) } ?? "neurons already built (cache)") + ": \(models[0].libraryPath)\n"
        }
        if !synapses.isEmpty {
            var compileTime: Double?
            let models = try GeneratedSynapseModel.compile(synapses) { compileTime = $0 }
            if let path = cSource, lowered.isEmpty { try write(models[0].librarySource, to: path) }
            out += (compileTime.map { String(format: "synapses compiled in %.2f s", $0) } ?? "synapses already built (cache)") + ": \(models[0].libraryPath)\n"
        }
        return out
    }

    /// Each rate model: parsed, generated and compiled (one library per model).
    static func rateModels(_ paths: [String], folder: String) throws -> String {
        var out = "\(paths.count) rate model\(paths.count == 1 ? "" : "s") from \(folder):\n"
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw PlexusError("cannot read the file as UTF-8 text", file: path)
            }
            let model = try RateModel.parse(text, file: path)
            var compileTime: Double?
            let kernel = try RateKernel.load(model) { compileTime = $0 }
            out += "  \(model.name) (\((path as NSString).lastPathComponent)): \(model.state.count) state variable\(model.state.count == 1 ? "" : "s") "
            out += "(\(model.state.map(\.name).joined(separator: ", "))), coupling through \(model.couplingVariables.map { model.state[$0].name }.joined(separator: ", "))\n"
            out += "    parameters: " + model.parameters.map { p in
                "\(p.name) = " + (p.isVector ? "[\(p.defaults.map { OutputText.number($0) }.joined(separator: ", "))]" : OutputText.number(p.defaults[0]))
            }.joined(separator: ", ") + "\n"
            out += "    " + (compileTime.map { String(format: "compiled in %.2f s", $0) } ?? "already built (cache)") + ": \(kernel.library.path)\n"
        }
        return out
    }

    static func mechanisms(_ r: Request) throws -> String {
        let start = Date()
        let sources = try MechanismSources(folder: r.folder, dialect: .neuron)
        let parsed = Date().timeIntervalSince(start)
        let c = try sources.cSource()
        if let path = r.cSource { try write(c, to: path) }
        if let path = r.cudaSource { try write(try CUDAGenerator().source(sources.models), to: path) }
        var compileTime: Double?
        let library = try CatalogueBuilder.library(source: c) { compileTime = $0 }
        var out = "\(sources.models.count) mechanism\(sources.models.count == 1 ? "" : "s") from \(r.folder):\n"
        for m in sources.models {
            let ions = m.ions.map { "\($0.name) (\($0.uses.joined(separator: ", ")))" }
            let solver = m.solve.map { "\($0.method.rawValue) on \($0.system.isKinetic ? "KINETIC" : "DERIVATIVE") \($0.system.name) (\(m.states.count) state\(m.states.count == 1 ? "" : "s"))" } ?? "no state equations"
            out += "  \(m.name) (\(m.kind == .point ? "point process" : "density"), \((m.source as NSString).lastPathComponent)): \(solver)"
            out += ions.isEmpty ? "" : "; ions \(ions.joined(separator: ", "))"
            out += "\n    parameters: " + (m.parameters.isEmpty ? "none" : m.parameters.map { "\($0.name) = \($0.value)\($0.unit.isEmpty ? "" : " \($0.unit)")" }.joined(separator: ", ")) + "\n"
        }
        for (path, e) in sources.refused { out += "  refused \((path as NSString).lastPathComponent): \(e)\n" }
        out += String(format: "parsed and generated in %.3f s; ", parsed)
        out += compileTime.map { String(format: "compiled in %.2f s", $0) } ?? "already built (cache)"
        out += "\nlibrary: \(library.path)"
        return out
    }

    static func write(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw PlexusError("cannot write the generated source", file: path)
        }
    }
}
