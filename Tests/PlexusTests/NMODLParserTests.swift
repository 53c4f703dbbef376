import Foundation
import XCTest
import PlexusCore
@testable import PlexusModel

/// The NMODL lexer and parser (Sources/PlexusModel/NMODL): real files from NEURON and the Allen
/// Cell Types models (Tests/Fixtures/nmodl, whose README says where they come from), the
/// grammar's corners, and the errors: always file, line and a message naming the construct.
final class NMODLParserTests: XCTestCase {
    static let fixtures = Repo.fixtures.appendingPathComponent("nmodl")

    func fixture(_ relative: String) -> String { Self.fixtures.appendingPathComponent(relative).path }

    func parseFixture(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> NMODLFile {
        let path = fixture(relative)
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("missing fixture \(relative)", file: file, line: line)
            throw PlexusError("missing fixture", file: path)
        }
        return try NMODLParser.parse(contentsOf: path)
    }

    func modFiles(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".mod") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    /// The error `text` (or the file at `path`) is refused with, checked for file, line and words.
    func assertRefused(_ text: String, path: String = "test.mod", line: Int, _ fragments: String...,
                       file: StaticString = #filePath, callLine: UInt = #line) {
        assertError(try NMODLParser.parse(text, path: path), path: path, line: line, fragments, file: file, callLine: callLine)
    }

    func assertError(_ body: @autoclosure () throws -> NMODLFile, path: String, line: Int, _ fragments: [String],
                     file: StaticString = #filePath, callLine: UInt = #line) {
        do {
            _ = try body()
            XCTFail("accepted; expected an error at line \(line) mentioning \(fragments)", file: file, line: callLine)
        } catch let e as PlexusError {
            XCTAssertEqual(e.file, path, "\(e)", file: file, line: callLine)
            XCTAssertEqual(e.line, line, "\(e)", file: file, line: callLine)
            for f in fragments { XCTAssertTrue(e.message.contains(f), "'\(e.message)' does not mention '\(f)'", file: file, line: callLine) }
        } catch {
            XCTFail("not a PlexusError: \(error)", file: file, line: callLine)
        }
    }

    func statements(_ body: String, file: StaticString = #filePath, line: UInt = #line) throws -> [Statement.Kind] {
        try XCTUnwrap(NMODLParser.parse("INITIAL { \(body) }", path: "test.mod").initial, file: file, line: line).map(\.kind)
    }

