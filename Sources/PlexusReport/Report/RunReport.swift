import Foundation
import PlexusCore

/// A table in a report: header cells and rows of text cells (numbers right-aligned).
public struct ReportTable: Sendable, Equatable {
    public var caption: String?
    public var columns: [String]
    public var rows: [[String]]
    public init(caption: String? = nil, columns: [String], rows: [[String]]) {
        self.caption = caption; self.columns = columns; self.rows = rows
    }
}

/// One part of a report: text, tables and figures under a heading. Each engine contributes its
/// own sections (the point engine: activity, statistics, traces; later cable and mass engines:
/// morphology, region time series, FC ...).
public struct ReportSection: Sendable, Equatable {
    public var id: String
    public var title: String
    public var paragraphs: [String]
    public var tables: [ReportTable]
    public var figures: [Figure]
    public init(id: String, title: String, paragraphs: [String] = [], tables: [ReportTable] = [], figures: [Figure] = []) {
        self.id = id; self.title = title; self.paragraphs = paragraphs; self.tables = tables; self.figures = figures
    }
}

/// Sections with their figures drawn as SVG: the costly part of a report, done once, before
/// the provenance record (which times it) is written.
public struct RenderedSections: Sendable {
    public let sections: [ReportSection]
    /// SVG of every figure, in order.
    public let svgs: [String]

    public init(_ sections: [ReportSection]) {
        self.sections = sections
        svgs = sections.flatMap(\.figures).map(SVGRenderer.render)
    }

    public var figures: [Figure] { sections.flatMap(\.figures) }
}

/// The run report: one self-contained HTML file (inline CSS and SVG, a few lines of script that
/// check every figure rendered; nothing is loaded from elsewhere). Built from the engine's
/// sections and the run's provenance record.
public struct RunReport: Sendable {
    public var title: String
    public var subtitle: String?
    /// Key facts at the top (experiment, duration, seed, threads, counts ...).
    public var summary: [(String, String)]
    public var body: RenderedSections
    /// Wall time of each phase in seconds, in order (from the record's timings, plus the report
    /// itself).
    public var timings: [(String, Double)]
    /// provenance.json as written (shown in full) and read (shown as tables).
    public var provenanceText: String
    public var provenance: RunRecord
    public var footer: String

    public init(title: String, subtitle: String? = nil, summary: [(String, String)], body: RenderedSections,
                timings: [(String, Double)], provenanceText: String, provenance: RunRecord, footer: String = "") {
        self.title = title; self.subtitle = subtitle; self.summary = summary; self.body = body
        self.timings = timings; self.provenanceText = provenanceText; self.provenance = provenance; self.footer = footer
    }

    /// All figures in order, numbered from 1.
    public var figures: [Figure] { body.figures }

    /// The summary rows every engine shares, read from a run record.
    public static func commonSummary(_ p: RunRecord) -> [(String, String)] {
        var rows: [(String, String)] = [("experiment file", p.experimentFile), ("engine", p.engine.rawValue),
                                        ("duration", Ticks.short(p.durationMs) + " ms")]
        if p.resolutionMs > 0 { rows.append(("resolution", Ticks.short(p.resolutionMs) + " ms")) }
        if let seed = p.seed { rows.append(("seed", String(seed))) }
        rows.append(("threads", String(p.threads)))
        if p.ranks > 1 { rows.append(("ranks", String(p.ranks))) }
        for c in p.counts { rows.append((c.name.replacingOccurrences(of: "_", with: " "), String(c.value))) }
        if let b = p.bytesPerSynapse { rows.append(("bytes per synapse", Ticks.short(b))) }
        if let r = p.realtimeFactor { rows.append(("wall time / simulated time", Ticks.short(r))) }
        if let s = p.seconds("total") { rows.append(("wall time of the run", Ticks.short(s) + " s")) }
        rows.append(("started (UTC)", p.startedUTC))
        return rows
    }

    /// The record's phases in the order they ran, `total` last.
    public static func timings(_ p: RunRecord) -> [(String, Double)] {
        p.timings.filter { $0.phase != "total" }.map { ($0.phase, $0.seconds) } + p.timings.filter { $0.phase == "total" }.map { ($0.phase, $0.seconds) }
    }

