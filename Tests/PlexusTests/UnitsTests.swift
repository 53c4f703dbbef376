import XCTest
@testable import PlexusCable
@testable import PlexusCore
@testable import PlexusMass
@testable import PlexusPoint

/// One unit vocabulary for every engine: the point engine stores NEST's units, the cable engine
/// NEURON's, and a value written in any unit of the right dimension reaches either.
final class UnitsTests: XCTestCase {
    func value(_ text: String, in unit: PhysicalUnit) throws -> Double {
        try Quantity(parsing: text).value(in: unit, name: "x")
    }

    /// The factors are the hand-written powers of ten the engines used before the units were
    /// shared (bit for bit: data files must not change), not ratios computed at run time.
    func testConversionFactorsAreTheExactPowersOfTen() throws {
        XCTAssertEqual(try value("1 nA", in: .pA), 1e3)
        XCTAssertEqual(try value("1 pA", in: .nA), 1e-3)
        XCTAssertEqual(try value("1 pS", in: .uS), 1e-6)
        XCTAssertEqual(try value("1 us", in: .ms), 1e-3)
        XCTAssertEqual(try value("1 min", in: .ms), 6e4)
        XCTAssertEqual(try value("1 mS/cm2", in: .S_per_cm2), 1e-3)
        XCTAssertEqual(try value("1 uS/cm2", in: .S_per_cm2), 1e-6)
        XCTAssertEqual(try value("1 S/m2", in: .S_per_cm2), 1e-4)
        XCTAssertEqual(try value("1 nF/cm2", in: .uF_per_cm2), 1e-3)
        XCTAssertEqual(try value("1 ohm*m", in: .ohm_cm), 100)
        XCTAssertEqual(try value("1 1/ms", in: .Hz), 1e3)
        XCTAssertEqual(try value("0.3 s", in: .ms), 0.3 * 1e3)
        XCTAssertEqual(try value("310.15 K", in: .degC), 310.15 - 273.15)
        XCTAssertEqual(try value("6.3 degC", in: .degC), 6.3)
    }

    /// The spellings people write fold to one symbol: µ and μ, Ω, ², a space as a product.
    func testSpellingsFold() throws {
        XCTAssertEqual(try value("2 µS/cm²", in: .S_per_cm2), 2e-6)
        XCTAssertEqual(try value("2 μs", in: .ms), 2e-3)
        XCTAssertEqual(try value("100 Ω cm", in: .ohm_cm), 100)
        XCTAssertEqual(try value("1 pF/um^2", in: .uF_per_cm2), 100)
        XCTAssertEqual(try value("7 ms", in: .ms), 7)
        XCTAssertEqual(try value("7", in: .ms), 7, "a bare number is in the parameter's own unit")
    }

    func testOtherDimensionsAreRefusedNamingTheExpectedUnit() {
        XCTAssertThrowsError(try value("3 mV", in: .ms)) { e in
            XCTAssertEqual((e as? PlexusError)?.message, "x: unit 'mV' does not fit; expected a time such as ms")
        }
        XCTAssertThrowsError(try value("3 ms", in: .one)) { e in
            XCTAssertTrue(String(describing: e).contains("expected no unit"), "\(e)")
        }
        XCTAssertThrowsError(try value("3 furlongs", in: .um))
        XCTAssertThrowsError(try value("3 nA", in: .weight), "a weight is in the receiver's unit: pA, nS or mV")
        XCTAssertEqual(try value("3 nS", in: .weight), 3)
    }

    /// Every engine declares its parameters with the same `ParameterSpec`, each in a unit the
    /// vocabulary knows; a declared default converts to itself.
    func testEveryKindDeclaresItsUnitFromTheSharedVocabulary() throws {
        var specs: [(String, ParameterSpec)] = []
        for (name, type) in ModelCatalog.neuronModels { specs += type.parameters.map { (name, $0) } }
        for m in MechanismCatalog.all.values { specs += m.parameters.map { (m.name, $0) } }
        for m in MassModels.all { specs += m.parameters.map { (m.name, $0) } }
        XCTAssertGreaterThan(specs.count, 100)
        for (kind, p) in specs where p.unit.dimension != .dimensionless && p.unit.dimension != .weight {
            XCTAssertEqual(PhysicalUnit.named(p.unit.symbol), p.unit, "\(kind).\(p.name)")
            XCTAssertEqual(try Quantity(p.defaultValue, p.unit.symbol).value(in: p.unit, name: p.name), p.defaultValue,
                           "\(kind).\(p.name)")
        }
        // The same dimension in two engines' units: hh's gnabar is S/cm², iaf_psc_alpha's I_e pA,
        // pas's conductance per instance µS.
        XCTAssertEqual(MechanismCatalog.all["hh"]?.parameters.first { $0.name == "gnabar" }?.unit, .S_per_cm2)
        XCTAssertEqual(ModelCatalog.neuron("iaf_psc_alpha")!.parameters.first { $0.name == "I_e" }?.unit, .pA)
        XCTAssertEqual(try value("0.5 nA", in: ModelCatalog.neuron("iaf_psc_alpha")!.parameters.first { $0.name == "I_e" }!.unit), 500)
    }
}
