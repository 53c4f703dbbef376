import Foundation
import PackagePlugin

/// Generates `Registry.generated.swift` for a target from its own sources (see
/// Sources/KindRegistryTool/main.swift): the list of every conformance to each registry protocol,
/// so that adding a neuron model, synapse, device, mechanism or coupling is one new file.
@main
struct KindRegistry: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let inputs = module.sourceFiles(withSuffix: "swift").map(\.url)
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("Registry.generated.swift")
        return [.buildCommand(displayName: "Registry of \(target.name)",
                              executable: try context.tool(named: "KindRegistryTool").url,
                              arguments: [output.path] + inputs.map(\.path),
                              inputFiles: inputs,
                              outputFiles: [output])]
    }
}
