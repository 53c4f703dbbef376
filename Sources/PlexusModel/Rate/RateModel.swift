import PlexusCore
import Yams

/// A neural-mass (rate) model as a description declares it (docs/rate-models.md): TVB's model
/// anatomy — parameters with defaults, ranges and docs; state variables with the range initial
/// values are drawn from and optional hard boundaries; coupling variables; variables of
/// interest — and the derivatives as expressions. One value feeds validation, `plexus models`,
/// provenance and the code generator (`RateKernelWriter`).
public struct RateModel: Sendable {
    public struct Parameter: Sendable {
        public let name: String
        /// One value, or several for a vector parameter (TVB's array defaults, as Zerlaut's
        /// polynomial coefficients), read in expressions as `P_e[3]`.
        public let defaults: [Double]
        public let lo: Double
        public let hi: Double
        public let doc: String
        /// Computed from the scalar parameters by the model's `derived:` function (the defaults are
        /// its values at the scalar defaults); the engine fills it per node.
        public var isDerived = false
        public var isVector: Bool { defaults.count > 1 }
    }

    public struct StateVariable: Sendable {
        public let name: String
        /// TVB's `state_variable_range`: where random initial values are drawn.
        public let rangeLo: Double
        public let rangeHi: Double
        /// TVB's `state_variable_boundaries`: the integrator clamps to them after every stage.
        public let lower: Double?
        public let upper: Double?
    }

    public let name: String
    public let doc: String
    /// The file it came from (for errors and provenance).
    public let file: String
    public let parameters: [Parameter]
    public let state: [StateVariable]
    /// TVB's `cvar`: indices of the state variables that enter the coupling (and the history).
    public let couplingVariables: [Int]
    /// Coupling inputs the derivatives read (`c_0`, `c_1`, ...).
    public let couplingTerms: Int
    /// TVB's `stvar`: the state variables a region stimulus drives (the coupling variables unless
    /// the description says otherwise).
    public let stimulated: [Int]
    /// TVB's default `variables_of_interest`: state names or expressions of them (`x2 - x1`).
    public let variablesOfInterest: [String]
    /// `let` definitions, in order.
    public let definitions: [(name: String, value: Expr)]
    /// One derivative per state variable, in state order.
    public let derivatives: [Expr]
    /// The `derived:` function (RateDerivedFunction.registry) that computes the derived vector
    /// parameters from the scalar ones, if any.
    public var derived: RateDerivedFunction? = nil

    /// Every node of the definitions, then of the derivatives (Expr.forEachNode's order).
    func forEachNode(_ body: (Expr) -> Void) {
        for d in definitions { d.value.forEachNode(body) }
        for e in derivatives { e.forEachNode(body) }
    }

    /// The names `local(...)` is applied to, in order of first use (TVB's local coupling inputs).
    public var localArguments: [String] {
        var out: [String] = []
        forEachNode { if case .call("local", let a) = $0, case .name(let v) = a[0], !out.contains(v) { out.append(v) } }
        return out
    }

    /// The scalar parameters the definitions or derivatives divide by directly (`a / tau`): the
    /// uniform kernels have a reciprocal loop for them (RateKernelWriter).
    public var parameterDivisors: Set<String> {
        let scalars = Set(parameters.filter { !$0.isVector }.map(\.name))
            .subtracting(state.map(\.name)).subtracting(definitions.map(\.name))
        var out = Set<String>()
        forEachNode { if case .binary(.divide, _, .name(let d)) = $0, scalars.contains(d) { out.insert(d) } }
        return out
    }

    /// Slots of the parameter table: a parameter's values start at `parameterSlot[k]`.
    public var parameterSlots: [Int] {
        var out: [Int] = [], at = 0
        for p in parameters { out.append(at); at += p.defaults.count }
        return out
    }
    public var parameterSlotCount: Int { parameters.reduce(0) { $0 + $1.defaults.count } }

    /// Every parameter value in slot order (a vector parameter's elements in turn).
    public var defaultSlots: [Double] { parameters.flatMap(\.defaults) }

    public func parameterIndex(_ name: String) -> Int? { parameters.firstIndex { $0.name == name } }
    public func stateIndex(_ name: String) -> Int? { state.firstIndex { $0.name == name } }
}

extension RateModel {
    static let topKeys = ["model", "doc", "parameters", "state", "coupling", "coupling_terms", "stimulus", "variables_of_interest", "let",
                          "derivatives", "derived"]

