import PlexusCore

// Delayed coupling, float64 engine.
//
// History layout: one row per (channel, source region) holding `capacity` time slots (slot
// `s mod capacity` holds the state after step s), written twice (at p and p + capacity), so that
// `capacity + (s mod capacity) - d` addresses x(s - d) without a wrap test and any `block`
// consecutive slots are contiguous. The coupling of step n (X_n -> X_{n+1}) needs
// x_j(n - d_ij) for every nonzero weight.
//
// Time blocking: for an edge with d >= block - 1, the values it contributes to the `block`
// steps n0 ..< n0+block are slots n0-d ..< n0-d+block, all known at the start of the block. So
// once per block, for each source row (which stays in L1 while its edges are processed), every
// such edge adds `w * row[n0-d ..< n0-d+block]` into its target's `block` accumulators (contiguous,
// SIMD). The history is streamed once per block instead of once per step, and each delayed read
// costs a vector lane instead of a cache miss. Edges with smaller delays (the zero-delay diagonal,
// very short tracts) are summed per step. Each target's sum has a fixed order (long edges by
// source, then short edges by source), whatever the number of threads.

@usableFromInline let massBlock = 16

/// One thread's share of the long (time-blocked) edges: those whose target lies in `range`. The
/// sources are cut into tiles whose history fits in L2; within a tile the edges are grouped by
/// target (CSR) in source order, so each target's sum runs over its sources in ascending order.
@usableFromInline final class CouplingPart: @unchecked Sendable {
    let range: Range<Int>
    let tiles: Int
    /// Segment (tile t, local target i) is rowStart[t*count + i] ..< rowStart[t*count + i + 1].
    let rowStart: Storage<Int32>
    /// source * rowLength + capacity - delay: add (step mod capacity) to reach the first slot.
    let offset: Storage<Int32>
    let weight: Storage<Double>
    /// channels x range.count x block accumulators of the current block.
    let acc: Storage<Double>

    init(range: Range<Int>, tiles: Int, rowStart: [Int32], offset: [Int32], weight: [Double], channels: Int) {
        self.range = range
        self.tiles = tiles
        self.rowStart = Storage(rowStart)
        self.offset = Storage(offset)
        self.weight = Storage(weight)
        acc = Storage(repeating: 0, count: max(1, channels * range.count * massBlock))
    }
}

@usableFromInline final class BlockedCoupling: @unchecked Sendable {
    let n: Int
    let channels: Int
    let capacity: Int
    let rowLength: Int
    let hist: Storage<Double>
    let parts: [CouplingPart]
    // Short edges (d < block - 1), CSR by target.
    let shortStart: Storage<Int32>
    let shortSource: Storage<Int32>
    let shortDelay: Storage<Int32>
    let shortWeight: Storage<Double>
    /// Threads must meet every `barrierInterval` steps: the block length, or less when a short
    /// edge links regions of different parts (its delay bounds how far a thread may run ahead).
    let barrierInterval: Int
    let rowSum: Storage<Double>
    /// Zero-delay self-connections of couplings whose history holds the state itself: summed
    /// from the current state (w_ii * x_i) instead of through the history.
    let selfWeight: Storage<Double>
    let hasSelf: Bool
    let function: CouplingFunction
    let cvars: [Int]
    /// Channel sums of the current step: channels x n.
    let sums: Storage<Double>

