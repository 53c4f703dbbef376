/// The processes (ranks) of one run and the few collectives the engines need. The engines see
/// only this protocol: `SingleProcess` (a run of one rank), `InProcessRanks` (ranks as threads of
/// one process, for tests of the distributed code paths) and `MPICommunicator` (PlexusMPI, Open
/// MPI underneath). Every rank calls every collective, in the same order, with the same sizes
/// where a size is shared; results are concatenated in rank order, so whatever is computed from
/// them is the same on every rank.
public protocol Communicator: AnyObject, Sendable {
    var rank: Int { get }
    var size: Int { get }

    /// Every rank's `send` (rank r gives `counts[r]` bytes; every rank knows all counts),
    /// concatenated in rank order into `receive` (at least the sum of `counts` bytes). With
    /// `root`, only that rank receives (`receive` is not touched elsewhere).
    func gather(_ send: UnsafeRawBufferPointer, counts: [Int], into receive: UnsafeMutableRawBufferPointer, root: Int?)

    /// Personalised exchange: `send` holds, in rank order, `sendCounts[d]` bytes for each rank d;
    /// `receive` gets, in rank order, `receiveCounts[q]` bytes from each rank q (what q sends
    /// here, agreed beforehand).
    func alltoall(_ send: UnsafeRawBufferPointer, sendCounts: [Int], into receive: UnsafeMutableRawBufferPointer, receiveCounts: [Int])

    /// Returns when every rank has called it.
    func barrier()

    /// `agree` is about to throw `error` on every rank (a launcher then ends all ranks together
    /// rather than stopping the others as for an error only this rank saw).
    func noteAgreed(_ error: PlexusError)
}

extension Communicator {
    public func noteAgreed(_ error: PlexusError) {}

    /// One `Int64` from every rank, in rank order.
    public func allgather(_ value: Int64) -> [Int64] {
        allgather([value]).map { $0[0] }
    }

    /// `values` (the same count on every rank) from every rank, in rank order.
    public func allgather(_ values: [Int64]) -> [[Int64]] {
        if size == 1 { return [values] }
        let n = values.count
        var all = [Int64](repeating: 0, count: n * size)
        values.withUnsafeBytes { send in
            all.withUnsafeMutableBytes { gather(send, counts: Array(repeating: n * 8, count: size), into: $0, root: nil) }
        }
        return (0..<size).map { Array(all[($0 * n)..<($0 * n + n)]) }
    }

    public func minimum(_ value: Int64) -> Int64 { allgather(value).min()! }
    public func maximum(_ value: Int64) -> Int64 { allgather(value).max()! }
    public func sum(_ value: Int64) -> Int64 { allgather(value).reduce(0, &+) }

    /// Every rank's bytes, in rank order, at every rank (`root` nil) or at `root` only (empty
    /// elsewhere).
    public func gather(_ bytes: [UInt8], root: Int? = nil) -> [[UInt8]] {
        if size == 1 { return [bytes] }
        let counts = allgather(Int64(bytes.count)).map { Int($0) }
        let receives = root == nil || root == rank
        var all = [UInt8](repeating: 0, count: receives ? counts.reduce(0, +) : 0)
        bytes.withUnsafeBytes { send in
            all.withUnsafeMutableBytes { gather(send, counts: counts, into: $0, root: root) }
        }
        guard receives else { return [] }
        var out: [[UInt8]] = []
        var at = 0
        for c in counts { out.append(Array(all[at..<(at + c)])); at += c }
        return out
    }

    /// Every rank's array of trivial values (`Spike`s, samples), at `root` (nil: at every rank).
    public func gather<T: BitwiseCopyable>(_ values: [T], root: Int? = nil) -> [[T]] {
        if size == 1 { return [values] }
        let bytes = values.withUnsafeBytes { Array($0) }
        return gather(bytes, root: root).map { b in
            b.withUnsafeBytes { raw in Array(raw.bindMemory(to: T.self)) }
        }
    }

    /// Runs `body` here, then agrees (`agree`): when it failed on any rank, every rank throws
    /// the error of the lowest such rank; otherwise each rank gets its own result.
    public func agreeing<T>(_ body: () throws -> T) throws -> T {
        var value: T?
        var failure: PlexusError?
        do { value = try body() } catch let e as PlexusError { failure = e } catch { failure = PlexusError("\(error)") }
        try agree(failure)
        return value!
    }

    /// The collective end of a phase that can fail on some ranks and not others (a drawn value
    /// out of range on the rank that drew it): when any rank has an error, every rank throws the
    /// error of the lowest such rank, so all ranks leave together and report the same thing.
    public func agree(_ error: PlexusError?) throws {
        if size == 1 {
            if let error { throw error }
            return
        }
        let flags = allgather(error == nil ? 0 : 1)
        guard let first = flags.firstIndex(of: 1) else { return }
        let mine = error.map { [$0.message, $0.file ?? "\u{0}", $0.line.map(String.init) ?? "\u{0}", $0.keyPath ?? "\u{0}"].joined(separator: "\u{1}") } ?? ""
        let texts = gather(Array(mine.utf8))
        let fields = String(decoding: texts[first], as: UTF8.self).components(separatedBy: "\u{1}")
        func field(_ k: Int) -> String? { k < fields.count && fields[k] != "\u{0}" ? fields[k] : nil }
        let agreed = PlexusError(fields[0], file: field(1), line: field(2).flatMap { Int($0) }, keyPath: field(3))
        noteAgreed(agreed)
        throw agreed
    }
}

