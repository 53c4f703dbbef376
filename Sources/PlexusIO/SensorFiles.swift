import Foundation
import PlexusCore
import PlexusMass

/// Builds EEG, MEG and iEEG sensors the way TVB 2.10's `Projection.config_for_sim` does for a
/// region simulation (docs/tvb-monitors.md): the lead field over the cortex's vertices summed over
/// each region's vertices (numpy.add.at, vertex order), non-finite entries set to 0; without a
/// lead field (iEEG: tvb-data has none for the 16k cortex), the point-dipole formula at the
/// regions' centres and orientations.
public enum SensorFileReader {
    /// TVB's `from_file` defaults, inside tvb-data.
    public static func defaults(_ kind: MonitorKind) -> SensorFiles {
        switch kind {
        case .meg: return SensorFiles(sensors: "meg_brainstorm_276.txt", projection: "projection_meg_276_surface_16k.npy",
                                      regionMapping: "regionMapping_16k_76.txt")
        case .ieeg: return SensorFiles(sensors: "seeg_588.txt", projection: nil, regionMapping: "regionMapping_16k_76.txt")
        default: return SensorFiles(sensors: "eeg_brainstorm_65.txt", projection: "projection_eeg_65_surface_16k.npy",
                                    regionMapping: "regionMapping_16k_76.txt")
        }
    }

    /// A file given by path (absolute, or relative to `base`), or by its name inside tvb-data.
    public static func locate(_ name: String, base: String, folder: String) -> String {
        if name.hasPrefix("/") { return name }
        let local = (base as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: local) { return local }
        if let tvb = ConnectomeZip.tvbDataDirectory() {
            let inside = "\(tvb)/\(folder)/\(name)"
            if FileManager.default.fileExists(atPath: inside) { return inside }
        }
        return local
    }

    /// The sensors of every projection monitor of `e`, and its surface, for its connectome.
    public static func resolve(_ e: inout MassExperiment, connectome: Connectome) throws {
        if let f = e.surfaceFiles, e.surface == nil {
            e.surface = try surface(regionMapping: f.regionMapping, localConnectivity: f.localConnectivity,
                                    couplingStrength: f.couplingStrength, regions: connectome.count)
        }
        for k in e.monitors.indices where e.monitors[k].kind.isProjection {
            do {
                e.monitors[k].projection = try load(e.monitors[k].sensorFiles ?? defaults(e.monitors[k].kind), connectome: connectome,
                                                    surface: e.surface)
            } catch let err as PlexusError {
                throw err.under("monitors[\(k)]")
            }
        }
    }

