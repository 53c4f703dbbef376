import Foundation

/// The point-neuron engine's part of a run report: activity (raster and population rate),
/// statistics per population (rate, CV(ISI), Fano factor, spectral peak), their distributions,
/// rate spectra and multimeter traces. Large networks are reduced to what the eye can see: the
/// raster shows an evenly spaced subset of neurons, traces keep the minimum and maximum per
/// pixel column; every statistic uses all neurons.
public enum PointReport {
    /// Limits of the reduction (defaults suit a 760-pixel-wide figure).
    public struct Limits: Sendable {
        /// Neurons drawn in the raster, all populations together.
        public var rasterRows = 500
        /// Spikes drawn in the raster.
        public var rasterSpikes = 60_000
        /// Neurons drawn per trace figure.
        public var traceNeurons = 5
        /// Points per drawn trace.
        public var tracePoints = 1600
        public init() {}
    }

    /// Statistics of one population over the analysis window.
    public struct PopulationStats: Sendable {
        public var population: String
        public var neurons: Int
        public var spikes: Int
        public var meanRate: Double
        public var meanCV: Double
        public var neuronsWithCV: Int
        public var meanFano: Double
        public var spectralPeak: Double
    }

    /// Start of the analysis window: the first tenth of the run, at most 100 ms, is left out as
    /// the initial transient.
    public static func transient(_ d: PointReportData) -> Double {
        min(100, (d.durationMs / 10 / d.resolutionMs).rounded(.down) * d.resolutionMs)
    }

    /// Window for Fano factors: 100 ms, or a fifth of the analysis window when that is shorter.
    public static func fanoWindow(_ d: PointReportData) -> Double {
        min(100, (d.durationMs - transient(d)) / 5)
    }

    /// Bin width of the population-rate histogram: about two spikes of the population per bin
    /// (at its mean rate), at least the resolution and a thousandth of the run, at most a
    /// twentieth, rounded to a nice number.
    public static func rateBin(_ d: PointReportData, spikes: Int, neurons: Int) -> Double {
        let lo = max(d.resolutionMs, Ticks.niceStep(d.durationMs / 1000))
        let hi = max(lo, Ticks.niceStep(d.durationMs / 20))
        guard spikes > 0 else { return lo }
        let perMs = Double(spikes) / d.durationMs
        let w = Ticks.niceStep(2 / perMs)
        return min(max(w, lo), hi)
    }

    /// Bin width of the rate signal whose spectrum is shown: 1 ms (Nyquist 500 Hz), or the
    /// resolution when that is coarser.
    public static func spectrumBin(_ d: PointReportData) -> Double { max(1, d.resolutionMs) }

    public static func statistics(_ d: PointReportData) -> [PopulationStats] {
        let t0 = transient(d), t1 = d.durationMs
        return d.spikes.map { s in
            let trains = SpikeTrains(gids: s.gids, times: s.times, firstGid: s.firstGid, count: s.size)
            let rate = SpikeAnalysis.meanRate(times: s.times, neurons: max(s.size, 1), from: t0, to: t1)
            let cvs = trains.cvs(from: t0)
            let fano = trains.fanoFactors(window: fanoWindow(d), from: t0, to: t1)
            var peak = Double.nan
            if !s.times.isEmpty {
                let (f, p) = spectrum(trains, d)
                if !f.isEmpty { peak = SpikeAnalysis.spectralPeak((f, p), fmin: 10, sigma: 15).peak }
            }
            return PopulationStats(population: s.population, neurons: s.size, spikes: s.times.count, meanRate: rate,
                                   meanCV: Statistics.mean(cvs), neuronsWithCV: cvs.count, meanFano: Statistics.mean(fano),
                                   spectralPeak: peak)
        }
    }

    /// PSD of the population rate (Hz per neuron, `spectrumBin` bins) after the transient.
    static func spectrum(_ trains: SpikeTrains, _ d: PointReportData) -> ([Double], [Double]) {
        let w = spectrumBin(d)
        let rate = trains.populationRate(width: w, until: d.durationMs)
        let skip = Int((transient(d) / w).rounded(.up))
        guard rate.count - skip >= 16 else { return ([], []) }
        let r = SpikeAnalysis.powerSpectralDensity(Array(rate[skip...]), dt: w)
        return (r.frequencies, r.density)
    }

