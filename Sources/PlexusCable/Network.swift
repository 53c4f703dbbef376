import CPlexusMechanism
import PlexusCore
import PlexusModel

/// A connection as the engine stores it, in the table of the thread that owns the target:
/// 12 bytes (synapse instance with its store tag in the top bits, weight and delay as Float, as
/// Arbor).
struct ConnectionEntry {
    var target: UInt32
    var weight: Float
    var delay: Float
}

/// The cells one thread owns, packed into contiguous structure-of-arrays buffers. Cells are
/// grouped in blocks of `lanes` (by CV count, to waste little padding) and a block's CVs are
/// interleaved, slot = block base + CV · lanes + lane: the Hines sweeps then advance `lanes`
/// independent cells at once (SIMD over cells) instead of waiting on one cell's chain of
/// divisions. Padding slots are isolated CVs that never change. A cell's own arithmetic is the
/// same in any block or lane, so results do not depend on the thread count.
final class CableGroup: @unchecked Sendable {
    /// Cells per block: 8 (SIMD over cells) or, for a group of one cell, 1 (no padding lanes to
    /// carry through every per-slot loop).
    let lanes: Int
    let gids: Range<Int>
    /// Slots (CVs plus padding).
    let slotCount: Int
    /// Real CVs.
    let cvCount: Int
    // Cable state and matrix (per slot).
    let v: Storage<Double>, d: Storage<Double>, u: Storage<Double>, invD: Storage<Double>
    let cdt: Storage<Double>, current: Storage<Double>, conductance: Storage<Double>
    /// Constant conductances folded into per-slot arrays (`ConductanceFolding.constant`, e.g.
    /// pas): conductance (µS) and conductance · reversal potential.
    let gFixed: Storage<Double>, geFixed: Storage<Double>
    /// The per-CV folded conductance and its reversal potential (`ConductanceFolding.perCV`, e.g.
    /// the first expsyn of each CV): columns of that store, or zeros.
    let gFolded: UnsafeMutablePointer<Double>, eFolded: UnsafeMutablePointer<Double>
    let zeros: Storage<Double>
    let parent: Storage<Int32>
    /// Blocks: first slot and number of CV rows.
    let blockBase: [Int], blockRows: [Int]
    /// Slot of CV 0 of each local cell (CV c is at slotBase + c · lanes).
    let slotBase: [Int]
    // Mechanisms: a store per mechanism (two for a `perCV` one with extra instances).
    let stores: [MechanismStore]
    /// What the step runs: events for stores that receive them (with their tag), currents for
    /// stores not folded, state for all.
    let eventKernels: [MechanismKernel], currentKernels: [MechanismKernel], stateKernels: [MechanismKernel]
    /// The native (Swift) mechanisms the kernels call by index.
    let nativeMechanisms: [any CableMechanism.Type]
    /// Event targets: tag in the top `32 - eventShift` bits, row below.
    let eventShift: UInt32
    // Detectors.
    let detCV: Storage<Int32>, detThreshold: Storage<Double>, detCrossed: Storage<UInt8>, detVPrev: Storage<Double>
    let detSource: Storage<UInt32>
    // Targets of each local cell: offset into `targets`; the code of an event (tag << shift |
    // row), `CableGroup.noEvents` for an instance that receives none.
    let targetStart: [Int]
    let targets: Storage<UInt32>
    static let noEvents = UInt32.max
    let targetLabels: [[String: Range<Int>]]
    let probes: [(gid: Int, probe: CompiledProbe)]
    /// Where each probe reads: slots and weights of the voltage, or a field of an instance.
    let probeReads: [ProbeRead]
    let cellCVCounts: [Int]
    /// Instances of mechanisms that receive events (merged synapses).
    let synapseInstanceCount: Int

    enum ProbeRead {
        case voltage(Int, Double, Int, Double)
        case field(UnsafeMutablePointer<Double>)
    }

    /// Current clamps with a time course: slot, first point and point count in the tables, and
    /// the segment each is in (advanced as time goes on).
    let clampSlot: Storage<Int32>, clampStart: Storage<Int32>, clampCount: Storage<Int32>, clampCursor: Storage<Int32>
    let clampTimes: Storage<Double>, clampAmplitudes: Storage<Double>
    let clampInstances: Int
    /// Per slot: membrane area (µm²) of its CV; the ions of the group's mechanisms.
    let area: Storage<Double>
    let ionState: IonState

