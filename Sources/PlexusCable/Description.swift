import PlexusCore

/// Where a cell's shape comes from: a segment tree (from SWC or code) or a generator that draws
/// one per gid.
public enum MorphologySource: Sendable, Equatable, Codable {
    case tree(SegmentTree)
    /// nsuite's busyring branch_cell(gid), std::mt19937(gid) draws included.
    case busyring(BusyringShape)

    public func tree(gid: Int) throws -> SegmentTree {
        switch self {
        case .tree(let t): return t
        case .busyring(let shape): return try shape.tree(gid: gid)
        }
    }
}

/// A density mechanism painted over a region.
public struct Paint: Sendable, Equatable, Codable {
    public var region: Region
    public var mechanism: MechanismDescription
    public init(_ region: Region, _ mechanism: MechanismDescription) { self.region = region; self.mechanism = mechanism }
}

/// Something placed at every location of a locset (Arbor's decor.place): a synapse (point
/// mechanism; each location is one target, in order, under `label`) or a current clamp
/// (`amplitude` nA from `delay` for `duration` ms, NEURON's IClamp).
public struct Place: Sendable, Equatable, Codable {
    public enum Item: Sendable, Equatable, Codable {
        case synapse(MechanismDescription, label: String)
        case iclamp(delay: Double, duration: Double, amplitude: Double)
        /// A current clamp following a time course (steps, pulse trains, ramps, a recording).
        case clamp(CurrentEnvelope)
    }
    public var locset: Locset
    public var item: Item
    public init(_ locset: Locset, _ item: Item) { self.locset = locset; self.item = item }
    public static func synapse(_ locset: Locset, _ mechanism: MechanismDescription, label: String) -> Place {
        Place(locset, .synapse(mechanism, label: label))
    }
    public static func iclamp(_ locset: Locset, delay: Double, duration: Double, amplitude: Double) -> Place {
        Place(locset, .iclamp(delay: delay, duration: duration, amplitude: amplitude))
    }
    public static func clamp(_ locset: Locset, _ envelope: CurrentEnvelope) -> Place { Place(locset, .clamp(envelope)) }
}

/// The time course of an injected current (positive depolarises), as Arbor's i_clamp envelope:
/// points (ms, nA) joined linearly; 0 before the first point, the last amplitude held after it.
/// Equal times make a jump (the later point holds from that time on). The current of a step is
/// the envelope at the step's start time, as `iclamp` takes it.
public struct CurrentEnvelope: Sendable, Equatable, Codable {
    public var times: [Double]
    public var amplitudes: [Double]

    /// Checks times are finite and non-decreasing, amplitudes finite, and at least one point.
    public init(times: [Double], amplitudes: [Double]) throws {
        guard !times.isEmpty, times.count == amplitudes.count else { throw PlexusError("an envelope needs one amplitude per time, at least one point") }
        for (k, t) in times.enumerated() {
            guard t.isFinite, amplitudes[k].isFinite else { throw PlexusError("point \(k) of the envelope is not finite (\(t) ms, \(amplitudes[k]) nA)", keyPath: "[\(k)]") }
            if k > 0, t < times[k - 1] { throw PlexusError("envelope times must not decrease: \(times[k - 1]) ms then \(t) ms", keyPath: "[\(k)]") }
        }
        self.times = times; self.amplitudes = amplitudes
    }

    /// Steps of `amplitude` from `delay` for `duration`, summed where they overlap.
    public static func steps(_ steps: [(delay: Double, duration: Double, amplitude: Double)]) throws -> CurrentEnvelope {
        var edges = Set<Double>()
        for s in steps {
            guard s.delay.isFinite, s.duration >= 0, s.duration.isFinite, s.amplitude.isFinite else {
                throw PlexusError("a step needs a finite delay, a finite duration >= 0 and a finite amplitude")
            }
            edges.insert(s.delay); edges.insert(s.delay + s.duration)
        }
        var t: [Double] = [], a: [Double] = []
        for e in edges.sorted() {
            let level = steps.filter { $0.delay <= e && e < $0.delay + $0.duration }.reduce(0) { $0 + $1.amplitude }
            let before = t.isEmpty ? 0 : a.last!
            t += [e, e]; a += [before, level]
        }
        return try CurrentEnvelope(times: t.isEmpty ? [0] : t, amplitudes: a.isEmpty ? [0] : a)
    }

    /// `count` pulses of `amplitude` and `width` ms, one every `interval` ms from `start`.
    public static func pulses(start: Double, width: Double, interval: Double, count: Int, amplitude: Double) throws -> CurrentEnvelope {
        guard width > 0, interval >= width, count >= 1, count <= 1_000_000, start.isFinite, interval.isFinite else {
            throw PlexusError("pulses need width > 0, interval >= width, 1 <= count <= 1e6 and a finite start (got width \(width) ms, interval \(interval) ms, count \(count))")
        }
        return try steps((0..<count).map { (start + Double($0) * interval, width, amplitude) })
    }

