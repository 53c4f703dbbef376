import PlexusCore

/// A part of a cell, by SWC tag or expression (Arbor's region). Text forms: `soma`, `axon`,
/// `dend`, `apic`, `all`, `(tag 3)`, `(all)`, `(branch 2)`, `(cable 1 0 0.5)`,
/// `(join (tag 3) (tag 4))`.
public indirect enum Region: Sendable, Equatable, Codable, CustomStringConvertible {
    case all
    case tag(Int)
    case branch(Int)
    case cable(MCable)
    case join([Region])

    public static let soma = Region.tag(1)
    public static let axon = Region.tag(2)
    public static let dend = Region.tag(3)
    public static let apic = Region.tag(4)

    public static let names: [String: Region] = ["soma": .soma, "axon": .axon, "dend": .dend, "apic": .apic, "all": .all,
                                                 "dendrites": .join([.dend, .apic])]

    public init(parsing text: String) throws {
        let t = text.cableTrimmed(" ")
        if let r = Region.names[t] { self = r; return }
        let e = try SExpr.parse(t)
        self = try Region(e)
    }

    init(_ e: SExpr) throws {
        switch e {
        case .atom(let a):
            guard let r = Region.names[a] ?? Region.names[a.cableTrimmed("\"")] else {
                throw PlexusError("unknown region '\(a)'; known: soma, axon, dend, apic, all, dendrites, (tag N), (branch N), (cable B P0 P1), (join R ...)")
            }
            self = r
        case .list(let items):
            guard case .atom(let head)? = items.first else { throw PlexusError("a region expression starts with a name") }
            let args = Array(items.dropFirst())
            switch head {
            case "all": self = .all
            case "tag":
                guard args.count == 1, let n = args[0].int else { throw PlexusError("(tag N) needs one whole number") }
                self = .tag(n)
            case "branch":
                guard args.count == 1, let n = args[0].int else { throw PlexusError("(branch N) needs one whole number") }
                self = .branch(n)
            case "cable":
                guard args.count == 3, let b = args[0].int, let p0 = args[1].double, let p1 = args[2].double else {
                    throw PlexusError("(cable B P0 P1) needs a branch and two positions")
                }
                self = .cable(MCable(branch: b, prox: p0, dist: p1))
            case "join":
                self = .join(try args.map(Region.init))
            case "region":
                guard args.count == 1 else { throw PlexusError("(region NAME) needs one name") }
                self = try Region(args[0])
            default:
                throw PlexusError("unknown region expression '\(head)'; known: all, tag, branch, cable, join")
            }
        }
    }

    public var description: String {
        switch self {
        case .all: return "(all)"
        case .tag(let t): return "(tag \(t))"
        case .branch(let b): return "(branch \(b))"
        case .cable(let c): return "(cable \(c.branch) \(c.prox) \(c.dist))"
        case .join(let rs): return "(join \(rs.map(\.description).joined(separator: " ")))"
        }
    }

    /// The region's cables on `m`, merged per branch.
    public func cables(on m: CableMorphology) throws -> [MCable] {
        switch self {
        case .all: return (0..<m.branchCount).map { MCable(branch: $0, prox: 0, dist: 1) }
        case .tag(let t): return m.cables(tag: t)
        case .branch(let b):
            guard b >= 0, b < m.branchCount else { throw PlexusError("branch \(b) is not on the cell (it has \(m.branchCount) branches)") }
            return [MCable(branch: b, prox: 0, dist: 1)]
        case .cable(let c):
            guard c.branch >= 0, c.branch < m.branchCount, c.prox >= 0, c.dist <= 1, c.prox <= c.dist else {
                throw PlexusError("cable \(description) is off the cell (branches 0..<\(m.branchCount), positions 0 <= p0 <= p1 <= 1)")
            }
            return [c]
        case .join(let rs): return CableMorphology.merge(try rs.flatMap { try $0.cables(on: m) })
        }
    }
}

