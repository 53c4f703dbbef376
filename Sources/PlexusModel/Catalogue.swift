import Foundation
import CPlexusMechanism
import PlexusCore

/// A shared library loaded with dlopen and kept loaded for the life of the process (kernels are
/// called through its function pointers); each path is opened once (`SharedLibrary.open`).
public final class SharedLibrary: @unchecked Sendable {
    public let path: String
    let handle: UnsafeMutableRawPointer

    private init(path: String) throws {
        guard let h = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PlexusError("cannot load the compiled kernels: \(dlerror().map { String(cString: $0) } ?? "dlopen failed")", file: path)
        }
        self.path = path
        handle = h
    }

    /// The address of an exported symbol.
    public func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(handle, name) }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var loaded: [String: SharedLibrary] = [:]

    /// The library at `path`, opened on first use.
    public static func open(_ path: String) throws -> SharedLibrary {
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        lock.lock(); defer { lock.unlock() }
        if let l = loaded[key] { return l }
        let l = try SharedLibrary(path: key)
        loaded[key] = l
        return l
    }
}

/// A compiled mechanism catalogue: the table of mechanism types its library exports
/// (plexus_mechanism.h).
public final class CompiledCatalogue: @unchecked Sendable {
    public let library: SharedLibrary
    public var path: String { library.path }
    public let mechanisms: UnsafeBufferPointer<plx_mechanism>

    init(_ library: SharedLibrary) throws {
        let path = library.path
        guard let sym = library.symbol(PLX_CATALOGUE_SYMBOL) else {
            throw PlexusError("not a Plexus mechanism catalogue: it exports no '\(PLX_CATALOGUE_SYMBOL)'", file: path)
        }
        let entry = unsafeBitCast(sym, to: plx_catalogue_entry.self)
        guard let table = entry() else { throw PlexusError("the catalogue returned no table", file: path) }
        guard table.pointee.abi_version == PLX_ABI_VERSION else {
            throw PlexusError("the catalogue was built for mechanism ABI \(table.pointee.abi_version); this Plexus uses \(PLX_ABI_VERSION): rebuild it with `plexus build-catalogue`", file: path)
        }
        self.library = library
        mechanisms = UnsafeBufferPointer(start: table.pointee.mechanisms, count: Int(table.pointee.count))
    }

    /// Opens a catalogue library built earlier (by `plexus build-catalogue`).
    public static func open(_ path: String) throws -> CompiledCatalogue { try CompiledCatalogue(SharedLibrary.open(path)) }
}

/// The generated code's C compiler and the content-hashed cache of built catalogues.
public enum CatalogueBuilder {
    /// clang at -O3 without contracting a·b + c into fused multiply-adds (nor reassociating), so
    /// that a kernel's numbers do not depend on the machine it is compiled on. On x86-64 it
    /// targets this machine's vector units (-march=native: G2D's surface kernel runs 2.2x faster
    /// with AVX-512 than with the baseline SSE2, same numbers bit for bit: each element's
    /// operations are unchanged, only more elements go at once).
    public static let flags: [String] = {
        var f = ["-O3", "-fPIC", "-shared", "-ffp-contract=off", "-fno-math-errno", "-std=gnu11", "-w"]
        #if arch(x86_64)
        f.append("-march=native")
        #endif
        return f
    }()

