import PlexusCore

/// A cell's shape cut at its CV boundaries: one straight piece per overlap of a CV with a
/// segment, from (x0, y0, z0) with radius r0 to (x1, y1, z1) with radius r1 (µm). A report
/// draws the pieces coloured by their CV's voltage (`CVSnapshot.voltage[cv[k]]`).
public struct CVShape: Sendable, Equatable {
    public var gid: Int
    /// CVs of the cell.
    public var cvCount: Int
    public var cv: [Int] = []
    public var x0: [Double] = [], y0: [Double] = [], z0: [Double] = [], r0: [Double] = []
    public var x1: [Double] = [], y1: [Double] = [], z1: [Double] = [], r1: [Double] = []

    public init(gid: Int, cvCount: Int) { self.gid = gid; self.cvCount = cvCount }

    public var count: Int { cv.count }

    public mutating func append(cv c: Int, from a: MPoint, to b: MPoint) {
        cv.append(c)
        x0.append(a.x); y0.append(a.y); z0.append(a.z); r0.append(a.radius)
        x1.append(b.x); y1.append(b.y); z1.append(b.z); r1.append(b.radius)
    }
}

extension CableCellDescription {
    /// The shape of cell `gid` cut into the CVs the engine simulates (the same discretization,
    /// so CV k here is CV k of `CVSnapshot.voltage`).
    public func cvShape(gid: Int) throws -> CVShape {
        let tree: SegmentTree
        do { tree = try morphology.tree(gid: gid) } catch let e as PlexusError { throw e.under("morphology") }
        guard !tree.isEmpty else { throw PlexusError("the morphology has no segments", keyPath: "morphology") }
        let m = CableMorphology(tree)
        let points: [MLocation]
        do { points = try discretization.boundaryPoints(m) } catch let e as PlexusError { throw e.under("discretization") }
        let geo = CVGeometry(m, points: points, ra: axialResistivity)
        var shape = CVShape(gid: gid, cvCount: geo.count)
        let segs = tree.segments
        for cv in 0..<geo.count {
            for c in geo.cables[cv] {
                let pos = m.segmentPositions[c.branch]
                for (k, s) in m.branchSegments[c.branch].enumerated() {
                    let a = pos[k], b = pos[k + 1]
                    let lo = max(c.prox, a), hi = min(c.dist, b)
                    // Pieces of zero length draw nothing; a zero-length branch has a single piece.
                    guard hi > lo || (a == b && c.prox <= a && a <= c.dist && c.prox < c.dist) else { continue }
                    func point(_ t: Double) -> MPoint {
                        let f = b > a ? (t - a) / (b - a) : 0
                        let p = segs[s].prox, q = segs[s].dist
                        return MPoint(p.x + f * (q.x - p.x), p.y + f * (q.y - p.y), p.z + f * (q.z - p.z),
                                      p.radius + f * (q.radius - p.radius))
                    }
                    shape.append(cv: cv, from: point(lo), to: point(b > a ? hi : b))
                }
            }
        }
        return shape
    }
}
