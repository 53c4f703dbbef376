import Foundation

/// A minimal reader for numpy's .npy files (format 1.0-3.0): little-endian float32/float64/int
/// arrays in C or Fortran order (tvb-data's MEG lead field is Fortran-ordered), returned in C order.
public struct NpyArray: Sendable {
    public let shape: [Int]
    /// Values in C order, converted to Double.
    public let values: [Double]

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw PlexusError("cannot read the file", file: path) }
        try self.init(data: data, name: path)
    }

    public init(data: Data, name: String = "<npy>") throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw PlexusError("not a .npy file (bad magic)", file: name)
        }
        let major = bytes[6]
        var offset: Int, headerLength: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            offset = 10
        } else {
            guard bytes.count >= 12 else { throw PlexusError("truncated .npy header", file: name) }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            offset = 12
        }
        guard bytes.count >= offset + headerLength else { throw PlexusError("truncated .npy header", file: name) }
        let header = String(decoding: bytes[offset..<(offset + headerLength)], as: UTF8.self)
        offset += headerLength
        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descrField = field("descr"), let q1 = descrField.firstIndex(of: "'") else {
            throw PlexusError("no dtype in the .npy header", file: name)
        }
        let rest = descrField[descrField.index(after: q1)...]
        guard let q2 = rest.firstIndex(of: "'") else { throw PlexusError("bad dtype in the .npy header", file: name) }
        let descr = String(rest[..<q2])
        let fortran = field("fortran_order")?.hasPrefix("True") ?? false
        guard let s = field("shape"), let open = s.firstIndex(of: "("), let close = s.firstIndex(of: ")") else {
            throw PlexusError("no shape in the .npy header", file: name)
        }
        shape = s[s.index(after: open)..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        var count = 1
        for d in shape {
            let (c, overflow) = count.multipliedReportingOverflow(by: d)
            guard d >= 0, !overflow, c <= Int(Int32.max) else { throw PlexusError("the .npy shape \(shape) is too large", file: name) }
            count = c
        }
        let size: Int
        switch descr {
        case "<f8", "<i8", "<u8": size = 8
        case "<f4", "<i4", "<u4": size = 4
        default: throw PlexusError("unsupported .npy dtype '\(descr)' (little-endian float/int 4 or 8 bytes only)", file: name)
        }
        guard bytes.count >= offset + count * size else { throw PlexusError("truncated .npy data", file: name) }
        var out = [Double](repeating: 0, count: count)
        if descr == "<f8" {
            // The common case (and what Plexus writes): the bytes are the values.
            out.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + 8 * count)])) }
            }
            #if _endian(big)
            for k in 0..<count { out[k] = Double(bitPattern: UInt64(littleEndian: out[k].bitPattern)) }
            #endif
        } else {
            bytes.withUnsafeBytes { raw in
                let p = raw.baseAddress! + offset
                for k in 0..<count {
                    switch descr {
                    case "<f8": out[k] = p.loadUnaligned(fromByteOffset: 8 * k, as: Double.self)
                    case "<f4": out[k] = Double(p.loadUnaligned(fromByteOffset: 4 * k, as: Float.self))
                    case "<i8": out[k] = Double(p.loadUnaligned(fromByteOffset: 8 * k, as: Int64.self))
                    case "<u8": out[k] = Double(p.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self))
                    case "<i4": out[k] = Double(p.loadUnaligned(fromByteOffset: 4 * k, as: Int32.self))
                    default: out[k] = Double(p.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self))
                    }
                }
            }
        }
        if fortran && shape.count > 1 {
            // File order has the first index fastest; C order the last.
            var c = [Double](repeating: 0, count: count)
            var index = [Int](repeating: 0, count: shape.count)
            var strides = [Int](repeating: 1, count: shape.count)
            for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
            for k in 0..<count {
                var at = 0
                for d in 0..<shape.count { at += index[d] * strides[d] }
                c[at] = out[k]
                for d in 0..<shape.count {
                    index[d] += 1
                    if index[d] < shape[d] { break }
                    index[d] = 0
                }
            }
            out = c
        }
        values = out
    }
}

/// numpy's .npy format for writing: a float64 ('<f8'), C-order array. The header is format 1.0
/// (2.0 when it would exceed 65535 bytes), padded with spaces so that the data start on a
/// 64-byte boundary, as numpy.save writes it; `numpy.load` reads the file back exactly.
public enum NpyFormat {
    /// The magic, version, header length and header of a little-endian float64 array of `shape`.
    public static func header(shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '<f8', 'fortran_order': False, 'shape': \(dims), }"
        var prefix = 10
        if dict.utf8.count + 1 + prefix > 65535 { prefix = 12 }
        let total = (prefix + dict.utf8.count + 1 + 63) / 64 * 64
        dict += String(repeating: " ", count: total - prefix - dict.utf8.count - 1) + "\n"
        let n = dict.utf8.count
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8)
        if prefix == 10 {
            out += [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)]
        } else {
            out += [2, 0, UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24 & 0xFF)]
        }
        return out + Array(dict.utf8)
    }

    /// A whole .npy file of `values` (C order) with `shape`.
    public static func file(shape: [Int], values: [Double]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "npy: \(values.count) values for shape \(shape)")
        var out = header(shape: shape)
        #if _endian(big)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
        #else
        values.withUnsafeBytes { out += $0 }
        #endif
        return out
    }
}
