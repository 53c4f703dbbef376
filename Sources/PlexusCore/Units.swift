/// The physical dimension of a quantity, for every engine. Which unit a value is stored in is not
/// the dimension's business: a parameter declares its `PhysicalUnit` (the point engine keeps currents in
/// pA and conductances in nS, as NEST does; the cable engine in nA and µS, as NEURON does), and a
/// user may write any unit of the same dimension.
public enum Dimension: String, Sendable, Codable, CaseIterable {
    case time
    case voltage
    case current
    case capacitance
    case conductance
    case rate
    case length
    case temperature
    case specificConductance    // conductance per membrane area
    case specificCapacitance    // capacitance per membrane area
    case resistivity
    case dimensionless
    /// A synaptic weight: its unit depends on the receiving model (pA, nS or mV); any of them is
    /// accepted and the number taken in the receiver's own unit.
    case weight
}

/// A unit of measurement: its symbol, its dimension and its exact decimal scale to SI
/// (`mantissa · 10^exponent`, so that a conversion factor between two units of a dimension is a
/// correctly rounded power of ten wherever the units differ by one, as written by hand).
/// Parameters of every engine declare the unit their values are stored in.
public struct PhysicalUnit: Sendable, Hashable, CustomStringConvertible {
    public let symbol: String
    public let dimension: Dimension
    let mantissa: Double
    let exponent: Int
    /// Added after scaling to reach the SI value (temperature: °C + 273.15 = K).
    let offset: Double
    /// Other spellings a user may write (after `PhysicalUnit.normalise`).
    let aliases: [String]

    init(_ symbol: String, _ dimension: Dimension, _ mantissa: Double = 1, e exponent: Int, offset: Double = 0, aliases: [String] = []) {
        self.symbol = symbol; self.dimension = dimension; self.mantissa = mantissa; self.exponent = exponent
        self.offset = offset; self.aliases = aliases
    }

    public var description: String { symbol }
    public static func == (a: PhysicalUnit, b: PhysicalUnit) -> Bool { a.symbol == b.symbol && a.dimension == b.dimension }
    public func hash(into h: inout Hasher) { h.combine(symbol); h.combine(dimension) }

    // Time
    public static let ms = PhysicalUnit("ms", .time, e: -3)
    public static let s = PhysicalUnit("s", .time, e: 0)
    public static let us = PhysicalUnit("us", .time, e: -6)
    public static let min = PhysicalUnit("min", .time, 6, e: 1)
    // Voltage
    public static let mV = PhysicalUnit("mV", .voltage, e: -3)
    public static let V = PhysicalUnit("V", .voltage, e: 0)
    public static let uV = PhysicalUnit("uV", .voltage, e: -6)
    // Current
    public static let fA = PhysicalUnit("fA", .current, e: -15)
    public static let pA = PhysicalUnit("pA", .current, e: -12)
    public static let nA = PhysicalUnit("nA", .current, e: -9)
    public static let uA = PhysicalUnit("uA", .current, e: -6)
    public static let mA = PhysicalUnit("mA", .current, e: -3)
    public static let A = PhysicalUnit("A", .current, e: 0)
    // Capacitance
    public static let fF = PhysicalUnit("fF", .capacitance, e: -15)
    public static let pF = PhysicalUnit("pF", .capacitance, e: -12)
    public static let nF = PhysicalUnit("nF", .capacitance, e: -9)
    public static let uF = PhysicalUnit("uF", .capacitance, e: -6)
    // Conductance
    public static let pS = PhysicalUnit("pS", .conductance, e: -12)
    public static let nS = PhysicalUnit("nS", .conductance, e: -9)
    public static let uS = PhysicalUnit("uS", .conductance, e: -6)
    public static let mS = PhysicalUnit("mS", .conductance, e: -3)
    public static let S = PhysicalUnit("S", .conductance, e: 0)
    // Rate
    public static let Hz = PhysicalUnit("Hz", .rate, e: 0, aliases: ["1/s"])
    public static let kHz = PhysicalUnit("kHz", .rate, e: 3, aliases: ["1/ms"])
    // Length
    public static let nm = PhysicalUnit("nm", .length, e: -9)
    public static let um = PhysicalUnit("um", .length, e: -6)
    public static let mm = PhysicalUnit("mm", .length, e: -3)
    public static let cm = PhysicalUnit("cm", .length, e: -2)
    public static let m = PhysicalUnit("m", .length, e: 0)
    // Temperature
    public static let degC = PhysicalUnit("degC", .temperature, e: 0, offset: 273.15, aliases: ["C", "celsius", "°C"])
    public static let K = PhysicalUnit("K", .temperature, e: 0, aliases: ["kelvin"])
    // Per membrane area (NEURON's units first)
    public static let S_per_cm2 = PhysicalUnit("S/cm2", .specificConductance, e: 4)
    public static let mS_per_cm2 = PhysicalUnit("mS/cm2", .specificConductance, e: 1)
    public static let uS_per_cm2 = PhysicalUnit("uS/cm2", .specificConductance, e: -2)
    public static let S_per_m2 = PhysicalUnit("S/m2", .specificConductance, e: 0, aliases: ["pS/um2"])
    public static let uF_per_cm2 = PhysicalUnit("uF/cm2", .specificCapacitance, e: -2)
    public static let nF_per_cm2 = PhysicalUnit("nF/cm2", .specificCapacitance, e: -5)
    public static let F_per_m2 = PhysicalUnit("F/m2", .specificCapacitance, e: 0, aliases: ["pF/um2"])
    // Resistivity
    public static let ohm_cm = PhysicalUnit("ohm*cm", .resistivity, e: -2, aliases: ["ohmcm", "ohm/cm"])
    public static let kohm_cm = PhysicalUnit("kohm*cm", .resistivity, e: 1)
    public static let ohm_m = PhysicalUnit("ohm*m", .resistivity, e: 0)
    /// A pure number: no unit may be written.
    public static let one = PhysicalUnit("", .dimensionless, e: 0)
    /// A synaptic weight in the receiving model's unit (pA, nS or mV), taken as written.
    public static let weight = PhysicalUnit("", .weight, e: 0)

