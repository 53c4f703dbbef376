import PlexusCore

/// The multi-compartment engine (the job of Arbor and NEURON): cable cells and their networks.
public enum PlexusCable {}
