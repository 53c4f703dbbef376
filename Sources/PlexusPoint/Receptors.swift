import PlexusCore

/// Where the spike input of one thread's neurons lives in its input ring rows. Each neuron has
/// one channel pair (excitatory, inhibitory: split by the weight's sign) at its thread-local
/// index, as always; a multisynapse neuron (NEST's receptor ports, receptor_type 1 ... K) has K
/// more pairs, one per port, after the `nLocal` ordinary ones. A synapse's target word holds
/// the pair it writes to, so the delivery loop is the same for every model; a thread without
/// multisynapse neurons has `pairs == nLocal` and rows exactly as before.
struct ReceptorLayout: Sendable {
    struct Segment: Sendable {
        /// Index into `PointNetwork.neuronPopulations`.
        let population: Int
        /// Thread-local index of the population's first neuron in this thread, and how many.
        let firstLocal: Int
        let count: Int
        /// Population index of that first neuron.
        let firstInPopulation: Int
        let ports: Int
        /// Pair index of port 1 of the first neuron (neuron k's port r: base + k·ports + r − 1).
        let base: Int
    }

    let nLocal: Int
    /// Pairs in a row: nLocal plus the ports of the multisynapse neurons.
    let pairs: Int
    let segments: [Segment]

    init(part: Range<Int>, populations: [NeuronPopulation]) {
        nLocal = part.count
        var next = part.count
        var segs: [Segment] = []
        for (pi, p) in populations.enumerated() {
            guard let ports = p.receptorPorts, ports > 0 else { continue }
            let lo = max(part.lowerBound, p.firstNeuron), hi = min(part.upperBound, p.firstNeuron + p.size)
            guard lo < hi else { continue }
            segs.append(Segment(population: pi, firstLocal: lo - part.lowerBound, count: hi - lo,
                                firstInPopulation: lo - p.firstNeuron, ports: ports, base: next))
            next += (hi - lo) * ports
        }
        pairs = next
        segments = segs
    }

    /// The pair of port `receptor` (1-based) of thread-local neuron `j`, which must belong to a
    /// multisynapse population with that port.
    func pair(localNeuron j: Int, receptor: Int) -> Int {
        for s in segments where j >= s.firstLocal && j < s.firstLocal + s.count {
            precondition(receptor >= 1 && receptor <= s.ports, "receptor port out of range")
            return s.base + (j - s.firstLocal) * s.ports + receptor - 1
        }
        preconditionFailure("neuron \(j) has no receptor ports")
    }

    /// The thread-local neuron and receptor port (0 for the ordinary pair) of pair `p`.
    func neuron(ofPair p: Int) -> (neuron: Int, receptor: Int) {
        if p < nLocal { return (p, 0) }
        for s in segments where p >= s.base && p < s.base + s.count * s.ports {
            let k = p - s.base
            return (s.firstLocal + k / s.ports, k % s.ports + 1)
        }
        preconditionFailure("pair \(p) out of range")
    }

    /// For population `population`: the pair offset to add to a row so that the model finds port
    /// r of population neuron i at pair i·ports + r (`StepInput.receptor`); nil for populations
    /// without ports here.
    func portOffset(population: Int) -> Int? {
        for s in segments where s.population == population { return s.base - s.firstInPopulation * s.ports }
        return nil
    }
}

extension PointNetwork {
    /// Thread `t`'s channel pairs that belong to precise-timing neurons (1) and the others (0);
    /// nil when it has none, so that grid-only threads keep no event rings.
    func precisePairs(thread t: Int) -> [UInt8]? {
        let part = partitions[t]
        var flags: [UInt8]? = nil
        for p in neuronPopulations where p.isPrecise {
            let lo = max(part.lowerBound, p.firstNeuron), hi = min(part.upperBound, p.firstNeuron + p.size)
            guard lo < hi else { continue }
            if flags == nil { flags = [UInt8](repeating: 0, count: max(1, receptorLayouts[t].pairs)) }
            for j in lo..<hi { flags![j - part.lowerBound] = 1 }
        }
        return flags
    }
}

/// The sort of a step's precise events (`PreciseEvent.before`: target, then time, then arrival):
/// a heap sort in place, so a step allocates nothing; keys are unique (arrival numbers), so the
/// order is the same whatever the algorithm.
enum PreciseEvents {
    static func sort(_ a: UnsafeMutablePointer<PreciseEvent>, count n: Int) {
        if n < 16 {
            for i in 1..<max(1, n) {
                let x = a[i]
                var j = i
                while j > 0 && PreciseEvent.before(x, a[j - 1]) { a[j] = a[j - 1]; j -= 1 }
                a[j] = x
            }
            return
        }
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while 2 * root + 1 < end {
                var child = 2 * root + 1
                if child + 1 < end && PreciseEvent.before(a[child], a[child + 1]) { child += 1 }
                if PreciseEvent.before(a[root], a[child]) {
                    (a[root], a[child]) = (a[child], a[root])
                    root = child
                } else {
                    return
                }
            }
        }
        var start = n / 2 - 1
        while start >= 0 { siftDown(start, n); start -= 1 }
        var end = n - 1
        while end > 0 {
            (a[0], a[end]) = (a[end], a[0])
            siftDown(0, end)
            end -= 1
        }
    }
}
