import Foundation
import PlexusCore

// The C of a lowered NESTML neuron (plexus_point.h). Names in the C: K[i] the population's
// constants (parameters, then internals, then propagators), S[v] one neuron's state (a local copy
// in the update loop), y[k] the ODE vector inside a right-hand side, l_x a local variable, w_k
// the weight sum of spike port k in this step. See NESTMLLowering.swift for the step's order.

extension NeuronLowering {
    /// How names print in one place of the generated code.
    struct Scope {
        var state: (Int) -> String
        var locals: Set<String> = []
        var portsVisible = false
        var where_: String
        /// Constant subexpressions become population constants (right-hand sides only).
        var hoist = false
        /// Random draws are made per neuron and step: in the update, onReceive and onCondition
        /// blocks and the functions they call, never in ODEs, internals or initial values.
        var randomAllowed = false
        /// In a synapse's handler: its port's role (the archive's traces are read in one of them).
        var synapseHandler: SynapseHandler?
    }
    enum SynapseHandler { case pre, post }

    /// The user functions that draw random numbers, directly or through other functions.
    var drawingFunctions: Set<String> {
        func calls(_ list: [NESTML.Statement]) -> Set<String> {
            var out = Set<String>()
            func expr(_ e: NESTML.Expr) { e.forEachNode { if case .call(let f, _) = $0 { out.insert(f) } } }
            list.forEachStatement { st in
                switch st.kind {
                case .assignment(_, _, let e): expr(e)
                case .declaration(let d): d.value.map(expr)
                case .call(let f, let a): out.insert(f); a.forEach(expr)
                case .return(let e): e.map(expr)
                case .if(let b, _): for x in b { expr(x.condition) }
                case .for(_, let a, let b, _, _): expr(a); expr(b)
                case .while(let c, _): expr(c)
                }
            }
            return out
        }
        let random: Set<String> = ["random_normal", "random_uniform"]
        var drawing = Set<String>(), changed = true
        while changed {
            changed = false
            for f in m.functions where !drawing.contains(f.name) && !calls(f.body).isDisjoint(with: random.union(drawing)) {
                drawing.insert(f.name)
                changed = true
            }
        }
        return drawing
    }

    var hoistOffset: Int { propagatorOffset + 2 * analytic.count * analytic.count }

    /// Whether `e` reads only parameters, internals and literals.
    func isConstant(_ e: NESTML.Expr, _ sc: Scope) -> Bool {
        switch e {
        case .number, .boolean, .infinity: return true
        case .string: return false
        case .variable(let v):
            let n = v.name + String(repeating: "__d", count: v.order)
            if v.index != nil || sc.locals.contains(n) || stateIndex[n] != nil { return false }
            if parameterIndex[n] != nil || internalIndex[n] != nil || n == "e" || n == "pi" { return true }
            if inlines[n] != nil || spikePorts.contains(where: { $0.name == n }) || continuousPort?.name == n || n == "t" { return false }
            if case .success = NESTMLUnit.of(.symbol(v.name)) { return true }
            return false
        case .call(let f, let a):
            let pure: Set<String> = ["exp", "log10", "expm1", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sqrt",
                                     "erf", "erfc", "floor", "ceil", "ln", "log", "abs", "round", "pow", "atan2", "min", "max", "clip"]
            return pure.contains(f) && a.allSatisfy { isConstant($0, sc) }
        case .unary(_, let a): return isConstant(a, sc)
        case .binary(_, let a, let b): return isConstant(a, sc) && isConstant(b, sc)
        case .conditional(let c, let a, let b): return isConstant(c, sc) && isConstant(a, sc) && isConstant(b, sc)
        }
    }

    func cNumber(_ x: Double) -> String {
        if x.isNaN { return "NAN" }
        if x.isInfinite { return x > 0 ? "INFINITY" : "(-INFINITY)" }
        let s = "\(x)"
        return x < 0 ? "(\(s))" : s
    }

    var np: Int { parameters.count }
    func internalRef(_ j: Int) -> String { "K[\(np + j)]" }
    var propagatorOffset: Int { np + internals.count }

