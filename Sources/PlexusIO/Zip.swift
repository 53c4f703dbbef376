import CBZip2
import CZlib
import Foundation
import PlexusCore

/// Reads the members of a zip archive (stored or deflated; what TVB's connectivity zips use)
/// with every size checked against the file and a ceiling before anything is inflated: a
/// corrupt or hostile archive gets an error naming the file and member, never a hang (a corrupt
/// deflate stream looped forever in the library this replaced) or an allocation the machine
/// cannot make (a member that inflates to gigabytes).
struct ZipReader {
    struct Entry {
        var name: String
        var method: UInt16
        var flags: UInt16
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var localHeader: Int
    }

    /// The most one member may inflate to: 1 GiB (no connectivity zip comes near: the weights
    /// of connectivity_998 are about 10 MB of text), or an eighth of the memory a run may use.
    /// It bounds what a declared size or a bzip2 bomb can make Plexus allocate.
    static var maxMemberBytes: Int {
        Int(min(Double(1 << 30), (ResourceUsage.memoryAvailableBytes() ?? .infinity) / 8))
    }

    let path: String
    let bytes: [UInt8]
    let entries: [Entry]

    init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else { throw PlexusError("cannot read the zip archive", file: path) }
        bytes = [UInt8](data)
        entries = try Self.centralDirectory(bytes, path: path)
    }

    private static func u16(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ o: Int) -> Int { u16(b, o) | u16(b, o + 2) << 16 }

    private static func centralDirectory(_ b: [UInt8], path: String) throws -> [Entry] {
        func bad(_ why: String) -> PlexusError { PlexusError("not a readable zip archive: \(why)", file: path) }
        // End of central directory: 22 bytes plus a comment of at most 65535.
        guard b.count >= 22 else { throw bad("\(b.count) bytes is too short") }
        var eocd = -1
        for o in stride(from: b.count - 22, through: max(0, b.count - 22 - 65535), by: -1)
        where b[o] == 0x50 && b[o + 1] == 0x4b && b[o + 2] == 5 && b[o + 3] == 6 {
            eocd = o
            break
        }
        guard eocd >= 0 else { throw bad("no end-of-central-directory record") }
        let count = u16(b, eocd + 10), size = u32(b, eocd + 12), start = u32(b, eocd + 16)
        guard count != 0xFFFF, size != 0xFFFF_FFFF, start != 0xFFFF_FFFF else { throw bad("ZIP64 archives are not supported") }
        guard start + size <= eocd else { throw bad("the central directory (\(size) bytes at \(start)) lies outside the file") }
        var entries: [Entry] = []
        var o = start
        for k in 0..<count {
            guard o + 46 <= start + size, u32(b, o) == 0x0201_4b50 else { throw bad("central directory entry \(k + 1) of \(count) is damaged") }
            let nameLength = u16(b, o + 28), extra = u16(b, o + 30), comment = u16(b, o + 32)
            guard o + 46 + nameLength <= start + size else { throw bad("central directory entry \(k + 1) of \(count) is damaged") }
            let name = String(decoding: b[(o + 46)..<(o + 46 + nameLength)], as: UTF8.self)
            entries.append(Entry(name: name, method: UInt16(u16(b, o + 10)), flags: UInt16(u16(b, o + 8)), crc: UInt32(u32(b, o + 16)),
                                 compressedSize: u32(b, o + 20), size: u32(b, o + 24), localHeader: u32(b, o + 42)))
            o += 46 + nameLength + extra + comment
        }
        return entries
    }

    /// The files of the archive (folders and macOS resource forks left out).
    var files: [Entry] {
        entries.filter { !$0.name.hasSuffix("/") && !$0.name.hasPrefix("__MACOSX") && !$0.name.contains("/__MACOSX") }
    }

    /// The content of `e`, inflated and checked against its size and CRC-32.
    func extract(_ e: Entry) throws -> [UInt8] {
        let place = "\(path):\(e.name)"
        func bad(_ why: String) -> PlexusError { PlexusError("the member is corrupt: \(why)", file: place) }
        guard e.flags & 1 == 0 else { throw PlexusError("the member is encrypted", file: place) }
        let h = e.localHeader
        guard h + 30 <= bytes.count, Self.u32(bytes, h) == 0x0403_4b50 else { throw bad("no local header at offset \(h)") }
        let dataStart = h + 30 + Self.u16(bytes, h + 26) + Self.u16(bytes, h + 28)
        guard dataStart + e.compressedSize <= bytes.count else {
            throw bad("its \(e.compressedSize) compressed bytes at offset \(dataStart) run past the end of the file (\(bytes.count) bytes)")
        }
        let limit = Self.maxMemberBytes
        guard e.size <= limit else {
            throw PlexusError("the member declares \(e.size) bytes; members above \(limit) bytes are not read", file: place)
        }
        let input = bytes[dataStart..<(dataStart + e.compressedSize)]
        var out: [UInt8]
        switch e.method {
        case 0:
            guard e.compressedSize == e.size else { throw bad("stored with \(e.compressedSize) bytes but declared \(e.size)") }
            out = Array(input)
        case 8:
            out = try Self.inflate(input, size: e.size, place: place)
        default:
            throw PlexusError("compression method \(e.method) is not supported (stored and deflate are)", file: place)
        }
        let crc = out.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        guard crc == e.crc else { throw bad("CRC-32 mismatch") }
        return out
    }

    /// Raw deflate into exactly `size` bytes: more or less output than declared is corruption.
    private static func inflate(_ input: ArraySlice<UInt8>, size: Int, place: String) throws -> [UInt8] {
        func bad(_ why: String) -> PlexusError { PlexusError("the member is corrupt: \(why)", file: place) }
        var out = [UInt8](repeating: 0, count: size + 1)   // one spare byte shows output beyond `size`
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw PlexusError("zlib could not start", file: place)
        }
        defer { inflateEnd(&stream) }
        var input = Array(input)
        let rc = zlibPass(&stream, &input, &out) { CZlib.inflate(&$0, Z_FINISH) }
        guard rc == Z_STREAM_END else {
            throw bad(rc == Z_BUF_ERROR ? "the deflate stream is cut short or inflates beyond the declared \(size) bytes" : "invalid deflate data (zlib error \(rc))")
        }
        guard Int(stream.total_out) == size else { throw bad("inflates to \(stream.total_out) bytes, not the declared \(size)") }
        out.removeLast()
        return out
    }

    /// One zlib call over all of `input` with all of `out` as room: it ends the stream, or stops
    /// with an error or for want of input or room; never loops.
    static func zlibPass(_ stream: inout z_stream, _ input: inout [UInt8], _ out: inout [UInt8],
                         _ call: (inout z_stream) -> Int32) -> Int32 {
        input.withUnsafeMutableBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                stream.next_in = src.baseAddress
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.baseAddress
                stream.avail_out = uInt(dst.count)
                return call(&stream)
            }
        }
    }

    /// bzip2 data decompressed in chunks, refused beyond `maxMemberBytes` before it is allocated.
    static func bunzip2(_ data: [UInt8], place: String) throws -> [UInt8] {
        var stream = bz_stream()
        guard BZ2_bzDecompressInit(&stream, 0, 0) == BZ_OK else { throw PlexusError("libbz2 could not start", file: place) }
        defer { BZ2_bzDecompressEnd(&stream) }
        var input = data
        let limit = maxMemberBytes
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        return try input.withUnsafeMutableBufferPointer { src in
            try src.baseAddress!.withMemoryRebound(to: CChar.self, capacity: src.count) { s in
                stream.next_in = s
                stream.avail_in = UInt32(src.count)
                while true {
                    let (rc, produced): (Int32, Int) = chunk.withUnsafeMutableBufferPointer { dst in
                        dst.baseAddress!.withMemoryRebound(to: CChar.self, capacity: dst.count) { d in
                            stream.next_out = d
                            stream.avail_out = UInt32(dst.count)
                            let rc = BZ2_bzDecompress(&stream)
                            return (rc, dst.count - Int(stream.avail_out))
                        }
                    }
                    guard rc == BZ_OK || rc == BZ_STREAM_END else {
                        throw PlexusError("corrupt bzip2 data (libbz2 error \(rc))", file: place)
                    }
                    guard out.count + produced <= limit else {
                        throw PlexusError("the bzip2 data inflates beyond \(limit) bytes; members above that are not read", file: place)
                    }
                    out.append(contentsOf: chunk[0..<produced])
                    if rc == BZ_STREAM_END { return out }
                    // No progress with input left would loop: the data ends inside a stream.
                    if produced == 0 && stream.avail_in == 0 {
                        throw PlexusError("corrupt bzip2 data (the stream is cut short)", file: place)
                    }
                }
            }
        }
    }
}

