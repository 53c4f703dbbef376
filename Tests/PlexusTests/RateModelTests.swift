import Foundation
import XCTest
@testable import PlexusCore
@testable import PlexusMass
@testable import PlexusModel
@testable import PlexusIO

/// The rate-model front end (docs/rate-models.md): expressions with Python's precedence and
/// numpy's arithmetic, users' own models from a folder, per-region and vector parameters, and
/// errors that name the file, line and key path.
final class RateModelTests: XCTestCase {
    lazy var dir = temporaryFolder("plexus-rate")

    func expectError(_ body: () throws -> Void, mentions: [String], line: Int? = nil, file: StaticString = #filePath, testLine: UInt = #line) {
        do {
            try body()
            XCTFail("no error", file: file, line: testLine)
        } catch let e as PlexusError {
            let text = e.description
            print("BAD RATE MODEL: \(text)")
            for m in mentions { XCTAssertTrue(text.contains(m), "'\(m)' missing from: \(text)", file: file, line: testLine) }
            if let line { XCTAssertEqual(e.line, line, text, file: file, line: testLine) }
        } catch {
            XCTFail("not a PlexusError: \(error)", file: file, line: testLine)
        }
    }

    /// A one-variable model whose derivative is `expr` of x and parameters a, b (a vector p).
    func model(_ expr: String, name: String = "Probe") throws -> RateModel {
        try RateModel.parse("""
            model: \(name)
            parameters:
              a: {default: 2.0}
              b: {default: -0.5}
              p: {default: [1.5, 2.5, 3.5]}
            state:
              x: {range: [0, 1]}
            coupling: [x]
            derivatives:
              x: \(expr)
            """, file: "probe.rate")
    }

    /// dx/dt of the generated kernel at x (coupling c_0 = c) with the defaults.
    func evaluate(_ m: RateModel, x: Double, c: Double = 0) throws -> Double {
        let k = try RateKernel.load(m)
        var dx = [Double.nan]
        k.dfun(1, 0, 1, [x], [c], m.defaultSlots, &dx)
        return dx[0]
    }

    func testExpressionsFollowPythonAndNumpy() throws {
        let x = 0.3
        let cases: [(String, Double)] = [
            ("-x**2", -(x * x)),                       // ** binds tighter than unary minus
            ("2**-1 * x", 0.5 * x),
            ("a ** b ** 2", Foundation.pow(2.0, Foundation.pow(-0.5, 2))),   // right-associative
            ("x - a - b", (x - 2.0) - -0.5),          // left to right
            ("x / a / b", (x / 2.0) / -0.5),
            ("where(x > 0.5, 1.0, -1.0)", -1),
            ("where((x > 0.1) & (x < 0.2), 1.0, 2.0) + (x < 1)", 3),
            ("(x > 1) | (a == 2)", 1),
            ("p[0] + p[2] * c_0", 1.5 + 3.5 * 0.25),
            ("minimum(x, a) + maximum(x, b) + abs(b) + sign(b)", 0.3 + 0.3 + 0.5 - 1),
            ("x ** 0.5 + x ** 3 + power(x, 2)", x.squareRoot() + Foundation.pow(x, 3) + x * x),
            ("exp(x) + log(a) + tanh(x) + arctan2(x, a) + hypot(x, a) + erfc(x)",
             Foundation.exp(x) + Foundation.log(2.0) + Foundation.tanh(x) + atan2(x, 2.0) + hypot(x, 2.0) + erfc(x)),
            ("pi * 1e-3 + .5", Double.pi * 1e-3 + 0.5),
            ("x + local(x)", x),                      // TVB's local_coupling is 0 on a region connectome
            ("7.5 % 2 + (-7.5) % 2", 1.5 + 0.5),      // Python's floor modulo
        ]
        for (expr, want) in cases {
            let got = try evaluate(try model(expr), x: x, c: 0.25)
            XCTAssertEqual(got, want, "\(expr)")
        }
    }

