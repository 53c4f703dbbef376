import PlexusCore

/// TVB's long-range coupling functions, `c_i = post( sum_j w_ij * pre(x_i, x_j(t - tau_ij)) )`,
/// evaluated once per step from the history (state at t_n and delayed states) and used by every
/// stage of the integrator.
public enum CouplingKind: String, Sendable, CaseIterable {
    /// `a * sum_j w_ij x_j + b`
    case linear = "Linear"
    /// `a * sum_j w_ij x_j`
    case scaling = "Scaling"
    /// `cmin + (cmax - cmin) / (1 + exp(-a*((sum_j w_ij x_j - midpoint)/sigma)))` (post-summation sigmoid)
    case sigmoidal = "Sigmoidal"
    /// `a * sum_j w_ij (cmin + (cmax - cmin)/(1 + exp(r*(midpoint - (y1_j - y2_j)))))`; two coupling
    /// variables in, one coupling term out (JansenRit).
    case sigmoidalJansenRit = "SigmoidalJansenRit"
    /// `a * sum_j w_ij (x_j - x_i)`
    case difference = "Difference"
    /// `a/ncvar * sum_j w_ij sin(x_j - x_i)`. TVB divides by `gx.shape[0]`, the number of coupling
    /// variables (1 for the Kuramoto model), not by the number of regions its docstring names.
    case kuramoto = "Kuramoto"

    public var parameters: [MassParameter] {
        switch self {
        case .linear:
            return [MassParameter("a", 0.00390625, 0.0, 1.0, "Rescales the connection strength."),
                    MassParameter("b", 0.0, -1e300, 1e300, "Shifts the base of the connection strength.")]
        case .scaling:
            return [MassParameter("a", 0.00390625, 0.0, 1.0, "Scaling factor.")]
        case .sigmoidal:
            return [MassParameter("cmin", -1.0, -1000.0, 1000.0, "Minimum of the sigmoid."),
                    MassParameter("cmax", 1.0, -1000.0, 1000.0, "Maximum of the sigmoid."),
                    MassParameter("midpoint", 0.0, -1000.0, 1000.0, "Midpoint of the linear portion of the sigmoid."),
                    MassParameter("a", 1.0, 0.01, 1000.0, "Scaling of the sigmoid."),
                    MassParameter("sigma", 230.0, 0.01, 1000.0, "Standard deviation of the sigmoid.")]
        case .sigmoidalJansenRit:
            return [MassParameter("cmin", 0.0, -1000.0, 1000.0, "Minimum of the sigmoid."),
                    MassParameter("cmax", 2.0 * 0.0025, -1000.0, 1000.0, "Maximum of the sigmoid."),
                    MassParameter("midpoint", 6.0, -1000.0, 1000.0, "Midpoint of the linear portion of the sigmoid."),
                    MassParameter("r", 0.56, 0.01, 1000.0, "Steepness of the sigmoid."),
                    MassParameter("a", 1.0, 0.01, 1000.0, "Scaling of the coupling term.")]
        case .difference:
            return [MassParameter("a", 0.1, 0.0, 10.0, "Rescales the connection strength.")]
        case .kuramoto:
            return [MassParameter("a", 1.0, 0.0, 1.0, "Rescales the connection strength.")]
        }
    }

    /// Coupling terms produced from `ncvar` coupling variables.
    public func outputs(ncvar: Int) -> Int { self == .sigmoidalJansenRit ? 1 : ncvar }

    /// History channels per region in the float64 engine: the quantity summed over delayed sources.
    /// Pre-functions that depend on the source only are applied once when a state enters the
    /// history; Kuramoto's sin(x_j - x_i) = sin x_j cos x_i - cos x_j sin x_i keeps sin and cos.
    func channels(ncvar: Int) -> Int {
        switch self {
        case .sigmoidalJansenRit: return 1
        case .kuramoto: return 2 * ncvar
        default: return ncvar
        }
    }
}

/// Resolved coupling: kind plus parameter values (in the order of `kind.parameters`).
public struct CouplingFunction: Sendable {
    public let kind: CouplingKind
    public let values: [Double]

    public init(_ kind: CouplingKind, _ values: [Double]) {
        self.kind = kind
        self.values = values
    }

    @inlinable public var p0: Double { values[0] }
    public func value(_ name: String) -> Double { values[kind.parameters.firstIndex { $0.name == name }!] }
}
