import Foundation

/// The one way Plexus runs another program (the C compiler for generated kernels; Python, to ask
/// where tvb-data is): never waited for without a deadline, output through files rather than
/// pipes (a pipe's blocking read is what hangs or, on an interrupted system call, traps inside
/// Foundation).
public enum ChildProcess {
    public struct Outcome: Sendable {
        /// Exit status; nil when the program could not start or was killed at the deadline.
        public var status: Int32?
        public var standardOutput: String
        public var standardError: String
        public var timedOut: Bool
    }

    /// Runs `arguments` (the program looked up on the PATH unless it is a path) and waits at most
    /// `timeout` seconds.
    public static func run(_ arguments: [String], timeout: Double) -> Outcome {
        let fm = FileManager.default
        let id = UUID().uuidString
        let out = fm.temporaryDirectory.appendingPathComponent("plexus-child-\(id).out")
        let err = fm.temporaryDirectory.appendingPathComponent("plexus-child-\(id).err")
        var outcome = Outcome(status: nil, standardOutput: "", standardError: "", timedOut: false)
        guard fm.createFile(atPath: out.path, contents: nil), fm.createFile(atPath: err.path, contents: nil),
              let outHandle = try? FileHandle(forWritingTo: out), let errHandle = try? FileHandle(forWritingTo: err) else { return outcome }
        defer { try? outHandle.close(); try? errHandle.close(); try? fm.removeItem(at: out); try? fm.removeItem(at: err) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = outHandle
        p.standardError = errHandle
        let finished = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in finished.signal() }
        do { try p.run() } catch { return outcome }
        guard finished.wait(timeout: .now() + timeout) == .success else {
            p.terminate()
            outcome.timedOut = true
            return outcome
        }
        outcome.status = p.terminationStatus
        outcome.standardOutput = fm.contents(atPath: out.path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        outcome.standardError = fm.contents(atPath: err.path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return outcome
    }

    /// Standard output of `arguments` when it exits with status 0 within `timeout` seconds; nil
    /// otherwise (not found, failed, or killed at the deadline).
    public static func output(_ arguments: [String], timeout: Double) -> String? {
        let o = run(arguments, timeout: timeout)
        return o.status == 0 ? o.standardOutput : nil
    }
}
