import PlexusCore

/// Engine-side handle of one population of neurons of one model: owns the state columns and
/// calls the model's kernel. One dynamic call per population per step and thread, never per neuron.
public protocol NeuronPopulation: AnyObject {
    var name: String { get }
    var modelName: String { get }
    var size: Int { get }
    /// Node index (0-based gid) of neuron 0.
    var firstNode: Int { get }
    /// Dense index of neuron 0 among all neurons (ring buffers, thread partition).
    var firstNeuron: Int { get }
    var stateNames: [String] { get }
    var recordableNames: [String] { get }
    var weightUnit: PhysicalUnit { get }
    var countsSpikes: Bool { get }
    var spikesCarryRelease: Bool { get }
    /// Whether the model takes off-grid input as events (`PointNeuronModel.isPrecise`).
    var isPrecise: Bool { get }
    /// Receptor ports of a multisynapse model (spikes on receptor_type 1 ... K); nil otherwise.
    var receptorPorts: Int? { get }
    /// Every parameter with its value (defaults filled in), for provenance.
    var parameters: ParameterValues { get }
    func update(_ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput)
    func recordedValue(variable: Int, neuron: Int) -> Double
    /// First non-finite state value in `range`, as (neuron, variable name).
    func firstNonFinite(in range: Range<Int>) -> (Int, String)?
    /// Cheap per-step sentinel: false if the first state column (V_m) holds a NaN or infinity
    /// in `range` (one vectorisable sum; NaN and inf survive it).
    func firstColumnIsFinite(in range: Range<Int>) -> Bool
    /// New parameter values during a run (NEST's SetStatus between Simulate calls): the model's
    /// constants are derived again; every state variable keeps its value as the user sees it
    /// (V_m stays put when E_L moves, as in NEST). Throws as the model's `init` does.
    func setParameters(_ values: ParameterValues, resolution h: Double) throws
    /// Writes state variable `variable` of neurons `neurons` (values in the user's units, one per
    /// neuron), converted to the model's internal form.
    func setState(variable: Int, values: [Double], neurons: Range<Int>)
}

final class ModelPopulation<M: PointNeuronModel>: NeuronPopulation {
    let name: String
    private(set) var model: M
    private(set) var parameters: ParameterValues
    let size: Int
    let firstNode: Int
    let firstNeuron: Int
    /// The neurons whose state this process holds (population indices): all of them, or with
    /// MPI ranks this rank's share; the others' columns are never touched here.
    let local: Range<Int>
    let state: Storage<Double>
    /// The state indexed by population index (i in `local`): the storage's base moved back by
    /// `local.lowerBound`, so that models index as for the whole population.
    let columns: StateColumns
    /// The same storage indexed from 0 (`local.count` rows), for whole-column passes.
    let held: StateColumns
    /// The state columns (`M.state(for: parameters)`: per-port columns of multisynapse models).
    let specs: [StateSpec]
    let receptorPorts: Int?

    init(name: String, model: M, parameters: ParameterValues, size: Int, local: Range<Int>, firstNode: Int, firstNeuron: Int,
         initial: [[Double]]) {
        self.name = name
        self.model = model
        self.parameters = parameters
        self.size = size
        self.local = local
        self.firstNode = firstNode
        self.firstNeuron = firstNeuron
        specs = M.state(for: parameters)
        receptorPorts = M.receptorPorts(parameters)
        state = Storage(repeating: 0, count: max(1, specs.count * local.count))
        held = StateColumns(base: state.base, n: local.count)
        columns = StateColumns(base: state.base - local.lowerBound, n: local.count)
        for (v, values) in initial.enumerated() {
            let col = held.column(v)
            for k in 0..<local.count { col[k] = values[k] }
        }
        model.prepareState(held, count: local.count)
    }

    var modelName: String { M.name }
    var stateNames: [String] { specs.map(\.name) }
    var recordableNames: [String] { specs.filter(\.recordable).map(\.name) }
    var weightUnit: PhysicalUnit { M.weightUnit }
    var countsSpikes: Bool { M.countsSpikes }
    var spikesCarryRelease: Bool { M.spikesCarryRelease }
    var isPrecise: Bool { M.isPrecise }

