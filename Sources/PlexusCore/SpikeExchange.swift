/// Where the spikes of one epoch (one minimum delay) cross between the parts of a network that
/// update apart: the threads of one process (`ThreadSpikeExchange`) or the threads of every MPI
/// rank (`RankSpikeExchange`). Each part publishes the spikes it emitted in the epoch, in step
/// order; after `exchange`, every part reads the spikes of each step from every part of the whole
/// run in the same order (part 0 of rank 0 first), so delivery, and every floating-point sum it
/// makes, is the same for any split of the network.
public protocol SpikeExchange<Element>: AnyObject {
    associatedtype Element

    /// Number of parts whose spikes can be read after an exchange (all ranks' threads).
    var parts: Int { get }

    /// Local part `part` (this process's thread) offers its spikes of `epoch`, which has `steps`
    /// steps: `spikes` in step order and `stepOffsets[k]`, where step k starts in `spikes`
    /// (`steps + 1` entries). Both must stay valid and unchanged until every part has passed
    /// the exchange of `epoch + 1` (engines keep two epochs of spike buffers, by the epoch's
    /// parity).
    func publish(part: Int, epoch: Int64, steps: Int, spikes: UnsafePointer<Element>, stepOffsets: UnsafePointer<Int>)

    /// Returns when every part's spikes of `epoch` can be read; every local part calls it once
    /// per epoch, with whether it failed (a blow-up): the result says whether any part of the
    /// run failed, so that all stop after the same epoch.
    func exchange(part: Int, epoch: Int64, failed: Bool) -> Bool

    /// The spikes that part `p` (of all `parts`) emitted in step `k` of `epoch`, after the exchange.
    func spikes(of p: Int, step k: Int, epoch: Int64) -> UnsafeBufferPointer<Element>
}

/// The exchange between the threads of one process: the spike lists stay where their threads
/// wrote them, and the exchange is the team's barrier.
public final class ThreadSpikeExchange<Element>: SpikeExchange, @unchecked Sendable {
    public let team: ThreadTeam
    public var parts: Int { team.count }
    /// Per parity and part: the published list and its step offsets.
    @usableFromInline let published: PublishedParts<Element>

    public init(team: ThreadTeam) {
        self.team = team
        published = PublishedParts(parts: team.count)
    }

    @inlinable
    public func publish(part: Int, epoch: Int64, steps: Int, spikes: UnsafePointer<Element>, stepOffsets: UnsafePointer<Int>) {
        published.publish(part: part, epoch: epoch, spikes: spikes, stepOffsets: stepOffsets)
    }

    @inlinable
    public func exchange(part: Int, epoch: Int64, failed: Bool) -> Bool {
        published.failed[published.slot(part, epoch)] = failed
        team.barrier()
        for p in 0..<team.count where published.failed[published.slot(p, epoch)] { return true }
        return false
    }

    @inlinable
    public func spikes(of p: Int, step k: Int, epoch: Int64) -> UnsafeBufferPointer<Element> {
        published.spikes(of: p, step: k, epoch: epoch)
    }
}

/// What each local part (thread) published, per epoch parity: its spike list, the list's step
/// offsets and whether it failed. By parity, so that what a part published for one epoch stays
/// until everyone has passed the next exchange.
@usableFromInline final class PublishedParts<Element> {
    @usableFromInline let parts: Int
    @usableFromInline let lists: UnsafeMutablePointer<UnsafePointer<Element>?>
    @usableFromInline let offsets: UnsafeMutablePointer<UnsafePointer<Int>?>
    @usableFromInline let failed: UnsafeMutablePointer<Bool>

    @usableFromInline init(parts: Int) {
        self.parts = parts
        lists = .allocate(capacity: 2 * parts)
        lists.initialize(repeating: nil, count: 2 * parts)
        offsets = .allocate(capacity: 2 * parts)
        offsets.initialize(repeating: nil, count: 2 * parts)
        failed = .allocate(capacity: 2 * parts)
        failed.initialize(repeating: false, count: 2 * parts)
    }

    deinit {
        lists.deallocate()
        offsets.deallocate()
        failed.deallocate()
    }

