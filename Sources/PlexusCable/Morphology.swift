import PlexusCore

/// A point of a neuron's skeleton: position and radius in µm.
public struct MPoint: Sendable, Equatable, Codable {
    public var x: Double, y: Double, z: Double, radius: Double
    public init(_ x: Double, _ y: Double, _ z: Double, _ radius: Double) {
        self.x = x; self.y = y; self.z = z; self.radius = radius
    }
    public func distance(to o: MPoint) -> Double {
        let dx = x - o.x, dy = y - o.y, dz = z - o.z
        return (dx * dx + dy * dy + dz * dz).squareRoot()
    }
}

/// One frustum of the skeleton (SWC tags: 1 soma, 2 axon, 3 dendrite, 4 apical dendrite).
public struct MSegment: Sendable, Equatable, Codable {
    /// Index of the parent segment, or -1 for a root.
    public var parent: Int
    public var prox: MPoint
    public var dist: MPoint
    public var tag: Int
}

/// Segments in an order where every parent precedes its children (what SWC readers and
/// generators build; the engine's description of a cell's shape).
public struct SegmentTree: Sendable, Equatable, Codable {
    public private(set) var segments: [MSegment] = []
    public init() {}

    public var count: Int { segments.count }
    public var isEmpty: Bool { segments.isEmpty }

    /// Appends a segment; `parent` is -1 for a root or an earlier segment's index.
    @discardableResult
    public mutating func append(parent: Int, prox: MPoint, dist: MPoint, tag: Int) throws -> Int {
        guard parent >= -1, parent < segments.count else {
            throw PlexusError("segment \(segments.count): parent \(parent) does not exist (parents must come first)")
        }
        for (name, p) in [("proximal", prox), ("distal", dist)] {
            guard p.x.isFinite, p.y.isFinite, p.z.isFinite, p.radius.isFinite, p.radius >= 0 else {
                throw PlexusError("segment \(segments.count): \(name) point has a non-finite coordinate or a negative radius (\(p.radius) µm)")
            }
        }
        segments.append(MSegment(parent: parent, prox: prox, dist: dist, tag: tag))
        return segments.count - 1
    }

    /// Appends a segment that starts at its parent's distal point.
    @discardableResult
    public mutating func append(parent: Int, dist: MPoint, tag: Int) throws -> Int {
        guard parent >= 0, parent < segments.count else {
            throw PlexusError("segment \(segments.count): parent \(parent) does not exist")
        }
        return try append(parent: parent, prox: segments[parent].dist, dist: dist, tag: tag)
    }

    /// Tags used by at least one segment.
    public var tags: Set<Int> { Set(segments.map(\.tag)) }
}

/// A point on the cell: branch and relative position 0...1 along it (Arbor's mlocation).
public struct MLocation: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var branch: Int
    public var pos: Double
    public init(branch: Int, pos: Double) { self.branch = branch; self.pos = pos }
    public static func < (a: MLocation, b: MLocation) -> Bool { a.branch != b.branch ? a.branch < b.branch : a.pos < b.pos }
    public var description: String { "(location \(branch) \(pos))" }
}

/// A piece of one branch between two relative positions (Arbor's mcable).
public struct MCable: Sendable, Hashable, Comparable, Codable {
    public var branch: Int
    public var prox: Double
    public var dist: Double
    public init(branch: Int, prox: Double, dist: Double) { self.branch = branch; self.prox = prox; self.dist = dist }
    public static func < (a: MCable, b: MCable) -> Bool {
        if a.branch != b.branch { return a.branch < b.branch }
        if a.prox != b.prox { return a.prox < b.prox }
        return a.dist < b.dist
    }
}

/// The branches of a segment tree and its geometry (Arbor's morphology + embedding): a branch is
/// a maximal unbranched run of segments; a new one starts at every root and after every fork.
/// Branch ids follow the id of their first segment. Lengths, areas and axial integrals are exact
/// for frusta.
public final class CableMorphology: @unchecked Sendable {
    public let tree: SegmentTree
    public let branchParent: [Int]
    public let branchChildren: [[Int]]
    public let rootBranches: [Int]
    /// Segment ids of each branch, proximal to distal.
    public let branchSegments: [[Int]]
    /// Relative start position of each segment of a branch, plus 1 at the end.
    public let segmentPositions: [[Double]]
    public let branchLength: [Double]
    /// Branch cable of each segment.
    public let segmentCable: [MCable]

    public var branchCount: Int { branchParent.count }

