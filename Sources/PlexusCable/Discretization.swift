import PlexusCore

/// How a cell is cut into control volumes (CVs), as Arbor's cv_policy: CV boundaries are placed
/// by each part over its region, and the union of all parts' points is used.
public struct CVPolicy: Sendable, Equatable, Codable {
    public enum Kind: Sendable, Equatable, Codable {
        /// n CVs of equal length per branch (Arbor's cv_policy_fixed_per_branch).
        case perBranch(Int)
        /// CVs no longer than this many µm (cv_policy_max_extent).
        case maxExtent(Double)
        /// One CV per segment (cv_policy_every_segment).
        case everySegment
        /// One CV for the whole region (cv_policy_single).
        case single
        /// NEURON's odd segment count per branch for a segment length dL (µm): nseg =
        /// 1 + 2·int(L / (2·dL)) (bmtk's set_segment_dl, the AllenSDK's rule).
        case neuronSegments(Double)
    }
    public struct Part: Sendable, Equatable, Codable {
        public var kind: Kind
        public var region: Region
        public init(_ kind: Kind, region: Region = .all) { self.kind = kind; self.region = region }
    }
    public var parts: [Part]
    public init(_ parts: [Part]) { self.parts = parts }

    public static func perBranch(_ n: Int, region: Region = .all) -> CVPolicy { CVPolicy([Part(.perBranch(n), region: region)]) }
    public static func maxExtent(_ um: Double, region: Region = .all) -> CVPolicy { CVPolicy([Part(.maxExtent(um), region: region)]) }
    public static let everySegment = CVPolicy([Part(.everySegment)])
    /// Arbor's default: one CV per branch.
    public static let `default` = CVPolicy.perBranch(1)

    public static func + (a: CVPolicy, b: CVPolicy) -> CVPolicy { CVPolicy(a.parts + b.parts) }

    public func validate() throws {
        for (k, p) in parts.enumerated() {
            switch p.kind {
            case .perBranch(let n) where n < 1:
                throw PlexusError("per_branch must be at least 1, got \(n)", keyPath: "discretization[\(k)]")
            case .maxExtent(let e) where !(e > 0 && e.isFinite):
                throw PlexusError("max_extent must be a positive length, got \(e) µm", keyPath: "discretization[\(k)]")
            case .neuronSegments(let e) where !(e > 0 && e.isFinite):
                throw PlexusError("neuron_dl must be a positive length, got \(e) µm", keyPath: "discretization[\(k)]")
            default: break
            }
        }
    }

    /// The most CVs one cell may have. Published detailed cells have 10^2 to 10^4; the limit
    /// stops a tiny max_extent, a huge per_branch or runaway SWC coordinates from asking for
    /// unbounded memory (or overflowing the count) before anything is allocated.
    public static let maxCVsPerCell = 1_000_000

    /// The CV boundary points on `m`.
    public func boundaryPoints(_ m: CableMorphology) throws -> [MLocation] {
        var points: [MLocation] = []
        var cvs = 0.0
        func count(_ n: Double, _ k: Int, _ what: @autoclosure () -> String) throws {
            cvs += n
            guard cvs <= Double(CVPolicy.maxCVsPerCell) else {
                throw PlexusError("\(what()) makes more than \(CVPolicy.maxCVsPerCell) CVs on this cell (at least \(n)); "
                                  + "use fewer CVs per branch or a larger max_extent", keyPath: parts.count > 1 ? "[\(k)]" : nil)
            }
        }
        for (k, p) in parts.enumerated() {
            let cables = try p.region.cables(on: m)
            points += CVPolicy.completedBoundary(cables, m)
            switch p.kind {
            case .perBranch(let n):
                try count(Double(n) * Double(cables.count), k, "per_branch \(n) on \(cables.count) branches")
                for c in cables {
                    let scale = (c.dist - c.prox) * (1.0 / Double(n))
                    for i in 0..<n { points.append(MLocation(branch: c.branch, pos: c.prox + Double(i) * scale)) }
                    points.append(MLocation(branch: c.branch, pos: c.dist))
                }
            case .maxExtent(let ext):
                for c in cables {
                    let cvsOnCable = (m.length(c) * (1.0 / ext)).rounded(.up)
                    try count(cvsOnCable.isFinite ? cvsOnCable : .infinity, k, "max_extent \(ext) µm on a cable of \(m.length(c)) µm")
                    let n = max(1, Int(cvsOnCable))
                    let scale = (c.dist - c.prox) / Double(n)
                    for i in 0..<n { points.append(MLocation(branch: c.branch, pos: c.prox + Double(i) * scale)) }
                    points.append(MLocation(branch: c.branch, pos: c.dist))
                }
            case .neuronSegments(let dL):
                for c in cables {
                    let half = m.length(c) / (2 * dL)
                    try count(half.isFinite ? 1 + 2 * half.rounded(.down) : .infinity, k, "neuron_dl \(dL) µm on a cable of \(m.length(c)) µm")
                    let n = 1 + 2 * Int(half)
                    let scale = (c.dist - c.prox) / Double(n)
                    for i in 0..<n { points.append(MLocation(branch: c.branch, pos: c.prox + Double(i) * scale)) }
                    points.append(MLocation(branch: c.branch, pos: c.dist))
                }
            case .everySegment:
                for b in 0..<m.branchCount {
                    for x in m.segmentPositions[b] where cables.contains(where: { $0.branch == b && $0.prox <= x && x <= $0.dist }) {
                        points.append(MLocation(branch: b, pos: x))
                    }
                }
            case .single:
                break
            }
        }
        return points
    }

