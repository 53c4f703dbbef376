/// Where the spikes of one epoch (one minimum delay) cross between the parts of a network that
/// update apart: the threads of one process now (`ThreadSpikeExchange`), MPI ranks next. Each
/// part publishes the spikes it emitted in the epoch, in step order; after `exchange`, every part
/// reads the spikes of each step from every part in the same order (part 0 first), so delivery,
/// and every floating-point sum it makes, is the same for any split of the network.
public protocol SpikeExchange<Element>: AnyObject {
    associatedtype Element

    /// Number of parts whose spikes can be read after an exchange.
    var parts: Int { get }

    /// Part `part` offers its spikes of `epoch`: `spikes` in step order and `stepOffsets[k]`, where
    /// step k of the epoch starts in `spikes` (one entry more than the epoch has steps). Both
    /// must stay valid and unchanged until every part has passed the exchange of `epoch + 1`
    /// (engines keep two epochs of spike buffers, by the epoch's parity).
    func publish(part: Int, epoch: Int64, spikes: UnsafePointer<Element>, stepOffsets: UnsafePointer<Int>)

    /// Returns when every part's spikes of `epoch` can be read; every part calls it once per epoch.
    func exchange(part: Int, epoch: Int64)

    /// The spikes that part `p` emitted in step `k` of `epoch` (after the exchange).
    func spikes(of p: Int, step k: Int, epoch: Int64) -> UnsafeBufferPointer<Element>
}

/// The exchange between the threads of one process: the spike lists stay where their threads
/// wrote them, and the exchange is the team's barrier.
public final class ThreadSpikeExchange<Element>: SpikeExchange, @unchecked Sendable {
    public let team: ThreadTeam
    public var parts: Int { team.count }
    /// Per parity and part: the published list and its step offsets.
    @usableFromInline let lists: UnsafeMutablePointer<UnsafePointer<Element>?>
    @usableFromInline let offsets: UnsafeMutablePointer<UnsafePointer<Int>?>

    public init(team: ThreadTeam) {
        self.team = team
        lists = .allocate(capacity: 2 * team.count)
        lists.initialize(repeating: nil, count: 2 * team.count)
        offsets = .allocate(capacity: 2 * team.count)
        offsets.initialize(repeating: nil, count: 2 * team.count)
    }

    deinit {
        lists.deallocate()
        offsets.deallocate()
    }

    @inlinable func slot(_ part: Int, _ epoch: Int64) -> Int { Int(epoch & 1) &* team.count &+ part }

    @inlinable
    public func publish(part: Int, epoch: Int64, spikes: UnsafePointer<Element>, stepOffsets: UnsafePointer<Int>) {
        let i = slot(part, epoch)
        lists[i] = spikes
        offsets[i] = stepOffsets
    }

    @inlinable
    public func exchange(part: Int, epoch: Int64) { team.barrier() }

    @inlinable
    public func spikes(of p: Int, step k: Int, epoch: Int64) -> UnsafeBufferPointer<Element> {
        let i = slot(p, epoch)
        let o = offsets[i].unsafelyUnwrapped
        return UnsafeBufferPointer(start: lists[i].unsafelyUnwrapped + o[k], count: o[k &+ 1] &- o[k])
    }
}