    /// A ramp from `from` nA at `start` to `to` nA at `stop`, off after it.
    public static func ramp(start: Double, stop: Double, from: Double, to: Double) throws -> CurrentEnvelope {
        guard stop > start else { throw PlexusError("a ramp needs stop > start (got \(start) and \(stop) ms)") }
        return try CurrentEnvelope(times: [start, start, stop, stop], amplitudes: [0, from, to, 0])
    }

    /// The amplitude at `t`.
    public func value(at t: Double) -> Double {
        var cursor = 0
        return times.withUnsafeBufferPointer { tp in
            amplitudes.withUnsafeBufferPointer { ap in
                Self.value(at: t, times: tp.baseAddress!, amplitudes: ap.baseAddress!, count: times.count, cursor: &cursor)
            }
        }
    }

    /// The amplitude at `t` of the envelope in `times`/`amplitudes` (`count` points): the one
    /// rule, for `value(at:)` and the engine's step. `cursor` is the segment found last time;
    /// it only moves forward, so a run that walks through time pays O(1) per step.
    @inline(__always)
    static func value(at t: Double, times: UnsafePointer<Double>, amplitudes: UnsafePointer<Double>, count n: Int, cursor: inout Int) -> Double {
        guard t >= times[0] else { return 0 }
        var k = cursor
        while k + 1 < n && times[k + 1] <= t { k += 1 }
        cursor = k
        guard k + 1 < n else { return amplitudes[k] }
        let (t0, t1) = (times[k], times[k + 1])
        return amplitudes[k] + (amplitudes[k + 1] - amplitudes[k]) * ((t - t0) / (t1 - t0))
    }
}

/// A spike detector: a spike is an upward crossing of `threshold` mV, its time interpolated
/// linearly inside the step (as Arbor does).
public struct Detector: Sendable, Equatable, Codable {
    public var locset: Locset
    public var threshold: Double
    public var label: String
    public init(_ locset: Locset, threshold: Double, label: String = "detector") {
        self.locset = locset; self.threshold = threshold; self.label = label
    }
}

/// A probe: `v` (membrane voltage, interpolated between CV centres as Arbor does) or a
/// mechanism's state `mechanism.state` (e.g. `hh.m`, `expsyn.g`) at each location of a locset.
public struct Probe: Sendable, Equatable, Codable {
    public var locset: Locset
    public var variable: String
    public var label: String?
    /// Sampling interval in ms (default: every step).
    public var interval: Double?
    public init(_ locset: Locset, variable: String = "v", label: String? = nil, interval: Double? = nil) {
        self.locset = locset; self.variable = variable; self.label = label; self.interval = interval
    }
}

/// One kind of cable cell: shape, discretisation, electrical properties, mechanisms, stimuli,
/// detectors and probes. Values are in NEURON's units (µm, mV, ms, nA, µS, S/cm², Ω·cm, µF/cm², °C).
public struct CableCellDescription: Sendable, Equatable, Codable {
    public var morphology: MorphologySource
    public var discretization: CVPolicy = .default
    public var temperature: Double = 6.3
    public var axialResistivity: Double = 35.4
    public var membraneCapacitance: Double = 1.0
    public var initialVoltage: Double = -65
    public var paints: [Paint] = []
    public var places: [Place] = []
    public var detectors: [Detector] = []
    public var probes: [Probe] = []
    /// Ion species of the cell by name (na, k, ca, ...) where they differ from NEURON's
    /// defaults (`IonSpecies.defaults`).
    public var ions: [String: IonSpecies]? = nil
    /// Membrane capacitance (µF/cm²) painted on regions, over `membraneCapacitance` (Arbor's
    /// paint of membrane_capacitance; NEURON's cm per section).
    public var capacitancePaints: [RegionValue]? = nil

    public init(morphology: MorphologySource) { self.morphology = morphology }
    public init(tree: SegmentTree) { self.morphology = .tree(tree) }
}

/// A value painted on a region.
public struct RegionValue: Sendable, Equatable, Codable {
    public var region: Region
    public var value: Double
    public init(_ region: Region, _ value: Double) { self.region = region; self.value = value }
}

/// Cells of one kind, gids assigned in population order.
public struct CablePopulation: Sendable, Equatable, Codable {
    public var name: String
    public var cell: String
    public var size: Int
    public init(name: String, cell: String, size: Int) { self.name = name; self.cell = cell; self.size = size }
}

/// A synapse on a cell: its label and the index among that label's locations.
public struct TargetRef: Sendable, Equatable, Codable {
    public var label: String
    public var index: Int
    public init(_ label: String, _ index: Int = 0) { self.label = label; self.index = index }
}

/// One connection: a detector of a source cell to a synapse of a target cell.
public struct CableConnection: Sendable, Equatable, Codable {
    public var source: Int
    public var detector: Int
    public var target: Int
    public var synapse: TargetRef
    /// µS (stored as Float, as Arbor does).
    public var weight: Double
    /// ms.
    public var delay: Double
    public init(source: Int, detector: Int = 0, target: Int, synapse: TargetRef, weight: Double, delay: Double) {
        self.source = source; self.detector = detector; self.target = target; self.synapse = synapse
        self.weight = weight; self.delay = delay
    }
}

