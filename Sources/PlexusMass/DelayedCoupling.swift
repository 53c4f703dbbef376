import PlexusCore

// Delayed coupling, float64 engine.
//
// History layout: one row per (channel, source region) holding `capacity` time slots (slot
// `s mod capacity` holds the state after step s) and then slots 0 ..< block again, so that any
// `block` consecutive slots are contiguous from the first one's position: a read that starts near
// the row's end runs on into the copies. (Every slot twice, at p and p + capacity, also saved the
// wrap test, once per edge and block, but doubled the history and each step's stores:
// connectivity_76 at 3 mm/ms took 1.2 MB, now 0.6 MB.) A batch of L lanes keeps each slot's L
// lanes side by side (lane-major: row j, slot s, lane l at (j * rowLength + s) * L + l), so an
// edge's `block` slots are one contiguous run of block * L doubles that serves every lane with
// one weight (with a row per lane, an edge was L scattered short reads). The coupling of step n
// (X_n -> X_{n+1}) needs x_j(n - d_ij) for every nonzero weight.
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
/// Slots of the short edges' buffer: delays up to massBlock - 2, plus a block that a thread may
/// run ahead (a power of two).
let recentSlots = 32
/// Slots the history rows take at a time (`BlockedCoupling.flush`): a cache line of one run's
/// row, and a divisor of massBlock (long edges read the rows at a block's start).
let flushSlots = 8

/// One thread's share of the long (time-blocked) edges: those whose target lies in `range`. The
/// sources are cut into tiles whose history fits in L2; within a tile the edges are grouped by
/// target (CSR) in source order, so each target's sum runs over its sources in ascending order.
/// In a batch the targets are regions (`range` holds whole regions' nodes): a region's edges
/// serve all its lanes.
@usableFromInline final class CouplingPart: @unchecked Sendable {
    let range: Range<Int>
    let tiles: Int
    /// Segment (tile t, local target i) is rowStart[t*count + i] ..< rowStart[t*count + i + 1];
    /// count = range.count / lanes targets.
    let rowStart: Storage<Int32>
    /// (source region * rowLength + capacity - delay) * lanes: add (step mod capacity) * lanes
    /// to reach the first slot, and take capacity * lanes off again when step mod capacity >=
    /// delay.
    let offset: Storage<Int32>
    let delay: Storage<Int32>
    let weight: Storage<Double>
    /// channels x range.count x block accumulators of the current block: [channel][target][step
    /// of the block][lane].
    let acc: Storage<Double>

    init(range: Range<Int>, tiles: Int, rowStart: [Int32], offset: [Int32], delay: [Int32], weight: [Double], channels: Int) {
        self.range = range
        self.tiles = tiles
        self.rowStart = Storage(rowStart)
        self.offset = Storage(offset)
        self.delay = Storage(delay)
        self.weight = Storage(weight)
        acc = Storage(repeating: 0, count: max(1, channels * range.count * massBlock))
    }
}

/// What the delayed-coupling engine of one run is built from.
public struct DelayedCouplingSetup {
    /// n x n, row = target (TVB's convention), and the delays in steps.
    let weights: [Double]
    let delays: [Int32]
    let n: Int
    /// Coupling parameter values in the order of the coupling's `parameters`.
    let values: [Double]
    /// The model's coupling variables (state variable indices).
    let cvars: [Int]
    /// The regions of each thread.
    let parts: [Range<Int>]
    let precision: MassPrecision
    /// A batch (MassBatch): `n` regions of each of `lanes` points as n * lanes nodes (node i*L + l
    /// is region i of lane l; the weights and delays are every lane's), each lane with its own
    /// coupling parameter values. nil: one run.
    var lanes: [[Double]]? = nil
}

/// The delayed coupling of one run: its entry points are closures made where the coupling type
/// is concrete (`makeDelayedCouplingRun`), so each runs code specialised for that coupling.
public final class DelayedCouplingRun: @unchecked Sendable {
    /// Coupling terms `c[m*n + i]` of step `step` for the targets of part `part`, from the history
    /// and the state x at t_n.
    let evaluate: (_ part: Int, _ step: Int, _ x: UnsafePointer<Double>, _ c: UnsafeMutablePointer<Double>) -> Void
    /// Enters the state after step `step` of the regions of part `part` into the history.
    let write: (_ part: Int, _ step: Int, _ x: UnsafePointer<Double>) -> Void
    /// Fills the whole history with the state x (TVB's constant initial history).
    let fill: (_ x: UnsafePointer<Double>) -> Void
    /// Coupling terms per region.
    let outputs: Int
    let blockedEdges: Int
    let perStepEdges: Int
    let historyBytes: Int
    /// Steps between the meetings of threads.
    let barrierInterval: Int

