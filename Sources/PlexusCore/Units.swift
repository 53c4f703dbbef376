/// Physical dimensions of parameters, each with the canonical unit the engines compute in
/// (NEST's and NEURON's units: ms, mV, pA, pF, nS, Hz ...).
public enum Dimension: String, Sendable, Codable, CaseIterable {
    case time           // ms
    case voltage        // mV
    case current        // pA
    case capacitance    // pF
    case conductance    // nS
    case rate           // Hz (spikes per second)
    case dimensionless
    /// A synaptic weight: its unit depends on the receiving model (pA, nS or mV); any of them is
    /// accepted and converted to the receiver's own unit.
    case weight

    /// The unit values are stored in.
    public var canonicalUnit: String {
        switch self {
        case .time: return "ms"
        case .voltage: return "mV"
        case .current: return "pA"
        case .capacitance: return "pF"
        case .conductance: return "nS"
        case .rate: return "Hz"
        case .dimensionless, .weight: return ""
        }
    }

    /// Factor that converts a value in `unit` to the canonical unit, or nil if the unit does not
    /// measure this dimension.
    public func factor(for unit: String) -> Double? {
        let u = unit.trimmingCharacters(in: " ")
        if u.isEmpty { return 1 }
        switch self {
        case .time: return ["ms": 1, "s": 1e3, "us": 1e-3, "µs": 1e-3, "min": 6e4][u]
        case .voltage: return ["mV": 1, "V": 1e3, "uV": 1e-3, "µV": 1e-3][u]
        case .current: return ["pA": 1, "nA": 1e3, "uA": 1e6, "µA": 1e6, "fA": 1e-3, "A": 1e12][u]
        case .capacitance: return ["pF": 1, "nF": 1e3, "uF": 1e6, "µF": 1e6, "fF": 1e-3][u]
        case .conductance: return ["nS": 1, "uS": 1e3, "µS": 1e3, "pS": 1e-3, "mS": 1e6, "S": 1e9][u]
        case .rate: return ["Hz": 1, "kHz": 1e3, "1/s": 1, "1/ms": 1e3][u]
        case .dimensionless: return nil
        case .weight:
            // The receiver decides the meaning; the number is taken in the receiver's unit.
            return ["pA": 1, "nS": 1, "mV": 1][u]
        }
    }
}

extension String {
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

    /// The value in `dimension`'s canonical unit; fails for a unit of another dimension.
    public func canonical(_ dimension: Dimension, name: String) throws -> Double {
        guard let unit else { return value }
        guard let f = dimension.factor(for: unit) else {
            let expected = dimension.canonicalUnit.isEmpty ? "no unit" : "a \(dimension.rawValue) such as \(dimension.canonicalUnit)"
            throw PlexusError("\(name): unit '\(unit)' does not fit; expected \(expected)")
        }
        return value * f
    }

    public var description: String { unit.map { "\(value) \($0)" } ?? "\(value)" }
}