    /// Proximal and distal ends of each connected component of a region (Arbor's cboundary).
    static func completedBoundary(_ cables: [MCable], _ m: CableMorphology) -> [MLocation] {
        var out: [MLocation] = []
        for c in cables {
            let parent = m.branchParent[c.branch]
            let continuesParent = c.prox == 0 && parent >= 0 && cables.contains { $0.branch == parent && $0.dist == 1 }
            if !continuesParent { out.append(MLocation(branch: c.branch, pos: c.prox)) }
            let continues = c.dist == 1 && m.branchChildren[c.branch].contains { ch in cables.contains { $0.branch == ch && $0.prox == 0 } }
            if !continues { out.append(MLocation(branch: c.branch, pos: c.dist)) }
        }
        return out
    }
}

/// Control volumes of one cell and their electrical constants (Arbor's fvm_cv_discretize).
/// CVs are numbered so that a parent comes before its children (the Hines order).
public struct CVGeometry: Sendable {
    public var parent: [Int] = []
    public var cables: [[MCable]] = []
    /// Membrane area per CV, µm².
    public var area: [Double] = []
    /// Axial conductance between a CV and its parent, µS (0 for the root).
    public var faceConductance: [Double] = []
    /// Per branch: (prox, dist, cv) in order along the branch.
    var branchMap: [[(prox: Double, dist: Double, cv: Int)]] = []

    public var count: Int { parent.count }

    /// Builds the CVs of `m` for the boundary points `points` with axial resistivity `ra` (Ω·cm).
    public init(_ m: CableMorphology, points: [MLocation], ra: Double) {
        let rootIsFork = m.rootBranches.count > 1
        var locs = points.filter { x in
            let isRoot = x.pos == 0 && !rootIsFork && x.branch == 0
            let isTerminal = x.pos == 1 && m.branchChildren[x.branch].isEmpty
            return !isRoot && !isTerminal
        }
        locs.sort()
        var uniq: [MLocation] = []
        for l in locs where uniq.last != l { uniq.append(l) }
        locs = uniq

        // Proximal heads of CVs still to be built (a stack, as Arbor builds them).
        var heads: [(MLocation, Int, Bool)] = [(MLocation(branch: -1, pos: 0), -1, true)]   // (head, parent cv, head is root)
        while let (h, parentCV, isRootHead) = heads.popLast() {
            var cvCables: [MCable] = []
            var branches: [Int] = [isRootHead ? -1 : h.branch]
            let cv = parent.count
            parent.append(parentCV)
            while let b = branches.popLast() {
                if b < 0 {
                    branches += m.rootBranches
                    continue
                }
                // Most proximal boundary point on b strictly distal to the head (or from 0).
                var found: MLocation?
                if b == h.branch && !isRootHead {
                    found = locs.first { $0.branch == b && $0.pos > h.pos }
                } else {
                    found = locs.first { $0.branch == b && $0.pos >= 0 }
                }
                let start = (b == h.branch && !isRootHead) ? h.pos : 0
                if let f = found {
                    cvCables.append(MCable(branch: b, prox: start, dist: f.pos))
                    heads.append((f, cv, false))
                } else {
                    cvCables.append(MCable(branch: b, prox: start, dist: 1))
                    branches += m.branchChildren[b]
                }
            }
            cvCables.sort()
            cables.append(cvCables)
        }

        let n = parent.count
        area = Array(repeating: 0, count: n)
        faceConductance = Array(repeating: 0, count: n)
        for i in 0..<n {
            for c in cables[i] { area[i] += m.area(c) }
            let p = parent[i]
            guard p >= 0 else { continue }
            let own = cables[i], par = cables[p]
            let bid = own[0].branch
            var parentRef = 0.0, cvRef = 1.0
            if own.count == 1 { cvRef = 0.5 * (own[0].prox + own[0].dist) }
            if par.count == 1, par[0].branch == bid { parentRef = 0.5 * (par[0].prox + par[0].dist) }
            let resistance = m.ixa(MCable(branch: bid, prox: parentRef, dist: cvRef)) * ra
            faceConductance[i] = resistance > 0 ? 100 / resistance : 0
        }
        branchMap = Array(repeating: [], count: m.branchCount)
        for i in 0..<n { for c in cables[i] { branchMap[c.branch].append((c.prox, c.dist, i)) } }
        for b in 0..<m.branchCount { branchMap[b].sort { $0.prox != $1.prox ? $0.prox < $1.prox : $0.dist < $1.dist } }
    }

