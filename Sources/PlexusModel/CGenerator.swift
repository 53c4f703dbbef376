import Foundation
import PlexusCore

// The code generator: mechanism IR -> C source of a catalogue library implementing the
// mechanism ABI (plexus_mechanism.h). Each kernel is one loop over a range of instances: load
// the instance's fields and its CV's values into locals, run the phase's statements, store what
// changed. No per-instance dispatch; clang -O3 sees plain arithmetic.

public struct CodeGenerator {
    /// Whose numerics the generated kernels follow where NMODL leaves them open.
    /// - `neuron`: `cnexp` with the exact exponential, and the conductance of the BREAKPOINT's
    ///   current as NEURON takes it, (i(v + 0.001) − i(v)) / 0.001 (user mechanisms: their
    ///   numbers are NEURON's).
    /// - `arbor`: `cnexp` with the (1,1) Padé approximant of the exponential and the conductance
    ///   by symbolic differentiation, as Arbor's modcc generates them (Plexus's built-in
    ///   catalogue, whose numbers are Arbor's).
    public enum Dialect: String, Sendable { case neuron, arbor }
    public var dialect: Dialect
    /// C for the CPU (a loop over instances per kernel), or CUDA source (a thread per instance,
    /// sums to shared CVs by atomicAdd, events applied in order by one thread).
    public enum Target: Sendable { case c, cuda }
    public var target: Target = .c

    public init(dialect: Dialect = .neuron, target: Target = .c) { self.dialect = dialect; self.target = target }

    /// Field layout of a mechanism: parameters, the instance's built-in quantities, assigned
    /// variables, states.
    public struct Layout: Sendable {
        public struct Field: Sendable {
            public var name: String, unit: String, role: Int32, value: Double, lo: Double, hi: Double
        }
        public var fields: [Field] = []
        public var index: [String: Int] = [:]
        /// Field of each hoisted subexpression, by its text.
        public var hoisted: [String: Int] = [:]
        public static let area = "_area", fraction = "_area_fraction", celsius = "_celsius"

        public init(_ m: MechanismModel) {
            func add(_ v: ModelVariable, _ role: Int32) {
                index[v.name] = fields.count
                fields.append(Field(name: v.name, unit: v.unit, role: role, value: v.value, lo: v.lo, hi: v.hi))
            }
            for p in m.parameters { add(p, 0) }
            add(ModelVariable(name: Self.area, unit: "um2"), 1)
            add(ModelVariable(name: Self.fraction), 2)
            add(ModelVariable(name: Self.celsius, unit: "degC"), 3)
            for a in m.assigned { add(a, 4) }
            // Step factors of cnexp equations whose coefficients are constant for the run
            // (computed once by the initialize kernel, as a hand-written kernel keeps a decay).
            for x in CodeGenerator.invariantCnexp(m).keys.sorted() {
                add(ModelVariable(name: "_k_" + x), 4)
                add(ModelVariable(name: "_c_" + x), 4)
            }
            // Costly subexpressions that are the same every step (a Q10 factor).
            for (i, e) in CodeGenerator.invariantSubexpressions(m).enumerated() {
                hoisted[e.description] = fields.count
                add(ModelVariable(name: "_h\(i)"), 4)
            }
            for s in m.states { add(s, 5) }
        }
    }

    /// The cnexp equations x' = a + b·x whose a and b read only parameters, constants,
    /// celsius and dt: their step factor and constant are the same every step (x → coefficients).
    public static func invariantCnexp(_ m: MechanismModel) -> [String: (a: Expr, b: Expr)] {
        guard let (method, sys) = m.solve, method == .cnexp else { return [:] }
        var out: [String: (a: Expr, b: Expr)] = [:]
        for st in sys.body {
            guard case .derivative(let x, let f) = st.kind, let (a, b) = f.linear(in: x), !b.isZero,
                  a.calledFunctions.isEmpty, b.calledFunctions.isEmpty else { continue }
            let fixed = a.names.union(b.names).allSatisfy { n in
                switch m.roles[n] {
                case .parameter?, .celsius?, .dt?, .constant?: return true
                default: return false
                }
            }
            if fixed { out[x] = (a, b) }
        }
        return out
    }

    /// The costly subexpressions (a power, or a built-in function such as exp) of the BREAKPOINT
    /// and the solved system that read only parameters, constants, celsius and dt, and no name
    /// declared LOCAL there: the same every step, so computed once per instance by the
    /// initialize kernel (NEURON recomputes them each step; the values are the same).
    public static func invariantSubexpressions(_ m: MechanismModel) -> [Expr] {
        let body = m.breakpoint + (m.solve?.system.body ?? [])
        let flat = KernelWriter.flatten(body)
        var locals = Set<String>()
        for st in flat { if case .local(let ns) = st.kind { locals.formUnion(ns) } }
        func invariant(_ e: Expr) -> Bool {
            guard e.calledFunctions.allSatisfy(NMODLLowering.builtinFunctions.contains) else { return false }
            return e.names.allSatisfy { n in
                guard !locals.contains(n) else { return false }
                switch m.roles[n] {
                case .parameter?, .celsius?, .dt?, .constant?: return true
                default: return false
                }
            }
        }
        func costly(_ e: Expr) -> Bool {
            switch e {
            case .call: return true
            case .binary(.power, _, let b): if case .number(2) = b { return false } else { return true }
            default: return false
            }
        }
        var out: [Expr] = [], seen = Set<String>()
        func walk(_ e: Expr) {
            if costly(e), !e.names.isEmpty, invariant(e) {
                if seen.insert(e.description).inserted { out.append(e) }
                return
            }
            switch e {
            case .number, .name: break
            case .unary(_, let a): walk(a)
            case .binary(_, let a, let b): walk(a); walk(b)
            case .call(_, let args): args.forEach(walk)
            }
        }
        for st in flat {
            switch st.kind {
            case .assign(_, let e), .derivative(_, let e): walk(e)
            case .ifElse(let c, _, _): walk(c)
            default: break
            }
        }
        return out
    }