    /// Every unit a user may write.
    public static let all: [PhysicalUnit] = [
        ms, s, us, min, mV, V, uV, fA, pA, nA, uA, mA, A, fF, pF, nF, uF, pS, nS, uS, mS, S, Hz, kHz,
        nm, um, mm, cm, m, degC, K, S_per_cm2, mS_per_cm2, uS_per_cm2, S_per_m2, uF_per_cm2, nF_per_cm2,
        F_per_m2, ohm_cm, kohm_cm, ohm_m,
    ]

    /// One spelling for the variants people write: µ and μ as u, Ω as ohm, ² and ^2 as 2, a
    /// middle dot or an inner space as a product.
    public static func normalise(_ text: String) -> String {
        var s = text.trimmingCharacters(in: " ")
        for (a, b) in [("µ", "u"), ("μ", "u"), ("Ω", "ohm"), ("Ohm", "ohm"), ("²", "2"), ("^2", "2"), ("·", "*"), (" ", "*")] {
            s = s.replacingAll(a, b)
        }
        return s
    }

    /// The unit written as `text` (any spelling `normalise` folds), or nil.
    public static func named(_ text: String) -> PhysicalUnit? {
        let n = normalise(text)
        return all.first { $0.symbol == n || $0.aliases.contains(n) }
    }

    /// `value` given in `unit`, expressed in this unit; nil if `unit` measures another dimension.
    public func convert(_ value: Double, from written: String) -> Double? {
        let text = written.trimmingCharacters(in: " ")
        if text.isEmpty { return value }
        switch dimension {
        case .dimensionless: return nil
        case .weight:
            // The receiver decides the meaning; the number is taken in the receiver's unit.
            return ["pA", "nS", "mV"].contains(PhysicalUnit.normalise(text)) ? value : nil
        default:
            guard let from = PhysicalUnit.named(text), from.dimension == dimension else { return nil }
            if from == self { return value }
            if from.offset != 0 || offset != 0 {
                return (value * from.mantissa * PhysicalUnit.power10(from.exponent) + from.offset - offset) / (mantissa * PhysicalUnit.power10(exponent))
            }
            return value * ((from.mantissa / mantissa) * PhysicalUnit.power10(from.exponent - exponent))
        }
    }

    /// 10^k from a literal, so that it is the correctly rounded power (1e-3, not 10^-3 computed).
    static func power10(_ k: Int) -> Double {
        let table: [Double] = [1e-18, 1e-17, 1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7,
                               1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
                               1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18]
        return table[k + 18]
    }
}

extension String {
    /// Every occurrence of `a` replaced by `b` (Core does without Foundation).
    func replacingAll(_ a: String, _ b: String) -> String {
        guard !a.isEmpty, contains(a) else { return self }
        var out = ""
        var rest = Substring(self)
        while let i = rest.firstRange(of: a) {
            out += rest[rest.startIndex..<i.lowerBound]
            out += b
            rest = rest[i.upperBound...]
        }
        return out + rest
    }

    @usableFromInline func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

/// A number with an optional unit as written by a user ("1.5 ms", "376 pA", "0.1").
public struct Quantity: Sendable, Equatable, Codable, CustomStringConvertible {
    public var value: Double
    public var unit: String?

    public init(_ value: Double, _ unit: String? = nil) {
        self.value = value
        self.unit = unit
    }

    /// Parses "1.5 ms", "1.5ms", "-70 mV", "1e3", "20 Hz".
    public init(parsing text: String) throws {
        let s = text.trimmingCharacters(in: " ")
        var end = s.startIndex
        // The longest prefix that parses as a number.
        var best: (Double, String.Index)?
        while end < s.endIndex {
            end = s.index(after: end)
            if let v = Double(s[s.startIndex..<end]) { best = (v, end) }
        }
        guard let (v, idx) = best else {
            throw PlexusError("'\(text)' is not a number with an optional unit")
        }
        let unit = String(s[idx...]).trimmingCharacters(in: " ")
        if let last = s[s.startIndex..<idx].last, last == "e" || last == "E" {
            throw PlexusError("'\(text)' is not a number with an optional unit")
        }
        self.value = v
        self.unit = unit.isEmpty ? nil : unit
    }

    /// The value in `unit`; fails for a unit of another dimension.
    public func value(in target: PhysicalUnit, name: String) throws -> Double {
        guard let unit else { return value }
        guard let v = target.convert(value, from: unit) else {
            let expected: String
            switch target.dimension {
            case .dimensionless: expected = "no unit"
            case .weight: expected = "the receiver's weight unit (pA, nS or mV)"
            default: expected = "a \(target.dimension.rawValue) such as \(target.symbol)"
            }
            throw PlexusError("\(name): unit '\(unit)' does not fit; expected \(expected)")
        }
        return v
    }

    public var description: String { unit.map { "\(value) \($0)" } ?? "\(value)" }
}
