import Foundation
import PlexusCore
import PlexusCable

/// Allen Cell Types Database perisomatic models (an SWC morphology and a `*_fit.json`), built the
/// way bmtk's `aibs_perisomatic` builds them for NEURON (docs/allen-conventions.md):
/// - the morphology is read as NEURON's Import3d reads it (a one-sample soma is a cylinder of
///   length and diameter 2r; sub-trees join the soma's centre), the reconstructed axon is removed
///   and replaced by a stub of two 30 µm × 1 µm sections at the soma's centre;
/// - CVs are NEURON's segments: the soma one CV, each dendrite branch 1 + 2·int(L/40 µm), each
///   stub section one;
/// - `passive`: Ra for the cell, cm per section type, pas everywhere with e = e_pas;
/// - `genome`: per section type a mechanism parameter (`gbar_NaTs` is NaTs.gbar on that type;
///   an empty mechanism is pas, `g_pas`), each mechanism painted where the genome puts it;
/// - `conditions`: celsius and v_init (what the AllenSDK uses; bmtk takes them from its own
///   simulation config, which a cell in a Plexus file sets with `temperature:` and
///   `defaults: {V_init: ...}`), and ena/ek per section type.
public enum AllenModel {
    public static let stubLength = 30.0, stubDiameter = 1.0, segmentLength = 20.0

