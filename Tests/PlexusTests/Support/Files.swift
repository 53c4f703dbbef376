import Foundation
import XCTest

/// Paths inside this repository, found from this source file's location (Tests/PlexusTests/Support).
enum Repo {
    /// The repository's root folder.
    static let root: URL = {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { dir.deleteLastPathComponent() }   // Files.swift, Support, PlexusTests, Tests
        return dir
    }()

    /// `relative` (e.g. "examples/brunel_delta.yaml") under the repository's root.
    static func file(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// examples/ (the bundled experiment files).
    static var examples: URL { file("examples") }

    /// Tests/Fixtures (reference outputs kept in the repository).
    static var fixtures: URL { file("Tests/Fixtures") }
}

/// A new, empty folder under the system's temporary directory, removed with everything in it
/// when the object goes away. In a test use `temporaryFolder()` (removed when the test ends):
/// XCTest keeps every test-case object alive until the process exits, so a folder held in a
/// test case's stored property would never be removed.
final class TemporaryFolder {
    let url: URL

    init(_ prefix: String = "plexus-test") {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { remove() }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// `name` inside the folder.
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// The path of `name` inside the folder.
    func path(_ name: String) -> String { file(name).path }

    /// Writes `text` to `name` inside the folder; returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let p = path(name)
        _ = FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }
}

extension XCTestCase {
    /// A new temporary folder kept until the running test ends, then removed.
    func temporaryFolder(_ prefix: String = "plexus-test") -> TemporaryFolder {
        let folder = TemporaryFolder(prefix)
        addTeardownBlock { folder.remove() }
        return folder
    }
}
