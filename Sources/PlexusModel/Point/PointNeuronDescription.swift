/// A point-neuron model lowered from its description (a NESTML file): what the point engine
/// needs to know of it besides its compiled kernel (names, units and defaults of its parameters,
/// its state columns, how spikes arrive), and the C source of that kernel (plexus_point.h).
public struct PointNeuronDescription: Sendable {
    public struct Parameter: Sendable {
        public let name: String
        /// The unit the value is stored in, as the description declares it ("mV", "pA", "" for real;
        /// `weightUnit` for a synapse parameter in the weight's unit, `@plexus::weight_unit`).
        public let unit: String
        public static let weightUnit = "weight"
        public let defaultValue: Double
        public let doc: String
        public init(name: String, unit: String, defaultValue: Double, doc: String) {
            self.name = name; self.unit = unit; self.defaultValue = defaultValue; self.doc = doc
        }
    }

    public struct StateVariable: Sendable {
        public let name: String
        public let unit: String
        /// Variables the description declares; hidden ones (a solver's step size) are false.
        public let recordable: Bool
        /// The parameter the kernel keeps this variable relative to (`@plexus::relative_to_E_L`:
        /// "E_L"); users set and record the variable itself.
        public let relativeTo: String?
        public init(name: String, unit: String, recordable: Bool, relativeTo: String? = nil) {
            self.name = name; self.unit = unit; self.recordable = recordable; self.relativeTo = relativeTo
        }
    }

    /// A declared condition on a parameter or an initial value (NESTML's `[[V_th > E_L]]`),
    /// checked when a population or statement is made, as NESTML's NEST code checks it in
    /// set_status.
    public struct Invariant: Sendable {
        public let variable: String
        public let text: String
        public let line: Int
        public let condition: Expr
        public init(variable: String, text: String, line: Int, condition: Expr) {
            self.variable = variable; self.text = text; self.line = line; self.condition = condition
        }
        /// Whether the condition holds for `values` (names it reads that are missing count as NaN:
        /// it fails).
        public func holds(_ values: [String: Double]) -> Bool { holds { values[$0] } }
        /// The same with names looked up by `value` (no dictionary built per check).
        public func holds(_ value: (String) -> Double?) -> Bool {
            RateEvaluator.eval(condition) { value($0) ?? .nan } != 0
        }
        /// Why `values` are refused, or nil: "breaks m's condition [[V_reset < V_th]] (file:line):
        /// V_reset must be < V_th (V_th = -60.0)" for a single comparison; otherwise the values of
        /// the other names: "breaks m's condition [[abs(w) <= abs(Wmax)]] (file:line) with Wmax = 100.0".
        public func violation(_ values: [String: Double], model: String, file: String) -> String? {
            if holds(values) { return nil }
            var why = "breaks \(model)'s condition [[\(text)]] (\(file):\(line))"
            let words = text.split(separator: " ")
            let others = condition.names.filter { $0 != variable }.sorted().map { "\($0) = \(values[$0] ?? .nan)" }.joined(separator: ", ")
            if words.count >= 3, words[0] == variable, ["<", "<=", ">", ">=", "==", "!="].contains(String(words[1])),
               !words.contains("and"), !words.contains("or") {
                why += ": \(variable) must be \(words.dropFirst().joined(separator: " "))" + (others.isEmpty ? "" : " (\(others))")
            } else if !others.isEmpty {
                why += " with \(others)"
            }
            return why
        }
    }

    public var name: String
    /// The description file (for errors and provenance).
    public var file: String
    public var parameters: [Parameter]
    public var invariants: [Invariant] = []
    /// Parameters and internals that may be infinite (`@plexus::allows_infinity`).
    public var mayBeInfinite: Set<String> = []
    /// The initial state (column order) when no initial value depends on a parameter.
    public var constantInitialState: [Double]?
    /// Names of the internal constants (constants after the parameters), for errors.
    public var internals: [String]
    public var state: [StateVariable]
    /// Unit of the weights the model receives ("pA", "nS", "mV").
    public var weightUnit: String
    /// Receptor ports (spikes on receptor_type 1 ... K) of a model with several spike input
    /// ports; nil where spikes arrive on receptor 0, split by the sign of the weight.
    public var receptorPorts: Int?
    /// The model's C functions and its `plx_point_model` table entry, named `entrySymbol`.
    public var cSource: String
    public var entrySymbol: String
    /// The ODE variables solved exactly (propagators) and those integrated by RKF45.
    public var exactVariables: [String] = []
    public var numericVariables: [String] = []

    public init(name: String, file: String, parameters: [Parameter], internals: [String], state: [StateVariable],
                weightUnit: String, receptorPorts: Int?, cSource: String, entrySymbol: String) {
        self.name = name; self.file = file; self.parameters = parameters; self.internals = internals; self.state = state
        self.weightUnit = weightUnit; self.receptorPorts = receptorPorts; self.cSource = cSource; self.entrySymbol = entrySymbol
    }
}
