import Foundation
import PlexusCore

/// What a NESTML physical unit means as a number in generated code. NESTML's NEST target writes
/// every quantity on the "neuroscience" scale (pynestml's `NESTUnitConverter.get_factor`): a unit
/// of one of six kinds (time, voltage, current, capacitance, conductance, resistance) is expressed
/// in ms, mV, pA, pF, nS or GΩ; any other unit is taken apart into its written factors, each
/// scaled that way, while a factor of another kind (Hz, mol, m, ...) counts as 1. So `1 s` is
/// 1000, `1/s` is 0.001, `mS/cm**2` is 1e6, `nS/mV` is 1, and `1 kHz` is 1 (as in NESTML).
public struct NESTMLUnit: Equatable, Sendable {
    /// SI exponents of (kg, m, s, A, K, mol, cd).
    public var dims: [Int]
    /// The value of one unit in SI.
    public var si: Double
    /// The factor NESTML's NEST target multiplies a literal in this unit by.
    public var factor: Double

    public static let dimensionless = NESTMLUnit(dims: [0, 0, 0, 0, 0, 0, 0], si: 1, factor: 1)

    public var isDimensionless: Bool { dims.allSatisfy { $0 == 0 } }

    // (kg, m, s, A, K, mol, cd)
    static let time = [0, 0, 1, 0, 0, 0, 0], current = [0, 0, 0, 1, 0, 0, 0]
    static let voltage = [1, 2, -3, -1, 0, 0, 0], capacitance = [-1, -2, 4, 2, 0, 0, 0]
    static let conductance = [-1, -2, 3, 2, 0, 0, 0], resistance = [1, 2, -3, -2, 0, 0, 0]
    /// The six kinds NESTML rescales, with the SI value of the unit it writes them in.
    static let targets: [([Int], Double, String)] = [(time, 1e-3, "ms"), (voltage, 1e-3, "mV"), (current, 1e-12, "pA"),
                                                     (capacitance, 1e-12, "pF"), (conductance, 1e-9, "nS"), (resistance, 1e9, "GOhm")]

    static let bases: [String: ([Int], Double)] = [
        "s": (time, 1), "A": (current, 1), "V": (voltage, 1), "F": (capacitance, 1), "S": (conductance, 1),
        "Ohm": (resistance, 1), "ohm": (resistance, 1), "Hz": ([0, 0, -1, 0, 0, 0, 0], 1),
        "mol": ([0, 0, 0, 0, 0, 1, 0], 1), "m": ([0, 1, 0, 0, 0, 0, 0], 1), "g": ([1, 0, 0, 0, 0, 0, 0], 1e-3),
        "K": ([0, 0, 0, 0, 1, 0, 0], 1), "cd": ([0, 0, 0, 0, 0, 0, 1], 1), "C": ([0, 0, 1, 1, 0, 0, 0], 1),
        "J": ([1, 2, -2, 0, 0, 0, 0], 1), "W": ([1, 2, -3, 0, 0, 0, 0], 1), "N": ([1, 1, -2, 0, 0, 0, 0], 1),
        "Pa": ([1, -1, -2, 0, 0, 0, 0], 1), "T": ([1, 0, -2, -1, 0, 0, 0], 1), "Wb": ([1, 2, -2, -1, 0, 0, 0], 1),
        "H": ([1, 2, -2, -2, 0, 0, 0], 1), "L": ([0, 3, 0, 0, 0, 0, 0], 1e-3), "l": ([0, 3, 0, 0, 0, 0, 0], 1e-3),
        "M": ([0, -3, 0, 0, 0, 1, 0], 1e3), "min": (time, 60), "h": (time, 3600), "rad": ([0, 0, 0, 0, 0, 0, 0], 1), "Bq": ([0, 0, -1, 0, 0, 0, 0], 1),
    ]
    static let prefixes: [(String, Int)] = [("da", 1), ("Y", 24), ("Z", 21), ("E", 18), ("P", 15), ("T", 12), ("G", 9),
                                            ("M", 6), ("k", 3), ("h", 2), ("d", -1), ("c", -2), ("m", -3), ("u", -6),
                                            ("µ", -6), ("n", -9), ("p", -12), ("f", -15), ("a", -18), ("z", -21), ("y", -24)]

    /// A unit name with its prefix (`mV`, `GOhm`, `mmol`); nil if unknown.
    public static func symbol(_ name: String) -> NESTMLUnit? {
        func make(_ dims: [Int], _ si: Double) -> NESTMLUnit {
            let target = targets.first { $0.0 == dims }
            return NESTMLUnit(dims: dims, si: si, factor: target.map { si / $0.1 } ?? 1)
        }
        if let (d, si) = bases[name] { return make(d, si) }
        for (p, e) in prefixes where name.hasPrefix(p) && name.count > p.count {
            if let (d, si) = bases[String(name.dropFirst(p.count))] { return make(d, si * pow(10, Double(e))) }
        }
        return nil
    }

    /// A written unit; `name` is nil when every symbol is known, else the unknown symbol.
    public static func of(_ u: NESTML.UnitExpr) -> Result<NESTMLUnit, UnknownUnit> {
        // The written factors with their powers (astropy keeps them apart).
        var factors: [(NESTMLUnit, Double)] = []
        var scale = 1.0
        func walk(_ u: NESTML.UnitExpr, _ p: Double) -> UnknownUnit? {
            switch u {
            case .symbol(let s):
                guard let unit = symbol(s) else { return UnknownUnit(symbol: s) }
                factors.append((unit, p))
            case .factor(let n): scale *= pow(Double(n), p)
            case .product(let a, let b): return walk(a, p) ?? walk(b, p)
            case .quotient(let a, let b): return walk(a, p) ?? walk(b, -p)
            case .power(let a, let e): return walk(a, p * e.value)
            }
            return nil
        }
        if let bad = walk(u, 1) { return .failure(bad) }
        var dims = [Int](repeating: 0, count: 7)
        var si = scale, decomposed = 1.0
        for (f, p) in factors {
            for k in 0..<7 { dims[k] += Int((Double(f.dims[k]) * p).rounded()) }
            si *= pow(f.si, p)
            decomposed *= pow(f.factor, p)
        }
        if let target = targets.first(where: { $0.0 == dims }) {
            return .success(NESTMLUnit(dims: dims, si: si, factor: si / target.1))
        }
        return .success(NESTMLUnit(dims: dims, si: si, factor: dims.allSatisfy { $0 == 0 } && factors.isEmpty ? scale : decomposed))
    }

    public struct UnknownUnit: Error { public let symbol: String }

    /// The unit symbol Plexus's parameter tables use for a declared unit, when it is one of
    /// NESTML's six rescaled kinds (values are then given in ms, mV, pA, pF, nS or GOhm); "" else.
    public var plexusSymbol: String {
        guard let t = Self.targets.first(where: { $0.0 == dims }) else { return "" }
        return t.2 == "GOhm" ? "" : t.2
    }
}
