// `import Plexus` gives the whole public API: core types, the engines and the file readers.
@_exported import PlexusCore
@_exported import PlexusPoint
@_exported import PlexusIO
@_exported import PlexusReport