    /// The cell description; `catalogue` must hold the fit's mechanisms (the folder of the
    /// model's .mod files).
    /// `passiveOnly`: the fit's passive cell (its channels and reversal potentials left out, pas
    /// with the genome's g kept), as the AllenSDK's passive runs.
    /// `scales`: factors on genome entries by name (`gbar_NaTs: 1.2` multiplies NaTs.gbar in
    /// every section the fit gives it): what a fit of channel densities varies.
    public static func cell(morphology swcPath: String, fit fitPath: String, catalogue: MechanismCatalogue,
                            passiveOnly: Bool = false, scales: [String: Double] = [:]) throws -> CableCellDescription {
        let fit = try FitFile(fitPath)
        var cell = CableCellDescription(tree: try morphology(swcPath))

        // Passive properties.
        let passive = try fit.object(fit.root, "passive", index: 0)
        cell.axialResistivity = try fit.number(passive.value, "ra", path: passive.path)
        guard cell.axialResistivity > 0 else { throw fit.error("ra must be positive", passive.path + ".ra") }
        let ePas = try fit.number(passive.value, "e_pas", path: passive.path)
        var cm: [RegionValue] = []
        for (k, entry) in try fit.list(passive.value, "cm", path: passive.path).enumerated() {
            let path = passive.path + ".cm[\(k)]"
            guard let e = entry as? [String: Any] else { throw fit.error("expected an object", path) }
            let region = try sectionRegion(try fit.string(e, "section", path: path), fit: fit, path: path + ".section")
            let value = try fit.number(e, "cm", path: path)
            guard value > 0 else { throw fit.error("cm must be positive", path + ".cm") }
            cm.append(RegionValue(region, value))
        }
        // Every section type of the cell needs its cm (bmtk stops with a KeyError otherwise).
        var tags = Set<Int>()
        if case .tree(let t) = cell.morphology { tags = t.tags }
        for (tag, section) in [(1, "soma"), (2, "axon"), (3, "dend"), (4, "apic")] where tags.contains(tag) {
            guard cm.contains(where: { $0.region == (try? sectionRegion(section, fit: fit, path: "")) }) else {
                throw fit.error("the fit gives no cm for '\(section)', which the morphology (\((swcPath as NSString).lastPathComponent)) has: is this the fit of another cell?", passive.path + ".cm")
            }
        }
        cell.membraneCapacitance = 1
        cell.capacitancePaints = cm

        // Genome: parameters per (section type, mechanism), in file order.
        struct Key: Hashable { var section: String, mechanism: String }
        var order: [Key] = []
        var params: [Key: [String: Double]] = [:]
        var sections: Set<String> = []
        for (k, entry) in try fit.list(fit.root, "genome", path: "").enumerated() {
            let path = "genome[\(k)]"
            guard let e = entry as? [String: Any] else { throw fit.error("expected an object", path) }
            let section = try fit.string(e, "section", path: path)
            _ = try sectionRegion(section, fit: fit, path: path + ".section")
            sections.insert(section)
            let name = try fit.string(e, "name", path: path)
            let mech = try fit.string(e, "mechanism", path: path)
            let value = try fit.number(e, "value", path: path) * (scales[name] ?? 1)
            let mechanism = mech.isEmpty ? "pas" : mech
            if passiveOnly && mechanism != "pas" { continue }
            let suffix = "_" + mechanism
            guard name.hasSuffix(suffix), name.count > suffix.count else {
                throw fit.error("parameter '\(name)' does not end in '\(suffix)' (NEURON's range name param_mechanism)", path + ".name")
            }
            let param = String(name.dropLast(suffix.count))
            guard let info = catalogue.info(mechanism) else {
                throw fit.error(catalogue.unknownMechanism(mechanism) + "\nlist the folder of the model's .mod files under `mechanisms:`", path + ".mechanism")
            }
            guard info.kind == .density else { throw fit.error("'\(mechanism)' is a point process, not a channel", path + ".mechanism") }
            guard info.parameters.contains(where: { $0.name == param }) else {
                throw fit.error("mechanism '\(mechanism)' has no parameter '\(param)'\(PlexusError.didYouMean(param, info.parameters.map(\.name))); its parameters: \(info.parameters.map(\.name).joined(separator: ", "))", path + ".name")
            }
            let key = Key(section: section, mechanism: mechanism)
            if params[key] == nil { order.append(key); params[key] = [:] }
            params[key]![param] = value
        }
        let names = Set(try fit.list(fit.root, "genome", path: "").compactMap { ($0 as? [String: Any])?["name"] as? String })
        for name in scales.keys.sorted() where !names.contains(name) {
            throw PlexusError("scale names '\(name)', which the fit's genome does not have\(PlexusError.didYouMean(name, Array(names))); its entries: \(names.sorted().joined(separator: ", "))",
                              file: fitPath)
        }
        // pas on every section type, with e_pas (and the genome's g where it gives one).
        for section in ["soma", "axon", "dend", "apic"] where params[Key(section: section, mechanism: "pas")] == nil {
            order.insert(Key(section: section, mechanism: "pas"), at: 0)
            params[Key(section: section, mechanism: "pas")] = [:]
        }
        for key in order {
            var p = params[key]!
            if key.mechanism == "pas" { p["e"] = ePas }
            cell.paints.append(Paint(try sectionRegion(key.section, fit: fit, path: "genome"), MechanismDescription(key.mechanism, p)))
        }

        // Conditions.
        if let conditions = fit.root["conditions"] {
            guard let list = conditions as? [Any], let c = list.first as? [String: Any] else { throw fit.error("expected a list of objects", "conditions") }
            if c["celsius"] != nil { cell.temperature = try fit.number(c, "celsius", path: "conditions[0]") }
            if c["v_init"] != nil { cell.initialVoltage = try fit.number(c, "v_init", path: "conditions[0]") }
            var na: Double?, k: Double?
            for (i, entry) in ((passiveOnly ? nil : c["erev"] as? [Any]) ?? []).enumerated() {
                let path = "conditions[0].erev[\(i)]"
                guard let e = entry as? [String: Any] else { throw fit.error("expected an object", path) }
                _ = try sectionRegion(try fit.string(e, "section", path: path), fit: fit, path: path + ".section")
                for (name, slot) in [("ena", 0), ("ek", 1)] where e[name] != nil {
                    let v = try fit.number(e, name, path: path)
                    let before = slot == 0 ? na : k
                    if let before, before != v {
                        throw fit.error("\(name) differs between section types (\(before) and \(v) mV); Plexus sets reversal potentials per cell", path + "." + name)
                    }
                    if slot == 0 { na = v } else { k = v }
                }
            }
            var ions: [String: IonSpecies] = [:]
            if let na { var s = IonSpecies.defaults["na"]!; s.reversal = na; ions["na"] = s }
            if let k { var s = IonSpecies.defaults["k"]!; s.reversal = k; ions["k"] = s }
            if !ions.isEmpty { cell.ions = ions }
        }

        // NEURON's segments.
        cell.discretization = CVPolicy([
            .init(.neuronSegments(segmentLength), region: .join([.dend, .apic])),
            .init(.perBranch(2), region: .axon),
            .init(.single, region: .soma),
        ])
        return cell
    }

