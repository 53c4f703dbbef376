import PlexusCore

/// Units of the cable engine (NEURON's): values are stored in the unit named first.
public enum CableDimension: String, Sendable, Codable {
    case voltage                // mV
    case time                   // ms
    case specificConductance    // S/cm²
    case conductance            // µS (synaptic weights)
    case current                // nA
    case resistivity            // Ω·cm
    case specificCapacitance    // µF/cm²
    case temperature            // °C
    case length                 // µm
    case rate                   // Hz
    case dimensionless

    public var unit: String {
        switch self {
        case .voltage: return "mV"
        case .time: return "ms"
        case .specificConductance: return "S/cm2"
        case .conductance: return "uS"
        case .current: return "nA"
        case .resistivity: return "ohm*cm"
        case .specificCapacitance: return "uF/cm2"
        case .temperature: return "degC"
        case .length: return "um"
        case .rate: return "Hz"
        case .dimensionless: return ""
        }
    }

    static func normalise(_ u: String) -> String {
        var s = u.replacingAll("µ", "u").replacingAll("μ", "u").replacingAll("Ω", "ohm").replacingAll("²", "2")
        s = s.replacingAll("^2", "2").replacingAll("·", "*").replacingAll(" ", "*").replacingAll("Ohm", "ohm")
        return s
    }

    /// Converts `q` into this dimension's unit; nil unit means the number is already in it.
    public func value(_ q: Quantity, name: String) throws -> Double {
        guard let raw = q.unit else { return q.value }
        let u = CableDimension.normalise(raw)
        if self == .temperature {
            switch u {
            case "degC", "C", "celsius", "°C": return q.value
            case "K", "kelvin": return q.value - 273.15
            default: break
            }
        } else if let f = factors[u] {
            return q.value * f
        }
        throw PlexusError("\(name): unit '\(raw)' does not fit; expected \(self == .dimensionless ? "no unit" : "a \(rawValue) such as \(unit)")")
    }

    var factors: [String: Double] {
        switch self {
        case .voltage: return ["mV": 1, "V": 1e3, "uV": 1e-3]
        case .time: return ["ms": 1, "s": 1e3, "us": 1e-3]
        case .specificConductance: return ["S/cm2": 1, "mS/cm2": 1e-3, "uS/cm2": 1e-6, "S/m2": 1e-4, "pS/um2": 1e-4]
        case .conductance: return ["uS": 1, "nS": 1e-3, "mS": 1e3, "S": 1e6, "pS": 1e-6]
        case .current: return ["nA": 1, "pA": 1e-3, "uA": 1e3, "mA": 1e6, "A": 1e9]
        case .resistivity: return ["ohm*cm": 1, "ohmcm": 1, "ohm/cm": 1, "kohm*cm": 1e3, "ohm*m": 100]
        case .specificCapacitance: return ["uF/cm2": 1, "F/m2": 100, "pF/um2": 100, "nF/cm2": 1e-3]
        case .temperature: return [:]
        case .length: return ["um": 1, "mm": 1e3, "cm": 1e4, "nm": 1e-3, "m": 1e6]
        case .rate: return ["Hz": 1, "kHz": 1e3, "1/s": 1, "1/ms": 1e3]
        case .dimensionless: return [:]
        }
    }
}

extension String {
    func replacingAll(_ a: String, _ b: String) -> String {
        guard !a.isEmpty, self.contains(a) else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: a) {
            out += rest[rest.startIndex..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of needle: String) -> Range<Substring.Index>? {
        guard !needle.isEmpty, count >= needle.count else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}

/// A parameter of a mechanism with its default in the engine's units.
public struct CableParameterSpec: Sendable {
    public let name: String
    public let defaultValue: Double
    public let dimension: CableDimension
    public let doc: String
    public init(_ name: String, _ d: Double, _ dim: CableDimension, _ doc: String) {
        self.name = name; defaultValue = d; dimension = dim; self.doc = doc
    }
}