    func testBadDescriptionsNameFileLineAndKey() throws {
        expectError({ _ = try self.model("x + y") }, mentions: ["probe.rate", "derivatives.x", "unknown name 'y'"], line: 10)
        expectError({ _ = try self.model("x * (a +") }, mentions: ["derivatives.x", "column 9"], line: 10)
        expectError({ _ = try self.model("exq(x)") }, mentions: ["unknown function 'exq'", "exp"], line: 10)
        expectError({ _ = try self.model("p[3]") }, mentions: ["p has 3 elements"])
        expectError({ _ = try self.model("p + x") }, mentions: ["vector parameter", "p[0]"])
        expectError({ _ = try self.model("c_1") }, mentions: ["coupling_terms"])
        expectError({ _ = try self.model("0 < x < 1") }, mentions: ["chained comparisons"])
        expectError({ _ = try self.model("x $ 2") }, mentions: ["unexpected character '$'"])
        expectError({ _ = try self.model("where(x, 1)") }, mentions: ["where takes 3 arguments"])
        expectError({ _ = try self.model("local(a)") }, mentions: ["local() takes a state variable"])
        expectError({ _ = try RateModel.parse("model: M\nparameters: {}\nstate: {x: {range: [0, 1]}}\ncoupling: [x]\nderivatives: {x: x}\nderivativs: {}\n", file: "m.rate") },
                    mentions: ["m.rate", "derivativs", "derivatives"], line: 6)
        expectError({ _ = try RateModel.parse("model: M\nparameters: {}\nstate: {x: {range: [0, 1]}, y: {range: [0, 1]}}\ncoupling: [x]\nderivatives: {x: x}\n", file: "m.rate") },
                    mentions: ["no derivative for y"])
        expectError({ _ = try RateModel.parse("model: M\nparameters: {}\nstate: {x: {range: [1, 0]}}\ncoupling: [x]\nderivatives: {x: x}\n", file: "m.rate") },
                    mentions: ["state.x.range", "low <= high"], line: 3)
        expectError({ _ = try RateModel.parse("model: M\nparameters: {}\nstate: {x: {range: [0, 1]}}\ncoupling: [z]\nderivatives: {x: x}\n", file: "m.rate") },
                    mentions: ["coupling", "unknown state variable 'z'"], line: 4)
        expectError({ _ = try RateModel.parse("model: M\nparameters: {k: {default: .nan}}\nstate: {x: {range: [0, 1]}}\ncoupling: [x]\nderivatives: {x: x}\n", file: "m.rate") },
                    mentions: ["parameters.k.default", "nan"], line: 2)
        expectError({ _ = try RateModel.parse("model: 'a b'\nparameters: {}\nstate: {x: {range: [0, 1]}}\ncoupling: [x]\nderivatives: {x: x}\n", file: "m.rate") },
                    mentions: ["plain name"], line: 1)
        expectError({ _ = try RateModel.parse("model: M\nparameters: {}\nstate: {x: {range: [0, 1]}}\ncoupling: [x]\nderivatives: {x: x}\n\t:\n", file: "m.rate") },
                    mentions: ["m.rate", "YAML"])
        // derived: a registered function's name, whose scalar inputs the model declares.
        expectError({ _ = try RateModel.parse("model: M\nparameters: {}\nstate: {x: {range: [0, 1]}}\ncoupling: [x]\nderivatives: {x: x}\nderived: ReducedSetFitzHughNagumoo\n", file: "m.rate") },
                    mentions: ["m.rate", "derived", "unknown derived-parameter function 'ReducedSetFitzHughNagumoo'", "ReducedSetFitzHughNagumo"], line: 6)
        expectError({ _ = try RateModel.parse("model: M\nparameters: {a: {default: 1}}\nstate: {x: {range: [0, 1]}}\ncoupling: [x]\nderivatives: {x: x}\nderived: ReducedSetFitzHughNagumo\n", file: "m.rate") },
                    mentions: ["m.rate", "derived", "scalar parameter 'sigma'"], line: 6)
        expectError({ _ = try RateModel.parse("model: M\nparameters: {a: {default: 1}, sigma: {default: 0.3}, mu: {default: 0}, Aik: {default: 1}}\nstate: {x: {range: [0, 1]}}\ncoupling: [x]\nderivatives: {x: x}\nderived: ReducedSetFitzHughNagumo\n", file: "m.rate") },
                    mentions: ["derived", "'Aik'", "also declares"], line: 6)
        expectError({ _ = try RateModel.parse("model: M\nparameters: {a: {default: 1}, sigma: {default: 0.3}, mu: {default: 0}}\nstate: {x: {range: [0, 1]}}\ncoupling: [x]\nderivatives: {x: 'Aik[9]'}\nderived: ReducedSetFitzHughNagumo\n", file: "m.rate") },
                    mentions: ["derivatives.x", "Aik has 9 elements"], line: 5)
    }