    /// The expression assigned by `x = <text>`.
    func expr(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Expr {
        let body = try statements("x = \(text)", file: file, line: line)
        guard body.count == 1, case .assign("x", let e) = body[0] else {
            XCTFail("'x = \(text)' parsed as \(body)", file: file, line: line)
            return .number(.nan)
        }
        return e
    }

    func block(_ f: NMODLFile, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> NamedBlock {
        try XCTUnwrap(f.blocks.first { $0.name == name }, "no block '\(name)'", file: file, line: line)
    }

    func callable(_ f: NMODLFile, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Callable {
        try XCTUnwrap(f.callables.first { $0.name == name }, "no PROCEDURE or FUNCTION '\(name)'", file: file, line: line)
    }

    // MARK: - (a) Real files

    func testEveryRealFixtureParses() throws {
        var parsed = 0
        for folder in ["neuron", "neuron-demo", "allen"] {
            for path in modFiles(in: Self.fixtures.appendingPathComponent(folder)) {
                if path.hasSuffix("/cabpump.mod") { continue }   // arrays: refused, tested below
                XCTAssertNoThrow(try NMODLParser.parse(contentsOf: path), path)
                parsed += 1
            }
        }
        XCTAssertEqual(parsed, 8 + 9 + 17, "fixtures missing from Tests/Fixtures/nmodl")
    }

    func testHodgkinHuxley() throws {
        let f = try parseFixture("neuron/hh.mod")
        XCTAssertEqual(f.title, "hh.mod   squid sodium, potassium, and leak channels")
        XCTAssertEqual(f.neuron.kind, .density)
        XCTAssertEqual(f.neuron.name, "hh")
        XCTAssertEqual(f.neuron.line, 23)
        XCTAssertEqual(f.neuron.ions, [IonUse(line: 25, ion: "na", read: ["ena"], write: ["ina"], valence: nil),
                                       IonUse(line: 26, ion: "k", read: ["ek"], write: ["ik"], valence: nil)])
        XCTAssertEqual(f.neuron.nonspecificCurrents, ["il"])
        XCTAssertEqual(f.neuron.range, ["gnabar", "gkbar", "gl", "el", "gna", "gk", "minf", "hinf", "ninf", "mtau", "htau", "ntau"])
        XCTAssertTrue(f.neuron.threadsafe)
        XCTAssertEqual(f.units.map(\.name), ["(mA)", "(mV)", "(S)"])
        XCTAssertEqual(f.units.map(\.definition), ["(milliamp)", "(millivolt)", "(siemens)"])

        let gnabar = try XCTUnwrap(f.parameters.first)
        XCTAssertEqual(gnabar.name, "gnabar")
        XCTAssertEqual(gnabar.line, 35)
        XCTAssertEqual(gnabar.value, 0.12)
        XCTAssertEqual(gnabar.unit, "S/cm2")
        XCTAssertEqual(gnabar.rangeLow, 0)
        XCTAssertEqual(gnabar.rangeHigh, 1e9)
        XCTAssertEqual(f.parameters.last?.name, "el")
        XCTAssertEqual(f.parameters.last?.value, -54.3)
        XCTAssertNil(f.parameters.last?.range)
        XCTAssertEqual(f.states.map(\.name), ["m", "h", "n"])
        XCTAssertEqual(f.assigned.map(\.name), ["v", "celsius", "ena", "ek", "gna", "gk", "ina", "ik", "il",
                                                "minf", "hinf", "ninf", "mtau", "htau", "ntau"])
        XCTAssertEqual(f.assigned.first { $0.name == "ntau" }?.unit, "ms")
        XCTAssertNil(f.assigned.first { $0.name == "minf" }?.unit)

        let breakpoint = try XCTUnwrap(f.breakpoint)
        XCTAssertEqual(breakpoint.first, Statement(line: 62, .solve(block: "states", method: "cnexp", steadyState: false)))
        XCTAssertEqual(breakpoint.count, 6)
        XCTAssertEqual(try XCTUnwrap(f.initial).map(\.kind).first, .call("rates", [.name("v")]))

        let states = try block(f, "states")
        XCTAssertEqual(states.kind, .derivative)
        XCTAssertEqual(states.line, 79)
        let derivatives = states.body.compactMap { s -> String? in if case .derivative(let x, _) = s.kind { return x } else { return nil } }
        XCTAssertEqual(derivatives, ["m", "h", "n"])
        XCTAssertEqual(states.body[1].kind, .derivative("m", .binary(.divide, .binary(.subtract, .name("minf"), .name("m")), .name("mtau"))))

        let rates = try callable(f, "rates")
        XCTAssertFalse(rates.isFunction)
        XCTAssertEqual(rates.arguments, ["v"])
        XCTAssertEqual(rates.body[0].kind, .local(["alpha", "beta", "sum", "q10"]))
        XCTAssertEqual(rates.body[1], Statement(line: 93, .table(names: ["minf", "mtau", "hinf", "htau", "ninf", "ntau"], depend: ["celsius"],
                                                             from: .unary(.negate, .number(100)), to: .number(100), with: .number(200))))
        // q10 = 3^((celsius - 6.3)/10), after an UNITSOFF that the lexer drops.
        XCTAssertEqual(rates.body[2].kind, .assign("q10", .binary(.power, .number(3),
                                                                   .binary(.divide, .binary(.subtract, .name("celsius"), .number(6.3)), .number(10)))))

        let vtrap = try callable(f, "vtrap")
        XCTAssertTrue(vtrap.isFunction)
        XCTAssertEqual(vtrap.arguments, ["x", "y"])
        guard case .ifElse(let condition, let then, let otherwise) = vtrap.body.first?.kind else { return XCTFail("\(vtrap.body)") }
        XCTAssertEqual(condition, .binary(.less, .call("fabs", [.binary(.divide, .name("x"), .name("y"))]), .number(1e-6)))
        XCTAssertEqual(then.count, 1)
        XCTAssertEqual(otherwise.count, 1)
        XCTAssertTrue(f.unsupported.isEmpty)
    }

    func testNaVKineticScheme() throws {
        let f = try parseFixture("allen/NaV.mod")   // CRLF line ends
        XCTAssertEqual(f.title, "Mouse sodium current")
        XCTAssertEqual(f.neuron.name, "NaV")
        XCTAssertEqual(f.states.count, 12)
        XCTAssertEqual(f.states.first?.name, "C1")
        XCTAssertEqual(f.states.first?.line, 82)
        XCTAssertEqual(f.parameters.first { $0.name == "x2" }?.value, -24)
        XCTAssertEqual(f.parameters.first { $0.name == "Con" }?.unit, "/ms")
        XCTAssertEqual(f.breakpoint?.first?.kind, .solve(block: "activation", method: "sparse", steadyState: false))
        XCTAssertEqual(f.initial?.map(\.kind), [.call("rates", [.name("v")]), .solve(block: "seqinitial", method: nil, steadyState: false)])

        let activation = try block(f, "activation")
        XCTAssertEqual(activation.kind, .kinetic)
        XCTAssertEqual(activation.line, 107)
        var reactions = 0, conserves = 0
        for s in activation.body {
            switch s.kind {
            case .reaction: reactions += 1
            case .conserve(let terms, let total):
                conserves += 1
                XCTAssertEqual(terms.map(\.name), ["C1", "C2", "C3", "C4", "C5", "O", "I1", "I2", "I3", "I4", "I5", "I6"])
                XCTAssertEqual(terms.map(\.coefficient), Array(repeating: 1, count: 12))
                XCTAssertEqual(total, .number(1))
                XCTAssertEqual(s.line, 127)
            case .call(let name, _): XCTAssertEqual(name, "rates")
            default: XCTFail("unexpected \(s)")
            }
        }
        XCTAssertEqual(reactions, 16)
        XCTAssertEqual(conserves, 1)
        XCTAssertEqual(activation.body[1], Statement(line: 110, .reaction(lhs: [ReactionTerm(1, "C1")], rhs: [ReactionTerm(1, "C2")],
                                                                          forward: .name("f01"), backward: .name("b01"))))

        let initial = try block(f, "seqinitial")
        XCTAssertEqual(initial.kind, .linear)
        XCTAssertEqual(initial.body.count, 12)
        guard case .equation(let lhs, let rhs) = initial.body[0].kind else { return XCTFail("\(initial.body[0])") }
        XCTAssertEqual(lhs.description, "(((I1 * bi1) + (C2 * b01)) - (C1 * (fi1 + f01)))")
        XCTAssertEqual(rhs, .number(0))
        XCTAssertEqual(initial.body[0].line, 131)
        XCTAssertEqual(try callable(f, "rates").body.count, 34)
    }

    func testCalciumDynamics() throws {
        let f = try parseFixture("allen/CaDynamics.mod")
        XCTAssertEqual(f.neuron.name, "CaDynamics")
        XCTAssertEqual(f.neuron.ions, [IonUse(line: 6, ion: "ca", read: ["ica"], write: ["cai"], valence: nil)])
        XCTAssertEqual(f.units.first { $0.name == "FARADAY" }?.definition, "(faraday) (coulombs)")
        XCTAssertEqual(f.units.first { $0.name == "(molar)" }?.definition, "(1/liter)")
        XCTAssertEqual(f.parameters.map(\.name), ["gamma", "decay", "depth", "minCai"])
        XCTAssertEqual(f.parameters[0].value, 0.05)
        XCTAssertNil(f.parameters[0].unit)
        XCTAssertEqual(f.parameters[3].value, 1e-4)
        XCTAssertEqual(f.parameters[3].unit, "mM")
        XCTAssertEqual(f.assigned.map(\.name), ["ica"])
        XCTAssertEqual(f.breakpoint?.map(\.kind), [.solve(block: "states", method: "cnexp", steadyState: false)])
        let states = try block(f, "states")
        XCTAssertEqual(states.body.count, 1)
        guard case .derivative("cai", let e) = states.body[0].kind else { return XCTFail("\(states.body)") }
        // -(10000)*(...): a parenthesised number is a number, not a unit.
        XCTAssertEqual(e.description, "((-(10000) * ((ica * gamma) / ((2 * FARADAY) * depth))) - ((cai - minCai) / decay))")
    }

    func testSynapsesAndPointProcesses() throws {
        let expsyn = try parseFixture("neuron/expsyn.mod")
        XCTAssertEqual(expsyn.neuron.kind, .point)
        XCTAssertEqual(expsyn.neuron.name, "ExpSyn")
        XCTAssertEqual(expsyn.parameters.first?.range.map { [$0.0, $0.1] }, [1e-9, 1e9])
        let net = try XCTUnwrap(expsyn.netReceive)
        XCTAssertEqual(net.arguments, ["weight"])
        XCTAssertEqual(net.line, 40)
        XCTAssertEqual(net.body.map(\.kind), [.assign("g", .binary(.add, .name("g"), .name("weight")))])

        let exp2syn = try parseFixture("neuron/exp2syn.mod")
        XCTAssertEqual(exp2syn.neuron.name, "Exp2Syn")
        XCTAssertEqual(exp2syn.neuron.range, ["tau1", "tau2", "e", "i", "g"])
        let initial = try XCTUnwrap(exp2syn.initial)
        XCTAssertEqual(initial.first?.kind, .local(["tp"]))
        XCTAssertEqual(initial.filter { if case .ifElse = $0.kind { return true } else { return false } }.count, 2)

        let iclamp = try parseFixture("neuron/stim.mod")
        XCTAssertEqual(iclamp.neuron.electrodeCurrents, ["i"])
        XCTAssertEqual(iclamp.parameters.map(\.name), ["del", "dur", "amp"])

        // SEClamp: INDEPENDENT dropped, DEFINE kept, two declarations on a line, else-if chains.
        let seclamp = try parseFixture("neuron/svclmp.mod")
        XCTAssertEqual(seclamp.neuron.name, "SEClamp")
        XCTAssertEqual(seclamp.defines.map(\.name), ["NSTEP"])
        XCTAssertEqual(seclamp.defines.first?.value, 3)
        XCTAssertEqual(seclamp.parameters.map(\.name), ["rs", "dur1", "amp1", "dur2", "amp2", "dur3", "amp3"])
        XCTAssertEqual(seclamp.parameters.map(\.line), [42, 43, 43, 44, 44, 45, 45])
        XCTAssertEqual(seclamp.parameters[3].unit, "ms")
        XCTAssertEqual(seclamp.parameters[3].rangeHigh, 1e9)
        XCTAssertEqual(seclamp.breakpoint?.first?.kind, .solve(block: "icur", method: "after_cvode", steadyState: false))
        let vstim = try callable(seclamp, "vstim")
        XCTAssertEqual(vstim.body[1].kind, .ifElse(.name("dur1"), [Statement(line: 92, .call("at_time", [.name("dur1")]))], []))
        guard case .ifElse(_, _, let else1) = vstim.body[4].kind, case .ifElse(_, _, let else2)? = else1.first?.kind,
              case .ifElse(let c3, _, let else3)? = else2.first?.kind else { return XCTFail("\(vstim.body[4])") }
        XCTAssertEqual(c3, .binary(.less, .name("t"), .name("tc3")))
        XCTAssertEqual(else3.map(\.kind), [.assign("vc", .number(0)), .assign("on", .number(0))])
    }

    func testArtificialCellsKeepUnsupportedThingsWithLines() throws {
        let netstim = try parseFixture("neuron/netstim.mod")
        XCTAssertEqual(netstim.neuron.kind, .artificial)
        XCTAssertEqual(netstim.unsupported.map(\.name), ["RANDOM"])
        XCTAssertEqual(netstim.unsupported.first?.line, 9)
        let initial = try XCTUnwrap(netstim.initial)
        guard case .ifElse(_, let then, _) = initial[5].kind else { return XCTFail("\(initial[5])") }
        XCTAssertEqual(then.last, Statement(line: 44, .unsupported("net_send")))
        XCTAssertEqual(try callable(netstim, "noiseFromRandom").body, [Statement(line: 174, .unsupported("VERBATIM"))])
        // `mean = .01 (ms)`: a unit after a number in an expression is dropped.
        guard case .ifElse(_, let small, _) = try callable(netstim, "invl").body[0].kind else { return XCTFail() }
        XCTAssertEqual(small.map(\.kind), [.assign("mean", .number(0.01))])

        let vecstim = try parseFixture("allen/vecevent.mod")
        XCTAssertEqual(vecstim.unsupported.map(\.name), ["VERBATIM"])
        XCTAssertEqual(vecstim.unsupported.first?.line, 31)

        let pattern = try parseFixture("neuron/pattern.mod")
        XCTAssertEqual(pattern.neuron.pointer, ["ptr"])
        XCTAssertEqual(pattern.unsupported.map(\.name), ["VERBATIM", "VERBATIM", "VERBATIM"])

        let invlfire = try parseFixture("neuron-demo/invlfire.mod")
        let net = try XCTUnwrap(invlfire.netReceive)
        guard case .ifElse(_, let then, let otherwise) = net.body[2].kind else { return XCTFail("\(net.body)") }
        XCTAssertEqual(then.last?.kind, .unsupported("net_move"))
        XCTAssertEqual(otherwise.first?.kind, .unsupported("net_event"))
        XCTAssertEqual(try callable(invlfire, "firetime").isFunction, true)
    }

    func testCalciumPumpsCompartmentsAndLocals() throws {
        let capmpr = try parseFixture("neuron-demo/capmpr.mod")
        XCTAssertEqual(capmpr.units.first { $0.name == "PI" }?.definition, "(pi) (1)")
        XCTAssertEqual(capmpr.assigned.first { $0.name == "c1" }?.unit, "1+8 um5/ms")
        XCTAssertEqual(capmpr.constants.map(\.name), ["volo"])
        XCTAssertEqual(capmpr.initial?.last?.kind, .solve(block: "pmp", method: "sparse", steadyState: true))
        let pmp = try block(capmpr, "pmp")
        XCTAssertEqual(pmp.body.prefix(3).map(\.kind), Array(repeating: .unsupported("COMPARTMENT"), count: 3))
        // (1(um3)/tau, ...): the unit after the 1 is dropped.
        XCTAssertEqual(pmp.body[3].kind, .reaction(lhs: [ReactionTerm(1, "car")], rhs: [ReactionTerm(1, "cai")],
                                                   forward: .binary(.divide, .number(1), .name("tau")),
                                                   backward: .binary(.divide, .number(1), .name("tau"))))
        XCTAssertEqual(pmp.body[5].kind, .reaction(lhs: [ReactionTerm(1, "pumpca")], rhs: [ReactionTerm(1, "pump"), ReactionTerm(1, "cao")],
                                                   forward: .name("c3"), backward: .name("c4")))
        guard case .flux("cai", _) = pmp.body[7].kind else { return XCTFail("\(pmp.body[7])") }
        guard case .conserve(let terms, let total) = pmp.body[8].kind else { return XCTFail("\(pmp.body[8])") }
        XCTAssertEqual(terms.map(\.name), ["pump", "pumpca"])
        XCTAssertEqual(total.description, "((10000000000 * area1) * pumpdens)")

        // Top-level LOCAL, and `s_celsius*1(degC) != celsius`.
        let capump = try parseFixture("neuron-demo/capump.mod")
        XCTAssertEqual(capump.locals.map(\.name), ["Q", "s_celsius"])
        XCTAssertEqual(capump.locals.first?.line, 24)
        guard case .ifElse(let c, let then, _) = capump.breakpoint?.first?.kind else { return XCTFail() }
        XCTAssertEqual(c, .binary(.notEqual, .binary(.multiply, .name("s_celsius"), .number(1)), .name("celsius")))
        XCTAssertEqual(then[1].kind, .assign("Q", .binary(.power, .number(3),
                                                          .binary(.divide, .binary(.subtract, .name("celsius"), .number(6.3)), .number(10)))))

        // TABLE with no names (a FUNCTION's own value), FUNCTION units, argument units.
        let camchan = try parseFixture("neuron-demo/camchan.mod")
        let ghk = try callable(camchan, "ghk")
        XCTAssertEqual(ghk.arguments, ["v", "ci", "co"])
        guard case .table(let names, let depend, _, _, _) = try callable(camchan, "oca_ss").body[1].kind else { return XCTFail() }
        XCTAssertEqual(names, [])
        XCTAssertEqual(depend, [])
        guard case .table(_, let depend2, _, _, _) = try callable(camchan, "oca_tau").body[1].kind else { return XCTFail() }
        XCTAssertEqual(depend2, ["celsius", "taufactor"])

        // Arrays are refused, with the declaration as written (NANN is a DEFINE).
        assertError(try NMODLParser.parse(contentsOf: fixture("neuron-demo/cabpump.mod")), path: fixture("neuron-demo/cabpump.mod"),
                    line: 50, ["arrays are not supported: 'vol[NANN]'"])
    }

    // MARK: - (b) Expressions

    func testOperatorPrecedence() throws {
        XCTAssertEqual(try expr("-x^2"), .unary(.negate, .binary(.power, .name("x"), .number(2))))
        XCTAssertEqual(try expr("a - b - c"), .binary(.subtract, .binary(.subtract, .name("a"), .name("b")), .name("c")))
        XCTAssertEqual(try expr("a / b * c").description, "((a / b) * c)")
        XCTAssertEqual(try expr("a^b^c"), .binary(.power, .name("a"), .binary(.power, .name("b"), .name("c"))))
        XCTAssertEqual(try expr("a < b && c || d"),
                       .binary(.or, .binary(.and, .binary(.less, .name("a"), .name("b")), .name("c")), .name("d")))
        XCTAssertEqual(try expr("a || b && c").description, "(a || (b && c))")
        XCTAssertEqual(try expr("a + b * c ^ d").description, "(a + (b * (c ^ d)))")
        XCTAssertEqual(try expr("-a * b").description, "(-(a) * b)")
        XCTAssertEqual(try expr("2^-x").description, "(2 ^ -(x))")
        XCTAssertEqual(try expr("!a < b").description, "(!(a) < b)")
        XCTAssertEqual(try expr("!(a < b)").description, "!((a < b))")
        XCTAssertEqual(try expr("+a"), .name("a"))
        XCTAssertEqual(try expr("a <= b == c >= d != e > f").description, "(((((a <= b) == c) >= d) != e) > f)")
        XCTAssertEqual(try expr("exp(-((v + 75) / 48)^2)").description, "exp(-((((v + 75) / 48) ^ 2)))")
        XCTAssertEqual(try expr("f(a, g(b), -c)"), .call("f", [.name("a"), .call("g", [.name("b")]), .unary(.negate, .name("c"))]))
        XCTAssertEqual(try expr("rand()"), .call("rand", []))
    }

    func testNumbersAndUnitsInExpressions() throws {
        XCTAssertEqual(try expr("1"), .number(1))
        XCTAssertEqual(try expr(".12"), .number(0.12))
        XCTAssertEqual(try expr("2."), .number(2))
        XCTAssertEqual(try expr("1e-4"), .number(1e-4))
        XCTAssertEqual(try expr("1E3"), .number(1000))
        XCTAssertEqual(try expr("1.5e+2"), .number(150))
        XCTAssertEqual(try expr("1e-999"), .number(0))
        // A parenthesised group right after a number is its unit; elsewhere it is an expression.
        XCTAssertEqual(try expr("2 (mV)"), .number(2))
        XCTAssertEqual(try expr("2(mV)*x"), .binary(.multiply, .number(2), .name("x")))
        XCTAssertEqual(try expr("(1)"), .number(1))
        XCTAssertEqual(try expr("(1e-3) * x"), .binary(.multiply, .number(1e-3), .name("x")))
        XCTAssertEqual(try expr("(celsius - 6.3)/10 (degC)").description, "((celsius - 6.3) / 10)")
        XCTAssertEqual(try expr("f(2 (ms mM/uA), 3)"), .call("f", [.number(2), .number(3)]))
        // DEFINE names are numbers.
        let f = try NMODLParser.parse("DEFINE N 3\nPARAMETER { p = N }\nINITIAL { x = N + 1 }", path: "test.mod")
        XCTAssertEqual(f.parameters.first?.value, 3)
        XCTAssertEqual(f.initial?.first?.kind, .assign("x", .binary(.add, .number(3), .number(1))))
    }

    // MARK: - Declarations, NEURON and UNITS blocks

    func testDeclarations() throws {
        let f = try NMODLParser.parse("""
            PARAMETER {
                a
                b = 2
                c = -3.5 (mV)
                d (S/cm2) <0, 1e9>
                e = +1e-3 (1/ms) < -1, 1 >
                f g h
                k = 1 (ms mM/uA) l (degC)
            }
            STATE { m FROM 0 TO 1  C1 (1) <1e-6>  n START 0.5 }
            ASSIGNED { ik (mA/cm2) tau (/ms) }
            CONSTANT { FARADAY = 96485.309 (coul) }
            """, path: "test.mod")
        XCTAssertEqual(f.parameters.map(\.name), ["a", "b", "c", "d", "e", "f", "g", "h", "k", "l"])
        XCTAssertEqual(f.parameters.map(\.line), [2, 3, 4, 5, 6, 7, 7, 7, 8, 8])
        XCTAssertEqual(f.parameters.map(\.value), [nil, 2, -3.5, nil, 1e-3, nil, nil, nil, 1, nil])
        XCTAssertEqual(f.parameters.map(\.unit), [nil, nil, "mV", "S/cm2", "1/ms", nil, nil, nil, "ms mM/uA", "degC"])
        XCTAssertEqual(f.parameters[3].rangeLow, 0)
        XCTAssertEqual(f.parameters[3].rangeHigh, 1e9)
        XCTAssertEqual(f.parameters[4].rangeLow, -1)
        XCTAssertEqual(f.states.map(\.name), ["m", "C1", "n"])
        XCTAssertEqual(f.states.map(\.unit), [nil, "1", nil])
        XCTAssertNil(f.states[1].range, "a STATE's <tolerance> is not a range")
        XCTAssertEqual(f.states[2].value, 0.5)
        XCTAssertEqual(f.assigned.map(\.unit), ["mA/cm2", "/ms"])
        XCTAssertEqual(f.constants.first?.value, 96485.309)
        XCTAssertEqual(f.constants.first?.unit, "coul")
    }

    func testNeuronBlock() throws {
        let f = try NMODLParser.parse("""
            NEURON {
                POINT_PROCESS Syn
                USEION ca WRITE ica READ cai, cao VALENCE 2
                USEION x VALENCE -1 READ xi REPRESENTS CHEBI:29108
                USEION na READ ena
                NONSPECIFIC_CURRENT i
                ELECTRODE_CURRENT ie
                RANGE g, e
                GLOBAL tau
                POINTER pre
                BBCOREPOINTER rng
                THREADSAFE
                EXTERNAL other_v
                REPRESENTS NCIT:C17145
            }
            """, path: "test.mod")
        let n = f.neuron
        XCTAssertEqual(n.kind, .point)
        XCTAssertEqual(n.name, "Syn")
        XCTAssertEqual(n.ions, [IonUse(line: 3, ion: "ca", read: ["cai", "cao"], write: ["ica"], valence: 2),
                                IonUse(line: 4, ion: "x", read: ["xi"], write: [], valence: -1),
                                IonUse(line: 5, ion: "na", read: ["ena"], write: [], valence: nil)])
        XCTAssertEqual(n.nonspecificCurrents, ["i"])
        XCTAssertEqual(n.electrodeCurrents, ["ie"])
        XCTAssertEqual(n.range, ["g", "e"])
        XCTAssertEqual(n.global, ["tau"])
        XCTAssertEqual(n.pointer, ["pre", "rng"])
        XCTAssertTrue(n.threadsafe)
        XCTAssertEqual(f.unsupported.map(\.name), ["EXTERNAL"])
        XCTAssertEqual(f.unsupported.first?.line, 13)

        XCTAssertEqual(try NMODLParser.parse("NEURON { ARTIFICIAL_CELL A }", path: "t.mod").neuron.kind, .artificial)
    }

    func testUnitsBlock() throws {
        let f = try NMODLParser.parse("""
            UNITS {
                (mV) = (millivolt)
                (mA)    =   (milliamp)
                FARADAY = (faraday) (coulomb)
                R = (k-mole) (joule/degC)
                PI = (pi) (1)
                F2 = 96485.309 (coul)
                foot2inch = (foot) -> (inch)
            }
            """, path: "test.mod")
        XCTAssertEqual(f.units.map(\.name), ["(mV)", "(mA)", "FARADAY", "R", "PI", "F2", "foot2inch"])
        XCTAssertEqual(f.units.map(\.definition), ["(millivolt)", "(milliamp)", "(faraday) (coulomb)", "(k-mole) (joule/degC)",
                                                   "(pi) (1)", "96485.309 (coul)", "(foot) -> (inch)"])
        XCTAssertEqual(f.units.map(\.line), [2, 3, 4, 5, 6, 7, 8])
    }

    // MARK: - Blocks and statements

    func testBlocksAndUnsupportedTopLevelConstructs() throws {
        let f = try NMODLParser.parse("""
            TITLE  a title with: a colon  
            UNITSON
            INDEPENDENT { t FROM 0 TO 1 WITH 1 (ms) }
            BEFORE BREAKPOINT { x = 1 { } }
            AFTER SOLVE { VERBATIM
            } } {
            ENDVERBATIM
            }
            FUNCTION_TABLE tau1(v (mV)) (ms)
            CONSTRUCTOR { VERBATIM
            ENDVERBATIM (the rest of this line goes with it, as in NEURON) }
            }
            DESTRUCTOR { }
            VERBATIM
            static int x;
            ENDVERBATIM
            FUNCTION f(v (mV), x) (/ms) { f = v * x }
            PROCEDURE p() { }
            NET_RECEIVE(weight (uS), tsyn (ms)) { INITIAL { tsyn = t } WATCH (v > 10) 2, (v < 0) 3 FOR_NETCONS(w, ts) { w = 0 } }
            LINEAR lin { ~ a + b = 1 ~ a - b = 0 }
            NONLINEAR nonlin { ~ a*a = 2 }
            """, path: "test.mod")
        XCTAssertEqual(f.title, "a title with: a colon")
        XCTAssertEqual(f.unsupported.map(\.name), ["BEFORE", "AFTER", "FUNCTION_TABLE", "CONSTRUCTOR", "DESTRUCTOR", "VERBATIM"])
        XCTAssertEqual(f.unsupported.map(\.line), [4, 5, 9, 10, 13, 14])
        let fn = try callable(f, "f")
        XCTAssertEqual(fn.arguments, ["v", "x"])
        XCTAssertTrue(fn.isFunction)
        XCTAssertEqual(fn.line, 17)
        XCTAssertEqual(try callable(f, "p").arguments, [])
        let net = try XCTUnwrap(f.netReceive)
        XCTAssertEqual(net.arguments, ["weight", "tsyn"])
        XCTAssertEqual(net.body.map(\.kind), [.unsupported("INITIAL"), .unsupported("WATCH"), .unsupported("FOR_NETCONS")])
        XCTAssertEqual(try block(f, "lin").body.map(\.kind), [
            .equation(.binary(.add, .name("a"), .name("b")), .number(1)),
            .equation(.binary(.subtract, .name("a"), .name("b")), .number(0)),
        ])
        XCTAssertEqual(try block(f, "nonlin").kind, .nonlinear)
    }

    func testStatements() throws {
        // Statements are not line-separated.
        XCTAssertEqual(try statements("m = minf h = hinf"), [.assign("m", .name("minf")), .assign("h", .name("hinf"))])
        XCTAssertEqual(try statements("LOCAL a, b a = 1"), [.local(["a", "b"]), .assign("a", .number(1))])
        XCTAssertEqual(try statements("rates(v) printf(\"v=%g\\n\", v)"),
                       [.call("rates", [.name("v")]), .call("printf", [.name("v")])])
        XCTAssertEqual(try statements("while (i < 3) { i = i + 1 }"),
                       [.whileLoop(.binary(.less, .name("i"), .number(3)), [Statement(line: 1, .assign("i", .binary(.add, .name("i"), .number(1))))])])
        XCTAssertEqual(try statements("{ a = 1 { b = 2 } }"), [.assign("a", .number(1)), .assign("b", .number(2))])
        XCTAssertEqual(try statements("SOLVE s STEADYSTATE sparse SOLVE t SOLVE u METHOD derivimplicit"), [
            .solve(block: "s", method: "sparse", steadyState: true), .solve(block: "t", method: nil, steadyState: false),
            .solve(block: "u", method: "derivimplicit", steadyState: false),
        ])
        XCTAssertEqual(try statements("TABLE a FROM -1 TO 1 WITH 10"),
                       [.table(names: ["a"], depend: [], from: .unary(.negate, .number(1)), to: .number(1), with: .number(10))])
        // (What follows ENDVERBATIM on its line goes with it, as in NEURON.)
        XCTAssertEqual(try statements("net_send(0, 1) net_event(t) net_move(t) VERBATIM\n x = 1;\nENDVERBATIM y = 2\nCOMPARTMENT v {a b}"),
                       [.unsupported("net_send"), .unsupported("net_event"), .unsupported("net_move"), .unsupported("VERBATIM"),
                        .unsupported("COMPARTMENT")])
        XCTAssertEqual(try statements("if (a) { } else if (b) { x = 1 } else { x = 2 }"), [
            .ifElse(.name("a"), [], [Statement(line: 1, .ifElse(.name("b"), [Statement(line: 1, .assign("x", .number(1)))],
                                                                [Statement(line: 1, .assign("x", .number(2)))]))]),
        ])
        XCTAssertEqual(try statements("PROTECT x = x + 1 MUTEXLOCK MUTEXUNLOCK"), [.assign("x", .binary(.add, .name("x"), .number(1)))])

        let kinetic = try NMODLParser.parse("""
            KINETIC k {
                ~ 2A + B <-> C (a, b)
                ~ 2 A <-> B (kf, 0)
                ~ ca << (flux)
                ~ x -> (k)
                CONSERVE A + 2 C = 1
                COMPARTMENT i, vol[i] {ca}
            }
            DERIVATIVE d { x' = -x
                y' = x }
            """, path: "test.mod")
        XCTAssertEqual(try block(kinetic, "k").body, [
            Statement(line: 2, .reaction(lhs: [ReactionTerm(2, "A"), ReactionTerm(1, "B")], rhs: [ReactionTerm(1, "C")],
                                         forward: .name("a"), backward: .name("b"))),
            Statement(line: 3, .reaction(lhs: [ReactionTerm(2, "A")], rhs: [ReactionTerm(1, "B")], forward: .name("kf"), backward: .number(0))),
            Statement(line: 4, .flux("ca", .name("flux"))),
            Statement(line: 5, .reaction(lhs: [ReactionTerm(1, "x")], rhs: [], forward: .name("k"), backward: .number(0))),
            Statement(line: 6, .conserve([ReactionTerm(1, "A"), ReactionTerm(2, "C")], .number(1))),
            Statement(line: 7, .unsupported("COMPARTMENT")),
        ])
        XCTAssertEqual(try block(kinetic, "d").body.map(\.kind), [.derivative("x", .unary(.negate, .name("x"))), .derivative("y", .name("x"))])
    }

    // MARK: - (c) Errors: file, line, what

    func testBrokenFixtures() {
        let cases: [(String, Int, [String])] = [
            ("syntax_error.mod", 13, ["expected ')' after the arguments of 'rates', found 'm'"]),
            ("unterminated_block.mod", 12, ["unexpected end of file inside the DERIVATIVE block 'states' (opened at line 8)"]),
            ("unknown_keyword.mod", 6, ["unknown top-level keyword 'PARAMETERS'", "did you mean 'PARAMETER'"]),
            ("array.mod", 8, ["arrays are not supported: 'x[4]'"]),
            ("unterminated_comment.mod", 5, ["unterminated COMMENT block (opened at line 5)", "ENDCOMMENT"]),
            ("bad_number.mod", 7, ["bad number '0.1.2'"]),
            ("missing_brace.mod", 12, ["'INITIAL' cannot appear inside the BREAKPOINT block (opened at line 9)", "'}' missing"]),
        ]
        for (name, line, fragments) in cases {
            let path = fixture("broken/\(name)")
            assertError(try NMODLParser.parse(contentsOf: path), path: path, line: line, fragments)
        }
        XCTAssertEqual(modFiles(in: Self.fixtures.appendingPathComponent("broken")).count, cases.count)
    }

    func testErrorMessages() {
        assertRefused("INITIAL {\n x = 1 + \n}", line: 3, "expected an expression, found '}'")
        assertRefused("INITIAL { x = (a + b }", line: 1, "expected ')' to close the '(' opened at line 1, found '}'")
        assertRefused("INITIAL { x = 12abc }", line: 1, "bad number '12abc'")
        assertRefused("INITIAL { x = 1e+ }", line: 1, "bad number '1e+'")
        assertRefused("\n\nINITIAL { x = 1e999 }", line: 3, "number out of range: '1e999'")
        assertRefused("INITIAL { printf(\"unterminated) }", line: 1, "unterminated string (opened at line 1)")
        assertRefused("NEURON { SUFFIX a }\nVERBATIM\nint x;\n", line: 2, "unterminated VERBATIM block (opened at line 2)")
        assertRefused("ENDCOMMENT", line: 1, "'ENDCOMMENT' without a matching 'COMMENT'")
        assertRefused("INITIAL {\n ~ a <-> b (1, 2) }", line: 2, "'~'", "KINETIC")
        assertRefused("KINETIC k { ~ a <-> b (1 2) }", line: 1, "expected ',' between the forward and backward rates of the reaction, found '2'")
        assertRefused("KINETIC k { ~ a + b << (1) }", line: 1, "a flux '~ x << (rate)' names exactly one state")
        assertRefused("KINETIC k { ~ 2.5 a <-> b (1, 1) }", line: 1, "positive whole number", "'2.5'")
        assertRefused("KINETIC k { ~ ca[0] << (1) }", line: 1, "arrays are not supported: 'ca[0]'")
        assertRefused("INITIAL { LOCAL x[3] }", line: 1, "arrays are not supported: 'x[3]'")
        assertRefused("BREAKPOINT { }\nBREAKPOINT { }", line: 2, "a second BREAKPOINT block (the first is at line 1)")
        assertRefused("NET_RECEIVE(w) { }\nNET_RECEIVE(w) { }", line: 2, "a second NET_RECEIVE block")
        assertRefused("KINETIC k SOLVEFOR a { }", line: 1, "SOLVEFOR is not supported")
        assertRefused("NEURON {\n USEION ca READ cai VALENCE 2.5 }", line: 2, "VALENCE", "whole number", "'2.5'")
        assertRefused("NEURON { RANGE a b }", line: 1, "found 'b'", "separated by commas")
        assertRefused("NEURON { SUFIX hh }", line: 1, "unknown statement 'SUFIX' in the NEURON block", "did you mean 'SUFFIX'")
        assertRefused("NEURON { SUFFIX a POINT_PROCESS b }", line: 1, "names the mechanism twice")
        assertRefused("INITIAL { else { } }", line: 1, "'else' without an 'if'")
        assertRefused("INITIAL { x' ' = 1 }", line: 1, "higher-order derivatives")
        assertRefused("INITIAL { x }", line: 1, "expected '=' or '(' after 'x', found '}'")
        assertRefused("INITIAL { TO = 1 }", line: 1, "expected a statement in the INITIAL block, found the keyword 'TO'")
        assertRefused("INITIAL { x = \"s\" }", line: 1, "expected an expression, found the string \"s\"")
        assertRefused("PARAMETER { x = 1 (mV\n}", line: 1, "expected ')' to close the unit of 'x', found the end of the line")
        assertRefused("PARAMETER { x = a }", line: 1, "expected a number as the value of 'x', found 'a'")
        assertRefused("PARAMETER {\n\n  1 }", line: 3, "expected a variable name in the PARAMETER block, found '1'")
        assertRefused("UNITS { (mV) (millivolt) }", line: 1, "expected '=' after '(mV)' in the UNITS block")
        assertRefused("}", line: 1, "unexpected '}' at top level")
        assertRefused("x = 1", line: 1, "at top level")
        assertRefused("PROCEDURE p( { }", line: 1, "an argument name of 'p'")
        assertRefused("FUNCTION f(x) (ms {\n}", line: 1, "expected ')' to close the unit of 'f'")
        assertRefused("INITIAL { x = 1 \u{1} }", line: 1, "the character U+0001")
        assertRefused("INITIAL { x = µ }", line: 1, "found 'µ'")
        assertRefused("DEFINE N 2.5", line: 1, "a whole number after 'DEFINE N'")
        assertRefused("BEFORE STUFF { }", line: 1, "BREAKPOINT, SOLVE, INITIAL or STEP after BEFORE")
        assertRefused("INITIAL {\r\n\r\n x = ( }", line: 3, "expected an expression, found '}'")
    }

    func testUnreadableFileIsNamed() {
        for path in ["/nonexistent/x.mod", Self.fixtures.path] {
            XCTAssertThrowsError(try NMODLParser.parse(contentsOf: path)) { error in
                XCTAssertEqual((error as? PlexusError)?.file, path)
                XCTAssertTrue("\(error)".contains("cannot read"), "\(error)")
            }
        }
    }

    // MARK: - (d) Hostile input: never a crash, a trap or a hang

    func testEmptyAndCommentOnlyFilesParse() throws {
        XCTAssertEqual(try NMODLParser.parse("", path: "e.mod"), NMODLFile(path: "e.mod"))
        XCTAssertEqual(try NMODLParser.parse(" \n\t: only a comment\n? another\nCOMMENT\nx\nENDCOMMENT\n", path: "e.mod"),
                       NMODLFile(path: "e.mod"))
    }

    func testNestingIsCapped() throws {
        let n = 20_000
        let deep: [(String, String)] = [
            ("INITIAL { x = \(String(repeating: "(", count: n))a\(String(repeating: ")", count: n)) }", "nesting deeper than 200"),
            ("INITIAL { x = \(String(repeating: "-", count: n))a }", "nesting deeper than 200"),
            ("INITIAL { x = \(String(repeating: "!", count: n))a }", "nesting deeper than 200"),
            ("INITIAL { x = \(String(repeating: "a^", count: n))a }", "nesting deeper than 200"),
            ("INITIAL { x = \(String(repeating: "f(", count: n))a\(String(repeating: ")", count: n)) }", "nesting deeper than 200"),
            ("INITIAL { x = \(String(repeating: "a+", count: n))a }", "expression nested deeper than 200"),
            ("INITIAL { \(String(repeating: "if (a) { ", count: n))\(String(repeating: "}", count: n)) }", "nesting deeper than 200"),
            ("INITIAL { \(String(repeating: "{", count: n))\(String(repeating: "}", count: n)) }", "nesting deeper than 200"),
            ("INITIAL { if (a) { } \(String(repeating: "else if (a) { } ", count: n)) }", "nesting deeper than 200"),
        ]
        for (text, message) in deep { assertRefused(text, line: 1, message) }
        // Just under the cap parses (and is walked and destroyed without trouble).
        let nested = try expr("\(String(repeating: "(", count: 190))a\(String(repeating: ")", count: 190))")
        XCTAssertEqual(nested, .name("a"))
        let sum = try expr(Array(repeating: "a", count: 150).joined(separator: " + "))
        XCTAssertEqual(sum.description.filter { $0 == "+" }.count, 149)
        // Unbalanced braces in a skipped block: found, not looped over.
        assertRefused("BEFORE BREAKPOINT \(String(repeating: "{", count: n))\(String(repeating: "}", count: n - 1))", line: 1,
                      "unexpected end of file inside the BEFORE BREAKPOINT block")
    }

    func testGarbageIsRefusedWithALine() {
        var rng = SplitMix(seed: 42)
        for round in 0..<20 {
            let bytes = (0..<2000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let path = "garbage\(round).mod"
            do {
                _ = try NMODLParser.parse(String(decoding: bytes, as: UTF8.self), path: path)
            } catch let e as PlexusError {
                XCTAssertEqual(e.file, path)
                XCTAssertNotNil(e.line)
            } catch {
                XCTFail("\(error)")
            }
        }
    }

    /// Mutations of the real files (bytes changed, cut, repeated, braces and keywords inserted):
    /// each is parsed or refused with the file and a line within the file.
    func testMutatedRealFilesAreParsedOrRefusedCleanly() throws {
        let corpus = ["neuron", "neuron-demo", "allen"].flatMap { modFiles(in: Self.fixtures.appendingPathComponent($0)) }
            .compactMap { FileManager.default.contents(atPath: $0).map { [UInt8]($0) } }
        XCTAssertFalse(corpus.isEmpty)
        let inserts = ["{", "}", "(", ")", "~", "<->", "COMMENT\n", "ENDCOMMENT", "VERBATIM", "if", "else", "-", "^", "1e", ".",
                       "'", "\"", "[", "FROM", "TABLE", "DEFINE", "\n", ":", "KINETIC k {", "1e400", "\u{0}"].map { Array($0.utf8) }
        var rng = SplitMix(seed: 7)
        var parsed = 0, refused = 0
        for i in 0..<600 {
            var b = corpus[Int(rng.next() % UInt64(corpus.count))]
            for _ in 0..<(1 + rng.next() % 4) where !b.isEmpty {
                let at = Int(rng.next() % UInt64(b.count))
                switch rng.next() % 4 {
                case 0: b[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: b.removeSubrange(at..<min(b.count, at + 1 + Int(rng.next() % 40)))
                case 2: b.insert(contentsOf: inserts[Int(rng.next() % UInt64(inserts.count))], at: at)
                default: b.insert(contentsOf: b[at..<min(b.count, at + 1 + Int(rng.next() % 100))], at: Int(rng.next() % UInt64(b.count)))
                }
            }
            let path = "mutant\(i).mod"
            let lines = b.filter { $0 == 10 || $0 == 13 }.count + 1
            do {
                _ = try NMODLParser.parse(String(decoding: b, as: UTF8.self), path: path)
                parsed += 1
            } catch let e as PlexusError {
                refused += 1
                XCTAssertEqual(e.file, path)
                XCTAssertTrue((1...lines).contains(e.line ?? 0), "\(e)")
            }
        }
        XCTAssertGreaterThan(parsed, 0)
        XCTAssertGreaterThan(refused, 0)
    }

    // MARK: - The Allen example mechanisms

    func testAllenExampleMechanismsParse() throws {
        let folder = Repo.examples.appendingPathComponent("allen/mechanisms")
        guard FileManager.default.fileExists(atPath: folder.path) else { throw XCTSkip("examples/allen/mechanisms is not in this checkout") }
        let files = modFiles(in: folder)
        XCTAssertGreaterThan(files.count, 10, "examples/allen/mechanisms holds too few .mod files")
        for path in files { XCTAssertNoThrow(try NMODLParser.parse(contentsOf: path), path) }
    }
}

/// A small deterministic generator for the robustness tests.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