    @inlinable func slot(_ part: Int, _ epoch: Int64) -> Int { Int(epoch & 1) &* parts &+ part }

    @inlinable func publish(part: Int, epoch: Int64, spikes: UnsafePointer<Element>, stepOffsets: UnsafePointer<Int>) {
        let i = slot(part, epoch)
        lists[i] = spikes
        offsets[i] = stepOffsets
    }

    /// Part `p`'s list and step offsets of `epoch`.
    @inlinable func list(_ p: Int, _ epoch: Int64) -> (spikes: UnsafePointer<Element>, offsets: UnsafePointer<Int>) {
        let i = slot(p, epoch)
        return (lists[i].unsafelyUnwrapped, offsets[i].unsafelyUnwrapped)
    }

    @inlinable func spikes(of p: Int, step k: Int, epoch: Int64) -> UnsafeBufferPointer<Element> {
        let (list, o) = self.list(p, epoch)
        return UnsafeBufferPointer(start: list + o[k], count: o[k &+ 1] &- o[k])
    }
}

/// Which ranks need the spikes of each source this rank owns: sources `firstSource ..<
/// firstSource + offsets.count - 1`, source s goes to ranks `ranks[offsets[s - firstSource] ..<
/// offsets[s - firstSource + 1]]` (in rank order). Made once when the network is built.
public struct SpikeRoutes: Sendable {
    public let firstSource: Int
    public let offsets: [Int32]
    public let ranks: [Int32]

    public init(firstSource: Int, offsets: [Int32], ranks: [Int32]) {
        self.firstSource = firstSource
        self.offsets = offsets
        self.ranks = ranks
    }

    /// Ranks listed over all sources (a source sent to k ranks counts k).
    public var deliveries: Int { ranks.count }
}

/// How the ranks' spikes of an epoch cross: to every rank, or only to the ranks that host a
/// target of the sender (NEST 3's scheme).
public enum SpikeExchangeMode: String, Sendable, CaseIterable {
    /// MPI_Allgather of the counts, MPI_Allgatherv of the spikes: every rank receives every spike.
    case gather
    /// MPI_Alltoall of the counts, MPI_Alltoallv of the spikes: a spike goes to the ranks
    /// that need it (`SpikeRoutes`), once each.
    case targeted
}

/// The exchange between the threads of every rank of an MPI run (or of `InProcessRanks`): the
/// team's barrier, then member 0 of each rank sends its threads' spikes of the epoch, two
/// collectives an epoch (the per-thread, per-step counts with a failure flag, then the spikes),
/// and a second barrier. `.gather` sends every spike to every rank; `.targeted` only to the ranks
/// that need it (each receiver then reads only the spikes it delivers or records, in the same
/// order). Global part `r * threads + t` is thread t of rank r: with neurons split in that order,
/// reading parts in order reads senders in gid order, as one process does. Every rank must run
/// the same number of threads.
public final class RankSpikeExchange<Element: BitwiseCopyable>: SpikeExchange, @unchecked Sendable {
    public let team: ThreadTeam
    public let communicator: any Communicator
    public var parts: Int { communicator.size * team.count }
    /// Bytes sent and received by this rank, summed over epochs (for the scaling figures).
    public private(set) var bytesSent = 0
    public private(set) var bytesReceived = 0

    // What the local parts published.
    let published: PublishedParts<Element>
    var steps = [0, 0]
    // Per parity: every part's spikes in part order, where part p's step k starts (index
    // p * (steps + 1) + k), and whether any part failed.
    var received: [UnsafeMutablePointer<Element>] = [.allocate(capacity: 1), .allocate(capacity: 1)]
    var receivedCapacity = [1, 1]
    var starts: [[Int]] = [[], []]
    var failed = [false, false]
    var send: UnsafeMutablePointer<Element> = .allocate(capacity: 1)
    var sendCapacity = 1

    /// With `.targeted`: where each source's spikes go, and the source of a spike.
    let routes: SpikeRoutes?
    let sourceOf: ((Element) -> Int)?

    /// The gather: every spike to every rank.
    public convenience init(team: ThreadTeam, communicator: any Communicator) {
        self.init(team: team, communicator: communicator, routes: nil, source: nil)
    }