    public static func sections(_ d: PointReportData, limits: Limits = Limits()) -> [ReportSection] {
        var sections: [ReportSection] = []
        let t0 = transient(d)
        let window = "t in (\(num(t0)), \(num(d.durationMs))] ms"
        if !d.spikes.isEmpty {
            let stats = statistics(d)
            let table = ReportTable(
                caption: "Per population over \(window) (the first \(num(t0)) ms are the initial transient)",
                columns: ["population", "neurons", "spikes", "mean rate (Hz)", "mean CV(ISI)", "neurons with CV",
                          "Fano factor (\(num(fanoWindow(d))) ms)", "spectral peak (Hz)"],
                rows: stats.map { s in
                    [s.population, String(s.neurons), String(s.spikes), Ticks.short(s.meanRate), Ticks.short(s.meanCV),
                     String(s.neuronsWithCV), Ticks.short(s.meanFano), Ticks.short(s.spectralPeak)]
                })
            var figures = [raster(d, limits: limits)]
            figures += distributions(d, stats: stats)
            if let s = spectra(d) { figures.append(s) }
            sections.append(ReportSection(
                id: "activity", title: "Spiking activity",
                paragraphs: ["CV(ISI) is std/mean of a neuron's inter-spike intervals (neurons with at least 3 spikes); the Fano factor is var/mean of a neuron's spike count in consecutive windows, averaged over neurons that fired; the spectral peak is the largest power above 10 Hz of the population-rate spectrum smoothed with a 15 Hz Gaussian."],
                tables: [table], figures: figures))
        }
        if !d.traces.isEmpty {
            sections.append(ReportSection(id: "traces", title: "Recorded state", figures: traces(d, limits: limits)))
        }
        if let w = d.weights, !w.times.isEmpty {
            sections.append(ReportSection(id: "plasticity", title: "Plastic synapses", figures: [weights(w, d, limits: limits)]))
        }
        if let st = d.structural, !st.times.isEmpty {
            sections.append(ReportSection(
                id: "structural", title: "Structural plasticity",
                paragraphs: ["Each neuron's calcium trace drives the growth of its synaptic elements (growth curves); at every structural update, synapses whose elements retracted are deleted and vacant pre- and postsynaptic elements are paired into new synapses (Butz & van Ooyen 2013, as NEST). Values at the recording times of structural.csv."],
                figures: structuralFigures(st, d)))
        }
        return sections
    }

    /// Mean calcium per population, synaptic elements (total z and bound) and synapse counts per
    /// synapse and population pair over time.
    static func structuralFigures(_ st: PointReportData.Structural, _ d: PointReportData) -> [Figure] {
        let x = Axis("time", unit: "ms", range: 0...max(d.durationMs, st.times.last ?? 0))
        // One colour per quantity (an element's z and bound share it; bound is dashed).
        func lines(_ pick: (String) -> Bool, label: (String) -> String, dashed: (String) -> Bool = { _ in false },
                   base: (String) -> String = { $0 }, steps: Bool = false) -> [Mark] {
            var marks: [Mark] = []
            var colour: [String: Int] = [:]
            for (k, name) in st.columns.enumerated() where pick(name) {
                let c = colour[base(name)] ?? colour.count
                colour[base(name)] = c
                marks.append(.line(LineMark(xs: st.times, ys: st.values[k], color: Color.series(c), width: 1.6,
                                            dashed: dashed(name), steps: steps, label: label(name))))
            }
            return marks
        }
        var figures: [Figure] = []
        let ca = lines({ $0.hasSuffix(".Ca") }, label: { String($0.dropLast(3)) })
        if !ca.isEmpty {
            figures.append(Figure(id: "structural-calcium", title: "Calcium",
                                  caption: "Mean calcium concentration of each population's neurons.",
                                  panels: [Panel(x: x, y: Axis("mean Ca", includeZero: true), marks: ca, height: 200)]))
        }
        let elements = lines({ $0.hasSuffix(".z") || $0.hasSuffix(".connected") },
                             label: { $0.hasSuffix(".z") ? String($0.dropLast(2)) + " (z)" : String($0.dropLast(10)) + " (bound)" },
                             dashed: { $0.hasSuffix(".connected") },
                             base: { $0.hasSuffix(".z") ? String($0.dropLast(2)) : String($0.dropLast(10)) })
        if !elements.isEmpty {
            figures.append(Figure(id: "structural-elements", title: "Synaptic elements",
                                  caption: "Sum over each population of every synaptic element's number z (solid) and of its elements bound in synapses (dashed).",
                                  panels: [Panel(x: x, y: Axis("elements", includeZero: true), marks: elements, height: 220)]))
        }
        // Synapse counts: the columns of three dot-separated names (synapse.pre.post) that are
        // not all zero.
        let counts = lines({ name in
            name.split(separator: ".").count == 3 && !name.hasSuffix(".z") && !name.hasSuffix(".connected")
                && (st.values[st.columns.firstIndex(of: name)!].contains { $0 != 0 })
        }, label: { name in
            let p = name.split(separator: "."); return "\(p[0]): \(p[1]) → \(p[2])"
        }, steps: true)
        if !counts.isEmpty {
            figures.append(Figure(id: "structural-synapses", title: "Synapses",
                                  caption: "Number of structural synapses per synapse type and population pair (pairs that never had one are left out).",
                                  panels: [Panel(x: x, y: Axis("synapses", includeZero: true), marks: counts, height: 220)]))
        }
        return figures
    }

