import PlexusCore

/// One cell compiled for the engine: its CVs, their electrical constants and the mechanism
/// instances on them, before they are packed into a thread's contiguous buffers.
struct CompiledCell {
    var gid: Int
    var morphology: CableMorphology
    var geometry: CVGeometry
    /// Capacitance per CV, pF.
    var capacitance: [Double]
    var initialVoltage: Double
    var temperature: Double
    /// The instances of each mechanism (index in `MechanismCatalog.ordered`), in placement order.
    var mechanisms: [CompiledInstances] = []
    /// Target index -> (mechanism, instance).
    var targets: [(mechanism: Int, instance: Int)] = []
    var targetLabels: [String: Range<Int>] = [:]
    var detectors: [(cv: Int, threshold: Double)] = []
    var probes: [CompiledProbe] = []
    /// Ion species set on the cell (others take `IonSpecies.defaults`).
    var ions: [String: IonSpecies] = [:]
    /// Current clamps with a time course: CV and envelope.
    var clamps: [(cv: Int, envelope: CurrentEnvelope)] = []
}

/// The instances of one mechanism on one cell: CV and constants (row-major, the mechanism's
/// `constants` per instance).
struct CompiledInstances {
    var cv: [Int] = []
    var constants: [Double] = []

    /// Appends an instance of `m` (which has `n` constants).
    mutating func append(_ m: MechanismKind, _ n: Int, cv: Int, _ values: [Double], _ context: InstanceContext) {
        self.cv.append(cv)
        let base = constants.count
        guard n > 0 else { return }
        constants.append(contentsOf: repeatElement(0, count: n))
        constants.withUnsafeMutableBufferPointer { m.prepare(values, context, into: $0.baseAddress! + base) }
    }
}

/// Where a probe reads: v interpolated between two CVs, or one field (a declared state) of one
/// instance of a mechanism.
struct CompiledProbe {
    enum Source {
        case voltage(cvA: Int, wA: Double, cvB: Int, wB: Double)
        case state(mechanism: Int, instance: Int, field: Int)
    }
    var source: Source
    var name: String
    var location: MLocation
    var intervalSteps: Int
}

extension CableCellDescription {
    /// Compiles this description for cell `gid`; errors carry key paths under `cells.<name>`.
    /// The morphology of cell `gid` (a generator's depends on the gid).
    func cableMorphology(gid: Int) throws -> CableMorphology {
        let tree: SegmentTree
        do { tree = try morphology.tree(gid: gid) } catch let e as PlexusError { throw e.under("morphology") }
        guard !tree.isEmpty else { throw PlexusError("the morphology has no segments", keyPath: "morphology") }
        return CableMorphology(tree)
    }

    /// The number of spike detector locations of cell `gid` (what `compile` gives it), from the
    /// morphology alone: a rank numbers every cell's sources without compiling other ranks' cells.
    func detectorCount(gid: Int) throws -> Int {
        let m = try cableMorphology(gid: gid)
        var n = 0
        for (k, d) in detectors.enumerated() {
            do { n += try d.locset.locations(on: m, gid: gid).count } catch let e as PlexusError { throw e.under("detectors[\(k)].locset") }
        }
        return n
    }