    deinit {
        received[0].deallocate()
        received[1].deallocate()
        send.deallocate()
    }

    /// The targeted exchange: spikes go to the ranks `routes` lists for their source.
    public convenience init(team: ThreadTeam, communicator: any Communicator, routes: SpikeRoutes,
                            sourceOf: @escaping (Element) -> Int) {
        self.init(team: team, communicator: communicator, routes: routes, source: sourceOf)
    }

    init(team: ThreadTeam, communicator: any Communicator, routes: SpikeRoutes?, source: ((Element) -> Int)?) {
        self.team = team
        self.communicator = communicator
        self.routes = routes
        self.sourceOf = source
        published = PublishedParts(parts: team.count)
    }

    public var mode: SpikeExchangeMode { routes == nil ? .gather : .targeted }

    public func publish(part: Int, epoch: Int64, steps: Int, spikes: UnsafePointer<Element>, stepOffsets: UnsafePointer<Int>) {
        published.publish(part: part, epoch: epoch, spikes: spikes, stepOffsets: stepOffsets)
        if part == 0 { self.steps[Int(epoch & 1)] = steps }
    }

    public func exchange(part: Int, epoch: Int64, failed: Bool) -> Bool {
        let parity = Int(epoch & 1)
        published.failed[published.slot(part, epoch)] = failed
        team.barrier()
        if part == 0 { if routes == nil { gather(epoch) } else { sendTargeted(epoch) } }
        team.barrier()
        return self.failed[parity]
    }

    /// Member 0: every rank's counts, then every rank's spikes.
    func gather(_ epoch: Int64) {
        let parity = Int(epoch & 1)
        let threads = team.count, s = steps[parity]
        // Header: counts per (thread, step), then the failure flag.
        var header = [Int64](repeating: 0, count: threads * s + 1)
        var total = 0
        for t in 0..<threads {
            let o = published.list(t, epoch).offsets
            for k in 0..<s { header[t * s + k] = Int64(o[k + 1] - o[k]) }
            total += o[s] - o[0]
            if published.failed[published.slot(t, epoch)] { header[threads * s] = 1 }
        }
        let headers = communicator.allgather(header)
        reserveSend(total)
        var at = 0
        for t in 0..<threads {
            let (list, o) = published.list(t, epoch)
            let n = o[s] - o[0]
            if n > 0 { (send + at).update(from: list + o[0], count: n) }
            at += n
        }
        let (counts, position) = layOutReceived(parity: parity, steps: s) { r, i in headers[r][i] }
        communicator.gather(UnsafeRawBufferPointer(start: send, count: total * MemoryLayout<Element>.stride), counts: counts,
                            into: UnsafeMutableRawBufferPointer(start: received[parity], count: position * MemoryLayout<Element>.stride),
                            root: nil)
        bytesSent += total * MemoryLayout<Element>.stride + header.count * 8
        bytesReceived += position * MemoryLayout<Element>.stride + headers.count * header.count * 8
    }