    init(evaluate: @escaping (Int, Int, UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void,
         write: @escaping (Int, Int, UnsafePointer<Double>) -> Void,
         fill: @escaping (UnsafePointer<Double>) -> Void,
         outputs: Int, blockedEdges: Int, perStepEdges: Int, historyBytes: Int, barrierInterval: Int) {
        self.evaluate = evaluate
        self.write = write
        self.fill = fill
        self.outputs = outputs
        self.blockedEdges = blockedEdges
        self.perStepEdges = perStepEdges
        self.historyBytes = historyBytes
        self.barrierInterval = barrierInterval
    }
}

/// Builds the engine of coupling type C: float64 and time-blocked, or TVB's float32 arithmetic.
func makeDelayedCouplingRun<C: MassCoupling>(_ type: C.Type, _ s: DelayedCouplingSetup) -> DelayedCouplingRun {
    let coupling = C(s.values, couplingVariables: s.cvars.count)
    let outputs = C.outputs(ncvar: s.cvars.count)
    let parts = s.parts
    if s.precision == .float32 {
        let h = TVBCoupling<C>(coupling, weights: s.weights, delays: s.delays, n: s.n, cvars: s.cvars)
        return DelayedCouplingRun(evaluate: { p, step, _, c in h.coupling(step: step, c, range: parts[p]) },
                                  write: { p, step, x in h.write(step: step, x, range: parts[p]) },
                                  fill: { h.fill($0) },
                                  outputs: outputs, blockedEdges: 0, perStepEdges: h.weight32.count,
                                  historyBytes: h.hist.count * 4, barrierInterval: 1)
    }
    let lanes = (s.lanes ?? [s.values]).map { C($0, couplingVariables: s.cvars.count) }
    let b = BlockedCoupling<C>(lanes, weights: s.weights, delays: s.delays, n: s.n, cvars: s.cvars, parts: parts)
    return DelayedCouplingRun(evaluate: { p, step, x, c in
                                  let k = step % massBlock
                                  if k == 0 { b.accumulate(part: p, blockStart: step) }
                                  b.coupling(part: p, step: step, offset: k, x, c)
                              },
                              write: { p, step, x in b.write(step: step, x, range: parts[p]) },
                              fill: { b.fill($0) },
                              outputs: outputs, blockedEdges: b.longEdgeCount, perStepEdges: b.shortEdgeCount,
                              historyBytes: b.historyBytes, barrierInterval: b.barrierInterval)
}

@usableFromInline final class BlockedCoupling<C: MassCoupling>: @unchecked Sendable {
    let n: Int
    let channels: Int
    let capacity: Int
    let rowLength: Int
    let hist: Storage<Double>
    let parts: [CouplingPart]
    /// The newest `recentSlots` states of every node, slot-major ([channel][slot][node]) and
    /// written twice (slots s mod 32 and s mod 32 + 32): short edges read them from a buffer that
    /// stays in cache instead of from the history rows, at (step mod 32) * n + their offset.
    let recent: Storage<Double>
    /// (recentSlots - delay) * n + source: where a short edge's value lies from the step's slot.
    let shortOffset: Storage<Int32>
    // Short edges (d < block - 1), CSR by target.
    let shortStart: Storage<Int32>
    let shortWeight: Storage<Double>
    /// Threads must meet every `barrierInterval` steps: the block length, or less when a short
    /// edge links regions of different parts (its delay bounds how far a thread may run ahead).
    let barrierInterval: Int
    let rowSum: Storage<Double>
    /// Zero-delay self-connections of couplings whose history holds the state itself: summed
    /// from the current state (w_ii * x_i) instead of through the history.
    let selfWeight: Storage<Double>
    let hasSelf: Bool
    let coupling: C
    /// A batch: each lane's coupling (one run: [coupling]), and the lane count.
    let couplings: Storage<C>
    let lanes: Int
    /// A batch: each node's coupling, its lane's (one run: [coupling]); loaded directly, the
    /// node's coupling is one load where the lane's index and then its coupling were a
    /// dependent pair.
    let nodeCouplings: Storage<C>
    let cvars: [Int]
    /// cvars[k] * n: where coupling variable k of a region lies in the state.
    let cvarOffset: Storage<Int>
    /// k * n: channel k of an output in `sums`.
    let channelOffset: Storage<Int>
    /// Channel sums of the current step: channels x n.
    let sums: Storage<Double>

