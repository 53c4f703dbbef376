import Plexus

/// Runs a neural-mass experiment (engine: mass).
enum MassRunner {
    static func run(_ ctx: RunContext) throws {
        throw PlexusError("the neural-mass engine is not available in this version", file: ctx.file)
    }
}
