import Foundation
import PlexusCore
import PlexusFit

/// What identifies a fit in its folder (fit_state.json), so `--resume` continues only the same fit.
public struct FitState: Codable, Equatable, Sendable {
    public var experimentSHA256: String
    public var seed: UInt64
    public var optimizer: String
    public var parameters: [String]

    public init(experimentSHA256: String, seed: UInt64, optimizer: String, parameters: [String]) {
        self.experimentSHA256 = experimentSHA256
        self.seed = seed
        self.optimizer = optimizer
        self.parameters = parameters
    }

    enum CodingKeys: String, CodingKey {
        case experimentSHA256 = "experiment_sha256", seed, optimizer, parameters
    }
}

/// A fit's folder while it runs: fit_state.json and evaluations.csv, rewritten atomically after
/// every generation so that an interrupted fit can be resumed.
public enum FitFolder {
    public static let stateFile = "fit_state.json"
    public static let evaluationsFile = "evaluations.csv"
    /// When each evaluation ran: not a result, so not listed (a rerun's evaluations.csv is
    /// identical; its times are not).
    public static let timesFile = "evaluation_times.csv"

    /// Starts a fresh fit in `directory`: an earlier run's record and outputs are retired, and an
    /// earlier fit's checkpoint removed.
    public static func start(_ directory: String) throws {
        _ = try RunOutput(directory: directory, newRun: true)
        for f in [stateFile, evaluationsFile, timesFile] { try? FileManager.default.removeItem(atPath: directory + "/" + f) }
    }

    public static func writeState(_ state: FitState, directory: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try atomic(try enc.encode(state), directory + "/" + stateFile)
    }

    public static func writeEvaluations(_ rows: [FitEvaluation], names: [String], terms: [String], directory: String) throws {
        // Times first: a fit stopped between the two writes resumes from evaluations.csv, whose
        // rows then all have their times.
        try atomic(Data(EvaluationsCSV.times(rows).utf8), directory + "/" + timesFile)
        try atomic(Data(EvaluationsCSV.text(rows, names: names, terms: terms).utf8), directory + "/" + evaluationsFile)
    }

    static func atomic(_ data: Data, _ path: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw PlexusError("cannot write: \(error.localizedDescription)", file: path)
        }
    }

    /// The evaluations of an interrupted (or finished) fit in `directory`, after checking that it
    /// is the same fit; [] when the folder holds no fit. The folder's old record is retired.
    public static func readResumable(_ directory: String, state: FitState, terms: Int) throws -> [FitEvaluation] {
        let statePath = directory + "/" + stateFile
        guard let data = FileManager.default.contents(atPath: statePath) else {
            try start(directory)
            return []
        }
        let old: FitState
        do { old = try JSONDecoder().decode(FitState.self, from: data) } catch {
            throw PlexusError("not a fit's state file: \(error)", file: statePath)
        }
        guard old == state else {
            var why: [String] = []
            if old.experimentSHA256 != state.experimentSHA256 { why.append("the experiment file changed") }
            if old.seed != state.seed { why.append("the seed was \(old.seed), now \(state.seed)") }
            if old.optimizer != state.optimizer { why.append("the optimizer was \(old.optimizer), now \(state.optimizer)") }
            if old.parameters != state.parameters { why.append("the parameters were \(old.parameters), now \(state.parameters)") }
            throw PlexusError("cannot resume: this folder holds another fit (\(why.joined(separator: "; "))); run without --resume to start afresh, or use another --out",
                              file: statePath)
        }
        let path = directory + "/" + evaluationsFile
        var rows: [FitEvaluation] = []
        if let d = FileManager.default.contents(atPath: path) {
            rows = try EvaluationsCSV.parse(String(decoding: d, as: UTF8.self), names: state.parameters, terms: terms, file: path)
            let timesPath = directory + "/" + timesFile
            if let t = FileManager.default.contents(atPath: timesPath) {
                try EvaluationsCSV.parseTimes(String(decoding: t, as: UTF8.self), into: &rows, file: timesPath)
            }
        }
        try RunFolder.retire(directory)
        return rows
    }
}

extension RunOutput {
    /// evaluations.csv as a listed output (SHA-256 in provenance.json), evaluation_times.csv beside it.
    public mutating func writeEvaluations(_ rows: [FitEvaluation], names: [String], terms: [String]) throws {
        let text = EvaluationsCSV.text(rows, names: names, terms: terms), times = EvaluationsCSV.times(rows)
        try write(FitFolder.evaluationsFile) { $0.raw(text) }
        try write(FitFolder.timesFile, listed: false) { $0.raw(times) }
    }
}

