import Foundation
import PlexusCore

/// What a fit's report draws, read back from its folder (evaluations.csv, best_fc.csv,
/// empirical_fc.csv) and record.
public struct FitReportData: Sendable {
    public var parameters: [String]
    public var terms: [String]
    public var generation: [Int]
    /// Per evaluation, the parameter values in the order of `parameters`.
    public var values: [[Double]]
    public var fitness: [Double]
    public var wall: [Double]
    public var seconds: [Double]
    public var failed: Int
    public var optimizer: String
    public var labels: [String]
    public var bestFC: [Double]?
    public var empiricalFC: [Double]?
    /// Point fits: each population's rate at the best point and its target (best_rates.csv).
    public var bestRates: [(population: String, rate: Double, target: Double)] = []

    public static func read(directory: String, record: RunRecord) throws -> FitReportData {
        let path = directory + "/evaluations.csv"
        guard let data = FileManager.default.contents(atPath: path) else { throw ReportError("missing", file: path) }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        guard !lines.isEmpty else { throw ReportError("empty", file: path) }
        let head = lines.removeFirst().split(separator: ",").map(String.init)
        guard let fi = head.firstIndex(of: "fitness"), let ei = head.firstIndex(of: "error"), head.count >= 2 else {
            throw ReportError("not a fit's evaluations (no fitness and error columns)", file: path)
        }
        var d = FitReportData(parameters: Array(head[2..<fi]), terms: Array(head[(ei + 1)...]), generation: [], values: [], fitness: [],
                              wall: [], seconds: [], failed: 0, optimizer: record.fit?.optimizer ?? "", labels: [])
        for (k, line) in lines.enumerated() {
            var cols: [String] = [], cur = "", quoted = false
            for c in line {
                if c == "\"" { quoted.toggle(); continue }
                if c == ",", !quoted { cols.append(cur); cur = ""; continue }
                cur.append(c)
            }
            cols.append(cur)
            guard cols.count == head.count, let g = Int(cols[1]) else { throw ReportError("line \(k + 2): \(cols.count) columns for \(head.count)", file: path) }
            func num(_ i: Int) -> Double { cols[i].hasSuffix("nan") ? .nan : Double(cols[i]) ?? .nan }
            d.generation.append(g)
            d.values.append((2..<fi).map(num))
            d.fitness.append(num(fi))
            if !cols[ei].isEmpty { d.failed += 1 }
        }
        // When each ran (evaluation_times.csv: evaluation,seconds,wall); NaN where missing.
        d.seconds = d.fitness.map { _ in .nan }
        d.wall = d.seconds
        let fm = FileManager.default
        if let t = fm.contents(atPath: directory + "/evaluation_times.csv") {
            for line in String(decoding: t, as: UTF8.self).split(separator: "\n").dropFirst() {
                let c = line.split(separator: ",")
                guard c.count == 3, let e = Int(c[0]), e >= 0, e < d.fitness.count else { continue }
                d.seconds[e] = Double(c[1]) ?? .nan
                d.wall[e] = Double(c[2]) ?? .nan
            }
        }
        if fm.fileExists(atPath: directory + "/best_fc.csv") {
            let (labels, m) = try CSVFile.readLabelledMatrix(directory + "/best_fc.csv")
            d.labels = labels
            d.bestFC = m
        }
        if fm.fileExists(atPath: directory + "/empirical_fc.csv") {
            d.empiricalFC = try CSVFile.readLabelledMatrix(directory + "/empirical_fc.csv").1
        }
        if let data = fm.contents(atPath: directory + "/best_rates.csv") {
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst() {
                let c = line.split(separator: ",").map(String.init)
                guard c.count == 3 else { throw ReportError("\(c.count) columns for 3", file: directory + "/best_rates.csv") }
                d.bestRates.append((c[0], Double(c[1]) ?? .nan, Double(c[2]) ?? .nan))
            }
        }
        return d
    }

    /// The best fitness so far after each evaluation (NaN until the first finite one).
    public var bestSoFar: [Double] {
        var best = -Double.infinity
        return fitness.map { f in
            if f.isFinite, f > best { best = f }
            return best.isFinite ? best : .nan
        }
    }
}

