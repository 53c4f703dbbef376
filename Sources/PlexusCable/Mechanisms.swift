import PlexusCore

/// What the engine knows about a mechanism: kind, parameters and state variables (NEURON's and
/// Arbor's names and defaults).
public struct MechanismInfo: Sendable {
    public enum Kind: Sendable { case density, point }
    public let name: String
    public let kind: Kind
    public let parameters: [CableParameterSpec]
    public let state: [String]
    public let doc: String
}

public enum MechanismCatalog {
    public static let pas = MechanismInfo(name: "pas", kind: .density, parameters: [
        .init("g", 0.001, .specificConductance, "leak conductance"),
        .init("e", -70, .voltage, "leak reversal potential"),
    ], state: [], doc: "passive leak, i = g (v - e)")

    public static let hh = MechanismInfo(name: "hh", kind: .density, parameters: [
        .init("gnabar", 0.12, .specificConductance, "maximal sodium conductance"),
        .init("gkbar", 0.036, .specificConductance, "maximal potassium conductance"),
        .init("gl", 0.0003, .specificConductance, "leak conductance"),
        .init("el", -54.3, .voltage, "leak reversal potential"),
        .init("ena", 50, .voltage, "sodium reversal potential (an ion property in NEURON and Arbor)"),
        .init("ek", -77, .voltage, "potassium reversal potential (an ion property in NEURON and Arbor)"),
    ], state: ["m", "h", "n"], doc: "Hodgkin-Huxley squid axon channels; rates scaled by q10 = 3^((celsius - 6.3)/10)")

    public static let expsyn = MechanismInfo(name: "expsyn", kind: .point, parameters: [
        .init("tau", 2, .time, "decay time constant"),
        .init("e", 0, .voltage, "reversal potential"),
    ], state: ["g"], doc: "conductance synapse with exponential decay; an event adds its weight (µS) to g")

    public static let exp2syn = MechanismInfo(name: "exp2syn", kind: .point, parameters: [
        .init("tau1", 0.5, .time, "rise time constant"),
        .init("tau2", 2, .time, "decay time constant"),
        .init("e", 0, .voltage, "reversal potential"),
    ], state: ["A", "B"], doc: "two-exponential conductance synapse, g = B - A, peak = weight (µS)")

    public static let all: [String: MechanismInfo] = ["pas": pas, "hh": hh, "expsyn": expsyn, "exp2syn": exp2syn]
    public static var names: String { all.keys.sorted().joined(separator: ", ") }
}

/// A mechanism and its parameters in the engine's units (absent ones take the default).
public struct MechanismDescription: Sendable, Equatable, Codable {
    public var name: String
    public var params: [String: Double]
    public init(_ name: String, _ params: [String: Double] = [:]) { self.name = name; self.params = params }

    /// Checks the name and parameter names; returns the catalogue entry.
    public func validated(kind: MechanismInfo.Kind? = nil) throws -> MechanismInfo {
        guard let info = MechanismCatalog.all[name] else {
            throw PlexusError("unknown mechanism '\(name)'; known: \(MechanismCatalog.names)", keyPath: "mechanism")
        }
        if let kind, kind != info.kind {
            throw PlexusError("'\(name)' is a \(info.kind == .density ? "density mechanism (paint it on a region)" : "point mechanism (place it at a locset)")", keyPath: "mechanism")
        }
        for (k, v) in params {
            guard info.parameters.contains(where: { $0.name == k }) else {
                throw PlexusError("mechanism '\(name)' has no parameter '\(k)'\(PlexusError.didYouMean(k, info.parameters.map(\.name))); its parameters: \(info.parameters.map(\.name).joined(separator: ", "))", keyPath: "params.\(k)")
            }
            guard v.isFinite else { throw PlexusError("\(name).\(k) must be a finite number, got \(v)", keyPath: "params.\(k)") }
        }
        return info
    }

    public func value(_ p: String) -> Double {
        params[p] ?? MechanismCatalog.all[name]!.parameters.first { $0.name == p }!.defaultValue
    }

    enum CodingKeys: String, CodingKey { case name, params }

    /// Written with every parameter, defaults filled in (the provenance record's resolved
    /// experiment); reading it back gives the same mechanism.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        var all = params
        for spec in MechanismCatalog.all[name]?.parameters ?? [] where all[spec.name] == nil { all[spec.name] = spec.defaultValue }
        try c.encode(all, forKey: .params)
    }
}
