import Foundation

/// Draws a `Figure` as a standalone SVG element (no external fonts, styles or scripts).
///
/// Marks carry classes a reader can find them by: `tick-x` / `tick-y` (tick labels, positioned
/// at their tick), `bar` (histogram rectangles), `raster`, `line`, `points`, `cell`,
/// `colorbar`, `legend`, `note`.
public enum SVGRenderer {
    static let tickFont = 11.0
    static let titleFont = 12.0
    static let charWidth = 0.62   // average advance of DejaVu Sans / Helvetica digits and letters, in em
    /// Legends with this many entries or more sit outside the plotting area, on its right.
    static let outsideLegendEntries = 4

    public static func render(_ figure: Figure) -> String {
        var svg = SVGText()
        let layouts = figure.panels.enumerated().map { k, p in
            PanelLayout(p, hideX: figure.sharedX && k < figure.panels.count - 1)
        }
        let left = (layouts.map(\.leftNeed).max() ?? 40).rounded(.up)
        let right = (layouts.map(\.rightNeed).max() ?? 16).rounded(.up)
        let plotWidth = max(figure.width - left - right, 40)
        var y = 10.0
        var tops: [Double] = []
        var panels = figure.panels
        for (k, l) in layouts.enumerated() {
            if panels[k].equalAspect, l.x.hi > l.x.lo {
                panels[k].height = min(max(plotWidth * (l.y.hi - l.y.lo) / (l.x.hi - l.x.lo), 80), 900).rounded()
            }
            tops.append(y)
            y += panels[k].height + (l.hideX ? 12 : 44)
        }
        let height = (y - 4).rounded(.up)
        svg.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" id=\"\(SVGText.escape(figure.id))-svg\" width=\"\(SVGText.num(figure.width))\" height=\"\(SVGText.num(height))\" viewBox=\"0 0 \(SVGText.num(figure.width)) \(SVGText.num(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"\(SVGText.num(tickFont))\">")
        svg.raw("<title>\(SVGText.escape(figure.title))</title>")
        for (k, panel) in panels.enumerated() {
            let frame = Rect(x: left, y: tops[k], width: plotWidth, height: panel.height)
            drawPanel(panel, layout: layouts[k], frame: frame, id: "\(figure.id)-p\(k)", into: &svg)
        }
        svg.raw("</svg>")
        return svg.string
    }

    struct Rect { var x, y, width, height: Double }

    /// Axis domains and label sizes of a panel, computed before its position is known.
    struct PanelLayout {
        let x: Domain
        let y: Domain
        let hideX: Bool
        let leftNeed: Double
        let rightNeed: Double
        /// Many legend entries go to the right of the plot instead of over the data.
        let legendOutside: Bool

        init(_ p: Panel, hideX: Bool) {
            self.hideX = hideX || p.x.hidden
            // Ticks are chosen for a nominal plot width; the final width is close to it.
            x = Domain(axis: p.x, values: SVGRenderer.extent(p.marks, horizontal: true), pixels: 640)
            y = Domain(axis: p.y, values: SVGRenderer.extent(p.marks, horizontal: false), pixels: p.height)
            let labelChars = p.y.hidden ? 0 : (y.labels.map(\.count).max() ?? 1)
            leftNeed = 8 + (p.y.hidden ? 0 : SVGRenderer.titleFont + 8) + Double(labelChars) * SVGRenderer.tickFont * SVGRenderer.charWidth + 8
            let entries = p.marks.compactMap(\.legend)
            legendOutside = entries.count >= SVGRenderer.outsideLegendEntries
            let legendWidth = Double(entries.map(\.label.count).max() ?? 0) * SVGRenderer.tickFont * SVGRenderer.charWidth + 34
            if legendOutside {
                rightNeed = 12 + legendWidth + 8
            } else if let bar = p.colorBar {
                let d = Domain(axis: Axis(bar.label, range: bar.range), values: [], pixels: p.height)
                let chars = d.labels.map(\.count).max() ?? 1
                rightNeed = 14 + 12 + 6 + Double(chars) * SVGRenderer.tickFont * SVGRenderer.charWidth + 8 + SVGRenderer.titleFont + 8
            } else {
                rightNeed = 18
            }
        }
    }

    /// The data range of an axis, its ticks and tick labels.
    struct Domain {
        let lo: Double, hi: Double   // in transformed units (log10 for log axes)
        let ticks: [Double]          // data units
        let labels: [String]
        let log: Bool
        let reversed: Bool

        init(axis: Axis, values: [Double], pixels: Double) {
            log = axis.scale == .log
            reversed = axis.reversed
            let target = max(2, Int(pixels / (pixels > 300 ? 90 : 45)))
            if let cats = axis.categories {
                lo = -0.5
                hi = Double(max(cats.count, 1)) - 0.5
                // A label at least every 15 pixels (row labels of a region plot fit one per row).
                let every = max(1, Int((Double(cats.count) * 15 / max(pixels, 1)).rounded(.up)))
                let idx = Array(stride(from: 0, to: cats.count, by: every))
                ticks = idx.map(Double.init)
                labels = idx.map { cats[$0] }
                return
            }
            if log {
                var a = axis.range?.lowerBound ?? .infinity, b = axis.range?.upperBound ?? -.infinity
                if axis.range == nil {
                    for v in values where v > 0 && v.isFinite { a = min(a, v); b = max(b, v) }
                    if a > b { a = 1; b = 10 }
                    a = pow(10, log10(a).rounded(.down))
                    b = pow(10, log10(b).rounded(.up))
                    if a == b { b = a * 10 }
                }
                lo = log10(a); hi = log10(b)
                ticks = Ticks.logarithmic(lo: a, hi: b)
                labels = Ticks.logLabels(ticks)
                return
            }
            var a = axis.range?.lowerBound ?? .infinity, b = axis.range?.upperBound ?? -.infinity
            let auto = axis.range == nil
            if auto {
                for v in values where v.isFinite { a = min(a, v); b = max(b, v) }
                if axis.includeZero { a = min(a, 0); b = max(b, 0) }
                if a > b { a = 0; b = 1 }
                if a == b { let d = a == 0 ? 1 : abs(a) * 0.1; a -= d; b += d }
            }
            var step = Ticks.step(lo: a, hi: b, target: target)
            if axis.integer { step = max(step, 1) }
            // Short axes: at least 16 px between labels.
            let most = max(2, Int(pixels / 16))
            while auto && Int(((b / step - 1e-9).rounded(.up) - (a / step + 1e-9).rounded(.down))) + 1 > most + 1 {
                step = Ticks.niceStep(step * 1.5)
            }
            if auto {
                // Widen to the enclosing ticks (a value on a tick stays the end).
                a = (a / step + 1e-9).rounded(.down) * step
                b = (b / step - 1e-9).rounded(.up) * step
            }
            lo = a; hi = b
            ticks = Ticks.linear(lo: a, hi: b, step: step)
            labels = Ticks.labels(ticks, step: step)
        }

        func transform(_ v: Double) -> Double { log ? (v > 0 ? log10(v) : -.infinity) : v }
    }

    /// Maps data to pixels along one axis.
    struct Scale {
        let d: Domain
        let p0: Double, p1: Double   // pixel of lo and of hi
        @inline(__always) func callAsFunction(_ v: Double) -> Double {
            let t = d.transform(v)
            return p0 + (t - d.lo) / (d.hi - d.lo) * (p1 - p0)
        }
    }

    static func extent(_ marks: [Mark], horizontal h: Bool) -> [Double] {
        var out: [Double] = []
        func add(_ xs: [Double]) {
            var lo = Double.infinity, hi = -Double.infinity
            for v in xs where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
            if lo <= hi { out += [lo, hi] }
            // Log axes need the smallest positive value too.
            var pos = Double.infinity
            for v in xs where v > 0 && v.isFinite { pos = min(pos, v) }
            if pos.isFinite { out.append(pos) }
        }
        for m in marks {
            switch m {
            case .line(let l): add(h ? l.xs : l.ys)
            case .bars(let b): add(h ? b.edges : b.heights + (b.heights.isEmpty ? [] : [0]))
            case .points(let p): add(h ? p.xs : p.ys)
            case .ticks(let t):
                if h { add(t.xs) } else {
                    add(t.ys)
                    if let lo = t.ys.min(), let hi = t.ys.max() { out += [lo - t.height / 2, hi + t.height / 2] }
                }
            case .heatmap(let hm):
                out += h ? [hm.x0, hm.x0 + Double(hm.columns) * hm.dx] : [hm.y0, hm.y0 + Double(hm.rows) * hm.dy]
            case .rule(let r):
                if (r.orientation == .vertical) == h { out.append(r.value) }
            case .segments(let s):
                add(h ? s.x0 + s.x1 : s.y0 + s.y1)
            case .text(let t):
                add(h ? t.xs : t.ys)
            }
        }
        return out
    }

    static func drawPanel(_ p: Panel, layout l: PanelLayout, frame f: Rect, id: String, into svg: inout SVGText) {
        let sx = Scale(d: l.x, p0: l.x.reversed ? f.x + f.width : f.x, p1: l.x.reversed ? f.x : f.x + f.width)
        let sy = Scale(d: l.y, p0: l.y.reversed ? f.y : f.y + f.height, p1: l.y.reversed ? f.y + f.height : f.y)
        let n = SVGText.num
        svg.raw("<g class=\"panel\" id=\"\(id)\">")
        svg.raw("<clipPath id=\"\(id)-clip\"><rect x=\"\(n(f.x))\" y=\"\(n(f.y))\" width=\"\(n(f.width))\" height=\"\(n(f.height))\"/></clipPath>")
        svg.raw("<rect x=\"\(n(f.x))\" y=\"\(n(f.y))\" width=\"\(n(f.width))\" height=\"\(n(f.height))\" fill=\"#ffffff\" stroke=\"none\"/>")
        // Grid at the y ticks (and x ticks), under the data.
        let hasHeatmap = p.marks.contains { if case .heatmap = $0 { return true } else { return false } }
        if !hasHeatmap {
            svg.raw("<g stroke=\"#e6e6e6\" stroke-width=\"1\">")
            for t in l.y.ticks { let y = sy(t); svg.raw("<line x1=\"\(n(f.x))\" x2=\"\(n(f.x + f.width))\" y1=\"\(n(y))\" y2=\"\(n(y))\"/>") }
            for t in l.x.ticks { let x = sx(t); svg.raw("<line x1=\"\(n(x))\" x2=\"\(n(x))\" y1=\"\(n(f.y))\" y2=\"\(n(f.y + f.height))\"/>") }
            svg.raw("</g>")
        }
        svg.raw("<g clip-path=\"url(#\(id)-clip)\">")
        for m in p.marks {
            switch m {
            case .heatmap(let h): drawHeatmap(h, sx: sx, sy: sy, into: &svg)
            case .bars(let b): drawBars(b, sx: sx, sy: sy, into: &svg)
            case .ticks(let t): drawTicks(t, sx: sx, sy: sy, into: &svg)
            case .line(let line): drawLine(line, sx: sx, sy: sy, into: &svg)
            case .points(let pts): drawPoints(pts, sx: sx, sy: sy, into: &svg)
            case .segments(let m): drawSegments(m, sx: sx, sy: sy, into: &svg)
            case .text(let t):
                svg.raw("<g class=\"labels\" fill=\"#222222\" text-anchor=\"middle\" font-size=\"\(n(titleFont))\">")
                for i in 0..<min(t.xs.count, t.ys.count, t.texts.count) {
                    let x = sx(t.xs[i]), y = sy(t.ys[i])
                    guard x.isFinite, y.isFinite else { continue }
                    svg.raw("<text x=\"\(n(x))\" y=\"\(n(y + 4))\">\(SVGText.escape(t.texts[i]))</text>")
                }
                svg.raw("</g>")
            case .rule(let r):
                let dash = r.dashed ? " stroke-dasharray=\"5 3\"" : ""
                if r.orientation == .horizontal {
                    let y = sy(r.value)
                    svg.raw("<line class=\"rule\" x1=\"\(n(f.x))\" x2=\"\(n(f.x + f.width))\" y1=\"\(n(y))\" y2=\"\(n(y))\" stroke=\"\(r.color.hex)\" stroke-width=\"1.2\"\(dash)/>")
                } else {
                    let x = sx(r.value)
                    svg.raw("<line class=\"rule\" x1=\"\(n(x))\" x2=\"\(n(x))\" y1=\"\(n(f.y))\" y2=\"\(n(f.y + f.height))\" stroke=\"\(r.color.hex)\" stroke-width=\"1.2\"\(dash)/>")
                }
            }
        }
        svg.raw("</g>")
        // Axes: a frame, ticks outside, labels.
        svg.raw("<rect x=\"\(n(f.x))\" y=\"\(n(f.y))\" width=\"\(n(f.width))\" height=\"\(n(f.height))\" fill=\"none\" stroke=\"#444444\" stroke-width=\"1\"/>")
        svg.raw("<g stroke=\"#444444\" stroke-width=\"1\">")
        for t in l.y.ticks { let y = sy(t); svg.raw("<line x1=\"\(n(f.x - 5))\" x2=\"\(n(f.x))\" y1=\"\(n(y))\" y2=\"\(n(y))\"/>") }
        for t in l.x.ticks { let x = sx(t); svg.raw("<line x1=\"\(n(x))\" x2=\"\(n(x))\" y1=\"\(n(f.y + f.height))\" y2=\"\(n(f.y + f.height + 5))\"/>") }
        svg.raw("</g>")
        if !p.y.hidden {
            svg.raw("<g fill=\"#222222\" text-anchor=\"end\">")
            for (t, label) in zip(l.y.ticks, l.y.labels) {
                svg.raw("<text class=\"tick-y\" x=\"\(n(f.x - 8))\" y=\"\(n(sy(t) + 4))\" data-value=\"\(SVGText.escape(label))\">\(SVGText.escape(label))</text>")
            }
            svg.raw("</g>")
            let cy = f.y + f.height / 2
            svg.raw("<text class=\"axis-title-y\" x=\"0\" y=\"0\" transform=\"translate(\(n(8 + titleFont * 0.8)) \(n(cy))) rotate(-90)\" text-anchor=\"middle\" font-size=\"\(n(titleFont))\" fill=\"#222222\">\(SVGText.escape(p.y.title))</text>")
        }
        if !l.hideX {
            svg.raw("<g fill=\"#222222\" text-anchor=\"middle\">")
            for (t, label) in zip(l.x.ticks, l.x.labels) {
                svg.raw("<text class=\"tick-x\" x=\"\(n(sx(t)))\" y=\"\(n(f.y + f.height + 18))\" data-value=\"\(SVGText.escape(label))\">\(SVGText.escape(label))</text>")
            }
            svg.raw("</g>")
            svg.raw("<text class=\"axis-title-x\" x=\"\(n(f.x + f.width / 2))\" y=\"\(n(f.y + f.height + 36))\" text-anchor=\"middle\" font-size=\"\(n(titleFont))\" fill=\"#222222\">\(SVGText.escape(p.x.title))</text>")
        }
        if let note = p.note {
            svg.raw("<text class=\"note\" x=\"\(n(f.x + 8))\" y=\"\(n(f.y + 16))\" font-size=\"\(n(titleFont))\" fill=\"#111111\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">\(SVGText.escape(note))</text>")
        }
        drawLegend(p, frame: f, outside: l.legendOutside, into: &svg)
        if let bar = p.colorBar { drawColorBar(bar, frame: f, id: id, into: &svg) }
        svg.raw("</g>")
    }

    static func drawLine(_ m: LineMark, sx: Scale, sy: Scale, into svg: inout SVGText) {
        var dash = m.dashed ? " stroke-dasharray=\"6 3\"" : ""
        if m.opacity < 1 { dash += " stroke-opacity=\"\(SVGText.num(m.opacity))\"" }
        svg.raw("<path class=\"line\" fill=\"none\" stroke=\"\(m.color.hex)\" stroke-width=\"\(SVGText.num(m.width))\" stroke-linejoin=\"round\"\(dash) d=\"")
        var pen = false
        var lastY = 0.0
        for i in 0..<min(m.xs.count, m.ys.count) {
            let x = sx(m.xs[i]), y = sy(m.ys[i])
            guard x.isFinite, y.isFinite else { pen = false; continue }
            if !pen {
                svg.raw("M"); svg.num(x); svg.raw(" "); svg.num(y)
                pen = true
            } else if m.steps {
                svg.raw("H"); svg.num(x)
                if y != lastY { svg.raw("V"); svg.num(y) }
            } else {
                svg.raw("L"); svg.num(x); svg.raw(" "); svg.num(y)
            }
            lastY = y
        }
        svg.raw("\"/>")
    }

    static func drawBars(_ m: BarMark, sx: Scale, sy: Scale, into svg: inout SVGText) {
        let base = sy(sy.d.log ? pow(10, sy.d.lo) : 0)
        let label = m.label.map { " data-label=\"\(SVGText.escape($0))\"" } ?? ""
        if m.heights.count <= 400 {
            svg.raw("<g class=\"bars\" fill=\"\(m.color.hex)\" fill-opacity=\"\(SVGText.num(m.opacity))\"\(label)>")
            for i in m.heights.indices {
                let x0 = sx(m.edges[i]), x1 = sx(m.edges[i + 1])
                let y = sy(m.heights[i])
                guard x0.isFinite, x1.isFinite, y.isFinite else { continue }
                svg.raw("<rect class=\"bar\" x=\"\(SVGText.num(min(x0, x1)))\" y=\"\(SVGText.num(min(y, base)))\" width=\"\(SVGText.num(abs(x1 - x0)))\" height=\"\(SVGText.num(abs(base - y)))\"/>")
            }
            svg.raw("</g>")
        } else {
            // Many bars: one filled outline.
            svg.raw("<path class=\"bars\" fill=\"\(m.color.hex)\" fill-opacity=\"\(SVGText.num(m.opacity))\"\(label) d=\"M")
            svg.num(sx(m.edges[0])); svg.raw(" "); svg.num(base)
            for i in m.heights.indices {
                var y = sy(m.heights[i]); if !y.isFinite { y = base }
                svg.raw("V"); svg.num(y); svg.raw("H"); svg.num(sx(m.edges[i + 1]))
            }
            svg.raw("V"); svg.num(base); svg.raw("Z\"/>")
        }
    }

    static func drawTicks(_ m: TickMark, sx: Scale, sy: Scale, into svg: inout SVGText) {
        let h = max(1, abs(sy(m.height) - sy(0)))
        svg.raw("<path class=\"raster\" stroke=\"\(m.color.hex)\" stroke-width=\"1\" fill=\"none\" d=\"")
        let hs = SVGText.num(h)
        for i in 0..<min(m.xs.count, m.ys.count) {
            let x = sx(m.xs[i]), y = sy(m.ys[i]) - h / 2
            guard x.isFinite, y.isFinite else { continue }
            svg.raw("M"); svg.num(x); svg.raw(" "); svg.num(y); svg.raw("v"); svg.raw(hs)
        }
        svg.raw("\"/>")
    }

    static func drawPoints(_ m: PointMark, sx: Scale, sy: Scale, into svg: inout SVGText) {
        // Zero-length segments with round caps draw as dots: one path for any number of points.
        svg.raw("<path class=\"points\" stroke=\"\(m.color.hex)\" stroke-opacity=\"\(SVGText.num(m.opacity))\" stroke-width=\"\(SVGText.num(2 * m.radius))\" stroke-linecap=\"round\" fill=\"none\" d=\"")
        for i in 0..<min(m.xs.count, m.ys.count) {
            let x = sx(m.xs[i]), y = sy(m.ys[i])
            guard x.isFinite, y.isFinite else { continue }
            svg.raw("M"); svg.num(x); svg.raw(" "); svg.num(y); svg.raw("h0")
        }
        svg.raw("\"/>")
    }

    /// Pieces grouped by colour (64 levels) and width (half pixels): one path per group, so a
    /// cell of thousands of pieces stays small.
    static func drawSegments(_ m: SegmentMark, sx: Scale, sy: Scale, into svg: inout SVGText) {
        let levels = 64
        let pxPerUnit = abs(sx(1) - sx(0))
        var groups: [Int: [Int]] = [:]
        for i in 0..<m.count {
            let t = m.range.upperBound > m.range.lowerBound ? (m.values[i] - m.range.lowerBound) / (m.range.upperBound - m.range.lowerBound) : 0.5
            let level = t.isFinite ? min(max(Int((t * Double(levels - 1)).rounded()), 0), levels - 1) : levels
            let r = i < m.radii.count && m.radii[i].isFinite ? m.radii[i] : 0
            let w = min(max(2 * r * pxPerUnit, m.minWidth), m.maxWidth)
            groups[Int((w * 2).rounded()) * (levels + 1) + level, default: []].append(i)
        }
        svg.raw("<g class=\"segments\" fill=\"none\" stroke-linecap=\"round\">")
        // Wide pieces first, so thin neurites stay visible on top of a soma.
        for key in groups.keys.sorted(by: >) {
            let level = key % (levels + 1), width = Double(key / (levels + 1)) / 2
            let color = level == levels ? Color.lightGrey : m.colorMap.color(Double(level) / Double(levels - 1))
            svg.raw("<path class=\"segment\" stroke=\"\(color.hex)\" stroke-width=\"\(SVGText.num(width))\" d=\"")
            for i in groups[key]! {
                let a = sx(m.x0[i]), b = sy(m.y0[i]), c = sx(m.x1[i]), d = sy(m.y1[i])
                guard a.isFinite, b.isFinite, c.isFinite, d.isFinite else { continue }
                svg.raw("M"); svg.num(a); svg.raw(" "); svg.num(b); svg.raw("L"); svg.num(c); svg.raw(" "); svg.num(d)
            }
            svg.raw("\"/>")
        }
        svg.raw("</g>")
    }

    static func drawHeatmap(_ m: HeatmapMark, sx: Scale, sy: Scale, into svg: inout SVGText) {
        let range = m.colorRange
        svg.raw("<g class=\"heatmap\" shape-rendering=\"crispEdges\">")
        for r in 0..<m.rows {
            let ya = sy(m.y0 + Double(r) * m.dy), yb = sy(m.y0 + Double(r + 1) * m.dy)
            for c in 0..<m.values[r].count {
                let xa = sx(m.x0 + Double(c) * m.dx), xb = sx(m.x0 + Double(c + 1) * m.dx)
                let v = m.values[r][c]
                let color = m.colorMap.color(v, lo: range.lowerBound, hi: range.upperBound)
                // Cells overlap by a quarter pixel so no hairline gaps show between them.
                svg.raw("<rect class=\"cell\" x=\"\(SVGText.num(min(xa, xb)))\" y=\"\(SVGText.num(min(ya, yb)))\" width=\"\(SVGText.num(abs(xb - xa) + 0.25))\" height=\"\(SVGText.num(abs(yb - ya) + 0.25))\" fill=\"\(color.hex)\"/>")
            }
        }
        svg.raw("</g>")
    }

    static func drawLegend(_ p: Panel, frame f: Rect, outside: Bool, into svg: inout SVGText) {
        let entries = p.marks.compactMap(\.legend)
        guard !entries.isEmpty else { return }
        let n = SVGText.num
        let chars = entries.map(\.label.count).max() ?? 0
        let w = Double(chars) * tickFont * charWidth + 34
        let h = Double(entries.count) * 16 + 8
        let x = outside ? f.x + f.width + 12 : p.legendAtLeft ? f.x + 8 : f.x + f.width - w - 8
        let y = outside ? f.y : f.y + 8
        svg.raw("<g class=\"legend\"><rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"#ffffff\" fill-opacity=\"0.85\" stroke=\"#cccccc\"/>")
        for (k, e) in entries.enumerated() {
            let cy = y + 12 + Double(k) * 16
            switch e.kind {
            case .line: svg.raw("<line x1=\"\(n(x + 6))\" x2=\"\(n(x + 24))\" y1=\"\(n(cy))\" y2=\"\(n(cy))\" stroke=\"\(e.color.hex)\" stroke-width=\"2\"/>")
            case .dashedLine: svg.raw("<line x1=\"\(n(x + 6))\" x2=\"\(n(x + 24))\" y1=\"\(n(cy))\" y2=\"\(n(cy))\" stroke=\"\(e.color.hex)\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\"/>")
            case .box: svg.raw("<rect x=\"\(n(x + 8))\" y=\"\(n(cy - 5))\" width=\"14\" height=\"10\" fill=\"\(e.color.hex)\" fill-opacity=\"0.8\"/>")
            case .dot: svg.raw("<circle cx=\"\(n(x + 15))\" cy=\"\(n(cy))\" r=\"3.5\" fill=\"\(e.color.hex)\"/>")
            }
            svg.raw("<text x=\"\(n(x + 30))\" y=\"\(n(cy + 4))\" fill=\"#222222\">\(SVGText.escape(e.label))</text>")
        }
        svg.raw("</g>")
    }

    static func drawColorBar(_ bar: ColorBar, frame f: Rect, id: String, into svg: inout SVGText) {
        let n = SVGText.num
        let x = f.x + f.width + 14
        svg.raw("<g class=\"colorbar\"><linearGradient id=\"\(id)-grad\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">")
        let k = bar.colorMap.keys.count
        for (i, c) in bar.colorMap.keys.enumerated() {
            svg.raw("<stop offset=\"\(Ticks.fixed(Double(i) / Double(k - 1), decimals: 3))\" stop-color=\"\(c.hex)\"/>")
        }
        svg.raw("</linearGradient>")
        svg.raw("<rect x=\"\(n(x))\" y=\"\(n(f.y))\" width=\"12\" height=\"\(n(f.height))\" fill=\"url(#\(id)-grad)\" stroke=\"#444444\"/>")
        let d = Domain(axis: Axis(bar.label, range: bar.range), values: [], pixels: f.height)
        let s = Scale(d: d, p0: f.y + f.height, p1: f.y)
        for (t, label) in zip(d.ticks, d.labels) {
            let y = s(t)
            svg.raw("<line x1=\"\(n(x + 12))\" x2=\"\(n(x + 16))\" y1=\"\(n(y))\" y2=\"\(n(y))\" stroke=\"#444444\"/>")
            svg.raw("<text class=\"tick-c\" x=\"\(n(x + 19))\" y=\"\(n(y + 4))\" fill=\"#222222\">\(SVGText.escape(label))</text>")
        }
        let chars = d.labels.map(\.count).max() ?? 1
        let tx = x + 19 + Double(chars) * tickFont * charWidth + 6 + titleFont * 0.8
        svg.raw("<text x=\"0\" y=\"0\" transform=\"translate(\(n(tx)) \(n(f.y + f.height / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"\(n(titleFont))\" fill=\"#222222\">\(SVGText.escape(bar.title))</text>")
        svg.raw("</g>")
    }
}

/// A growing UTF-8 buffer with fast number formatting (one decimal: a tenth of a pixel).
struct SVGText {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1 << 16) }

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// Appends v with at most one decimal, without going through String.
    /// A coordinate that is not finite (an axis over an empty or zero-length run) is written as
    /// 0 and a huge one clamped, so a degenerate figure draws wrongly instead of stopping the run.
    mutating func num(_ v: Double) {
        var t = Int64((v.isFinite ? min(max(v, -1e15), 1e15) * 10 : 0).rounded())
        if t < 0 { bytes.append(45); t = -t }
        let whole = t / 10, frac = t % 10
        appendInt(whole)
        if frac != 0 { bytes.append(46); bytes.append(48 + UInt8(frac)) }
    }

    private mutating func appendInt(_ v: Int64) {
        if v < 10 { bytes.append(48 + UInt8(v)); return }
        var digits: [UInt8] = []
        var x = v
        while x > 0 { digits.append(48 + UInt8(x % 10)); x /= 10 }
        bytes.append(contentsOf: digits.reversed())
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    static func num(_ v: Double) -> String {
        var s = SVGText()
        s.bytes.removeAll()
        s.num(v)
        return s.string
    }

    /// Text and attribute values: &, <, >, " escaped.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
