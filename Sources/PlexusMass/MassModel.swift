import Foundation
import PlexusCore
import PlexusModel

// The seam between the neural-mass engine and its models, TVB style: a model is a rate-model
// description (docs/rate-models.md; the built-ins are Models/*.rate) that declares its
// parameters (name, default, suggested range, doc), state variables (initial range and hard
// boundaries), coupling variables and default variables of interest once; that one declaration
// feeds validation, sweeps, `plexus models` and the provenance record, and the model language
// generates the kernel the engine calls over ranges of regions.

/// One state variable: TVB's `state_variable_range` (where random initial conditions are drawn)
/// and `state_variable_boundaries` (hard bounds the integrator clamps to after every stage).
public struct MassStateVariable: Sendable {
    public let name: String
    public let rangeLo: Double
    public let rangeHi: Double
    public let lower: Double?
    public let upper: Double?

    public init(_ name: String, range: (Double, Double), lower: Double? = nil, upper: Double? = nil) {
        self.name = name
        self.rangeLo = range.0
        self.rangeHi = range.1
        self.lower = lower
        self.upper = upper
    }
}

/// A neural-mass model kind: its description and, once asked for, its compiled kernel.
public final class MassModelKind: @unchecked Sendable {
    public let description: RateModel
    /// The scalar parameters, in declaration order (vector parameters are in `description`).
    public let parameters: [ParameterSpec]
    public let stateVariables: [MassStateVariable]

    public var name: String { description.name }
    public var doc: String { description.doc }
    /// TVB's `cvar`: indices of the state variables that enter the coupling (and the history).
    public var couplingVariables: [Int] { description.couplingVariables }
    /// How many coupling terms the derivatives read (`c_0`, `c_1`...).
    public var couplingTerms: Int { description.couplingTerms }
    /// TVB's default `variables_of_interest` (what monitors record unless told otherwise): state
    /// names or expressions of the state (`x2 - x1`).
    public var variablesOfInterest: [String] { description.variablesOfInterest }

    public init(_ d: RateModel) {
        description = d
        parameters = d.parameters.filter { !$0.isVector }.map { ParameterSpec($0.name, $0.defaults[0], $0.lo, $0.hi, $0.doc) }
        stateVariables = d.state.map { MassStateVariable($0.name, range: ($0.rangeLo, $0.rangeHi), lower: $0.lower, upper: $0.upper) }
    }

    public func parameterIndex(_ name: String) -> Int? { parameters.firstIndex { $0.name == name } }
    public func stateIndex(_ name: String) -> Int? { stateVariables.firstIndex { $0.name == name } }
    public var defaults: [Double] { parameters.map(\.defaultValue) }

    private let lock = NSLock()
    private var loaded: RateKernel?

    /// The generated kernel (compiled on first use, or found in the catalogue cache).
    public func kernel() throws -> RateKernel {
        lock.lock(); defer { lock.unlock() }
        if let k = loaded { return k }
        let k = try RateKernel.load(description)
        loaded = k
        return k
    }
}

/// Every built-in model, by TVB class name: the descriptions in Models/ (embedded at build time
/// by the registry plugin as `RateModelSources.all`).
public enum MassModels {
    public static var all: [MassModelKind] { builtins.kinds }

    /// Built-in files that do not parse (a defect the tests catch; the others stay usable).
    public static var refused: [PlexusError] { builtins.refused }

    static let builtins: (kinds: [MassModelKind], refused: [PlexusError]) = {
        var kinds: [MassModelKind] = [], refused: [PlexusError] = []
        for file in RateModelSources.all {
            do { kinds.append(MassModelKind(try RateModel.parse(file.text, file: file.name))) } catch let e as PlexusError {
                refused.append(e)
            } catch {
                refused.append(PlexusError("\(error)", file: file.name))
            }
        }
        return (kinds, refused)
    }()

    public static func named(_ name: String) -> MassModelKind? { all.first { $0.name == name } }

    /// The model `name` as a run needs it: from the `.rate` files of `folders` (every file there
    /// parsed, as `catalogue` does), else the built-in file `name.rate` alone, parsed once per
    /// process (parsing all 28 built-ins took 15 ms, 8 % of a 10-s region run's whole process).
    /// Nil when no model has that name.
    public static func kind(named name: String, folders: [String]) throws -> MassModelKind? {
        if !folders.isEmpty, let user = try userKinds(folders: folders).last(where: { $0.name == name }) { return user }
        cacheLock.lock(); defer { cacheLock.unlock() }
        if let k = parsedByName[name] { return k }
        var found: MassModelKind?
        if let file = RateModelSources.all.first(where: { $0.name == name + ".rate" }),
           let model = try? RateModel.parse(file.text, file: file.name), model.name == name {
            found = MassModelKind(model)
        } else {
            found = named(name)   // a file named otherwise: every built-in, once
        }
        if let found { parsedByName[name] = found }
        return found
    }

    nonisolated(unsafe) private static var parsedByName: [String: MassModelKind] = [:]
    private static let cacheLock = NSLock()

    public static var names: [String] { all.map(\.name) }

    /// The built-ins plus the `.rate` files of `folders` (a file there replaces a built-in of the
    /// same name); files that do not parse are errors naming the file and line.
    public static func catalogue(folders: [String]) throws -> [MassModelKind] {
        var kinds = all
        for kind in try userKinds(folders: folders) {
            kinds.removeAll { $0.name == kind.name }
            kinds.append(kind)
        }
        return kinds
    }

    /// The `.rate` files of `folders`, in folder order and by file name within a folder.
    static func userKinds(folders: [String]) throws -> [MassModelKind] {
        var kinds: [MassModelKind] = []
        let fm = FileManager.default
        for folder in folders {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
                throw PlexusError("no such folder of rate models", file: folder, keyPath: "models")
            }
            let files = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".rate") }.sorted()
            for f in files {
                let path = (folder as NSString).appendingPathComponent(f)
                guard let data = fm.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                    throw PlexusError("cannot read the file as UTF-8 text", file: path)
                }
                kinds.append(MassModelKind(try RateModel.parse(text, file: path)))
            }
        }
        return kinds
    }
}