    /// A region mapping file: the region of every vertex (whitespace-separated whole numbers).
    public static func regionMapping(_ path: String, regions n: Int) throws -> [Int] {
        var rmap: [Int] = []
        for (k, tok) in try text(path).split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).enumerated() {
            guard let r = Int(tok), r >= 0, r < n else {
                throw PlexusError("entry \(k) is '\(tok)': not a region of the \(n)-region connectome", file: path, keyPath: "region_mapping")
            }
            rmap.append(r)
        }
        return rmap
    }

    /// TVB's cortex for a surface simulation: the region mapping, and the local connectivity of a
    /// MAT file (its sparse matrix, e.g. tvb-data's `LocalCoupling`) times `couplingStrength`, in
    /// compressed sparse rows.
    public static func surface(regionMapping rmPath: String, localConnectivity lcPath: String, couplingStrength: Double,
                               regions n: Int) throws -> SurfaceDescription {
        let rmap = try regionMapping(rmPath, regions: n)
        let mat = try MatFile(contentsOf: lcPath)
        guard let v = mat.variables.first(where: { $0.sparse != nil }), let csc = v.sparse else {
            throw PlexusError("the MAT file holds no sparse matrix (TVB's LocalCoupling)", file: lcPath, keyPath: "surface.local_connectivity")
        }
        guard v.rows == rmap.count, v.columns == rmap.count else {
            throw PlexusError("the local connectivity is \(v.rows) x \(v.columns); the region mapping has \(rmap.count) vertices", file: lcPath,
                              keyPath: "surface.local_connectivity")
        }
        // CSC -> CSR: columns visited in order, so each row's columns ascend.
        let nv = rmap.count
        var counts = [Int](repeating: 0, count: nv + 1)
        for r in csc.rows { counts[r + 1] += 1 }
        for i in 0..<nv { counts[i + 1] += counts[i] }
        var next = counts
        var columns = [Int32](repeating: 0, count: csc.rows.count), values = [Double](repeating: 0, count: csc.rows.count)
        for j in 0..<nv {
            for k in csc.columnStarts[j]..<csc.columnStarts[j + 1] {
                let r = csc.rows[k]
                columns[next[r]] = Int32(j)
                values[next[r]] = couplingStrength * csc.values[k]   // TVB: coupling_strength * matrix, then the product
                next[r] += 1
            }
        }
        return SurfaceDescription(regionMapping: rmap, rowStarts: counts, columns: columns, values: values, couplingStrength: couplingStrength)
    }

    static func text(_ path: String) throws -> String {
        guard let raw = FileManager.default.contents(atPath: path) else { throw PlexusError("cannot read the file", file: path) }
        let data = path.hasSuffix(".bz2") ? Data(try ZipReader.bunzip2([UInt8](raw), place: path)) : raw
        guard let t = String(data: data, encoding: .utf8) else { throw PlexusError("not UTF-8 text", file: path) }
        return t
    }

    /// On a surface the lead field over the vertices is the gain (TVB's surface projection), its
    /// non-finite entries set to 0.
    public static func load(_ f: SensorFiles, connectome c: Connectome, surface: SurfaceDescription? = nil) throws -> SensorProjection {
        let n = surface?.vertices ?? c.count
        // Sensors: `label x y z [dx dy dz]` per line.
        var labels: [String] = [], locations: [Double] = []
        for (k, line) in try text(f.sensors).split(separator: "\n").enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty { continue }
            guard fields.count >= 4, let x = Double(fields[1]), let y = Double(fields[2]), let z = Double(fields[3]) else {
                throw PlexusError("expected 'label x y z', got '\(line)'", file: f.sensors, line: k + 1, keyPath: "sensors")
            }
            labels.append(String(fields[0]))
            locations += [x, y, z]
        }
        guard !labels.isEmpty else { throw PlexusError("no sensors in the file", file: f.sensors, keyPath: "sensors") }
        let ns = labels.count
        var gain = [Double](repeating: 0, count: ns * n)
        if let pf = f.projection {
            // A .npy array, or a MAT file's first 2-D numeric variable (TVB reads `ProjectionMatrix`).
            let shape: [Int], lead: [Double]
            if pf.hasSuffix(".mat") {
                let mat = try MatFile(contentsOf: pf)
                guard let v = mat["ProjectionMatrix"] ?? mat.variables.first(where: { $0.dimensions.count == 2 && $0.text == nil }) else {
                    throw PlexusError("the MAT file holds no matrix", file: pf, keyPath: "projection")
                }
                shape = [v.rows, v.columns]
                lead = v.rowMajor()
            } else {
                let p = try NpyArray(contentsOf: pf)
                shape = p.shape
                lead = p.values
            }
            guard shape.count == 2, shape[0] == ns else {
                throw PlexusError("the lead field is \(shape.map(String.init).joined(separator: " x ")); \(ns) sensors need \(ns) rows", file: pf, keyPath: "projection")
            }
            let nv = shape[1]
            if surface != nil {
                guard nv == n else {
                    throw PlexusError("the lead field has \(nv) columns; the surface has \(n) vertices", file: pf, keyPath: "projection")
                }
                var g = lead
                for q in g.indices where !g[q].isFinite { g[q] = 0 }
                return SensorProjection(gain: g, labels: labels, reference: try reference(f.reference, labels))
            }
            guard let rmPath = f.regionMapping else { throw PlexusError("a lead field over vertices needs the region mapping", keyPath: "region_mapping") }
            let rmap = try regionMapping(rmPath, regions: n)
            guard rmap.count == nv else {
                throw PlexusError("\(rmap.count) vertices mapped; the lead field has \(nv)", file: rmPath, keyPath: "region_mapping")
            }
            lead.withUnsafeBufferPointer { pv in
                for s in 0..<ns {
                    let row = s * nv
                    for v in 0..<nv { gain[s * n + rmap[v]] += pv[row + v] }
                }
            }
            for q in gain.indices where !gain[q].isFinite { gain[q] = 0 }
        } else {
            // iEEG: V = Q . (a / |a|^3) / (4 pi sigma), a = sensor - centre, as TVB's iEEG.analytic.
            guard surface == nil else {
                throw PlexusError("on a surface an \(f.sensors) monitor needs a lead field over the vertices (projection)", keyPath: "projection")
            }
            guard c.centres.count == 3 * n, c.orientations.count == 3 * n else {
                throw PlexusError("the point-dipole gain needs the connectome's centres and orientations", keyPath: "projection")
            }
            for s in 0..<ns {
                for r in 0..<n {
                    let a = (0..<3).map { locations[3 * s + $0] - c.centres[3 * r + $0] }
                    let na = ((a[0] * a[0] + a[1] * a[1]) + a[2] * a[2]).squareRoot()
                    let na3 = Foundation.pow(na, 3)
                    let t = (0..<3).map { c.orientations[3 * r + $0] * (a[$0] / na3) }
                    gain[s * n + r] = ((t[0] + t[1]) + t[2]) / (4.0 * Double.pi * f.sigma)
                }
            }
        }
        return SensorProjection(gain: gain, labels: labels, reference: try reference(f.reference, labels))
    }

    static func reference(_ ref: String?, _ labels: [String]) throws -> String? {
        if let ref, ref.lowercased() != "average", !labels.contains(ref) {
            throw PlexusError(PlexusError.unknownMessage("reference sensor", ref, known: ["average"] + labels), keyPath: "reference")
        }
        return ref
    }
}