    // MARK: figures

    /// Raster of an evenly spaced subset of each population's neurons above the population rate
    /// of all neurons.
    public static func raster(_ d: PointReportData, limits: Limits = Limits()) -> Figure {
        let total = d.spikes.reduce(0) { $0 + $1.size }
        let spikeTotal = d.spikes.reduce(0) { $0 + $1.times.count }
        // Rows: proportional to size, at least 25 per population (or all of it).
        var rowsBudget = limits.rasterRows
        if spikeTotal > 0 && total > 0 {
            let perNeuron = Double(spikeTotal) / Double(total)
            rowsBudget = min(rowsBudget, max(50, Int(Double(limits.rasterSpikes) / max(perNeuron, 1e-9))))
        }
        var marks: [Mark] = []
        var rateMarks: [Mark] = []
        var shown: [String] = []
        var maxStride = 1
        for (k, s) in d.spikes.enumerated() {
            let color = Color.series(k)
            let want = max(min(s.size, 25), Int((Double(rowsBudget) * Double(s.size) / Double(max(total, 1))).rounded()))
            let stride = max(1, Int((Double(s.size) / Double(max(want, 1))).rounded(.up)))
            maxStride = max(maxStride, stride)
            var xs: [Double] = [], ys: [Double] = []
            for (g, t) in zip(s.gids, s.times) {
                let i = g - s.firstGid
                if i >= 0 && i < s.size && i % stride == 0 { xs.append(t); ys.append(Double(g)) }
            }
            let rows = (s.size + stride - 1) / stride
            shown.append(stride == 1 ? "all \(s.size) of \(s.population)" : "every \(stride)th neuron of \(s.population) (\(rows) of \(s.size))")
            marks.append(.ticks(TickMark(xs: xs, ys: ys, height: Double(stride), color: color,
                                         label: stride == 1 ? s.population : "\(s.population): \(rows) of \(s.size)")))
            let trains = SpikeTrains(gids: s.gids, times: s.times, firstGid: s.firstGid, count: s.size)
            let w = rateBin(d, spikes: s.times.count, neurons: s.size)
            let rate = trains.populationRate(width: w, until: d.durationMs)
            let edges = (0...rate.count).map { Double($0) * w }
            rateMarks.append(.line(LineMark(xs: Array(edges.dropLast()) + [edges.last ?? 0], ys: rate + [rate.last ?? 0], color: color,
                                            width: 1.2, steps: true, label: "\(s.population) (\(num(w)) ms bins)",
                                            opacity: d.spikes.count > 1 ? 0.75 : 1)))
        }
        let lowGid = d.spikes.map(\.firstGid).min() ?? 1
        let highGid = d.spikes.map { $0.firstGid + $0.size - 1 }.max() ?? 1
        let pad = Double(maxStride) / 2 + 0.5
        let rasterPanel = Panel(x: Axis("time", unit: "ms", range: 0...d.durationMs, hidden: true),
                                y: Axis("neuron (gid)", range: (Double(lowGid) - pad)...(Double(highGid) + pad), integer: true),
                                marks: marks, height: d.spikes.count == 1 && total <= 5 ? 90 : 280)
        let time = Axis("time", unit: "ms", range: 0...d.durationMs)
        var ratePanels: [Panel]
        if d.spikes.count <= 3 {
            ratePanels = [Panel(x: time, y: Axis("rate", unit: "Hz", includeZero: true), marks: rateMarks, height: 150)]
        } else {
            // Many populations: one strip each, so no rate hides another.
            ratePanels = zip(d.spikes, rateMarks).map { s, m in
                var mark = m
                if case .line(var l) = m { l.label = nil; mark = .line(l) }
                return Panel(x: time, y: Axis("Hz", includeZero: true), marks: [mark], height: 44, note: s.population)
            }
        }
        let bins = Set(d.spikes.map { rateBin(d, spikes: $0.times.count, neurons: $0.size) }).sorted().map(num)
        let caption = "Spike times of \(shown.joined(separator: ", ")) (one row per neuron, y = gid), and below the population rate of all neurons in spikes per neuron per second (\(bins.joined(separator: ", ")) ms bins)."
        return Figure(id: "raster", title: "Spike raster and population rate", caption: caption,
                      panels: [rasterPanel] + ratePanels, sharedX: true)
    }