/// Connections: an explicit list, or a rule expanded straight into the engine's tables at build.
public enum CableConnectionSet: Sendable, Equatable, Codable {
    case list([CableConnection])
    /// Rings of `groupSize` consecutive cells of a population: cell i gets input from i-1, the
    /// first of each group from the group's last.
    case ring(population: String, groupSize: Int, synapse: TargetRef, weight: Double, delay: Double)
    /// nsuite busyring's extra connections: per cell `count` zero-weight (or `weight`) connections
    /// from sources drawn with std::mt19937(gid), delays uniform in [minDelay, 3 minDelay);
    /// connection i goes to synapse i of `label`.
    case busyringExtra(population: String, count: Int, label: String, weight: Double, minDelay: Double)
}

/// Event generators feeding a synapse of cells: explicit times, regular, or Poisson.
public struct EventGenerator: Sendable, Equatable, Codable {
    public enum Schedule: Sendable, Equatable, Codable {
        case explicit([Double])
        case regular(start: Double, interval: Double, stop: Double)
        case poisson(rate: Double, start: Double, stop: Double, seed: UInt64)
    }
    /// Population and which of its cells (indices; nil = all).
    public var population: String
    public var cells: [Int]?
    public var synapse: TargetRef
    public var weight: Double
    public var schedule: Schedule
    public init(population: String, cells: [Int]? = nil, synapse: TargetRef, weight: Double, schedule: Schedule) {
        self.population = population; self.cells = cells; self.synapse = synapse; self.weight = weight; self.schedule = schedule
    }
}

/// A whole cable experiment: what `engine: cable` files decode into.
public struct CableExperiment: Sendable, Equatable, Codable {
    public var resolution: Double = 0.025
    public var duration: Double
    public var seed: UInt64 = 1
    /// Cell kinds by name, in file order.
    public var cells: [(String, CableCellDescription)]
    public var populations: [CablePopulation]
    public var connections: [CableConnectionSet] = []
    public var generators: [EventGenerator] = []
    /// Record spikes of all cells.
    public var recordSpikes = true
    /// Folders of NMODL files whose mechanisms the cells use besides the built-in ones
    /// (`MechanismCatalogue.with(folders:)`; a folder's mechanism replaces a built-in of its name).
    public var mechanismFolders: [String] = []

    public init(resolution: Double = 0.025, duration: Double, cells: [(String, CableCellDescription)], populations: [CablePopulation]) {
        self.resolution = resolution; self.duration = duration; self.cells = cells; self.populations = populations
    }

    public static func == (a: CableExperiment, b: CableExperiment) -> Bool {
        a.resolution == b.resolution && a.duration == b.duration && a.seed == b.seed && a.cells.map(\.0) == b.cells.map(\.0)
            && a.cells.map(\.1) == b.cells.map(\.1) && a.populations == b.populations && a.connections == b.connections
            && a.generators == b.generators && a.recordSpikes == b.recordSpikes && a.mechanismFolders == b.mechanismFolders
    }

    enum CodingKeys: String, CodingKey { case resolution, duration, seed, cellNames, cellKinds, populations, connections, generators, recordSpikes, mechanismFolders }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        resolution = try c.decode(Double.self, forKey: .resolution)
        duration = try c.decode(Double.self, forKey: .duration)
        seed = try c.decode(UInt64.self, forKey: .seed)
        let names = try c.decode([String].self, forKey: .cellNames)
        let kinds = try c.decode([CableCellDescription].self, forKey: .cellKinds)
        cells = Array(zip(names, kinds))
        populations = try c.decode([CablePopulation].self, forKey: .populations)
        connections = try c.decode([CableConnectionSet].self, forKey: .connections)
        generators = try c.decode([EventGenerator].self, forKey: .generators)
        recordSpikes = try c.decode(Bool.self, forKey: .recordSpikes)
        mechanismFolders = try c.decodeIfPresent([String].self, forKey: .mechanismFolders) ?? []
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(resolution, forKey: .resolution)
        try c.encode(duration, forKey: .duration)
        try c.encode(seed, forKey: .seed)
        try c.encode(cells.map(\.0), forKey: .cellNames)
        try c.encode(cells.map(\.1), forKey: .cellKinds)
        try c.encode(populations, forKey: .populations)
        try c.encode(connections, forKey: .connections)
        try c.encode(generators, forKey: .generators)
        try c.encode(recordSpikes, forKey: .recordSpikes)
        try c.encode(mechanismFolders, forKey: .mechanismFolders)
    }

    public func cell(named n: String) -> CableCellDescription? { cells.first { $0.0 == n }?.1 }

    /// First gid and size of a population.
    public func gids(of population: String) -> Range<Int>? {
        var g = 0
        for p in populations {
            if p.name == population { return g..<(g + p.size) }
            g += p.size
        }
        return nil
    }

    public var cellCount: Int { populations.reduce(0) { $0 + $1.size } }
}