    func c(_ e: NESTML.Expr, _ sc: Scope, line: Int) throws -> String {
        if sc.hoist, isConstant(e, sc) {
            var plain = sc
            plain.hoist = false
            let text = try c(e, plain, line: line)
            if text.hasPrefix("K[") && text.hasSuffix("]") && !text.dropFirst(2).contains("[") { return text }
            if Double(text.trimmingCharacters(in: CharacterSet(charactersIn: "()"))) != nil { return text }
            let k = hoistIndex[text] ?? {
                hoisted.append(text)
                hoistIndex[text] = hoisted.count - 1
                return hoisted.count - 1
            }()
            return "K[\(hoistOffset + k)]"
        }
        switch e {
        case .number(let x, _, let u):
            guard let u else { return cNumber(x) }
            let f = try wrap(line) { try unitFactor(u) }
            return f == 1 ? cNumber(x) : "(\(cNumber(x)) * \(cNumber(f)))"
        case .boolean(let b): return b ? "1" : "0"
        case .infinity: return "INFINITY"
        case .string: throw fail(line, "a string is not a value (\(sc.where_))")
        case .variable(let v): return try name(v, sc, line: line)
        case .call(let f, let a): return try call(f, a, sc, line: line)
        case .unary(let op, let a):
            let x = try c(a, sc, line: line)
            switch op {
            case .minus: return "(-\(x))"
            case .plus: return x
            case .not: return "(!\(x))"
            case .bitNot: throw fail(line, "bitwise operators are not supported")
            }
        case .binary(let op, let a, let b):
            if op == .multiply, let w = portWeight(a, b, sc) ?? portWeight(b, a, sc) { return w }
            let x = try c(a, sc, line: line), y = try c(b, sc, line: line)
            switch op {
            case .power:
                // NESTML's NEST printer writes small integer powers as products.
                if case .number(let n, _, nil) = b, n == n.rounded(), n >= 1, n <= 4 {
                    return "(" + Array(repeating: "(\(x))", count: Int(n)).joined(separator: " * ") + ")"
                }
                return "plx_pow(\(x), \(y))"
            case .multiply, .divide, .add, .subtract, .less, .lessEqual, .equal, .notEqual, .greaterEqual, .greater:
                return "(\(x) \(op.rawValue) \(y))"
            case .and: return "(\(x) && \(y))"
            case .or: return "(\(x) || \(y))"
            case .modulo: return "fmod(\(x), \(y))"
            case .floorDivide: return "floor((\(x)) / (\(y)))"
            default: throw fail(line, "operator '\(op.rawValue)' is not supported")
            }
        case .conditional(let cond, let a, let b):
            return "(\(try c(cond, sc, line: line)) ? \(try c(a, sc, line: line)) : \(try c(b, sc, line: line)))"
        }
    }

    /// `port * 1 s` (or `* 1 mV*s`...): a spike port's weight sum as NESTML's units make it
    /// (the port reads in 1/s, the literal's 1000 ms brings it back). Unit arithmetic would
    /// multiply by 0.001 and then by 1000 (by 1000.0000000000001 for `1 nS*s`: the unit factor
    /// is a product of rounded powers of ten), which moves the last bit; the weights are exact.
    func portWeight(_ port: NESTML.Expr, _ literal: NESTML.Expr, _ sc: Scope) -> String? {
        guard sc.portsVisible, case .variable(let v) = port, v.order == 0, v.index == nil, !sc.locals.contains(v.name),
              stateIndex[v.name] == nil, parameterIndex[v.name] == nil, internalIndex[v.name] == nil,
              let k = spikePorts.firstIndex(where: { $0.name == v.name }),
              case .number(let x, _, let u?) = literal, let f = try? unitFactor(u), abs(x * f / 1000 - 1) < 1e-12 else { return nil }
        return "w_\(k)"
    }

    func wrap<T>(_ line: Int, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as PlexusError where e.file == nil { throw fail(line, e.message) }
    }

    func name(_ v: NESTML.Variable, _ sc: Scope, line: Int) throws -> String {
        guard v.index == nil else { throw fail(line, "vector element '\(v)' is not supported yet") }
        let n = v.name + String(repeating: "__d", count: v.order)
        if v.order == 0, sc.locals.contains(n) { return "l_\(cIdent(n))" }
        if let s = stateIndex[n] { return sc.state(s) }
        if let p = parameterIndex[n] { return "K[\(p)]" }
        if let j = internalIndex[n] { return internalRef(j) }
        if v.order == 0, let i = inlines[n] { return "(" + (try c(try expand(i.expr, line: line), sc, line: line)) + ")" }
        if let k = spikePorts.firstIndex(where: { $0.name == n }) {
            guard sc.portsVisible else { throw fail(line, "spike port '\(n)' is read outside the update, onReceive and onCondition blocks (\(sc.where_))") }
            return "(0.001 * w_\(k))"
        }
        if let p = continuousPort, p.name == n { return sc.state(p.column) }
        switch n {
        case "t": return timeExpression
        case "e": return cNumber(M_E)
        case "pi": return cNumber(Double.pi)
        default: break
        }
        if case .success(let u) = NESTMLUnit.of(.symbol(v.name)), v.order == 0 { return cNumber(u.isDimensionless ? u.si : u.factor) }
        throw fail(line, "'\(n)' is not declared (\(sc.where_))\(PlexusError.didYouMean(n, Array(stateIndex.keys) + Array(parameterIndex.keys) + Array(internalIndex.keys)))")
    }

