import Foundation
import PlexusCore
import PlexusModel

/// `plexus build-catalogue DIR`: every .mod file of a folder through the model language
/// (parse, lower, generate C), compiled ahead of time into the catalogue cache, as NEURON's
/// nrnivmodl does; a run that names the folder then finds the library built. Optionally writes
/// the generated C and CUDA sources.
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
