import PlexusCore

/// Current clamp (NEURON's IClamp): `amplitude` nA injected from `delay` for `duration` ms, on
/// while delay <= t < delay + duration at the step's start. Placed with `iclamp:` (or as any point
/// mechanism); it receives no events.
public enum IClamp: CableMechanism {
    public static let info = MechanismInfo(
        "iclamp", .point, "current clamp: amplitude (nA) from delay for duration ms",
        parameters: [
            .init("delay", .ms, 0, "onset"),
            .init("duration", .ms, .infinity, "how long it stays on"),
            .init("amplitude", .nA, 0, "injected current (positive depolarises)"),
        ],
        constants: [
            .init("start", .ms), .init("stop", .ms), .init("amplitude", .nA),
        ])

    public static func validate(_ p: [Double]) throws {
        guard p[0].isFinite, p[1] >= 0, p[2].isFinite else {
            throw PlexusError("iclamp needs a finite delay, a duration >= 0 and a finite amplitude")
        }
    }

    public static func prepare(_ p: [Double], _ c: InstanceContext, into out: UnsafeMutablePointer<Double>) {
        out[0] = p[0]; out[1] = p[0] + p[1]; out[2] = p[2]
    }

    public static func computeCurrents(_ p: MechanismPack, _ range: Range<Int>, _ step: StepTime) {
        let cv = p.node, I = p.current, start = p.field(0), stop = p.field(1), amp = p.field(2)
        let t = step.time
        for k in range where t >= start[k] && t < stop[k] { I[Int(cv[k])] -= amp[k] }
    }
}
