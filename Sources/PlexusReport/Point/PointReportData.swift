/// What a point-neuron run's report is made from: the recorded spikes and states and the sizes
/// of the recorded populations. The same values come from a finished simulation (in memory) or
/// from a run folder's files (`PointReportData.read`), so both give the same report.
public struct PointReportData: Sendable {
    /// Spikes of one recorded population (gids firstGid ..< firstGid + size).
    public struct Spikes: Sendable {
        public var population: String
        public var firstGid: Int
        public var size: Int
        public var gids: [Int]
        public var times: [Double]
        public init(population: String, firstGid: Int, size: Int, gids: [Int], times: [Double]) {
            self.population = population; self.firstGid = firstGid; self.size = size; self.gids = gids; self.times = times
        }
    }

    /// Multimeter samples of one population: `values[v][row]`, rows ordered by time then gid.
    public struct Traces: Sendable {
        public var population: String
        public var variables: [String]
        /// Unit of each variable ("mV", "pA", "" when dimensionless or unknown).
        public var units: [String]
        public var times: [Double]
        public var gids: [Int]
        public var values: [[Double]]
        public init(population: String, variables: [String], units: [String], times: [Double], gids: [Int], values: [[Double]]) {
            self.population = population; self.variables = variables; self.units = units
            self.times = times; self.gids = gids; self.values = values
        }
    }

    /// Weights of plastic synapses logged at each change (`record_weights`), in time order.
    public struct Weights: Sendable {
        public var times: [Double]
        public var sources: [Int]
        public var targets: [Int]
        public var weights: [Double]
        /// Unit of the weights (the receiving model's: "pA", "nS" or "mV").
        public var unit: String
        public init(times: [Double], sources: [Int], targets: [Int], weights: [Double], unit: String) {
            self.times = times; self.sources = sources; self.targets = targets; self.weights = weights; self.unit = unit
        }
    }

    /// Structural plasticity totals over time (structural.csv): columns `<population>.Ca`,
    /// `<population>.<element>.z`, `<population>.<element>.connected` and
    /// `<synapse>.<pre population>.<post population>` (synapse counts).
    public struct Structural: Sendable {
        public var columns: [String]
        public var times: [Double]
        public var values: [[Double]]
        public init(columns: [String], times: [Double], values: [[Double]]) {
            self.columns = columns; self.times = times; self.values = values
        }
    }

    public var durationMs: Double
    public var resolutionMs: Double
    public var spikes: [Spikes]
    public var traces: [Traces]
    public var weights: Weights?
    public var structural: Structural?

    public init(durationMs: Double, resolutionMs: Double, spikes: [Spikes], traces: [Traces], weights: Weights? = nil,
                structural: Structural? = nil) {
        self.durationMs = durationMs; self.resolutionMs = resolutionMs; self.spikes = spikes; self.traces = traces
        self.weights = weights; self.structural = structural
    }
}
