import Foundation
import XCTest

/// The built `plexus` command and other programs, run from tests.
enum CLI {
    /// The `plexus` executable built next to the test bundle (same scratch path); a skip naming
    /// where it looked when it is not built.
    static func plexus() throws -> URL {
        var folders: [URL] = []
        if let exe = Bundle.main.executableURL { folders.append(exe.deletingLastPathComponent()) }
        if let first = CommandLine.arguments.first { folders.append(URL(fileURLWithPath: first).deletingLastPathComponent()) }
        folders.append(Bundle.main.bundleURL)
        folders.append(Bundle.main.bundleURL.deletingLastPathComponent())
        folders += Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for dir in folders {
            let p = dir.appendingPathComponent("plexus")
            if FileManager.default.isExecutableFile(atPath: p.path) { return p }
        }
        throw XCTSkip("the plexus executable is not built next to the tests (build it with `swift build` in the same scratch path; looked in \(folders.map(\.path)))")
    }

    /// Runs a program to completion; returns (status, stdout, stderr). Output goes to files (a
    /// full pipe would block the program while nobody reads it); past `timeout` seconds the
    /// program is stopped and the test fails.
    @discardableResult
    static func run(_ exe: URL, _ args: [String], cwd: URL? = nil, timeout: Double = 120,
                    file: StaticString = #filePath, line: UInt = #line) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-sh-\(UUID().uuidString)")
        let outURL = base.appendingPathExtension("out"), errURL = base.appendingPathExtension("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outURL); try? FileManager.default.removeItem(at: errURL) }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if p.isRunning {
            p.terminate()
            XCTFail("\(exe.lastPathComponent) \(args.joined(separator: " ")) ran past \(timeout) s", file: file, line: line)
        }
        p.waitUntilExit()
        try out.close(); try err.close()
        let o = (try? Data(contentsOf: outURL)) ?? Data(), e = (try? Data(contentsOf: errURL)) ?? Data()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Runs the built `plexus` with `args`.
    @discardableResult
    static func plexus(_ args: [String], cwd: URL? = nil, timeout: Double = 120) throws -> (status: Int32, stdout: String, stderr: String) {
        try run(try plexus(), args, cwd: cwd, timeout: timeout)
    }
}