    public func html() -> String {
        var h = HTMLText()
        h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        h.raw("<title>\(HTMLText.escape(title))</title>\n<style>\(RunReport.css)</style>\n</head>\n<body>\n<main>\n")
        h.raw("<header><h1>\(HTMLText.escape(title))</h1>")
        if let subtitle { h.raw("<p class=\"subtitle\">\(HTMLText.escape(subtitle))</p>") }
        h.raw("</header>\n")

        // Contents.
        h.raw("<nav><a href=\"#summary\">Summary</a> · <a href=\"#figures\">Figures</a>")
        for s in body.sections { h.raw(" · <a href=\"#\(HTMLText.escape(s.id))\">\(HTMLText.escape(s.title))</a>") }
        h.raw(" · <a href=\"#timings\">Timings</a> · <a href=\"#provenance\">Provenance</a></nav>\n")

        h.raw("<section id=\"summary\"><h2>Summary</h2>\n")
        h.keyValue(summary)
        h.raw("</section>\n")

        let figs = figures
        h.raw("<section id=\"figures\"><h2>Figures</h2>\n")
        if figs.isEmpty {
            h.raw("<p>No figures: this run recorded nothing that can be plotted.</p>\n")
        } else {
            h.raw("<table class=\"tof\"><thead><tr><th>#</th><th>figure</th><th>what it shows</th></tr></thead><tbody>\n")
            for (k, f) in figs.enumerated() {
                h.raw("<tr><td class=\"num\">\(k + 1)</td><td><a href=\"#fig-\(HTMLText.escape(f.id))\">\(HTMLText.escape(f.title))</a></td><td>\(HTMLText.escape(f.caption))</td></tr>\n")
            }
            h.raw("</tbody></table>\n")
        }
        h.raw("</section>\n")

        var number = 0
        for s in body.sections {
            h.raw("<section id=\"\(HTMLText.escape(s.id))\"><h2>\(HTMLText.escape(s.title))</h2>\n")
            for p in s.paragraphs { h.raw("<p>\(HTMLText.escape(p))</p>\n") }
            for t in s.tables { h.table(t) }
            for f in s.figures {
                number += 1
                h.raw("<figure class=\"plot-figure\" id=\"fig-\(HTMLText.escape(f.id))\" data-figure=\"\(HTMLText.escape(f.id))\">\n")
                h.raw("<h3>Figure \(number). \(HTMLText.escape(f.title))</h3>\n")
                h.raw(body.svgs[number - 1])
                h.raw("\n<figcaption>\(HTMLText.escape(f.caption))</figcaption>\n</figure>\n")
            }
            h.raw("</section>\n")
        }

        h.raw("<section id=\"timings\"><h2>Timings</h2>\n")
        if timings.isEmpty {
            h.raw("<p>The provenance record has no timings.</p>\n")
        } else {
            let total = timings.first { $0.0 == "total" }?.1 ?? timings.map(\.1).reduce(0, +)
            h.raw("<table class=\"timings\"><thead><tr><th>phase</th><th>wall time (s)</th><th>share</th></tr></thead><tbody>\n")
            for (phase, s) in timings {
                let share = total > 0 ? min(max(s / total, 0), 1) : 0
                let bar = phase == "total" ? "" : "<span class=\"bar\" style=\"width:\(Ticks.fixed(share * 100, decimals: 1))%\"></span>"
                h.raw("<tr><td>\(HTMLText.escape(phase))</td><td class=\"num\">\(Ticks.fixed(s, decimals: 3))</td><td class=\"share\">\(bar)</td></tr>\n")
            }
            h.raw("</tbody></table>\n")
        }
        h.raw("</section>\n")

        h.raw("<section id=\"provenance\"><h2>Provenance</h2>\n")
        h.keyValue(RunReport.provenanceRows(provenance))
        if !provenance.outputs.isEmpty {
            let rows = provenance.outputs.map { o in [o.file, String(o.bytes), o.sha256] }
            h.table(ReportTable(caption: "Output files (report.html is derived from them and not listed)",
                                columns: ["file", "bytes", "SHA-256"], rows: rows))
        }
        h.raw("<details><summary>provenance.json in full (the fully resolved experiment included)</summary><pre>")
        h.raw(HTMLText.escape(provenanceText))
        h.raw("</pre></details>\n</section>\n")
        if !footer.isEmpty { h.raw("<footer>\(HTMLText.escape(footer))</footer>\n") }
        h.raw("</main>\n<script>\(RunReport.selfCheck)</script>\n</body>\n</html>\n")
        return h.string
    }

    static func provenanceRows(_ p: RunRecord) -> [(String, String)] {
        var rows: [(String, String)] = [("Plexus version", p.plexusVersion)]
        if let c = p.gitCommit { rows.append(("git commit", c + (p.gitDirty == true ? " (uncommitted changes in the tree)" : ""))) }
        rows.append(("build", p.build))
        rows.append(("command", p.commandLine.joined(separator: " ")))
        rows.append(("experiment file", p.experimentFile))
        rows.append(("experiment SHA-256", p.experimentSHA256))
        if let s = p.seed { rows.append(("seed", String(s))) }
        rows.append(("threads", String(p.threads)))
        if p.ranks > 1 { rows.append(("ranks", String(p.ranks))) }
        let m = p.machine
        rows.append(("machine", "hostname: \(m.hostname); os: \(m.os); cpus: \(m.cpus); memory: \(RunReport.bytes(Double(m.memoryBytes)))"
            + (m.cpuModel.map { "; cpu model: \($0)" } ?? "")))
        if let r = p.peakRSSBytes { rows.append(("peak memory (RSS)", RunReport.bytes(Double(r)))) }
        rows.append(("started (UTC)", p.startedUTC))
        rows.append(("finished (UTC)", p.finishedUTC))
        return rows
    }

