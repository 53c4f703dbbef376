import PlexusCore

// A point network over several ranks (MPI processes). The neurons are split into
// ranks x threads contiguous parts in gid order (`globalPartitions`); rank r holds its parts'
// neurons (state, input rings) and every synapse onto them, built from the same keyed draws as
// one process makes (every draw is keyed by target gid, or by source gid for fixed_outdegree), so
// the connections are the same for any split. Each epoch the ranks exchange the epoch's spikes
// (`RankSpikeExchange`: to the ranks that need them, or to all); each rank delivers them to its
// own targets in part order, which is gid order, so every ring-buffer sum is the same as in one
// process. Rank 0 gathers what was recorded and writes the files: they are byte-identical to one
// process's.
//
// What spans ranks besides spikes: gap junctions (each WFR iteration's polynomials and
// convergence, GapJunctions.swift), structural plasticity (every rank keeps the whole structure
// and runs the same update after the ranks share their neurons' elements), volume transmitters
// (every rank keeps each transmitter; the dopaminergic spikes go to every rank). Their min delay
// is the one process's: `joinRanks` takes the minimum over the ranks' own connections.
//
// Per-rank memory that does not shrink with more ranks (docs/SCALING.md lists every term): the
// neuron-of-node table, rank 0's recorder table, one row offset per node in each thread's
// synapse table, and the spikes of the epoch it receives.

extension PointNetwork {
    /// Builds this rank's part of the network. Collective: every rank calls it, and when the
    /// build fails on any rank, every rank throws the same error (that of the lowest rank).
    /// `exchange` chooses how the ranks' spikes cross (`SpikeExchangeMode`; the numbers are the
    /// same either way).
    public static func distributed(_ experiment: PointExperiment, team: ThreadTeam, communicator: any Communicator,
                                   exchange: SpikeExchangeMode = .targeted) throws -> PointNetwork {
        let network = try communicator.agreeing { try PointNetwork(experiment, team: team, communicator: communicator) }
        // Every rank computes the same joined values, so a failure here is every rank's.
        var failure: PlexusError?
        do { try network.joinRanks() } catch let e as PlexusError { failure = e }
        try communicator.agree(failure)
        if communicator.size > 1 && exchange == .targeted { network.spikeRoutes = network.makeSpikeRoutes() }
        return network
    }

    /// The node of neuron index `i`.
    func node(ofNeuron i: Int) -> Int {
        let p = neuronPopulations.last { $0.firstNeuron <= i }!
        return p.firstNode + (i - p.firstNeuron)
    }

    /// The nodes of rank `r`'s neurons (a range that may also hold device nodes created between
    /// its populations; they send no spikes through the exchange).
    func nodeRange(ofRank r: Int) -> Range<Int> {
        let n = neuronRange(ofRank: r)
        return n.isEmpty ? 0..<0 : node(ofNeuron: n.lowerBound)..<(node(ofNeuron: n.upperBound - 1) + 1)
    }

    /// The neuron indices of rank `r` (its threads' parts, contiguous).
    func neuronRange(ofRank r: Int) -> Range<Int> {
        let threads = team.count
        return globalPartitions[r * threads].lowerBound..<globalPartitions[(r + 1) * threads - 1].upperBound
    }