    /// `couplings`: one per lane (n = regions * lanes nodes, `weights` and `delays` regions x
    /// regions); a run of its own has one.
    init(_ couplings: [C], weights: [Double], delays: [Int32], n: Int, cvars: [Int], parts partRanges: [Range<Int>]) {
        let L = couplings.count, regions = n / L
        self.n = n
        self.coupling = couplings[0]
        self.couplings = Storage(couplings)
        lanes = L
        nodeCouplings = Storage(L == 1 ? [couplings[0]] : (0..<n).map { couplings[$0 % L] })
        /// Edge (target node t, source node u): nil when u is another lane's or the weight is 0;
        /// else the regions' weight and delay.
        @inline(__always) func edge(_ t: Int, _ u: Int) -> (w: Double, d: Int32)? {
            guard t % L == u % L else { return nil }
            let q = (t / L) * regions + u / L
            return weights[q] == 0 ? nil : (weights[q], delays[q])
        }
        self.cvars = cvars
        cvarOffset = Storage(cvars.map { $0 * n })
        channelOffset = Storage((0..<C.historyChannelsPerOutput).map { $0 * n })
        channels = C.historyChannels(ncvar: cvars.count)
        let horizon = Int(delays.max() ?? 0) + 1
        // Room for one block beyond the horizon: a thread that runs ahead within a block never
        // overwrites a slot another thread still reads for its long edges.
        capacity = horizon + massBlock
        rowLength = capacity + massBlock
        hist = Storage(repeating: 0, count: channels * n * rowLength)
        let longMin = Int32(massBlock - 1)
        var parts: [CouplingPart] = []
        var partOf = [Int](repeating: 0, count: n)
        for (p, r) in partRanges.enumerated() { for i in r { partOf[i] = p } }
        // Source tiles of about 512 KiB of history each (a batch's row holds all its lanes).
        let tileSources = max(1, (512 * 1024) / (rowLength * 8 * channels * L))
        let tiles = (regions + tileSources - 1) / tileSources
        precondition(channels * n * rowLength <= Int(Int32.max), "history offsets fit 32 bits")
        for r in partRanges {
            precondition(r.lowerBound % L == 0 && r.upperBound % L == 0, "a batch's part holds whole regions")
            var rowStart: [Int32] = [0]
            var off: [Int32] = [], lag: [Int32] = [], w: [Double] = []
            for t in 0..<tiles {
                for i in (r.lowerBound / L)..<(r.upperBound / L) {
                    for j in (t * tileSources)..<min(regions, (t + 1) * tileSources) {
                        let q = i * regions + j
                        guard weights[q] != 0, delays[q] >= longMin else { continue }
                        off.append(Int32((j * rowLength + capacity - Int(delays[q])) * L))
                        lag.append(delays[q])
                        w.append(weights[q])
                    }
                    rowStart.append(Int32(off.count))
                }
            }
            parts.append(CouplingPart(range: r, tiles: tiles, rowStart: rowStart, offset: off, delay: lag, weight: w, channels: channels))
        }
        self.parts = parts
        var ss = [Int32](repeating: 0, count: n + 1), src: [Int32] = [], sd: [Int32] = [], sw: [Double] = []
        var minCross = Int.max
        var rs = [Double](repeating: 0, count: n)
        let identity = C.historyHoldsState
        var sw0 = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for j in stride(from: i % L, to: n, by: L) {
                guard let (wq, dq) = edge(i, j) else { continue }
                rs[i] += wq
                guard dq < longMin else { continue }
                if identity && i == j && dq == 0 {
                    sw0[i] = wq
                    continue
                }
                src.append(Int32(j)); sd.append(dq); sw.append(wq)
                if partOf[i] != partOf[j] { minCross = min(minCross, Int(dq)) }
            }
            ss[i + 1] = Int32(src.count)
        }
        recent = Storage(repeating: 0, count: channels * 2 * recentSlots * n)
        shortOffset = Storage(zip(sd, src).map { d, j in Int32((recentSlots - Int(d)) * n + Int(j)) })
        shortStart = Storage(ss)
        shortWeight = Storage(sw)
        var interval = massBlock
        while interval > 1 && interval > minCross { interval /= 2 }
        barrierInterval = minCross == 0 ? 1 : interval
        rowSum = Storage(rs)
        selfWeight = Storage(sw0)
        hasSelf = sw0.contains { $0 != 0 }
        sums = Storage(repeating: 0, count: channels * n)
    }

    /// Long edges between nodes (a batch's region edge serves each of its lanes).
    var longEdgeCount: Int { parts.reduce(0) { $0 + $1.weight.count } * lanes }
    var shortEdgeCount: Int { shortWeight.count + selfWeight.buffer.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
    var historyBytes: Int { hist.count * 8 }

    /// Writes the state after step `s` of regions `range` into the history: the coupling
    /// variables themselves, or the coupling's source terms of them. Every value goes to the
    /// newest slots (`recent`, slot-major) at once; the history rows take the newest
    /// `flushSlots` slots every `flushSlots` steps (`flush`), so a row's cache lines are written
    /// together. Written a slot per step, each row's line missed the cache every step: 12 % of a
    /// MontbrioPazoRoxin step. Long edges read the rows only at a block's start, a multiple of
    /// `flushSlots`, and every slot they read is in by then.
    func write(step s: Int, _ x: UnsafePointer<Double>, range: Range<Int>) {
        stage(step: s, x, range: range)
        if s % flushSlots == 0 && s > 0 { flush(through: s, range: range) }
    }

    /// The newest slot's values of nodes `range` (slots s mod 32 and s mod 32 + 32 of `recent`).
    func stage(step s: Int, _ x: UnsafePointer<Double>, range: Range<Int>) {
        let newest = recent.base + (s & (recentSlots - 1)) * n, ring = 2 * recentSlots * n, copy = recentSlots * n
        if C.historyHoldsState {
            for k in 0..<channels {
                let src = x + cvars[k] * n, r = newest + k * ring
                for j in range { r[j] = src[j]; r[copy &+ j] = src[j] }
            }
            return
        }
        let f = coupling
        let cpo = C.historyChannelsPerOutput, ipo = C.inputsPerOutput
        let outputs = channels / cpo
        let offsets = UnsafePointer(cvarOffset.base)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: cpo) { buffer in
            let out = buffer.baseAddress!
            for j in range {
                let f = lanes == 1 ? f : nodeCouplings[j]
                for m in 0..<outputs {
                    f.history(CouplingValues(x + j, offsets + m * ipo), out)
                    for k in 0..<cpo {
                        newest[(m * cpo + k) * ring + j] = out[k]
                        newest[(m * cpo + k) * ring + copy + j] = out[k]
                    }
                }
            }
        }
    }

