import Foundation
import PlexusCore
import PlexusMass

extension RunOutput {
    /// One CSV per monitor: `t_ms`, then one column per region label (per variable when the
    /// monitor records several: `<variable>.<label>`). Returns the file name.
    @discardableResult
    public mutating func writeMonitor(_ m: MonitorResult, labels: [String], name: String) throws -> String {
        let header = ["t_ms"] + Self.monitorColumns(m, labels: labels)
        let nv = m.variables.count, n = m.regions
        try write(name) { out in
            out.line(header.joined(separator: ","))
            // Straight into the output buffer, number by number (no line string to grow and copy).
            m.values.withUnsafeBufferPointer { values in
                for k in 0..<m.samples {
                    out.number(m.times[k])
                    let row = values.baseAddress! + k * nv * n
                    for j in 0..<(nv * n) { out.byte(44); out.number(row[j]) }
                    out.byte(10)
                }
            }
        }
        return name
    }

    /// The column names of a monitor's file after `t_ms`: the region labels (or sensors, areas),
    /// prefixed `<variable>.` when the monitor records several variables.
    public static func monitorColumns(_ m: MonitorResult, labels: [String]) -> [String] {
        m.variables.count == 1 ? labels : m.variables.flatMap { v in labels.map { "\(v).\($0)" } }
    }

    /// One .npy per monitor: float64, C order, shape (samples, 1 + variables x columns): column 0
    /// is t_ms, then the CSV's columns in the CSV's order, so `numpy.load(f)` is the CSV's table
    /// without its header line (the column names are in provenance.json). Returns the file name.
    @discardableResult
    public mutating func writeMonitorNpy(_ m: MonitorResult, name: String) throws -> String {
        let width = m.variables.count * m.regions
        precondition(m.values.count == m.samples * width, "monitor values do not match its samples and columns")
        try write(name) { out in
            NpyFormat.header(shape: [m.samples, 1 + width]).withUnsafeBytes { out.raw(bytes: $0) }
            // Rows of (t, values...) gathered into ~1 MiB slabs.
            let rowsPerSlab = max(1, (1 << 20) / (8 * (1 + width)))
            var slab = [Double](repeating: 0, count: rowsPerSlab * (1 + width))
            var k = 0
            m.values.withUnsafeBufferPointer { v in
                while k < m.samples {
                    let rows = min(rowsPerSlab, m.samples - k)
                    slab.withUnsafeMutableBufferPointer { s in
                        for r in 0..<rows {
                            let row = s.baseAddress! + r * (1 + width)
                            row[0] = m.times[k + r]
                            row.advanced(by: 1).update(from: v.baseAddress! + (k + r) * width, count: width)
                        }
                        #if _endian(big)
                        for j in 0..<(rows * (1 + width)) { s[j] = Double(bitPattern: s[j].bitPattern.littleEndian) }
                        #endif
                    }
                    slab.withUnsafeBytes { out.raw(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<(8 * rows * (1 + width))])) }
                    k += rows
                }
            }
        }
        return name
    }

    /// fc.csv: `region,<labels>` then one row per region.
    public mutating func writeFC(_ fc: [Double], labels: [String], name: String = "fc.csv") throws {
        let n = labels.count
        try write(name) { out in
            out.line((["region"] + labels).joined(separator: ","))
            for i in 0..<n {
                out.line(([labels[i]] + (0..<n).map { OutputText.number(fc[i * n + $0]) }).joined(separator: ","))
            }
        }
    }

    /// sweep.csv: the swept parameters, fc_sc, fc_fc (when compared), mean/std of the first
    /// monitor's first variable, seconds per point, status.
    public mutating func writeSweep(_ sweep: MassSweep, _ points: [SweepPoint], variable: String, name: String = "sweep.csv") throws {
        let hasFCFC = points.contains { $0.fcFC != nil }
        try write(name) { out in
            var header = sweep.axes.map(\.parameter) + ["fc_sc"]
            if hasFCFC { header.append("fc_fc") }
            header += ["mean_\(variable)", "std_\(variable)", "seconds", "status"]
            out.line(header.joined(separator: ","))
            for p in points {
                var cols = p.values.map(OutputText.number)
                cols.append(p.fcSC.map(OutputText.number) ?? "nan")
                if hasFCFC { cols.append(p.fcFC.map(OutputText.number) ?? "nan") }
                cols += [OutputText.number(p.mean), OutputText.number(p.std), String(format: "%.3f", p.seconds)]
                cols.append(p.error.map { "\"\($0.replacingOccurrences(of: "\"", with: "'"))\"" } ?? "ok")
                out.line(cols.joined(separator: ","))
            }
        }
    }
}

