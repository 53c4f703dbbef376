/// What a cable run's report is made from: populations, spikes, probe traces, the shapes of the
/// drawn cells cut at CV boundaries and their CV voltages at the report times. The same values
/// come from a finished simulation (in memory) or from a run folder's files
/// (`CableReportData.read`), so both give the same report.
public struct CableReportData: Sendable {
    /// Cells gids firstGid ..< firstGid + size.
    public struct Population: Sendable, Equatable {
        public var name: String
        public var firstGid: Int
        public var size: Int
        public init(name: String, firstGid: Int, size: Int) { self.name = name; self.firstGid = firstGid; self.size = size }
    }

    /// One probe's samples: `label` as in the probe file's header (`gid:label`), `variable` the
    /// probed quantity (`v`, `hh.m`, ...).
    public struct Probe: Sendable, Equatable {
        public var gid: Int
        public var label: String
        public var variable: String
        public var unit: String
        public var times: [Double]
        public var values: [Double]
        public init(gid: Int, label: String, variable: String, unit: String, times: [Double], values: [Double]) {
            self.gid = gid; self.label = label; self.variable = variable; self.unit = unit; self.times = times; self.values = values
        }
    }

    /// Pieces of one cell (µm), each in CV `cv[k]`.
    public struct Shape: Sendable, Equatable {
        public var gid: Int
        public var cv: [Int]
        public var x0: [Double], y0: [Double], z0: [Double], x1: [Double], y1: [Double], z1: [Double]
        public var r0: [Double], r1: [Double]
        public init(gid: Int, cv: [Int], x0: [Double], y0: [Double], z0: [Double], x1: [Double], y1: [Double], z1: [Double],
                    r0: [Double], r1: [Double]) {
            self.gid = gid; self.cv = cv; self.x0 = x0; self.y0 = y0; self.z0 = z0; self.x1 = x1; self.y1 = y1; self.z1 = z1
            self.r0 = r0; self.r1 = r1
        }
    }

    /// Voltage of every CV of cell `gid` at `time`.
    public struct Snapshot: Sendable, Equatable {
        public var time: Double
        public var gid: Int
        public var voltage: [Double]
        public init(time: Double, gid: Int, voltage: [Double]) { self.time = time; self.gid = gid; self.voltage = voltage }
    }

    public var durationMs: Double
    public var resolutionMs: Double
    public var populations: [Population]
    /// Whether spikes were recorded (`record: {spikes: false}` turns them off).
    public var spikesRecorded: Bool
    public var spikeGids: [Int]
    public var spikeTimes: [Double]
    public var probes: [Probe]
    public var shapes: [Shape]
    public var snapshots: [Snapshot]

    public init(durationMs: Double, resolutionMs: Double, populations: [Population], spikesRecorded: Bool = true,
                spikeGids: [Int] = [], spikeTimes: [Double] = [], probes: [Probe] = [], shapes: [Shape] = [], snapshots: [Snapshot] = []) {
        self.durationMs = durationMs; self.resolutionMs = resolutionMs; self.populations = populations
        self.spikesRecorded = spikesRecorded; self.spikeGids = spikeGids; self.spikeTimes = spikeTimes
        self.probes = probes; self.shapes = shapes; self.snapshots = snapshots
    }

    /// The unit of a probed variable: mV for `v`, µS for synaptic conductances, none for gates.
    public static func unit(of variable: String) -> String {
        switch variable {
        case "v": return "mV"
        case "expsyn.g", "exp2syn.A", "exp2syn.B": return "µS"
        default: return ""
        }
    }

    /// The variable of a probe named `name` (a label, `label[k]` for a locset of several
    /// locations, or the default `variable@locset`), given the (label, variable) of the cell's probes.
    public static func variable(ofProbe name: String, probes: [(label: String?, variable: String)]) -> String {
        for p in probes {
            if let l = p.label, name == l || (name.hasPrefix(l + "[") && name.hasSuffix("]")) { return p.variable }
        }
        if let at = name.firstIndex(of: "@") { return String(name[..<at]) }
        return name
    }
}
