import PlexusCore

/// Repeats its input at the input's precise times (NEST `parrot_neuron_ps`): every spike that
/// arrives is sent on unchanged, with its offset and multiplicity, in the step in which it
/// arrives; off-grid arrivals leave one by one in time order, on-grid ones (offset 0) at the end
/// of the step as one spike of their summed multiplicity. Weights are ignored (`countsSpikes`).
/// No parameters, no state.
public struct ParrotNeuronPs: PointNeuronModel {
    public static let name = "parrot_neuron_ps"
    public static let parameters: [ParameterSpec] = []
    public static let state: [StateSpec] = []
    public static let weightUnit = PhysicalUnit.weight
    public static let countsSpikes = true
    public static let isPrecise = true

    public init(parameters p: ParameterValues, resolution h: Double) throws {}

    public func update(_ s: StateColumns, _ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        var k = 0
        for i in range {
            let pair = i + input.eventBase
            while k < input.eventCount && Int(input.events[k].target) < pair { k += 1 }
            while k < input.eventCount && Int(input.events[k].target) == pair {
                // NEST converts the multiplicity to an unsigned integer (truncating).
                let n = input.events[k].weight.rounded(.towardZero)
                if n > 0 { spikes.emit(i, offset: input.events[k].offset, count: Int32(clamping: Int64(n))) }
                k += 1
            }
            let n = input.excitatory(i).rounded(.towardZero)
            if n > 0 { spikes.emit(i, multiplicity: n) }
        }
    }
}
