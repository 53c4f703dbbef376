import PlexusCore
import PlexusModel

// The seam between the neural-mass engine and its integration schemes, TVB style: a scheme
// declares TVB's class name (without Deterministic/Stochastic: every scheme comes in both, the
// stochastic one adding TVB's additive increment z = sqrt(dt)·sqrt(2·nsig)·N(0,1) that the engine
// draws before the step), how many derivative buffers it uses, and the step over a range of
// regions. The engine owns the state (structure of arrays, `x[v*n + i]`), the coupling, the noise
// and the clamping to the model's boundaries; the model's derivatives come from its generated
// kernel, one call per stage over the whole range. Adding a scheme is one new file in this folder.

/// A neural-mass integration scheme. Every conformance in this module is listed in
/// `MassIntegrators.all`.
// @registry(MassIntegrators.all)
public protocol MassIntegrator: Sendable {
    /// TVB's class name without the suffix: `Heun` gives `HeunDeterministic` and `HeunStochastic`.
    static var name: String { get }
    /// The Swift API's short name (`IntegrationScheme.heun`).
    static var key: String { get }
    static var doc: String { get }
    /// Derivative buffers `k[0] ..< k[stages]` the step uses (RK4: 4).
    static var stages: Int { get }
    /// One step of regions `range`: the coupling of this step is in `s.c`, the noise increments
    /// (when `s.stochastic`) in `s.z`. Operation order is TVB's, so the float64 arithmetic is the
    /// same operation by operation.
    static func step(_ s: MassStepState, range r: Range<Int>)
}

extension MassIntegrator {
    /// TVB's class names of the scheme: deterministic, stochastic.
    public static var tvbNames: [String] { [name + "Deterministic", name + "Stochastic"] }
}

/// Every integration scheme the engine knows (`all` is generated from the conformances).
public enum MassIntegrators {
    /// The scheme and whether it is stochastic, by TVB class name (`HeunStochastic`).
    public static func named(_ tvbName: String) -> (kind: any MassIntegrator.Type, stochastic: Bool)? {
        for k in all {
            if tvbName == k.name + "Deterministic" { return (k, false) }
            if tvbName == k.name + "Stochastic" { return (k, true) }
        }
        return nil
    }

    /// Every TVB class name, deterministic then stochastic per scheme.
    public static var names: [String] { all.flatMap { $0.tvbNames } }
}

/// What a scheme's step works on: pointers into the engine's state, built once per run.
public struct MassStepState {
    /// Regions (the stride of a variable's column) and state variables.
    public let n: Int
    public let nsv: Int
    /// dt in ms.
    public let h: Double
    public let stochastic: Bool
    /// The state, updated in place, and a scratch state for intermediate stages.
    public let x: UnsafeMutablePointer<Double>
    public let xt: UnsafeMutablePointer<Double>
    /// Derivative buffers, `stages` of them.
    public let k: [UnsafeMutablePointer<Double>]
    /// The coupling of this step, `c[m*n + i]`.
    public let c: UnsafePointer<Double>
    /// This step's noise increments (stochastic runs).
    public let z: UnsafeMutablePointer<Double>
    /// This step's region stimulus `s[v*n + i]` (state units per ms; 0 where none drives v), or
    /// nil when the run has none. A scheme adds dt*s as TVB's does.
    public let s: UnsafePointer<Double>?
    let bounded: [Int]
    let lower: [Double]
    let upper: [Double]
    /// The model's generated kernel and its parameter table (`p[slot*n + i]`).
    let kernel: RateKernel.DFun
    let parameters: UnsafePointer<Double>
    /// On a surface: the local connectivity, applied to the stage's state before each dfun.
    let local: SurfaceLocalCoupling?
    /// The model's coupling variables (state indices).
    let modelCouplingVariables: [Int]

    init(n: Int, nsv: Int, h: Double, stochastic: Bool, x: UnsafeMutablePointer<Double>, xt: UnsafeMutablePointer<Double>,
         k: [UnsafeMutablePointer<Double>], c: UnsafePointer<Double>, z: UnsafeMutablePointer<Double>,
         s: UnsafePointer<Double>?, model: MassModelKind, kernel: RateKernel.DFun, parameters: UnsafePointer<Double>,
         local: SurfaceLocalCoupling? = nil) {
        self.n = n
        self.nsv = nsv
        self.h = h
        self.stochastic = stochastic
        self.x = x
        self.xt = xt
        self.k = k
        self.c = c
        self.z = z
        self.s = s
        lower = model.stateVariables.map { $0.lower ?? -.infinity }
        upper = model.stateVariables.map { $0.upper ?? .infinity }
        bounded = model.stateVariables.indices.filter { model.stateVariables[$0].lower != nil || model.stateVariables[$0].upper != nil }
        self.kernel = kernel
        self.parameters = parameters
        self.local = local
        modelCouplingVariables = model.couplingVariables
    }

    /// How a stage's local product (surface runs on several threads) must wait for the other
    /// threads: `.before` when the state it reads was written in this step's earlier stages,
    /// `.after` when the scheme next overwrites that state. The engine's barrier before each step
    /// makes the step's starting state complete.
    public enum LocalSync {
        case none, before, after, both
    }

    /// The model's derivatives of state `s` (with this step's coupling) into `out`; on a surface,
    /// the local product first, synchronised with the other threads as `sync` says.
    @inline(__always)
    public func dfun(_ s: UnsafeMutablePointer<Double>, into out: UnsafeMutablePointer<Double>, _ r: Range<Int>,
                     sync: LocalSync) {
        if let local {
            surfaceStage(s, r, sync: sync) { local.kernel(n, r.lowerBound, r.upperBound, s, c, parameters, local.rows, out) }
        } else {
            kernel(n, r.lowerBound, r.upperBound, s, c, parameters, out)
        }
    }

    /// A stage on a surface: the local product of state `s` for the vertices `r`, synchronised
    /// with the other threads as `sync` says, around `kernel`, which reads it.
    @inline(__always)
    func surfaceStage(_ s: UnsafePointer<Double>, _ r: Range<Int>, sync: LocalSync, _ kernel: () -> Void) {
        guard let local else { return kernel() }
        let team = local.team.team
        if sync == .before || sync == .both { team?.barrier() }
        local.apply(s, n: n, r)
        kernel()
        if sync == .after || sync == .both { team?.barrier() }
    }

    /// Whether Heun's stages run with their updates in the model kernel's loop: on a surface,
    /// where each pass over the vertices' arrays costs (the update loops took a tenth of a step,
    /// and re-read what the kernel had just written), and without a stimulus or state bounds,
    /// which the separate loops handle.
    var fusesHeun: Bool { local != nil && s == nil && bounded.isEmpty }

    /// TVB's `state_variable_boundaries`: clamps state `s` after a stage.
    @inline(__always)
    public func clamp(_ s: UnsafeMutablePointer<Double>, _ r: Range<Int>) {
        for v in bounded {
            let lo = lower[v], hi = upper[v]
            let col = s + v * n
            for i in r {
                if col[i] < lo { col[i] = lo }
                if col[i] > hi { col[i] = hi }
            }
        }
    }
}

/// The thread team of a run, known only when the run starts (the step state is built before).
public final class TeamReference: @unchecked Sendable {
    var team: ThreadTeam?
    init() {}
}