/// A set of points on a cell (Arbor's locset). Text forms: `soma_center`, `root`, `terminals`,
/// `(location B P)`, `(on-components P REGION)`, `(uniform REGION FIRST LAST SEED)`,
/// `(terminal)`, `(root)`, `(sum L ...)`.
public indirect enum Locset: Sendable, Equatable, Codable, CustomStringConvertible {
    case location(MLocation)
    case root
    case terminals
    /// Relative position along each connected component of the region, by path distance.
    case onComponents(Double, Region)
    /// `last - first + 1` points uniformly by length over the region, drawn from `seed` (nil: the
    /// cell's gid, written `gid` in the text form).
    case uniform(Region, first: Int, last: Int, seed: UInt64?)
    case sum([Locset])
    /// The soma's centre: the midpoint of a soma cylinder (Arbor's `(on-components 0.5 (region
    /// "soma"))`), the root of a three-point soma; one location.
    case somaCenter


    public init(parsing text: String) throws {
        let t = text.cableTrimmed(" ")
        switch t {
        case "soma_center", "soma_centre", "center", "centre": self = .somaCenter; return
        case "root": self = .root; return
        case "terminals", "terminal": self = .terminals; return
        default: break
        }
        self = try Locset(SExpr.parse(t))
    }

    init(_ e: SExpr) throws {
        switch e {
        case .atom(let a):
            switch a.cableTrimmed("\"") {
            case "soma_center", "soma_centre", "center", "centre": self = .somaCenter
            case "root": self = .root
            case "terminals", "terminal": self = .terminals
            default:
                throw PlexusError("unknown locset '\(a)'; known: soma_center, root, terminals, (location B P), (on-components P REGION), (uniform REGION FIRST LAST SEED), (sum ...)")
            }
        case .list(let items):
            guard case .atom(let head)? = items.first else { throw PlexusError("a locset expression starts with a name") }
            let args = Array(items.dropFirst())
            switch head {
            case "location":
                guard args.count == 2, let b = args[0].int, let p = args[1].double else {
                    throw PlexusError("(location B P) needs a branch number and a position")
                }
                self = .location(MLocation(branch: b, pos: p))
            case "root": self = .root
            case "terminal", "terminals": self = .terminals
            case "on-components":
                guard args.count == 2, let p = args[0].double else { throw PlexusError("(on-components P REGION) needs a position and a region") }
                self = .onComponents(p, try Region(args[1]))
            case "uniform":
                let gidSeed: Bool = { if args.count == 4, case .atom("gid") = args[3] { return true } else { return false } }()
                guard args.count == 4, let a = args[1].int, let b = args[2].int, a >= 0, b >= a, gidSeed || (args[3].int ?? -1) >= 0 else {
                    throw PlexusError("(uniform REGION FIRST LAST SEED) needs a region and whole numbers 0 <= FIRST <= LAST, SEED >= 0 (or gid)")
                }
                self = .uniform(try Region(args[0]), first: a, last: b, seed: gidSeed ? nil : UInt64(args[3].int!))
            case "sum":
                self = .sum(try args.map(Locset.init))
            default:
                throw PlexusError("unknown locset expression '\(head)'; known: location, root, terminal, on-components, uniform, sum")
            }
        }
    }

    public var description: String {
        switch self {
        case .location(let l): return l.description
        case .root: return "(root)"
        case .terminals: return "(terminal)"
        case .onComponents(let p, let r): return "(on-components \(p) \(r))"
        case .uniform(let r, let a, let b, let s): return "(uniform \(r) \(a) \(b) \(s.map { String($0) } ?? "gid"))"
        case .sum(let ls): return "(sum \(ls.map(\.description).joined(separator: " ")))"
        case .somaCenter: return "soma_center"
        }
    }

    /// The points on `m`, in a fixed order; fails when a location is off the cell or the set is
    /// empty where a point is needed.
    public func locations(on m: CableMorphology, gid: Int = 0) throws -> [MLocation] {
        switch self {
        case .location(let l):
            guard l.branch >= 0, l.branch < m.branchCount else {
                throw PlexusError("location \(l) is off the cell: it has branches 0..<\(m.branchCount)")
            }
            guard l.pos >= 0, l.pos <= 1 else {
                throw PlexusError("location \(l) is off the cell: a position on a branch is between 0 and 1")
            }
            return [l]
        case .root:
            return m.rootBranches.map { MLocation(branch: $0, pos: 0) }
        case .terminals:
            return m.terminalBranches.map { MLocation(branch: $0, pos: 1) }
        case .onComponents(let rel, let region):
            guard rel >= 0, rel <= 1 else { throw PlexusError("on-components position \(rel) is not between 0 and 1") }
            let cables = try region.cables(on: m)
            var out: [MLocation] = []
            for comp in Locset.components(cables, m) { out += Locset.along(comp, rel, m) }
            return out
        case .uniform(let region, let first, let last, let seed):
            let cables = try region.cables(on: m)
            var cum: [Double] = []
            var total = 0.0
            for c in cables { total += m.length(c); cum.append(total) }
            guard total > 0 else { return [] }
            // n points uniform by length, generated in increasing order (normalised cumulative sums
            // of n + 1 exponential spacings are the order statistics of n uniforms): no sort.
            let n = last - first + 1
            var rng = RandomStream(seed: seed ?? UInt64(gid), purpose: .user, index: 1, id: UInt64(first))
            var gaps = [Double](repeating: 0, count: n + 1)
            var sum = 0.0
            for k in 0...n { let e = rng.nextExponential(); gaps[k] = e; sum += e }
            var out: [MLocation] = []
            out.reserveCapacity(n)
            var acc = 0.0, ci = 0
            for k in 0..<n {
                acc += gaps[k]
                let x = min(acc / sum, 1) * total
                while ci < cum.count - 1 && cum[ci] <= x { ci += 1 }
                let c = cables[ci]
                let before = ci > 0 ? cum[ci - 1] : 0
                let f = min(1, max(0, (x - before) / m.length(c)))
                out.append(MLocation(branch: c.branch, pos: c.prox + f * (c.dist - c.prox)))
            }
            return out
        case .sum(let ls):
            return try ls.flatMap { try $0.locations(on: m, gid: gid) }
        case .somaCenter:
            let cables = try Region.soma.cables(on: m)
            guard let comp = Locset.components(cables, m).first else {
                throw PlexusError("soma_center: the cell has no soma (no segment with tag 1)")
            }
            let rootPieces = comp.filter { $0.prox == 0 && m.branchParent[$0.branch] < 0 }
            if comp.count == 2, rootPieces.count == 2 {
                // Two halves that meet at the root (a three-point soma): walk from the far end of one.
                let a = m.length(comp[0]), b = m.length(comp[1])
                let s = (a + b) / 2
                if s <= a { return [MLocation(branch: comp[0].branch, pos: comp[0].dist * (a - s) / max(a, .leastNonzeroMagnitude))] }
                return [MLocation(branch: comp[1].branch, pos: comp[1].dist * (s - a) / max(b, .leastNonzeroMagnitude))]
            }
            return Array(Locset.along(comp, 0.5, m).prefix(1))
        }
    }

    /// Points at relative path distance `rel` from a component's proximal point (first per cable).
    static func along(_ comp: [MCable], _ rel: Double, _ m: CableMorphology) -> [MLocation] {
        let start = m.pathDistance(to: MLocation(branch: comp[0].branch, pos: comp[0].prox))
        var far = 0.0
        for c in comp { far = max(far, m.pathDistance(to: MLocation(branch: c.branch, pos: c.dist)) - start) }
        let target = start + rel * far
        var out: [MLocation] = []
        for c in comp {
            let d0 = m.pathDistance(to: MLocation(branch: c.branch, pos: c.prox))
            let d1 = m.pathDistance(to: MLocation(branch: c.branch, pos: c.dist))
            if target >= d0 && target <= d1 {
                let pos = d1 > d0 ? c.prox + (c.dist - c.prox) * (target - d0) / (d1 - d0) : c.prox
                out.append(MLocation(branch: c.branch, pos: pos))
            }
        }
        return out
    }

    /// Groups merged cables into connected components (through branch ends and forks).
    static func components(_ cables: [MCable], _ m: CableMorphology) -> [[MCable]] {
        var comps: [[MCable]] = []
        var compOf: [Int: Int] = [:]   // branch -> component of a cable that reaches its end
        for c in cables {   // sorted by branch: parents come first
            var joined: Int?
            if c.prox == 0, m.branchParent[c.branch] >= 0, let k = compOf[m.branchParent[c.branch]] { joined = k }
            let k: Int
            if let j = joined { comps[j].append(c); k = j } else { comps.append([c]); k = comps.count - 1 }
            if c.dist == 1 { compOf[c.branch] = k }
        }
        return comps
    }
}

