import Foundation
import PackagePlugin

/// Records, at build time, the commit the sources were built from and whether the tree had
/// uncommitted changes (`BuildInfo.generated.swift`, read by Provenance). A run then never asks
/// version control anything: it used to run `git status` in the user's folder on every run, and
/// once in a few hundred runs that child process hung after the data were written.
///
/// A prebuild command runs before every build; scripts/build-info rewrites the file only when
/// its content changes, so an unchanged tree rebuilds nothing.
@main
struct BuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let outputs = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
        return [.prebuildCommand(displayName: "Build info of \(target.name)",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: [context.package.directoryURL.appendingPathComponent("scripts/build-info").path,
                                             context.package.directoryURL.path, outputs.path],
                                 outputFilesDirectory: outputs)]
    }
}
