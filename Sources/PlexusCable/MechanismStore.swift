import CPlexusMechanism
import PlexusCore

/// The instances of one mechanism in one cell group, in buffers the engine owns: the slot of
/// each instance and one contiguous column per field (see `MechanismPack`).
final class MechanismStore: @unchecked Sendable {
    let mechanism: MechanismKind
    /// The generated kernels (nil for a native mechanism) and what they are called with.
    let kernels: UnsafePointer<plx_mechanism>?
    let cpack: plx_pack
    /// One row per slot (the `perCV` folded layout) rather than one per instance.
    let perCV: Bool
    let node: Storage<Int32>
    let fields: Storage<Double>
    let pack: MechanismPack
    /// Rows holding an instance (all rows, except in the per-CV layout).
    let instanceCount: Int

    /// `constants`: the mechanism's constants of each row, row-major.
    init(_ mechanism: MechanismKind, kernels: UnsafePointer<plx_mechanism>?, perCV: Bool, nodes: [Int32], constants: [Double], instances: Int,
         slots: SlotArrays) {
        self.mechanism = mechanism
        self.kernels = kernels
        self.perCV = perCV
        let voltage = slots.voltage, current = slots.current, conductance = slots.conductance
        let n = nodes.count, nc = mechanism.info.constants.count, nf = mechanism.info.fields.count
        node = Storage(nodes)
        fields = Storage(repeating: 0, count: max(1, n * nf))
        for k in 0..<n { for f in 0..<nc { fields[f * n + k] = constants[k * nc + f] } }
        pack = MechanismPack(count: n, node: node.base, fields: fields.base, voltage: voltage, current: current, conductance: conductance)
        instanceCount = instances
        ions = Storage(repeating: plx_ion(), count: max(1, mechanism.info.ions.count))
        for (j, use) in mechanism.info.ions.enumerated() { ions[j] = slots.ion(use.name) }
        cpack = plx_pack(count: Int64(n), node: node.base, fields: fields.base, voltage: voltage, current: current,
                         conductance: conductance, area: slots.area, ions: ions.base, time: 0, dt: slots.dt)
    }
    /// The group's arrays of each ion the mechanism uses, in its declared order.
    let ions: Storage<plx_ion>

    func initialize() {
        if let k = kernels { withUnsafePointer(to: cpack) { k.pointee.initialize($0) } }
        else if case .native(let t) = mechanism.source { t.initialize(pack, 0..<pack.count) }
    }
}

/// The per-slot arrays of a group that mechanisms read and write, and its ions.
struct SlotArrays {
    let voltage: UnsafeMutablePointer<Double>
    let current: UnsafeMutablePointer<Double>
    let conductance: UnsafeMutablePointer<Double>
    /// Membrane area of each slot's CV (µm²).
    let area: UnsafeMutablePointer<Double>
    /// The run's time step (ms): INITIAL may compute factors of it.
    let dt: Double
    let ion: (String) -> plx_ion
}

/// A store as the step loop calls it: plain pointers and values, no reference counting or
/// existential copies in the loop. A native (Swift) mechanism is called through the group's
/// `nativeMechanisms[native]`.
struct MechanismKernel {
    /// Index into the group's native mechanisms, or -1 for a generated one.
    let native: Int
    let generated: UnsafePointer<plx_mechanism>?
    let pack: MechanismPack
    var cpack: plx_pack
    let tag: UInt32

    init(_ store: MechanismStore, tag: UInt32, natives: inout [any CableMechanism.Type]) {
        if case .native(let t) = store.mechanism.source {
            native = natives.firstIndex { $0 == t } ?? natives.count
            if native == natives.count { natives.append(t) }
        } else {
            native = -1
        }
        generated = store.kernels
        pack = store.pack
        cpack = store.cpack
        self.tag = tag
    }

    @inline(__always) func computeCurrents(_ time: StepTime, _ natives: [any CableMechanism.Type]) {
        if let g = generated {
            var p = cpack; p.time = time.time; p.dt = time.dt
            g.pointee.compute_currents(&p)
        } else { natives[native].computeCurrents(pack, 0..<pack.count, time) }
    }

    @inline(__always) func advanceState(_ time: StepTime, _ natives: [any CableMechanism.Type]) {
        if let g = generated {
            var p = cpack; p.time = time.time; p.dt = time.dt
            g.pointee.advance_state(&p)
        } else { natives[native].advanceState(pack, 0..<pack.count, time) }
    }

    @inline(__always) func applyEvents(_ events: MechanismEvents, _ time: StepTime, _ natives: [any CableMechanism.Type]) {
        if let g = generated {
            var p = cpack; p.time = time.time; p.dt = time.dt
            g.pointee.apply_events(&p, events.list.baseAddress, Int64(events.list.count), events.tag, events.shift)
        } else { natives[native].applyEvents(pack, events) }
    }
}

/// Every mechanism instance of a group's cells laid out in stores, and the folded conductances.
struct MechanismLayout {
    var stores: [MechanismStore] = []
    /// Per slot: constant conductance (µS) and conductance · reversal (the `constant` folding).
    var gFixed: [Double]
    var geFixed: [Double]
    /// The `perCV` store (if any) and the fields the assembly reads there.
    var folded: (store: Int, g: Int, e: Int)?
    /// Code of every instance, store << 32 | row (-1 where the mechanism keeps no instances,
    /// `constant` folding): instance i of mechanism m on local cell j is
    /// `instanceCode[instanceStart[m · cells + j] + i]`.
    var instanceCode: [Int] = []
    var instanceStart: [Int] = []