    init(cells: [CompiledCell], gids: Range<Int>, dt: Double, mechanisms: [MechanismKind], kernels: [UnsafePointer<plx_mechanism>?]) throws {
        self.gids = gids
        let W = cells.count == 1 ? 1 : 8
        lanes = W
        // Blocks of `lanes` cells of similar size.
        let order = cells.indices.sorted { cells[$0].geometry.count != cells[$1].geometry.count ? cells[$0].geometry.count > cells[$1].geometry.count : $0 < $1 }
        var slotBase = [Int](repeating: 0, count: cells.count)
        var blockBase: [Int] = [], blockRows: [Int] = []
        var slots = 0
        var k = 0
        while k < order.count {
            let members = order[k..<min(k + W, order.count)]
            let rows = members.map { cells[$0].geometry.count }.max()!
            blockBase.append(slots); blockRows.append(rows)
            for (lane, j) in members.enumerated() { slotBase[j] = slots + lane }
            slots += rows * W
            k += W
        }
        slotCount = slots
        var parent = (0..<slots).map { Int32($0) }      // padding: its own parent, u = 0
        var cdt = [Double](repeating: 1, count: slots), invD = [Double](repeating: 0, count: slots)
        var u = [Double](repeating: 0, count: slots), v = [Double](repeating: 0, count: slots)
        var area = [Double](repeating: 0, count: slots), celsius = [Double](repeating: 0, count: slots)
        var cellOfSlot = [Int](repeating: -1, count: slots)
        var detCV: [Int32] = [], detThr: [Double] = [], detVPrev: [Double] = [], detCrossed: [UInt8] = []
        var labels: [[String: Range<Int>]] = []
        var probes: [(Int, CompiledProbe)] = []
        var cvCounts: [Int] = []
        var nCV = 0
        for (j, c) in cells.enumerated() {
            let g = c.geometry
            let slot = { (cv: Int) -> Int in slotBase[j] + cv * W }
            nCV += g.count
            cvCounts.append(g.count)
            for i in 0..<g.count {
                let si = slot(i)
                area[si] = g.area[i]; celsius[si] = c.temperature; cellOfSlot[si] = j
                cdt[si] = 1e-3 / dt * c.capacitance[i]
                v[si] = c.initialVoltage
                if g.parent[i] >= 0 {
                    let sp = slot(g.parent[i])
                    parent[si] = Int32(sp)
                    u[si] = -g.faceConductance[i]
                    invD[si] += g.faceConductance[i]
                    invD[sp] += g.faceConductance[i]
                }
            }
            for d in c.detectors {
                detCV.append(Int32(slot(d.cv))); detThr.append(d.threshold)
                detVPrev.append(c.initialVoltage); detCrossed.append(c.initialVoltage >= d.threshold ? 1 : 0)
            }
            labels.append(c.targetLabels)
            for p in c.probes { probes.append((c.gid, p)) }
        }
        let vS = Storage(v), currentS = Storage(repeating: 0.0, count: slots), conductanceS = Storage(repeating: 0.0, count: slots)

        // Mechanisms: stores, folded conductances, instance codes; then their initial state.
        let areaS = Storage(area)
        // Ions: the uses of the mechanisms present, initial values per cell, and the share of
        // each CV covered by the writers of a concentration.
        var uses: [(use: MechanismInfo.IonUse, slots: [Int32])] = []
        for (mi, m) in mechanisms.enumerated() where !m.info.ions.isEmpty && cells.contains(where: { !$0.mechanisms[mi].cv.isEmpty }) {
            var at: [Int32] = []
            for (j, c) in cells.enumerated() { for cv in c.mechanisms[mi].cv { at.append(Int32(slotBase[j] + cv * W)) } }
            for u in m.info.ions { uses.append((u, at)) }
        }
        let ionState = IonState(slotCount: slots, uses: uses, celsius: celsius, species: { name, s in
            let j = cellOfSlot[s]
            return (j >= 0 ? cells[j].ions[name] : nil) ?? IonSpecies.defaults[name] ?? .unknown
        }, coverage: { name, inside in
            var cover = [Double](repeating: 0, count: slots)
            for (mi, m) in mechanisms.enumerated() where m.info.kind == .density {
                guard m.info.ions.contains(where: { $0.name == name && (inside ? $0.writesInternal : $0.writesExternal) }),
                      let f = m.info.fieldIndex(CodeGenerator.Layout.fraction) else { continue }
                let nc = m.info.constants.count
                for (j, c) in cells.enumerated() {
                    for (q, cv) in c.mechanisms[mi].cv.enumerated() { cover[slotBase[j] + cv * W] += c.mechanisms[mi].constants[q * nc + f] }
                }
            }
            return cover
        })
        let layout = MechanismLayout(cells: cells, mechanisms: mechanisms, kernels: kernels, slotBase: slotBase, slotCount: slots, lanes: W,
                                     slots: SlotArrays(voltage: vS.base, current: currentS.base, conductance: conductanceS.base,
                                                       area: areaS.base, dt: dt, ion: ionState.arrays))
        let stores = layout.stores
        let zeros = Storage(repeating: 0.0, count: max(1, slots))
        if let f = layout.folded {
            gFolded = stores[f.store].pack.field(f.g); eFolded = stores[f.store].pack.field(f.e)
        } else {
            gFolded = zeros.base; eFolded = zeros.base
        }
        // A concentration a mechanism integrates starts from the ion's initial value (INITIAL
        // may set it); then the ion's value is rebuilt from the writers.
        for s in stores {
            for use in s.mechanism.info.ions {
                guard let ion = ionState.ions.first(where: { $0.name == use.name }) else { continue }
                for (writes, name, initial) in [(use.writesInternal, use.name + "i", ion.inside), (use.writesExternal, use.name + "o", ion.outside)] where writes {
                    guard let f = s.mechanism.info.fieldIndex(name) else { continue }
                    let column = s.pack.field(f)
                    for k in 0..<s.pack.count { column[k] = initial[Int(s.pack.node[k])] }
                }
            }
        }
        ionState.resetWrittenConcentrations()
        for s in stores { s.initialize() }
        ionState.updateReversals()
        // Event tags: the stores that receive events, numbered in order.
        let receiving = stores.indices.filter { stores[$0].mechanism.info.receivesEvents }
        var tagBits: UInt32 = 1
        while (1 << tagBits) < receiving.count { tagBits += 1 }
        let shift = 32 - tagBits
        var tagOf = [UInt32?](repeating: nil, count: stores.count)
        for (t, s) in receiving.enumerated() {
            tagOf[s] = UInt32(t)
            guard stores[s].pack.count < 1 << shift else {
                throw PlexusError("a thread holds \(stores[s].pack.count) \(stores[s].mechanism.name) rows, more than the \(1 << shift) an event target can address; use more threads", keyPath: "cells")
            }
        }
        // Event code of every instance, then of every target.
        let tagCode = tagOf.map { $0.map { $0 << shift } }
        let eventCode = layout.instanceCode.map { code -> UInt32 in
            guard code >= 0, let t = tagCode[code >> 32] else { return CableGroup.noEvents }
            return t | UInt32(truncatingIfNeeded: code)
        }
        var targetStart = [0]
        var targets: [UInt32] = []
        targets.reserveCapacity(cells.reduce(0) { $0 + $1.targets.count })
        let nMechanisms = mechanisms.count
        var start = [Int](repeating: 0, count: nMechanisms)
        for (j, c) in cells.enumerated() {
            for m in 0..<nMechanisms { start[m] = layout.instanceStart[m * cells.count + j] }
            for t in c.targets { targets.append(eventCode[start[t.mechanism] + t.instance]) }
            targetStart.append(targets.count)
        }
        var reads: [ProbeRead] = []
        for (gid, p) in probes {
            let j = gid - gids.lowerBound
            switch p.source {
            case .voltage(let a, let wa, let b, let wb):
                reads.append(.voltage(slotBase[j] + a * W, wa, slotBase[j] + b * W, wb))
            case .state(let mi, let i, let f):
                reads.append(.field(layout.field(code: layout.code(mi, cell: j, cells: cells.count, i), f)))
            }
        }

        cvCount = nCV
        self.parent = Storage(parent); self.cdt = Storage(cdt); self.invD = Storage(invD); self.u = Storage(u); self.v = vS
        d = Storage(repeating: 0, count: slots)
        current = currentS
        conductance = conductanceS
        self.blockBase = blockBase; self.blockRows = blockRows; self.slotBase = slotBase
        self.stores = stores
        self.zeros = zeros
        gFixed = Storage(layout.gFixed); geFixed = Storage(layout.geFixed)
        eventShift = shift
        var natives: [any CableMechanism.Type] = []
        eventKernels = receiving.map { MechanismKernel(stores[$0], tag: tagOf[$0]!, natives: &natives) }
        currentKernels = stores.filter { !$0.perCV }.map { MechanismKernel($0, tag: 0, natives: &natives) }
        stateKernels = stores.map { MechanismKernel($0, tag: 0, natives: &natives) }
        nativeMechanisms = natives
        self.area = areaS
        self.ionState = ionState
        var cs: [Int32] = [], cst: [Int32] = [], cc: [Int32] = [], ct: [Double] = [], ca: [Double] = []
        for (j, c) in cells.enumerated() {
            for (cv, env) in c.clamps {
                cs.append(Int32(slotBase[j] + cv * W)); cst.append(Int32(ct.count)); cc.append(Int32(env.times.count))
                ct += env.times; ca += env.amplitudes
            }
        }
        guard ct.count < Int(Int32.max) else { throw PlexusError("the current clamps of a thread have more than 2^31 points", keyPath: "cells") }
        clampSlot = Storage(cs.isEmpty ? [0] : cs); clampStart = Storage(cst.isEmpty ? [0] : cst)
        clampCount = Storage(cc.isEmpty ? [0] : cc); clampCursor = Storage(repeating: 0, count: max(1, cs.count))
        clampTimes = Storage(ct.isEmpty ? [0] : ct); clampAmplitudes = Storage(ca.isEmpty ? [0] : ca)
        clampInstances = cs.count
        synapseInstanceCount = receiving.reduce(0) { $0 + stores[$1].instanceCount }
        probeReads = reads
        self.detCV = Storage(detCV); detThreshold = Storage(detThr); self.detCrossed = Storage(detCrossed); self.detVPrev = Storage(detVPrev)
        detSource = Storage(repeating: 0, count: detCV.count)
        self.targetStart = targetStart
        self.targets = Storage(targets)
        targetLabels = labels
        self.probes = probes
        cellCVCounts = cvCounts
    }

