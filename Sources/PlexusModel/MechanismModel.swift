// The model language's IR for a cable mechanism: declarations with units and ranges, the
// statements of each phase with every name resolved to a role, the solver of its state, its
// ions and currents. Front ends (NMODL today) produce it; the code generator reads only this.

/// A declared variable: a parameter (with default and range), an assigned variable or a state.
public struct ModelVariable: Sendable, Equatable {
    public var name: String
    /// Unit as written in the source ("" if none).
    public var unit: String
    public var value: Double
    public var lo: Double
    public var hi: Double
    public var line: Int
    public init(name: String, unit: String = "", value: Double = 0, lo: Double = -.infinity, hi: Double = .infinity, line: Int = 0) {
        self.name = name; self.unit = unit; self.value = value; self.lo = lo; self.hi = hi; self.line = line
    }
}

/// What a name in a statement refers to.
public enum NameRole: Sendable, Equatable {
    case parameter, assigned, state
    /// Ion quantities on the instance's CV: a reversal potential, inside/outside concentration
    /// (read from the ion), or an ion current the mechanism writes (a value of its BREAKPOINT)
    /// or reads (the CV's summed current density of that ion).
    case ionReversal(ion: Int), ionInternal(ion: Int), ionExternal(ion: Int)
    case ionCurrent(ion: Int)
    /// A current that is no ion's (NONSPECIFIC_CURRENT), or an electrode current (inward positive).
    case nonspecificCurrent, electrodeCurrent
    case voltage, time, dt, celsius
    case constant(Double)
}

public struct ModelIon: Sendable, Equatable {
    public var name: String
    public var valence: Int
    public var readsReversal = false, readsInternal = false, readsExternal = false, readsCurrent = false
    public var writesCurrent = false, writesInternal = false, writesExternal = false
    /// The mechanism's names for the ion's quantities (`ena`, `nai`, `nao`, `ina`).
    public var reversalName: String { "e" + name }
    public var internalName: String { name + "i" }
    public var externalName: String { name + "o" }
    public var currentName: String { "i" + name }

    /// What the mechanism does with the ion, in NMODL's words ("reads ena", "writes ina").
    public var uses: [String] {
        [(readsReversal, "reads " + reversalName), (readsInternal, "reads " + internalName), (readsExternal, "reads " + externalName),
         (readsCurrent, "reads " + currentName), (writesCurrent, "writes " + currentName),
         (writesInternal, "writes " + internalName), (writesExternal, "writes " + externalName)].filter(\.0).map(\.1)
    }
}

public enum SolveMethod: String, Sendable {
    /// Exact exponential of each equation linear in its own state (NEURON); the generator's
    /// option `.pade` gives Arbor's (1,1) Padé approximant instead.
    case cnexp
    /// Implicit (backward) Euler, solved exactly for systems linear in their states.
    case derivimplicit
    /// Implicit Euler on a kinetic scheme (NEURON's `sparse`).
    case sparse
    /// Forward Euler.
    case euler
}

/// A DERIVATIVE or KINETIC block lowered to statements: assignments (locals, procedure calls
/// already inlined) and, in order, the state equations it defines.
public struct StateSystem: Sendable, Equatable {
    public var name: String
    public var line: Int
    /// Statements as written, with `.derivative` for x' = f; for a kinetic scheme the
    /// reactions have become `.derivative` statements of their states after the assignments.
    public var body: [Statement]
    /// Conservation laws of a kinetic scheme: Σ states = total.
    public var conserve: [(states: [ReactionTerm], total: Expr)]
    public var isKinetic: Bool
    /// A LINEAR block: `.equation` statements, solved for the states they name.
    public var isLinear = false

    public static func == (a: StateSystem, b: StateSystem) -> Bool {
        a.name == b.name && a.line == b.line && a.body == b.body && a.isKinetic == b.isKinetic
            && a.conserve.map(\.states) == b.conserve.map(\.states) && a.conserve.map(\.total) == b.conserve.map(\.total)
    }
}

public struct MechanismModel: Sendable {
    public enum Kind: Sendable { case density, point }
    public var name: String
    public var kind: Kind
    public var title: String
    /// The file it came from (for error messages and provenance).
    public var source: String
    public var parameters: [ModelVariable] = []
    /// Per-instance variables the phases compute (RANGE or not): stored, probe-able.
    public var assigned: [ModelVariable] = []
    public var states: [ModelVariable] = []
    public var ions: [ModelIon] = []
    /// Currents the mechanism contributes, by name (ion currents, NONSPECIFIC, ELECTRODE).
    public var currents: [String] = []
    public var roles: [String: NameRole] = [:]
    /// PROCEDUREs and FUNCTIONs (bodies with resolved names; procedures are inlined where
    /// called, functions become C functions of their arguments and the names they read).
    public var functions: [Callable] = []
    public var procedures: [Callable] = []
    public var initial: [Statement] = []
    /// BREAKPOINT without its SOLVE statement.
    public var breakpoint: [Statement] = []
    public var solve: (method: SolveMethod, system: StateSystem)?
    /// INITIAL's `SOLVE x STEADYSTATE sparse|derivimplicit` (a steady state) or `SOLVE x` of a
    /// LINEAR block (its equations solved for the states in them), by block name, computed at
    /// the SOLVE statement's position.
    public var initialSolves: [String: StateSystem] = [:]
    public var netReceive: (arguments: [String], body: [Statement])?

    public init(name: String, kind: Kind, title: String, source: String) {
        self.name = name; self.kind = kind; self.title = title; self.source = source
    }

    public func role(_ name: String) -> NameRole? { roles[name] }

    /// Whether identical instances on one CV may be merged (Arbor's coalescing): a point
    /// process whose events only add to its states and whose states are linear.
    public var coalescable: Bool {
        guard kind == .point, let nr = netReceive, nr.arguments.count == 1, !states.isEmpty else { return false }
        return nr.body.allSatisfy { s in
            if case .assign(let x, let e) = s.kind, roles[x] == .state, case .binary(.add, .name(x), let inc) = e,
               !inc.names.contains(where: { roles[$0] == .state }) { return true }
            return false
        }
    }
}
