import PlexusCore

/// The neural-mass engine (the job of The Virtual Brain): models on a connectome with delays.
/// See `MassNetwork` (build and run), `MassModels` (the model catalogue), `Connectome`,
/// `MassSweep` and `FCResult` (from Core's `Correlation`).
public enum PlexusMass {}