    /// Slot of CV `cv` of local cell `j`.
    @inline(__always) func slot(cell j: Int, cv: Int) -> Int { slotBase[j] + cv * lanes }
}

/// A cable network built for simulation: per-thread cell groups, connection tables keyed by
/// source, event generators. Build is a measured phase; `run` simulates.
public final class CableNetwork: @unchecked Sendable {
    public let description: CableExperiment
    /// The ranks of the run; this rank holds the cells of its parts.
    public let communicator: any Communicator
    public let grid: TimeGrid
    public let totalSteps: Int64
    public let cellCount: Int
    let team: ThreadTeam
    let groups: [CableGroup]
    /// Global source id range of each gid (one source per detector location).
    let sourceStart: [Int]
    let connOffsets: [Storage<Int>]
    let connEntries: [Storage<ConnectionEntry>]
    let generatorEvents: [[(step: Int64, target: UInt32, weight: Float)]]
    let poisson: [[PoissonSource]]
    /// Epoch length in steps (the minimum delay).
    public let epochSteps: Int
    let ringLength: Int
    public let connectionCount: Int
    public let cvCount: Int
    /// CVs plus the padding of the interleaved blocks.
    public let slotCount: Int
    public let synapseInstanceCount: Int
    public let targetCount: Int

    struct PoissonSource {
        var target: UInt32, weight: Float, rate: Double, start: Double, stop: Double, seed: UInt64, id: UInt64
    }

