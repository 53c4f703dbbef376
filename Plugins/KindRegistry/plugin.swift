import Foundation
import PackagePlugin

/// Generates `Registry.generated.swift` for a target from its own sources (see
/// Sources/KindRegistryTool/main.swift): the list of every conformance to each registry protocol,
/// so that adding a neuron model, synapse, device, mechanism, coupling or rate model is one new file.
@main
struct KindRegistry: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        // Model descriptions anywhere under the target (excluded from its sources, so read from
        // the folder), embedded as RateModelSources.all (.rate) and NESTMLSources.all (.nestml).
        var rates: [URL] = []
        if let walk = FileManager.default.enumerator(at: URL(fileURLWithPath: module.directory.string), includingPropertiesForKeys: nil) {
            for case let url as URL in walk where ["rate", "nestml"].contains(url.pathExtension) { rates.append(url) }
        }
        let inputs = module.sourceFiles(withSuffix: "swift").map(\.url) + rates.sorted { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("Registry.generated.swift")
        return [.buildCommand(displayName: "Registry of \(target.name)",
                              executable: try context.tool(named: "KindRegistryTool").url,
                              arguments: [output.path] + inputs.map(\.path),
                              inputFiles: inputs,
                              outputFiles: [output])]
    }
}
