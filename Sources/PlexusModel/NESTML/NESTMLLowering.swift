import Foundation
import PlexusCore

// NESTML neuron models -> point-engine kernels (plexus_point.h), following what NESTML 9's NEST
// target generates, step for step (docs/nestml.md has the semantics with their sources):
//
//  per neuron and step: read the spike ports; propagate the convolution (kernel) variables from
//  their old values (step 1); run the update block, where integrate_odes(x, ...) propagates the
//  listed variables that are linear with constant coefficients exactly (exp(A h), computed by the
//  engine) and integrates the others with GSL's RKF45 over the whole ODE vector (unlisted
//  variables held, kernel variables always moving); then the onReceive blocks of the ports that
//  received; then the kernel variables take their step-1 values plus the spikes' jumps (step 2);
//  then every onCondition block once; last the continuous inputs of the step are stored for the
//  next one (NEST's one-step lag of currents).
//
// Literal units become numbers as NESTML's NEST target writes them (NESTMLUnit). What Plexus
// cannot run yet (vectors, random draws, several continuous inputs) is refused naming the file,
// line and construct.

public enum NESTMLLowering {
    /// The neuron models of a parsed file (synapse models, recognised by their name ending in
    /// `_synapse` or by `deliver_spike`, are refused here).
    public static func neurons(_ file: NESTML.File) throws -> [PointNeuronDescription] {
        try file.models.map { try neuron($0, file: file.path) }
    }

    public static func neuron(_ model: NESTML.Model, file: String) throws -> PointNeuronDescription {
        try NeuronLowering(model, file: file).lower()
    }

    /// Parses and lowers the neuron models of a .nestml file.
    public static func neurons(contentsOf path: String) throws -> [PointNeuronDescription] {
        try neurons(NESTMLParser.parse(contentsOf: path))
    }

    /// NESTML has one `model` keyword; as NESTML's NEST target does, a model whose name ends in
    /// `synapse` is a synapse.
    /// NESTML's rule: a model whose name ends in "synapse" is a synapse; also with NEST's suffix
    /// for synapses whose parameters all synapses share (`stdp_pl_synapse_hom`, `..._hom_w`).
    public static func isSynapse(_ model: NESTML.Model) -> Bool {
        ["synapse", "synapse_hom", "synapse_hom_w"].contains { model.name.hasSuffix($0) }
    }

    public static func synapse(_ model: NESTML.Model, file: String) throws -> PointSynapseDescription {
        try NeuronLowering(model, file: file).lowerSynapse()
    }

    /// The neuron and synapse models of a parsed file, each lowered.
    public static func models(_ file: NESTML.File) throws -> (neurons: [PointNeuronDescription], synapses: [PointSynapseDescription]) {
        var neurons: [PointNeuronDescription] = [], synapses: [PointSynapseDescription] = []
        for m in file.models {
            if isSynapse(m) { synapses.append(try synapse(m, file: file.path)) } else { neurons.append(try neuron(m, file: file.path)) }
        }
        return (neurons, synapses)
    }

    public static func models(contentsOf path: String) throws -> (neurons: [PointNeuronDescription], synapses: [PointSynapseDescription]) {
        try models(NESTMLParser.parse(contentsOf: path))
    }
}

typealias NExpr = NESTML.Expr

final class NeuronLowering {
    let m: NESTML.Model
    let file: String
    let prefix: String

    init(_ model: NESTML.Model, file: String) {
        m = model
        self.file = file
        prefix = "nm_" + model.name.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() + "_"
    }

    func fail(_ line: Int, _ message: String) -> PlexusError {
        PlexusError("model \(m.name): \(message)", file: file, line: line)
    }

    // MARK: symbols

    enum StateKind: Equatable { case plain, ode, kernel, recordedInline, solverStep, input }
    struct StateVar {
        var name: String
        var kind: StateKind
        var unit: String
        var recordable: Bool
        var initial: NExpr?
        var line: Int
    }