    func call(_ f: String, _ a: [NExpr], _ sc: Scope, line: Int) throws -> String {
        let args = try a.map { try c($0, sc, line: line) }
        func arity(_ n: Int) throws { guard a.count == n else { throw fail(line, "\(f) takes \(n) argument\(n == 1 ? "" : "s"), not \(a.count)") } }
        switch f {
        case "exp", "log10", "expm1", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sqrt", "erf", "erfc", "floor", "ceil":
            try arity(1); return "\(f)(\(args[0]))"
        case "ln", "log": try arity(1); return "log(\(args[0]))"
        case "abs": try arity(1); return "fabs(\(args[0]))"
        case "round": try arity(1); return "round(\(args[0]))"
        case "sign": try arity(1); return "((\(args[0]) > 0) - (\(args[0]) < 0))"
        case "pow": try arity(2); return "plx_pow(\(args[0]), \(args[1]))"
        case "atan2": try arity(2); return "atan2(\(args[0]), \(args[1]))"
        case "min": try arity(2); return "fmin(\(args[0]), \(args[1]))"
        case "max": try arity(2); return "fmax(\(args[0]), \(args[1]))"
        case "clip": try arity(3); return "fmin(fmax(\(args[0]), \(args[1])), \(args[2]))"
        case "resolution", "timestep": try arity(0); return "c->h"
        case "steps":
            try arity(1)
            // NESTML converts the argument to ms (`steps(1 / rate)` with a rate in Hz is in s).
            let k = storedScale(a[0]).map { $0.dims == NESTMLUnit.time ? $0.si / 1e-3 : 1 } ?? 1
            return "plx_steps(\(abs(k - 1) < 1e-12 ? args[0] : "(\(args[0])) * \(cNumber(k))"), c->h)"
        case "convolve":
            return try c(try expand(.call(f, a), line: line), sc, line: line)
        case "random_normal", "random_uniform":
            guard sc.randomAllowed else {
                throw fail(line, "\(f)() draws per neuron and step: only the update, onReceive and onCondition blocks may call it (\(sc.where_))")
            }
            try arity(2)
            // Plexus's counter-based stream of the neuron and step (the same for any threads and
            // ranks); NESTML's NEST code draws from NEST's generator, so only the distribution is NEST's.
            if f == "random_normal" { return "((\(args[0])) + (\(args[1])) * plx_rng_normal(c->rng))" }
            return "((\(args[0])) + ((\(args[1])) - (\(args[0]))) * plx_rng_double(c->rng))"
        case "post_Kminus", "post_nearest_Kminus", "post_Kminus_triplet":
            // Plexus's reads of the target's spike archive (NEST's archiving node), for synapses
            // that compute as NEST's built-in STDP models do: tau_minus is the target's.
            try arity(0)
            let inPre = f != "post_Kminus_triplet"
            guard isSynapse, sc.synapseHandler == (inPre ? .pre : .post) else {
                throw fail(line, "\(f)() is the target's trace \(inPre ? "at the presynaptic spike's arrival (t - delay): only the presynaptic port's onReceive" : "just after a postsynaptic spike: only the postsynaptic port's onReceive") of a synapse may call it (\(sc.where_))")
            }
            switch f {
            case "post_Kminus": archiveReads.insert(.kminus); return "c->ev->post_kminus"
            case "post_nearest_Kminus": archiveReads.insert(.nearestKminus); return "c->ev->post_nearest_kminus"
            default: archiveReads.insert(.kminusTriplet); return "c->ev->post_kminus_triplet_now"
            }
        case "random_poisson", "random_exponential":
            throw fail(line, "\(f)() is not supported yet (random_normal and random_uniform are)")
        case "emit_spike", "integrate_odes", "deliver_spike", "print", "println":
            throw fail(line, "\(f)() is a statement, not a value")
        default:
            guard let fn = functions[f] else { throw fail(line, "unknown function '\(f)'") }
            if !sc.randomAllowed && drawingFunctions.contains(f) {
                throw fail(line, "function \(f) draws random numbers: only the update, onReceive and onCondition blocks may call it (\(sc.where_))")
            }
            guard fn.parameters.count == a.count else { throw fail(line, "\(f) takes \(fn.parameters.count) arguments, not \(a.count)") }
            return "\(prefix)fn_\(cIdent(f))(c\(args.map { ", " + $0 }.joined()))"
        }
    }

    /// The dimensions of what `e` computes and the SI value of one unit of the number the code
    /// holds for it (1e-3 for a time, kept in ms; 1 for a rate in Hz, kept as written), where the
    /// declarations tell; nil where they do not (locals, functions).
    func storedScale(_ e: NExpr) -> (dims: [Int], si: Double)? {
        func of(_ u: NESTML.UnitExpr) -> (dims: [Int], si: Double)? {
            guard case .success(let unit) = NESTMLUnit.of(u) else { return nil }
            return (unit.dims, unit.isDimensionless ? 1 : unit.si / unit.factor)
        }
        let none = [Int](repeating: 0, count: 7)
        switch e {
        case .number(_, _, let u):
            guard let u else { return (none, 1) }
            return of(u)
        case .variable(let v):
            guard v.order == 0, v.index == nil else { return nil }
            for d in m.parameters + m.state + m.internals where d.variables.contains(where: { $0.name == v.name }) {
                switch d.type {
                case .unit(let u): return of(u)
                case .real, .integer: return (none, 1)
                default: return nil
                }
            }
            return nil
        case .unary(.minus, let a), .unary(.plus, let a): return storedScale(a)
        case .binary(let op, let a, let b):
            guard let x = storedScale(a), let y = storedScale(b) else { return nil }
            switch op {
            case .multiply: return (zip(x.dims, y.dims).map { $0 + $1 }, x.si * y.si)
            case .divide: return (zip(x.dims, y.dims).map { $0 - $1 }, x.si / y.si)
            case .add, .subtract: return x.dims == y.dims && x.si == y.si ? x : nil
            default: return nil
            }
        case .call("resolution", _), .call("timestep", _): return (NESTMLUnit.time, 1e-3)
        default: return nil
        }
    }

    func cIdent(_ n: String) -> String { n.replacingOccurrences(of: "$", with: "_S_") }

    // MARK: statements

    /// C for statements; `integrate` expands integrate_odes; `emit` is what emit_spike() does.
    func statements(_ list: [NESTML.Statement], _ sc: inout Scope, indent: String, inFunction: Bool) throws -> String {
        var out = ""
        for s in list {
            let line = s.line
            switch s.kind {
            case .assignment(let v, let op, let e):
                guard v.index == nil else { throw fail(line, "vector element '\(v)' is not supported yet") }
                let n = v.name + String(repeating: "__d", count: v.order)
                let target: String
                if sc.locals.contains(n) { target = "l_\(cIdent(n))" }
                else if let st = stateIndex[n] { target = sc.state(st) }
                else if parameterIndex[n] != nil || internalIndex[n] != nil { throw fail(line, "'\(n)' is a parameter or an internal: it cannot be assigned in a block") }
                else { throw fail(line, "assignment to '\(n)', which is not declared") }
                let value = try c(e, sc, line: line)
                switch op {
                case .assign: out += "\(indent)\(target) = \(value);\n"
                case .add: out += "\(indent)\(target) += \(value);\n"
                case .subtract: out += "\(indent)\(target) -= \(value);\n"
                case .multiply: out += "\(indent)\(target) *= \(value);\n"
                case .divide: out += "\(indent)\(target) /= \(value);\n"
                case .floorDivide: out += "\(indent)\(target) = floor(\(target) / (\(value)));\n"
                }
            case .declaration(let d):
                for v in d.variables {
                    guard v.index == nil else { throw fail(line, "local vector '\(v.name)[...]' is not supported yet") }
                    let value = try d.value.map { try c($0, sc, line: line) } ?? "0"
                    sc.locals.insert(v.name)
                    out += "\(indent)double l_\(cIdent(v.name)) = \(value);\n"
                }
            case .call(let f, let a):
                switch f {
                case "integrate_odes":
                    guard !inFunction else { throw fail(line, "integrate_odes() inside a function is not supported") }
                    out += try isSynapse ? synapseIntegrate(a, indent: indent, line: line) : integrate(a, indent: indent, line: line)
                case "emit_spike" where isSynapse:
                    guard !inFunction else { throw fail(line, "emit_spike() inside a function is not supported") }
                    guard a.count <= 1 else {
                        throw fail(line, "emit_spike() with a delay: the synapse's delay is the connection's (emit_spike(weight) is supported)")
                    }
                    let w = try a.first.map { try c($0, sc, line: line) } ?? "S[0]"
                    out += "\(indent)c->ev->weight = \(w);\n\(indent)c->ev->emitted = 1;\n"
                case "emit_spike":
                    guard !inFunction else { throw fail(line, "emit_spike() inside a function is not supported") }
                    guard a.isEmpty else { throw fail(line, "emit_spike() with arguments (spike attributes) is not supported yet") }
                    out += "\(indent)fired = 1;\n"
                case "print", "println": out += "\(indent)/* \(f)(...) is not printed */\n"
                case "deliver_spike": throw fail(line, "deliver_spike() belongs to synapse models")
                default: out += "\(indent)\(try call(f, a, sc, line: line));\n"
                }
            case .return(let e):
                out += "\(indent)return\(try e.map { " " + (try c($0, sc, line: line)) } ?? "");\n"
            case .if(let branches, let otherwise):
                for (k, b) in branches.enumerated() {
                    var inner = sc
                    out += "\(indent)\(k == 0 ? "if" : "else if") (\(try c(b.condition, sc, line: b.line))) {\n"
                    out += try statements(b.body, &inner, indent: indent + "    ", inFunction: inFunction)
                    out += "\(indent)}\n"
                }
                if let o = otherwise {
                    var inner = sc
                    out += "\(indent)else {\n" + (try statements(o, &inner, indent: indent + "    ", inFunction: inFunction)) + "\(indent)}\n"
                }
            case .for(let v, let from, let to, let step, let body):
                var inner = sc
                inner.locals.insert(v)
                let i = "l_\(cIdent(v))"
                let cmp = step >= 0 ? "<=" : ">="
                out += "\(indent)for (double \(i) = \(try c(from, sc, line: line)); \(i) \(cmp) \(try c(to, sc, line: line)); \(i) += \(cNumber(step))) {\n"
                out += try statements(body, &inner, indent: indent + "    ", inFunction: inFunction)
                out += "\(indent)}\n"
            case .while(let cond, let body):
                var inner = sc
                out += "\(indent)while (\(try c(cond, sc, line: line))) {\n"
                out += try statements(body, &inner, indent: indent + "    ", inFunction: inFunction)
                out += "\(indent)}\n"
            }
        }
        return out
    }

    // MARK: integrate_odes

    /// The ODE variables integrate_odes(args) names (all of them without arguments).
    func listed(_ args: [NExpr], line: Int) throws -> Set<Int> {
        if args.isEmpty { return Set(states.indices.filter { states[$0].kind == .ode }) }
        var out = Set<Int>()
        for a in args {
            guard case .variable(let v) = a, v.index == nil, let s = stateIndex[v.name], states[s].kind == .ode else {
                throw fail(line, "integrate_odes(\(a)): not a variable with an ODE")
            }
            out.insert(s)
            // a higher-order variable brings its derivatives
            var d = v.name + "__d"
            while let k = stateIndex[d], states[k].kind == .ode { out.insert(k); d += "__d" }
        }
        return out
    }

    /// Right-hand sides needed, keyed by the listed set.
    func rhsName(_ set: Set<Int>) -> String {
        let key = odeColumns.map { set.contains($0) ? "1" : "0" }.joined()
        if let n = rhsVariants[key] { return n }
        let n = "\(prefix)rhs_\(rhsVariants.count)"
        rhsVariants[key] = n
        rhsSets[n] = set
        return n
    }

    func integrate(_ args: [NExpr], indent: String, line: Int) throws -> String {
        let set = try listed(args, line: line)
        let exact = analytic.filter { set.contains($0) && states[$0].kind == .ode }
        // NESTML runs its GSL loop in every integrate_odes of a model with numeric states, even one
        // that lists only exact ones (refr_t in a refractory branch): the step size it carries
        // from step to step depends on it.
        let numeric = hasNumeric
        var out = "\(indent)/* integrate_odes(\(args.map(\.description).joined(separator: ", "))) */\n\(indent){\n"
        let inner = indent + "    "
        // Exact propagation of the listed linear variables, from the values before the step.
        var temps: [(Int, String)] = []
        if !exact.isEmpty {
            out += try propagation(targets: exact, indent: inner, line: line, tag: "x")
            temps = exact.map { ($0, "x_\($0)") }
        }
        if numeric {
            let rhsFn = rhsName(set)
            let cols = odeColumns
            out += "\(inner)double y[\(cols.count)], work[\(10 * cols.count)];\n"
            for (k, s) in cols.enumerated() { out += "\(inner)y[\(k)] = S[\(s)];\n" }
            out += "\(inner)plx_rkf45_advance(\(rhsFn), c, &control, \(cols.count), c->h, &S[\(stateIndex["__gsl_step"]!)], y, work);\n"
            for (k, s) in cols.enumerated() { out += "\(inner)S[\(s)] = y[\(k)];\n" }
        }
        for (s, t) in temps { out += "\(inner)S[\(s)] = \(t);\n" }
        // Delta kernels jump the variables they enter, when those are integrated.
        for s in set.sorted() {
            for term in deltaTerms[s] ?? [] {
                let k = spikePorts.firstIndex { $0.name == term.port }!
                let coef = try c(try unsymbolic(term.coefficient), updateScope, line: line)
                out += "\(inner)S[\(s)] += \(coef) * (0.001 * w_\(k)) / (0.001);\n"
            }
        }
        out += "\(indent)}\n"
        return out
    }

    /// Declares `<tag>_<s>` = the exactly propagated value of each target from the current S.
    func propagation(targets: [Int], indent: String, line: Int, tag: String) throws -> String {
        let n = analytic.count
        let pos = Dictionary(uniqueKeysWithValues: analytic.enumerated().map { ($1, $0) })
        var out = ""
        // The constant terms of the variables the targets depend on (inputs and state held over the step).
        let needed = Set(targets.flatMap { t in reach(from: t) })
        for s in analytic where needed.contains(s) {
            guard let term = inhomogeneous[s], !term.isZero else { continue }
            // Constant parts (E_L / tau_m) are population constants, as in the right-hand sides.
            var sc = updateScope
            sc.hoist = true
            out += "\(indent)const double \(tag)c_\(s) = \(try c(try unsymbolic(term), sc, line: line));\n"
        }
        for t in targets {
            let i = pos[t]!
            var terms: [String] = []
            for s in analytic where reach(from: t).contains(s) {
                let j = pos[s]!
                terms.append("K[\(propagatorOffset + i * n + j)] * S[\(s)]")
                if let term = inhomogeneous[s], !term.isZero { terms.append("K[\(propagatorOffset + n * n + i * n + j)] * \(tag)c_\(s)") }
            }
            out += "\(indent)const double \(tag)_\(t) = \(terms.isEmpty ? "0" : terms.joined(separator: " + "));\n"
        }
        return out
    }

    /// The exactly solved variables `t` depends on, itself included.
    func reach(from t: Int) -> Set<Int> {
        var seen: Set<Int> = [t], stack = [t]
        while let x = stack.popLast() {
            for y in (matrix[x] ?? [:]).keys where !seen.contains(y) { seen.insert(y); stack.append(y) }
        }
        return seen
    }

    var updateScope: Scope {
        var s = Scope(state: { "S[\($0)]" }, where_: "in the update")
        s.portsVisible = true
        s.randomAllowed = true
        return s
    }

    // MARK: the whole model

    /// The model's functions as C, declarations first (they may call each other); they read the
    /// state through the `<prefix>ctx` the caller declared.
    func userFunctions() throws -> String {
        func signature(_ f: NESTML.Function) -> String {
            "static inline \(f.returnType == nil || f.returnType == .void ? "void" : "double") \(prefix)fn_\(cIdent(f.name))(const \(prefix)ctx* c\(f.parameters.map { ", double l_\(cIdent($0.name))" }.joined()))"
        }
        var out = ""
        for f in m.functions { out += signature(f) + ";\n" }
        for f in m.functions {
            var sc = Scope(state: { "c->S[\($0)]" }, where_: "in function \(f.name)")
            sc.randomAllowed = true
            sc.locals = Set(f.parameters.map(\.name))
            out += signature(f) + " {\n" + (try statements(f.body, &sc, indent: "    ", inFunction: true)) + "}\n"
        }
        return out
    }

    func generate() throws -> String {
        let p = prefix
        let ns = states.count, nA = analytic.count
        var out = "\n/* ---- \(m.name) (\(file)) ---- */\n"
        out += "typedef struct { const double* K; double* S; double h; int64_t step; plx_rng* rng; } \(p)ctx;\n"
        out += try userFunctions()
        // linear matrix (its coefficients read no state: the lowering checked)
        let matrixScope = Scope(state: { _ in "0" }, where_: "in the linear part")
        out += "static void \(p)linear_matrix(const double* K, double* a) {\n"
        for (i, x) in analytic.enumerated() {
            for (j, y) in analytic.enumerated() {
                guard let coef = matrix[x]?[y] else { continue }
                out += "    a[\(i * nA + j)] = \(try c(try unsymbolic(coef), matrixScope, line: states[x].line));\n"
            }
        }
        out += "    (void)K; (void)a;\n}\n"
        // initial state
        out += "static void \(p)initial_state(const double* K, double* S) {\n    \(p)ctx cc = { K, S, K[\(np)], 0, 0 }; const \(p)ctx* c = &cc; (void)c;\n"
        let initScope = Scope(state: { "S[\($0)]" }, where_: "in an initial value")
        for (v, st) in states.enumerated() {
            switch st.kind {
            case .plain, .ode:
                guard let e = st.initial else { throw fail(st.line, "state variable '\(st.name)' has no initial value") }
                out += "    S[\(v)] = \(try c(e, initScope, line: st.line));\n"
            default: out += "    S[\(v)] = 0;\n"
            }
        }
        for (v, st) in states.enumerated() where st.kind == .recordedInline {
            out += "    S[\(v)] = \(try c(try expand(inlines[st.name]!.expr, line: st.line), recordScope, line: st.line));\n"
        }
        out += "}\n"
        // update (generated before the right-hand sides, which it names), then the internals (which
        // compute the constants the right-hand sides hoisted)
        let update = try updateFunction()
        var rhsText = ""
        for (name, set) in rhsSets.sorted(by: { $0.key < $1.key }) { rhsText += try rhsFunction(name, set) }
        // internals
        // Internals that read the state read its initial value (NESTML computes them once, from
        // the state the neuron starts in).
        var isc = Scope(state: { _ in "0" }, where_: "in the internals")
        var depth = 0
        func initialValue(_ v: Int) -> String {
            guard depth < 20, let e = states[v].initial, let text = try? { () throws -> String in
                depth += 1; defer { depth -= 1 }
                return try c(e, isc, line: states[v].line)
            }() else { return "NAN" }
            return "(\(text))"
        }
        isc.state = { initialValue($0) }
        out += "static void \(p)internals(double* K, double h) {\n    \(p)ctx cc = { K, 0, h, 0, 0 }; const \(p)ctx* c = &cc; (void)c;\n"
        out += "    \(internalRef(0)) = h;\n"
        for (j, x) in internals.enumerated() where j > 0 {
            guard let e = x.expr else { throw fail(x.line, "internal '\(x.name)' has no value") }
            out += "    \(internalRef(j)) = \(try c(e, isc, line: x.line));\n"
        }
        for (k, text) in hoisted.enumerated() { out += "    K[\(hoistOffset + k)] = \(text);\n" }
        out += "}\n"
        out += rhsText + update
        out += """
        static const plx_point_model \(p)entry = { "\(m.name)", \(ns), \(np), \(hoistOffset + hoisted.count),
            \(p)internals, \(nA), \(p)linear_matrix, \(propagatorOffset), \(p)initial_state, \(p)update };

        """
        return out
    }

    /// Recorded inline expressions read the state at the end of the step (spike ports as 0).
    var recordScope: Scope { Scope(state: { "S[\($0)]" }, where_: "in a recorded inline expression") }

    /// Whether a block of the step (update, onReceive, onCondition) calls random_normal or random_uniform.
    var usesRandom: Bool {
        var text = ""
        for b in m.blocks {
            switch b.kind {
            case .update(let st): text += st.map { "\($0)" }.joined()
            case .onReceive(let r): text += r.body.map { "\($0)" }.joined()
            case .onCondition(let c): text += "\(c.condition)" + c.body.map { "\($0)" }.joined()
            default: break
            }
        }
        return text.contains("random_normal") || text.contains("random_uniform")
    }

    /// Whether the model draws random numbers at all (its blocks or its functions): then each
    /// neuron or synapse gets its stream.
    var drawsRandomNumbers: Bool { usesRandom || !drawingFunctions.isEmpty }

    func rhsFunction(_ name: String, _ set: Set<Int>) throws -> String {
        let cols = odeColumns
        let pos = Dictionary(uniqueKeysWithValues: cols.enumerated().map { ($1, $0) })
        var sc = Scope(state: { s in pos[s].map { "y[\($0)]" } ?? "c->S[\(s)]" }, where_: "in an ODE")
        sc.portsVisible = false
        sc.hoist = true
        var out = "static void \(name)(const void* vc, const double* y, double* f) {\n    const \(prefix)ctx* c = (const \(prefix)ctx*)vc; const double* K = c->K; (void)K;\n"
        for (k, s) in cols.enumerated() {
            if set.contains(s) || states[s].kind == .kernel {
                out += "    f[\(k)] = \(try c(rhs[s]!, sc, line: states[s].line));\n"
            } else {
                out += "    f[\(k)] = 0;\n"
            }
        }
        return out + "}\n"
    }

    func updateFunction() throws -> String {
        let p = prefix
        var out = "static void \(p)update(plx_point_step* st) {\n"
        out += "    const double* K = st->constants;\n    double S[\(max(1, states.count))];\n"
        out += "    \(p)ctx cc = { K, S, st->h, st->step, 0 }, *c = &cc;\n"
        if hasNumeric {
            func tolerance(_ n: String) -> String { parameterIndex[n].map { "K[\($0)]" } ?? internalRef(internalIndex[n]!) }
            out += "    const plx_control control = { \(tolerance("gsl_abs_error_tol")), \(tolerance("gsl_rel_error_tol")), 1.0, 0.0 };\n"
        }
        out += "    for (int64_t i = st->begin; i < st->end; i++) {\n"
        let ind = "        "
        for v in states.indices { out += "\(ind)S[\(v)] = st->state[\(v) * st->stride + i];\n" }
        out += "\(ind)int fired = 0;\n"
        if drawsRandomNumbers {
            out += "\(ind)plx_rng rng = plx_rng_make(st->key0, st->key1, (uint64_t)(st->first_node + i), (uint32_t)st->step, 14);\n"
            out += "\(ind)cc.rng = &rng;\n"
        }
        // spike ports: NESTML's handler puts a negative weight on the inhibitory port, negated
        for (k, port) in spikePorts.enumerated() {
            let pair: String
            if receptorPorts != nil { pair = "2 * (i * st->ports + \(k))" } else { pair = "2 * i" }
            switch port.qualifier {
            case .excitatory?: out += "\(ind)const double w_\(k) = st->spikes[\(pair)];\n"
            case .inhibitory?: out += "\(ind)const double w_\(k) = -st->spikes[\(pair) + 1];\n"
            case nil: out += "\(ind)const double w_\(k) = st->spikes[\(pair)] + st->spikes[\(pair) + 1];\n"
            }
        }
        // step 1: the kernel variables from their old values
        let kernels = states.indices.filter { states[$0].kind == .kernel }
        for k in kernels where !analytic.contains(k) {
            throw fail(states[k].line, "kernel variable '\(states[k].name)' is not linear with constant coefficients")
        }
        if !kernels.isEmpty { out += try propagation(targets: kernels, indent: ind, line: m.line, tag: "k") }
        var sc = updateScope
        if let u = m.update { out += try statements(u, &sc, indent: ind, inFunction: false) }
        // onReceive in the file's order: NESTML 9.0.0's neurons ignore `priority=` (its template
        // loops over the blocks in source order). A block runs when its port's weights sum to
        // non-zero; NESTML counts events, so a step whose weights cancel exactly differs.
        for r in m.onReceive {
            guard let k = spikePorts.firstIndex(where: { $0.name == r.port }) else {
                throw fail(r.line, "onReceive(\(r.port)): '\(r.port)' is not a spike input port")
            }
            var inner = updateScope
            out += "\(ind)if (w_\(k) != 0) {\n" + (try statements(r.body, &inner, indent: ind + "    ", inFunction: false)) + "\(ind)}\n"
        }
        // step 2: the kernel variables take their propagated values, then the spikes' jumps
        for s in kernels { out += "\(ind)S[\(s)] = k_\(s);\n" }
        for conv in convolutions where !conv.isDelta {
            let k = spikePorts.firstIndex { $0.name == conv.port }!
            for (col, jump) in zip(conv.columns, conv.jumps) {
                // NESTML's increment, operation for operation: port value × initial value / (1 port unit)
                if case .number(0, _, _) = jump { continue }
                let j = try c(jump, updateScope, line: states[col].line)
                out += "\(ind)S[\(col)] += ((0.001 * w_\(k)) * (\(j))) / (0.001);\n"
            }
        }
        for cond in m.onCondition {
            var inner = updateScope
            out += "\(ind)if (\(try c(cond.condition, updateScope, line: cond.line))) {\n"
            out += try statements(cond.body, &inner, indent: ind + "    ", inFunction: false) + "\(ind)}\n"
        }
        if let cp = continuousPort { out += "\(ind)S[\(cp.column)] = st->current[i];\n" }
        for (v, st) in states.enumerated() where st.kind == .recordedInline {
            out += "\(ind)S[\(v)] = \(try c(try expand(inlines[st.name]!.expr, line: st.line), updateScope, line: st.line));\n"
        }
        for v in states.indices { out += "\(ind)st->state[\(v) * st->stride + i] = S[\(v)];\n" }
        out += "\(ind)if (fired) st->fired[st->nfired++] = (int32_t)i;\n"
        out += "    }\n}\n"
        return out
    }

}
