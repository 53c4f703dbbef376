import PlexusCore

/// Parameters that several of NEST's synapse models declare alike: the same name, unit, meaning
/// and default, declared once here and named in each model's `parameters`.
enum SynapseParameter {
    // The presynaptic trace K⁺ of `stdp_dopamine_synapse` (as in Descriptions/stdp_synapse.nestml).
    static let tau_plus = ParameterSpec("tau_plus", .ms, 20, "time constant of the presynaptic trace")
    static let Kplus = ParameterSpec("Kplus", .one, 0, "initial presynaptic trace")
}
