import PlexusCore

/// Repeats its input (NEST `parrot_neuron`): every spike that arrives is sent on unchanged, in
/// the step in which it arrives; n spikes arriving in one step leave as one spike of
/// multiplicity n. Weights are ignored (`countsSpikes`): the engine delivers 1 per incoming spike
/// (times its multiplicity) into the excitatory channel. No parameters, no state.
/// Not modelled: NEST's receptor 1 (spikes that are recorded but not repeated).
public struct ParrotNeuron: PointNeuronModel {
    public static let name = "parrot_neuron"
    public static let parameters: [ParameterSpec] = []
    public static let state: [StateSpec] = []
    /// Any weight unit is accepted; the value is not used.
    public static let weightUnit = PhysicalUnit.weight
    public static let countsSpikes = true

    public init(parameters p: ParameterValues, resolution h: Double) throws {}

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        for i in range {
            // NEST converts the summed count to an unsigned integer (truncating).
            let n = input.excitatory(i).rounded(.towardZero)
            if n > 0 { spikes.emit(i, multiplicity: n) }
        }
    }
}