    /// Conductance folding the engine may apply (see the ABI header).
    public static func folding(_ m: MechanismModel) -> (kind: Int32, g: Int32, e: Int32) {
        guard m.currents.count == 1, m.breakpoint.count == 1, case .assign(let c, let e) = m.breakpoint[0].kind, c == m.currents[0],
              m.roles[c] == .nonspecificCurrent,
              case .binary(.multiply, .name(let g), .binary(.subtract, .name("v"), .name(let rev))) = e,
              m.roles[rev] == .parameter else { return (0, -1, -1) }
        let layout = Layout(m)
        if m.roles[g] == .parameter, m.states.isEmpty, m.kind == .density, m.netReceive == nil {
            return (1, Int32(layout.index[g]!), Int32(layout.index[rev]!))
        }
        if m.roles[g] == .state, m.kind == .point { return (2, Int32(layout.index[g]!), Int32(layout.index[rev]!)) }
        return (0, -1, -1)
    }

    /// C source of a catalogue of `models`, with the ABI header at its top.
    public func catalogueSource(_ models: [MechanismModel]) throws -> String {
        var out = MechanismABI.header + "\n#include <math.h>\n#include <stddef.h>\n\n"
        if target == .cuda {
            out += "// CUDA source generated by Plexus from the same IR as the C kernels. The pack's arrays must be\n"
            out += "// device memory; each kernel is launched over its instances by the host function of the same name.\n"
            out += Self.prelude.replacingOccurrences(of: "static inline double", with: "static __device__ inline double")
                .replacingOccurrences(of: "static void plx_solve", with: "static __device__ void plx_solve")
        } else {
            out += Self.prelude
        }
        var entries: [String] = []
        for (i, m) in models.enumerated() {
            var g = KernelWriter(model: m, generator: self, prefix: "m\(i)_\(Self.cName(m.name))")
            out += try g.source()
            entries.append(g.entry)
        }
        out += "\nstatic const plx_mechanism plx_mechanisms[] = {\n" + entries.joined(separator: ",\n") + "\n};\n"
        out += """

        static const plx_catalogue plx_table = { PLX_ABI_VERSION, \(models.count), plx_mechanisms };
        \(target == .cuda ? "extern \"C\" " : "")const plx_catalogue* plexus_catalogue(void) { return &plx_table; }

        """
        return out
    }

    static func cName(_ s: String) -> String { String(s.map { $0.isLetter || $0.isNumber ? $0 : "_" }) }

    static let prelude = """
    // x / (exp(x) - 1), 1 at 0 (Arbor's built-in; also NEURON models' vtrap).
    static inline double plx_exprelr(double x) { return (1.0 + x == 1.0) ? 1.0 : x / expm1(x); }
    // (1,1) Padé approximant of exp(x) (Arbor's cnexp).
    static inline double plx_pade(double x) { return (2.0 + x) / (2.0 - x); }
    // Solves a·x = b in place (b becomes x) by Gaussian elimination with partial pivoting;
    // a is n×n row-major. Deterministic: the same operations in the same order every time.
    static void plx_solve(int n, double* a, double* b) {
        for (int c = 0; c < n; ++c) {
            int p = c; double best = fabs(a[c * n + c]);
            for (int r = c + 1; r < n; ++r) { double x = fabs(a[r * n + c]); if (x > best) { best = x; p = r; } }
            if (p != c) {
                for (int j = 0; j < n; ++j) { double t = a[c * n + j]; a[c * n + j] = a[p * n + j]; a[p * n + j] = t; }
                double t = b[c]; b[c] = b[p]; b[p] = t;
            }
            double inv = 1.0 / a[c * n + c];
            for (int r = c + 1; r < n; ++r) {
                double f = a[r * n + c] * inv;
                if (f == 0.0) continue;
                for (int j = c; j < n; ++j) a[r * n + j] -= f * a[c * n + j];
                b[r] -= f * b[c];
            }
        }
        for (int c = n - 1; c >= 0; --c) {
            double s = b[c];
            for (int j = c + 1; j < n; ++j) s -= a[c * n + j] * b[j];
            b[c] = s / a[c * n + c];
        }
    }

    """

    static func literal(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(format: "%.1f", x) }
        return String(format: "%.17g", x)
    }
}

/// The C text of one mechanism's kernels.
struct KernelWriter {
    let model: MechanismModel
    let generator: CodeGenerator
    let prefix: String
    let layout: CodeGenerator.Layout
    /// Free names each FUNCTION reads (passed as extra arguments), transitively.
    var functionFree: [String: [String]] = [:]
    /// Whether expressions read hoisted subexpressions from their fields (not in FUNCTIONs,
    /// which have no instance, nor where the initialize kernel computes them).
    var hoisting = true

    init(model: MechanismModel, generator: CodeGenerator, prefix: String) {
        self.model = model; self.generator = generator; self.prefix = prefix
        layout = CodeGenerator.Layout(model)
    }

    func error(_ message: String, line: Int) -> PlexusError { PlexusError(message, file: model.source, line: line) }

    static func v(_ name: String) -> String { "n_" + CodeGenerator.cName(name) }

    var entry: String = ""