    /// Distributions of firing rates, ISIs and CV(ISI), by population.
    static func distributions(_ d: PointReportData, stats: [PopulationStats]) -> [Figure] {
        let t0 = transient(d), t1 = d.durationMs
        let trains = d.spikes.map { SpikeTrains(gids: $0.gids, times: $0.times, firstGid: $0.firstGid, count: $0.size) }
        var figures: [Figure] = []
        // Per-neuron rates: populations of at least 10 neurons.
        let rateSets = zip(d.spikes, trains).filter { $0.0.size >= 10 }.map { ($0.0.population, $0.1.rates(from: t0, to: t1)) }
        if !rateSets.isEmpty {
            // Rates are multiples of 1/window; the axis starts at 0 unless all rates are far from it.
            let all = rateSets.flatMap(\.1)
            let hi = max(all.max() ?? 1, 1), lowest = all.min() ?? 0
            let lo = lowest > 0.3 * hi ? Ticks.niceStep(hi / 10) * (lowest / Ticks.niceStep(hi / 10)).rounded(.down) : 0
            let edges = Histogram.quantizedEdges(lo: lo, hi: hi, bins: 40, quantum: 1000 / (t1 - t0))
            figures.append(Plots.histogram(
                id: "rates", title: "Firing-rate distribution",
                caption: "Rate of every neuron over \(window(t0, t1)), one histogram per population.",
                x: Axis("firing rate", unit: "Hz"), y: Axis("neurons"),
                sets: rateSets.map { (label: $0.0, counts: Histogram($0.1, edges: edges)) }, height: 180))
        }
        // ISIs pooled over each population's neurons.
        let isiSets = zip(d.spikes, trains).map { ($0.0.population, $0.1.intervals(from: t0)) }.filter { !$0.1.isEmpty }
        if !isiSets.isEmpty {
            let all = isiSets.flatMap(\.1).sorted()
            let hi = Statistics.quantile(sorted: all, 0.995)
            let edges = Histogram.quantizedEdges(lo: 0, hi: max(hi, d.resolutionMs), bins: 60, quantum: d.resolutionMs)
            let beyond = all.count - all.filter { $0 <= edges.last! }.count
            figures.append(Plots.histogram(
                id: "isi", title: "Inter-spike-interval distribution",
                caption: "Intervals between consecutive spikes of each neuron over \(window(t0, t1)), pooled by population\(beyond > 0 ? "; \(beyond) intervals beyond \(num(edges.last!)) ms (the longest 0.5 %) are not drawn" : "").",
                x: Axis("inter-spike interval", unit: "ms"), y: Axis("intervals"),
                sets: isiSets.map { (label: $0.0, counts: Histogram($0.1, edges: edges)) }, height: 180))
        }
        // CV(ISI): populations with at least 5 neurons that have a CV.
        let cvSets = zip(d.spikes, trains).map { ($0.0.population, $0.1.cvs(from: t0)) }.filter { $0.1.count >= 5 }
        if !cvSets.isEmpty {
            let hi = max(1.2, cvSets.flatMap(\.1).max() ?? 1)
            let edges = Histogram.niceEdges(lo: 0, hi: hi, bins: 50)
            let rules = cvSets.enumerated().map { k, s in
                RuleMark(.vertical, at: Statistics.mean(s.1), color: Color.series(k),
                         label: cvSets.count <= 3 ? "mean \(s.0): \(Ticks.short(Statistics.mean(s.1)))" : nil)
            }
            figures.append(Plots.histogram(
                id: "cv", title: "CV(ISI) distribution",
                caption: "Coefficient of variation of the inter-spike intervals of every neuron with at least 3 spikes over \(window(t0, t1)); dashed: population means (1 = Poisson).",
                x: Axis("CV(ISI)"), y: Axis("neurons"),
                sets: cvSets.map { (label: $0.0, counts: Histogram($0.1, edges: edges)) }, rules: rules, height: 180))
        }
        return figures
    }