    func update(_ range: Range<Int>, _ input: StepInput, _ spikes: inout SpikeOutput) {
        spikes.gidBase = UInt32(firstNode)
        model.update(columns, range, input, &spikes)
    }

    func recordedValue(variable: Int, neuron: Int) -> Double {
        model.recordedValue(columns, variable: variable, neuron: neuron)
    }

    func firstColumnIsFinite(in range: Range<Int>) -> Bool { columns.firstColumnIsFinite(specs, in: range) }

    func setParameters(_ values: ParameterValues, resolution h: Double) throws {
        if M.receptorPorts(values) != receptorPorts {
            throw PlexusError("the number of receptor ports of \(M.name) cannot change once the network is built (\(receptorPorts ?? 0) ports)",
                              keyPath: M.arrayParameters.first?.name)
        }
        let new = try M(parameters: values, resolution: h)
        if new.carryState(held, count: local.count, from: model) {
            model = new
            parameters = values
            return
        }
        let n = specs.count
        let user = UnsafeMutablePointer<Double>.allocate(capacity: max(1, n))
        defer { user.deallocate() }
        var moved: [Int] = []
        for i in local {
            // Only the variables whose internal form means something else under the new constants.
            moved.removeAll(keepingCapacity: true)
            for v in 0..<n {
                user[v] = model.recordedValue(columns, variable: v, neuron: i)
                if new.recordedValue(columns, variable: v, neuron: i).bitPattern != user[v].bitPattern { moved.append(v) }
            }
            guard !moved.isEmpty else { continue }
            new.prepareState(StateColumns(base: user, n: 1), count: 1)
            for v in moved { columns.column(v)[i] = user[v] }
        }
        model = new
        parameters = values
    }

    func setState(variable v: Int, values: [Double], neurons: Range<Int>) {
        let n = specs.count
        let user = UnsafeMutablePointer<Double>.allocate(capacity: max(1, n))
        defer { user.deallocate() }
        for (k, i) in neurons.enumerated() where local.contains(i) {
            for w in 0..<n { user[w] = model.recordedValue(columns, variable: w, neuron: i) }
            user[v] = values[k]
            model.prepareState(StateColumns(base: user, n: 1), count: 1)
            columns.column(v)[i] = user[v]
        }
    }

    func firstNonFinite(in range: Range<Int>) -> (Int, String)? { columns.firstNonFinite(specs, in: range) }
}

extension StateColumns {
    /// The engine's cheap per-step sentinel: false if column 0 (V_m) holds a NaN or infinity in
    /// `range` (one vectorisable sum; NaN and inf survive it).
    func firstColumnIsFinite(_ specs: [StateSpec], in range: Range<Int>) -> Bool {
        guard specs.count > 0 else { return true }
        let c = column(0)
        var sum = 0.0
        for i in range { sum += c[i] * 0 }
        return !sum.isNaN
    }

    /// The first non-finite state value in `range`, as (neuron, variable name); -inf is allowed in
    /// hidden columns (a time of no spike yet).
    func firstNonFinite(_ specs: [StateSpec], in range: Range<Int>) -> (Int, String)? {
        for v in 0..<specs.count {
            let c = column(v)
            for i in range where !c[i].isFinite && !(c[i] == -.infinity && !specs[v].recordable) {
                return (i, specs[v].name)
            }
        }
        return nil
    }
}

extension PointNeuronModel {
    /// `initial` holds the initial state of the `local` neurons (all of them for one process).
    static func makePopulation(name: String, parameters: ParameterValues, resolution: Double, size: Int, local: Range<Int>,
                               firstNode: Int, firstNeuron: Int, initial: [[Double]]) throws -> NeuronPopulation {
        let m = try Self(parameters: parameters, resolution: resolution)
        return ModelPopulation(name: name, model: m, parameters: parameters, size: size, local: local, firstNode: firstNode,
                               firstNeuron: firstNeuron, initial: initial)
    }
}
