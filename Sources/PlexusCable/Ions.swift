import Foundation
import CPlexusMechanism
import PlexusCore
import PlexusModel

/// An ion species' values on a cell: concentrations inside and outside (mM) and the reversal
/// potential (mV). The defaults are NEURON's (its na_ion, k_ion and ca_ion); a reversal potential
/// of nil is computed from the concentrations with the Nernst equation.
public struct IonSpecies: Sendable, Equatable, Codable {
    public var internalConcentration: Double
    public var externalConcentration: Double
    public var reversal: Double?
    public init(inside: Double, outside: Double, reversal: Double?) {
        internalConcentration = inside; externalConcentration = outside; self.reversal = reversal
    }

    public static let defaults: [String: IonSpecies] = [
        "na": IonSpecies(inside: 10, outside: 140, reversal: 50),
        "k": IonSpecies(inside: 54.4, outside: 2.5, reversal: -77),
        "ca": IonSpecies(inside: 5e-5, outside: 2, reversal: 132.4579),
    ]
    /// An ion Plexus has no defaults for: 1 mM on both sides, reversal 0 mV.
    public static let unknown = IonSpecies(inside: 1, outside: 1, reversal: 0)

    /// E = R·T/(z·F) · ln(co/ci), in mV, at `celsius` (NEURON's constants, CODATA 2018).
    @inline(__always)
    public static func nernst(valence z: Int, celsius: Double, internal ci: Double, external co: Double) -> Double {
        1000 * UnitConstants.gasConstant * (celsius + 273.15) / (Double(z) * UnitConstants.faraday) * log(co / ci)
    }
}

/// The per-slot ion arrays of one cell group, for the ions its mechanisms use.
///
/// Each step: ion currents are zeroed with the membrane current and summed by the mechanisms
/// that write them; concentrations a mechanism writes (a calcium buffer's cai) are reset before
/// its kernels run to the uncovered share of the initial value and then receive each writer's
/// value weighted by its share of the CV's area; the reversal potential of an ion whose
/// concentrations are written follows them (Nernst), as NEURON does; others keep their value.
/// The per-step work visits only the slots where a mechanism uses the ion.
final class IonState: @unchecked Sendable {
    struct Ion {
        let name: String
        let valence: Int
        let current: Storage<Double>, reversal: Storage<Double>, inside: Storage<Double>, outside: Storage<Double>
        /// Per slot: the value a written concentration is reset to before its writers add theirs.
        let resetInternal: Storage<Double>?, resetExternal: Storage<Double>?
        let writesCurrent: Bool
        /// Slots where a mechanism uses the ion (`slotCount` of them; the storage holds at least one).
        let slots: Storage<Int32>
        let slotCount: Int
        var nernst: Bool { resetInternal != nil || resetExternal != nil }
    }
    var ions: [Ion] = []
    /// Per slot: the cell's temperature (°C), for the Nernst equation.
    let celsius: Storage<Double>
    let slotCount: Int
    /// What the step touches, as plain pointers (no reference counting in the loop).
    struct Work {
        var slots: UnsafeMutablePointer<Int32>, count: Int
        var current: UnsafeMutablePointer<Double>?
        var resetInside: UnsafeMutablePointer<Double>?, resetOutside: UnsafeMutablePointer<Double>?
        var inside: UnsafeMutablePointer<Double>, outside: UnsafeMutablePointer<Double>, reversal: UnsafeMutablePointer<Double>
        var valence: Int
        var nernst: Bool
    }
    private(set) var work: [Work] = []

    /// `uses`: every ion use of the group's mechanisms with the slots of its instances;
    /// `species(ion, slot)`: the slot's initial values; `coverage(ion, internal)`: per slot, the
    /// summed area share of the instances that write that concentration.
    init(slotCount: Int, uses: [(use: MechanismInfo.IonUse, slots: [Int32])], celsius: [Double], species: (String, Int) -> IonSpecies,
         coverage: (String, Bool) -> [Double]) {
        self.slotCount = slotCount
        self.celsius = Storage(celsius)
        var names: [String] = []
        for u in uses where !names.contains(u.use.name) { names.append(u.use.name) }
        for name in names {
            let mine = uses.filter { $0.use.name == name }
            let writesIn = mine.contains(where: \.use.writesInternal), writesOut = mine.contains(where: \.use.writesExternal)
            let n = max(1, slotCount)
            let ci = Storage(repeating: 0.0, count: n), co = Storage(repeating: 0.0, count: n), e = Storage(repeating: 0.0, count: n)
            for s in 0..<slotCount {
                let sp = species(name, s)
                ci[s] = sp.internalConcentration; co[s] = sp.externalConcentration
                e[s] = sp.reversal ?? IonSpecies.nernst(valence: mine[0].use.valence, celsius: celsius[s], internal: ci[s], external: co[s])
            }
            func reset(_ initial: Storage<Double>, _ inside: Bool) -> Storage<Double> {
                let cover = coverage(name, inside)
                let r = Storage(repeating: 0.0, count: n)
                for s in 0..<slotCount { r[s] = max(0, 1 - cover[s]) * initial[s] }
                return r
            }
            let used = Array(Set(mine.flatMap(\.slots))).sorted()
            ions.append(Ion(name: name, valence: mine[0].use.valence, current: Storage(repeating: 0.0, count: n), reversal: e,
                            inside: ci, outside: co, resetInternal: writesIn ? reset(ci, true) : nil,
                            resetExternal: writesOut ? reset(co, false) : nil, writesCurrent: mine.contains(where: \.use.writesCurrent),
                            slots: Storage(used.isEmpty ? [0] : used), slotCount: used.count))
        }
        work = ions.map { i in
            Work(slots: i.slots.base, count: i.slotCount,
                 current: i.writesCurrent ? i.current.base : nil, resetInside: i.resetInternal?.base, resetOutside: i.resetExternal?.base,
                 inside: i.inside.base, outside: i.outside.base, reversal: i.reversal.base, valence: i.valence, nernst: i.nernst)
        }
    }

    func arrays(_ name: String) -> plx_ion {
        guard let i = ions.first(where: { $0.name == name }) else { return plx_ion() }
        return plx_ion(current: i.current.base, reversal: i.reversal.base, internal: i.inside.base, external: i.outside.base)
    }

    @inline(__always) func zeroCurrents() {
        for w in work { if let c = w.current { for k in 0..<w.count { c[Int(w.slots[k])] = 0 } } }
    }

    /// Before the writers of concentrations run (INITIAL, then each advance).
    @inline(__always) func resetWrittenConcentrations() {
        for w in work {
            if let r = w.resetInside { for k in 0..<w.count { let s = Int(w.slots[k]); w.inside[s] = r[s] } }
            if let r = w.resetOutside { for k in 0..<w.count { let s = Int(w.slots[k]); w.outside[s] = r[s] } }
        }
    }

    /// After they ran: reversal potentials of ions with written concentrations.
    @inline(__always) func updateReversals() {
        let t = celsius.base
        for w in work where w.nernst {
            for k in 0..<w.count {
                let s = Int(w.slots[k])
                w.reversal[s] = IonSpecies.nernst(valence: w.valence, celsius: t[s], internal: w.inside[s], external: w.outside[s])
            }
        }
    }
}
