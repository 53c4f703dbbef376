/// What a neural-mass run's report is made from: each monitor's region time series, the FC
/// matrix and the structural weights it is compared with. The same values come from a finished
/// simulation (in memory) or from a run folder's files (`MassReportData.read`).
public struct MassReportData: Sendable {
    /// One monitor's samples: `series[v * regions + i]` is variable v of region i over `times`.
    public struct Monitor: Sendable, Equatable {
        /// raw, subsample, temporal_average, bold, balloon.
        public var kind: String
        public var file: String
        /// Sampling period in ms (0 for raw: every step).
        public var periodMs: Double
        public var variables: [String]
        public var times: [Double]
        public var series: [[Double]]
        /// Column names when the columns are not the regions (EEG/MEG/iEEG sensors, areas).
        public var columns: [String]?
        public init(kind: String, file: String, periodMs: Double, variables: [String], times: [Double], series: [[Double]],
                    columns: [String]? = nil) {
            self.kind = kind; self.file = file; self.periodMs = periodMs; self.variables = variables; self.times = times; self.series = series
            self.columns = columns
        }
        /// Sensor monitors (EEG, MEG, iEEG): shown with their spectra.
        public var isSensors: Bool { ["eeg", "meg", "ieeg"].contains(kind) }
        /// Monitors whose columns are not the regions.
        public static func hasOwnColumns(_ kind: String) -> Bool {
            ["eeg", "meg", "ieeg", "spatial_average", "global_average"].contains(kind)
        }

        public var isBOLD: Bool { kind == "bold" || kind == "balloon" || kind == "neurolib_bold" }
    }

    /// FC of one monitor's first variable: `matrix[i * n + j]`.
    public struct FC: Sendable, Equatable {
        public var matrix: [Double]
        public var monitor: Int
        public var variable: String
        public var samples: Int
        public init(matrix: [Double], monitor: Int, variable: String, samples: Int) {
            self.matrix = matrix; self.monitor = monitor; self.variable = variable; self.samples = samples
        }
    }

    public var durationMs: Double
    public var model: String
    /// Region labels, in connectome order.
    public var labels: [String]
    public var monitors: [Monitor]
    public var fc: FC?
    /// Structural weights (`weights[i * n + j]`), when the run wrote them (with FC).
    public var weights: [Double]?

    public init(durationMs: Double, model: String, labels: [String], monitors: [Monitor], fc: FC? = nil, weights: [Double]? = nil) {
        self.durationMs = durationMs; self.model = model; self.labels = labels; self.monitors = monitors; self.fc = fc; self.weights = weights
    }

    public var regions: Int { labels.count }
}

/// What a parameter sweep's report is made from: the axes and one row per point.
public struct MassSweepData: Sendable {
    public struct Axis: Sendable, Equatable {
        public var parameter: String
        public var values: [Double]
        public init(parameter: String, values: [Double]) { self.parameter = parameter; self.values = values }
    }

    public var axes: [Axis]
    /// Per point, in sweep.csv's order (the last axis varies fastest): the parameter values.
    public var values: [[Double]]
    public var fcSC: [Double]
    public var fcFC: [Double]?
    /// Name of the summarised variable and its mean and standard deviation per point.
    public var variable: String
    public var mean: [Double]
    public var std: [Double]
    public var seconds: [Double]
    /// "ok" or why the point failed.
    public var status: [String]

    public init(axes: [Axis], values: [[Double]], fcSC: [Double], fcFC: [Double]? = nil, variable: String,
                mean: [Double], std: [Double], seconds: [Double], status: [String]) {
        self.axes = axes; self.values = values; self.fcSC = fcSC; self.fcFC = fcFC; self.variable = variable
        self.mean = mean; self.std = std; self.seconds = seconds; self.status = status
    }

    /// A per-point quantity on the grid of two axes: `grid[r][c]` at axes[0].values[r],
    /// axes[1].values[c] (NaN where no point has these values).
    public func grid(_ q: [Double]) -> [[Double]] {
        guard axes.count == 2 else { return [] }
        var g = Array(repeating: Array(repeating: Double.nan, count: axes[1].values.count), count: axes[0].values.count)
        for (k, v) in values.enumerated() where v.count == 2 && k < q.count {
            if let r = MassSweepData.index(of: v[0], in: axes[0].values), let c = MassSweepData.index(of: v[1], in: axes[1].values) { g[r][c] = q[k] }
        }
        return g
    }

    /// Position of x among `values` (equal up to rounding in the last digits of a CSV file).
    static func index(of x: Double, in values: [Double]) -> Int? {
        values.firstIndex { abs($0 - x) <= 1e-9 * max(1, abs(x)) }
    }
}
