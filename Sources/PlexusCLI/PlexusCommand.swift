import ArgumentParser
import Foundation
import Plexus

@main
struct PlexusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plexus",
        abstract: "Brain simulation at every scale: point-neuron networks (NEST's job) and more to come.",
        version: Provenance.version,
        subcommands: [Run.self, Models.self, ReportCommand.self, RerunCommand.self, Sweep.self],
        defaultSubcommand: nil)
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
