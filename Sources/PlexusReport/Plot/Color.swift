/// An sRGB colour with 8-bit channels.
public struct Color: Sendable, Equatable, Hashable {
    public var r: UInt8, g: UInt8, b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    /// From "#rrggbb"; black for anything else.
    public init(hex: String) {
        var v: UInt32 = 0
        for c in hex.utf8.dropFirst(hex.hasPrefix("#") ? 1 : 0).prefix(6) {
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 97...102: d = UInt32(c - 87)
            case 65...70: d = UInt32(c - 55)
            default: d = 0
            }
            v = v << 4 | d
        }
        self.init(UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff))
    }

    /// "#rrggbb".
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [35]
        for c in [r, g, b] { out.append(digits[Int(c >> 4)]); out.append(digits[Int(c & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Linear interpolation between two colours (t in [0, 1]).
    public static func mix(_ a: Color, _ b: Color, _ t: Double) -> Color {
        func ch(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) + (Double(y) - Double(x)) * t).rounded()) }
        return Color(ch(a.r, b.r), ch(a.g, b.g), ch(a.b, b.b))
    }

    public static let black = Color(0, 0, 0)
    public static let white = Color(255, 255, 255)
    public static let grey = Color(127, 127, 127)
    public static let lightGrey = Color(221, 221, 221)

    /// Tableau's ten categorical colours (matplotlib's default cycle): series k gets `palette[k % 10]`.
    public static let palette: [Color] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"].map { Color(hex: $0) }

    public static func series(_ k: Int) -> Color { palette[((k % palette.count) + palette.count) % palette.count] }
}

/// A continuous colour map: key colours at equal spacing over [0, 1], interpolated linearly.
/// The key colours are matplotlib's maps sampled at 0, 0.1, ..., 1.
public struct ColorMap: Sendable, Equatable {
    public let name: String
    public let keys: [Color]

    public init(name: String, keys: [Color]) {
        precondition(keys.count >= 2, "a colour map needs at least two key colours")
        self.name = name
        self.keys = keys
    }

    /// The colour of t in [0, 1] (clamped; NaN gives light grey).
    public func color(_ t: Double) -> Color {
        guard t.isFinite else { return .lightGrey }
        let u = min(max(t, 0), 1) * Double(keys.count - 1)
        let i = min(Int(u), keys.count - 2)
        return Color.mix(keys[i], keys[i + 1], u - Double(i))
    }

    /// The colour of v on the range `lo ... hi`.
    public func color(_ v: Double, lo: Double, hi: Double) -> Color {
        color(hi > lo ? (v - lo) / (hi - lo) : 0.5)
    }

    /// Perceptually uniform, dark blue to yellow: magnitudes (rates, power, sweep results).
    public static let viridis = ColorMap(name: "viridis", keys: ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
                                                                 "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"].map { Color(hex: $0) })
    /// Perceptually uniform, black to light yellow.
    public static let magma = ColorMap(name: "magma", keys: ["#000004", "#140e36", "#3b0f70", "#641a80", "#8c2981", "#b73779",
                                                             "#de4968", "#f7705c", "#fe9f6d", "#fecf92", "#fcfdbf"].map { Color(hex: $0) })
    /// Diverging blue - white - red (matplotlib's RdBu_r): signed values around 0 (correlations, voltage around rest).
    public static let blueRed = ColorMap(name: "RdBu_r", keys: ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
                                                                "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"].map { Color(hex: $0) })
}