    /// What a library built with `flags` depends on besides its source: the CPU's model and
    /// feature flags, so that a cache in a home directory shared by different machines (a
    /// cluster's login and compute nodes) never gives one machine's build to another.
    static let machineKey: String = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "" }
        var key = [String]()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            if ["vendor_id", "model name", "flags", "Features", "CPU implementer", "CPU part"].contains(name) && !key.contains(String(line)) {
                key.append(String(line))
            }
        }
        return key.joined(separator: "\n")
    }()

    /// The compiler: $PLEXUS_CC, else `clang` on the PATH (the Swift toolchain's), else `cc`.
    public static var compiler: String {
        if let cc = ProcessInfo.processInfo.environment["PLEXUS_CC"], !cc.isEmpty { return cc }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        for name in ["clang", "cc"] {
            for dir in path where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") { return "\(dir)/\(name)" }
        }
        return "cc"
    }

    /// Where built catalogues are kept: $PLEXUS_CACHE, else $XDG_CACHE_HOME/plexus, else
    /// ~/.cache/plexus, else the temporary directory.
    public static var cacheDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let d = env["PLEXUS_CACHE"], !d.isEmpty { return d + "/catalogues" }
        if let d = env["XDG_CACHE_HOME"], !d.isEmpty { return d + "/plexus/catalogues" }
        if let h = env["HOME"], !h.isEmpty { return h + "/.cache/plexus/catalogues" }
        return NSTemporaryDirectory() + "plexus-catalogues"
    }

    /// The catalogue built from `source`: from the cache when the same source was built before,
    /// else compiled (the compile time is reported through `compiled`).
    public static func library(source: String, cacheDirectory dir: String? = nil, compiled: ((Double) -> Void)? = nil) throws -> CompiledCatalogue {
        try CompiledCatalogue(sharedLibrary(source: source, cacheDirectory: dir, compiled: compiled))
    }

    /// The shared library built from C `source` (content-hashed cache, compiled on a miss).
    public static func sharedLibrary(source: String, cacheDirectory dir: String? = nil, compiled: ((Double) -> Void)? = nil) throws -> SharedLibrary {
        var h = PlexusCore.SHA256()
        h.update(Array((flags.joined(separator: " ") + "\n" + machineKey + "\n" + source).utf8))
        let hash = h.finalize()
        let dir = dir ?? cacheDirectory
        let lib = "\(dir)/\(hash.prefix(32)).so"
        buildLock.lock(); defer { buildLock.unlock() }
        if !FileManager.default.fileExists(atPath: lib) {
            let start = Date()
            try compile(source: source, to: lib)
            compiled?(Date().timeIntervalSince(start))
        }
        return try SharedLibrary.open(lib)
    }

    private static let buildLock = NSLock()

    /// Compiles generated C into the shared library `output` (written under a temporary name and
    /// renamed, so a concurrent run never loads half a file).
    public static func compile(source: String, to output: String) throws {
        let fm = FileManager.default
        let dir = (output as NSString).deletingLastPathComponent
        do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw PlexusError("cannot create the catalogue cache folder: \(error.localizedDescription)", file: dir)
        }
        let tag = "\(getpid())-\(UUID().uuidString.prefix(8))"
        let cFile = output + ".\(tag).c", tmp = output + ".\(tag).tmp"
        defer { try? fm.removeItem(atPath: tmp) }
        guard fm.createFile(atPath: cFile, contents: Data(source.utf8)) else {
            throw PlexusError("cannot write the generated kernels", file: cFile)
        }
        let cc = compiler
        let o = ChildProcess.run([cc] + flags + ["-o", tmp, cFile, "-lm"], timeout: 600)
        if o.timedOut { throw PlexusError("the C compiler (\(cc)) took more than 600 s on the generated kernels", file: cFile) }
        guard let status = o.status else {
            throw PlexusError("cannot run the C compiler '\(cc)' (set PLEXUS_CC, or put clang on the PATH)", file: cFile)
        }
        guard status == 0 else {
            let lines = o.standardError.split(separator: "\n").prefix(12).joined(separator: "\n")
            throw PlexusError("the C compiler failed on the generated kernels (a Plexus bug: please report it with this file):\n\(lines)", file: cFile)
        }
        // The source stays beside the library, for reading and for reports of a kernel's numbers.
        _ = rename(cFile, (output as NSString).deletingPathExtension + ".c")
        guard rename(tmp, output) == 0 else { throw PlexusError("cannot move the built catalogue into place", file: output) }
    }
}

/// Front to back: .mod sources -> IR -> C -> a loaded catalogue.
public struct MechanismSources: Sendable {
    public var models: [MechanismModel]
    public var dialect: CodeGenerator.Dialect
    /// Files left out (with `skipRefused`), with the error that refused each: a folder as
    /// NEURON users keep it holds files Plexus does not run (an ARTIFICIAL_CELL with VERBATIM);
    /// a run that names one of their mechanisms gets this error.
    public var refused: [(path: String, error: PlexusError)] = []

    /// Parses and lowers .mod files (each a file path and its text); names must be unique.
    /// A file that does not lower is an error, or with `skipRefused` a `refused` entry.
    public init(files: [(path: String, text: String)], dialect: CodeGenerator.Dialect = .neuron, skipRefused: Bool = false) throws {
        var models: [MechanismModel] = []
        var seen: [String: String] = [:]
        for f in files {
            let m: MechanismModel
            do { m = try NMODLLowering.lower(try NMODLParser.parse(f.text, path: f.path)) } catch let e as PlexusError where skipRefused {
                refused.append((f.path, e))
                continue
            }
            if let other = seen[m.name] {
                throw PlexusError("mechanism '\(m.name)' is defined twice (also in \(other))", file: f.path)
            }
            seen[m.name] = f.path
            models.append(m)
        }
        self.models = models.sorted { $0.name < $1.name }
        self.dialect = dialect
    }

    /// Every .mod file of a folder (sorted by name); files that do not lower are `refused`.
    public init(folder: String, dialect: CodeGenerator.Dialect = .neuron, skipRefused: Bool = true) throws {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder) else { throw PlexusError("cannot read the mechanism folder", file: folder) }
        let mods = names.filter { $0.hasSuffix(".mod") }.sorted()
        guard !mods.isEmpty else { throw PlexusError("the folder has no .mod files", file: folder) }
        var files: [(String, String)] = []
        for n in mods {
            let path = folder + "/" + n
            guard let data = fm.contents(atPath: path) else { throw PlexusError("cannot read the file", file: path) }
            guard let text = String(data: data, encoding: .utf8) else { throw PlexusError("the file is not UTF-8 text", file: path) }
            files.append((path, text))
        }
        try self.init(files: files, dialect: dialect, skipRefused: skipRefused)
    }

    public func cSource() throws -> String { try CodeGenerator(dialect: dialect).catalogueSource(models) }

    public func compiled(cacheDirectory: String? = nil, compiled: ((Double) -> Void)? = nil) throws -> CompiledCatalogue {
        try CatalogueBuilder.library(source: try cSource(), cacheDirectory: cacheDirectory, compiled: compiled)
    }
}