    /// Which ranks need each of this rank's neurons' spikes (collective): a rank needs a source
    /// when a synapse of its tables starts there, rank 0 also every source its spike recorders
    /// record. Each rank marks the sources it needs (a bit per node), sends each rank the bits of
    /// that rank's nodes (MPI_Alltoallv: N/8 bytes out, n/8 from each rank in), and lists, per
    /// own neuron, the ranks whose bit was set.
    func makeSpikeRoutes() -> SpikeRoutes {
        let ranks = communicator.size
        var needed = [UInt64](repeating: 0, count: (nodeCount + 63) / 64)
        func mark(_ node: Int) { needed[node >> 6] |= 1 << UInt64(node & 63) }
        for conn in connectivity {
            for g in conn.rows.sources { mark(g) }
        }
        for pl in plastic {
            for table in pl.tables {
                for i in 0..<table.sourceCount where table.offsets[i + 1] > table.offsets[i] { mark(table.firstSource + i) }
            }
        }
        // Every rank keeps every volume transmitter: the spikes they count go everywhere.
        for g in 0..<(transmitterInputs.offsets.count - 1) where transmitterInputs.offsets[g + 1] > transmitterInputs.offsets[g] { mark(g) }
        if let engine = structural.engine {
            // Structural synapses appear during the run: a rank with post elements needs every
            // neuron that has the matching pre element.
            for syn in engine.synapses where localNeurons.contains(where: { engine.hasElement[syn.post][$0] }) {
                for n in 0..<neuronCount where engine.hasElement[syn.pre][n] { mark(engine.nodeOfNeuron[n]) }
            }
        }
        if communicator.rank == 0 {
            for case .spikes(let name) in experiment.recordings {
                if let info = population(named: name), info.isNeuron { for n in info.nodes { mark(n) } }
            }
        }
        // The bits of each rank's nodes, packed from the range's first node.
        let ranges = (0..<ranks).map { nodeRange(ofRank: $0) }
        var send: [UInt8] = []
        var sendCounts: [Int] = []
        for r in ranges {
            let bytes = (r.count + 7) / 8
            var packed = [UInt8](repeating: 0, count: bytes)
            for (k, n) in r.enumerated() where needed[n >> 6] & (1 << UInt64(n & 63)) != 0 { packed[k >> 3] |= 1 << UInt8(k & 7) }
            send += packed
            sendCounts.append(bytes)
        }
        let mine = ranges[communicator.rank]
        let myBytes = (mine.count + 7) / 8
        var receive = [UInt8](repeating: 0, count: myBytes * ranks)
        send.withUnsafeBytes { s in
            receive.withUnsafeMutableBytes { communicator.alltoall(s, sendCounts: sendCounts, into: $0, receiveCounts: Array(repeating: myBytes, count: ranks)) }
        }
        var offsets: [Int32] = [0]
        var destinations: [Int32] = []
        for k in 0..<mine.count {
            for q in 0..<ranks where receive[q * myBytes + (k >> 3)] & (1 << UInt8(k & 7)) != 0 { destinations.append(Int32(q)) }
            offsets.append(Int32(destinations.count))
        }
        return SpikeRoutes(firstSource: mine.lowerBound, offsets: offsets, ranks: destinations)
    }

    /// The run's delays from every rank's (collective): the epoch length must be the same
    /// everywhere, and it is the smallest delay of any synapse of the whole network.
    func joinRanks() throws {
        guard communicator.size > 1 else { return }
        let all = communicator.allgather([Int64(localDelays.min), Int64(localDelays.max)])
        let minD = Int(all.map { $0[0] }.min()!), maxD = Int(all.map { $0[1] }.max()!)
        minDelay = minD == Int.max ? 10 : minD
        minDelayIsDefault = minD == Int.max
        maxDelay = Swift.max(maxD, minDelay)
        if !volumeTransmitters.isEmpty {
            // NEST's min delay counts every connection (devices, transmitters, recorders): the
            // smallest over the ranks' own, as one process finds it over all.
            minDelay = Int(communicator.minimum(Int64(nestMinDelay())))
            minDelayIsDefault = false
            for d in transmitterInputs.delays { maxDelay = Swift.max(maxDelay, Int(d)) }
            for p in transmitterPoisson { maxDelay = Swift.max(maxDelay, Int(p.delay)) }
            maxDelay = Swift.max(maxDelay, minDelay)
        }
        joinGapRanks()
        try joinStructuralRanks()
        for case let hook as VolumeTransmitterHook in epochHooks { hook.minDelay = Int64(minDelay) }
    }

    /// What does not run across ranks yet, refused before anything is built.
    func refuseAcrossRanks() throws {
        let ranks = "\(communicator.size) ranks"
        if case .nest = experiment.randomStreams {
            throw PlexusError("random_streams: nest draws in NEST's order of virtual processes, which is not split over MPI ranks yet (\(ranks)); use Plexus's own streams (identical for any split) or run one process",
                              keyPath: "kernel.random_streams")
        }
    }

    /// Static synapses, plastic ones and device connections of the whole run (collective when
    /// there are several ranks).
    public func totalCounts() -> (synapses: Int, plastic: Int, devices: Int, bytesPerSynapse: Double) {
        let local: [Int64] = [Int64(synapseCount), Int64(plasticSynapseCount), Int64(deviceConnectionCount), Int64(connectivityBytes)]
        let all = communicator.allgather(local)
        func total(_ k: Int) -> Int { Int(all.reduce(0) { $0 + $1[k] }) }
        let n = total(0)
        return (n, total(1), total(2), n > 0 ? Double(total(3)) / Double(n) : 0)
    }
}