    var parameters: [(name: String, unit: String, value: Double, line: Int, doc: String)] = []
    var parameterIndex: [String: Int] = [:]
    var internals: [(name: String, expr: NExpr?, line: Int)] = []
    var internalIndex: [String: Int] = [:]
    var states: [StateVar] = []
    var stateIndex: [String: Int] = [:]
    var inlines: [String: NESTML.InlineExpression] = [:]
    var functions: [String: NESTML.Function] = [:]
    var spikePorts: [(name: String, qualifier: NESTML.InputQualifier?, line: Int)] = []
    var continuousPort: (name: String, column: Int)?
    /// The right side of each ODE variable (state index), with inline expressions substituted
    /// and convolutions replaced by their kernel variables.
    var rhs: [Int: NExpr] = [:]
    /// Per (kernel, port): the state indices of its variables and their jumps per unit of input.
    struct Convolution { var kernel: String; var port: String; var columns: [Int]; var jumps: [NExpr]; var isDelta: Bool }
    var convolutions: [Convolution] = []
    /// Delta-kernel terms: ODE variable -> (port, coefficient).
    var deltaTerms: [Int: [(port: String, coefficient: Symbolic)]] = [:]
    var hasNumeric = false
    /// Plexus's decorators (`@plexus::...`, see `plexusDecorators`): parameters and internals
    /// that may be infinite, and state kept relative to a parameter.
    var mayBeInfinite: Set<String> = []
    var relativeTo: [String: String] = [:]
    var forcedNumeric: Set<String> = []
    /// The right-hand sides the update needs: one per set of variables integrate_odes lists.
    var rhsVariants: [String: String] = [:]
    var rhsSets: [String: Set<Int>] = [:]
    /// Subexpressions of the right-hand sides that read only constants (`-1/tau_syn`), computed
    /// once per population after the propagators (their C text, deduplicated) instead of at every
    /// evaluation: the same operations on the same values, so the same numbers.
    var hoisted: [String] = []
    var hoistIndex: [String: Int] = [:]
    /// Lowering a synapse model (NESTMLSynapseLowering.swift): `t` is the event's time, and
    /// emit_spike and integrate_odes mean what they mean in a synapse.
    var isSynapse = false
    var timeExpression = "((double)(c->step + 1) * c->h)"
    /// A synapse's exponential decays: ODE variable -> its rate (x' = rate x).
    var decayRates: [Int: Symbolic] = [:]
    /// What of the target's spike archive a synapse's handlers read (PLX_ARCHIVE_... bits):
    /// Plexus's built-in functions post_Kminus() and the like.
    var archiveReads: PointSynapseDescription.ArchiveReads = []

    // MARK: lowering

    func lower() throws -> PointNeuronDescription {
        if NESTMLLowering.isSynapse(m) {
            throw fail(m.line, "\(m.name) is a synapse model: it is loaded as one (NESTMLLowering.models), not as a neuron")
        }
        for f in m.functions { functions[f.name] = f }
        try declarePorts()
        try declareState()
        try declareParameters()
        try declareInternals()
        for i in m.inlines { inlines[i.name] = i }
        try declareEquations()
        try classify()
        if hasNumeric {
            // A model may fix them as internals (NEST's hand-written models do); otherwise they are
            // parameters with NESTML's defaults.
            for (n, v, doc) in [("gsl_abs_error_tol", 1e-6, "absolute tolerance of the RKF45 solver (NESTML's default)"),
                                ("gsl_rel_error_tol", 1e-6, "relative tolerance of the RKF45 solver (NESTML's default)")]
                where parameterIndex[n] == nil && internalIndex[n] == nil {
                parameterIndex[n] = parameters.count
                parameters.append((n, "", v, m.line, doc))
            }
            stateIndex["__gsl_step"] = states.count
            states.append(StateVar(name: "__gsl_step", kind: .solverStep, unit: "ms", recordable: false, initial: nil, line: m.line))
        }
        for i in m.inlines where i.isRecordable {
            stateIndex[i.name] = states.count
            states.append(StateVar(name: i.name, kind: .recordedInline, unit: unitSymbol(i.type), recordable: true, initial: nil, line: i.line))
        }
        let source = try generate()
        var d = PointNeuronDescription(
            name: m.name, file: file,
            parameters: parameters.map { .init(name: $0.name, unit: $0.unit, defaultValue: $0.value, doc: $0.doc) },
            internals: internals.map(\.name),
            state: states.map { .init(name: $0.name, unit: $0.unit, recordable: $0.recordable, relativeTo: relativeTo[$0.name]) },
            weightUnit: weightUnit(), receptorPorts: receptorPorts, cSource: source, entrySymbol: prefix + "entry")
        d.invariants = try invariants()
        d.mayBeInfinite = mayBeInfinite
        d.constantInitialState = try constantInitialState()
        d.exactVariables = analytic.map { states[$0].name }
        d.numericVariables = odeColumns.filter { !analytic.contains($0) }.map { states[$0].name }
        return d
    }

    /// The `[[condition]]` of every parameter and state declaration.
    func invariants() throws -> [PointNeuronDescription.Invariant] {
        var out: [PointNeuronDescription.Invariant] = []
        for d in m.parameters + m.state {
            guard let inv = d.invariant else { continue }
            let condition: Symbolic
            do { condition = try symbolic(inv) } catch let e as PlexusError { throw fail(d.line, "the condition [[\(inv)]]: \(e.message)") }
            for v in d.variables { out.append(.init(variable: v.name, text: "\(inv)", line: d.line, condition: condition)) }
        }
        return out
    }