    init(weights: [Double], delays: [Int32], n: Int, function: CouplingFunction, cvars: [Int], parts partRanges: [Range<Int>]) {
        self.n = n
        self.function = function
        self.cvars = cvars
        channels = function.kind.channels(ncvar: cvars.count)
        let horizon = Int(delays.max() ?? 0) + 1
        // Room for one block beyond the horizon: a thread that runs ahead within a block never
        // overwrites a slot another thread still reads for its long edges.
        capacity = horizon + massBlock
        rowLength = 2 * capacity
        hist = Storage(repeating: 0, count: channels * n * rowLength)
        let longMin = Int32(massBlock - 1)
        var parts: [CouplingPart] = []
        var partOf = [Int](repeating: 0, count: n)
        for (p, r) in partRanges.enumerated() { for i in r { partOf[i] = p } }
        // Source tiles of about 512 KiB of history each.
        let tileSources = max(1, (512 * 1024) / (rowLength * 8 * channels))
        let tiles = (n + tileSources - 1) / tileSources
        for r in partRanges {
            var rowStart: [Int32] = [0]
            var off: [Int32] = [], w: [Double] = []
            for t in 0..<tiles {
                for i in r {
                    for j in (t * tileSources)..<min(n, (t + 1) * tileSources) {
                        let q = i * n + j
                        guard weights[q] != 0, delays[q] >= longMin else { continue }
                        off.append(Int32(j * rowLength + capacity - Int(delays[q])))
                        w.append(weights[q])
                    }
                    rowStart.append(Int32(off.count))
                }
            }
            parts.append(CouplingPart(range: r, tiles: tiles, rowStart: rowStart, offset: off, weight: w, channels: channels))
        }
        self.parts = parts
        var ss = [Int32](repeating: 0, count: n + 1), src: [Int32] = [], sd: [Int32] = [], sw: [Double] = []
        var minCross = Int.max
        var rs = [Double](repeating: 0, count: n)
        let identity = function.kind != .sigmoidalJansenRit && function.kind != .kuramoto
        var sw0 = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for j in 0..<n {
                let q = i * n + j
                guard weights[q] != 0 else { continue }
                rs[i] += weights[q]
                guard delays[q] < longMin else { continue }
                if identity && i == j && delays[q] == 0 {
                    sw0[i] = weights[q]
                    continue
                }
                src.append(Int32(j)); sd.append(delays[q]); sw.append(weights[q])
                if partOf[i] != partOf[j] { minCross = min(minCross, Int(delays[q])) }
            }
            ss[i + 1] = Int32(src.count)
        }
        shortStart = Storage(ss)
        shortSource = Storage(src)
        shortDelay = Storage(sd)
        shortWeight = Storage(sw)
        var interval = massBlock
        while interval > 1 && interval > minCross { interval /= 2 }
        barrierInterval = minCross == 0 ? 1 : interval
        rowSum = Storage(rs)
        selfWeight = Storage(sw0)
        hasSelf = sw0.contains { $0 != 0 }
        sums = Storage(repeating: 0, count: channels * n)
    }

    var longEdgeCount: Int { parts.reduce(0) { $0 + $1.weight.count } }
    var shortEdgeCount: Int { shortWeight.count + selfWeight.buffer.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
    var historyBytes: Int { hist.count * 8 }

    /// Values that enter the history for region j from state x (stride n).
    @inline(__always)
    func channelValues(_ x: UnsafePointer<Double>, _ j: Int, _ out: UnsafeMutablePointer<Double>) {
        let v = function.values
        switch function.kind {
        case .sigmoidalJansenRit:
            let d = x[cvars[0] * n + j] - x[cvars[1] * n + j]
            out[0] = v[0] + (v[1] - v[0]) / (1.0 + _exp(v[3] * (v[2] - d)))
        case .kuramoto:
            for m in 0..<cvars.count {
                let t = x[cvars[m] * n + j]
                out[2 * m] = _sin(t)
                out[2 * m + 1] = _cos(t)
            }
        default:
            for m in 0..<cvars.count { out[m] = x[cvars[m] * n + j] }
        }
    }

    /// Writes the state after step `s` of regions `range` into the history (both copies).
    func write(step s: Int, _ x: UnsafePointer<Double>, range: Range<Int>) {
        let p = s % capacity
        let h = hist.base
        let rl = rowLength, cap = capacity
        switch function.kind {
        case .sigmoidalJansenRit, .kuramoto:
            var tmp = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            precondition(channels <= 8)
            withUnsafeMutableBytes(of: &tmp) { raw in
                let out = raw.baseAddress!.assumingMemoryBound(to: Double.self)
                for j in range {
                    channelValues(x, j, out)
                    for k in 0..<channels {
                        let row = h + (k * n + j) * rl
                        row[p] = out[k]
                        row[cap + p] = out[k]
                    }
                }
            }
        default:
            for k in 0..<channels {
                let src = x + cvars[k] * n
                let rows = h + k * n * rl + p
                for j in range {
                    let v = src[j]
                    rows[j &* rl] = v
                    rows[j &* rl &+ cap] = v
                }
            }
        }
    }

    /// Fills every slot with the state x (constant initial history).
    func fill(_ x: UnsafePointer<Double>) {
        for s in 0..<capacity { write(step: s, x, range: 0..<n) }
    }

    /// Long-edge sums of part `p` for the steps n0 ..< n0 + block: for each target, its edges
    /// add `w * row_j[n0-d ..< n0-d+block]` into a block of accumulators kept in registers.
    func accumulate(part p: Int, blockStart n0: Int) {
        let part = parts[p]
        let count = part.range.count
        let len = count * massBlock
        let acc = part.acc.base
        let base = n0 % capacity
        let rs = part.rowStart.base, of = part.offset.base, wt = part.weight.base
        for k in 0..<channels {
            let a = acc + k * len
            let rows = UnsafeRawPointer(hist.base + k * n * rowLength)
            for tile in 0..<part.tiles {
                let seg = rs + tile * count
                for t in 0..<count {
                    let dst = UnsafeMutableRawPointer(a + t * massBlock)
                    var s0 = SIMD8<Double>(repeating: 0), s1 = SIMD8<Double>(repeating: 0)
                    if tile > 0 {
                        s0 = dst.load(as: SIMD8<Double>.self)
                        s1 = dst.load(fromByteOffset: 64, as: SIMD8<Double>.self)
                    }
                    var e = Int(seg[t])
                    let end = Int(seg[t + 1])
                    while e < end {
                        let src = rows + (Int(of[e]) &+ base) &* 8
                        let w = SIMD8<Double>(repeating: wt[e])
                        s0 += w * src.loadUnaligned(as: SIMD8<Double>.self)
                        s1 += w * src.loadUnaligned(fromByteOffset: 64, as: SIMD8<Double>.self)
                        e &+= 1
                    }
                    dst.storeBytes(of: s0, as: SIMD8<Double>.self)
                    dst.storeBytes(of: s1, toByteOffset: 64, as: SIMD8<Double>.self)
                }
            }
        }
    }

    /// Coupling terms of step n (offset k in its block) for the targets of part p:
    /// c[m*n + i], from the state x_n (for pre-functions of the target).
    func coupling(part p: Int, step: Int, offset k: Int, _ x: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>) {
        let part = parts[p]
        let r = part.range
        let len = r.count * massBlock
        let acc = part.acc.base
        let S = sums.base
        let h = hist.base
        let ssb = shortStart.base, src = shortSource.base, sd = shortDelay.base, sw = shortWeight.base
        let base = step % capacity + capacity, rl = rowLength
        let sw0 = selfWeight.base
        let v = function.values
        let ncv = cvars.count
        // Linear and Scaling: post-function applied in the same pass.
        let fused = function.kind == .linear || function.kind == .scaling
        let anyShort = shortWeight.count > 0
        let pa = v[0], pb = function.kind == .linear ? v[1] : 0
        for ch in 0..<channels {
            let a = acc + ch * len + k - r.lowerBound * massBlock
            let rows = h + ch * n * rl
            let xs = x + cvars[min(ch, cvars.count - 1)] * n
            for i in r {
                var s = a[i &* massBlock]
                if hasSelf { s += sw0[i] * xs[i] }
                if anyShort {
                    var e = Int(ssb[i])
                    let end = Int(ssb[i + 1])
                    while e < end {
                        s += sw[e] * rows[Int(src[e]) &* rl &+ base &- Int(sd[e])]
                        e &+= 1
                    }
                }
                if fused { c[ch * n + i] = pa * s + pb } else { S[ch * n + i] = s }
            }
        }
        if fused { return }
        switch function.kind {
        case .linear:
            let a = v[0], b = v[1]
            for m in 0..<ncv { for i in r { c[m * n + i] = a * S[m * n + i] + b } }
        case .scaling:
            let a = v[0]
            for m in 0..<ncv { for i in r { c[m * n + i] = a * S[m * n + i] } }
        case .sigmoidal:
            let cmin = v[0], cmax = v[1], mid = v[2], a = v[3], sigma = v[4]
            for m in 0..<ncv {
                for i in r { c[m * n + i] = cmin + ((cmax - cmin) / (1.0 + _exp(-a * ((S[m * n + i] - mid) / sigma)))) }
            }
        case .sigmoidalJansenRit:
            let a = v[4]
            for i in r { c[i] = a * S[i] }
        case .difference:
            let a = v[0], rs = rowSum.base
            for m in 0..<ncv { for i in r { c[m * n + i] = a * (S[m * n + i] - x[cvars[m] * n + i] * rs[i]) } }
        case .kuramoto:
            let a = v[0] / Double(ncv)
            for m in 0..<ncv {
                for i in r {
                    let t = x[cvars[m] * n + i]
                    c[m * n + i] = a * (_cos(t) * S[2 * m * n + i] - _sin(t) * S[(2 * m + 1) * n + i])
                }
            }
        }
    }
}

