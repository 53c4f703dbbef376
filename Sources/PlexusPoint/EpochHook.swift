import PlexusCore

// The point run loop (Simulation.swift) knows neurons, devices, static and plastic synapses and
// the spike exchange. Everything else that acts once per epoch — gap-junction waveform
// relaxation (GapJunctions.swift), structural plasticity (StructuralPlasticity.swift), volume
// transmitters (VolumeTransmitter.swift) — is an `EpochHook`: the loop calls the hooks it was
// given at fixed points of every epoch and knows none of them by name.
//
// One epoch on one thread, with the hook phases marked ▸:
//
//   ▸ beforeUpdates      after the epoch's device input is in the rings when a hook asks for
//                        it first (`needsEpochInputFirst`); every thread calls every hook, so a
//                        hook may synchronise the team here (structural update, WFR iterations)
//     neuron updates     each thread its own neurons, step by step
//   ▸ afterUpdates       the thread's own spikes of the epoch, before they are published
//     spike exchange     publish, exchange (the team's barrier; MPI: the ranks' gather)
//   ▸ afterExchange      every part's spikes can be read; nothing delivered yet
//     delivery           each spike through the static table, then each hook's
//                        `deliveryTable` (synapses a hook owns), then the plastic synapses
//   ▸ delivered          every spike of the epoch, in delivery order (for hooks that listen)
//
// and `finish` once after the last epoch, on the calling thread. A hook is built with the network
// (`make(for:)`, after the static synapses, gap junctions and structural plasticity are set up)
// and lives in `PointNetwork.epochHooks`, in the order of `EpochHooks.kinds`.
//
// Costs: the loop makes one dynamic call per hook and phase per epoch and thread, none per
// neuron, step or spike (a hook that reads spikes loops over them itself). A network without
// hooks pays an empty loop per phase per epoch.
//
// Adding a mechanism that acts per epoch: one file with `final class MyHook: EpochHook`, its
// `make(for:)` returning nil when the experiment does not use it, and the phases it needs (every
// phase has a default that does nothing). The KindRegistry plugin lists it in `EpochHooks.kinds`.

/// Where the registry of epoch hooks lives (`EpochHooks.kinds`, generated).
enum EpochHooks {}

/// One epoch of one thread, as the run loop hands it to the hooks.
struct EpochContext {
    /// The thread (the part of the network) calling.
    let thread: Int
    /// The thread team. Hooks that need all threads at one point (`beforeUpdates` only) call
    /// `team.barrier()`; every thread calls every hook in every phase, so the barriers match.
    /// This is the in-process collective; with MPI ranks a hook's cross-thread step (a barrier
    /// plus reading other threads' buffers) becomes a barrier plus the ranks' collective.
    let team: ThreadTeam
    /// Number of the epoch, from 0.
    let index: Int64
    /// The epoch's steps: `firstStep ..< endStep`.
    let firstStep: Int64
    let endStep: Int64

    var steps: Int { Int(endStep - firstStep) }
}

/// One thread's input ring buffers: row `step % ringLength`, then the thread's neurons.
struct InputRings {
    /// [slot][neuron][excitatory, inhibitory] spike input.
    let spikes: UnsafeMutablePointer<Double>
    /// [slot][neuron] current input.
    let currents: UnsafeMutablePointer<Double>
    let ringLength: Int
    /// Neurons of the thread (the length of a current row).
    let nLocal: Int
    /// Channel pairs of a spike row: nLocal, plus the receptor ports of multisynapse neurons
    /// (ReceptorLayout); a neuron's own pair is at its thread-local index.
    let nPairs: Int
}

/// The spikes one thread emitted in an epoch: step k's are `spikes[stepOffsets[k] ..< stepOffsets[k + 1]]`.
struct ThreadSpikes {
    let spikes: UnsafePointer<Spike>
    let stepOffsets: UnsafePointer<Int>

    @inline(__always) subscript(step k: Int) -> UnsafeBufferPointer<Spike> {
        UnsafeBufferPointer(start: spikes + stepOffsets[k], count: stepOffsets[k &+ 1] &- stepOffsets[k])
    }
}