    func unitSymbol(_ t: NESTML.DataType) -> String {
        // Hz (and Bq) as written: NESTML keeps such values in Hz (a factor of 1), as NEST's rates are.
        if case .unit(.symbol(let s)) = t, s == "Hz" || s == "Bq" { return "Hz" }
        if case .unit(let u) = t, case .success(let unit) = NESTMLUnit.of(u) { return unit.plexusSymbol }
        return ""
    }

    func declarePorts() throws {
        for p in m.inputPorts {
            guard p.size == nil else { throw fail(p.line, "vector input ports ('\(p.name)[...]') are not supported yet") }
            switch p.kind {
            case .spike(let q):
                guard q.count <= 1 else { throw fail(p.line, "input port '\(p.name)' has several qualifiers") }
                spikePorts.append((p.name, q.first, p.line))
            case .continuous:
                guard continuousPort == nil else {
                    throw fail(p.line, "a second continuous input port ('\(p.name)'): the point engine has one current input per neuron")
                }
                continuousPort = (p.name, -1)
            }
        }
        let qualified = spikePorts.filter { $0.qualifier != nil }
        if !qualified.isEmpty && qualified.count != spikePorts.count {
            throw fail(spikePorts[0].line, "spike ports with and without excitatory/inhibitory qualifiers in one model are not supported yet")
        }
        if qualified.count > 2 || Set(qualified.map(\.qualifier!)).count != qualified.count {
            throw fail(spikePorts[0].line, "at most one excitatory and one inhibitory spike port are supported")
        }
    }

    /// Receptor ports: several unqualified spike ports arrive on receptor_type 1 ... K.
    var receptorPorts: Int? {
        spikePorts.count > 1 && spikePorts.allSatisfy({ $0.qualifier == nil }) ? spikePorts.count : nil
    }

    /// The parameters block's variables with their defaults, but for those in `except` (a
    /// synapse's weight, which is per synapse).
    func declareParameters(except: Set<String> = []) throws {
        for d in m.parameters {
            for v in d.variables where !except.contains(v.name) {
                guard v.index == nil else { throw fail(d.line, "vector parameters ('\(v.name)[...]') are not supported yet") }
                guard let value = d.value else { throw fail(d.line, "parameter '\(v.name)' has no default value") }
                let x: Double
                do { x = try constantValue(value) } catch let e as PlexusError { throw fail(d.line, "the default of '\(v.name)': \(e.message)") }
                let plexus = try plexusDecorators(d, allowed: isSynapse ? ["allows_infinity", "weight_unit"] : ["allows_infinity"])
                if plexus.contains("allows_infinity") { mayBeInfinite.insert(v.name) }
                if plexus.contains("weight_unit") && d.type != .real {
                    throw fail(d.line, "@plexus::weight_unit '\(v.name)' must be declared real (its unit is the weight's)")
                }
                parameterIndex[v.name] = parameters.count
                parameters.append((v.name, plexus.contains("weight_unit") ? PointNeuronDescription.Parameter.weightUnit : unitSymbol(d.type),
                                   x, d.line, d.doc))
            }
        }
    }

    /// The initial state when no initial value reads a parameter (nil otherwise): what the
    /// kernel's initial_state gives, known without compiling it.
    func constantInitialState() throws -> [Double]? {
        var out: [Double] = []
        for st in states {
            switch st.kind {
            case .plain, .ode:
                guard let e = st.initial, let sym = try? symbolic(e), sym.names.isEmpty, sym.calledFunctions.isEmpty,
                      let x = try? constantValue(e) else { return nil }
                out.append(x)
            case .recordedInline: return nil
            case .kernel, .solverStep, .input: out.append(0)
            }
        }
        return out
    }

    /// The names of a declaration's `@plexus::name` decorators, Plexus's own (NESTML's grammar
    /// allows namespaced decorators; NESTML's NEST target ignores namespaces it does not know):
    /// - `hidden` (state): no recorder offers the variable (a refractory counter);
    /// - `relative_to_E_L` (state): the kernel keeps the variable minus the parameter E_L, as
    ///   NEST's integrate-and-fire models keep V_m, so that its rounding is NEST's; users set,
    ///   record and see the variable itself;
    /// - `allows_infinity` (parameter: +inf is a value, V_th = inf never fires; internal: +-inf);
    /// - `numeric` (ODE): the variable is integrated by RKF45 even where it could be solved
    ///   exactly, as NEST's hand-written conductance models integrate their whole state.
    /// Synapse models take `allows_infinity` and `weight_unit` (a parameter in the weight's unit,
    /// pA, nS or mV as the target takes it), and `hidden` and `last_spike_time` on their state.
    func plexusDecorators(_ d: NESTML.Declaration, allowed: Set<String>) throws -> Set<String> {
        try plexusDecorators(d.decorators, line: d.line, allowed: allowed)
    }

