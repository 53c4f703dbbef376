/// A fixed-size buffer of plain values, owned by a final class so hot loops can take its
/// `UnsafeMutableBufferPointer` once (no uniqueness or exclusivity checks per element).
public final class Storage<Element>: @unchecked Sendable {
    public let buffer: UnsafeMutableBufferPointer<Element>

    public init(repeating value: Element, count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: value)
    }

    public init(_ values: [Element]) {
        buffer = .allocate(capacity: values.count)
        _ = buffer.initialize(from: values)
    }

    deinit {
        buffer.deinitialize()
        buffer.deallocate()
    }

    @inlinable public var count: Int { buffer.count }
    @inlinable public var base: UnsafeMutablePointer<Element> { buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)! }
    @inlinable public subscript(i: Int) -> Element {
        get { buffer[i] }
        set { buffer[i] = newValue }
    }
    public var array: [Element] { Array(buffer) }
}

/// A growable list of plain values for append-only recording with amortised growth (no per-step
/// allocation once warm).
public struct GrowableBuffer<Element>: @unchecked Sendable {
    @usableFromInline var _base: UnsafeMutablePointer<Element>
    public var base: UnsafeMutablePointer<Element> { _base }
    @usableFromInline var _count: Int = 0
    public var count: Int { _count }
    @usableFromInline var capacity: Int

    public init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        _base = .allocate(capacity: self.capacity)
    }

    @inlinable @inline(__always)
    public mutating func append(_ v: Element) {
        if _count == capacity { grow() }
        (_base + _count).initialize(to: v)
        _count += 1
    }

    @usableFromInline mutating func grow() {
        let newCap = capacity * 2
        let nb = UnsafeMutablePointer<Element>.allocate(capacity: newCap)
        nb.moveInitialize(from: _base, count: _count)
        _base.deallocate()
        _base = nb
        capacity = newCap
    }

    public mutating func removeAll() {
        _base.deinitialize(count: _count)
        _count = 0
    }

    @inlinable public subscript(i: Int) -> Element { _base[i] }

    public var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Frees the memory; the buffer must not be used afterwards.
    public mutating func free() {
        _base.deinitialize(count: _count)
        _base.deallocate()
        _count = 0
        capacity = 0
    }
}
