import Foundation

/// The one way Plexus runs another program (today only to ask Python where tvb-data is): never
/// waited for without a deadline, output through a file rather than a pipe (a pipe's blocking
/// read is what hangs or, on an interrupted system call, traps inside Foundation).
enum ChildProcess {
    /// Standard output of `arguments` (looked up on the PATH) when it exits with status 0 within
    /// `timeout` seconds; nil otherwise (not found, failed, or killed at the deadline).
    static func output(_ arguments: [String], timeout: Double) -> String? {
        let fm = FileManager.default
        let out = fm.temporaryDirectory.appendingPathComponent("plexus-child-\(UUID().uuidString)")
        guard fm.createFile(atPath: out.path, contents: nil), let handle = try? FileHandle(forWritingTo: out) else { return nil }
        defer { try? handle.close(); try? fm.removeItem(at: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = handle
        p.standardError = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in finished.signal() }
        do { try p.run() } catch { return nil }
        guard finished.wait(timeout: .now() + timeout) == .success else {
            p.terminate()
            return nil
        }
        guard p.terminationStatus == 0, let data = fm.contents(atPath: out.path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