    func plexusDecorators(_ decorators: [NESTML.Decorator], line: Int, allowed: Set<String>) throws -> Set<String> {
        var out = Set<String>()
        for case .namespaced("plexus", let name) in decorators {
            guard allowed.contains(name) else {
                let here = allowed.isEmpty ? "none" : allowed.sorted().map { "@plexus::" + $0 }.joined(separator: ", ")
                throw fail(line, "@plexus::\(name) is not a Plexus decorator here (this place takes \(here))")
            }
            if name == "relative_to_E_L" && m.parameters.allSatisfy({ !$0.variables.contains { $0.name == "E_L" } }) {
                throw fail(line, "@plexus::relative_to_E_L needs a parameter E_L")
            }
            out.insert(name)
        }
        return out
    }

    /// `__h` (the resolution) first, then the internals block's variables.
    func declareInternals() throws {
        internals.append(("__h", nil, m.line))
        internalIndex["__h"] = 0
        for d in m.internals {
            for v in d.variables {
                guard v.index == nil else { throw fail(d.line, "vector internals ('\(v.name)[...]') are not supported yet") }
                if try plexusDecorators(d, allowed: ["allows_infinity"]).contains("allows_infinity") { mayBeInfinite.insert(v.name) }
                internalIndex[v.name] = internals.count
                internals.append((v.name, d.value, d.line))
            }
        }
    }

    func declareState() throws {
        for d in m.state {
            for v in d.variables {
                guard v.index == nil else { throw fail(d.line, "vector state variables ('\(v.name)[...]') are not supported yet") }
                let name = v.name + String(repeating: "__d", count: v.order)
                guard stateIndex[name] == nil else { throw fail(d.line, "state variable '\(name)' is declared twice") }
                let plexus = try plexusDecorators(d, allowed: ["hidden", "relative_to_E_L"])
                if plexus.contains("relative_to_E_L") { relativeTo[name] = "E_L" }
                stateIndex[name] = states.count
                states.append(StateVar(name: name, kind: .plain, unit: unitSymbol(d.type), recordable: !plexus.contains("hidden"),
                                       initial: d.value, line: d.line))
            }
        }
    }

