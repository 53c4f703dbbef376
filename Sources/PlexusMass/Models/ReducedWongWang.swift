import PlexusCore

/// TVB's ReducedWongWang (Deco et al. 2013, from Wong & Wang 2006):
/// `x = w*J_N*S + I_o + J_N*c`, `H = (a*x - b)/(1 - exp(-d*(a*x - b)))`,
/// `dS = -S/tau_s + (1 - S)*H*gamma`; S is clamped to [0, 1].
public struct ReducedWongWang: MassModel {
    public static let name = "ReducedWongWang"
    public static let doc = "Reduced Wong-Wang: one NMDA gating variable S per region (Deco et al. 2013)."
    public static let parameters: [ParameterSpec] = [
        .init("a", 0.270, 0.0, 0.270, "[n/C] Input gain parameter."),
        .init("b", 0.108, 0.0, 1.0, "[kHz] Input shift parameter."),
        .init("d", 154.0, 0.0, 200.0, "[ms] Parameter chosen to fit numerical solutions."),
        .init("gamma", 0.641, 0.0, 1.0, "Kinetic parameter."),
        .init("tau_s", 100.0, 50.0, 150.0, "Kinetic parameter: NMDA decay time constant (ms)."),
        .init("w", 0.6, 0.0, 1.0, "Excitatory recurrence."),
        .init("J_N", 0.2609, 0.2609, 0.5, "Excitatory recurrence (nA)."),
        .init("I_o", 0.33, 0.0, 1.0, "[nA] Effective external input."),
        .init("sigma_noise", 1e-9, 0.0, 0.005, "[nA] Noise amplitude (unused by dfun; noise comes from the integrator)."),
    ]
    public static let stateVariables = [MassStateVariable("S", range: (0.0, 1.0), lower: 0.0, upper: 1.0)]
    public static let couplingVariables = [0]
    public static let couplingTerms = 1
    public static let variablesOfInterest = ["S"]

    public let a, b, d, gamma, tau_s, w, J_N, I_o: Double

    public init(_ p: [Double]) {
        (a, b, d, gamma, tau_s, w, J_N, I_o) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7])
    }

    @inlinable @inline(__always)
    public func dfun(_ x: UnsafePointer<Double>, _ cp: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>,
                     stride: Int, range: Range<Int>) {
        let wj = w * J_N
        for i in range {
            let S = x[i]
            let xx = wj * S + I_o + J_N * cp[i]
            let h = (a * xx - b) / (1 - _exp(-d * (a * xx - b)))
            dx[i] = -(S / tau_s) + (1.0 - S) * h * gamma
        }
    }
}
