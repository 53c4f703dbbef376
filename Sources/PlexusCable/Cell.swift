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
    var pas: [(cv: Int, g: Double, e: Double)] = []                       // g in µS
    var hh: [(cv: Int, gna: Double, gk: Double, gl: Double, el: Double, ena: Double, ek: Double)] = []
    var expsyn: [(cv: Int, tau: Double, e: Double)] = []                  // merged instances
    var exp2syn: [(cv: Int, tau1: Double, tau2: Double, e: Double)] = []
    /// Target index -> (0 expsyn / 1 exp2syn, instance).
    var targets: [(kind: Int, instance: Int)] = []
    var targetLabels: [String: Range<Int>] = [:]
    var iclamps: [(cv: Int, start: Double, stop: Double, amplitude: Double)] = []
    var detectors: [(cv: Int, threshold: Double)] = []
    var probes: [CompiledProbe] = []
}

/// Where a probe reads: v interpolated between two CVs, or one mechanism state of one instance.
struct CompiledProbe {
    enum Source {
        case voltage(cvA: Int, wA: Double, cvB: Int, wB: Double)
        case hh(instance: Int, variable: Int)        // m, h, n
        case expsyn(instance: Int)
        case exp2syn(instance: Int, variable: Int)   // A, B
    }
    var source: Source
    var name: String
    var location: MLocation
    var intervalSteps: Int
}

extension CableCellDescription {
    /// Compiles this description for cell `gid`; errors carry key paths under `cells.<name>`.
    func compile(gid: Int, dt: Double) throws -> CompiledCell {
        let tree: SegmentTree
        do { tree = try morphology.tree(gid: gid) } catch let e as PlexusError { throw e.under("morphology") }
        guard !tree.isEmpty else { throw PlexusError("the morphology has no segments", keyPath: "morphology") }
        let m = CableMorphology(tree)
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
        var cell = CompiledCell(gid: gid, morphology: m, geometry: geo,
                                capacitance: geo.area.map { $0 * membraneCapacitance * 0.01 },
                                initialVoltage: initialVoltage, temperature: temperature)

        // Density mechanisms: conductances scaled by the membrane area each paint covers per CV.
        var painted: [String: [MCable]] = [:]
        for (k, p) in paints.enumerated() {
            let path = "paint[\(k)]"
            let info: MechanismInfo
            do { info = try p.mechanism.validated(kind: .density) } catch let e as PlexusError { throw e.under(path) }
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
                let s = covered * 0.01   // S/cm² · µm² -> µS
                switch info.name {
                case "pas":
                    cell.pas.append((cv, p.mechanism.value("g") * s, p.mechanism.value("e")))
                case "hh":
                    let d = p.mechanism
                    cell.hh.append((cv, d.value("gnabar") * s, d.value("gkbar") * s, d.value("gl") * s, d.value("el"), d.value("ena"), d.value("ek")))
                default: break
                }
            }
        }

        // Synapses: identical ones in one CV are one instance (Arbor's coalescing).
        struct SynKey: Hashable { var kind: Int, cv: Int, a: Double, b: Double, c: Double }
        var instanceOf: [SynKey: Int] = [:]
        for (k, place) in places.enumerated() {
            let path = "place[\(k)]"
            guard case .synapse(let mech, let label) = place.item else { continue }
            let sp = (locset: place.locset, mechanism: mech, label: label)
            do { _ = try sp.mechanism.validated(kind: .point) } catch let e as PlexusError { throw e.under(path) }
            guard cell.targetLabels[sp.label] == nil else { throw PlexusError("synapse label '\(sp.label)' is used twice", keyPath: path + ".label") }
            let locs: [MLocation]
            do { locs = try sp.locset.locations(on: m, gid: gid) } catch let e as PlexusError { throw e.under(path + ".locset") }
            let kind = sp.mechanism.name == "expsyn" ? 0 : 1
            var a = 0.0, b = 0.0, c = 0.0
            if kind == 0 {
                a = sp.mechanism.value("tau"); c = sp.mechanism.value("e")
                guard a > 0 else { throw PlexusError.outOfRange("tau", a, "must be > 0 ms", keyPath: path + ".params.tau") }
            } else {
                a = sp.mechanism.value("tau1"); b = sp.mechanism.value("tau2"); c = sp.mechanism.value("e")
                guard a > 0, b > 0, a != b else {
                    throw PlexusError("exp2syn needs tau1 > 0, tau2 > 0 and tau1 != tau2 (got \(a), \(b) ms)", keyPath: path + ".params")
                }
            }
            var cache = [Int](repeating: -1, count: geo.count)
            let first = cell.targets.count
            cell.targets.reserveCapacity(first + locs.count)
            for l in locs {
                let cv = geo.cv(at: l, prefer: .nonEmpty)
                var inst = cache[cv]
                if inst < 0 {
                    let key = SynKey(kind: kind, cv: cv, a: a, b: b, c: c)
                    if let i = instanceOf[key] {
                        inst = i
                    } else if kind == 0 {
                        cell.expsyn.append((cv, a, c)); inst = cell.expsyn.count - 1
                    } else {
                        cell.exp2syn.append((cv, a, b, c)); inst = cell.exp2syn.count - 1
                    }
                    instanceOf[key] = inst
                    cache[cv] = inst
                }
                cell.targets.append((kind, inst))
            }
            cell.targetLabels[sp.label] = first..<cell.targets.count
        }

        for (k, place) in places.enumerated() {
            let path = "place[\(k)]"
            guard case .iclamp(let delay, let duration, let amplitude) = place.item else { continue }
            guard delay.isFinite, duration >= 0, amplitude.isFinite else {
                throw PlexusError("iclamp needs a finite delay, a duration >= 0 and a finite amplitude", keyPath: path + ".iclamp")
            }
            let locs: [MLocation]
            do { locs = try place.locset.locations(on: m, gid: gid) } catch let e as PlexusError { throw e.under(path + ".locset") }
            for l in locs { cell.iclamps.append((geo.cv(at: l, prefer: .nonEmpty), delay, delay + duration, amplitude)) }
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
                } else if parts.count == 2, let info = MechanismCatalog.all[parts[0]], let vi = info.state.firstIndex(of: parts[1]) {
                    let cvDensity = geo.cv(at: l, prefer: .nonEmpty)
                    switch info.name {
                    case "hh":
                        guard let i = cell.hh.firstIndex(where: { $0.cv == cvDensity }) else {
                            throw PlexusError("no hh at \(l): probe '\(p.variable)' needs the mechanism there", keyPath: path + ".variable")
                        }
                        source = .hh(instance: i, variable: vi)
                    case "expsyn":
                        guard let i = cell.expsyn.firstIndex(where: { $0.cv == cvDensity }) else {
                            throw PlexusError("no expsyn at \(l): probe '\(p.variable)' needs a synapse there", keyPath: path + ".variable")
                        }
                        source = .expsyn(instance: i)
                    default:
                        guard let i = cell.exp2syn.firstIndex(where: { $0.cv == cvDensity }) else {
                            throw PlexusError("no exp2syn at \(l): probe '\(p.variable)' needs a synapse there", keyPath: path + ".variable")
                        }
                        source = .exp2syn(instance: i, variable: vi)
                    }
                } else {
                    throw PlexusError("unknown probe variable '\(p.variable)'; use v or mechanism.state: hh.m, hh.h, hh.n, expsyn.g, exp2syn.A, exp2syn.B", keyPath: path + ".variable")
                }
                cell.probes.append(CompiledProbe(source: source, name: name, location: l, intervalSteps: every))
            }
        }
        return cell
    }
}
