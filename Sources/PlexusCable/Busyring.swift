import PlexusCore

/// std::mt19937 (32-bit Mersenne Twister, seeded as `std::mt19937(seed)`), bit-identical to
/// libstdc++.
public struct MT19937: Sendable {
    var state = [UInt32](repeating: 0, count: 624)
    var index = 624

    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1812433253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7fff_ffff)
            var v = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { v ^= 0x9908_b0df }
            state[i] = v
        }
        index = 0
    }

    public mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// libstdc++ `generate_canonical<double, 53>`: two draws, (a + b·2³²)/2⁶⁴, kept below 1.
    public mutating func canonicalDouble() -> Double {
        let a = Double(next()), b = Double(next())
        let r = (a + b * 4294967296.0) / 18446744073709551616.0
        return r < 1 ? r : 1.0.nextDown
    }

    /// libstdc++ `generate_canonical<float, 24>`: one draw.
    public mutating func canonicalFloat() -> Float {
        let r = Float(next()) / Float(4294967296.0)
        return r < 1 ? r : Float(1).nextDown
    }

    /// libstdc++ (GCC >= 11) `uniform_int_distribution<int>(0, range - 1)`: Lemire's method.
    public mutating func uniformInt(below range: UInt32) -> UInt32 {
        var prod = UInt64(next()) * UInt64(range)
        var low = UInt32(truncatingIfNeeded: prod)
        if low < range {
            let threshold = (0 &- range) % range
            while low < threshold {
                prod = UInt64(next()) * UInt64(range)
                low = UInt32(truncatingIfNeeded: prod)
            }
        }
        return UInt32(prod >> 32)
    }
}

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
        guard depth >= 2 else { throw PlexusError("busyring depth must be at least 2, got \(depth)", keyPath: "morphology.depth") }
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

    public var network: CableNetworkDescription {
        var n = CableNetworkDescription(resolution: dt, duration: duration, cells: [("busyring", cell)],
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
