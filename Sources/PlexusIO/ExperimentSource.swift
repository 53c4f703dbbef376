import Foundation
import PlexusCore
import PlexusModel
import Yams

/// An experiment file read and composed once: its text, YAML tree, engine, the line of every key
/// path and its `description:`. Every decoder and the session read this one tree.
public struct ExperimentSource {
    public let text: String
    public let file: String
    let root: Node
    public let engine: RunRecord.Engine
    /// Line of every key path (`populations.E.params.tau_m` -> 12), for errors found after decoding.
    public let lines: [String: Int]
    /// The file's `description:`, when it is text.
    public let description: String?
    /// Whether the file has a `sweep:` section (a parameter exploration, run by `plexus sweep`).
    public let hasSweep: Bool

    /// Composes `text` (syntax errors name the line); `file` names it in errors and is where paths
    /// in it are relative to.
    public init(_ text: String, file: String) throws {
        self.text = text
        self.file = file
        root = try ExperimentFile.compose(text, file: file)
        let top = try YNode(node: root, file: file, path: "").mapping()
        if let e = top.first(where: { $0.0 == "engine" })?.1 {
            let name = try e.string()
            guard let engine = RunRecord.Engine(rawValue: name) else {
                throw e.error(PlexusError.unknownMessage("engine", name, known: RunRecord.Engine.allCases.map(\.rawValue)))
            }
            self.engine = engine
        } else {
            engine = .point
        }
        description = top.first { $0.0 == "description" }.flatMap { if case .scalar(let s) = $0.1.node { return s.string } else { return nil } }
        hasSweep = top.contains { $0.0 == "sweep" }
        lines = ExperimentFile.lineIndex(root)
    }

    /// The experiment file at `path`, read and composed; errors name the file.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlexusError("cannot read the experiment file", file: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PlexusError("the experiment file is not UTF-8 text", file: path)
        }
        try self.init(text, file: path)
    }

    /// The error with the line of its key path filled in.
    public func locate(_ e: PlexusError) -> PlexusError { ExperimentFile.locate(e, file: file, index: lines) }
}

/// One engine's experiment-file decoder: from the composed file to the engine's description.
/// Reading a file and decoding a text come with it, the same for every engine.
public protocol ExperimentDecoder {
    associatedtype Description
    static func decode(_ source: ExperimentSource) throws -> Description
}

extension ExperimentDecoder {
    /// Reads and decodes an experiment file; errors name the file, line and key path.
    public static func load(_ path: String) throws -> Description { try decode(ExperimentSource(contentsOf: path)) }

    public static func decode(_ text: String, file: String = "<string>") throws -> Description {
        try decode(ExperimentSource(text, file: file))
    }
}

// A composed file is a value (text, name, Yams node tree, line index) that nothing mutates after
// composition; a fit's threads each decode their own edited copy from it.
extension ExperimentSource: @unchecked Sendable {}
