/// Plots as plain values: a `Figure` is one or more `Panel`s stacked vertically (sharing the x
/// axis when asked); a panel has two `Axis`es and a list of `Mark`s. `SVGRenderer` draws them.
/// Engines build figures from their data with the helpers in `Plots`.

public enum AxisScale: Sendable, Equatable {
    case linear
    /// log10; non-positive values are left out.
    case log
}

public struct Axis: Sendable, Equatable {
    public var label: String
    /// Shown after the label in parentheses: "time (ms)".
    public var unit: String?
    public var scale: AxisScale
    /// Fixed range; nil = from the data, widened to the nearest ticks.
    public var range: ClosedRange<Double>?
    /// Include 0 in an automatic range (bar heights, rates).
    public var includeZero: Bool
    /// Labels for the integer positions 0, 1, ... instead of numeric ticks (matrix rows, regions).
    public var categories: [String]?
    /// Values grow downwards (matrix rows top to bottom).
    public var reversed: Bool
    /// Draw no tick labels and no axis label (upper panels of a figure with a shared x axis).
    public var hidden: Bool
    /// Ticks only at whole numbers (counts, neuron ids).
    public var integer: Bool

    public init(_ label: String, unit: String? = nil, scale: AxisScale = .linear, range: ClosedRange<Double>? = nil,
                includeZero: Bool = false, categories: [String]? = nil, reversed: Bool = false, hidden: Bool = false,
                integer: Bool = false) {
        self.label = label
        self.unit = unit
        self.scale = scale
        self.range = range
        self.includeZero = includeZero
        self.categories = categories
        self.reversed = reversed
        self.hidden = hidden
        self.integer = integer
    }

    /// "label (unit)".
    public var title: String {
        guard let unit, !unit.isEmpty else { return label }
        return "\(label) (\(unit))"
    }
}

/// A polyline through (x, y); NaN (or, on a log axis, non-positive) values break it.
public struct LineMark: Sendable, Equatable {
    public var xs: [Double]
    public var ys: [Double]
    public var color: Color
    public var width: Double
    public var dashed: Bool
    /// Horizontal then vertical segments (a step function, value held until the next x).
    public var steps: Bool
    public var label: String?
    public var opacity: Double

    public init(xs: [Double], ys: [Double], color: Color, width: Double = 1.5, dashed: Bool = false, steps: Bool = false,
                label: String? = nil, opacity: Double = 1) {
        self.xs = xs; self.ys = ys; self.color = color; self.width = width; self.dashed = dashed; self.steps = steps; self.label = label
        self.opacity = opacity
    }
}

/// Histogram bars: bar i spans edges[i] ... edges[i+1] and rises from 0 to heights[i].
public struct BarMark: Sendable, Equatable {
    public var edges: [Double]
    public var heights: [Double]
    public var color: Color
    public var opacity: Double
    public var label: String?

    public init(edges: [Double], heights: [Double], color: Color, opacity: Double = 0.75, label: String? = nil) {
        precondition(edges.count == heights.count + 1 || heights.isEmpty, "a histogram needs one more edge than bars")
        self.edges = edges; self.heights = heights; self.color = color; self.opacity = opacity; self.label = label
    }
}

/// Dots at (x, y).
public struct PointMark: Sendable, Equatable {
    public var xs: [Double]
    public var ys: [Double]
    public var color: Color
    public var radius: Double
    public var opacity: Double
    public var label: String?

    public init(xs: [Double], ys: [Double], color: Color, radius: Double = 2.5, opacity: Double = 0.7, label: String? = nil) {
        self.xs = xs; self.ys = ys; self.color = color; self.radius = radius; self.opacity = opacity; self.label = label
    }
}

/// Short vertical strokes centred at (x, y), `height` data units tall (at least one pixel):
/// a spike raster.
public struct TickMark: Sendable, Equatable {
    public var xs: [Double]
    public var ys: [Double]
    public var height: Double
    public var color: Color
    public var label: String?

    public init(xs: [Double], ys: [Double], height: Double, color: Color, label: String? = nil) {
        self.xs = xs; self.ys = ys; self.height = height; self.color = color; self.label = label
    }
}

/// A matrix of coloured cells: row r, column c spans x0 + c·dx ... and y0 + r·dy ... .
public struct HeatmapMark: Sendable, Equatable {
    public var values: [[Double]]
    public var x0: Double, dx: Double
    public var y0: Double, dy: Double
    public var colorMap: ColorMap
    /// Colour range; nil = the finite min ... max of the values.
    public var range: ClosedRange<Double>?

    public init(values: [[Double]], x0: Double = 0, dx: Double = 1, y0: Double = 0, dy: Double = 1,
                colorMap: ColorMap = .viridis, range: ClosedRange<Double>? = nil) {
        self.values = values; self.x0 = x0; self.dx = dx; self.y0 = y0; self.dy = dy; self.colorMap = colorMap; self.range = range
    }

    public var rows: Int { values.count }
    public var columns: Int { values.first?.count ?? 0 }

    /// The colour range in use.
    public var colorRange: ClosedRange<Double> {
        if let range { return range }
        var lo = Double.infinity, hi = -Double.infinity
        for row in values { for v in row where v.isFinite { lo = min(lo, v); hi = max(hi, v) } }
        guard lo <= hi else { return 0...1 }
        return lo == hi ? (lo - 0.5)...(hi + 0.5) : lo...hi
    }
}