/// A run of one process: rank 0 of 1. Collectives copy.
public final class SingleProcess: Communicator {
    public static let shared = SingleProcess()
    public var rank: Int { 0 }
    public var size: Int { 1 }

    public func gather(_ send: UnsafeRawBufferPointer, counts: [Int], into receive: UnsafeMutableRawBufferPointer, root: Int?) {
        if send.count > 0 { receive.baseAddress!.copyMemory(from: send.baseAddress!, byteCount: send.count) }
    }

    public func alltoall(_ send: UnsafeRawBufferPointer, sendCounts: [Int], into receive: UnsafeMutableRawBufferPointer, receiveCounts: [Int]) {
        if send.count > 0 { receive.baseAddress!.copyMemory(from: send.baseAddress!, byteCount: sendCounts[0]) }
    }

    public func barrier() {}
}

/// `size` ranks as threads of one process, each with its own `InProcessRanks.Rank`: the
/// distributed code paths (partitions, exchanges, gathers, agreement on errors) run without
/// mpirun, so unit tests cover them on any machine. Start one thread per rank with `run`.
public final class InProcessRanks: @unchecked Sendable {
    public let size: Int
    private let team: ThreadTeam
    // What each rank offers to the collective in progress.
    private let sends: UnsafeMutablePointer<UnsafeRawBufferPointer>
    // Each rank writes its own slot (raw storage: no shared array to mutate from many threads).
    private let counts: UnsafeMutablePointer<[Int]>

    public init(size: Int) {
        precondition(size >= 1)
        self.size = size
        team = ThreadTeam(threads: size)
        sends = .allocate(capacity: size)
        sends.initialize(repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: size)
        counts = .allocate(capacity: size)
        counts.initialize(repeating: [], count: size)
    }

    deinit {
        sends.deallocate()
        counts.deinitialize(count: size)
        counts.deallocate()
    }

    /// Runs `body(rank)` on `size` threads, one per rank, and waits for all.
    public func run(_ body: @escaping @Sendable (Rank) -> Void) {
        team.run { r in body(Rank(group: self, rank: r)) }
    }

    /// One rank's view: a `Communicator`.
    public final class Rank: Communicator, @unchecked Sendable {
        let group: InProcessRanks
        public let rank: Int
        public var size: Int { group.size }

        init(group: InProcessRanks, rank: Int) {
            self.group = group
            self.rank = rank
        }

        public func gather(_ send: UnsafeRawBufferPointer, counts: [Int], into receive: UnsafeMutableRawBufferPointer, root: Int?) {
            precondition(send.count == counts[rank], "rank \(rank) offers \(send.count) bytes, the counts say \(counts[rank])")
            group.sends[rank] = send
            group.team.barrier()
            if root == nil || root == rank {
                var at = 0
                for r in 0..<size {
                    let s = group.sends[r]
                    if s.count > 0 { (receive.baseAddress! + at).copyMemory(from: s.baseAddress!, byteCount: s.count) }
                    at += counts[r]
                }
            }
            group.team.barrier()   // the senders' buffers stay until every rank has copied
        }

        public func alltoall(_ send: UnsafeRawBufferPointer, sendCounts: [Int], into receive: UnsafeMutableRawBufferPointer, receiveCounts: [Int]) {
            group.sends[rank] = send
            group.counts[rank] = sendCounts
            group.team.barrier()
            var at = 0
            for q in 0..<size {
                let counts = group.counts[q]
                let offset = counts[0..<rank].reduce(0, +)
                precondition(counts[rank] == receiveCounts[q], "rank \(q) sends \(counts[rank]) bytes to rank \(rank), which expects \(receiveCounts[q])")
                if counts[rank] > 0 { (receive.baseAddress! + at).copyMemory(from: group.sends[q].baseAddress! + offset, byteCount: counts[rank]) }
                at += counts[rank]
            }
            group.team.barrier()
        }

        public func barrier() { group.team.barrier() }
    }
}

/// What a rank sends in a gather of records (sweep points, probe traces): little-endian 64-bit
/// integers and doubles, and UTF-8 strings and double arrays after their count.
public struct GatherWriter {
    public var bytes: [UInt8] = []
    public init() {}
    public mutating func int(_ v: Int) { withUnsafeBytes(of: Int64(v).littleEndian) { bytes += $0 } }
    public mutating func double(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
    public mutating func doubles(_ v: [Double]) { int(v.count); for x in v { double(x) } }
    public mutating func string(_ s: String) { let u = Array(s.utf8); int(u.count); bytes += u }
}

/// Reads what a `GatherWriter` wrote, in the same order.
public struct GatherReader {
    public let bytes: [UInt8]
    public private(set) var at: Int
    public init(_ bytes: [UInt8], at: Int = 0) { self.bytes = bytes; self.at = at }
    public var atEnd: Bool { at >= bytes.count }
    public mutating func int() -> Int {
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
        at += 8
        return Int(Int64(bitPattern: v))
    }
    public mutating func double() -> Double { Double(bitPattern: UInt64(bitPattern: Int64(int()))) }
    public mutating func doubles() -> [Double] { (0..<int()).map { _ in double() } }
    public mutating func string() -> String {
        let n = int()
        defer { at += n }
        return String(decoding: bytes[at..<(at + n)], as: UTF8.self)
    }
}