/// The report of a fit: the best point, convergence against evaluations and wall time, fitness
/// against each parameter, and the best point's FC beside the empirical FC.
public enum FitReport {
    public static func sections(_ d: FitReportData) -> [ReportSection] {
        var figures: [Figure] = []
        let index = d.fitness.indices.map(Double.init)
        let best = d.bestSoFar
        var rows: [[String]] = []
        if let k = d.fitness.indices.filter({ d.fitness[$0].isFinite }).max(by: { d.fitness[$0] < d.fitness[$1] }) {
            rows.append(["best fitness", Ticks.fixed(d.fitness[k], decimals: 4)] + d.values[k].map { Ticks.short($0, digits: 6) })
            rows.append(["found at evaluation", "\(k) (generation \(d.generation[k]))"] + d.parameters.map { _ in "" })
        }
        let generations = (d.generation.max() ?? -1) + 1
        let table = ReportTable(caption: "\(d.optimizer): \(d.fitness.count) evaluations in \(generations) generations, \(d.failed) failed; "
                                + "mean \(Ticks.short(Statistics.mean(d.seconds.filter(\.isFinite)))) s per evaluation, \(Ticks.short(d.wall.filter(\.isFinite).max() ?? 0)) s of wall time",
                                columns: ["", "value"] + d.parameters, rows: rows)
        var convergence = Plots.lines(id: "fit-convergence", title: "Fitness of each evaluation and the best so far",
                                      caption: "Dots: the fitness of every evaluated point, in the order the optimiser asked for them; line: the best so far. Failed points are left out.",
                                      x: Axis("evaluation", integer: true), y: Axis("fitness"),
                                      series: [Plots.Series("best so far", xs: index, ys: best)])
        convergence.panels[0].marks.append(.points(PointMark(xs: index, ys: d.fitness, color: Color.series(1), radius: 2.2, opacity: 0.6)))
        figures.append(convergence)
        let order = d.wall.indices.filter { d.wall[$0].isFinite }.sorted { d.wall[$0] < d.wall[$1] }
        var running = -Double.infinity
        let wallBest = order.map { k -> Double in
            if d.fitness[k].isFinite, d.fitness[k] > running { running = d.fitness[k] }
            return running.isFinite ? running : .nan
        }
        figures.append(Plots.lines(id: "fit-wall", title: "Best fitness against wall time",
                                   caption: "The best fitness found by each moment of the fit (seconds since it started, as each evaluation finished).",
                                   x: Axis("wall time", unit: "s"), y: Axis("best fitness"),
                                   series: [Plots.Series(nil, xs: order.map { d.wall[$0] }, ys: wallBest)]))
        for (p, name) in d.parameters.enumerated() {
            figures.append(Plots.scatter(id: "fit-param-\(p)", title: "Fitness against \(name)",
                                         caption: "Each evaluated point's fitness against its value of \(name) (the other parameters vary too).",
                                         x: Axis(name), y: Axis("fitness"), xs: d.values.map { $0[p] }, ys: d.fitness, fit: false, width: 420))
        }
        if let b = d.bestFC, let e = d.empiricalFC, b.count == e.count {
            let n = Int(Double(b.count).squareRoot())
            func grid(_ m: [Double]) -> [[Double]] { (0..<n).map { i in Array(m[(i * n)..<((i + 1) * n)]) } }
            let r = Correlation.fcVsFC(b.map { $0.isNaN ? 0 : $0 }, e, n: n)
            figures.append(Plots.heatmap(id: "fit-best-fc", title: "FC of the best point", caption: "The simulated FC of the best point, run once more after the fit.",
                                         values: grid(b), x: Axis("region", integer: true), y: Axis("region", integer: true),
                                         colorBar: ("correlation", nil), colorMap: .blueRed, range: -1...1, size: 340))
            figures.append(Plots.heatmap(id: "fit-empirical-fc", title: "Empirical FC (mean over subjects)",
                                         caption: "The element-wise mean of the subjects' FC of the first objective term; r with the best point's FC (upper triangles) = \(r.isFinite ? Ticks.fixed(r, decimals: 3) : "–").",
                                         values: grid(e), x: Axis("region", integer: true), y: Axis("region", integer: true),
                                         colorBar: ("correlation", nil), colorMap: .blueRed, range: -1...1, size: 340))
        }
        var tables = [table]
        if !d.bestRates.isEmpty {
            tables.append(ReportTable(caption: "Firing rates of the best point (its run repeated once after the fit) against the targets",
                                      columns: ["population", "rate (Hz)", "target (Hz)", "relative error"],
                                      rows: d.bestRates.map { [$0.population, Ticks.fixed($0.rate, decimals: 3), Ticks.fixed($0.target, decimals: 3),
                                                               Ticks.fixed(($0.rate - $0.target) / $0.target, decimals: 3)] }))
        }
        return [ReportSection(id: "fit", title: "Fit",
                              paragraphs: ["Fitness = sum over the objective's terms (\(d.terms.joined(separator: ", "))) of weight x term, each term averaged over the subjects; the optimiser maximises it."],
                              tables: tables, figures: figures)]
    }
}
