import Foundation
import PlexusCore

// NMODL syntax tree -> mechanism IR: resolves every name to its role, inlines PROCEDUREs,
// turns kinetic schemes into state equations, picks out SOLVE, and refuses what Plexus does not
// run, naming the file, the line and the construct. Never skips anything silently.

/// Physical constants the UNITS block can name, in NEURON 9's default (CODATA 2018, "modern")
/// units, which its Nernst equation also uses.
public enum UnitConstants {
    public static let faraday = 96485.33212     // C/mol
    public static let gasConstant = 8.314462618 // J/(mol K)
    public static let known: [String: Double] = [
        "faraday": faraday, "k-mole": gasConstant, "pi": Double.pi, "e": 1.602176634e-19,
        "avogadro": 6.02214076e23, "boltzmann": 1.380649e-23,
    ]
}

public enum NMODLLowering {
    /// Built-in functions a model may call.
    public static let builtinFunctions: Set<String> = [
        "exp", "log", "log10", "fabs", "sqrt", "pow", "sin", "cos", "tan", "tanh", "sinh", "cosh", "atan", "floor", "ceil",
        "fmin", "fmax", "exprelr", "expm1",
    ]

    public static func lower(_ file: NMODLFile) throws -> MechanismModel {
        var l = Lowerer(file)
        return try l.run()
    }
}

struct Lowerer {
    let file: NMODLFile
    var m: MechanismModel
    var fresh = 0

    init(_ file: NMODLFile) {
        self.file = file
        let kind: MechanismModel.Kind = file.neuron.kind == .point ? .point : .density
        m = MechanismModel(name: file.neuron.name, kind: kind, title: file.title ?? "", source: file.path)
    }

    func error(_ message: String, line: Int) -> PlexusError { PlexusError(message, file: file.path, line: line) }

