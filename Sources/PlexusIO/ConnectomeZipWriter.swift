import CBZip2
import Foundation
import PlexusCore
import PlexusMass

extension ConnectomeZip {
    /// Writes a connectome as a TVB connectivity zip (weights.txt, tract_lengths.txt, centres.txt,
    /// and cortical/hemispheres/areas/average_orientations when present), numbers with 17
    /// significant digits so they read back exactly. TVB's `Connectivity.from_file` reads it.
    public static func write(_ c: Connectome, to path: String) throws {
        let n = c.count
        func matrix(_ m: [Double]) -> String {
            var s = ""
            for i in 0..<n { s += (0..<n).map { String(format: "%.17g", m[i * n + $0]) }.joined(separator: " ") + "\n" }
            return s
        }
        var members: [(String, Data)] = [
            ("weights.txt", Data(matrix(c.weights).utf8)),
            ("tract_lengths.txt", Data(matrix(c.tractLengths).utf8)),
            ("centres.txt", Data((0..<n).map { i in "\(c.labels[i]) " + (0..<3).map { String(format: "%.17g", c.centres[3 * i + $0]) }.joined(separator: " ") }
                .joined(separator: "\n").appending("\n").utf8)),
        ]
        if !c.cortical.isEmpty { members.append(("cortical.txt", Data(c.cortical.map { $0 ? "1" : "0" }.joined(separator: "\n").appending("\n").utf8))) }
        if !c.areas.isEmpty { members.append(("areas.txt", Data(c.areas.map { String(format: "%.17g", $0) }.joined(separator: "\n").appending("\n").utf8))) }
        if !c.orientations.isEmpty {
            members.append(("average_orientations.txt", Data((0..<n).map { i in (0..<3).map { String(format: "%.17g", c.orientations[3 * i + $0]) }.joined(separator: " ") }
                .joined(separator: "\n").appending("\n").utf8)))
        }
        try writeMembers(members, to: path)
    }

    /// Writes a zip with the given members (deflated; names ending in .bz2 are bzip2-compressed
    /// first unless `compressBz2` is false). For tests and for exporting connectomes.
    public static func writeMembers(_ members: [(String, Data)], to path: String, compressBz2: Bool = true) throws {
        var zip = ZipWriter()
        for (name, content) in members {
            let data = name.hasSuffix(".bz2") && compressBz2 ? try bzip2(content) : content
            try zip.add(name, [UInt8](data), place: "\(path):\(name)")
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(zip.finish())) else {
            throw PlexusError("cannot write the zip", file: path)
        }
    }

    static func bzip2(_ data: Data) throws -> Data {
        var input = [UInt8](data)
        let capacity = data.count + data.count / 100 + 600
        var out = [UInt8](repeating: 0, count: capacity)
        var outLen = UInt32(capacity)
        let rc = input.withUnsafeMutableBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                dst.baseAddress!.withMemoryRebound(to: CChar.self, capacity: capacity) { d in
                    src.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(1, src.count)) { s in
                        BZ2_bzBuffToBuffCompress(d, &outLen, s, UInt32(src.count), 9, 0, 0)
                    }
                }
            }
        }
        guard rc == BZ_OK else { throw PlexusError("bzip2 compression failed (\(rc))") }
        return Data(out.prefix(Int(outLen)))
    }
}