/// evaluations.csv: `evaluation,generation,<parameter paths...>,fitness,error,<terms...>`, one row
/// per evaluated point; numbers in shortest round-trip form (a resumed fit reads back exactly the
/// values it wrote); error empty, or quoted. The same seed gives the same file on any threads.
/// evaluation_times.csv: `evaluation,seconds,wall` (wall: seconds since the fit started when it
/// finished).
public enum EvaluationsCSV {
    public static func header(names: [String], terms: [String]) -> [String] {
        ["evaluation", "generation"] + names + ["fitness", "error"] + terms
    }

    public static func text(_ rows: [FitEvaluation], names: [String], terms: [String]) -> String {
        var out = header(names: names, terms: terms).joined(separator: ",") + "\n"
        for r in rows {
            var cols = [String(r.evaluation), String(r.generation)] + r.values.map(OutputText.number)
            cols.append(OutputText.number(r.fitness))
            cols.append(r.error.map { "\"" + $0.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " ") + "\"" } ?? "")
            cols += r.terms.map(OutputText.number)
            out += cols.joined(separator: ",") + "\n"
        }
        return out
    }

    public static func times(_ rows: [FitEvaluation]) -> String {
        "evaluation,seconds,wall\n" + rows.map { "\($0.evaluation),\(String(format: "%.3f", $0.seconds)),\(String(format: "%.3f", $0.wall))\n" }.joined()
    }

    /// Fills in seconds and wall of `rows` from evaluation_times.csv (rows it lacks keep NaN).
    public static func parseTimes(_ text: String, into rows: inout [FitEvaluation], file: String) throws {
        for (k, line) in text.split(separator: "\n").dropFirst().enumerated() {
            let c = line.split(separator: ",")
            guard c.count == 3, let e = Int(c[0]), let s = Double(c[1]), let w = Double(c[2]) else {
                throw PlexusError("expected evaluation,seconds,wall", file: file, line: k + 2)
            }
            if e >= 0, e < rows.count { rows[e].seconds = s; rows[e].wall = w }
        }
    }

    public static func parse(_ text: String, names: [String], terms: Int, file: String) throws -> [FitEvaluation] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard !lines.isEmpty else { return [] }
        let head = lines.removeFirst().split(separator: ",").map(String.init)
        let fixed = names.count + 4
        guard Array(head.prefix(fixed)) == header(names: names, terms: []), head.count == fixed + terms else {
            throw PlexusError("the header is not that of this fit's evaluations (\(header(names: names, terms: []).joined(separator: ",")),...)", file: file, line: 1)
        }
        var rows: [FitEvaluation] = []
        for (k, line) in lines.enumerated() {
            let lineNo = k + 2
            let cols = split(line)
            guard cols.count == head.count else { throw PlexusError("\(cols.count) columns where the header has \(head.count)", file: file, line: lineNo) }
            func num(_ i: Int) throws -> Double {
                let s = cols[i]
                if s.hasSuffix("nan") { return .nan }
                guard let v = Double(s) else { throw PlexusError("'\(s)' (column \(head[i])) is not a number", file: file, line: lineNo) }
                return v
            }
            guard let ev = Int(cols[0]), ev == k, let gen = Int(cols[1]) else {
                throw PlexusError("evaluation \(cols[0]) where \(k) comes next", file: file, line: lineNo)
            }
            let p = names.count
            let error = cols[p + 3].isEmpty ? nil : cols[p + 3]
            rows.append(FitEvaluation(evaluation: ev, generation: gen, values: try (0..<p).map { try num(2 + $0) }, fitness: try num(p + 2),
                                      terms: try (0..<terms).map { try num(p + 4 + $0) }, seconds: .nan, wall: .nan, error: error))
        }
        return rows
    }

    /// Fields of one line; a quoted field may hold commas.
    static func split(_ line: String) -> [String] {
        var out: [String] = [], cur = "", quoted = false
        for c in line {
            if c == "\"" { quoted.toggle(); continue }
            if c == ",", !quoted { out.append(cur); cur = ""; continue }
            cur.append(c)
        }
        out.append(cur)
        return out
    }
}