    /// The mechanisms the cells use: built-in plus the experiment's folders.
    public let catalogue: MechanismCatalogue

    public convenience init(_ desc: CableExperiment, threads: Int = 1) throws {
        try self.init(desc, threads: threads, communicator: SingleProcess.shared)
    }

    /// This rank's cells of the network, built by every rank (collective): an error of any rank
    /// is every rank's (`Communicator.agree`). Cells are split into ranks x threads contiguous gid
    /// ranges of about equal CVs; each rank compiles its own cells and keeps the connections onto
    /// them.
    public static func distributed(_ desc: CableExperiment, threads: Int, communicator: any Communicator) throws -> CableNetwork {
        try communicator.agreeing { try CableNetwork(desc, threads: threads, communicator: communicator) }
    }

    /// This rank's part; calls no collective (`distributed` does).
    init(_ desc: CableExperiment, threads: Int = 1, communicator: any Communicator) throws {
        self.communicator = communicator
        description = desc
        do { catalogue = try MechanismCatalogue.with(folders: desc.mechanismFolders) } catch let e as PlexusError {
            throw e.file == nil ? e.under("mechanisms") : e
        }
        let catalogue = self.catalogue
        guard threads >= 1 else { throw PlexusError("threads must be at least 1") }
        grid = try TimeGrid(resolution: desc.resolution)
        totalSteps = try grid.wholeSteps(desc.duration, "duration", keyPath: "duration")
        let dt = grid.h
        // Populations -> gids, after a memory estimate: the CVs of one compiled cell of each
        // kind times the cells that use it, at 100 bytes a CV at the least (voltage, matrix,
        // currents, areas, capacitance), checked before the gid table or any cell is built.
        var kindOfGid: [Int] = []
        var seen = Set<String>()
        var cvsOfKind: [Int: Int] = [:]
        var bytes = 0.0, cells = 0.0
        for p in desc.populations {
            guard seen.insert(p.name).inserted else { throw PlexusError("population '\(p.name)' appears twice", keyPath: "populations.\(p.name)") }
            guard let ki = desc.cells.firstIndex(where: { $0.0 == p.cell }) else {
                throw PlexusError("population '\(p.name)' uses cell '\(p.cell)', which is not defined; cells: \(desc.cells.map(\.0).joined(separator: ", "))", keyPath: "populations.\(p.name).cell")
            }
            guard p.size >= 1 else { throw PlexusError("size must be >= 1", keyPath: "populations.\(p.name).size") }
            if cvsOfKind[ki] == nil {
                let (name, kind) = desc.cells[ki]
                do { cvsOfKind[ki] = try kind.compile(gid: 0, dt: dt, catalogue: catalogue).geometry.count } catch let e as PlexusError { throw e.under("cells.\(name)") }
            }
            cells += Double(p.size)
            bytes += Double(p.size) * Double(cvsOfKind[ki]!) * 100
            try ResourceUsage.checkFits(bytes, "its \(Int(cells)) cells (\(cvsOfKind[ki]!) CVs each for \(p.cell))", keyPath: "populations.\(p.name).size")
        }
        for p in desc.populations {
            kindOfGid += Array(repeating: desc.cells.firstIndex { $0.0 == p.cell }!, count: p.size)
        }
        let nCells = kindOfGid.count
        cellCount = nCells
        let ranks = communicator.size, rank = communicator.rank
        if ranks > 1 && nCells < ranks {
            throw PlexusError("\(nCells) cell\(nCells == 1 ? "" : "s") cannot be split over \(ranks) ranks: run on at most \(nCells) rank\(nCells == 1 ? "" : "s")", keyPath: "populations")
        }
        // Threads per rank: every rank the same, at most one part per cell.
        let nThreads = min(threads, max(1, nCells / ranks))
        let nParts = ranks * nThreads
        let teamL = ThreadTeam(threads: nThreads)
        team = teamL

        // Compile cells, each thread its own contiguous part of gids (in parallel).
        var compiled = [[CompiledCell]](repeating: [], count: nThreads)
        var errors = [PlexusError?](repeating: nil, count: nThreads)
        // Contiguous gid ranges with about equal numbers of CVs (each kind's count from its
        // first cell): threads of a network of mixed cells get equal work. Results do not
        // depend on the split.
        var bounds = [0]
        do {
            let weight = kindOfGid.map { Double(cvsOfKind[$0] ?? 1) }
            let total = weight.reduce(0, +)
            var acc = 0.0, g = 0
            for t in 1..<max(nParts, 1) {
                let target = total * Double(t) / Double(nParts)
                while g < nCells && acc + weight[g] / 2 < target { acc += weight[g]; g += 1 }
                let b = min(max(g, bounds[t - 1] + 1), nCells - (nParts - t))
                while g < b { acc += weight[g]; g += 1 }
                bounds.append(b)
            }
            bounds.append(nCells)
        }
        // This rank's parts, one per thread.
        let parts = (0..<nThreads).map { bounds[rank * nThreads + $0]..<bounds[rank * nThreads + $0 + 1] }
        compiled.withUnsafeMutableBufferPointer { out in
        errors.withUnsafeMutableBufferPointer { errs in
            let out = out, errs = errs
            teamL.run { t in
                var list: [CompiledCell] = []
                for gid in parts[t] {
                    let (name, kind) = desc.cells[kindOfGid[gid]]
                    do { list.append(try kind.compile(gid: gid, dt: dt, catalogue: catalogue)) } catch let e as PlexusError {
                        errs[t] = e.under("cells.\(name)")
                        return
                    } catch { errs[t] = PlexusError("\(error)"); return }
                }
                out[t] = list
            }
        }}
        if let e = errors.compactMap({ $0 }).first { throw e }
        let mechanisms = catalogue.ordered
        let kernels = try catalogue.kernels()
        let groups = try (0..<nThreads).map { try CableGroup(cells: compiled[$0], gids: parts[$0], dt: dt, mechanisms: mechanisms, kernels: kernels) }
        self.groups = groups

        // Sources: detectors in gid order. With ranks, other ranks' cells are counted from their
        // morphologies (the same count their compiled cells have).
        var detectorCounts = [Int](repeating: 0, count: nCells)
        for t in 0..<nThreads { for (j, c) in compiled[t].enumerated() { detectorCounts[parts[t].lowerBound + j] = c.detectors.count } }
        if ranks > 1 {
            let mine = parts.first!.lowerBound..<parts.last!.upperBound
            for gid in 0..<nCells where !mine.contains(gid) {
                let (name, kind) = desc.cells[kindOfGid[gid]]
                do { detectorCounts[gid] = try kind.detectorCount(gid: gid) } catch let e as PlexusError { throw e.under("cells.\(name)") }
            }
        }
        var sStart = [0]
        for c in detectorCounts { sStart.append(sStart.last! + c) }
        sourceStart = sStart
        for t in 0..<nThreads {
            let g = groups[t]
            var k = 0
            for (j, gid) in g.gids.enumerated() {
                for q in 0..<compiled[t][j].detectors.count { g.detSource[k] = UInt32(sStart[gid] + q); k += 1 }
            }
        }
        compiled = []

        // Connections: expanded straight into per-thread CSR tables keyed by source (this rank's
        // targets only; every statement is still checked whole, so all ranks find the same
        // minimum delay).
        let nSources = sStart.last!
        var minDelay = Double.infinity, maxDelay = 0.0
        var groupOfGid = [Int](repeating: -1, count: nCells)   // -1: another rank's cell
        for (t, r) in parts.enumerated() { for gid in r { groupOfGid[gid] = t } }
        func groupOf(_ gid: Int) -> Int { groupOfGid[gid] }
        func isLocal(_ gid: Int) -> Bool { groupOfGid[gid] >= 0 }
        func resolve(_ gid: Int, _ ref: TargetRef, path: String) throws -> UInt32 {
            let t = groupOf(gid), g = groups[t], j = gid - g.gids.lowerBound
            guard let r = g.targetLabels[j][ref.label] else {
                throw PlexusError("cell \(gid) has no synapse label '\(ref.label)'; its labels: \(g.targetLabels[j].keys.sorted().joined(separator: ", "))", keyPath: path)
            }
            guard ref.index >= 0, ref.index < r.count else {
                throw PlexusError("synapse '\(ref.label)' of cell \(gid) has \(r.count) locations; index \(ref.index) is out of range", keyPath: path)
            }
            let code = g.targets[g.targetStart[j] + r.lowerBound + ref.index]
            guard code != CableGroup.noEvents else {
                throw PlexusError("'\(ref.label)' of cell \(gid) is a point mechanism that receives no events, not a synapse", keyPath: path)
            }
            return code
        }
        func source(_ gid: Int, _ det: Int, path: String) throws -> Int {
            guard gid >= 0, gid < nCells else { throw PlexusError("source gid \(gid) does not exist (there are \(nCells) cells)", keyPath: path) }
            guard det >= 0, det < sStart[gid + 1] - sStart[gid] else {
                throw PlexusError("cell \(gid) has \(sStart[gid + 1] - sStart[gid]) detector locations; detector \(det) does not exist", keyPath: path)
            }
            return sStart[gid] + det
        }
        var longestDelayPath = "connections"
        func checkDelay(_ d: Double, path: String) throws {
            // Delays become steps of an event ring as long as the longest one: at most 1e15 ms
            // (NEST's range) here, and the ring's memory once all delays are known.
            guard d.isFinite, d > 0, d <= 1e15 else { throw PlexusError.outOfRange("delay", d, "must be a positive time in ms, at most 1e15", keyPath: path) }
            minDelay = min(minDelay, Double(Float(d)))
            if Double(Float(d)) > maxDelay { maxDelay = Double(Float(d)); longestDelayPath = path }
        }
        // Counting pass then fill pass, per target thread.
        var counts = (0..<nThreads).map { _ in [Int](repeating: 0, count: nSources + 1) }
        var total = 0
        func visit(_ body: (_ src: Int, _ tgtGid: Int, _ entry: () throws -> ConnectionEntry) throws -> Void) throws {
            for (ci, set) in desc.connections.enumerated() {
                let path = "connections[\(ci)]"
                switch set {
                case .list(let list):
                    for (k, c) in list.enumerated() {
                        let p = "\(path)[\(k)]"
                        let s = try source(c.source, c.detector, path: p + ".source")
                        guard c.target >= 0, c.target < nCells else { throw PlexusError("target gid \(c.target) does not exist", keyPath: p + ".target") }
                        try checkDelay(c.delay, path: p + ".delay")
                        guard c.weight.isFinite else { throw PlexusError("weight must be finite", keyPath: p + ".weight") }
                        guard isLocal(c.target) else { continue }
                        try body(s, c.target) { ConnectionEntry(target: try resolve(c.target, c.synapse, path: p + ".synapse"), weight: Float(c.weight), delay: Float(c.delay)) }
                    }
                case .ring(let pop, let size, let syn, let w, let d):
                    guard let r = desc.gids(of: pop) else { throw PlexusError("unknown population '\(pop)'", keyPath: path + ".population") }
                    guard size >= 1 else { throw PlexusError("group size must be >= 1", keyPath: path + ".group_size") }
                    try checkDelay(d, path: path + ".delay")
                    for gid in r {
                        let i = gid - r.lowerBound
                        let start = size * (i / size), end = min(start + size, r.count)
                        let src = r.lowerBound + (i == start ? end - 1 : i - 1)
                        let s = try source(src, 0, path: path)
                        guard isLocal(gid) else { continue }
                        try body(s, gid) { ConnectionEntry(target: try resolve(gid, syn, path: path + ".synapse"), weight: Float(w), delay: Float(d)) }
                    }
                case .busyringExtra(let pop, let count, let label, let w, let md):
                    guard let r = desc.gids(of: pop) else { throw PlexusError("unknown population '\(pop)'", keyPath: path + ".population") }
                    guard r.count >= 2 else { throw PlexusError("busyring needs at least two cells for the extra connections", keyPath: path) }
                    try checkDelay(md, path: path + ".min_delay")
                    guard count >= 0 else { throw PlexusError.outOfRange("count", Double(count), "must be >= 0", keyPath: path + ".count") }
                    for gid in r where isLocal(gid) {
                        let t = groupOf(gid), g = groups[t], j = gid - g.gids.lowerBound
                        guard let lr = g.targetLabels[j][label] else {
                            throw PlexusError("cell \(gid) has no synapse label '\(label)'", keyPath: path + ".synapse")
                        }
                        guard lr.count >= count else { throw PlexusError("synapse '\(label)' has \(lr.count) locations, fewer than \(count) connections", keyPath: path + ".synapse") }
                        let tbase = g.targetStart[j] + lr.lowerBound
                        guard count == 0 || g.targets[tbase] != CableGroup.noEvents else {
                            throw PlexusError("'\(label)' of cell \(gid) is a point mechanism that receives no events, not a synapse", keyPath: path + ".synapse")
                        }
                        var err: PlexusError?
                        busyringExtraConnections(gid: gid - r.lowerBound, cells: r.count, count: count, minDelay: md) { i, src, delay in
                            guard err == nil else { return }
                            maxDelay = max(maxDelay, Double(delay))
                            do {
                                try body(sStart[r.lowerBound + src], gid) { ConnectionEntry(target: g.targets[tbase + i], weight: Float(w), delay: delay) }
                            } catch let e as PlexusError { err = e } catch {}
                        }
                        if let err { throw err }
                    }
                }
            }
        }
        try visit { s, tgt, _ in counts[groupOf(tgt)][s + 1] += 1; total += 1 }
        connectionCount = total
        var offsets: [Storage<Int>] = []
        var entries: [Storage<ConnectionEntry>] = []
        var cursor: [[Int]] = []
        for t in 0..<nThreads {
            for s in 0..<nSources { counts[t][s + 1] += counts[t][s] }
            offsets.append(Storage(counts[t]))
            entries.append(Storage(repeating: ConnectionEntry(target: 0, weight: 0, delay: 0), count: max(1, counts[t][nSources])))
            cursor.append(Array(counts[t].dropLast()))
        }
        counts = []
        // Fill: the group of each target found by a running cache (targets come gid by gid).
        try visit { s, tgt, entry in
            let t = groupOf(tgt)
            entries[t][cursor[t][s]] = try entry()
            cursor[t][s] += 1
        }
        connOffsets = offsets
        connEntries = entries

        // Generators.
        var gen = [[(step: Int64, target: UInt32, weight: Float)]](repeating: [], count: nThreads)
        var pois = [[PoissonSource]](repeating: [], count: nThreads)
        for (k, g) in desc.generators.enumerated() {
            let path = "generators[\(k)]"
            guard let r = desc.gids(of: g.population) else { throw PlexusError("unknown population '\(g.population)'", keyPath: path + ".population") }
            let idx = g.cells ?? Array(0..<r.count)
            guard g.weight.isFinite else { throw PlexusError("weight must be finite", keyPath: path + ".weight") }
            for i in idx {
                guard i >= 0, i < r.count else { throw PlexusError("cell index \(i) is outside population '\(g.population)' (size \(r.count))", keyPath: path + ".cells") }
                let gid = r.lowerBound + i
                guard isLocal(gid) else { continue }
                let t = groupOf(gid)
                let target = try resolve(gid, g.synapse, path: path + ".synapse")
                switch g.schedule {
                case .explicit(let times):
                    for x in times {
                        guard x.isFinite, x >= 0 else { throw PlexusError.outOfRange("time", x, "event times must be >= 0 ms", keyPath: path + ".times") }
                        // An event after the run is never delivered (and its step may not fit).
                        if x > desc.duration { continue }
                        gen[t].append((CableNetwork.step(of: x, dt: dt), target, Float(g.weight)))
                    }
                case .regular(let start, let interval, let stop):
                    guard interval > 0, start >= 0 else { throw PlexusError("regular schedule needs start >= 0 and interval > 0", keyPath: path + ".regular") }
                    let events = (min(stop, desc.duration + interval) - start) / interval
                    try ResourceUsage.checkFits(events * 16 * Double(idx.count), "\(events) regular events for each of \(idx.count) cells (16 bytes each)", keyPath: path + ".regular")
                    var n = 0
                    while true {
                        let x = start + Double(n) * interval
                        if x >= stop || x >= desc.duration + interval { break }
                        gen[t].append((CableNetwork.step(of: x, dt: dt), target, Float(g.weight)))
                        n += 1
                    }
                case .poisson(let rate, let start, let stop, let seed):
                    guard rate >= 0, rate.isFinite, start >= 0 else { throw PlexusError("poisson schedule needs rate >= 0 Hz and start >= 0", keyPath: path + ".poisson") }
                    pois[t].append(PoissonSource(target: target, weight: Float(g.weight), rate: rate, start: start, stop: stop,
                                                 seed: seed &+ desc.seed, id: UInt64(k) << 32 | UInt64(gid)))
                }
            }
        }
        for t in 0..<nThreads { gen[t].sort { $0.step < $1.step } }   // stable order per step: file order
        generatorEvents = gen
        poisson = pois

        // Epochs of the minimum delay.
        if minDelay.isFinite {
            epochSteps = max(1, Int((minDelay / dt) * (1 + 1e-12)))
        } else {
            epochSteps = max(1, Int(min(Double(totalSteps), 1000)))
        }
        try ResourceUsage.checkFits(maxDelay / dt * 16 * Double(nThreads),
                                    "event rings over a delay of \(maxDelay) ms (16 bytes a step and thread at the least)", keyPath: longestDelayPath)
        ringLength = Int((maxDelay / dt).rounded(.up)) + epochSteps + 2
        cvCount = groups.reduce(0) { $0 + $1.cvCount }
        slotCount = groups.reduce(0) { $0 + $1.slotCount }
        synapseInstanceCount = groups.reduce(0) { $0 + $1.synapseInstanceCount }
        targetCount = groups.reduce(0) { $0 + $1.targets.count }
    }

    /// The step in which an event at `t` ms is delivered: the first whose end is after t (Arbor
    /// delivers events due before the end of a step at the step's start).
    @inline(__always) static func step(of t: Double, dt: Double) -> Int64 {
        var k = Int64((t / dt).rounded(.down))
        if k < 0 { return 0 }
        while Double(k + 1) * dt <= t { k += 1 }
        while k > 0 && Double(k) * dt > t { k -= 1 }
        return k
    }

    public var threads: Int { team.count }
    public var bytesPerConnection: Int { MemoryLayout<ConnectionEntry>.stride }
}