/// Every spike of an epoch as the thread delivered it: per step, the spike generators' first,
/// then every part's in part order (what `SpikeExchange.spikes(of:step:epoch:)` returned).
struct DeliveredSpikes {
    /// [step][source]: source 0 the generators, source 1 + p part p.
    let lists: UnsafePointer<UnsafeBufferPointer<Spike>>
    let sources: Int
    let steps: Int

    @inline(__always) subscript(step k: Int, source u: Int) -> UnsafeBufferPointer<Spike> { lists[k &* sources &+ u] }
}

/// A mechanism that acts once per epoch of the point run loop. See the comment at the top of this
/// file. Every conformance in this module is listed in `EpochHooks.kinds`; each phase has a
/// default that does nothing.
// @registry(EpochHooks.kinds)
protocol EpochHook: AnyObject {
    /// The hook of `network`, or nil when the experiment does not use it. Called once at the end
    /// of the network's build, in registry order; throws `PlexusError` with a key path.
    static func make(for network: PointNetwork) throws -> Self?

    /// Whether the hook needs the device input of the whole epoch in the rings before
    /// `beforeUpdates` (as waveform relaxation does: its iterations integrate the interval).
    /// The loop then applies it for all steps of the epoch first instead of step by step; the
    /// sums are the same. Read once per run.
    var needsEpochInputFirst: Bool { get }

    /// Start of the epoch, on every thread, before the neuron updates. The only phase where a
    /// hook may synchronise the team (`epoch.team.barrier()`): every thread is here.
    func beforeUpdates(_ epoch: EpochContext, rings: InputRings)

    /// After the thread's neuron updates of the epoch, before its spikes are published: `own`
    /// are the spikes of the thread's neurons. No barrier here.
    func afterUpdates(_ epoch: EpochContext, own: ThreadSpikes)

    /// After the spike exchange (every part's spikes are readable), before any is delivered.
    func afterExchange(_ epoch: EpochContext)

    /// Synapses the hook owns onto thread `thread`'s neurons, by source node, or nil: every
    /// neuron spike of the epoch is delivered through it after the static table. Asked once per
    /// epoch, after `afterExchange`.
    func deliveryTable(thread: Int) -> ThreadConnectivity?

    /// Whether the hook reads the epoch's spikes after delivery (`delivered`). Read once per run.
    var listensToSpikes: Bool { get }

    /// After delivery, on every thread: every spike of the epoch in delivery order.
    func delivered(_ epoch: EpochContext, spikes: DeliveredSpikes)

    /// After the last epoch, on the calling thread: the hook's part of the results.
    func finish(totalSteps: Int64, results: inout PointResults)

    /// Why the hook stopped doing its work during the run (a state it cannot represent), or nil.
    /// Read after the last epoch: the run then fails with this error instead of returning
    /// results. A hook that fails keeps the run going but changes nothing more.
    var failure: PlexusError? { get }
}

extension EpochHook {
    var needsEpochInputFirst: Bool { false }
    func beforeUpdates(_ epoch: EpochContext, rings: InputRings) {}
    func afterUpdates(_ epoch: EpochContext, own: ThreadSpikes) {}
    func afterExchange(_ epoch: EpochContext) {}
    func deliveryTable(thread: Int) -> ThreadConnectivity? { nil }
    var listensToSpikes: Bool { false }
    func delivered(_ epoch: EpochContext, spikes: DeliveredSpikes) {}
    func finish(totalSteps: Int64, results: inout PointResults) {}
    var failure: PlexusError? { nil }
}

extension PointNetwork {
    /// The hooks of this network, in registry order (called at the end of the build).
    func makeEpochHooks() throws -> [any EpochHook] {
        func make<H: EpochHook>(_ kind: H.Type) throws -> (any EpochHook)? { try kind.make(for: self) }
        return try EpochHooks.kinds.compactMap { try make($0) }
    }
}
