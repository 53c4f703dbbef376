import PlexusCore

/// Parameters that several of NEST's synapse models declare alike: the same name, unit, meaning
/// and default, declared once here and named in each model's `parameters`.
enum SynapseParameter {
    /// The weight bound of `stdp_synapse`, `stdp_nn_symm_synapse` and `stdp_triplet_synapse`.
    static let Wmax = ParameterSpec("Wmax", .weight, 100, "maximum weight (same sign as the weight)")

    // The presynaptic trace K⁺ of `stdp_synapse` and `stdp_dopamine_synapse`.
    static let tau_plus = ParameterSpec("tau_plus", .ms, 20, "time constant of the presynaptic trace")
    static let Kplus = ParameterSpec("Kplus", .one, 0, "initial presynaptic trace")

    // The Tsodyks-Markram short-term plasticity of `tsodyks_synapse` and `tsodyks2_synapse`.
    static let U = ParameterSpec("U", .one, 0.5, "utilisation increment")
    static let tau_rec = ParameterSpec("tau_rec", .ms, 800, "recovery time constant")
    static let tau_fac = ParameterSpec("tau_fac", .ms, 0, "facilitation time constant (0: none)")
}