    /// Reads a `.rate` description; errors name the file, line and key path.
    public static func parse(_ text: String, file: String) throws -> RateModel {
        let root = try YAMLText.compose(text, file: file, what: "rate model")
        let top = try YNode(node: root, file: file, path: "").mapping(allowed: topKeys)
        func required(_ key: String) throws -> YNode {
            guard let n = top[key] else { throw PlexusError("a rate model needs '\(key)'", file: file, line: 1, keyPath: key) }
            return n
        }
        let nameNode = try required("model")
        let name = try nameNode.string()
        guard let first = name.unicodeScalars.first, first == "_" || (first.properties.isAlphabetic && first.isASCII),
              name.unicodeScalars.allSatisfy({ $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }) else {
            throw nameNode.error("the model name '\(name)' must be a plain name (letters, digits, _)")
        }
        let doc = try top["doc"]?.string() ?? ""

        // Parameters.
        var parameters: [Parameter] = []
        for (pname, node) in try required("parameters").mapping() {
            let keys = try node.mapping(allowed: ["default", "range", "doc", "unit"])
            guard let d = keys["default"] else { throw node.error("parameter '\(pname)' needs a default") }
            let defaults = d.isSequence ? try d.sequence().map { try $0.double() } : [try d.double()]
            guard !defaults.isEmpty else { throw d.error("a vector parameter needs at least one value") }
            for v in defaults where !v.isFinite { throw d.error("the default of \(pname) is \(v)") }
            var lo = -Double.infinity, hi = Double.infinity
            if let r = keys["range"] {
                let vals = try r.sequence().map { try $0.double() }
                guard vals.count == 2, !vals[0].isNaN, !vals[1].isNaN, vals[0] <= vals[1] else {
                    throw r.error("a range is [low, high] with low <= high")
                }
                (lo, hi) = (vals[0], vals[1])
            }
            if let u = keys["unit"] { _ = try u.string() }
            parameters.append(Parameter(name: pname, defaults: defaults, lo: lo, hi: hi, doc: try keys["doc"]?.string() ?? ""))
        }

        // Derived parameters: vector parameters a registered function computes from scalar ones.
        var derived: RateDerivedFunction?
        if let node = top["derived"] {
            let fname = try node.string()
            guard let f = RateDerivedFunction.registry[fname] else {
                throw node.error(PlexusError.unknownMessage("derived-parameter function", fname, known: RateDerivedFunction.registry.keys.sorted()))
            }
            var inputs: [Double] = []
            for name in f.inputs {
                guard let p = parameters.first(where: { $0.name == name }), !p.isVector else {
                    throw node.error("\(fname) reads the scalar parameter '\(name)', which the model does not declare")
                }
                inputs.append(p.defaults[0])
            }
            let values = f.compute(inputs)
            var at = 0
            for o in f.outputs {
                guard !parameters.contains(where: { $0.name == o.name }) else {
                    throw node.error("\(fname) computes '\(o.name)', which the model also declares as a parameter")
                }
                var p = Parameter(name: o.name, defaults: Array(values[at..<(at + o.count)]), lo: -.infinity, hi: .infinity,
                                  doc: "Derived (\(fname)): \(o.doc)")
                p.isDerived = true
                parameters.append(p)
                at += o.count
            }
            derived = f
        }

        // State variables.
        var state: [StateVariable] = []
        for (sname, node) in try required("state").mapping() {
            let keys = try node.mapping(allowed: ["range", "boundaries", "doc"])
            guard let r = keys["range"] else { throw node.error("state variable '\(sname)' needs a range (where initial values are drawn)") }
            let range = try r.sequence().map { try $0.double() }
            guard range.count == 2, range[0].isFinite, range[1].isFinite, range[0] <= range[1] else {
                throw r.error("a range is [low, high], finite, low <= high")
            }
            var lower: Double?, upper: Double?
            if let b = keys["boundaries"] {
                let vals = try b.sequence()
                guard vals.count == 2 else { throw b.error("boundaries are [low, high] (.inf or -.inf for an open side)") }
                let lo = try vals[0].double(), hi = try vals[1].double()
                guard !lo.isNaN, !hi.isNaN, lo <= hi else { throw b.error("boundaries are [low, high] with low <= high") }
                lower = lo.isInfinite ? nil : lo
                upper = hi.isInfinite ? nil : hi
            }
            state.append(StateVariable(name: sname, rangeLo: range[0], rangeHi: range[1], lower: lower, upper: upper))
        }
        guard !state.isEmpty else { throw try required("state").error("a rate model needs at least one state variable") }

        func stateList(_ node: YNode) throws -> [Int] {
            try node.sequence().map { n in
                let s = try n.string()
                guard let k = state.firstIndex(where: { $0.name == s }) else {
                    throw n.error(PlexusError.unknownMessage("state variable", s, known: state.map(\.name)))
                }
                return k
            }
        }
        let couplingNode = try required("coupling")
        let cvar = try stateList(couplingNode)
        let stimulated = try top["stimulus"].map(stateList) ?? cvar
        guard !cvar.isEmpty else { throw couplingNode.error("a rate model needs at least one coupling variable (TVB's cvar)") }
        var terms = cvar.count
        if let t = top["coupling_terms"] {
            terms = try t.int()
            guard terms >= 0, terms <= 64 else { throw t.error("coupling_terms must be 0 to 64") }
        }

        // Names an expression may read: parameters, state, coupling, and earlier definitions.
        var known = Set(state.map(\.name))
        var vectors: [String: Int] = [:]
        for p in parameters {
            guard !known.contains(p.name), vectors[p.name] == nil else {
                throw PlexusError("'\(p.name)' is declared twice (state variable or parameter)", file: file, keyPath: "parameters.\(p.name)")
            }
            // A vector parameter is read by element only (P_e[3]).
            if p.isVector { vectors[p.name] = p.defaults.count } else { known.insert(p.name) }
        }
        for k in 0..<terms { known.insert("c_\(k)") }
        known.insert("pi")
        let stateNames = Set(state.map(\.name))
        var definitions: [(name: String, value: Expr)] = []
        func expression(_ node: YNode, allowed: Set<String>) throws -> Expr {
            let text = try node.string()
            let e: Expr
            do { e = try RateExpressionParser.parse(text) } catch let err as PlexusError {
                throw node.error(err.message)
            }
            // local(x): TVB's local coupling applied to a state variable.
            var misuse: String?
            func walk(_ x: Expr) {
                switch x {
                case .call("local", let a):
                    if case .name(let v) = a[0], stateNames.contains(v) || definitions.contains(where: { $0.name == v }) {} else {
                        misuse = "\(a[0])"
                    }
                    a.forEach(walk)
                case .call(_, let a): a.forEach(walk)
                case .unary(_, let a): walk(a)
                case .binary(_, let a, let b): walk(a); walk(b)
                default: break
                }
            }
            walk(e)
            if let m = misuse { throw node.error("local() takes a state variable or a let name (TVB's local coupling of it), not \(m)") }
            for n in e.names.sorted() where !allowed.contains(n) {
                if let open = n.firstIndex(of: "["), let size = vectors[String(n[..<open])] {
                    let k = Int(n[n.index(after: open)..<n.index(before: n.endIndex)]) ?? -1
                    if k >= 0 && k < size { continue }
                    throw node.error("\(n): \(n[..<open]) has \(size) elements (0 to \(size - 1))")
                }
                if vectors[n] != nil { throw node.error("\(n) is a vector parameter: read one element, as \(n)[0]") }
                if n.hasPrefix("c_"), Int(n.dropFirst(2)) != nil {
                    throw node.error("\(n): the model reads \(terms) coupling term\(terms == 1 ? "" : "s") (coupling_terms)")
                }
                throw node.error(PlexusError.unknownMessage("name", n, known: allowed.sorted().filter { !$0.contains("[") }, listedAs: "known here"))
            }
            return e
        }

        if let lets = top["let"] {
            for (lname, node) in try lets.mapping() {
                guard !known.contains(lname), vectors[lname] == nil else { throw node.error("'\(lname)' is already a name of the model") }
                guard RateExpressionParser.functions[lname] == nil else { throw node.error("'\(lname)' is a function's name") }
                definitions.append((lname, try expression(node, allowed: known)))
                known.insert(lname)
            }
        }
        let derivNode = try required("derivatives")
        let derivs = try derivNode.mapping()
        var byName: [String: Expr] = [:]
        for (sname, node) in derivs {
            guard state.contains(where: { $0.name == sname }) else {
                throw node.error(PlexusError.unknownMessage("state variable", sname, known: state.map(\.name)))
            }
            byName[sname] = try expression(node, allowed: known)
        }
        let missing = state.map(\.name).filter { byName[$0] == nil }
        guard missing.isEmpty else { throw derivNode.error("no derivative for \(missing.joined(separator: ", "))") }

        var voi: [String] = []
        if let v = top["variables_of_interest"] {
            for n in try v.sequence() {
                let text = try n.string()
                _ = try expression(n, allowed: stateNames)
                voi.append(text)
            }
        } else {
            voi = [state[0].name]
        }
        return RateModel(name: name, doc: doc, file: file, parameters: parameters, state: state, couplingVariables: cvar,
                         couplingTerms: terms, stimulated: stimulated, variablesOfInterest: voi, definitions: definitions,
                         derivatives: state.map { byName[$0.name]! }, derived: derived)
    }
}

extension RateModel {
    /// Fills the derived parameters' slots of a kernel parameter table (`table[slot * nodes + i]`,
    /// `parameterSlots`) from each node's scalar parameters, as the model's `derived:` function
    /// computes them (nothing to do for a model without one). Nodes with the same inputs as the
    /// node before share its values (computed once).
    public func deriveParameters(_ table: inout [Double], nodes n: Int) {
        guard let f = derived else { return }
        let slots = parameterSlots
        let inputSlots = f.inputs.map { name in slots[parameterIndex(name)!] }
        let outputSlots = f.outputs.map { o in slots[parameterIndex(o.name)!] }
        var lastKey: [Double]? = nil, values: [Double] = []
        for i in 0..<n {
            let key = inputSlots.map { table[$0 * n + i] }
            if key != lastKey {
                values = f.compute(key)
                lastKey = key
            }
            var at = 0
            for (k, o) in f.outputs.enumerated() {
                for j in 0..<o.count { table[(outputSlots[k] + j) * n + i] = values[at + j] }
                at += o.count
            }
        }
    }
}
