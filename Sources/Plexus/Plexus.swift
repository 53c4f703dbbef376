// `import Plexus` gives the whole public API: core types, the engines, the file readers and the
// analysis and report tools, and the session layer that runs experiments.
@_exported import PlexusCore
@_exported import PlexusPoint
@_exported import PlexusCable
@_exported import PlexusMass
@_exported import PlexusIO
@_exported import PlexusReport
@_exported import PlexusSession
@_exported import PlexusFit