    func compile(gid: Int, dt: Double, catalogue: MechanismCatalogue = .builtin) throws -> CompiledCell {
        let m = try cableMorphology(gid: gid)
        try discretization.validate()
        guard axialResistivity > 0, axialResistivity.isFinite else {
            throw PlexusError.outOfRange("Ra", axialResistivity, "must be a positive resistivity (ohm*cm)", keyPath: "defaults.Ra")
        }
        guard membraneCapacitance > 0, membraneCapacitance.isFinite else {
            throw PlexusError.outOfRange("cm", membraneCapacitance, "must be a positive capacitance (uF/cm2)", keyPath: "defaults.cm")
        }
        guard initialVoltage.isFinite else { throw PlexusError("V_init must be finite", keyPath: "defaults.V_init") }
        guard temperature.isFinite, temperature > -273.15 else { throw PlexusError.outOfRange("temperature", temperature, "must be above absolute zero", keyPath: "temperature") }
        let points: [MLocation]
        do { points = try discretization.boundaryPoints(m) } catch let e as PlexusError { throw e.under("discretization") }
        let geo = CVGeometry(m, points: points, ra: axialResistivity)
        // Capacitance per CV (pF): the default over the CV's area, replaced where a paint covers it.
        var capacitance = geo.area.map { $0 * membraneCapacitance * 0.01 }
        var paintedCm: [MCable] = []
        for (k, p) in (capacitancePaints ?? []).enumerated() {
            let path = "cm[\(k)]"
            guard p.value > 0, p.value.isFinite else {
                throw PlexusError.outOfRange("cm", p.value, "must be a positive capacitance (uF/cm2)", keyPath: path)
            }
            let cables: [MCable]
            do { cables = try p.region.cables(on: m) } catch let e as PlexusError { throw e.under(path + ".region") }
            for a in paintedCm { for b in cables where a.branch == b.branch && min(a.dist, b.dist) > max(a.prox, b.prox) {
                throw PlexusError("cm is painted twice on \(Region.cable(MCable(branch: a.branch, prox: max(a.prox, b.prox), dist: min(a.dist, b.dist))))", keyPath: path)
            } }
            paintedCm += cables
            for cv in 0..<geo.count {
                for c in geo.cables[cv] {
                    for r in cables where r.branch == c.branch {
                        let lo = max(c.prox, r.prox), hi = min(c.dist, r.dist)
                        if hi > lo { capacitance[cv] += m.area(MCable(branch: c.branch, prox: lo, dist: hi)) * (p.value - membraneCapacitance) * 0.01 }
                    }
                }
            }
        }
        var cell = CompiledCell(gid: gid, morphology: m, geometry: geo, capacitance: capacitance,
                                initialVoltage: initialVoltage, temperature: temperature)
        cell.mechanisms = Array(repeating: CompiledInstances(), count: catalogue.ordered.count)
        for (name, sp) in ions ?? [:] {
            guard sp.internalConcentration > 0, sp.externalConcentration > 0, sp.internalConcentration.isFinite, sp.externalConcentration.isFinite,
                  sp.reversal?.isFinite ?? true else {
                throw PlexusError("ion '\(name)' needs positive finite concentrations and a finite reversal potential", keyPath: "ions.\(name)")
            }
            cell.ions[name] = sp
        }

        // Density mechanisms: one instance per CV a paint covers, with the membrane area covered.
        var painted: [String: [MCable]] = [:]
        for (k, p) in paints.enumerated() {
            let path = "paint[\(k)]"
            let (mi, mech, values): (Int, MechanismKind, [Double])
            do {
                (mi, mech, values) = try p.mechanism.resolved(kind: .density, in: catalogue)
                do { try mech.validate(values) } catch let e as PlexusError { throw e.under("params") }
            } catch let e as PlexusError { throw e.under(path) }
            let nConstants = mech.info.constants.count
            let cables: [MCable]
            do { cables = try p.region.cables(on: m) } catch let e as PlexusError { throw e.under(path + ".region") }
            if let before = painted[p.mechanism.name] {
                for a in before { for b in cables where a.branch == b.branch && min(a.dist, b.dist) > max(a.prox, b.prox) {
                    throw PlexusError("'\(p.mechanism.name)' is painted twice on \(Region.cable(MCable(branch: a.branch, prox: max(a.prox, b.prox), dist: min(a.dist, b.dist))))", keyPath: path)
                } }
            }
            painted[p.mechanism.name, default: []] += cables
            for cv in 0..<geo.count {
                var covered = 0.0
                for c in geo.cables[cv] {
                    for r in cables where r.branch == c.branch {
                        let lo = max(c.prox, r.prox), hi = min(c.dist, r.dist)
                        if hi > lo { covered += m.area(MCable(branch: c.branch, prox: lo, dist: hi)) }
                    }
                }
                guard covered > 0 else { continue }
                var context = InstanceContext(area: covered, temperature: temperature, dt: dt)
                context.cvArea = geo.area[cv]
                cell.mechanisms[mi].append(mech, nConstants, cv: cv, values, context)
            }
        }

        // Point mechanisms placed as synapses: each location is one target; identical instances
        // of a coalescable mechanism in one CV are one instance (Arbor's coalescing).
        struct SynKey: Hashable { var mechanism: Int, cv: Int, values: [Double] }
        var instanceOf: [SynKey: Int] = [:]
        for (k, place) in places.enumerated() {
            let path = "place[\(k)]"
            guard case .synapse(let mechanism, let label) = place.item else { continue }
            let (mi, mech, values): (Int, MechanismKind, [Double])
            do { (mi, mech, values) = try mechanism.resolved(kind: .point, in: catalogue) } catch let e as PlexusError { throw e.under(path) }
            guard cell.targetLabels[label] == nil else { throw PlexusError("synapse label '\(label)' is used twice", keyPath: path + ".label") }
            let locs: [MLocation]
            do { locs = try place.locset.locations(on: m, gid: gid) } catch let e as PlexusError { throw e.under(path + ".locset") }
            do { try mech.validate(values) } catch let e as PlexusError { throw e.under(path + ".params") }
            let context = InstanceContext(area: 0, temperature: temperature, dt: dt)
            let coalescable = mech.info.coalescable, nConstants = mech.info.constants.count
            var cache = [Int](repeating: -1, count: geo.count)
            let first = cell.targets.count
            cell.targets.reserveCapacity(first + locs.count)
            for l in locs {
                let cv = geo.cv(at: l, prefer: .nonEmpty)
                var inst = cache[cv]
                if inst < 0 || !coalescable {
                    let key = SynKey(mechanism: mi, cv: cv, values: values)
                    if coalescable, let i = instanceOf[key] {
                        inst = i
                    } else {
                        cell.mechanisms[mi].append(mech, nConstants, cv: cv, values, context)
                        inst = cell.mechanisms[mi].cv.count - 1
                    }
                    if coalescable { instanceOf[key] = inst; cache[cv] = inst }
                }
                cell.targets.append((mi, inst))
            }
            cell.targetLabels[label] = first..<cell.targets.count
        }

        // Current clamps: the iclamp mechanism at each location.
        for (k, place) in places.enumerated() {
            let path = "place[\(k)]"
            guard case .iclamp(let delay, let duration, let amplitude) = place.item else { continue }
            let values = [delay, duration, amplitude]
            do { try IClamp.validate(values) } catch let e as PlexusError { throw e.under(path + ".iclamp") }
            let locs: [MLocation]
            do { locs = try place.locset.locations(on: m, gid: gid) } catch let e as PlexusError { throw e.under(path + ".locset") }
            let mi = catalogue.index[IClamp.name]!
            let context = InstanceContext(area: 0, temperature: temperature, dt: dt)
            let iclamp = catalogue.ordered[mi]
            for l in locs { cell.mechanisms[mi].append(iclamp, IClamp.constants.count, cv: geo.cv(at: l, prefer: .nonEmpty), values, context) }
        }
        for (k, place) in places.enumerated() {
            guard case .clamp(let envelope) = place.item else { continue }
            let locs: [MLocation]
            do { locs = try place.locset.locations(on: m, gid: gid) } catch let e as PlexusError { throw e.under("place[\(k)].locset") }
            for l in locs { cell.clamps.append((geo.cv(at: l, prefer: .nonEmpty), envelope)) }
        }
        for (k, d) in detectors.enumerated() {
            let locs: [MLocation]
            do { locs = try d.locset.locations(on: m, gid: gid) } catch let e as PlexusError { throw e.under("detectors[\(k)].locset") }
            guard d.threshold.isFinite else { throw PlexusError("threshold must be finite", keyPath: "detectors[\(k)].threshold") }
            for l in locs { cell.detectors.append((geo.cv(at: l, prefer: .empty), d.threshold)) }
        }
        for (k, p) in probes.enumerated() {
            let path = "probes[\(k)]"
            let locs: [MLocation]
            do { locs = try p.locset.locations(on: m, gid: gid) } catch let e as PlexusError { throw e.under(path + ".locset") }
            let every = max(1, Int(((p.interval ?? dt) / dt).rounded()))
            for (j, l) in locs.enumerated() {
                let base = p.label ?? "\(p.variable)@\(p.locset)"
                let name = locs.count > 1 ? "\(base)[\(j)]" : base
                let source: CompiledProbe.Source
                let parts = p.variable.split(separator: ".").map(String.init)
                if p.variable == "v" {
                    let (a, wa, b, wb) = geo.voltageInterpolant(m, at: l, ra: axialResistivity)
                    source = .voltage(cvA: a, wA: wa, cvB: b, wB: wb)
                } else if parts.count == 2, let mi = catalogue.index[parts[0]],
                          case let mech = catalogue.ordered[mi].info, mech.probeable.contains(where: { $0.name == parts[1] }), let fi = mech.fieldIndex(parts[1]) {
                    let cvDensity = geo.cv(at: l, prefer: .nonEmpty)
                    guard let i = cell.mechanisms[mi].cv.firstIndex(of: cvDensity) else {
                        throw PlexusError("no \(mech.name) at \(l): probe '\(p.variable)' needs \(mech.kind == .density ? "the mechanism" : "a synapse") there", keyPath: path + ".variable")
                    }
                    source = .state(mechanism: mi, instance: i, field: fi)
                } else {
                    throw PlexusError(catalogue.unknownProbeVariable(p.variable), keyPath: path + ".variable")
                }
                cell.probes.append(CompiledProbe(source: source, name: name, location: l, intervalSteps: every))
            }
        }
        return cell
    }
}
