import CSHA256

/// SHA-256 (FIPS 180-4), for the checksums of output files in provenance records. The block
/// compression is C (Sources/CSHA256): the x86 SHA extensions when the CPU has them (~1.5 GB/s),
/// portable C otherwise (~240 MB/s); the digest is the same either way.
public struct SHA256 {
    private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    /// Whether this CPU's SHA extensions do the hashing.
    public static var hardware: Bool { plexus_sha256_hardware() != 0 }

    public init() {}

    public mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        // Contiguous input (Data, [UInt8]) is hashed straight from its buffer; other sequences
        // through a 64-byte staging buffer.
        let done: Void? = bytes.withContiguousStorageIfAvailable { buf in update(buffer: UnsafeRawBufferPointer(buf)) }
        if done != nil { return }
        for b in bytes {
            pending.append(b)
            length &+= 1
            if pending.count == 64 { compress(pending); pending.removeAll(keepingCapacity: true) }
        }
    }

    public mutating func update(buffer: UnsafeRawBufferPointer) {
        guard buffer.count > 0 else { return }
        var i = 0
        length &+= UInt64(buffer.count)
        // Top up a partial block first.
        if !pending.isEmpty {
            let take = min(64 - pending.count, buffer.count)
            pending.append(contentsOf: buffer[0..<take])
            i = take
            if pending.count == 64 { compress(pending); pending.removeAll(keepingCapacity: true) }
        }
        let blocks = (buffer.count - i) / 64
        if blocks > 0 {
            let base = buffer.baseAddress!.advanced(by: i).assumingMemoryBound(to: UInt8.self)
            h.withUnsafeMutableBufferPointer { plexus_sha256_blocks($0.baseAddress!, base, blocks) }
            i += 64 * blocks
        }
        if i < buffer.count { pending.append(contentsOf: buffer[i...]) }
    }

    public mutating func finalize() -> String {
        let bits = length &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for i in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
        compress(tail)
        return h.map { v in
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 8 - s.count) + s
        }.joined()
    }

    public static func hex(buffer: UnsafeRawBufferPointer) -> String {
        var s = SHA256()
        s.update(buffer: buffer)
        return s.finalize()
    }

    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = SHA256()
        s.update(bytes)
        return s.finalize()
    }

    /// Whole 64-byte blocks of `bytes` into the state.
    private mutating func compress(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { b in
            h.withUnsafeMutableBufferPointer { plexus_sha256_blocks($0.baseAddress!, b.baseAddress!, b.count / 64) }
        }
    }
}