    public enum Prefer { case nonEmpty, empty }

    /// The CV that holds `loc` (Arbor's location_cv): point mechanisms and stimuli prefer a CV with
    /// membrane, detectors and probes the zero-size CV at a fork.
    public func cv(at loc: MLocation, prefer: Prefer) -> Int {
        let map = branchMap[loc.branch]
        // Right-most piece whose start is <= pos (the last piece at the branch end).
        var i = 0
        if loc.pos >= 1 {
            i = map.count - 1
        } else {
            var lo = 0, hi = map.count - 1
            while lo < hi { let mid = (lo + hi + 1) / 2; if map[mid].prox <= loc.pos { lo = mid } else { hi = mid - 1 } }
            i = lo
        }
        let zero = { (k: Int) in map[k].prox == map[k].dist }
        switch prefer {
        case .nonEmpty:
            if zero(i) {
                if i > 0 && !zero(i - 1) { i -= 1 } else if i + 1 < map.count && !zero(i + 1) { i += 1 }
            }
        case .empty:
            if loc.pos == map[i].prox && i > 0 && zero(i - 1) { i -= 1 }
        }
        return map[i].cv
    }

    /// Where a voltage at `loc` is read (Arbor's fvm_interpolate_voltage): two CVs and weights.
    public func voltageInterpolant(_ m: CableMorphology, at loc: MLocation, ra: Double) -> (Int, Double, Int, Double) {
        let site = cv(at: loc, prefer: .empty)
        let b = loc.branch
        func simple(_ c: Int) -> Bool { cables[c].count == 1 }
        func mid(_ c: Int) -> Double { 0.5 * (cables[c][0].prox + cables[c][0].dist) }
        var siteRef = 0.0
        var checkParent = true, checkChild = true
        if simple(site) {
            siteRef = mid(site)
        } else if cables[site].contains(where: { $0.branch == b && $0.prox == 0 && $0.dist == 0 }) || (cables[site].contains { $0.branch == b && $0.prox == 0 } && !cables[site].contains { $0.branch == b && $0.dist == 1 }) {
            siteRef = 0; checkParent = false
        } else {
            siteRef = 1; checkChild = false
        }
        var parentCV = -1, parentRef = 0.0, childCV = -1, childRef = 1.0
        if checkParent, parent[site] >= 0 {
            parentCV = parent[site]
            if !(simple(parentCV) && cables[parentCV][0].branch == b) { parentCV = simple(parentCV) ? -1 : parentCV }
            if parentCV >= 0 { parentRef = simple(parentCV) ? mid(parentCV) : 0 }
        }
        if checkChild {
            for c in 0..<count where parent[c] == site && cables[c][0].branch == b {
                childCV = c; childRef = simple(c) ? mid(c) : 1; break
            }
        }
        if childCV >= 0 && parentCV >= 0 {
            if loc.pos < siteRef { childCV = -1 } else { parentCV = -1 }
        }
        var prox = site, proxRef = siteRef, dist = site, distRef = siteRef
        if childCV >= 0 { dist = childCV; distRef = childRef } else if parentCV >= 0 { prox = parentCV; proxRef = parentRef }
        if prox == dist || distRef <= proxRef { return (site, 1, site, 0) }
        let rr = m.ixa(MCable(branch: b, prox: proxRef, dist: distRef))
        let flip = proxRef > loc.pos
        var rs = m.ixa(MCable(branch: b, prox: flip ? loc.pos : proxRef, dist: flip ? proxRef : loc.pos))
        if flip { rs = -rs }
        let p = rs / rr
        _ = ra
        return (prox, 1 - p, dist, p)
    }
}