    /// Power spectral density of each population's rate (log scale), raw and smoothed.
    static func spectra(_ d: PointReportData) -> Figure? {
        var marks: [Mark] = []
        var fmax = 0.0
        for (k, s) in d.spikes.enumerated() where !s.times.isEmpty {
            let trains = SpikeTrains(gids: s.gids, times: s.times, firstGid: s.firstGid, count: s.size)
            let (f, p) = spectrum(trains, d)
            guard f.count > 2 else { continue }
            fmax = max(fmax, f.last!)
            let color = Color.series(k)
            if d.spikes.count <= 3 {
                marks.append(.line(LineMark(xs: Array(f.dropFirst()), ys: Array(p.dropFirst()), color: Color.mix(color, .white, 0.6), width: 0.8)))
            }
            let smooth = SpikeAnalysis.gaussianSmooth(f, p, sigma: 5)
            marks.append(.line(LineMark(xs: Array(f.dropFirst()), ys: Array(smooth.dropFirst()), color: color, width: 1.8, label: s.population)))
        }
        guard !marks.isEmpty else { return nil }
        let w = spectrumBin(d)
        return Figure(
            id: "spectrum", title: "Population-rate spectrum",
            caption: "Power spectral density of the population rate (\(num(w)) ms bins, \(window(transient(d), d.durationMs)), mean removed; FFTW)\(d.spikes.count <= 3 ? "; light: raw periodogram, dark: smoothed with a 5 Hz Gaussian" : ", smoothed with a 5 Hz Gaussian")).",
            panels: [Panel(x: Axis("frequency", unit: "Hz", range: 0...fmax), y: Axis("power", unit: "Hz²/Hz", scale: .log), marks: marks, height: 220)])
    }