/// Minimal s-expression reader for region and locset expressions.
enum SExpr {
    case atom(String)
    case list([SExpr])

    var int: Int? { if case .atom(let a) = self { return Int(a) } else { return nil } }
    var double: Double? { if case .atom(let a) = self { return Double(a) } else { return nil } }

    static func parse(_ text: String) throws -> SExpr {
        var tokens: [String] = []
        var cur = ""
        for ch in text {
            if ch == "(" || ch == ")" {
                if !cur.isEmpty { tokens.append(cur); cur = "" }
                tokens.append(String(ch))
            } else if ch == " " || ch == "\t" || ch == "\n" {
                if !cur.isEmpty { tokens.append(cur); cur = "" }
            } else {
                cur.append(ch)
            }
        }
        if !cur.isEmpty { tokens.append(cur) }
        var i = 0
        func read() throws -> SExpr {
            guard i < tokens.count else { throw PlexusError("'\(text)': expression ends too early") }
            let t = tokens[i]; i += 1
            if t == "(" {
                var items: [SExpr] = []
                while true {
                    guard i < tokens.count else { throw PlexusError("'\(text)': a '(' is not closed") }
                    if tokens[i] == ")" { i += 1; break }
                    items.append(try read())
                }
                return .list(items)
            }
            if t == ")" { throw PlexusError("'\(text)': unexpected ')'") }
            return .atom(t)
        }
        let e = try read()
        guard i == tokens.count else { throw PlexusError("'\(text)': unexpected text after the expression") }
        return e
    }
}

extension String {
    func cableTrimmed(_ c: Character) -> String {
        var s = Substring(self)
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}