    /// The SWC with its axon replaced by the stub.
    public static func morphology(_ path: String) throws -> SegmentTree {
        guard let data = FileManager.default.contents(atPath: path) else { throw PlexusError("cannot read the SWC file", file: path) }
        let text = String(decoding: data, as: UTF8.self)
        let records = try SWC.readRecords(text, file: path)
        guard let soma = records.first, soma.tag == 1 else {
            throw PlexusError("an Allen model's morphology starts with its soma (a sample of type 1); this file has none at its root", file: path, line: records.first?.line)
        }
        guard records.filter({ $0.tag == 1 }).count == 1 else {
            throw PlexusError("Allen perisomatic models have a one-sample soma; this file has \(records.filter { $0.tag == 1 }.count) soma samples", file: path, line: soma.line)
        }
        // NEURON keeps 3-d points as C floats after writing them as %.8g text (Import3d's
        // pt3dadd): the same rounding here gives its lengths and areas, which matters for short
        // segments far from the origin.
        func neuron(_ x: Double) -> Double { Double(Float(String(format: "%.8g", x)) ?? Float(x)) }
        let rounded = records.map { r -> SWC.Record in
            var r = r
            r.x = neuron(r.x); r.y = neuron(r.y); r.z = neuron(r.z); r.radius = neuron(2 * r.radius) / 2
            return r
        }
        // The reconstructed axon goes (its samples are type 2 down to their tips).
        let built = try SWC.buildTree(rounded.filter { $0.tag != 2 }, file: path, dialect: .neuron)
        // The soma cylinder's ends as Import3d writes them: x ± d/2 from its rounded samples,
        // rounded again (so its length is not the rounded diameter; checked on the five
        // morphologies of bmtk's wheel).
        let x = neuron(soma.x), d = neuron(2 * soma.radius)
        let ends = (neuron(x - d / 2), x, neuron(x + d / 2))
        var tree = SegmentTree()
        for (i, seg) in built.segments.enumerated() {
            var a = seg.prox, b = seg.dist
            if i == 0 { a.x = ends.0; b.x = ends.1 } else if i == 1 { a.x = ends.1; b.x = ends.2 }
            try tree.append(parent: seg.parent, prox: a, dist: b, tag: seg.tag)
        }
        let c = MPoint(soma.x, soma.y, soma.z, stubDiameter / 2)
        let mid = try tree.append(parent: 0, prox: c, dist: MPoint(soma.x, soma.y - stubLength, soma.z, stubDiameter / 2), tag: 2)
        _ = try tree.append(parent: mid, prox: MPoint(soma.x, soma.y - stubLength, soma.z, stubDiameter / 2),
                            dist: MPoint(soma.x, soma.y - 2 * stubLength, soma.z, stubDiameter / 2), tag: 2)
        return tree
    }

    static func sectionRegion(_ name: String, fit: FitFile, path: String) throws -> Region {
        switch name {
        case "soma": return .soma
        case "axon": return .axon
        case "dend": return .dend
        case "apic": return .apic
        default: throw fit.error("unknown section type '\(name)'; Allen models use soma, axon, dend, apic", path)
        }
    }

    /// A fit.json with errors that name the file, the key path and the line.
    struct FitFile {
        let path: String
        let text: String
        let root: [String: Any]

        init(_ path: String) throws {
            guard let data = FileManager.default.contents(atPath: path) else { throw PlexusError("cannot read the fit file", file: path) }
            self.path = path
            text = String(decoding: data, as: UTF8.self)
            do {
                guard let r = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw PlexusError("a fit file is a JSON object (passive, conditions, genome)", file: path, line: 1)
                }
                root = r
            } catch let e as PlexusError { throw e } catch {
                throw PlexusError("not valid JSON: \((error as NSError).userInfo["NSDebugDescription"] as? String ?? "\(error)")", file: path)
            }
        }

        /// The line of the key path's last key (the n-th occurrence of that key in the text, n
        /// from the path's indices), or nil.
        func line(of keyPath: String) -> Int? {
            guard let key = keyPath.split(separator: ".").last.map({ String($0.split(separator: "[")[0]) }), !key.isEmpty else { return nil }
            // The entry index of the path's first list picks the occurrence.
            let index = keyPath.firstIndex(of: "[").flatMap { i in Int(keyPath[keyPath.index(after: i)...].prefix { $0.isNumber }) } ?? 0
            var count = 0, line = 1
            var rest = Substring(text)
            let needle = "\"\(key)\""
            while let r = rest.range(of: needle) {
                line += rest[..<r.lowerBound].filter { $0 == "\n" }.count
                if count == index { return line }
                count += 1
                rest = rest[r.upperBound...]
            }
            return nil
        }

        func error(_ message: String, _ keyPath: String) -> PlexusError {
            PlexusError(message, file: path, line: line(of: keyPath), keyPath: keyPath.isEmpty ? nil : keyPath)
        }

        func object(_ o: [String: Any], _ key: String, index: Int) throws -> (value: [String: Any], path: String) {
            guard let list = o[key] as? [Any], list.count > index, let v = list[index] as? [String: Any] else {
                throw error("missing '\(key)' (a list of objects)", key)
            }
            return (v, "\(key)[\(index)]")
        }

        func list(_ o: [String: Any], _ key: String, path: String) throws -> [Any] {
            guard let v = o[key] as? [Any] else { throw error("missing '\(key)' (a list)", path.isEmpty ? key : path + "." + key) }
            return v
        }

        func string(_ o: [String: Any], _ key: String, path: String) throws -> String {
            guard let v = o[key] as? String else { throw error("'\(key)' must be a string", path + "." + key) }
            return v
        }

        func number(_ o: [String: Any], _ key: String, path: String) throws -> Double {
            let full = path.isEmpty ? key : path + "." + key
            guard let n = o[key] as? NSNumber else { throw error("'\(key)' must be a number", full) }
            let v = n.doubleValue
            guard v.isFinite else { throw error("'\(key)' must be finite", full) }
            return v
        }
    }
}
