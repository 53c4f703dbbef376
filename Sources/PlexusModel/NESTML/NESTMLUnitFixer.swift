// NESTML reads the unit after a number greedily: in `2 ms * tau` the parser sees the unit
// `ms*tau`. NESTML's UnitTypeFixerVisitor then moves trailing factors whose names are variables
// back into the expression, one at a time from the right. This does the same on a parsed model,
// with the names declared anywhere in it (state, parameters, internals, inline expressions,
// kernels, ODE variables, input ports, function parameters, local declarations, loop variables)
// and NESTML's predefined variables t, e and pi: `2 ms * tau` becomes `(2 ms) * tau`,
// `2 ms * tau**2` becomes `(2 ms) * tau**2`, and `1 ms * mV` stays 1 ms·mV.

enum UnitFixer {
    typealias Expr = NESTML.Expr

    static func fix(_ model: NESTML.Model) -> NESTML.Model {
        var declared: Set<String> = ["t", "e", "pi"]
        collectNames(model, into: &declared)
        var m = model
        let f = { (e: Expr) in fix(e, declared) }
        m.blocks = model.blocks.map { block in
            var b = block
            switch block.kind {
            case .state(let d): b.kind = .state(d.map { map($0, f) })
            case .parameters(let d): b.kind = .parameters(d.map { map($0, f) })
            case .internals(let d): b.kind = .internals(d.map { map($0, f) })
            case .equations(let eqs):
                b.kind = .equations(eqs.map { eq in
                    switch eq {
                    case .ode(var o): o.lhs = map(o.lhs, f); o.rhs = f(o.rhs); return .ode(o)
                    case .inline(var i): i.expr = f(i.expr); return .inline(i)
                    case .kernel(var k):
                        k.definitions = k.definitions.map { var d = $0; d.variable = map(d.variable, f); d.expr = f(d.expr); return d }
                        return .kernel(k)
                    }
                })
            case .input(let ports): b.kind = .input(ports.map { var p = $0; p.size = p.size.map(f); return p })
            case .output: break
            case .update(let s): b.kind = .update(map(s, f))
            case .onReceive(var r): r.body = map(r.body, f); b.kind = .onReceive(r)
            case .onCondition(var c): c.condition = f(c.condition); c.body = map(c.body, f); b.kind = .onCondition(c)
            case .function(var fn): fn.body = map(fn.body, f); b.kind = .function(fn)
            }
            return b
        }
        return m
    }

    // MARK: - Names

    static func collectNames(_ model: NESTML.Model, into out: inout Set<String>) {
        for block in model.blocks {
            switch block.kind {
            case .state(let d), .parameters(let d), .internals(let d): for x in d { out.formUnion(x.variables.map(\.name)) }
            case .equations(let eqs):
                for eq in eqs {
                    switch eq {
                    case .ode(let o): out.insert(o.lhs.name)
                    case .inline(let i): out.insert(i.name)
                    case .kernel(let k): out.formUnion(k.definitions.map(\.variable.name))
                    }
                }
            case .input(let ports): out.formUnion(ports.map(\.name))
            case .output: break
            case .update(let s): collectNames(s, into: &out)
            case .onReceive(let r): collectNames(r.body, into: &out)
            case .onCondition(let c): collectNames(c.body, into: &out)
            case .function(let fn):
                out.formUnion(fn.parameters.map(\.name))
                collectNames(fn.body, into: &out)
            }
        }
    }

    static func collectNames(_ stmts: [NESTML.Statement], into out: inout Set<String>) {
        for s in stmts {
            switch s.kind {
            case .declaration(let d): out.formUnion(d.variables.map(\.name))
            case .if(let branches, let otherwise):
                for b in branches { collectNames(b.body, into: &out) }
                if let otherwise { collectNames(otherwise, into: &out) }
            case .for(let v, _, _, _, let body): out.insert(v); collectNames(body, into: &out)
            case .while(_, let body): collectNames(body, into: &out)
            case .assignment, .call, .return: break
            }
        }
    }

    // MARK: - Rewriting

