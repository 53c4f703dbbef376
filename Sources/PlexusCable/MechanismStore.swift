import PlexusCore

/// The instances of one mechanism in one cell group, in buffers the engine owns: the slot of
/// each instance and one contiguous column per field (see `MechanismPack`).
final class MechanismStore: @unchecked Sendable {
    let mechanism: any CableMechanism.Type
    /// One row per slot (the `perCV` folded layout) rather than one per instance.
    let perCV: Bool
    let node: Storage<Int32>
    let fields: Storage<Double>
    let pack: MechanismPack
    /// Rows holding an instance (all rows, except in the per-CV layout).
    let instanceCount: Int

    /// `constants`: the mechanism's constants of each row, row-major.
    init(_ mechanism: any CableMechanism.Type, perCV: Bool, nodes: [Int32], constants: [Double], instances: Int,
         voltage: UnsafeMutablePointer<Double>, current: UnsafeMutablePointer<Double>, conductance: UnsafeMutablePointer<Double>) {
        self.mechanism = mechanism
        self.perCV = perCV
        let n = nodes.count, nc = mechanism.constants.count, nf = nc + mechanism.state.count
        node = Storage(nodes)
        fields = Storage(repeating: 0, count: max(1, n * nf))
        for k in 0..<n { for f in 0..<nc { fields[f * n + k] = constants[k * nc + f] } }
        pack = MechanismPack(count: n, node: node.base, fields: fields.base, voltage: voltage, current: current, conductance: conductance)
        instanceCount = instances
    }
}

/// A store as the step loop calls it (no reference counting in the loop).
struct MechanismKernel {
    let mechanism: any CableMechanism.Type
    let pack: MechanismPack
    let tag: UInt32
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

    init(cells: [CompiledCell], slotBase: [Int], slotCount: Int, lanes: Int,
         voltage: UnsafeMutablePointer<Double>, current: UnsafeMutablePointer<Double>, conductance: UnsafeMutablePointer<Double>) {
        gFixed = [Double](repeating: 0, count: slotCount)
        geFixed = [Double](repeating: 0, count: slotCount)
        for (mi, mech) in MechanismCatalog.ordered.enumerated() {
            let nc = mech.constants.count
            func slot(_ j: Int, _ cv: Int) -> Int { slotBase[j] + cv * lanes }
            switch mech.folding {
            case .constant(let gName, let eName):
                let g = mech.fieldIndex(gName)!, e = mech.fieldIndex(eName)!
                for (j, c) in cells.enumerated() {
                    instanceStart.append(instanceCode.count)
                    let inst = c.mechanisms[mi]
                    for (q, cv) in inst.cv.enumerated() {
                        let s = slot(j, cv), gv = inst.constants[q * nc + g]
                        gFixed[s] += gv
                        geFixed[s] += gv * inst.constants[q * nc + e]
                        instanceCode.append(-1)
                    }
                }
            case .perCV(let gName, let eName) where folded == nil && cells.contains(where: { !$0.mechanisms[mi].cv.isEmpty }):
                // The first instance of each CV in a row of its slot, the others as usual.
                var denseConstants = [Double](repeating: 0, count: slotCount * nc)
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
                stores.append(MechanismStore(mech, perCV: true, nodes: (0..<slotCount).map { Int32($0) }, constants: denseConstants,
                                             instances: used.lazy.filter { $0 }.count, voltage: voltage, current: current, conductance: conductance))
                folded = (denseStore, mech.fieldIndex(gName)!, mech.fieldIndex(eName)!)
                if !nodes.isEmpty {
                    stores.append(MechanismStore(mech, perCV: false, nodes: nodes, constants: constants, instances: nodes.count,
                                                 voltage: voltage, current: current, conductance: conductance))
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
                    stores.append(MechanismStore(mech, perCV: false, nodes: nodes, constants: constants, instances: nodes.count,
                                                 voltage: voltage, current: current, conductance: conductance))
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
    func field(_ m: any CableMechanism.Type, _ name: String) -> UnsafeMutablePointer<Double>? {
        guard let s = stores.first(where: { $0.mechanism.name == m.name && !$0.perCV }), let f = m.fieldIndex(name) else { return nil }
        return s.pack.field(f)
    }
}
