import CFFTW
import Foundation

/// Discrete Fourier transforms through FFTW (Debian's libfftw3, the `CFFTW` system library).
public enum FFT {
    public struct Complex: Sendable, Equatable {
        public var re: Double
        public var im: Double
    }

    /// FFTW's planner is not thread-safe; executing a plan is.
    private static let planner = NSLock()
    /// FFTW_ESTIMATE (1U << 6 in fftw3.h; macros with shifts are not imported into Swift): a
    /// plan made without trial runs, which leaves the input untouched.
    private static let estimate: UInt32 = 1 << 6

    /// X_k = Σ_j x_j e^{−2πi jk/n} for k = 0 ... n/2 (FFTW's r2c transform; unnormalised).
    public static func real(_ x: [Double]) -> [Complex] {
        let n = x.count
        guard n > 0 else { return [] }
        let m = n / 2 + 1
        guard let input = fftw_alloc_real(n), let output = fftw_alloc_complex(m) else { return [] }
        defer { fftw_free(input); fftw_free(output) }
        planner.lock()
        let plan = fftw_plan_dft_r2c_1d(Int32(n), input, output, estimate)
        planner.unlock()
        defer { planner.lock(); fftw_destroy_plan(plan); planner.unlock() }
        for i in 0..<n { input[i] = x[i] }
        fftw_execute(plan)
        return (0..<m).map { Complex(re: output[$0].0, im: output[$0].1) }
    }
}