    mutating func run() throws -> MechanismModel {
        let nb = file.neuron
        guard !nb.name.isEmpty else { throw error("the NEURON block names no mechanism (SUFFIX or POINT_PROCESS)", line: max(nb.line, 1)) }
        if nb.kind == .artificial { throw error("ARTIFICIAL_CELL is not supported: Plexus's cable engine runs membrane mechanisms (SUFFIX, POINT_PROCESS)", line: nb.line) }
        if let u = file.unsupported.first { throw error("\(u.name) is not supported by Plexus", line: u.line) }
        if !nb.pointer.isEmpty { throw error("POINTER variables are not supported (\(nb.pointer.joined(separator: ", ")))", line: nb.line) }

        // Constants of the UNITS and CONSTANT blocks.
        for u in file.units {
            if let value = unitConstant(u.definition) { m.roles[u.name] = .constant(value) }
            else if !u.name.hasPrefix("(") {
                throw error("UNITS: '\(u.name) = \(u.definition)' names no constant Plexus knows (it knows \(UnitConstants.known.keys.sorted().joined(separator: ", ")))", line: u.line)
            }
        }
        for c in file.constants {
            guard let v = c.value else { throw error("CONSTANT '\(c.name)' has no value", line: c.line) }
            m.roles[c.name] = .constant(v)
        }

        // Ions.
        for (j, use) in nb.ions.enumerated() {
            let valence = use.valence ?? Self.defaultValence[use.ion]
            guard let valence else {
                throw error("USEION \(use.ion) needs a VALENCE: Plexus knows the valence of \(Self.defaultValence.keys.sorted().joined(separator: ", ")) only", line: use.line)
            }
            var ion = ModelIon(name: use.ion, valence: valence)
            for name in use.read {
                switch name {
                case ion.reversalName: ion.readsReversal = true; m.roles[name] = .ionReversal(ion: j)
                case ion.internalName: ion.readsInternal = true; m.roles[name] = .ionInternal(ion: j)
                case ion.externalName: ion.readsExternal = true; m.roles[name] = .ionExternal(ion: j)
                case ion.currentName: ion.readsCurrent = true; m.roles[name] = .ionCurrent(ion: j)
                default: throw error("USEION \(use.ion) READ \(name): an ion offers \(ion.reversalName), \(ion.internalName), \(ion.externalName), \(ion.currentName)", line: use.line)
                }
            }
            for name in use.write {
                switch name {
                case ion.currentName:
                    ion.writesCurrent = true; ion.readsCurrent = false
                    m.roles[name] = .ionCurrent(ion: j); m.currents.append(name)
                case ion.internalName: ion.writesInternal = true; ion.readsInternal = false
                case ion.externalName: ion.writesExternal = true; ion.readsExternal = false
                case ion.reversalName:
                    throw error("USEION \(use.ion) WRITE \(name): writing a reversal potential is not supported; Plexus computes it from the concentrations (Nernst) when a mechanism writes them", line: use.line)
                default: throw error("USEION \(use.ion) WRITE \(name): an ion offers \(ion.currentName), \(ion.internalName), \(ion.externalName)", line: use.line)
                }
            }
            m.ions.append(ion)
        }
        for c in nb.nonspecificCurrents { m.roles[c] = .nonspecificCurrent; m.currents.append(c) }
        for c in nb.electrodeCurrents { m.roles[c] = .electrodeCurrent; m.currents.append(c) }

        // Declarations.
        let special: [String: NameRole] = ["v": .voltage, "t": .time, "dt": .dt, "celsius": .celsius]
        // Always known, declared or not (NEURON requires v and celsius to be declared; Plexus
        // does not insist).
        for (n, r) in special where m.roles[n] == nil { m.roles[n] = r }
        func declare(_ d: Declaration, as role: NameRole, into list: WritableKeyPath<MechanismModel, [ModelVariable]>) throws {
            if let s = special[d.name] { m.roles[d.name] = s; return }
            if let r = m.roles[d.name], special[d.name] == nil {
                switch r {
                case .ionReversal, .ionInternal, .ionExternal, .ionCurrent, .nonspecificCurrent, .electrodeCurrent: return
                case .constant: throw error("'\(d.name)' is declared twice (as a constant and in a \(role == .parameter ? "PARAMETER" : role == .state ? "STATE" : "ASSIGNED") block)", line: d.line)
                default: throw error("'\(d.name)' is declared twice", line: d.line)
                }
            }
            if let v = d.value, !v.isFinite { throw error("'\(d.name)' = \(v) must be finite", line: d.line) }
            m.roles[d.name] = role
            m[keyPath: list].append(ModelVariable(name: d.name, unit: d.unit ?? "", value: d.value ?? 0,
                                                   lo: d.rangeLow ?? -.infinity, hi: d.rangeHigh ?? .infinity, line: d.line))
        }
        for d in file.parameters {
            if ["t", "dt"].contains(d.name) { m.roles[d.name] = special[d.name]; continue }
            try declare(d, as: .parameter, into: \.parameters)
        }
        for d in file.states {
            // A concentration the mechanism integrates (cai of a calcium buffer) is its state;
            // the ion's value on the CV follows it.
            if let j = m.ions.firstIndex(where: { $0.internalName == d.name || $0.externalName == d.name }) {
                let ion = m.ions[j]
                let writes = d.name == ion.internalName ? ion.writesInternal : ion.writesExternal
                guard writes else { throw error("STATE '\(d.name)' is an ion concentration the mechanism does not WRITE (USEION \(ion.name) WRITE \(d.name))", line: d.line) }
                m.roles[d.name] = nil
            }
            if special[d.name] != nil { throw error("'\(d.name)' cannot be a STATE", line: d.line) }
            try declare(d, as: .state, into: \.states)
        }
        for d in file.assigned {
            if let j = m.ions.firstIndex(where: { ($0.writesInternal && $0.internalName == d.name) || ($0.writesExternal && $0.externalName == d.name) }) {
                throw error("'\(d.name)' is a concentration the mechanism WRITEs (USEION \(m.ions[j].name)): declare it as a STATE", line: d.line)
            }
            try declare(d, as: .assigned, into: \.assigned)
        }
        for (j, ion) in m.ions.enumerated() where ion.writesInternal || ion.writesExternal {
            let name = ion.writesInternal ? ion.internalName : ion.externalName
            if m.roles[name] != .state { throw error("USEION \(ion.name) WRITE \(name): declare '\(name)' as a STATE so that the mechanism integrates it", line: nb.ions[j].line) }
        }
        for c in m.currents where m.roles[c] == nil {
            throw error("current '\(c)' is not declared (add it to ASSIGNED)", line: nb.line)
        }
        // Currents in the unit the engine scales them from: a density mechanism's are current
        // densities (mA/cm2), a point process's currents (nA). Another unit would be wrong by
        // its factor, silently.
        for d in file.assigned + file.parameters where m.currents.contains(d.name) {
            guard let unit = d.unit else { continue }
            let u = unit.lowercased().replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "^", with: "")
            let density = ["ma/cm2", "milliamp/cm2", "milliamps/cm2"], point = ["na", "nanoamp", "nanoamps"]
            let currentUnits = density + point + ["pa", "ua", "ma", "a", "amp", "milliamp", "microamp", "picoamp", "ua/cm2", "na/cm2", "a/cm2", "a/m2", "microamp/cm2"]
            let wanted = m.kind == .density ? density : point
            if currentUnits.contains(u) && !wanted.contains(u) {
                throw error("unit mismatch: current '\(d.name)' is declared in \(unit), but a \(m.kind == .density ? "density mechanism's (SUFFIX) currents are current densities in mA/cm2" : "point process's currents are in nA")", line: d.line)
            }
        }
        for name in nb.range + nb.global where m.roles[name] == nil {
            throw error("RANGE/GLOBAL '\(name)' is not declared in PARAMETER, STATE or ASSIGNED", line: nb.line)
        }