    public init(_ tree: SegmentTree) {
        self.tree = tree
        let segs = tree.segments
        let n = segs.count
        var childCount = [Int](repeating: 0, count: n)
        for s in segs where s.parent >= 0 { childCount[s.parent] += 1 }
        var bid = [Int](repeating: 0, count: n)
        var nb = 0
        var parents: [Int] = []
        var bsegs: [[Int]] = []
        for i in 0..<n {
            let p = segs[i].parent
            if p < 0 || childCount[p] > 1 {
                bid[i] = nb; nb += 1
                parents.append(p < 0 ? -1 : bid[p])
                bsegs.append([i])
            } else {
                bid[i] = bid[p]
                bsegs[bid[i]].append(i)
            }
        }
        var children = [[Int]](repeating: [], count: nb)
        var roots: [Int] = []
        for b in 0..<nb { if parents[b] >= 0 { children[parents[b]].append(b) } else { roots.append(b) } }
        var positions: [[Double]] = []
        var lengths: [Double] = []
        var cables = [MCable](repeating: MCable(branch: 0, prox: 0, dist: 0), count: n)
        for b in 0..<nb {
            var pos = [0.0]
            for s in bsegs[b] { pos.append(pos.last! + segs[s].prox.distance(to: segs[s].dist)) }
            let L = pos.last!
            if L > 0 {
                for k in pos.indices { pos[k] /= L }
            } else {
                for k in pos.indices { pos[k] = 0 }
                pos[pos.count - 1] = 1
            }
            for (k, s) in bsegs[b].enumerated() { cables[s] = MCable(branch: b, prox: pos[k], dist: pos[k + 1]) }
            positions.append(pos)
            lengths.append(L)
        }
        branchParent = parents
        branchChildren = children
        rootBranches = roots
        branchSegments = bsegs
        segmentPositions = positions
        branchLength = lengths
        segmentCable = cables
    }

    public var terminalBranches: [Int] { (0..<branchCount).filter { branchChildren[$0].isEmpty } }

    /// Index k into branchSegments[b] of the segment that holds relative position `pos`
    /// (the distal one at a boundary; the last at 1).
    func segmentIndex(branch b: Int, pos: Double) -> Int {
        let p = segmentPositions[b]
        var lo = 0, hi = p.count - 2
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if p[mid] <= pos { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Calls body(segment, fraction from, fraction to) for the parts of segments that `c` covers.
    @inline(__always)
    func forEachPiece(_ c: MCable, _ body: (MSegment, Double, Double) -> Void) {
        let p = segmentPositions[c.branch]
        let segs = branchSegments[c.branch]
        var k = segmentIndex(branch: c.branch, pos: c.prox)
        while k < segs.count {
            let p0 = p[k], p1 = p[k + 1]
            if p0 >= c.dist { break }
            let lo = max(c.prox, p0), hi = min(c.dist, p1)
            if hi > lo, p1 > p0 { body(tree.segments[segs[k]], (lo - p0) / (p1 - p0), (hi - p0) / (p1 - p0)) }
            k += 1
        }
    }

    /// Length in µm.
    public func length(_ c: MCable) -> Double { (c.dist - c.prox) * branchLength[c.branch] }

    /// Lateral membrane area in µm² (exact for frusta).
    public func area(_ c: MCable) -> Double {
        var total = 0.0
        forEachPiece(c) { s, a, b in
            let r0 = s.prox.radius, dr = s.dist.radius - s.prox.radius
            let slant = (s.prox.distance(to: s.dist) * s.prox.distance(to: s.dist) + dr * dr).squareRoot()
            // A(f) = π (2 r0 + f dr) f slant: lateral area of the frustum from 0 to f.
            let ab = Double.pi * (2 * r0 + b * dr) * b * slant
            let aa = Double.pi * (2 * r0 + a * dr) * a * slant
            total += ab - aa
        }
        return total
    }

    /// ∫ dx / (π r(x)²) over the cable, in 1/µm (axial resistance = ixa · Ra).
    public func ixa(_ c: MCable) -> Double {
        var total = 0.0
        forEachPiece(c) { s, a, b in
            let L = s.prox.distance(to: s.dist)
            let r0 = s.prox.radius, dr = s.dist.radius - s.prox.radius
            let ra = r0 + a * dr, rb = r0 + b * dr
            total += L * (b - a) / (Double.pi * ra * rb)
        }
        return total
    }

    /// Radius in µm at a location.
    public func radius(at loc: MLocation) -> Double {
        let k = segmentIndex(branch: loc.branch, pos: loc.pos)
        let p = segmentPositions[loc.branch]
        let s = tree.segments[branchSegments[loc.branch][k]]
        let w = p[k + 1] - p[k]
        let f = w > 0 ? max(0, min(1, (loc.pos - p[k]) / w)) : 0
        return s.prox.radius + f * (s.dist.radius - s.prox.radius)
    }

    /// Distance in µm from the root along the tree.
    public func pathDistance(to loc: MLocation) -> Double {
        var d = loc.pos * branchLength[loc.branch]
        var b = branchParent[loc.branch]
        while b >= 0 { d += branchLength[b]; b = branchParent[b] }
        return d
    }

    /// Cables of the segments carrying `tag`, merged per branch.
    public func cables(tag: Int) -> [MCable] {
        var out: [MCable] = []
        for (i, s) in tree.segments.enumerated() where s.tag == tag { out.append(segmentCable[i]) }
        return CableMorphology.merge(out)
    }

    /// Sorted, with touching cables of one branch joined.
    static func merge(_ cables: [MCable]) -> [MCable] {
        let sorted = cables.sorted()
        var out: [MCable] = []
        for c in sorted {
            if let last = out.last, last.branch == c.branch, c.prox <= last.dist {
                out[out.count - 1].dist = max(last.dist, c.dist)
            } else {
                out.append(c)
            }
        }
        return out
    }
}
