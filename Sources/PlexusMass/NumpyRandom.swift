import PlexusCore

/// numpy's legacy `RandomState` (MT19937 seeded with `init_genrand`, doubles from two 32-bit
/// draws, `normal` by the polar Box-Muller method with its cached second value), so a simulation
/// can use exactly the noise TVB drew (`noise.Additive(noise_seed=...)`). Sequential by nature:
/// runs that use it run on one thread.
public struct NumpyRandomState: Sendable {
    var mt: MT19937
    var hasGauss = false
    var gauss = 0.0

    public init(seed: UInt32) { mt = MT19937(seed: seed) }

    public mutating func nextUInt32() -> UInt32 { mt.next() }

    /// `random_sample()`: 53-bit double in [0, 1).
    public mutating func nextDouble() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `standard_normal()` / `normal(0, 1)` of the legacy RandomState.
    public mutating func nextGauss() -> Double {
        if hasGauss {
            hasGauss = false
            return gauss
        }
        var x1 = 0.0, x2 = 0.0, r2 = 0.0
        repeat {
            x1 = 2.0 * nextDouble() - 1.0
            x2 = 2.0 * nextDouble() - 1.0
            r2 = x1 * x1 + x2 * x2
        } while r2 >= 1.0 || r2 == 0.0
        let f = (-2.0 * _log(r2) / r2).squareRoot()
        gauss = f * x1
        hasGauss = true
        return f * x2
    }
}