    /// A folder's model runs like a built-in, and one named as a built-in replaces it.
    func testUsersOwnModelsFromAFolder() throws {
        let conn = try MassData.connectome()
        let g2d = RateModelSources.all.first { $0.name == "Generic2dOscillator.rate" }!.text
        let folder = dir.path("models")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = dir.write("models/MyOscillator.rate", g2d.replacingOccurrences(of: "model: Generic2dOscillator", with: "model: MyOscillator"))
        func run(_ name: String, folders: [String]) throws -> [Double] {
            var e = MassData.g2d(conn.count, precision: .float64, duration: 20)
            e.model = MassModelDescription(name: name, folders: folders)
            return try MassNetwork(e, connectome: conn).run().monitors[0].values
        }
        let builtin = try run("Generic2dOscillator", folders: [])
        XCTAssertEqual(try run("MyOscillator", folders: [folder]), builtin, "the same description from a folder gives the same numbers")
        // Replacing the built-in: W frozen.
        _ = dir.write("models/Generic2dOscillator.rate", g2d.replacingOccurrences(of: "  W: d * (a + b * V + c * V2 - beta * W) / tau", with: "  W: 0.0 * W"))
        XCTAssertNotEqual(try run("Generic2dOscillator", folders: [folder]), builtin)
        // A broken file there is an error naming it, not a silent fallback.
        _ = dir.write("models/Broken.rate", "model: Broken\nstate: {x: {range: [0, 1]}}\n")
        expectError({ _ = try run("Generic2dOscillator", folders: [folder]) }, mentions: ["Broken.rate", "parameters"])
        expectError({ _ = try run("Generic2dOscillator", folders: [dir.path("nowhere")]) }, mentions: ["nowhere", "no such folder"])
    }