/// Writes a zip archive of deflated members (the counterpart of ZipReader, for exporting
/// connectomes and for tests).
struct ZipWriter {
    private var out: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    private static func put16(_ b: inout [UInt8], _ v: Int) { b += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    private static func put32(_ b: inout [UInt8], _ v: Int) { put16(&b, v & 0xFFFF); put16(&b, v >> 16 & 0xFFFF) }

    mutating func add(_ name: String, _ content: [UInt8], place: String) throws {
        let packed = try Self.deflate(content, place: place)
        let crc = content.withUnsafeBufferPointer { Int(crc32(0, $0.baseAddress, uInt($0.count))) }
        let nameBytes = Array(name.utf8)
        guard packed.count < 0xFFFF_FFFF, content.count < 0xFFFF_FFFF, out.count < 0xFFFF_FFFF else {
            throw PlexusError("members of 4 GiB or more need ZIP64, which is not written", file: place)
        }
        // Version 2.0, no flags, deflate, 1980-01-01 00:00 (a fixed time keeps archives reproducible).
        func common(_ b: inout [UInt8]) {
            Self.put16(&b, 20); Self.put16(&b, 0); Self.put16(&b, 8); Self.put16(&b, 0); Self.put16(&b, 0x21)
            Self.put32(&b, crc); Self.put32(&b, packed.count); Self.put32(&b, content.count); Self.put16(&b, nameBytes.count); Self.put16(&b, 0)
        }
        Self.put32(&central, 0x0201_4b50); Self.put16(&central, 20)
        common(&central)
        Self.put16(&central, 0); Self.put16(&central, 0); Self.put16(&central, 0); Self.put32(&central, 0); Self.put32(&central, out.count)
        central += nameBytes
        Self.put32(&out, 0x0403_4b50)
        common(&out)
        out += nameBytes
        out += packed
        count += 1
    }

    /// The archive's bytes: the members, the central directory and its end record.
    mutating func finish() -> [UInt8] {
        var b = out + central
        Self.put32(&b, 0x0605_4b50); Self.put16(&b, 0); Self.put16(&b, 0); Self.put16(&b, count); Self.put16(&b, count)
        Self.put32(&b, central.count); Self.put32(&b, out.count); Self.put16(&b, 0)
        return b
    }

    private static func deflate(_ input: [UInt8], place: String) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw PlexusError("zlib could not start", file: place)
        }
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 16)
        var input = input
        let rc = ZipReader.zlibPass(&stream, &input, &out) { CZlib.deflate(&$0, Z_FINISH) }
        guard rc == Z_STREAM_END else { throw PlexusError("deflate failed (zlib error \(rc))", file: place) }
        return Array(out.prefix(Int(stream.total_out)))
    }
}
