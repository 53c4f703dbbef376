import PlexusCore

/// nsuite busyring's random branching cell (ring.cpp branch_cell): soma cylinder 12.6157 µm long
/// and wide; `depth` dendritic levels with branch probability, length and segment count
/// interpolated linearly from first to last level; drawn with std::mt19937(gid).
public struct BusyringShape: Sendable, Equatable, Codable {
    public var depth: Int = 4
    public var branchProbabilities: [Double] = [1.0, 0.5]
    public var compartments: [Double] = [20, 2]
    public var lengths: [Double] = [200, 20]
    public init(depth: Int = 4) { self.depth = depth }

    public static let somaDiameter = 12.6157
    public static let dendriteRadius = 0.5

    func interp(_ r: [Double], _ i: Int) -> Double {
        let p = Double(i) * 1.0 / Double(depth - 1)
        return r[0] + p * (r[1] - r[0])
    }

    public func tree(gid: Int) throws -> SegmentTree {
        guard depth >= 2 else { throw PlexusError("busyring depth must be at least 2, got \(depth)", keyPath: "depth") }
        guard branchProbabilities.count == 2, compartments.count == 2, lengths.count == 2 else {
            throw PlexusError("busyring ranges need [first, last]", keyPath: "morphology")
        }
        let r = BusyringShape.somaDiameter / 2
        var tree = SegmentTree()
        try tree.append(parent: -1, prox: MPoint(0, 0, -r, r), dist: MPoint(0, 0, r, r), tag: 1)
        var gen = MT19937(seed: UInt32(truncatingIfNeeded: gid))
        var levels: [[Int]] = [[0]]
        var distFromSoma = r
        for i in 0..<depth {
            let bp = interp(branchProbabilities, i)
            let l = interp(lengths, i)
            let nc = Int((interp(compartments, i) + 0.5).rounded(.down))
            var secIds: [Int] = []
            for sec in levels[i] {
                for _ in 0..<2 where gen.canonicalDouble() < bp {
                    let z = distFromSoma
                    let dz = l / Double(nc)
                    var par = sec
                    for k in 1..<max(nc, 1) {
                        par = try tree.append(parent: par, dist: MPoint(0, 0, z + Double(k + 1) * dz, BusyringShape.dendriteRadius), tag: 3)
                    }
                    secIds.append(par)
                }
            }
            if secIds.isEmpty { break }
            // Levels can double: a deep tree grows without bound before any CV limit applies.
            guard tree.segments.count <= CVPolicy.maxCVsPerCell else {
                throw PlexusError("busyring depth \(depth) makes more than \(CVPolicy.maxCVsPerCell) segments by level \(i + 1) (cell gid \(gid)); a cell may have at most that many CVs",
                                  keyPath: "depth")
            }
            levels.append(secIds)
            distFromSoma += l
        }
        return tree
    }
}

/// The whole busyring benchmark (nsuite, as defined in the Arbor reference scripts): cells,
/// mechanisms, ring and zero-weight connections, kick-off events.
public struct BusyringParameters: Sendable {
    public var cells = 64
    public var ringSize = 10
    public var synapses = 10000
    public var minDelay = 5.0
    public var duration = 100.0
    public var dt = 0.025
    public var depth = 4
    public var weight = 0.01
    public var kickTime = 1.0
    public var threshold = 10.0
    public var tau = 2.0
    public var pasG = 0.001
    public var pasE = -65.0
    public var ra = 100.0
    public var cm = 1.0
    public var vInit = -65.0
    public var celsius = 6.3
    public init(cells: Int = 64) { self.cells = cells }

    public var cell: CableCellDescription {
        var c = CableCellDescription(morphology: .busyring(BusyringShape(depth: depth)))
        c.discretization = .everySegment
        c.temperature = celsius
        c.axialResistivity = ra
        c.membraneCapacitance = cm
        c.initialVoltage = vInit
        c.paints = [Paint(.soma, MechanismDescription("hh")),
                    Paint(.join([.dend, .apic]), MechanismDescription("pas", ["g": pasG, "e": pasE]))]
        c.detectors = [Detector(.location(MLocation(branch: 0, pos: 0)), threshold: threshold)]
        c.places = [.synapse(.location(MLocation(branch: 1, pos: 0)), MechanismDescription("expsyn", ["tau": tau]), label: "p_syn")]
        if synapses > 1 {
            c.places.append(.synapse(.uniform(.all, first: 0, last: synapses - 2, seed: nil),
                                    MechanismDescription("expsyn", ["tau": tau]), label: "s_syn"))
        }
        return c
    }

    public var network: CableExperiment {
        var n = CableExperiment(resolution: dt, duration: duration, cells: [("busyring", cell)],
                                        populations: [CablePopulation(name: "ring", cell: "busyring", size: cells)])
        n.connections = [.ring(population: "ring", groupSize: ringSize, synapse: TargetRef("p_syn"), weight: weight, delay: minDelay)]
        if synapses > 1 {
            n.connections.append(.busyringExtra(population: "ring", count: synapses - 1, label: "s_syn", weight: 0, minDelay: minDelay))
        }
        n.generators = [EventGenerator(population: "ring", cells: Array(stride(from: 0, to: cells, by: ringSize)),
                                       synapse: TargetRef("p_syn"), weight: weight, schedule: .explicit([kickTime]))]
        return n
    }
}

/// Sources and delays of nsuite's zero-weight connections onto `gid` (ring_recipe::connections_on
/// after the ring connection): source uniform in [0, cells-2] shifted past `gid`, delay
/// minDelay + uniform_real<float>(0, 2 minDelay), both from std::mt19937(gid).
public func busyringExtraConnections(gid: Int, cells: Int, count: Int, minDelay: Double,
                                     _ body: (_ index: Int, _ source: Int, _ delay: Float) -> Void) {
    guard count > 0, cells >= 2 else { return }
    var gen = MT19937(seed: UInt32(truncatingIfNeeded: gid))
    let range = UInt32(cells - 1)
    let span = Float(2 * minDelay), lo = Float(minDelay)
    for i in 0..<count {
        var src = Int(gen.uniformInt(below: range))
        let r = gen.canonicalFloat()
        let d = r * span + Float(0)
        if src == gid { src += 1 }
        body(i, src, lo + d)
    }
}