extension Provenance {
    /// The fully resolved neural-mass experiment: every parameter with its value.
    public static func resolved(_ sim: MassNetwork) -> [String: Any] {
        let e = sim.experiment
        func json(_ v: Double) -> Any { v.isFinite ? v : "\(v)" }
        var conn: [String: Any] = ["regions": sim.regions, "nonzero_weights": sim.couplingTerms, "source": sim.connectome.source,
                                   "undirected": sim.connectome.isUndirected]
        switch e.connectivity {
        case .tvbData(let n): conn["tvb_data"] = n; if let p = try? ConnectomeZip.tvbDataZip(n) { conn["path"] = p }
        case .zip(let p): conn["zip"] = p
        case .synthetic(let r, let d, let s): conn["synthetic"] = ["regions": r, "density": d, "seed": s]
        case .matrices(let m):
            conn["matrices"] = ["weights": m.weights, "lengths": m.lengths, "normalize": m.normalize.rawValue,
                                "drop_regions": m.dropRegions, "self_connections": m.selfConnections] as [String: Any]
        case .given: conn["given"] = true
        }
        var integ: [String: Any] = ["name": e.integrator.name, "dt_ms": e.integrator.dt]
        if e.integrator.stochastic {
            var noise: [String: Any] = ["nsig": e.integrator.nsig, "ntau_ms": e.integrator.ntau,
                                        "stream": e.integrator.numpySeed == nil ? "Philox4x32-10 keyed by (seed, step), ziggurat normals" : "numpy RandomState (TVB)"]
            if let s = e.integrator.numpySeed { noise["numpy_seed"] = s; noise["numpy_skip"] = e.integrator.numpySkip }
            switch e.integrator.noise {
            case .additive: noise["type"] = "additive"
            case .multiplicative(let a, let b): noise["type"] = "multiplicative"; noise["b"] = ["equation": "a * x + b", "a": a, "b": b]
            }
            integ["noise"] = noise
        }
        var initial: [String: Any] = [:]
        for (k, v) in e.initialHistory {
            switch v {
            case .constant(let c): initial[k] = c
            case .perRegion(let l): initial[k] = l
            }
        }
        let monitors: [[String: Any]] = e.monitors.map { m in
            var d: [String: Any] = ["type": m.kind.rawValue, "variables": m.variables ?? []]
            if m.kind != .raw { d["period_ms"] = m.period }
            if m.kind == .bold {
                d["kernel"] = ["name": "FirstOrderVolterra", "tau_s": m.volterra.tau_s, "tau_f": m.volterra.tau_f,
                               "k_1": m.volterra.k_1, "V_0": m.volterra.V_0, "length_ms": m.volterra.length]
            }
            if m.kind == .balloon {
                let b = m.balloon
                d["sample_ms"] = m.sample
                d["params"] = ["tau_s": b.tau_s, "tau_f": b.tau_f, "tau_o": b.tau_o, "alpha": b.alpha, "TE": b.TE, "V0": b.V0,
                               "E0": b.E0, "epsilon": b.epsilon, "nu_0": b.nu_0, "r_0": b.r_0, "RBM": b.RBM, "nonlinear": b.nonlinear]
            }
            if m.kind == .neurolibBold {
                let b = m.neurolibBold
                d["input"] = ["offset": m.inputOffset, "scale": m.inputScale]
                d["params"] = ["rho": b.rho, "alpha": b.alpha, "V0": b.V0, "gamma": b.gamma, "kappa": b.kappa, "tau": b.tau]
            }
            return d
        }
        var out: [String: Any] = [
            "engine": "mass",
            "connectivity": conn,
            "speed_mm_per_ms": e.speed,
            "model": ["name": sim.modelName, "params": Dictionary(uniqueKeysWithValues: sim.modelParameters.map { ($0.0, json($0.1)) })],
            "coupling": ["name": e.coupling.name, "params": Dictionary(uniqueKeysWithValues: sim.couplingParameters.map { ($0.0, json($0.1)) })],
            "integrator": integ,
            "initial_history": initial,
            "duration_ms": e.duration,
            "steps": sim.steps,
            "monitors": monitors,
            "precision": e.precision.rawValue,
            "seed": e.seed,
            "delays": ["rule": "rint(tract_length / speed / dt), round half to even", "horizon_steps": sim.horizon,
                       "max_delay_ms": Double(sim.horizon - 1) * e.integrator.dt],
        ]
        if let fc = e.fc {
            out["fc"] = ["monitor": fc.monitor.map { $0 as Any } ?? "default", "discard_ms": fc.discard, "compare": fc.empirical != nil]
        }
        if !e.sweep.isEmpty { out["sweep"] = e.sweep.map { ["parameter": $0.parameter, "values": $0.values] } }
        // Parameters given as lists (per region, or a vector parameter's elements), the model's
        // description file, users' folders, stimuli and the surface.
        var model = out["model"] as! [String: Any]
        if !sim.regionalParameters.isEmpty {
            model["lists"] = Dictionary(uniqueKeysWithValues: sim.regionalParameters.map { ($0.0, $0.1.map(json)) })
        }
        model["description"] = sim.model.description.file
        if !e.model.folders.isEmpty { model["folders"] = e.model.folders }
        out["model"] = model
        if !e.stimuli.isEmpty {
            out["stimuli"] = e.stimuli.map { st -> [String: Any] in
                var d: [String: Any] = ["weights": st.weights, "variables": st.variables ?? sim.model.description.stimulated.map { sim.stateVariables[$0] }]
                if let byLabel = st.weightsByLabel {
                    d["weights_by_label"] = byLabel
                    d["weights"] = sim.connectome.labels.map { byLabel[$0] ?? 0 }
                }
                switch st.pattern {
                case .equation(let name, let params): d["equation"] = name; d["params"] = params
                case .expression(let text): d["expression"] = text
                case .timeCourse(let times, let values): d["time_course"] = ["times_ms": times, "values": values]
                }
                return d
            }
        }
        if let sf = e.surface {
            var d: [String: Any] = ["vertices": sf.vertices, "local_connectivity_nonzeros": sf.values.count, "coupling_strength": sf.couplingStrength]
            if let f = e.surfaceFiles { d["region_mapping"] = f.regionMapping; d["local_connectivity"] = f.localConnectivity }
            out["surface"] = d
        }
        return out
    }
}
