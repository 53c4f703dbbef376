// libFuzzer entry point over Plexus's input readers (PlexusSession's FuzzTarget), and a replay
// driver for the inputs it finds.
//
// scripts/fuzz builds this with PLEXUS_FUZZ=1 (-sanitize=fuzzer,address, FUZZING defined): main
// hands over to libFuzzer's driver; PLEXUS_FUZZ_TARGET names the target (point, cable, mass, swc,
// zip) and PLEXUS_FUZZ_DIR the folder relative paths in experiments point to (examples/).
// A plain build gives `plexus-fuzz TARGET FILE...`: each file run once through the target, as a
// user's run would meet it, which is how a finding is checked before and after its fix.
import Foundation
import PlexusCore
import PlexusSession
import CFuzz

/// Runs one input and says how it ended; anything but acceptance or a PlexusError stops the
/// process (a finding).
@discardableResult
func runOne(_ target: FuzzTarget, _ data: Data, directory: String) -> String {
    do {
        try target.run(data, directory: directory, scratch: NSTemporaryDirectory())
        return "accepted"
    } catch let e as PlexusError {
        // A clear error, naming what is wrong: the expected outcome for bad input.
        return "refused: \(e)"
    } catch {
        fatalError("\(target.rawValue): an error that is not a PlexusError (no file, line or key path): \(error)")
    }
}

@main
struct FuzzMain {
    static func main() {
        #if FUZZING
        // libFuzzer: PLEXUS_FUZZ_TARGET names the target, the arguments are libFuzzer's.
        let name = ProcessInfo.processInfo.environment["PLEXUS_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("PLEXUS_FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")), not '\(name)'")
        }
        fuzzTarget = target
        fuzzDirectory = ProcessInfo.processInfo.environment["PLEXUS_FUZZ_DIR"] ?? "examples"
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in
            runOne(fuzzTarget, Data(bytes: bytes!, count: count), directory: fuzzDirectory)
            return 0
        })
        #else
        replay()
        #endif
    }
}

nonisolated(unsafe) var fuzzTarget = FuzzTarget.point
nonisolated(unsafe) var fuzzDirectory = "examples"

/// `plexus-fuzz TARGET FILE...`: each file once through the target.
func replay() {
    let args = CommandLine.arguments.dropFirst()
    guard let name = args.first, let target = FuzzTarget(rawValue: name) else {
        print("usage: plexus-fuzz TARGET FILE...   (TARGET: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
        for t in FuzzTarget.allCases { print("  \(t.rawValue): \(t.doc)") }
        exit(2)
    }
    let directory = ProcessInfo.processInfo.environment["PLEXUS_FUZZ_DIR"] ?? "examples"
    for file in args.dropFirst() {
        guard let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("plexus-fuzz: cannot read \(file)\n".utf8))
            exit(2)
        }
        print("\(file): \(runOne(target, data, directory: directory))")
    }
}