    init(cells: [CompiledCell], mechanisms: [MechanismKind], kernels: [UnsafePointer<plx_mechanism>?], slotBase: [Int], slotCount: Int, lanes: Int,
         slots: SlotArrays) {
        gFixed = [Double](repeating: 0, count: slotCount)
        geFixed = [Double](repeating: 0, count: slotCount)
        for (mi, kind) in mechanisms.enumerated() {
            let mech = kind.info, kernel = kernels[mi]
            let nc = mech.constants.count
            // A generated density mechanism's folded g is per area: scaled by its area (µm²) to µS.
            let areaField = mech.areaField.flatMap(mech.fieldIndex)
            func slot(_ j: Int, _ cv: Int) -> Int { slotBase[j] + cv * lanes }
            switch mech.folding {
            case .constant(let gName, let eName):
                let g = mech.fieldIndex(gName)!, e = mech.fieldIndex(eName)!
                for (j, c) in cells.enumerated() {
                    instanceStart.append(instanceCode.count)
                    let inst = c.mechanisms[mi]
                    for (q, cv) in inst.cv.enumerated() {
                        let s = slot(j, cv)
                        let gv = areaField.map { inst.constants[q * nc + g] * (inst.constants[q * nc + $0] * 0.01) } ?? inst.constants[q * nc + g]
                        gFixed[s] += gv
                        geFixed[s] += gv * inst.constants[q * nc + e]
                        instanceCode.append(-1)
                    }
                }
            case .perCV(let gName, let eName) where folded == nil && cells.contains(where: { !$0.mechanisms[mi].cv.isEmpty }):
                // The first instance of each CV in a row of its slot, the others as usual.
                // Rows without an instance hold the defaults (g stays 0 there), so that a
                // generated kernel computes nothing undefined on them (tau = 0 would give NaN).
                var idle = [Double](repeating: 0, count: nc)
                idle.withUnsafeMutableBufferPointer {
                    kind.prepare(mech.parameters.map(\.defaultValue), InstanceContext(area: 0, temperature: 0, dt: 0), into: $0.baseAddress!)
                }
                var denseConstants = [Double](repeating: 0, count: slotCount * nc)
                for s in 0..<slotCount { denseConstants.replaceSubrange((s * nc)..<((s + 1) * nc), with: idle) }
                var used = [Bool](repeating: false, count: slotCount)
                var nodes: [Int32] = [], constants: [Double] = []
                let denseStore = stores.count, sparseStore = stores.count + 1
                for (j, c) in cells.enumerated() {
                    instanceStart.append(instanceCode.count)
                    let inst = c.mechanisms[mi]
                    for (q, cv) in inst.cv.enumerated() {
                        let s = slot(j, cv)
                        let row = inst.constants[(q * nc)..<((q + 1) * nc)]
                        if !used[s] {
                            used[s] = true
                            denseConstants.replaceSubrange((s * nc)..<((s + 1) * nc), with: row)
                            instanceCode.append(denseStore << 32 | s)
                        } else {
                            instanceCode.append(sparseStore << 32 | nodes.count)
                            nodes.append(Int32(s))
                            constants += row
                        }
                    }
                }
                stores.append(MechanismStore(kind, kernels: kernel, perCV: true, nodes: (0..<slotCount).map { Int32($0) }, constants: denseConstants,
                                             instances: used.lazy.filter { $0 }.count, slots: slots))
                folded = (denseStore, mech.fieldIndex(gName)!, mech.fieldIndex(eName)!)
                if !nodes.isEmpty {
                    stores.append(MechanismStore(kind, kernels: kernel, perCV: false, nodes: nodes, constants: constants, instances: nodes.count,
                                                 slots: slots))
                }
            default:
                var nodes: [Int32] = [], constants: [Double] = []
                for (j, c) in cells.enumerated() {
                    instanceStart.append(instanceCode.count)
                    let inst = c.mechanisms[mi]
                    for (q, cv) in inst.cv.enumerated() {
                        instanceCode.append(stores.count << 32 | nodes.count)
                        nodes.append(Int32(slot(j, cv)))
                        constants += inst.constants[(q * nc)..<((q + 1) * nc)]
                    }
                }
                if !nodes.isEmpty {
                    stores.append(MechanismStore(kind, kernels: kernel, perCV: false, nodes: nodes, constants: constants, instances: nodes.count,
                                                 slots: slots))
                }
            }
        }
    }

    /// Code of instance `i` of mechanism `m` (index in `MechanismCatalog.ordered`) on local cell `j`.
    @inline(__always) func code(_ m: Int, cell j: Int, cells: Int, _ i: Int) -> Int { instanceCode[instanceStart[m &* cells &+ j] &+ i] }

    /// Pointer to field `f` of the instance with code `code`.
    func field(code: Int, _ f: Int) -> UnsafeMutablePointer<Double> {
        stores[code >> 32].pack.field(f) + (code & 0xffff_ffff)
    }
}

extension CableGroup {
    /// Column `name` of `m`'s instances in this group (its store of one row per instance), or
    /// nil if the group has none.
    func field(_ mechanism: String, _ name: String) -> UnsafeMutablePointer<Double>? {
        guard let s = stores.first(where: { $0.mechanism.name == mechanism && !$0.perCV }), let f = s.mechanism.info.fieldIndex(name) else { return nil }
        return s.pack.field(f)
    }
}
