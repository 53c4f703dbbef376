import PlexusCore

// What NEST's precise-timing models (`iaf_psc_alpha_ps`, `iaf_psc_exp_ps`, `iaf_psc_delta_ps`)
// share: their parameter checks, the order in which a step's events reach a neuron (its
// `slice_ring_buffer`), and the regula falsi that finds a threshold crossing within a step.
// Times within a step are offsets before its end, as NEST keeps them: a spike at offset o of
// step s happened at (s + 1)·h − o.

/// The integrate-and-fire membrane of the `_ps` models: `IafPscMembrane`'s parameters, checked
/// in NEST's order (Parameters_::set), with the refractory period in whole steps (at least one).
struct PreciseMembrane {
    let EL, Vth, Vreset, Vmin, Ie: Double
    let refractorySteps: Int64
    let h: Double

    init(_ p: ParameterValues, resolution h: Double) throws {
        EL = p["E_L"]
        Vth = p["V_th"] - EL
        Vreset = p["V_reset"] - EL
        Vmin = p["V_min"] - EL
        Ie = p["I_e"]
        self.h = h
        try Check.less(p, "V_reset", "V_th")
        if !(p["V_reset"] >= p["V_min"]) {
            throw PlexusError("V_reset = \(p["V_reset"]) must not be below V_min = \(p["V_min"])", keyPath: "V_reset")
        }
        try Check.positive(p, "C_m")
        refractorySteps = Int64(nestDurationSteps(p["t_ref"], resolution: h))
        if !(p["t_ref"] >= 0) || refractorySteps < 1 {
            throw PlexusError.outOfRange("t_ref", p["t_ref"], "must be at least one step (\(h) ms) for a precise-timing model")
        }
        try Check.positive(p, "tau_m")
    }
}

/// The events that reach one precise neuron in step T, in NEST's order (`SliceRingBuffer`):
/// the off-grid spikes by time (larger offset first, then arrival), the end of refractoriness
/// before any spike at the same time, then the spikes that arrived on the grid (offset 0, the
/// step's summed input channels). `accumulate` sums the weights of spikes at the same time into
/// one event (iaf_psc_delta_ps); otherwise each is its own event, and the on-grid input is one
/// excitatory and one inhibitory event.
struct PreciseStepEvents {
    let list: UnsafePointer<PreciseEvent>
    var next: Int
    let end: Int
    /// Offset of the end of refractoriness in this step; negative if none.
    var refractoryEnd: Double
    var gridExcitatory: Double
    var gridInhibitory: Double
    let accumulate: Bool

    init(_ input: StepInput, neuron i: Int, from cursor: inout Int, refractoryEnd: Double, accumulate: Bool) {
        let pair = i + input.eventBase
        var k = cursor
        while k < input.eventCount && Int(input.events[k].target) < pair { k += 1 }
        let first = k
        while k < input.eventCount && Int(input.events[k].target) == pair { k += 1 }
        cursor = k
        list = input.events
        next = first
        end = k
        self.refractoryEnd = refractoryEnd
        gridExcitatory = input.excitatory(i)
        gridInhibitory = input.inhibitory(i)
        self.accumulate = accumulate
    }

    /// Whether the step has any event (NEST then takes the event path, ministep by ministep).
    var isEmpty: Bool { next == end && refractoryEnd < 0 && gridExcitatory == 0 && gridInhibitory == 0 }

    mutating func pop() -> (offset: Double, weight: Double, endOfRefractoriness: Bool)? {
        if refractoryEnd >= 0 && (next == end || refractoryEnd >= list[next].offset) {
            let o = refractoryEnd
            refractoryEnd = -1
            return (o, 0, true)
        }
        if next < end {
            let o = list[next].offset
            var w = list[next].weight
            next += 1
            if accumulate {
                while next < end && list[next].offset == o { w += list[next].weight; next += 1 }
            }
            return (o, w, false)
        }
        if accumulate {
            if gridExcitatory != 0 || gridInhibitory != 0 {
                let w = gridExcitatory + gridInhibitory
                gridExcitatory = 0; gridInhibitory = 0
                return (0, w, false)
            }
            return nil
        }
        if gridExcitatory != 0 {
            let w = gridExcitatory
            gridExcitatory = 0
            return (0, w, false)
        }
        if gridInhibitory != 0 {
            let w = gridInhibitory
            gridInhibitory = 0
            return (0, w, false)
        }
        return nil
    }
}

/// NEST's regula falsi (Illinois variant, libnestutil/regula_falsi.h): the root in [0, dt] of
/// `distance` (V at t after the start of the interval, less the threshold), to |distance| <
/// 1e-14, at most 500 iterations. NEST throws where no sign change or no convergence; the engine
/// cannot, and both are impossible after a crossing was seen, so it returns its best bracket end.
@inline(__always)
func regulaFalsi(_ dt: Double, _ distance: (Double) -> Double) -> Double {
    var a = 0.0, b = dt
    var fa = distance(a), fb = distance(b)
    if fa * fb > 0 { return dt }
    var lastSign = 0
    var root = dt
    for _ in 0..<500 {
        if fb == fa { return root }
        root = (a * fb - b * fa) / (fb - fa)
        let fr = distance(root)
        if abs(fr) < 1e-14 { return root }
        if fa * fr > 0 {
            a = root
            fa = fr
            if lastSign == 1 { fb /= 2 }
            lastSign = 1
        } else if fb * fr > 0 {
            b = root
            fb = fr
            if lastSign == -1 { fa /= 2 }
            lastSign = -1
        } else {
            return root
        }
    }
    return root
}

/// State columns the three `_ps` models share after their own: the refractory flag, and the
/// step stamp and offset of the last spike (NEST's last_spike_step_, last_spike_offset_).
enum PreciseState {
    static let refractory = StateSpec("is_refractory", .one, initial: 0, recordable: false)
    static let lastSpikeStep = StateSpec("last_spike_step", .one, initial: -1, recordable: false)
    static let lastSpikeOffset = StateSpec("last_spike_offset", .ms, initial: 0, recordable: false)
    static let columns = [refractory, lastSpikeStep, lastSpikeOffset]
}