    /// The history rows of nodes `range` take slots s - flushSlots + 1 ... s from the newest
    /// slots (held twice there, so they are consecutive). A row holds its region's lanes side by
    /// side in each slot (one run: one lane), so a region's slots are one contiguous run.
    func flush(through s: Int, range: Range<Int>) {
        let first = s - flushSlots + 1
        let cap = capacity, rl = rowLength
        let p0 = first % cap
        // No slot passes the ring's end or lies in its first block (written twice).
        let plain = p0 >= massBlock && p0 + flushSlots <= cap
        let ring = 2 * recentSlots * n
        withLaneCount(lanes) { width in
            for k in 0..<channels {
                let src = UnsafePointer(recent.base + k * ring + (first & (recentSlots - 1)) * n)
                let rows = hist.base + k * n * rl
                for u in stride(from: range.lowerBound, to: range.upperBound, by: width) {
                    let row = rows + u &* rl, from = src + u
                    @inline(__always) func put(_ p: Int, _ i: Int) {
                        for l in 0..<width { row[p &* width &+ l] = from[i &* n &+ l] }
                    }
                    if plain {
                        for i in 0..<flushSlots { put(p0 &+ i, i) }
                    } else {
                        for i in 0..<flushSlots {
                            var p = p0 &+ i
                            if p >= cap { p &-= cap }
                            put(p, i)
                            if p < massBlock { put(p &+ cap, i) }
                        }
                    }
                }
            }
        }
    }

    /// Fills every slot with the state x (constant initial history).
    func fill(_ x: UnsafePointer<Double>) {
        for s in 0..<recentSlots { stage(step: s, x, range: 0..<n) }
        let ring = 2 * recentSlots * n, L = lanes
        for k in 0..<channels {
            let rows = hist.base + k * n * rowLength
            for u in 0..<n {
                // Node u is lane u % L of the row of node u - u % L.
                let v = recent.base[k * ring + u], row = rows + (u - u % L) * rowLength + u % L
                for p in 0..<rowLength { row[p * L] = v }
            }
        }
    }