    /// Per-region values: each region runs as it would with that value everywhere (the coupling
    /// switched off, so regions are independent), bit for bit.
    /// The uniform kernels divide by a scalar parameter through its reciprocal only when that is
    /// exact (a power of two): the per-node kernel (always dividing) and the uniform one agree bit
    /// for bit for divisors 2^k, 3, a subnormal reciprocal's 2^1023 and negatives.
    func testUniformKernelReciprocalsAreExact() throws {
        let m = try model("(x + c_0) / a - x / b + 1.0 / a")
        XCTAssertEqual(m.parameterDivisors, ["a", "b"])
        let k = try RateKernel.load(m)
        var rng = CouplingTestRandom(seed: 5)
        let count = 64
        let x = (0..<count).map { _ in rng.uniform(-1e3, 1e3) } + [0, -0.0, 1e-310, .infinity]
        let c = x.map { _ in rng.uniform(-1, 1) }
        let nodes = x.count
        for (a, b) in [(2.0, 0.25), (-8.0, 0x1p-1000), (3.0, 0.5), (0x1p1023, 4.0), (1.0, -1.0), (0.1, 1024)] {
            var column = [Double](), uniform = [Double]()
            for v in [a, b] + m.defaultSlots.dropFirst(2) {
                column += [Double](repeating: v, count: nodes)
                uniform.append(v)
            }
            var want = [Double](repeating: .nan, count: nodes), got = want
            k.dfun(nodes, 0, nodes, x, c, column, &want)
            k.uniformDfun(nodes, 0, nodes, x, c, uniform, &got)
            XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), "a = \(a), b = \(b)")
            XCTAssertEqual(want[3], (x[3] + c[3]) / a - x[3] / b + 1.0 / a, "a = \(a), b = \(b)")
        }
    }

    func testPerRegionParameters() throws {
        let conn = try MassData.connectome()
        let n = conn.count
        func run(_ model: MassModelDescription) throws -> MonitorResult {
            var e = MassData.g2d(n, precision: .float64, duration: 20)
            e.coupling = CouplingDescription(name: "Linear", params: ["a": 0])
            e.model = model
            return try MassNetwork(e, connectome: conn).run().monitors[0]
        }
        let lo = try run(MassModelDescription(name: "Generic2dOscillator", params: ["a": -1.5]))
        let hi = try run(MassModelDescription(name: "Generic2dOscillator", params: ["a": -2.5]))
        let mixed = try run(MassModelDescription(name: "Generic2dOscillator", lists: ["a": (0..<n).map { $0 % 3 == 0 ? -1.5 : -2.5 }]))
        for k in 0..<mixed.samples {
            for i in 0..<n {
                let want = (i % 3 == 0 ? lo : hi).value(sample: k, variable: 0, region: i)
                XCTAssertEqual(mixed.value(sample: k, variable: 0, region: i), want, "sample \(k) region \(i)")
            }
        }
        XCTAssertNotEqual(lo.values, hi.values)
        // Wrong lengths and unknown names are errors with the key path.
        expectError({ _ = try run(MassModelDescription(name: "Generic2dOscillator", lists: ["a": [1, 2, 3]])) },
                    mentions: ["model.params.a", "3 values for 76 regions"])
        expectError({ _ = try run(MassModelDescription(name: "Generic2dOscillator", lists: ["alfa": Array(repeating: 1, count: n)])) },
                    mentions: ["model.params.alfa", "alpha"])
        // A vector parameter takes its elements; one value for it is refused.
        expectError({ _ = try run(MassModelDescription(name: "ZerlautAdaptationFirstOrder", params: ["P_e": 1])) },
                    mentions: ["model.params.P_e", "vector parameter"])
        expectError({ _ = try run(MassModelDescription(name: "ZerlautAdaptationFirstOrder", lists: ["P_e": [1, 2]])) },
                    mentions: ["model.params.P_e", "10 elements"])
    }

    /// The experiment file: lists for per-region values, `models:` for folders (relative to the file).
    func testExperimentFileKeys() throws {
        try FileManager.default.createDirectory(atPath: dir.path("f/models"), withIntermediateDirectories: true)
        _ = dir.write("f/models/Lin.rate", """
            model: Lin
            parameters: {k: {default: -1.0, range: [-2, 0]}}
            state: {x: {range: [0, 1]}}
            coupling: [x]
            derivatives: {x: k * x + c_0}
            """)
        let f = dir.write("f/lin.yaml", """
            engine: mass
            connectivity: {tvb_data: connectivity_76}
            models: models
            model: {name: Lin, params: {k: [\((0..<76).map { _ in "-0.5" }.joined(separator: ", "))]}}
            integrator: {name: HeunDeterministic, dt: 0.1}
            duration: 1
            """)
        let e = try MassExperimentFile.load(f)
        XCTAssertEqual(e.model.folders, [dir.path("f/models")])
        XCTAssertEqual(e.model.lists["k"]?.count, 76)
        let bad = dir.write("f/bad.yaml", """
            engine: mass
            connectivity: {tvb_data: connectivity_76}
            model: {name: Lin, params: {k: [1, .nan]}}
            integrator: {name: HeunDeterministic, dt: 0.1}
            duration: 1
            """)
        expectError({ _ = try MassExperimentFile.load(bad) }, mentions: ["bad.yaml", "model.params.k[1]", "nan"], line: 3)
    }
}