        // Functions and procedures: check their bodies resolve.
        for c in file.callables {
            if Self.reservedFunction(c.name) { throw error("\(c.isFunction ? "FUNCTION" : "PROCEDURE") '\(c.name)' has the name of a built-in function", line: c.line) }
            if m.roles[c.name] != nil { throw error("'\(c.name)' names both a variable and a \(c.isFunction ? "FUNCTION" : "PROCEDURE")", line: c.line) }
        }
        let procedures = Dictionary(file.callables.filter { !$0.isFunction }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let functions = Dictionary(file.callables.filter(\.isFunction).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.procedures = procedures
        self.functionNames = Set(functions.keys)
        for f in file.callables.filter(\.isFunction) {
            var scope = Set(f.arguments + [f.name])
            let body = try inline(f.body, scope: &scope, depth: 0)
            try check(body, scope: scope, context: "FUNCTION \(f.name)", allowsAssigning: { n in n == f.name || scope.contains(n) })
            m.functions.append(Callable(line: f.line, name: f.name, arguments: f.arguments, isFunction: true, body: body))
        }

        // INITIAL, BREAKPOINT, the SOLVE'd system, NET_RECEIVE.
        var scope = Set<String>()
        if let initial = file.initial {
            var body: [Statement] = []
            for s in initial {
                if case .solve(let name, let method, let steady) = s.kind {
                    let sys = try system(named: name, line: s.line)
                    if sys.isLinear {
                        guard !steady, method == nil else { throw error("SOLVE \(name): a LINEAR block is solved as it is (no METHOD or STEADYSTATE)", line: s.line) }
                    } else {
                        guard steady else { throw error("SOLVE \(name) in INITIAL: a DERIVATIVE or KINETIC block is solved there for its steady state (SOLVE \(name) STEADYSTATE sparse)", line: s.line) }
                        guard method == nil || method == "sparse" || method == "derivimplicit" else {
                            throw error("SOLVE \(name) STEADYSTATE \(method!): Plexus solves steady states with sparse or derivimplicit", line: s.line)
                        }
                    }
                    m.initialSolves[name] = sys
                }
                body.append(s)
            }
            m.initial = try inline(body, scope: &scope, depth: 0, allowSolve: true)
            try check(m.initial, scope: scope, context: "INITIAL")
        }
        scope = []
        if let bp = file.breakpoint {
            var rest: [Statement] = []
            for s in bp {
                if case .solve(let name, let method, let steady) = s.kind {
                    if steady { throw error("SOLVE ... STEADYSTATE belongs in INITIAL", line: s.line) }
                    guard m.solve == nil else { throw error("BREAKPOINT has more than one SOLVE; Plexus integrates one system per mechanism", line: s.line) }
                    let sys = try system(named: name, line: s.line)
                    let solver: SolveMethod
                    switch method {
                    case "cnexp": solver = .cnexp
                    case "derivimplicit": solver = .derivimplicit
                    case "sparse": solver = .sparse
                    case "euler": solver = .euler
                    case nil: solver = sys.isKinetic ? .sparse : .derivimplicit
                    case let other?:
                        throw error("SOLVE \(name) METHOD \(other): Plexus supports cnexp, derivimplicit, sparse and euler", line: s.line)
                    }
                    if sys.isKinetic && solver != .sparse { throw error("the KINETIC block '\(name)' is solved with METHOD sparse", line: s.line) }
                    if !sys.isKinetic && solver == .sparse { throw error("METHOD sparse solves KINETIC blocks; '\(name)' is a DERIVATIVE block (use cnexp or derivimplicit)", line: s.line) }
                    m.solve = (solver, sys)
                    continue
                }
                rest.append(s)
            }
            m.breakpoint = try inline(rest, scope: &scope, depth: 0)
            try check(m.breakpoint, scope: scope, context: "BREAKPOINT")
        }
        if let nr = file.netReceive {
            guard m.kind == .point else { throw error("NET_RECEIVE in a density mechanism (SUFFIX): events reach point processes only", line: nr.line) }
            guard nr.arguments.count >= 1 else { throw error("NET_RECEIVE needs the weight as its first argument", line: nr.line) }
            var s = Set(nr.arguments)
            let body = try inline(nr.body, scope: &s, depth: 0)
            try check(body, scope: s, context: "NET_RECEIVE")
            m.netReceive = (nr.arguments, body)
        }
        for c in m.currents where m.breakpoint.isEmpty && file.breakpoint == nil {
            throw error("the mechanism writes current '\(c)' but has no BREAKPOINT block", line: nb.line)
        }
        return m
    }

    var procedures: [String: Callable] = [:]
    var functionNames: Set<String> = []

    static let defaultValence: [String: Int] = ["na": 1, "k": 1, "ca": 2, "cl": -1, "mg": 2]

    static func reservedFunction(_ name: String) -> Bool { NMODLLowering.builtinFunctions.contains(name) }

    func unitConstant(_ definition: String) -> Double? {
        // "(faraday) (coulomb)", "(k-mole) (joule/degC)", "(pi) (1)", "96485.309 (coul)"
        let t = definition.trimmingCharacters(in: .whitespaces)
        if let first = t.split(separator: " ").first, let v = Double(first) { return v }
        guard t.hasPrefix("("), let close = t.firstIndex(of: ")") else { return nil }
        let inner = t[t.index(after: t.startIndex)..<close].trimmingCharacters(in: .whitespaces)
        if let v = Double(inner) { return v }
        return UnitConstants.known[inner]
    }

    /// A DERIVATIVE or KINETIC block, inlined and with reactions turned into state equations.
    mutating func system(named name: String, line: Int) throws -> StateSystem {
        guard let b = file.blocks.first(where: { $0.name == name }) else {
            if file.callables.contains(where: { $0.name == name && !$0.isFunction }) {
                throw error("SOLVE \(name): solving a PROCEDURE (NEURON runs it there, as SEClamp does) is not supported; call it from BREAKPOINT instead", line: line)
            }
            throw error("SOLVE \(name): no DERIVATIVE or KINETIC block is named '\(name)'", line: line)
        }
        switch b.kind {
        case .nonlinear: throw error("NONLINEAR blocks are not supported ('\(name)')", line: b.line)
        case .linear:
            var scope = Set<String>()
            let body = try inline(b.body, scope: &scope, depth: 0)
            try check(body, scope: scope, context: "LINEAR \(name)")
            guard body.contains(where: { if case .equation = $0.kind { return true } else { return false } }) else {
                throw error("LINEAR \(name) has no equations (~ lhs = rhs)", line: b.line)
            }
            var sys = StateSystem(name: name, line: b.line, body: body, conserve: [], isKinetic: false)
            sys.isLinear = true
            return sys
        case .derivative:
            var scope = Set<String>()
            let body = try inline(b.body, scope: &scope, depth: 0)
            try check(body, scope: scope, context: "DERIVATIVE \(name)")
            var defined = Set<String>()
            for s in body { if case .derivative(let x, _) = s.kind {
                guard m.roles[x] == .state else { throw error("'\(x)'' = ...: '\(x)' is not a STATE", line: s.line) }
                guard defined.insert(x).inserted else { throw error("'\(x)' has two equations in DERIVATIVE \(name)", line: s.line) }
            } }
            return StateSystem(name: name, line: b.line, body: body, conserve: [], isKinetic: false)
        case .kinetic:
            var scope = Set<String>()
            var out: [Statement] = []
            var rates: [String: Expr] = [:]        // state -> accumulated rate of change
            var order: [String] = []
            var conserve: [(states: [ReactionTerm], total: Expr)] = []
            func add(_ x: String, _ e: Expr, line: Int) throws {
                guard m.roles[x] == .state else { throw error("'\(x)' in a reaction is not a STATE", line: line) }
                if rates[x] == nil { order.append(x); rates[x] = .number(0) }
                rates[x] = rates[x]! + e
            }
            for s in try inline(b.body, scope: &scope, depth: 0) {
                switch s.kind {
                case .reaction(let lhs, let rhs, let kf, let kb):
                    // Each rate into a local at the reaction's place, so that later statements
                    // cannot change it.
                    fresh += 1
                    let f = "_kf\(fresh)", r = "_kb\(fresh)"
                    out.append(Statement(line: s.line, .local([f, r])))
                    out.append(Statement(line: s.line, .assign(f, kf)))
                    out.append(Statement(line: s.line, .assign(r, kb)))
                    scope.formUnion([f, r])
                    func product(_ side: [ReactionTerm]) -> Expr {
                        side.reduce(Expr.number(1)) { acc, t in
                            acc * (t.coefficient == 1 ? Expr.name(t.name) : Expr.binary(.power, .name(t.name), .number(Double(t.coefficient))))
                        }
                    }
                    let flux = Expr.name(f) * product(lhs) - Expr.name(r) * product(rhs)
                    for t in lhs { try add(t.name, -(Expr.number(Double(t.coefficient)) * flux), line: s.line) }
                    for t in rhs { try add(t.name, Expr.number(Double(t.coefficient)) * flux, line: s.line) }
                case .flux(let x, let e):
                    fresh += 1
                    let f = "_flux\(fresh)"
                    out.append(Statement(line: s.line, .local([f])))
                    out.append(Statement(line: s.line, .assign(f, e)))
                    scope.insert(f)
                    try add(x, .name(f), line: s.line)
                case .conserve(let terms, let total):
                    for t in terms where m.roles[t.name] != .state { throw error("CONSERVE: '\(t.name)' is not a STATE", line: s.line) }
                    conserve.append((terms, total))
                case .derivative, .equation:
                    throw error("x' = ... and ~ a = b do not belong in a KINETIC block: write the scheme's reactions", line: s.line)
                default:
                    out.append(s)
                }
            }
            try check(out, scope: scope, context: "KINETIC \(name)")
            for x in order { out.append(Statement(line: b.line, .derivative(x, rates[x]!))) }
            return StateSystem(name: name, line: b.line, body: out, conserve: conserve, isKinetic: true)
        }
    }

    /// Replaces PROCEDURE calls by their bodies (arguments and locals renamed to fresh locals);
    /// collects LOCAL names into `scope`.
    mutating func inline(_ body: [Statement], scope: inout Set<String>, depth: Int, allowSolve: Bool = false) throws -> [Statement] {
        guard depth < 32 else { throw error("PROCEDUREs call each other more than 32 deep (recursion is not supported)", line: body.first?.line ?? 1) }
        var out: [Statement] = []
        for s in body {
            switch s.kind {
            case .local(let names): scope.formUnion(names); out.append(s)
            case .call(let name, let args):
                if let p = procedures[name] {
                    guard p.arguments.count == args.count else {
                        throw error("PROCEDURE \(name) takes \(p.arguments.count) argument\(p.arguments.count == 1 ? "" : "s"), called with \(args.count)", line: s.line)
                    }
                    fresh += 1
                    var rename: [String: String] = [:]
                    for a in p.arguments { rename[a] = "_\(name)\(fresh)_\(a)" }
                    for st in p.body { if case .local(let ls) = st.kind { for x in ls { rename[x] = "_\(name)\(fresh)_\(x)" } } }
                    var inner = Set(rename.values)
                    out.append(Statement(line: s.line, .local(p.arguments.map { rename[$0]! })))
                    for (a, e) in zip(p.arguments, args) { out.append(Statement(line: s.line, .assign(rename[a]!, e))) }
                    let renamed = p.body.map { self.rename(statement: $0, rename) }
                    out += try inline(renamed, scope: &inner, depth: depth + 1)
                    scope.formUnion(inner)
                } else if functionNames.contains(name) {
                    out.append(s)   // a FUNCTION called for nothing: kept (may be pure); the generator evaluates it
                } else {
                    throw error("call of '\(name)', which is neither a PROCEDURE nor a FUNCTION of this file", line: s.line)
                }
            case .ifElse(let c, let a, let b):
                out.append(Statement(line: s.line, .ifElse(c, try inline(a, scope: &scope, depth: depth), try inline(b, scope: &scope, depth: depth))))
            case .whileLoop(let c, let a):
                out.append(Statement(line: s.line, .whileLoop(c, try inline(a, scope: &scope, depth: depth))))
            case .unsupported(let what):
                throw error("\(what) is not supported by Plexus", line: s.line)
            case .table:
                continue   // computed exactly: a TABLE is NEURON's cache of the same values
            case .solve:
                // Kept only where INITIAL solves a block (its handler checked it).
                guard allowSolve else { throw error("SOLVE is allowed only in BREAKPOINT and INITIAL", line: s.line) }
                out.append(s)
            default:
                out.append(s)
            }
        }
        return out
    }

    func rename(statement s: Statement, _ map: [String: String]) -> Statement {
        func r(_ n: String) -> String { map[n] ?? n }
        let k: Statement.Kind
        switch s.kind {
        case .assign(let x, let e): k = .assign(r(x), e.renaming(map))
        case .derivative(let x, let e): k = .derivative(r(x), e.renaming(map))
        case .local(let ns): k = .local(ns.map(r))
        case .ifElse(let c, let a, let b): k = .ifElse(c.renaming(map), a.map { rename(statement: $0, map) }, b.map { rename(statement: $0, map) })
        case .whileLoop(let c, let a): k = .whileLoop(c.renaming(map), a.map { rename(statement: $0, map) })
        case .call(let f, let args): k = .call(f, args.map { $0.renaming(map) })
        case .reaction(let lhs, let rhs, let f, let b):
            k = .reaction(lhs: lhs.map { ReactionTerm($0.coefficient, r($0.name)) }, rhs: rhs.map { ReactionTerm($0.coefficient, r($0.name)) },
                          forward: f.renaming(map), backward: b.renaming(map))
        case .flux(let x, let e): k = .flux(r(x), e.renaming(map))
        case .conserve(let ts, let e): k = .conserve(ts.map { ReactionTerm($0.coefficient, r($0.name)) }, e.renaming(map))
        default: k = s.kind
        }
        return Statement(line: s.line, k)
    }

    /// Every name read or written is declared, local, an argument, a constant or special; calls
    /// name FUNCTIONs or built-ins; assignments go to writable names.
    func check(_ body: [Statement], scope: Set<String>, context: String, allowsAssigning: ((String) -> Bool)? = nil) throws {
        func known(_ n: String) -> Bool { scope.contains(n) || m.roles[n] != nil }
        func checkExpr(_ e: Expr, line: Int) throws {
            for n in e.names where !known(n) {
                throw error("'\(n)' is not declared (in \(context)); declare it in PARAMETER, ASSIGNED or STATE, or as LOCAL", line: line)
            }
            for f in e.calledFunctions where !functionNames.contains(f) && !NMODLLowering.builtinFunctions.contains(f) {
                if procedures[f] != nil { throw error("PROCEDURE '\(f)' used as a value (in \(context)); only FUNCTIONs return values", line: line) }
                throw error("unknown function '\(f)' (in \(context)); built-ins: \(NMODLLowering.builtinFunctions.sorted().joined(separator: ", "))", line: line)
            }
        }
        func writable(_ x: String, line: Int) throws {
            if let allows = allowsAssigning { if allows(x) { return } else if m.roles[x] != nil {
                throw error("\(context) assigns '\(x)', a variable of the mechanism; a FUNCTION may only compute its value", line: line)
            } }
            if scope.contains(x) { return }
            guard let r = m.roles[x] else { throw error("'\(x)' is not declared (in \(context))", line: line) }
            switch r {
            case .constant: throw error("'\(x)' is a constant and cannot be assigned", line: line)
            case .voltage: return   // the kernel's own copy of v (NEURON's too): the membrane keeps its value
            case .time, .dt: throw error("'\(x)' is set by the simulator and cannot be assigned", line: line)
            case .ionReversal, .ionInternal, .ionExternal:
                throw error("'\(x)' is READ from the ion; to change it the mechanism must WRITE it (USEION ... WRITE \(x))", line: line)
            case .ionCurrent(let j) where !m.ions[j].writesCurrent:
                throw error("'\(x)' is READ from the ion; to set it the mechanism must WRITE it", line: line)
            default: return
            }
        }
        for s in body {
            switch s.kind {
            case .assign(let x, let e): try checkExpr(e, line: s.line); try writable(x, line: s.line)
            case .derivative(let x, let e): try checkExpr(e, line: s.line); _ = x
            case .ifElse(let c, let a, let b):
                try checkExpr(c, line: s.line)
                try check(a, scope: scope, context: context, allowsAssigning: allowsAssigning)
                try check(b, scope: scope, context: context, allowsAssigning: allowsAssigning)
            case .whileLoop(let c, let a):
                try checkExpr(c, line: s.line)
                try check(a, scope: scope, context: context, allowsAssigning: allowsAssigning)
            case .call(_, let args): for a in args { try checkExpr(a, line: s.line) }
            case .reaction(_, _, let f, let b): try checkExpr(f, line: s.line); try checkExpr(b, line: s.line)
            case .flux(_, let e), .conserve(_, let e): try checkExpr(e, line: s.line)
            case .equation(let a, let b): try checkExpr(a, line: s.line); try checkExpr(b, line: s.line)
            default: break
            }
        }
    }
}