// MARK: - TVB's float32 arithmetic

/// TVB's SparseHistory + coupling, operation by operation: the history ring (`horizon` slots of the
/// coupling variables) and the weights in float32; sparse couplings (Linear, Scaling, Difference,
/// Kuramoto) form float32 products over the nonzero weights of each row in column order and sum
/// them like `numpy.add.reduceat`; dense couplings (Sigmoidal, SigmoidalJansenRit) evaluate every
/// column (zeros where the weight is zero) and sum like `ndarray.sum(axis)`; post-functions run in
/// float64.
@usableFromInline final class TVBCoupling: @unchecked Sendable {
    let n: Int
    let horizon: Int
    let ncvar: Int
    let cvars: [Int]
    let function: CouplingFunction
    let hist: Storage<Float>          // [slot][cvar][region]
    let rowStart: Storage<Int32>
    let col: Storage<Int32>
    let delay: Storage<Int32>
    let weight32: Storage<Float>
    let scratch32: Storage<Float>
    let scratch64: Storage<Double>

    init(weights: [Double], delays: [Int32], n: Int, function: CouplingFunction, cvars: [Int]) {
        self.n = n
        self.function = function
        self.cvars = cvars
        ncvar = cvars.count
        horizon = Int(delays.max() ?? 0) + 1
        hist = Storage(repeating: 0, count: horizon * ncvar * n)
        var rs = [Int32](repeating: 0, count: n + 1), c: [Int32] = [], d: [Int32] = [], w: [Float] = []
        for i in 0..<n {
            for j in 0..<n where weights[i * n + j] != 0 {
                c.append(Int32(j)); d.append(delays[i * n + j]); w.append(Float(weights[i * n + j]))
            }
            rs[i + 1] = Int32(c.count)
        }
        rowStart = Storage(rs)
        col = Storage(c)
        delay = Storage(d)
        weight32 = Storage(w)
        scratch32 = Storage(repeating: 0, count: max(1, n))
        scratch64 = Storage(repeating: 0, count: max(1, n))
    }

