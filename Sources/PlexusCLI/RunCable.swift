import Plexus

/// Runs a multi-compartment experiment (engine: cable).
enum CableRunner {
    static func run(_ ctx: RunContext) throws {
        throw PlexusError("the cable engine is not available in this version", file: ctx.file)
    }
}
