import Foundation
import PlexusCore
import PlexusCable

/// SWC morphology files (NeuroMorpho.org style): `id tag x y z radius parent` per line, `#`
/// comments. Two interpretations, as Arbor's loaders:
/// - `.arbor` (`load_swc_arbor`): a segment from every sample to its parent, nothing else.
/// - `.neuron` (`load_swc_neuron`, NEURON's Import3d): a one-sample soma becomes a cylinder of
///   length 2r along x split at its centre; sub-trees attach to the soma through a gap starting
///   at their first sample (a one-sample sub-tree becomes one segment from the soma with the
///   sample's radius); a non-soma sample must carry its parent's tag.
/// Every error names the file and line.
public enum SWC {
    public enum Dialect: String, Sendable, Codable { case arbor, neuron }

    public struct Record: Sendable, Equatable {
        public var id: Int, tag: Int, x: Double, y: Double, z: Double, radius: Double, parent: Int
        public var line: Int
    }

    /// Tags accepted: 1 soma, 2 axon, 3 dendrite, 4 apical dendrite (plus `extraTags`).
    public static let standardTags: Set<Int> = [1, 2, 3, 4]

    public static func load(_ path: String, dialect: Dialect = .neuron, extraTags: Set<Int> = []) throws -> SegmentTree {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlexusError("cannot read the SWC file", file: path)
        }
        guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
            throw PlexusError("the SWC file is not text", file: path)
        }
        return try parse(text, file: path, dialect: dialect, extraTags: extraTags)
    }

    public static func parse(_ text: String, file: String = "<swc>", dialect: Dialect = .neuron, extraTags: Set<Int> = []) throws -> SegmentTree {
        let records = try readRecords(text, file: file, tags: standardTags.union(extraTags))
        return try buildTree(records, file: file, dialect: dialect)
    }

    static let fieldNames = ["id", "tag", "x", "y", "z", "radius", "parent"]

    /// Records in an order where every parent comes before its children.
    public static func readRecords(_ text: String, file: String, tags: Set<Int> = standardTags) throws -> [Record] {
        var records: [Record] = []
        var lineNo = 0
        var lineOf: [Int: Int] = [:]
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "," })
            if fields.isEmpty { continue }
            guard fields.count >= 7 else {
                throw PlexusError("an SWC record needs 7 fields (id tag x y z radius parent), found \(fields.count)", file: file, line: lineNo)
            }
            var nums: [Double] = []
            for k in 0..<7 {
                guard let v = Double(fields[k]), v.isFinite else {
                    throw PlexusError("field \(k + 1) (\(fieldNames[k])) is not a number: '\(fields[k])'", file: file, line: lineNo)
                }
                nums.append(v)
            }
            for k in [0, 1, 6] where nums[k] != nums[k].rounded() {
                throw PlexusError("field \(k + 1) (\(fieldNames[k])) must be a whole number: '\(fields[k])'", file: file, line: lineNo)
            }
            // Ids are indices: beyond Int32 they could not be stored, and converting them would
            // overflow unchecked.
            for k in [0, 1, 6] where abs(nums[k]) > Double(Int32.max) {
                throw PlexusError("field \(k + 1) (\(fieldNames[k])) is out of range: '\(fields[k])'", file: file, line: lineNo)
            }
            let r = Record(id: Int(nums[0]), tag: Int(nums[1]), x: nums[2], y: nums[3], z: nums[4], radius: nums[5], parent: Int(nums[6]), line: lineNo)
            guard r.radius >= 0 else {
                throw PlexusError("sample \(r.id) has a negative radius \(fields[5])", file: file, line: lineNo)
            }
            guard tags.contains(r.tag) else {
                throw PlexusError("sample \(r.id) has unknown tag \(r.tag); known: 1 soma, 2 axon, 3 dendrite, 4 apical dendrite", file: file, line: lineNo)
            }
            guard r.parent == -1 || r.parent >= 0 else {
                throw PlexusError("sample \(r.id) has parent \(r.parent); a root has parent -1", file: file, line: lineNo)
            }
            if let first = lineOf[r.id] {
                throw PlexusError("sample id \(r.id) appears twice (first at line \(first))", file: file, line: lineNo)
            }
            lineOf[r.id] = lineNo
            records.append(r)
        }
        guard !records.isEmpty else { throw PlexusError("the SWC file has no samples", file: file) }
        for r in records where r.parent != -1 && lineOf[r.parent] == nil {
            throw PlexusError("sample \(r.id) has parent \(r.parent), which is not in the file", file: file, line: r.line)
        }
        for r in records where r.parent == r.id {
            throw PlexusError("sample \(r.id) is its own parent (a cycle)", file: file, line: r.line)
        }
        let roots = records.filter { $0.parent == -1 }
        guard !roots.isEmpty else {
            // Every sample has a parent: the parent links must close a cycle.
            let r = records.min { $0.id < $1.id }!
            throw PlexusError("the samples form a cycle (no root with parent -1); sample \(r.id) is on or above it", file: file, line: r.line)
        }
        guard roots.count == 1 else {
            throw PlexusError("more than one root sample (parent -1): samples \(roots[0].id) and \(roots[1].id)", file: file, line: roots[1].line)
        }
        // Sort by id; when some parent does not precede its child, order depth-first from the root.
        var sorted = records.sorted { $0.id < $1.id }
        if sorted.contains(where: { $0.parent >= $0.id }) {
            var children: [Int: [Int]] = [:]
            for (k, r) in sorted.enumerated() { children[r.parent, default: []].append(k) }
            var out: [Record] = []
            var stack = [sorted.firstIndex { $0.parent == -1 }!]
            while let k = stack.popLast() {
                out.append(sorted[k])
                stack += (children[sorted[k].id] ?? []).reversed()
            }
            if out.count < sorted.count {
                let reached = Set(out.map(\.id))
                let r = sorted.first { !reached.contains($0.id) }!
                throw PlexusError("sample \(r.id) is part of a cycle: following its parents never reaches the root", file: file, line: r.line)
            }
            sorted = out
        } else if sorted[0].parent != -1 {
            throw PlexusError("the first sample must be the root", file: file, line: sorted[0].line)
        }
        return sorted
    }

    public static func buildTree(_ records: [Record], file: String, dialect: Dialect) throws -> SegmentTree {
        let somaTag = 1
        if dialect == .arbor || records[0].tag != somaTag {
            if dialect == .neuron, let s = records.first(where: { $0.tag == somaTag }) {
                throw PlexusError("sample \(s.id) is tagged soma but the root sample is not", file: file, line: s.line)
            }
            return try arborTree(records, file: file)
        }
        var index: [Int: Int] = [:]
        for (k, r) in records.enumerated() { index[r.id] = k }
        var childCount = [Int](repeating: 0, count: records.count)
        var somaSamples = 0
        for (k, r) in records.enumerated() {
            if r.tag == somaTag { somaSamples += 1 }
            guard r.parent != -1 else { continue }
            let p = index[r.parent]!
            childCount[p] += 1
            let ptag = records[p].tag
            if r.tag != ptag && ptag != somaTag {
                throw PlexusError("sample \(r.id) has tag \(r.tag) but its parent \(r.parent) has tag \(ptag); every sample not attached to the soma must carry its parent's tag", file: file, line: records[k].line)
            }
        }
        var tree = SegmentTree()
        var segOf = [Int](repeating: -1, count: records.count)
        func add(_ parent: Int, _ a: MPoint, _ b: MPoint, _ tag: Int, line: Int) throws -> Int {
            do { return try tree.append(parent: parent, prox: a, dist: b, tag: tag) } catch let e as PlexusError {
                throw PlexusError(e.message, file: file, line: line)
            }
        }
        if somaSamples == 1 {
            let s = records[0]
            let first = try add(-1, MPoint(s.x - s.radius, s.y, s.z, s.radius), MPoint(s.x, s.y, s.z, s.radius), somaTag, line: s.line)
            segOf[0] = first
            _ = try add(first, MPoint(s.x, s.y, s.z, s.radius), MPoint(s.x + s.radius, s.y, s.z, s.radius), somaTag, line: s.line)
        }
        for k in 1..<records.count {
            let r = records[k], p = index[r.parent]!, pr = records[p]
            if r.tag == pr.tag {
                segOf[k] = try add(segOf[p], MPoint(pr.x, pr.y, pr.z, pr.radius), MPoint(r.x, r.y, r.z, r.radius), r.tag, line: r.line)
            } else if childCount[k] > 0 {
                segOf[k] = segOf[p]
            } else {
                segOf[k] = try add(segOf[p], MPoint(pr.x, pr.y, pr.z, r.radius), MPoint(r.x, r.y, r.z, r.radius), r.tag, line: r.line)
            }
        }
        return tree
    }

    static func arborTree(_ records: [Record], file: String) throws -> SegmentTree {
        guard records.count >= 2 else {
            throw PlexusError("a single-sample (spherical) soma is not supported by the arbor interpretation; use dialect: neuron", file: file, line: records[0].line)
        }
        var index: [Int: Int] = [:]
        index[records[0].id] = 0
        var tree = SegmentTree()
        var firstTagMatch = false
        for k in 1..<records.count {
            let r = records[k]
            let p = index[r.parent]!
            firstTagMatch = firstTagMatch || (r.parent == records[0].id && r.tag == records[0].tag)
            let pr = records[p]
            do {
                try tree.append(parent: p == 0 ? -1 : p - 1, prox: MPoint(pr.x, pr.y, pr.z, pr.radius), dist: MPoint(r.x, r.y, r.z, r.radius), tag: r.tag)
            } catch let e as PlexusError { throw PlexusError(e.message, file: file, line: r.line) }
            index[r.id] = k
        }
        guard firstTagMatch else {
            throw PlexusError("the root sample has no child with its own tag (a spherical soma), which the arbor interpretation does not support; use dialect: neuron", file: file, line: records[0].line)
        }
        return tree
    }
}