    /// One figure per recorded population and variable: up to `traceNeurons` neurons, plus the
    /// mean of all recorded neurons when there are more.
    static func traces(_ d: PointReportData, limits: Limits) -> [Figure] {
        var figures: [Figure] = []
        for tr in d.traces where !tr.times.isEmpty {
            // Rows come in blocks of one sample time: the number of neurons per block.
            var perTime = 1
            while perTime < tr.times.count && tr.times[perTime] == tr.times[0] { perTime += 1 }
            guard tr.times.count % perTime == 0 else { continue }
            let samples = tr.times.count / perTime
            let times = (0..<samples).map { tr.times[$0 * perTime] }
            let interval = samples > 1 ? times[1] - times[0] : d.resolutionMs
            let drawn = min(perTime, limits.traceNeurons)
            for (v, name) in tr.variables.enumerated() {
                let column = tr.values[v]
                var series: [Plots.Series] = (0..<drawn).map { j in
                    Plots.Series("gid \(tr.gids[j])", xs: times, ys: (0..<samples).map { column[$0 * perTime + j] })
                }
                if perTime > drawn {
                    let mean = (0..<samples).map { r in (0..<perTime).reduce(0.0) { $0 + column[r * perTime + $1] } / Double(perTime) }
                    series.append(Plots.Series("mean of \(perTime)", xs: times, ys: mean, color: .black))
                }
                let unit = v < tr.units.count && !tr.units[v].isEmpty ? tr.units[v] : nil
                let reduced = samples > limits.tracePoints ? ", drawn as the minimum and maximum of each of \(limits.tracePoints / 2) time slices" : ""
                let who = perTime == 1 ? "neuron \(tr.gids[0])" : "\(drawn) of \(perTime) recorded neurons\(perTime > drawn ? " and the mean of all" : "")"
                var fig = Plots.lines(
                    id: "trace-\(slug(tr.population))-\(slug(name))", title: "\(name) of \(tr.population)",
                    caption: "\(name) of \(who), sampled every \(num(interval)) ms (\(samples) samples\(reduced)).",
                    x: Axis("time", unit: "ms", range: 0...d.durationMs), y: Axis(name, unit: unit), series: series,
                    maxPoints: limits.tracePoints, height: 200)
                if series.count == 1 { fig.panels[0].note = "gid \(tr.gids[0])" }
                figures.append(fig)
            }
        }
        return figures
    }

    /// Weight changes of plastic synapses over time (a subset of the logged changes drawn as
    /// dots, the mean of all in time bins as a line) and the distribution of each synapse's last
    /// logged weight.
    static func weights(_ w: PointReportData.Weights, _ d: PointReportData, limits: Limits) -> Figure {
        let n = w.times.count
        let every = max(1, n / 20_000)
        let xs = stride(from: 0, to: n, by: every).map { w.times[$0] }
        let ys = stride(from: 0, to: n, by: every).map { w.weights[$0] }
        let bin = max(d.resolutionMs, Ticks.niceStep(d.durationMs / 100))
        var sum = [Double](repeating: 0, count: Int((d.durationMs / bin).rounded(.up)) + 1), count = sum
        for (t, v) in zip(w.times, w.weights) {
            let k = min(max(Int(t / bin), 0), sum.count - 1)
            sum[k] += v; count[k] += 1
        }
        let mx = sum.indices.filter { count[$0] > 0 }.map { (Double($0) + 0.5) * bin }
        let my = sum.indices.filter { count[$0] > 0 }.map { sum[$0] / count[$0] }
        var last: [Int: Double] = [:]   // key: source · 2^32 + target
        for i in 0..<n { last[w.sources[i] << 32 | w.targets[i]] = w.weights[i] }
        let finals = last.keys.sorted().map { last[$0]! }
        let unit = w.unit.isEmpty ? nil : w.unit
        let edges = Histogram.niceEdges(lo: finals.min() ?? 0, hi: finals.max() ?? 1, bins: 40)
        let top = Panel(x: Axis("time", unit: "ms", range: 0...d.durationMs), y: Axis("weight", unit: unit),
                        marks: [.points(PointMark(xs: xs, ys: ys, color: Color.series(0), radius: 1.3, opacity: 0.35, label: "changes")),
                                .line(LineMark(xs: mx, ys: my, color: .black, width: 1.6, label: "mean in \(num(bin)) ms bins"))],
                        height: 200)
        let bottom = Panel(x: Axis("last logged weight", unit: unit, range: edges.first!...edges.last!), y: Axis("synapses", includeZero: true),
                           marks: [.bars(BarMark(edges: edges, heights: Histogram(finals, edges: edges).counts, color: Color.series(2)))],
                           height: 150)
        return Figure(id: "weights", title: "Weights of plastic synapses",
                      caption: "Every logged weight change\(every > 1 ? " (every \(every)th of \(n) drawn)" : " (\(n))") and their mean over time; below, the last logged weight of each of the \(finals.count) synapses that changed.",
                      panels: [top, bottom])
    }

    static func window(_ t0: Double, _ t1: Double) -> String { "t in (\(num(t0)), \(num(t1))] ms" }

    static func num(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return Ticks.short(v, digits: 4)
    }

    /// Letters, digits, '-' and '_' (figure ids).
    static func slug(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }
}