    static func map(_ d: NESTML.Declaration, _ f: (Expr) -> Expr) -> NESTML.Declaration {
        var d = d
        d.variables = d.variables.map { map($0, f) }
        d.value = d.value.map(f)
        d.invariant = d.invariant.map(f)
        return d
    }

    static func map(_ v: NESTML.Variable, _ f: (Expr) -> Expr) -> NESTML.Variable {
        var v = v
        v.index = v.index.map(f)
        return v
    }

    static func map(_ stmts: [NESTML.Statement], _ f: (Expr) -> Expr) -> [NESTML.Statement] {
        stmts.map { s in
            var s = s
            switch s.kind {
            case .assignment(let v, let op, let e): s.kind = .assignment(map(v, f), op, f(e))
            case .declaration(let d): s.kind = .declaration(map(d, f))
            case .call(let n, let args): s.kind = .call(n, args.map(f))
            case .return(let e): s.kind = .return(e.map(f))
            case .if(let branches, let otherwise):
                s.kind = .if(branches: branches.map { NESTML.Branch(line: $0.line, condition: f($0.condition), body: map($0.body, f)) },
                             otherwise: otherwise.map { map($0, f) })
            case .for(let v, let from, let to, let step, let body): s.kind = .for(variable: v, from: f(from), to: f(to), step: step, body: map(body, f))
            case .while(let c, let body): s.kind = .while(f(c), map(body, f))
            }
            return s
        }
    }

    /// The expression with every number's trailing variable factors moved out of its unit.
    static func fix(_ e: Expr, _ declared: Set<String>) -> Expr {
        switch e {
        case .number(let x, let isInteger, let unit?):
            let op: Expr.BinaryOp
            let rest: NESTML.UnitExpr, factor: NESTML.UnitExpr
            switch unit {
            case .product(let a, let b): (op, rest, factor) = (.multiply, a, b)
            case .quotient(let a, let b) where !isFactor(a): (op, rest, factor) = (.divide, a, b)
            default: return e
            }
            guard let moved = variableFactor(factor, declared) else { return e }
            return .binary(op, fix(.number(x, isInteger: isInteger, unit: rest), declared), moved)
        case .number, .boolean, .string, .infinity: return e
        case .variable(let v): return .variable(map(v) { fix($0, declared) })
        case .call(let n, let args): return .call(n, args.map { fix($0, declared) })
        case .unary(let op, let a): return .unary(op, fix(a, declared))
        case .binary(let op, let a, let b):
            // A split literal on the right of * or / joins its parent's chain left to right, as
            // NESTML's printer writes it without parentheses: `g / 1 nS * m` is (g / 1 nS) * m,
            // not g / (1 nS * m).
            let fb = fix(b, declared)
            if [.multiply, .divide, .modulo].contains(op), case .number(_, _, _?) = b, fb != b {
                return graft(fb, onto: fix(a, declared), op)
            }
            return .binary(op, fix(a, declared), fb)
        case .conditional(let c, let a, let b): return .conditional(fix(c, declared), fix(a, declared), fix(b, declared))
        }
    }

    /// `chain` (a split literal: the number leftmost, the moved factors after it) with `left op`
    /// put before its number.
    static func graft(_ chain: Expr, onto left: Expr, _ op: Expr.BinaryOp) -> Expr {
        if case .binary(let o, let l, let r) = chain { return .binary(o, graft(l, onto: left, op), r) }
        return .binary(op, left, chain)
    }

    static func isFactor(_ u: NESTML.UnitExpr) -> Bool { if case .factor = u { return true } else { return false } }

    /// `tau` or `tau**2` as an expression, when `tau` is a declared name.
    static func variableFactor(_ u: NESTML.UnitExpr, _ declared: Set<String>) -> Expr? {
        switch u {
        case .symbol(let n) where declared.contains(n): return .name(n)
        case .power(.symbol(let n), let r) where declared.contains(n):
            let magnitude: Expr = r.denominator == 1 ? .int(abs(r.numerator)) : .num(abs(r.value))
            return .binary(.power, .name(n), r.numerator < 0 ? .unary(.minus, magnitude) : magnitude)
        default: return nil
        }
    }
}