    func declareEquations() throws {
        // ODEs: x' = f, x'' = f (x and x__d are state variables declared with their initial values).
        var kernelDefinitions: [String: NESTML.Kernel] = [:]
        var kernelOf: [String: String] = [:]   // kernel variable -> kernel's first name
        for k in m.kernels {
            let first = k.definitions[0].variable.name
            for d in k.definitions { kernelOf[d.variable.name] = first }
            kernelDefinitions[first] = k
        }
        for ode in m.odes {
            let order = ode.lhs.order
            guard order >= 1 else { throw fail(ode.line, "'\(ode.lhs.name)' is not a derivative") }
            if kernelOf[ode.lhs.name] != nil { continue }
            if try plexusDecorators(ode.decorators, line: ode.line, allowed: ["numeric"]).contains("numeric") {
                forcedNumeric.insert(ode.lhs.name + String(repeating: "__d", count: order - 1))
            }
            for o in 0..<order {
                let name = ode.lhs.name + String(repeating: "__d", count: o)
                guard let s = stateIndex[name] else {
                    throw fail(ode.line, "the ODE of '\(ode.lhs.description)' needs a state variable '\(ode.lhs.name)\(String(repeating: "'", count: o))' with its initial value")
                }
                states[s].kind = .ode
                if o < order - 1 { rhs[s] = .variable(.init(ode.lhs.name + String(repeating: "__d", count: o + 1))) }
            }
            let top = stateIndex[ode.lhs.name + String(repeating: "__d", count: order - 1)]!
            rhs[top] = ode.rhs
        }
        // Convolutions anywhere in ODEs and inline expressions become kernel variables.
        var seen = Set<String>()
        func collect(_ e: NExpr, line: Int) throws {
            var found: [(String, String)] = []
            e.forEachNode { n in
                if case .call("convolve", let a) = n, a.count == 2, case .variable(let k) = a[0], case .variable(let p) = a[1] {
                    found.append((k.name, p.name))
                }
            }
            for (k, p) in found where seen.insert(k + "|" + p).inserted {
                guard spikePorts.contains(where: { $0.name == p }) else { throw fail(line, "convolve(\(k), \(p)): '\(p)' is not a spike input port") }
                try addConvolution(kernel: k, port: p, line: line, definitions: kernelDefinitions, kernelOf: kernelOf)
            }
        }
        for (s, e) in rhs { try collect(e, line: states[s].line) }
        for i in m.inlines { try collect(i.expr, line: i.line) }
        // Substitute inline expressions (recursively) and replace convolutions.
        for (s, e) in rhs { rhs[s] = try expand(e, line: states[s].line) }
        // Delta kernels: their term's coefficient jumps the variable when it is integrated.
        for (s, e) in rhs {
            for c in convolutions where c.isDelta {
                let placeholder = "__delta__" + c.kernel + "__" + c.port
                guard let sym = try? symbolic(e), sym.names.contains(placeholder) else { continue }
                guard let (rest, coefficient) = sym.linear(in: placeholder), coefficient.names.allSatisfy({ stateIndex[$0] == nil }) else {
                    throw fail(states[s].line, "the delta kernel '\(c.kernel)' must enter '\(states[s].name)'' linearly, with a coefficient free of state variables")
                }
                // NESTML drops the 1/time factor written after the convolution (1 ms**-1 is 1).
                deltaTerms[s, default: []].append((c.port, coefficient))
                rhs[s] = try unsymbolic(rest)
            }
        }
        if let c = continuousPort {
            continuousPort = (c.name, states.count)
            stateIndex["__in_" + c.name] = states.count
            states.append(StateVar(name: "__in_" + c.name, kind: .input, unit: "pA", recordable: false, initial: nil, line: m.line))
        }
    }

    func addConvolution(kernel k: String, port p: String, line: Int, definitions: [String: NESTML.Kernel], kernelOf: [String: String]) throws {
        guard let first = kernelOf[k], let def = definitions[first] else { throw fail(line, "convolve(\(k), \(p)): no kernel '\(k)'") }
        let base = k + "__X__" + p
        if def.definitions.count == 1 && def.definitions[0].variable.order == 0 {
            let e = def.definitions[0].expr
            if case .call("delta", _) = e {
                convolutions.append(Convolution(kernel: k, port: p, columns: [], jumps: [], isDelta: true))
                return
            }
            // A closed form: a sum of c_i t^m exp(a_i t) terms. Its linear ODE: order 1 for one
            // exponential, 2 for t exp(a t) (alpha) or two exponentials (beta).
            let (roots, order) = try kernelRoots(e, line: def.line)
            let sym = try symbolic(e)
            var names = [base]
            if order == 2 { names.append(base + "__d") }
            var columns: [Int] = []
            for n in names {
                stateIndex[n] = states.count
                columns.append(states.count)
                states.append(StateVar(name: n, kind: .kernel, unit: "", recordable: false, initial: .number(0, isInteger: true, unit: nil), line: def.line))
            }
            guard let d1 = sym.derivative("t") else { throw fail(def.line, "cannot differentiate kernel '\(k)'") }
            let at0 = { (x: Symbolic) in x.substituting(["t": .number(0)]) }
            if order == 1 {
                rhs[columns[0]] = try unsymbolic(roots[0] * .name(names[0]))
                convolutions.append(Convolution(kernel: k, port: p, columns: columns, jumps: [try unsymbolic(at0(sym))], isDelta: false))
            } else {
                // x'' = (a1 + a2) x' - a1 a2 x
                let a1 = roots[0], a2 = roots.count > 1 ? roots[1] : roots[0]
                rhs[columns[0]] = .variable(.init(names[1]))
                rhs[columns[1]] = try unsymbolic((a1 + a2) * .name(names[1]) - a1 * a2 * .name(names[0]))
                convolutions.append(Convolution(kernel: k, port: p, columns: columns, jumps: [try unsymbolic(at0(sym)), try unsymbolic(at0(d1))], isDelta: false))
            }
            return
        }
        // A kernel given by ODEs (`g' = g$ - g/tau2, g$' = -g$/tau1`): its variables' initial
        // values (state block) are the jumps per unit of input.
        var columns: [Int] = [], jumps: [NExpr] = [], rename: [String: String] = [:]
        var order: [(String, NExpr, Int)] = []
        for d in def.definitions {
            guard d.variable.order >= 1 else { throw fail(d.line, "kernel '\(k)': mix of closed form and ODE definitions") }
            for o in 0..<d.variable.order {
                let v = d.variable.name + String(repeating: "__d", count: o)
                rename[v] = v.replacingOccurrences(of: d.variable.name, with: d.variable.name + "__X__" + p)
                order.append((v, o < d.variable.order - 1 ? .variable(.init(d.variable.name + String(repeating: "__d", count: o + 1))) : d.expr, d.line))
            }
        }
        for (v, _, line) in order {
            guard let s = stateIndex[v], let initial = states[s].initial else {
                throw fail(line, "kernel variable '\(v)' needs an initial value in the state block")
            }
            states[s].kind = .plain   // the declared variable itself is not integrated
            states[s].recordable = false
            let n = rename[v]!
            stateIndex[n] = states.count
            columns.append(states.count)
            jumps.append(initial)
            states.append(StateVar(name: n, kind: .kernel, unit: "", recordable: false, initial: .number(0, isInteger: true, unit: nil), line: line))
        }
        for (i, (_, e, _)) in order.enumerated() { rhs[columns[i]] = renamed(e, rename) }
        convolutions.append(Convolution(kernel: k, port: p, columns: columns, jumps: jumps, isDelta: false))
    }

    /// The exponents a_i of a closed-form kernel, and the order of its ODE (checked numerically
    /// on random parameter values: the kernel must solve x'' = (a1 + a2) x' - a1 a2 x, or x' = a x).
    func kernelRoots(_ e: NExpr, line: Int) throws -> ([Symbolic], Int) {
        let sym = try symbolic(e)
        var roots: [Symbolic] = []
        sym.forEachNode { n in
            if case .call("exp", let a) = n, let (_, slope) = a[0].linear(in: "t"), !slope.names.contains("t"), !slope.isZero {
                if !roots.contains(slope) { roots.append(slope) }
            }
        }
        guard !roots.isEmpty, roots.count <= 2 else {
            throw fail(line, "kernel '\(e)' is not a sum of exponentials in t (exp, alpha or beta shapes are supported)")
        }
        guard let d1 = sym.derivative("t"), let d2 = d1.derivative("t") else { throw fail(line, "cannot differentiate kernel '\(e)'") }
        var rng = SplitMix(seed: 0x5eed)
        func fits(_ residual: Symbolic) -> Bool {
            for _ in 0..<5 {
                var values: [String: Double] = ["t": rng.uniform(0.1, 3), "e": M_E, "pi": Double.pi]
                for n in residual.names where values[n] == nil { values[n] = rng.uniform(0.5, 5) }
                let r = RateEvaluator(residual).evaluate(values)
                let scale = abs(RateEvaluator(sym).evaluate(values)) + abs(RateEvaluator(d1).evaluate(values)) + 1e-300
                guard r.isFinite, abs(r) <= 1e-9 * scale * 10 else { return false }
            }
            return true
        }
        if roots.count == 1, fits(d1 - roots[0] * sym) { return (roots, 1) }
        let a1 = roots[0], a2 = roots.count > 1 ? roots[1] : roots[0]
        if fits(d2 - (a1 + a2) * d1 + a1 * a2 * sym) { return (roots, 2) }
        throw fail(line, "kernel '\(e)' is not of the exponential, alpha or beta shape")
    }

    func renamed(_ e: NExpr, _ map: [String: String]) -> NExpr {
        switch e {
        case .variable(let v):
            let full = v.name + String(repeating: "__d", count: v.order)
            if let n = map[full] { return .variable(.init(n)) }
            return e
        case .call(let f, let a): return .call(f, a.map { renamed($0, map) })
        case .unary(let op, let a): return .unary(op, renamed(a, map))
        case .binary(let op, let a, let b): return .binary(op, renamed(a, map), renamed(b, map))
        case .conditional(let c, let a, let b): return .conditional(renamed(c, map), renamed(a, map), renamed(b, map))
        default: return e
        }
    }

    /// Inline expressions substituted, convolutions replaced by their kernel variable (or the
    /// delta placeholder), derivatives of higher-order variables by their __d variables.
    func expand(_ e: NExpr, line: Int, depth: Int = 0) throws -> NExpr {
        guard depth < 50 else { throw fail(line, "inline expressions refer to each other in a cycle") }
        switch e {
        case .variable(let v):
            if v.order == 0, stateIndex[v.name] == nil, let i = inlines[v.name] { return try expand(i.expr, line: line, depth: depth + 1) }
            if v.order > 0 { return .variable(.init(v.name + String(repeating: "__d", count: v.order))) }
            return e
        case .call("convolve", let a):
            guard a.count == 2, case .variable(let k) = a[0], case .variable(let p) = a[1] else { throw fail(line, "convolve takes a kernel and a spike port") }
            guard let c = convolutions.first(where: { $0.kernel == k.name && $0.port == p.name }) else { throw fail(line, "convolve(\(k), \(p)) is not known") }
            if c.isDelta { return .variable(.init("__delta__" + k.name + "__" + p.name)) }
            return .variable(.init(states[c.columns[0]].name))
        case .call(let f, let a): return .call(f, try a.map { try expand($0, line: line, depth: depth) })
        case .unary(let op, let a): return .unary(op, try expand(a, line: line, depth: depth))
        case .binary(let op, let a, let b): return .binary(op, try expand(a, line: line, depth: depth), try expand(b, line: line, depth: depth))
        case .conditional(let c, let a, let b):
            return .conditional(try expand(c, line: line, depth: depth), try expand(a, line: line, depth: depth), try expand(b, line: line, depth: depth))
        default: return e
        }
    }

    // MARK: which variables are solved exactly

    /// ODE variables (and kernel variables) in vector order.
    var odeColumns: [Int] { states.indices.filter { states[$0].kind == .ode } + states.indices.filter { states[$0].kind == .kernel } }
    /// The exactly solved subset, in `odeColumns` order, and each one's matrix row and constant term.
    var analytic: [Int] = []
    var matrix: [Int: [Int: Symbolic]] = [:]
    var inhomogeneous: [Int: Symbolic] = [:]

    func classify() throws {
        var candidates = Set(odeColumns).subtracting(forcedNumeric.compactMap { stateIndex[$0] })
        let inputs = Set(continuousPort.map { [$0.name] } ?? [])
        var changed = true
        while changed {
            changed = false
            for x in candidates.sorted() {
                guard let e = rhs[x], let sym = try? symbolic(e), !sym.names.contains("t") else { candidates.remove(x); changed = true; continue }
                var row: [Int: Symbolic] = [:]
                var ok = true
                var rest = sym
                for n in sym.names {
                    guard let s = stateIndex[n], states[s].kind == .ode || states[s].kind == .kernel else { continue }
                    guard candidates.contains(s), let (a, b) = rest.linear(in: n),
                          b.names.allSatisfy({ stateIndex[$0] == nil && !inputs.contains($0) && !$0.hasPrefix("__delta__") }) else { ok = false; break }
                    row[s] = b
                    rest = a
                }
                if !ok { candidates.remove(x); changed = true; continue }
                matrix[x] = row
                inhomogeneous[x] = rest
            }
        }
        // ODE-toolbox also solves numerically a variable that depends on another whose equation is
        // inhomogeneous (its propagator would need that variable's forcing term).
        changed = true
        while changed {
            changed = false
            for x in candidates.sorted() {
                let forced = (matrix[x] ?? [:]).keys.contains { y in y != x && !(candidates.contains(y) && (inhomogeneous[y]?.isZero ?? true)) }
                if forced { candidates.remove(x); changed = true }
            }
        }
        analytic = odeColumns.filter { candidates.contains($0) }
        hasNumeric = odeColumns.contains { !candidates.contains($0) && states[$0].kind == .ode }
    }

    // MARK: constant defaults

    /// A default value: parameters declared before it, and state variables at their initial
    /// values (NESTML allows a parameter's default to read the initial state).
    func constantValue(_ e: NExpr, depth: Int = 0) throws -> Double {
        guard depth < 20 else { throw PlexusError("default values refer to each other in a cycle") }
        var values: [String: Double] = ["e": M_E, "pi": Double.pi]
        for p in parameters { values[p.name] = p.value }
        let sym = try symbolic(e)
        if let f = sym.calledFunctions.first(where: { ["steps", "resolution", "timestep"].contains($0) }) {
            throw PlexusError("it calls \(f)(): a parameter's default cannot depend on the resolution (NEST evaluates it once, when the model is created); declare it in the internals block, which is computed for the run's resolution")
        }
        for n in sym.names where values[n] == nil {
            guard let s = stateIndex[n], let initial = states[s].initial else {
                throw PlexusError("'\(n)' is not a parameter declared before it")
            }
            values[n] = try constantValue(initial, depth: depth + 1)
        }
        let x = RateEvaluator(sym).evaluate(values)
        guard !x.isNaN else { throw PlexusError("'\(e)' is not a number") }
        return x
    }

    // MARK: expressions

    /// NESTML -> the model language's expression (units as their factors), for algebra.
    func symbolic(_ e: NExpr) throws -> Symbolic {
        switch e {
        case .number(let x, _, let u):
            guard let u else { return .number(x) }
            return .number(x * (try unitFactor(u)))
        case .boolean(let b): return .number(b ? 1 : 0)
        case .infinity: return .number(.infinity)
        case .string: throw PlexusError("a string in an expression")
        case .variable(let v):
            guard v.index == nil else { throw PlexusError("vector element '\(v)'") }
            let name = v.name + String(repeating: "__d", count: v.order)
            if isKnownName(name) { return .name(name) }
            if case .success(let u) = NESTMLUnit.of(.symbol(v.name)) { return .number(u.factor) }
            return .name(name)
        case .call(let f, let a):
            let args = try a.map { try symbolic($0) }
            switch f {
            case "ln": return .call("log", args)
            case "abs": return .call("fabs", args)
            default: return .call(f, args)
            }
        case .unary(let op, let a):
            switch op {
            case .minus: return .unary(.negate, try symbolic(a))
            case .plus: return try symbolic(a)
            case .not: return .unary(.not, try symbolic(a))
            case .bitNot: throw PlexusError("bitwise operators are not supported")
            }
        case .binary(let op, let a, let b):
            let x = try symbolic(a), y = try symbolic(b)
            switch op {
            case .add: return .binary(.add, x, y)
            case .subtract: return .binary(.subtract, x, y)
            case .multiply: return .binary(.multiply, x, y)
            case .divide: return .binary(.divide, x, y)
            case .power: return .binary(.power, x, y)
            case .less: return .binary(.less, x, y)
            case .lessEqual: return .binary(.lessEqual, x, y)
            case .greater: return .binary(.greater, x, y)
            case .greaterEqual: return .binary(.greaterEqual, x, y)
            case .equal: return .binary(.equal, x, y)
            case .notEqual: return .binary(.notEqual, x, y)
            case .and: return .binary(.and, x, y)
            case .or: return .binary(.or, x, y)
            default: throw PlexusError("operator '\(op.rawValue)' in an ODE")
            }
        case .conditional: throw PlexusError("a conditional expression")
        }
    }

    func unsymbolic(_ s: Symbolic) throws -> NExpr {
        switch s {
        case .number(let x): return x < 0 ? .unary(.minus, .number(-x, isInteger: false, unit: nil)) : .number(x, isInteger: false, unit: nil)
        case .name(let n): return .variable(.init(n))
        case .unary(.negate, let a): return .unary(.minus, try unsymbolic(a))
        case .unary(.not, let a): return .unary(.not, try unsymbolic(a))
        case .binary(let op, let a, let b):
            let map: [Symbolic.BinaryOp: NExpr.BinaryOp] = [.add: .add, .subtract: .subtract, .multiply: .multiply, .divide: .divide,
                                                             .power: .power, .less: .less, .greater: .greater, .lessEqual: .lessEqual,
                                                             .greaterEqual: .greaterEqual, .equal: .equal, .notEqual: .notEqual, .and: .and, .or: .or]
            return .binary(map[op]!, try unsymbolic(a), try unsymbolic(b))
        case .call(let f, let a): return .call(f, try a.map { try unsymbolic($0) })
        }
    }

    func unitFactor(_ u: NESTML.UnitExpr) throws -> Double {
        switch NESTMLUnit.of(u) {
        case .success(let unit): return unit.isDimensionless ? unit.si : unit.factor
        case .failure(let bad): throw PlexusError("unknown unit '\(bad.symbol)' in '\(u)'")
        }
    }

    func isKnownName(_ n: String) -> Bool {
        stateIndex[n] != nil || parameterIndex[n] != nil || internalIndex[n] != nil || inlines[n] != nil
            || spikePorts.contains { $0.name == n } || continuousPort?.name == n || ["t", "e", "pi"].contains(n) || n.hasPrefix("__delta__")
    }

    func weightUnit() -> String {
        // The unit of what a spike's weight jumps: the variable an onReceive block adds the port
        // to, or the variable a convolution enters as a conductance or a current.
        func unitOfAssigned(_ body: [NESTML.Statement], needsPort: Bool) -> String? {
            let ports = Set(spikePorts.map(\.name))
            for (v, e) in body.assignments where !needsPort || !ports.isDisjoint(with: e.variableNames) {
                if let i = stateIndex[v.name], !states[i].unit.isEmpty { return states[i].unit }
            }
            // A local variable the port's sum is given to (`w mV = spikes * 1 mV*s`): its unit.
            var local: String?
            body.forEachStatement { st in
                if local == nil, case .declaration(let d) = st.kind, let e = d.value, !ports.isDisjoint(with: e.variableNames) {
                    let u = unitSymbol(d.type)
                    if !u.isEmpty { local = u }
                }
            }
            return local
        }
        for r in m.onReceive { if let u = unitOfAssigned(r.body, needsPort: false) { return u } }
        if let u = unitOfAssigned(m.update ?? [], needsPort: true) { return u }
        // A convolution multiplied by the membrane potential (g * (V_m - E), or g * V_m when E is 0)
        // is a conductance.
        var conductance = false
        func containsConvolution(_ e: NExpr) -> Bool {
            var found = false
            e.forEachNode { if case .call("convolve", _) = $0 { found = true } }
            return found
        }
        func scan(_ e: NExpr) {
            e.forEachNode { n in
                if case .binary(.multiply, let a, let b) = n,
                   (containsConvolution(a) && b.variableNames.contains("V_m")) || (containsConvolution(b) && a.variableNames.contains("V_m")) {
                    conductance = true
                }
            }
        }
        for i in m.inlines { scan(i.expr) }
        for o in m.odes { scan(o.rhs) }
        if conductance || m.name.contains("cond") { return "nS" }
        if convolutions.contains(where: { $0.isDelta }) { return "mV" }
        return "pA"
    }
}

/// The model language's expression (Symbolic.swift), named apart from NESTML's.
typealias Symbolic = Expr

/// A small deterministic generator for the numeric checks of the lowering.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * Double(next() >> 11) / Double(1 << 53) }
}