    /// Member 0, `.targeted`: per destination rank, counts per (thread, step) and then the
    /// spikes bound there, in the same (thread, step, list) order; two personalised exchanges.
    func sendTargeted(_ epoch: Int64) {
        let routes = routes!, sourceOf = sourceOf!
        let parity = Int(epoch & 1)
        let threads = team.count, ranks = communicator.size, s = steps[parity]
        let width = threads * s + 1
        let stride = MemoryLayout<Element>.stride
        // Pass 1: counts per destination and (thread, step).
        var header = [Int64](repeating: 0, count: ranks * width)
        var anyLocalFailure = false
        routes.offsets.withUnsafeBufferPointer { ro in
        routes.ranks.withUnsafeBufferPointer { rr in
            for t in 0..<threads {
                let (list, o) = published.list(t, epoch)
                if published.failed[published.slot(t, epoch)] { anyLocalFailure = true }
                for k in 0..<s {
                    for q in o[k]..<o[k + 1] {
                        let src = sourceOf(list[q]) &- routes.firstSource
                        for j in Int(ro[src])..<Int(ro[src &+ 1]) { header[Int(rr[j]) &* width &+ t &* s &+ k] &+= 1 }
                    }
                }
            }
        }}
        var sendCounts = [Int](repeating: 0, count: ranks)
        for d in 0..<ranks {
            if anyLocalFailure { header[d * width + width - 1] = 1 }
            var n = 0
            for i in 0..<(width - 1) { n += Int(header[d * width + i]) }
            sendCounts[d] = n
        }
        let total = sendCounts.reduce(0, +)
        reserveSend(total)
        // Pass 2: the spikes into each destination's segment, in order.
        var cursor = [Int](repeating: 0, count: ranks)
        for d in 1..<Swift.max(ranks, 1) { cursor[d] = cursor[d - 1] + sendCounts[d - 1] }
        routes.offsets.withUnsafeBufferPointer { ro in
        routes.ranks.withUnsafeBufferPointer { rr in
            for t in 0..<threads {
                let (list, o) = published.list(t, epoch)
                for q in o[0]..<o[s] {
                    let spike = list[q]
                    let src = sourceOf(spike) &- routes.firstSource
                    for j in Int(ro[src])..<Int(ro[src &+ 1]) {
                        let d = Int(rr[j])
                        (send + cursor[d]).initialize(to: spike)
                        cursor[d] &+= 1
                    }
                }
            }
        }}
        // Every rank's header for this rank, then the spikes.
        var headers = [Int64](repeating: 0, count: ranks * width)
        header.withUnsafeBytes { h in
            headers.withUnsafeMutableBytes { communicator.alltoall(h, sendCounts: Array(repeating: width * 8, count: ranks), into: $0,
                                                                    receiveCounts: Array(repeating: width * 8, count: ranks)) }
        }
        let (receiveCounts, position) = layOutReceived(parity: parity, steps: s) { r, i in headers[r * width + i] }
        communicator.alltoall(UnsafeRawBufferPointer(start: send, count: total * stride), sendCounts: sendCounts.map { $0 * stride },
                              into: UnsafeMutableRawBufferPointer(start: received[parity], count: position * stride), receiveCounts: receiveCounts)
        bytesSent += total * stride + header.count * 8
        bytesReceived += position * stride + headers.count * 8
    }

    /// Room for `count` spikes to send (grown, never shrunk: no allocation in a steady run).
    func reserveSend(_ count: Int) {
        guard count > sendCapacity else { return }
        send.deallocate()
        sendCapacity = Swift.max(count, 2 * sendCapacity)
        send = .allocate(capacity: sendCapacity)
    }

    /// From every rank's header for this rank (`header(r, i)`: i = t·s + k the count of thread t's
    /// step k, i = threads·s the failure flag): where each part's steps start in the received
    /// spikes, whether any part failed, and room to receive them. Returns the bytes expected from
    /// each rank and the spikes in all.
    func layOutReceived(parity: Int, steps s: Int, header: (Int, Int) -> Int64) -> (bytes: [Int], spikes: Int) {
        let threads = team.count, ranks = communicator.size
        var bytes = [Int](repeating: 0, count: ranks)
        var position = 0
        var anyFailed = false
        starts[parity].removeAll(keepingCapacity: true)
        for r in 0..<ranks {
            let first = position
            for t in 0..<threads {
                for k in 0..<s {
                    starts[parity].append(position)
                    position += Int(header(r, t * s + k))
                }
                starts[parity].append(position)
            }
            bytes[r] = (position - first) * MemoryLayout<Element>.stride
            if header(r, threads * s) != 0 { anyFailed = true }
        }
        failed[parity] = anyFailed
        if position > receivedCapacity[parity] {
            received[parity].deallocate()
            receivedCapacity[parity] = Swift.max(position, 2 * receivedCapacity[parity])
            received[parity] = .allocate(capacity: receivedCapacity[parity])
        }
        return (bytes, position)
    }

    public func spikes(of p: Int, step k: Int, epoch: Int64) -> UnsafeBufferPointer<Element> {
        let parity = Int(epoch & 1), s = steps[parity]
        let i = p * (s + 1) + k
        let lo = starts[parity][i]
        return UnsafeBufferPointer(start: received[parity] + lo, count: starts[parity][i + 1] - lo)
    }
}