    /// Long-edge sums of part `p` for the steps n0 ..< n0 + block: for each target, its edges
    /// add `w * row_j[n0-d ..< n0-d+block]` into a block of accumulators kept in registers.
    func accumulate(part p: Int, blockStart n0: Int) {
        if lanes > 1 { return accumulateLanes(part: p, blockStart: n0) }
        let part = parts[p]
        let count = part.range.count
        let len = count * massBlock
        let acc = part.acc.base
        let slot = n0 % capacity, cap = capacity
        let rs = part.rowStart.base, of = part.offset.base, lag = part.delay.base, wt = part.weight.base
        for k in 0..<channels {
            let a = acc + k * len
            let rows = UnsafeRawPointer(hist.base + k * n * rowLength)
            for tile in 0..<part.tiles {
                let seg = rs + tile * count
                for t in 0..<count {
                    // A target without sources in this tile keeps its sums.
                    if tile > 0 && seg[t] == seg[t + 1] { continue }
                    let dst = UnsafeMutableRawPointer(a + t * massBlock)
                    var s0 = SIMD8<Double>(repeating: 0), s1 = SIMD8<Double>(repeating: 0)
                    if tile > 0 {
                        s0 = dst.load(as: SIMD8<Double>.self)
                        s1 = dst.load(fromByteOffset: 64, as: SIMD8<Double>.self)
                    }
                    var e = Int(seg[t])
                    let end = Int(seg[t + 1])
                    while e < end {
                        let src = rows + Self.blockStart(of[e], lag[e], slot: slot, lanes: 1, capacity: cap) &* 8
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

    /// Where an edge's history for the block starting at slot `slot` (n0 mod capacity) begins,
    /// in doubles from its channel's rows: slot n0 - d lies at capacity - d + slot (the edge's
    /// `offset`), or one capacity earlier when slot >= d.
    @inline(__always)
    static func blockStart(_ offset: Int32, _ delay: Int32, slot: Int, lanes: Int, capacity: Int) -> Int {
        Int(offset) &+ (slot &- (slot >= Int(delay) ? capacity : 0)) &* lanes
    }

    /// `accumulate` for a batch: a target region's block is block x L accumulators side by side
    /// ([step][lane]), and each edge adds its weight times its block x L contiguous history values
    /// to them, 64 (eight vectors, in registers across the edges) at a time, then 16. Each
    /// accumulator sums its lane's edges in source order from 0, as a run of its own does. (One
    /// run keeps the loop above: through this one it measured 3 % slower.)
    func accumulateLanes(part p: Int, blockStart n0: Int) {
        let part = parts[p]
        let L = lanes, targets = part.range.count / L
        let width = massBlock * L, len = targets * width
        let acc = part.acc.base
        let slot = n0 % capacity, cap = capacity
        let rs = part.rowStart.base, of = part.offset.base, lag = part.delay.base, wt = part.weight.base
        typealias V = SIMD8<Double>
        for k in 0..<channels {
            let a = acc + k * len
            let rows = UnsafeRawPointer(hist.base + k * n * rowLength)
            for tile in 0..<part.tiles {
                let seg = rs + tile * targets
                for t in 0..<targets {
                    // A target without sources in this tile keeps its sums.
                    if tile > 0 && seg[t] == seg[t + 1] { continue }
                    let (first, end) = (Int(seg[t]), Int(seg[t + 1]))
                    let dst = UnsafeMutableRawPointer(a + t * width)
                    /// Columns c ..< c + 64 of the block: eight vectors in registers across the edges.
                    @inline(__always) func eight(_ c: Int) {
                        let d = dst + c &* 8
                        var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V(), s6 = V(), s7 = V()
                        if tile > 0 {
                            s0 = d.load(as: V.self); s1 = d.load(fromByteOffset: 64, as: V.self)
                            s2 = d.load(fromByteOffset: 128, as: V.self); s3 = d.load(fromByteOffset: 192, as: V.self)
                            s4 = d.load(fromByteOffset: 256, as: V.self); s5 = d.load(fromByteOffset: 320, as: V.self)
                            s6 = d.load(fromByteOffset: 384, as: V.self); s7 = d.load(fromByteOffset: 448, as: V.self)
                        }
                        var e = first
                        while e < end {
                            let src = rows + (Self.blockStart(of[e], lag[e], slot: slot, lanes: L, capacity: cap) &+ c) &* 8
                            let w = V(repeating: wt[e])
                            s0 += w * src.loadUnaligned(as: V.self)
                            s1 += w * src.loadUnaligned(fromByteOffset: 64, as: V.self)
                            s2 += w * src.loadUnaligned(fromByteOffset: 128, as: V.self)
                            s3 += w * src.loadUnaligned(fromByteOffset: 192, as: V.self)
                            s4 += w * src.loadUnaligned(fromByteOffset: 256, as: V.self)
                            s5 += w * src.loadUnaligned(fromByteOffset: 320, as: V.self)
                            s6 += w * src.loadUnaligned(fromByteOffset: 384, as: V.self)
                            s7 += w * src.loadUnaligned(fromByteOffset: 448, as: V.self)
                            e &+= 1
                        }
                        d.storeBytes(of: s0, as: V.self); d.storeBytes(of: s1, toByteOffset: 64, as: V.self)
                        d.storeBytes(of: s2, toByteOffset: 128, as: V.self); d.storeBytes(of: s3, toByteOffset: 192, as: V.self)
                        d.storeBytes(of: s4, toByteOffset: 256, as: V.self); d.storeBytes(of: s5, toByteOffset: 320, as: V.self)
                        d.storeBytes(of: s6, toByteOffset: 384, as: V.self); d.storeBytes(of: s7, toByteOffset: 448, as: V.self)
                    }
                    /// Columns c ..< c + 16: two vectors.
                    @inline(__always) func two(_ c: Int) {
                        let d = dst + c &* 8
                        var s0 = V(), s1 = V()
                        if tile > 0 { s0 = d.load(as: V.self); s1 = d.load(fromByteOffset: 64, as: V.self) }
                        var e = first
                        while e < end {
                            let src = rows + (Self.blockStart(of[e], lag[e], slot: slot, lanes: L, capacity: cap) &+ c) &* 8
                            let w = V(repeating: wt[e])
                            s0 += w * src.loadUnaligned(as: V.self)
                            s1 += w * src.loadUnaligned(fromByteOffset: 64, as: V.self)
                            e &+= 1
                        }
                        d.storeBytes(of: s0, as: V.self); d.storeBytes(of: s1, toByteOffset: 64, as: V.self)
                    }
                    var c = 0
                    while c &+ 64 <= width { eight(c); c &+= 64 }
                    while c < width { two(c); c &+= 16 }
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
        let ssb = shortStart.base, sof = shortOffset.base, sw = shortWeight.base
        let now = (step & (recentSlots - 1)) * n
        let sw0 = selfWeight.base
        let f = coupling
        // Channel m is output m and gx its sum: the post-function is applied in the same pass.
        let fused = !C.preReadsTarget && C.historyChannelsPerOutput == 1
        let fs = UnsafePointer(nodeCouplings.base)
        let anyShort = shortWeight.count > 0
        for ch in 0..<channels {
            let a = acc + ch * len + k - r.lowerBound * massBlock
            let rec = UnsafePointer(recent.base + ch * 2 * recentSlots * n + now)
            let xs = x + cvars[min(ch, cvars.count - 1)] * n
            if lanes > 1 {
                // A batch: the lanes of a region have the same edges (sources j*L + l), so their
                // sums run side by side in SIMD registers, each lane's in the order of a run of its own.
                // The long-edge sums of the region whose lane-0 node is i, at this step: a + i * block,
                // its lanes side by side.
                let a = acc + ch * len - r.lowerBound * massBlock + k * lanes
                /// Lane group l0 ..< l0 + V.scalarCount of every region, four regions at a time.
                @inline(__always) func group<V: SIMD>(_ v: V.Type, _ l0: Int) where V.Scalar == Double {
                    var i = r.lowerBound
                    while i &+ 4 &* lanes <= r.upperBound {
                        laneSums4(v, i, l0, a, xs, rec, ch, fused, c)
                        i &+= 4 &* lanes
                    }
                    while i < r.upperBound {
                        laneSums(v, i, l0, a, xs, rec, ch, fused, c)
                        i &+= lanes
                    }
                }
                var l0 = 0
                while l0 < lanes {
                    if lanes - l0 >= 8 {
                        group(SIMD8<Double>.self, l0)
                        l0 &+= 8
                    } else if lanes - l0 >= 4 {
                        group(SIMD4<Double>.self, l0)
                        l0 &+= 4
                    } else if lanes - l0 >= 2 {
                        group(SIMD2<Double>.self, l0)
                        l0 &+= 2
                    } else {
                        group(SIMD2<Double>.self, l0 - 1)   // the last two lanes (one again)
                        l0 &+= 1
                    }
                }
                continue
            }
            /// Target t's sum: its channel sum, or (fused) its coupling term.
            @inline(__always) func store(_ t: Int, _ s: Double) {
                if !fused {
                    S[ch &* n &+ t] = s
                } else if lanes == 1 {
                    c[ch &* n &+ t] = f.post(s)
                } else {
                    c[ch &* n &+ t] = fs[t].post(s)
                }
            }
            /// x_j(step - d) of short edge e.
            @inline(__always) func delayed(_ e: Int) -> Double { rec[Int(sof[e])] }
            // Four targets' short-edge sums side by side (each a chain of dependent adds, in
            // source order), so four adds are in flight; the values are the same as one at a time.
            var i = r.lowerBound
            while anyShort && i &+ 4 <= r.upperBound {
                var s0 = a[i &* massBlock], s1 = a[(i &+ 1) &* massBlock], s2 = a[(i &+ 2) &* massBlock], s3 = a[(i &+ 3) &* massBlock]
                if hasSelf {
                    s0 += sw0[i] * xs[i]; s1 += sw0[i &+ 1] * xs[i &+ 1]
                    s2 += sw0[i &+ 2] * xs[i &+ 2]; s3 += sw0[i &+ 3] * xs[i &+ 3]
                }
                var (e0, e1, e2, e3) = (Int(ssb[i]), Int(ssb[i &+ 1]), Int(ssb[i &+ 2]), Int(ssb[i &+ 3]))
                let (f0, f1, f2, f3) = (e1, e2, e3, Int(ssb[i &+ 4]))
                let common = Swift.min(f0 &- e0, f1 &- e1, f2 &- e2, f3 &- e3)
                for _ in 0..<common {
                    s0 += sw[e0] * delayed(e0); s1 += sw[e1] * delayed(e1)
                    s2 += sw[e2] * delayed(e2); s3 += sw[e3] * delayed(e3)
                    e0 &+= 1; e1 &+= 1; e2 &+= 1; e3 &+= 1
                }
                while e0 < f0 { s0 += sw[e0] * delayed(e0); e0 &+= 1 }
                while e1 < f1 { s1 += sw[e1] * delayed(e1); e1 &+= 1 }
                while e2 < f2 { s2 += sw[e2] * delayed(e2); e2 &+= 1 }
                while e3 < f3 { s3 += sw[e3] * delayed(e3); e3 &+= 1 }
                store(i, s0); store(i &+ 1, s1); store(i &+ 2, s2); store(i &+ 3, s3)
                i &+= 4
            }
            while i < r.upperBound {
                var s = a[i &* massBlock]
                if hasSelf { s += sw0[i] * xs[i] }
                if anyShort {
                    var e = Int(ssb[i])
                    let end = Int(ssb[i + 1])
                    while e < end {
                        s += sw[e] * delayed(e)
                        e &+= 1
                    }
                }
                store(i, s)
                i &+= 1
            }
        }
        if fused { return }
        let cpo = C.historyChannelsPerOutput, ipo = C.inputsPerOutput
        let rs = rowSum.base
        let xo = UnsafePointer(cvarOffset.base), so = UnsafePointer(channelOffset.base)
        for m in 0..<(channels / cpo) {
            let sm = UnsafePointer(S + m * cpo * n), xm = xo + m * ipo
            let cm = c + m &* n
            if lanes == 1 {
                for i in r { cm[i] = f.post(f.gather(CouplingValues(sm + i, so), CouplingValues(x + i, xm), rowSum: rs[i])) }
            } else {
                for i in r { cm[i] = fs[i].post(fs[i].gather(CouplingValues(sm + i, so), CouplingValues(x + i, xm), rowSum: rs[i])) }
            }
        }
    }

    /// A batch's coupling sums of lanes l0 ..< l0 + V.scalarCount of the region whose lane-0 node
    /// is i: the long-edge sums (`a + i * block`, lanes side by side), the self term, then the
    /// short edges, as `coupling` sums a node.
    @inline(__always)
    func laneSums<V: SIMD>(_: V.Type, _ i: Int, _ l0: Int, _ a: UnsafeMutablePointer<Double>, _ xs: UnsafePointer<Double>,
                           _ rec: UnsafePointer<Double>, _ ch: Int, _ fused: Bool,
                           _ c: UnsafeMutablePointer<Double>) where V.Scalar == Double {
        let ssb = shortStart.base
        var s: V = laneStart(i, l0, a, xs)
        for e in Int(ssb[i])..<Int(ssb[i &+ 1]) { s += laneTerm(e, l0, rec) }
        laneFinish(s, i, l0, ch, fused, c)
    }

    /// `laneSums` of four regions (lane-0 nodes i, i + L, i + 2L, i + 3L) side by side: each sum
    /// is a chain of dependent adds, so four are in flight; each the same as alone.
    @inline(__always)
    func laneSums4<V: SIMD>(_: V.Type, _ i: Int, _ l0: Int, _ a: UnsafeMutablePointer<Double>, _ xs: UnsafePointer<Double>,
                            _ rec: UnsafePointer<Double>, _ ch: Int, _ fused: Bool,
                            _ c: UnsafeMutablePointer<Double>) where V.Scalar == Double {
        let ssb = shortStart.base, L = lanes
        let (i1, i2, i3) = (i &+ L, i &+ 2 &* L, i &+ 3 &* L)
        var (s0, s1, s2, s3): (V, V, V, V) = (laneStart(i, l0, a, xs), laneStart(i1, l0, a, xs),
                                             laneStart(i2, l0, a, xs), laneStart(i3, l0, a, xs))
        var (e0, e1, e2, e3) = (Int(ssb[i]), Int(ssb[i1]), Int(ssb[i2]), Int(ssb[i3]))
        let (f0, f1, f2, f3) = (Int(ssb[i &+ 1]), Int(ssb[i1 &+ 1]), Int(ssb[i2 &+ 1]), Int(ssb[i3 &+ 1]))
        for _ in 0..<Swift.min(f0 &- e0, f1 &- e1, f2 &- e2, f3 &- e3) {
            s0 += laneTerm(e0, l0, rec); s1 += laneTerm(e1, l0, rec)
            s2 += laneTerm(e2, l0, rec); s3 += laneTerm(e3, l0, rec)
            e0 &+= 1; e1 &+= 1; e2 &+= 1; e3 &+= 1
        }
        while e0 < f0 { s0 += laneTerm(e0, l0, rec); e0 &+= 1 }
        while e1 < f1 { s1 += laneTerm(e1, l0, rec); e1 &+= 1 }
        while e2 < f2 { s2 += laneTerm(e2, l0, rec); e2 &+= 1 }
        while e3 < f3 { s3 += laneTerm(e3, l0, rec); e3 &+= 1 }
        laneFinish(s0, i, l0, ch, fused, c); laneFinish(s1, i1, l0, ch, fused, c)
        laneFinish(s2, i2, l0, ch, fused, c); laneFinish(s3, i3, l0, ch, fused, c)
    }

    /// A lane group's long-edge sums and self term, where its short edges continue.
    @inline(__always)
    func laneStart<V: SIMD>(_ i: Int, _ l0: Int, _ a: UnsafeMutablePointer<Double>, _ xs: UnsafePointer<Double>) -> V where V.Scalar == Double {
        var s = UnsafeRawPointer(a + (i &* massBlock &+ l0)).loadUnaligned(as: V.self)
        if hasSelf {
            let node = i &+ l0
            var w = V(), xv = V()
            let sw0 = selfWeight.base
            for l in 0..<V.scalarCount { w[l] = sw0[node &+ l]; xv[l] = xs[node &+ l] }
            s += w * xv
        }
        return s
    }

    /// Short edge e's term for a lane group.
    @inline(__always)
    func laneTerm<V: SIMD>(_ e: Int, _ l0: Int, _ rec: UnsafePointer<Double>) -> V where V.Scalar == Double {
        V(repeating: shortWeight.base[e]) * UnsafeRawPointer(rec + (Int(shortOffset.base[e]) &+ l0)).loadUnaligned(as: V.self)
    }

    /// A lane group's sums into the channel sums, or (fused) its coupling terms.
    @inline(__always)
    func laneFinish<V: SIMD>(_ s: V, _ i: Int, _ l0: Int, _ ch: Int, _ fused: Bool, _ c: UnsafeMutablePointer<Double>) where V.Scalar == Double {
        let o = ch &* n &+ i &+ l0
        if fused {
            let fs = couplings.base + l0
            for l in 0..<V.scalarCount { c[o &+ l] = fs[l].post(s[l]) }
        } else {
            let S = sums.base + o
            for l in 0..<V.scalarCount { S[l] = s[l] }
        }
    }
}

// MARK: - TVB's float32 arithmetic

/// TVB's SparseHistory + coupling, operation by operation: the history ring (`horizon` slots of the
/// coupling variables) and the weights in float32, the coupling's `pre` evaluated with float32
/// history values and `C.TVBPre` arithmetic. Sparse couplings form the products over the nonzero
/// weights of each row in column order and sum them like `numpy.add.reduceat` into float32; dense
/// couplings evaluate every column (delayed state 0 where the weight is zero) and sum like
/// `ndarray.sum(axis)`; post-functions run in float64.
@usableFromInline final class TVBCoupling<C: MassCoupling>: @unchecked Sendable {
    typealias P = C.TVBPre
    let n: Int
    let horizon: Int
    let ncvar: Int
    let cvars: [Int]
    let coupling: C
    let hist: Storage<Float>          // [slot][cvar][region]
    let rowStart: Storage<Int32>
    let col: Storage<Int32>
    let delay: Storage<Int32>
    let weight32: Storage<Float>
    let scratch: Storage<P>
    /// k * n: coupling variable k of a region within a history slot.
    let cvarOffset: Storage<Int>
    /// The delayed state of a zero weight in TVB's dense history: 0 for every variable.
    let zero: Storage<Float>
    let zeroOffset: Storage<Int>

    init(_ coupling: C, weights: [Double], delays: [Int32], n: Int, cvars: [Int]) {
        self.n = n
        self.coupling = coupling
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
        scratch = Storage(repeating: 0, count: max(1, n))
        cvarOffset = Storage((0..<max(1, ncvar)).map { $0 * n })
        zero = Storage(repeating: 0, count: 1)
        zeroOffset = Storage(repeating: 0, count: max(1, ncvar))
    }

    func write(step s: Int, _ x: UnsafePointer<Double>, range: Range<Int>) {
        let base = hist.base + (s % horizon) * ncvar * n
        for m in 0..<ncvar { for j in range { base[m * n + j] = Float(x[cvars[m] * n + j]) } }
    }

    func fill(_ x: UnsafePointer<Double>) {
        for s in 0..<horizon { write(step: s, x, range: 0..<n) }
    }

    /// The history slot of x(step - d) (step already taken modulo the horizon).
    @inline(__always) func slot(_ step: Int, _ d: Int32) -> UnsafePointer<Float> {
        var slot = step &- Int(d)
        slot &+= (slot >> 63) & horizon
        return UnsafePointer(hist.base + slot * ncvar * n)
    }

    func coupling(step stepIndex: Int, _ c: UnsafeMutablePointer<Double>, range: Range<Int>) {
        // Slots are taken modulo the horizon once; `slot` wraps the difference.
        let step = stepIndex % horizon
        let rs = rowStart.base, cl = col.base, dl = delay.base, w = weight32.base
        let t = scratch.base
        let current = UnsafePointer(hist.base + step * ncvar * n)
        let f = coupling
        let ipo = C.inputsPerOutput
        let offsets = UnsafePointer(cvarOffset.base)
        let zeros = CouplingValues(UnsafePointer(zero.base), UnsafePointer(zeroOffset.base))
        for m in 0..<C.outputs(ncvar: ncvar) {
            let om = offsets + m * ipo
            for i in range {
                let e0 = Int(rs[i]), e1 = Int(rs[i + 1])
                let xi = CouplingValues(current + i, om)
                switch C.tvbForm {
                case .sparse:
                    // The sum array has the history's type (numpy.zeros_like(x_i)).
                    var g: Float = 0
                    if e1 > e0 {
                        for e in e0..<e1 {
                            let pre: P = f.pre(xi, CouplingValues(slot(step, dl[e]) + Int(cl[e]), om))
                            t[e - e0] = P(w[e]) * pre
                        }
                        g = Float(numpyReduceatSum(t, e1 - e0))
                    }
                    c[m * n + i] = f.post(Double(g))
                case .dense:
                    let zeroPre: P = f.pre(xi, zeros)
                    let zeroTerm = P(Float(0)) * zeroPre
                    var e = e0
                    for j in 0..<n {
                        if e < e1 && Int(cl[e]) == j {
                            let pre: P = f.pre(xi, CouplingValues(slot(step, dl[e]) + j, om))
                            t[j] = P(w[e]) * pre
                            e += 1
                        } else {
                            t[j] = zeroTerm
                        }
                    }
                    c[m * n + i] = f.post(Double(numpySum(t, n)))
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