    mutating func source() throws -> String {
        var out = "// ---- \(model.name) (\(model.source)) ----\n"
        out += try functions()
        out += fieldTable()
        out += try kernel("init", body: model.initial, phase: .initialize)
        out += try kernel("cur", body: model.breakpoint, phase: .current)
        out += try kernel("state", body: [], phase: .state)
        if model.netReceive != nil { out += try eventsKernel() }
        let fold = CodeGenerator.folding(model)
        let ions = model.ions.isEmpty ? "NULL" : "\(prefix)_ions"
        entry = """
            { "\(model.name)", "\(Self.escape(model.title))", \(model.kind == .point ? "PLX_POINT" : "PLX_DENSITY"), \(layout.fields.count), \(prefix)_fields, \(model.ions.count), \(ions), \(model.netReceive != nil ? 1 : 0), \(model.coalescable ? 1 : 0), \(fold.kind), \(fold.g), \(fold.e),
              \(prefix)_init, \(prefix)_cur, \(prefix)_state, \(model.netReceive != nil ? "\(prefix)_events" : "NULL") }
            """
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: " ")
    }

    func fieldTable() -> String {
        var s = "static const plx_field \(prefix)_fields[] = {\n"
        for f in layout.fields {
            let lo = f.lo.isFinite ? CodeGenerator.literal(f.lo) : (f.lo < 0 ? "-INFINITY" : "INFINITY")
            let hi = f.hi.isFinite ? CodeGenerator.literal(f.hi) : (f.hi < 0 ? "-INFINITY" : "INFINITY")
            s += "    { \"\(f.name)\", \"\(Self.escape(f.unit))\", \(f.role), \(CodeGenerator.literal(f.value)), \(lo), \(hi) },\n"
        }
        s += "};\n"
        if !model.ions.isEmpty {
            s += "static const plx_ion_use \(prefix)_ions[] = {\n"
            for ion in model.ions {
                var access: [String] = []
                if ion.readsReversal { access.append("PLX_READ_REVERSAL") }
                if ion.readsInternal { access.append("PLX_READ_INTERNAL") }
                if ion.readsExternal { access.append("PLX_READ_EXTERNAL") }
                if ion.writesCurrent { access.append("PLX_WRITE_CURRENT") }
                if ion.writesInternal { access.append("PLX_WRITE_INTERNAL") }
                if ion.writesExternal { access.append("PLX_WRITE_EXTERNAL") }
                s += "    { \"\(ion.name)\", \(ion.valence), \(access.isEmpty ? "0" : access.joined(separator: " | ")) },\n"
            }
            s += "};\n"
        }
        return s
    }

    // MARK: FUNCTIONs

    mutating func functions() throws -> String {
        hoisting = false
        defer { hoisting = true }
        // Free names, to a fixed point over calls between functions.
        let fs = Dictionary(uniqueKeysWithValues: model.functions.map { ($0.name, $0) })
        var free: [String: Set<String>] = [:]
        for f in model.functions {
            var locals = Set(f.arguments + [f.name])
            for s in Self.flatten(f.body) { if case .local(let ns) = s.kind { locals.formUnion(ns) } }
            free[f.name] = Self.namesRead(f.body).union(Self.namesWritten(f.body)).subtracting(locals).filter { n in
                if case .constant = model.roles[n] { return false }
                return model.roles[n] != nil
            }
        }
        var changed = true
        while changed {
            changed = false
            for f in model.functions {
                for callee in Self.calls(f.body) where fs[callee] != nil {
                    let before = free[f.name]!.count
                    free[f.name]!.formUnion(free[callee]!)
                    if free[f.name]!.count != before { changed = true }
                }
            }
        }
        functionFree = free.mapValues { $0.sorted() }
        let fn = cuda ? "static __device__" : "static"
        var out = ""
        for f in model.functions {
            out += "\(fn) double \(prefix)_f_\(CodeGenerator.cName(f.name))(\((f.arguments.map { "double \(Self.v($0))" } + functionFree[f.name]!.map { "double \(Self.v($0))" }).joined(separator: ", ")));\n"
        }
        for f in model.functions {
            let params = (f.arguments.map { "double \(Self.v($0))" } + functionFree[f.name]!.map { "double \(Self.v($0))" }).joined(separator: ", ")
            out += "\(fn) double \(prefix)_f_\(CodeGenerator.cName(f.name))(\(params)) {\n"
            out += "    double \(Self.v(f.name)) = 0.0;\n"
            out += try statements(f.body, indent: "    ")
            out += "    return \(Self.v(f.name));\n}\n"
        }
        return out
    }

    // MARK: kernels

    enum Phase { case initialize, current, state }

    /// The C statements of `body`.
    func statements(_ body: [Statement], indent: String) throws -> String {
        var s = ""
        for st in body {
            switch st.kind {
            case .local(let names): for n in names { s += "\(indent)double \(Self.v(n)) = 0.0;\n" }
            case .assign(let x, let e): s += "\(indent)\(Self.v(x)) = \(try expr(e, line: st.line));\n"
            case .ifElse(let c, let a, let b):
                s += "\(indent)if (\(try expr(c, line: st.line))) {\n" + (try statements(a, indent: indent + "    ")) + "\(indent)}"
                if !b.isEmpty { s += " else {\n" + (try statements(b, indent: indent + "    ")) + "\(indent)}" }
                s += "\n"
            case .whileLoop:
                throw error("while loops are not supported (a kernel must end in a bounded time)", line: st.line)
            case .call(let f, let args): s += "\(indent)(void)\(try expr(.call(f, args), line: st.line));\n"
            case .derivative(let x, _):
                throw error("'\(x)'' = ... outside a DERIVATIVE block", line: st.line)
            case .solve:
                break   // the steady-state solve in INITIAL is emitted by the kernel
            default:
                throw error("statement not supported here", line: st.line)
            }
        }
        return s
    }

    func expr(_ e: Expr, line: Int) throws -> String {
        if hoisting, let f = layout.hoisted[e.description] { return "f[\(f) * n + k]" }
        switch e {
        case .number(let x):
            guard x.isFinite else { throw error("the number \(x) is not finite", line: line) }
            return CodeGenerator.literal(x)
        case .name(let n):
            if case .constant(let c)? = model.roles[n] { return "(" + CodeGenerator.literal(c) + ")" }
            return Self.v(n)
        case .unary(.negate, let a): return "(-\(try expr(a, line: line)))"
        case .unary(.not, let a): return "(double)(!\(try expr(a, line: line)))"
        case .binary(.power, let a, let b):
            if case .number(let k) = b, k == 2 { let x = try expr(a, line: line); return "((\(x))*(\(x)))" }
            return "pow(\(try expr(a, line: line)), \(try expr(b, line: line)))"
        case .binary(let op, let a, let b):
            let x = try expr(a, line: line), y = try expr(b, line: line)
            switch op {
            case .add, .subtract, .multiply, .divide: return "(\(x) \(op.rawValue) \(y))"
            default: return "(double)(\(x) \(op.rawValue) \(y))"
            }
        case .call(let f, let args):
            let a = try args.map { try expr($0, line: line) }
            if let free = functionFree[f] {
                let fn = model.functions.first { $0.name == f }!
                guard fn.arguments.count == args.count else {
                    throw error("FUNCTION \(f) takes \(fn.arguments.count) argument\(fn.arguments.count == 1 ? "" : "s"), called with \(args.count)", line: line)
                }
                return "\(prefix)_f_\(CodeGenerator.cName(f))(\((a + free.map(Self.v)).joined(separator: ", ")))"
            }
            let arity = ["pow": 2, "fmin": 2, "fmax": 2][f] ?? 1
            guard args.count == arity else { throw error("\(f) takes \(arity) argument\(arity == 1 ? "" : "s"), called with \(args.count)", line: line) }
            if f == "exprelr" { return "plx_exprelr(\(a[0]))" }
            return "\(f)(\(a.joined(separator: ", ")))"
        }
    }

    /// Column of a field.
    func column(_ name: String) -> String { "f[\(layout.index[name]!) * n + k]" }

    /// Loads of the names a kernel uses, into locals named as in the model.
    func loads(_ names: Set<String>, phase: Phase) -> String {
        var s = ""
        for n in names.sorted() {
            guard let r = model.roles[n] else { continue }
            let v = Self.v(n)
            switch r {
            case .parameter, .assigned: s += "        double \(v) = \(column(n));\n"
            case .state:
                // (A written concentration's column holds the ion's initial value before INITIAL:
                // the engine puts it there.)
                s += "        double \(v) = \(column(n));\n"
            case .ionReversal(let j): s += "        const double \(v) = p->ions[\(j)].reversal[node];\n"
            case .ionInternal(let j): s += "        const double \(v) = p->ions[\(j)].internal[node];\n"
            case .ionExternal(let j): s += "        const double \(v) = p->ions[\(j)].external[node];\n"
            case .ionCurrent(let j):
                if model.ions[j].writesCurrent { s += "        double \(v) = 0.0;\n" }
                else { s += "        const double \(v) = p->area[node] > 0.0 ? p->ions[\(j)].current[node] / (0.01 * p->area[node]) : 0.0;\n" }
            case .nonspecificCurrent, .electrodeCurrent: s += "        double \(v) = 0.0;\n"
            case .voltage: s += "        double \(v) = p->voltage[node];\n"
            case .time: s += "        const double \(v) = p->time;\n"
            case .dt: s += "        const double \(v) = p->dt;\n"
            case .celsius: s += "        const double \(v) = \(column(CodeGenerator.Layout.celsius));\n"
            case .constant: break
            }
        }
        return s
    }

    func writtenConcentrationIon(_ name: String) -> Int? {
        model.ions.firstIndex { ($0.writesInternal && $0.internalName == name) || ($0.writesExternal && $0.externalName == name) }
    }

    /// Stores of the names a kernel assigned that live in fields; written concentrations also
    /// go to the ion, weighted by the instance's share of the CV.
    func stores(_ names: Set<String>) -> String {
        var s = ""
        for n in names.sorted() {
            guard let r = model.roles[n] else { continue }
            switch r {
            case .parameter, .assigned, .state: s += "        \(column(n)) = \(Self.v(n));\n"
            default: break
            }
            if let j = writtenConcentrationIon(n) {
                let field = model.ions[j].internalName == n ? "internal" : "external"
                let w = model.kind == .density ? column(CodeGenerator.Layout.fraction) : "1.0"
                s += "        " + add("p->ions[\(j)].\(field)[node]", "\(w) * \(Self.v(n))")
            }
        }
        return s
    }

    mutating func kernel(_ name: String, body: [Statement], phase: Phase) throws -> String {
        var code: String
        var read = Self.namesRead(body), written = Self.namesWritten(body)
        switch phase {
        case .initialize:
            code = ""
            for st in body {
                if case .solve(let name, _, _) = st.kind, let sys = model.initialSolves[name] {
                    code += sys.isLinear ? try linearSolve(sys) : try steadyState(sys)
                    read.insert("dt")
                    read.formUnion(Self.namesRead(sys.body)); written.formUnion(Self.namesWritten(sys.body))
                    read.formUnion(model.states.map(\.name))
                    written.formUnion(sys.isLinear ? Set(linearUnknowns(sys)) : Set(sys.body.compactMap { if case .derivative(let x, _) = $0.kind { return x } else { return nil } }))
                } else {
                    code += try statements([st], indent: "            ")
                }
            }
            code = try invariantFactors(&read) + code
            // Written concentrations start from the ion's value and are handed back.
            for ion in model.ions {
                if ion.writesInternal { read.insert(ion.internalName); written.insert(ion.internalName) }
                if ion.writesExternal { read.insert(ion.externalName); written.insert(ion.externalName) }
            }
        case .current:
            let (i, g) = try currentAndConductance()
            code = g.before + (try statements(body, indent: "            "))
            read.formUnion(model.currents)
            code += "            _i = \(i);\n            _g = \(g.code);\n"
            read.formUnion(g.reads)
        case .state:
            guard let (method, sys) = model.solve else { code = ""; break }
            code = try integrate(sys, method: method)
            read.insert("dt")
            read.formUnion(Self.namesRead(sys.body))
            read.formUnion(model.states.map(\.name))
            written.formUnion(sys.body.compactMap { if case .derivative(let x, _) = $0.kind { return x } else { return nil } })
            written.formUnion(Self.namesWritten(sys.body))
            for ion in model.ions {
                if ion.writesInternal { written.insert(ion.internalName) }
                if ion.writesExternal { written.insert(ion.externalName) }
            }
        }
        // Names of called FUNCTIONs' free variables must be loaded too.
        for f in Self.calls(body) + (phase == .state ? (model.solve.map { Self.calls($0.system.body) } ?? []) : [])
            + (phase == .initialize ? model.initialSolves.values.flatMap { Self.calls($0.body) } : []) {
            read.formUnion(functionFree[f] ?? [])
        }
        let fieldsUsed = read.union(written)
        var s = cuda ? "__global__ void \(prefix)_\(name)_kernel(plx_pack pk) {\n    const plx_pack* p = &pk;\n"
                     : "static void \(prefix)_\(name)(const plx_pack* p) {\n"
        s += "    const int64_t n = p->count;\n    double* const f = p->fields;\n    (void)f;\n"
        s += cuda ? "    { const int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;\n      if (k >= n) return;\n"
                  : "    for (int64_t k = 0; k < n; ++k) {\n"
        s += "        const int32_t node = p->node[k]; (void)node;\n"
        s += loads(fieldsUsed, phase: phase)
        if phase == .current { s += "        double _i = 0.0, _g = 0.0;\n" }
        s += "        {\n" + code + "        }\n"
        if phase == .current {
            let w = model.kind == .density ? "0.01 * \(column(CodeGenerator.Layout.area))" : "1.0"
            s += "        const double _w = \(w);\n"
            s += "        " + add("p->current[node]", "_w * _i") + "        " + add("p->conductance[node]", "_w * _g")
            for (j, ion) in model.ions.enumerated() where ion.writesCurrent {
                s += "        " + add("p->ions[\(j)].current[node]", "_w * \(Self.v(ion.currentName))")
            }
        }
        s += stores(written.filter { model.roles[$0] != nil || writtenConcentrationIon($0) != nil })
        s += "    }\n}\n"
        if cuda {
            s += "static void \(prefix)_\(name)(const plx_pack* p) {\n"
            s += "    if (p->count > 0) \(prefix)_\(name)_kernel<<<(unsigned)((p->count + 255) / 256), 256>>>(*p);\n}\n"
        }
        return s
    }

    var cuda: Bool { generator.target == .cuda }

    /// `target += value;` — an atomicAdd on the GPU, where instances on one CV run at once.
    func add(_ target: String, _ value: String) -> String {
        cuda ? "atomicAdd(&\(target), \(value));\n" : "\(target) += \(value);\n"
    }

    /// The summed membrane current of the BREAKPOINT (outward positive) and its derivative in v:
    /// symbolic where the BREAKPOINT is straight-line assignments; otherwise NEURON's difference
    /// (i(v + 0.001) − i(v)) / 0.001, evaluating the BREAKPOINT once more at v + 0.001.
    func currentAndConductance() throws -> (String, (before: String, code: String, reads: Set<String>)) {
        func signed(_ c: String) -> Expr { model.roles[c] == .electrodeCurrent ? -Expr.name(c) : .name(c) }
        let total = model.currents.map(signed).reduce(Expr.number(0), +)
        let iCode = try expr(total, line: 0)
        var straight = true
        var map: [String: Expr] = [:]
        for st in model.breakpoint {
            switch st.kind {
            case .local: continue
            case .assign(let x, let e): map[x] = e.substituting(map)
            default: straight = false
            }
        }
        if generator.dialect == .arbor, straight, let g = total.substituting(map).derivative("v"),
           !g.calledFunctions.contains(where: { functionFree[$0] != nil }) {
            return (iCode, ("", try expr(g, line: 0), g.names))
        }
        // Numeric: first the BREAKPOINT at v + 0.001 in a scope of its own (the values it
        // assigns there are dropped), then at v; g = (i(v + 0.001) − i(v)) / 0.001.
        let written = Self.namesWritten(model.breakpoint).filter { model.roles[$0] != nil }.union(model.currents)
        var s = "            double _ihi = 0.0;\n"
        s += "            { const double _vv = \(Self.v("v")) + 0.001;\n"
        for w in written.sorted() { s += "              const double _s_\(CodeGenerator.cName(w)) = \(Self.v(w));\n" }
        s += "              { double \(Self.v("v")) = _vv;\n"
        for w in written.sorted() { s += "                double \(Self.v(w)) = _s_\(CodeGenerator.cName(w));\n" }
        s += try statements(model.breakpoint, indent: "                ")
        s += "                _ihi = \(iCode); } }\n"
        return (iCode, (s, "(_ihi - _i) / 0.001", Set(["v"])))
    }

    // MARK: solvers

    func equations(_ sys: StateSystem) -> [(state: String, rhs: Expr, line: Int)] {
        sys.body.compactMap { if case .derivative(let x, let e) = $0.kind { return (x, e, $0.line) } else { return nil } }
    }

    func integrate(_ sys: StateSystem, method: SolveMethod) throws -> String {
        let ind = "            "
        switch method {
        case .cnexp:
            var s = ""
            for st in sys.body {
                guard case .derivative(let x, let f) = st.kind else { s += try statements([st], indent: ind); continue }
                guard let (a, b) = f.linear(in: x) else {
                    throw error("METHOD cnexp needs each equation linear in its own state; \(x)' = \(f) is not (use METHOD derivimplicit)", line: st.line)
                }
                let xv = Self.v(x)
                if let fi = layout.index["_k_" + x], let ci = layout.index["_c_" + x] {
                    // Factors computed once (see `invariantFactors`).
                    let k = "f[\(fi) * n + k]", c = "f[\(ci) * n + k]"
                    if generator.dialect == .neuron { s += "\(ind)\(xv) = \(xv) + \(k) * (\(c) - \(xv));\n" }
                    else if a.isZero { s += "\(ind)\(xv) = \(xv) * \(k);\n" }
                    else { s += "\(ind)\(xv) = -\(c) + (\(xv) + \(c)) * \(k);\n" }
                } else if b.isZero {
                    s += "\(ind)\(xv) = \(xv) + \(Self.v("dt")) * \(try expr(a, line: st.line));\n"
                } else if generator.dialect == .neuron {
                    let bc = try expr(b, line: st.line)
                    s += "\(ind)\(xv) = \(xv) + (1.0 - exp(\(Self.v("dt")) * \(bc))) * (-(\(try expr(a, line: st.line))) / \(bc) - \(xv));\n"
                } else if a.isZero {
                    s += "\(ind)\(xv) = \(xv) * plx_pade(\(Self.v("dt")) * \(try expr(b, line: st.line)));\n"
                } else {
                    s += "\(ind){ const double _ba = \(try expr(a, line: st.line)) / \(try expr(b, line: st.line));\n"
                    s += "\(ind)  \(xv) = -_ba + (\(xv) + _ba) * plx_pade(\(Self.v("dt")) * \(try expr(b, line: st.line))); }\n"
                }
            }
            return s
        case .euler:
            var s = try statements(sys.body.filter { if case .derivative = $0.kind { return false } else { return true } }, indent: ind)
            let eqs = equations(sys)
            for (q, e) in eqs.enumerated() { s += "\(ind)const double _d\(q) = \(try expr(e.rhs, line: e.line));\n" }
            for (q, e) in eqs.enumerated() { s += "\(ind)\(Self.v(e.state)) += \(Self.v("dt")) * _d\(q);\n" }
            return s
        case .derivimplicit, .sparse:
            return try implicitEuler(sys, dt: Self.v("dt"), steady: false)
        }
    }

    /// Implicit Euler over the system, exact for systems linear in their states:
    /// (I − dt·J)·x' = x + dt·c with f(x) = J·x + c. A CONSERVE law replaces the equation of the
    /// last state it names (NEURON's choice). Equations coupled to no other state are solved
    /// one at a time.
    func implicitEuler(_ sys: StateSystem, dt: String, steady: Bool) throws -> String {
        let ind = "            "
        var s = "\(ind){\n" + (try statements(sys.body.filter { if case .derivative = $0.kind { return false } else { return true } }, indent: ind))
        let eqs = equations(sys)
        let xs = eqs.map(\.state)
        var J: [[Expr]] = [], c: [Expr] = []
        for e in eqs {
            var row: [Expr] = []
            for x in xs {
                guard let d = e.rhs.derivative(x), d.names.isDisjoint(with: xs) else {
                    throw error("\(e.state)' = \(e.rhs) is not linear in the states \(xs.joined(separator: ", ")); Plexus solves linear systems (nonlinear ones need Newton's method, not yet supported)", line: e.line)
                }
                row.append(d)
            }
            J.append(row)
            c.append(e.rhs.substituting(Dictionary(uniqueKeysWithValues: xs.map { ($0, Expr.number(0)) })))
        }
        let n = xs.count
        guard n > 0 else { return s + "\(ind)}\n" }
        var replaced: [Int: (terms: [ReactionTerm], total: Expr)] = [:]
        for law in sys.conserve {
            guard let last = law.states.last, let r = xs.firstIndex(of: last.name) else { continue }
            replaced[r] = (law.states, law.total)
        }
        let diagonal = (0..<n).allSatisfy { i in (0..<n).allSatisfy { j in i == j || J[i][j].isZero } } && replaced.isEmpty
        if diagonal && !steady {
            for i in 0..<n {
                let xv = Self.v(xs[i])
                s += "\(ind)\(xv) = (\(xv) + \(dt) * \(try expr(c[i], line: eqs[i].line))) / (1.0 - \(dt) * \(try expr(J[i][i], line: eqs[i].line)));\n"
            }
            return s + "\(ind)}\n"
        }
        s += "\(ind){ double _a[\(n * n)], _b[\(n)];\n"
        for i in 0..<n {
            if let law = replaced[i] {
                for j in 0..<n {
                    let coef = law.terms.filter { $0.name == xs[j] }.reduce(0) { $0 + $1.coefficient }
                    s += "\(ind)  _a[\(i * n + j)] = \(CodeGenerator.literal(Double(coef)));\n"
                }
                s += "\(ind)  _b[\(i)] = \(try expr(law.total, line: eqs[i].line));\n"
                continue
            }
            for j in 0..<n {
                let jc = try expr(J[i][j], line: eqs[i].line)
                if steady { s += "\(ind)  _a[\(i * n + j)] = \(jc);\n" }
                else if i != j && J[i][j].isZero { s += "\(ind)  _a[\(i * n + j)] = 0.0;\n" }   // no reaction between them
                else { s += "\(ind)  _a[\(i * n + j)] = \(i == j ? "1.0 - " : "-")\(dt) * \(jc);\n" }
            }
            let cc = try expr(c[i], line: eqs[i].line)
            s += steady ? "\(ind)  _b[\(i)] = -(\(cc));\n" : "\(ind)  _b[\(i)] = \(Self.v(xs[i])) + \(dt) * \(cc);\n"
        }
        if steady {
            s += "\(ind)  plx_solve(\(n), _a, _b);\n"
        } else {
            // The step's matrix I − dt·J of a kinetic scheme is an M-matrix (column diagonally
            // dominant), so elimination needs no pivoting: written out for its nonzeros only.
            var nz = (0..<n).map { i in (0..<n).map { j in
                if let law = replaced[i] { return law.terms.contains { $0.name == xs[j] && $0.coefficient != 0 } }
                return i == j || !J[i][j].isZero
            } }
            for col in 0..<n {
                s += "\(ind)  const double _p\(col) = 1.0 / _a[\(col * n + col)];\n"
                for r in (col + 1)..<max(n, col + 1) where nz[r][col] {
                    s += "\(ind)  { const double _f = _a[\(r * n + col)] * _p\(col);\n"
                    for j in (col + 1)..<max(n, col + 1) where nz[col][j] {
                        s += "\(ind)    _a[\(r * n + j)] -= _f * _a[\(col * n + j)];\n"
                        nz[r][j] = true
                    }
                    s += "\(ind)    _b[\(r)] -= _f * _b[\(col)]; }\n"
                }
            }
            for col in (0..<n).reversed() {
                let terms = ((col + 1)..<max(n, col + 1)).filter { nz[col][$0] }.map { " - _a[\(col * n + $0)] * _b[\($0)]" }.joined()
                s += "\(ind)  _b[\(col)] = (_b[\(col)]\(terms)) * _p\(col);\n"
            }
        }
        for i in 0..<n { s += "\(ind)  \(Self.v(xs[i])) = _b[\(i)];\n" }
        s += "\(ind)}\n\(ind)}\n"
        return s
    }

    /// The once-per-run factors of cnexp equations with constant coefficients, as the step
    /// would compute them: NEURON's 1 − exp(dt·b) and −a/b, or Arbor's Padé exp(dt·b) and a/b.
    mutating func invariantFactors(_ read: inout Set<String>) throws -> String {
        hoisting = false
        defer { hoisting = true }
        var s = ""
        for e in CodeGenerator.invariantSubexpressions(model) {
            read.formUnion(e.names)
            s += "            f[\(layout.hoisted[e.description]!) * n + k] = \(try expr(e, line: 0));\n"
        }
        for (x, (a, b)) in CodeGenerator.invariantCnexp(model).sorted(by: { $0.key < $1.key }) {
            let k = "f[\(layout.index["_k_" + x]!) * n + k]", c = "f[\(layout.index["_c_" + x]!) * n + k]"
            read.formUnion(a.names); read.formUnion(b.names); read.insert("dt")
            let ac = try expr(a, line: 0), bc = try expr(b, line: 0), dt = Self.v("dt")
            if generator.dialect == .neuron {
                s += "            \(k) = 1.0 - exp(\(dt) * \(bc));\n            \(c) = -(\(ac)) / \(bc);\n"
            } else {
                s += "            \(k) = plx_pade(\(dt) * \(bc));\n            \(c) = \(ac) / \(bc);\n"
            }
        }
        return s
    }

    /// The states a LINEAR block solves for: those its equations name, in declaration order.
    func linearUnknowns(_ sys: StateSystem) -> [String] {
        var named = Set<String>()
        for st in sys.body { if case .equation(let a, let b) = st.kind { named.formUnion(a.names); named.formUnion(b.names) } }
        return model.states.map(\.name).filter(named.contains)
    }

    /// A LINEAR block: its equations lhs = rhs, linear in the unknowns, solved as A·x = b.
    func linearSolve(_ sys: StateSystem) throws -> String {
        let ind = "            "
        var s = "\(ind){\n" + (try statements(sys.body.filter { if case .equation = $0.kind { return false } else { return true } }, indent: ind))
        let xs = linearUnknowns(sys)
        let eqs: [(Expr, Int)] = sys.body.compactMap { if case .equation(let a, let b) = $0.kind { return (a - b, $0.line) } else { return nil } }
        guard eqs.count == xs.count else {
            throw error("LINEAR \(sys.name) has \(eqs.count) equations for \(xs.count) unknowns (\(xs.joined(separator: ", ")))", line: sys.line)
        }
        let n = xs.count
        let zero = Dictionary(uniqueKeysWithValues: xs.map { ($0, Expr.number(0)) })
        s += "\(ind){ double _a[\(n * n)], _b[\(n)];\n"
        for (i, (f, line)) in eqs.enumerated() {
            for (j, x) in xs.enumerated() {
                guard let d = f.derivative(x), d.names.isDisjoint(with: xs) else {
                    throw error("the equation is not linear in \(xs.joined(separator: ", "))", line: line)
                }
                s += "\(ind)  _a[\(i * n + j)] = \(try expr(d, line: line));\n"
            }
            s += "\(ind)  _b[\(i)] = -(\(try expr(f.substituting(zero), line: line)));\n"
        }
        s += "\(ind)  plx_solve(\(n), _a, _b);\n"
        for (i, x) in xs.enumerated() { s += "\(ind)  \(Self.v(x)) = _b[\(i)];\n" }
        return s + "\(ind)}\n\(ind)}\n"
    }

    /// INITIAL's SOLVE ... STEADYSTATE: with a conservation law the steady state solves
    /// J·x = −c directly; without one (J singular for a closed scheme) it takes implicit Euler
    /// steps of 1e9 ms, as NEURON does.
    func steadyState(_ sys: StateSystem) throws -> String {
        if !sys.conserve.isEmpty { return try implicitEuler(sys, dt: "1e9", steady: true) }
        return try implicitEuler(sys, dt: "1e9", steady: false) + implicitEuler(sys, dt: "1e9", steady: false)
    }

    func eventsKernel() throws -> String {
        guard let nr = model.netReceive else { return "" }
        let body = nr.body
        var read = Self.namesRead(body)
        for f in Self.calls(body) { read.formUnion(functionFree[f] ?? []) }
        let written = Self.namesWritten(body)
        // On the GPU one thread applies a step's events in order (their order fixes the sums).
        var s = cuda ? "__global__ void \(prefix)_events_kernel(plx_pack pk, const plx_event* ev, int64_t ne, uint32_t tag, uint32_t shift) {\n    const plx_pack* p = &pk;\n"
                     : "static void \(prefix)_events(const plx_pack* p, const plx_event* ev, int64_t ne, uint32_t tag, uint32_t shift) {\n"
        s += "    const int64_t n = p->count;\n    double* const f = p->fields;\n    const uint32_t mask = (1u << shift) - 1u;\n"
        s += "    for (int64_t e = 0; e < ne; ++e) {\n        if ((ev[e].target >> shift) != tag) continue;\n"
        s += "        const int64_t k = (int64_t)(ev[e].target & mask);\n        const int32_t node = p->node[k]; (void)node;\n"
        s += "        double \(Self.v(nr.arguments[0])) = (double)ev[e].weight;\n"
        for a in nr.arguments.dropFirst() { s += "        double \(Self.v(a)) = 0.0;\n" }
        s += loads(read.union(written).subtracting(nr.arguments), phase: .state)
        s += "        {\n" + (try statements(body, indent: "            ")) + "        }\n"
        s += stores(written.filter { model.roles[$0] != nil })
        s += "    }\n}\n"
        if cuda {
            s += "static void \(prefix)_events(const plx_pack* p, const plx_event* ev, int64_t ne, uint32_t tag, uint32_t shift) {\n"
            s += "    if (ne > 0) \(prefix)_events_kernel<<<1, 1>>>(*p, ev, ne, tag, shift);\n}\n"
        }
        return s
    }

    // MARK: walking statements

    static func flatten(_ body: [Statement]) -> [Statement] {
        body.flatMap { s -> [Statement] in
            switch s.kind {
            case .ifElse(_, let a, let b): return [s] + flatten(a) + flatten(b)
            case .whileLoop(_, let a): return [s] + flatten(a)
            default: return [s]
            }
        }
    }

    static func namesRead(_ body: [Statement]) -> Set<String> {
        var out = Set<String>()
        for s in flatten(body) {
            switch s.kind {
            case .assign(_, let e), .derivative(_, let e), .flux(_, let e), .conserve(_, let e): out.formUnion(e.names)
            case .ifElse(let c, _, _), .whileLoop(let c, _): out.formUnion(c.names)
            case .call(_, let args): for a in args { out.formUnion(a.names) }
            case .reaction(_, _, let f, let b): out.formUnion(f.names); out.formUnion(b.names)
            default: break
            }
        }
        return out
    }

    static func namesWritten(_ body: [Statement]) -> Set<String> {
        var out = Set<String>()
        for s in flatten(body) { if case .assign(let x, _) = s.kind { out.insert(x) } }
        return out
    }

    static func calls(_ body: [Statement]) -> [String] {
        var out = Set<String>()
        for s in flatten(body) {
            switch s.kind {
            case .assign(_, let e), .derivative(_, let e), .flux(_, let e), .conserve(_, let e): out.formUnion(e.calledFunctions)
            case .ifElse(let c, _, _), .whileLoop(let c, _): out.formUnion(c.calledFunctions)
            case .call(let f, let args): out.insert(f); for a in args { out.formUnion(a.calledFunctions) }
            case .reaction(_, _, let f, let b): out.formUnion(f.calledFunctions); out.formUnion(b.calledFunctions)
            default: break
            }
        }
        return out.sorted()
    }
}

/// CUDA source of a catalogue: the same kernels as the C ones, a thread per instance.
public struct CUDAGenerator {
    public var dialect: CodeGenerator.Dialect
    public init(dialect: CodeGenerator.Dialect = .neuron) { self.dialect = dialect }
    public func source(_ models: [MechanismModel]) throws -> String {
        try CodeGenerator(dialect: dialect, target: .cuda).catalogueSource(models)
    }
}