    func write(step s: Int, _ x: UnsafePointer<Double>, range: Range<Int>) {
        let base = hist.base + (s % horizon) * ncvar * n
        for m in 0..<ncvar { for j in range { base[m * n + j] = Float(x[cvars[m] * n + j]) } }
    }

    func fill(_ x: UnsafePointer<Double>) {
        for s in 0..<horizon { write(step: s, x, range: 0..<n) }
    }

    @inline(__always) func delayed(_ step: Int, _ d: Int32, _ m: Int, _ j: Int) -> Float {
        var slot = step &- Int(d)
        slot &+= (slot >> 63) & horizon
        return hist.base[slot * ncvar * n + m * n + j]
    }

    func coupling(step stepIndex: Int, _ c: UnsafeMutablePointer<Double>, range: Range<Int>) {
        // Slots are taken modulo the horizon once; `delayed` wraps the difference.
        let step = stepIndex % horizon
        let v = function.values
        let rs = rowStart.base, cl = col.base, dl = delay.base, w = weight32.base
        let t32 = scratch32.base, t64 = scratch64.base
        let current = hist.base + (step % horizon) * ncvar * n
        switch function.kind {
        case .linear, .scaling, .difference, .kuramoto:
            for m in 0..<ncvar {
                for i in range {
                    let e0 = Int(rs[i]), e1 = Int(rs[i + 1])
                    var g: Float = 0
                    if e1 > e0 {
                        let xi = current[m * n + i]
                        for e in e0..<e1 {
                            let xj = delayed(step, dl[e], m, Int(cl[e]))
                            let pre: Float
                            switch function.kind {
                            case .difference: pre = xj - xi
                            case .kuramoto: pre = sinf(xj - xi)
                            default: pre = xj
                            }
                            t32[e - e0] = w[e] * pre
                        }
                        g = numpyReduceatSum(t32, e1 - e0)
                    }
                    let gx = Double(g)
                    switch function.kind {
                    case .linear: c[m * n + i] = v[0] * gx + v[1]
                    case .kuramoto: c[m * n + i] = v[0] / Double(ncvar) * gx
                    default: c[m * n + i] = v[0] * gx
                    }
                }
            }
        case .sigmoidal:
            let cmin = v[0], cmax = v[1], mid = v[2], a = v[3], sigma = v[4]
            for m in 0..<ncvar {
                for i in range {
                    let e0 = Int(rs[i]), e1 = Int(rs[i + 1])
                    var e = e0
                    for j in 0..<n {
                        if e < e1 && Int(cl[e]) == j {
                            t32[j] = w[e] * delayed(step, dl[e], m, j)
                            e += 1
                        } else {
                            t32[j] = 0
                        }
                    }
                    let gx = Double(numpySum(t32, n))
                    c[m * n + i] = cmin + ((cmax - cmin) / (1.0 + _exp(-a * ((gx - mid) / sigma))))
                }
            }
        case .sigmoidalJansenRit:
            let cmin = v[0], cmax = v[1], mid = v[2], r = v[3], a = v[4]
            let pre0 = cmin + (cmax - cmin) / (1.0 + _exp(r * (mid - 0)))
            for i in range {
                let e0 = Int(rs[i]), e1 = Int(rs[i + 1])
                var e = e0
                for j in 0..<n {
                    if e < e1 && Int(cl[e]) == j {
                        let d = delayed(step, dl[e], 0, j) - delayed(step, dl[e], 1, j)
                        let pre = cmin + (cmax - cmin) / (1.0 + _exp(r * (mid - Double(d))))
                        t64[j] = Double(w[e]) * pre
                        e += 1
                    } else {
                        t64[j] = 0 * pre0
                    }
                }
                c[i] = a * numpySum(t64, n)
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
