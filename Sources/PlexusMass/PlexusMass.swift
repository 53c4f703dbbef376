import PlexusCore

/// The neural-mass engine (the job of The Virtual Brain): models on a connectome with delays.
public enum PlexusMass {}
