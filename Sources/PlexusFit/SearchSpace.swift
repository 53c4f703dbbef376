import PlexusCore

/// One fitted parameter: a key path of the experiment (`coupling.a`, `model.tau`, `speed`) and
/// the interval searched. Optimisers see the unit interval; `value(unit:)` maps it.
public struct FitParameter: Sendable, Equatable {
    public enum Scale: String, Sendable, CaseIterable {
        /// lower + u (upper - lower).
        case linear
        /// lower (upper/lower)^u: equal steps in log; needs 0 < lower < upper.
        case log
    }

    /// How the value reaches the experiment.
    public enum Binding: Sendable, Equatable {
        /// The engine's own parameter path (the neural-mass engine's `coupling.a`, `model.tau`,
        /// `speed`, `noise.nsig`, as `sweep:` takes them).
        case parameter
        /// Key paths of the experiment file (dots between keys, `[k]` for a list's item, `*` for
        /// every key or item): the value replaces each number there ...
        case set([String])
        /// ... or multiplies it (a scale on what the file says: all background rates, all weights).
        case multiply([String])
    }

    public var path: String
    public var lower: Double
    public var upper: Double
    public var scale: Scale
    public var binding: Binding = .parameter

    public init(_ path: String, lower: Double, upper: Double, scale: Scale = .linear, binding: Binding = .parameter) throws {
        guard lower.isFinite, upper.isFinite, lower < upper else {
            throw PlexusError("\(path): the interval needs finite from < to, got [\(lower), \(upper)]", keyPath: "fit.parameters.\(path)")
        }
        if scale == .log, lower <= 0 {
            throw PlexusError("\(path): a log scale needs from > 0, got \(lower)", keyPath: "fit.parameters.\(path).from")
        }
        self.path = path
        self.lower = lower
        self.upper = upper
        self.scale = scale
        self.binding = binding
    }

    /// The value at `u` in [0, 1] (clamped: optimisers may step outside).
    public func value(unit u: Double) -> Double {
        let t = Swift.min(1, Swift.max(0, u))
        switch scale {
        case .linear:
            // Exact at both ends (lower + 1 * (upper - lower) can miss upper by an ulp).
            return t == 1 ? upper : lower + t * (upper - lower)
        case .log:
            return t == 1 ? upper : lower * _pow(upper / lower, t)
        }
    }

    /// The unit coordinate of `v` (the inverse of `value(unit:)`), clamped to [0, 1].
    public func unit(value v: Double) -> Double {
        let u: Double
        switch scale {
        case .linear: u = (v - lower) / (upper - lower)
        case .log: u = _log(v / lower) / _log(upper / lower)
        }
        return Swift.min(1, Swift.max(0, u))
    }
}

/// One evaluated point of a fit.
public struct FitEvaluation: Sendable {
    public var evaluation: Int
    public var generation: Int
    /// The parameters' values, in the order of `fit.parameters`.
    public var values: [Double]
    /// Sum of weight x term; NaN when the run failed or a term could not be computed.
    public var fitness: Double
    /// Each objective term (averaged over subjects).
    public var terms: [Double]
    public var seconds: Double
    /// Seconds since the fit started when it finished.
    public var wall: Double
    public var error: String?

    public init(evaluation: Int, generation: Int, values: [Double], fitness: Double, terms: [Double], seconds: Double, wall: Double, error: String?) {
        self.evaluation = evaluation
        self.generation = generation
        self.values = values
        self.fitness = fitness
        self.terms = terms
        self.seconds = seconds
        self.wall = wall
        self.error = error
    }
}