/// A horizontal (y = value) or vertical (x = value) reference line across the panel.
public struct RuleMark: Sendable, Equatable {
    public enum Orientation: Sendable, Equatable { case horizontal, vertical }
    public var orientation: Orientation
    public var value: Double
    public var color: Color
    public var dashed: Bool
    public var label: String?

    public init(_ orientation: Orientation, at value: Double, color: Color = .grey, dashed: Bool = true, label: String? = nil) {
        self.orientation = orientation; self.value = value; self.color = color; self.dashed = dashed; self.label = label
    }
}

/// Straight pieces from (x0, y0) to (x1, y1), each coloured by its value on a colour map and
/// drawn as wide as its diameter (2 · radius, in x units) but within `minWidth ... maxWidth`
/// pixels: a neuron's morphology coloured by membrane voltage.
public struct SegmentMark: Sendable, Equatable {
    public var x0: [Double], y0: [Double], x1: [Double], y1: [Double]
    public var radii: [Double]
    public var values: [Double]
    public var colorMap: ColorMap
    public var range: ClosedRange<Double>
    public var minWidth: Double
    public var maxWidth: Double

    public init(x0: [Double], y0: [Double], x1: [Double], y1: [Double], radii: [Double], values: [Double],
                colorMap: ColorMap = .viridis, range: ClosedRange<Double>, minWidth: Double = 1.2, maxWidth: Double = 9) {
        self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1; self.radii = radii; self.values = values
        self.colorMap = colorMap; self.range = range; self.minWidth = minWidth; self.maxWidth = maxWidth
    }

    public var count: Int { min(x0.count, y0.count, x1.count, y1.count, values.count) }
}

/// Text at data positions, centred (labels of the copies of a morphology, a scale bar).
public struct TextMark: Sendable, Equatable {
    public var xs: [Double]
    public var ys: [Double]
    public var texts: [String]
    public init(xs: [Double], ys: [Double], texts: [String]) { self.xs = xs; self.ys = ys; self.texts = texts }
}

public enum Mark: Sendable, Equatable {
    case line(LineMark)
    case bars(BarMark)
    case points(PointMark)
    case ticks(TickMark)
    case heatmap(HeatmapMark)
    case rule(RuleMark)
    case segments(SegmentMark)
    case text(TextMark)

    /// Legend entry: the label and colour, when the mark has a label.
    var legend: (label: String, color: Color, kind: LegendKind)? {
        switch self {
        case .line(let m): return m.label.map { ($0, m.color, .line) }
        case .bars(let m): return m.label.map { ($0, m.color, .box) }
        case .points(let m): return m.label.map { ($0, m.color, .dot) }
        case .ticks(let m): return m.label.map { ($0, m.color, .box) }
        case .rule(let m): return m.label.map { ($0, m.color, .dashedLine) }
        case .heatmap, .segments, .text: return nil
        }
    }

    enum LegendKind { case line, dashedLine, box, dot }
}

/// A colour bar beside a panel (for its heatmap's colours).
public struct ColorBar: Sendable, Equatable {
    public var label: String
    public var unit: String?
    public var colorMap: ColorMap
    public var range: ClosedRange<Double>

    public init(_ label: String, unit: String? = nil, colorMap: ColorMap, range: ClosedRange<Double>) {
        self.label = label; self.unit = unit; self.colorMap = colorMap; self.range = range
    }

    var title: String { Axis(label, unit: unit).title }
}

public struct Panel: Sendable, Equatable {
    public var x: Axis
    public var y: Axis
    public var marks: [Mark]
    /// Height of the plotting area in pixels.
    public var height: Double
    public var colorBar: ColorBar?
    /// Text in the top-left corner of the plotting area ("r = 0.82", "mean CV 0.17").
    public var note: String?
    /// Legend position inside the plotting area.
    public var legendAtLeft: Bool
    /// One data unit is as long on y as on x (a morphology): the height follows from the width
    /// and the two axis ranges (within 80 ... 900 pixels), and `height` is ignored.
    public var equalAspect: Bool

    public init(x: Axis, y: Axis, marks: [Mark] = [], height: Double = 220, colorBar: ColorBar? = nil, note: String? = nil,
                legendAtLeft: Bool = false, equalAspect: Bool = false) {
        self.x = x; self.y = y; self.marks = marks; self.height = height; self.colorBar = colorBar; self.note = note
        self.legendAtLeft = legendAtLeft; self.equalAspect = equalAspect
    }
}

public struct Figure: Sendable, Equatable {
    /// Unique within a report: the anchor of the figure and the prefix of its SVG ids.
    public var id: String
    public var title: String
    /// One or two sentences under the figure: what is shown and how it was reduced.
    public var caption: String
    /// Width of the whole SVG in pixels.
    public var width: Double
    /// Stacked top to bottom.
    public var panels: [Panel]
    /// Panels share the x axis: only the bottom one shows its ticks and label.
    public var sharedX: Bool

    public init(id: String, title: String, caption: String = "", width: Double = 760, panels: [Panel], sharedX: Bool = false) {
        self.id = id; self.title = title; self.caption = caption; self.width = width; self.panels = panels; self.sharedX = sharedX
    }
}