    /// "1.23 GB", "456 MB", "789 kB", "12 bytes".
    public static func bytes(_ b: Double) -> String {
        if b >= 1e9 { return Ticks.fixed(b / 1e9, decimals: 2) + " GB" }
        if b >= 1e6 { return Ticks.fixed(b / 1e6, decimals: 1) + " MB" }
        if b >= 1e3 { return Ticks.fixed(b / 1e3, decimals: 1) + " kB" }
        return Ticks.fixed(b, decimals: 0) + " bytes"
    }

    static let css = """
    body{margin:0;background:#f6f6f4;color:#222;font:14px/1.45 "DejaVu Sans",Helvetica,Arial,sans-serif}
    main{max-width:980px;margin:0 auto;padding:16px 24px 40px;background:#fff}
    header h1{margin:8px 0 2px;font-size:24px}.subtitle{margin:0 0 8px;color:#555}
    nav{margin:8px 0 16px;padding:6px 0;border-top:1px solid #ddd;border-bottom:1px solid #ddd;font-size:13px}
    a{color:#1f5fa8;text-decoration:none}a:hover{text-decoration:underline}
    h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #eee;padding-bottom:2px}
    h3{font-size:15px;margin:6px 0}
    table{border-collapse:collapse;margin:6px 0 14px;font-size:13px}
    th,td{border-bottom:1px solid #e4e4e4;padding:3px 10px 3px 0;text-align:left;vertical-align:top}
    th{font-weight:600;border-bottom:1px solid #bbb}td.num{text-align:right;font-variant-numeric:tabular-nums}
    table.kv td:first-child{color:#555;white-space:nowrap}
    caption{caption-side:top;text-align:left;color:#555;padding-bottom:2px}
    figure{margin:18px 0 26px}figure svg{display:block;max-width:100%;height:auto}
    figcaption{color:#444;font-size:13px;max-width:760px}
    td.share{width:260px}span.bar{display:inline-block;height:10px;background:#1f77b4;opacity:.8}
    pre{background:#f4f4f4;padding:8px;overflow:auto;max-height:480px;font-size:12px}
    details{margin:8px 0}footer{margin-top:28px;color:#777;font-size:12px}
    """

    /// Checks that every figure rendered (an SVG with a non-empty box and drawn marks) and says
    /// so on the page's body (`data-figures-rendered="n/m"`) and, for a failure, on the console.
    static let selfCheck = """
    (function(){var figs=document.querySelectorAll('figure.plot-figure');var ok=0;
    figs.forEach(function(f){var s=f.querySelector('svg');var b=s?s.getBBox():null;
    if(!s||!b||b.width<=0||b.height<=0||!s.querySelector('path,rect.bar,rect.cell')){console.error('figure '+f.id+' did not render');}else{ok++;}});
    document.body.setAttribute('data-figures-rendered',ok+'/'+figs.length);})();
    """
}

/// Building HTML text.
struct HTMLText {
    var parts: [String] = []

    mutating func raw(_ s: String) { parts.append(s) }

    var string: String { parts.joined() }

    mutating func keyValue(_ rows: [(String, String)]) {
        raw("<table class=\"kv\"><tbody>\n")
        for (k, v) in rows { raw("<tr><td>\(HTMLText.escape(k))</td><td>\(HTMLText.escape(v))</td></tr>\n") }
        raw("</tbody></table>\n")
    }

    mutating func table(_ t: ReportTable) {
        raw("<table>")
        if let c = t.caption { raw("<caption>\(HTMLText.escape(c))</caption>") }
        raw("<thead><tr>" + t.columns.map { "<th>\(HTMLText.escape($0))</th>" }.joined() + "</tr></thead><tbody>\n")
        for row in t.rows {
            raw("<tr>" + row.map { cell in
                let numeric = Double(cell.replacingOccurrences(of: "%", with: "")) != nil || cell == "–"
                return numeric ? "<td class=\"num\">\(HTMLText.escape(cell))</td>" : "<td>\(HTMLText.escape(cell))</td>"
            }.joined() + "</tr>\n")
        }
        raw("</tbody></table>\n")
    }

    static func escape(_ s: String) -> String { SVGText.escape(s) }
}
