import CMPI
import Foundation
import PlexusCore

/// The ranks of an MPI launch (`mpirun -np N plexus run ...`) as a `Communicator`, over Open MPI.
///
/// MPI is initialised only when the process was started by an MPI launcher (its environment
/// names a world size); a plain `plexus run` never touches MPI and is one rank. Collectives are
/// called by one thread at a time (a thread team's member 0, between barriers), so the
/// `MPI_THREAD_SERIALIZED` level is what is asked for.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    private let comm: MPI_Comm

    private init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
        comm = plexus_mpi_comm_world()
    }

    /// The launch's world when the process was started by mpirun (or srun with PMIx), else nil.
    /// Initialises MPI once; `finalize` ends it.
    public static func world() throws -> MPICommunicator? {
        let env = ProcessInfo.processInfo.environment
        guard ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"].contains(where: { env[$0] != nil }) else { return nil }
        if let shared { return shared }
        var provided: Int32 = 0
        let rc = MPI_Init_thread(nil, nil, plexus_mpi_thread_serialized(), &provided)
        guard rc == plexus_mpi_success() else { throw PlexusError("MPI_Init_thread failed (error \(rc))") }
        guard provided >= plexus_mpi_thread_serialized() else {
            throw PlexusError("this MPI library gives thread level \(provided); Plexus needs MPI_THREAD_SERIALIZED (\(plexus_mpi_thread_serialized()))")
        }
        var r: Int32 = 0, n: Int32 = 0
        MPI_Comm_rank(plexus_mpi_comm_world(), &r)
        MPI_Comm_size(plexus_mpi_comm_world(), &n)
        let world = MPICommunicator(rank: Int(r), size: Int(n))
        shared = world
        return world
    }

    nonisolated(unsafe) private static var shared: MPICommunicator?

    /// Ends MPI (every rank, once, before exiting; a rank that exits without it makes mpirun
    /// stop the others).
    public static func finalize() {
        guard shared != nil else { return }
        MPI_Finalize()
        shared = nil
    }

    /// Gives up on the whole launch: the other ranks are stopped (for an error only this rank saw
    /// outside any collective agreement).
    public static func abort(_ code: Int32) {
        guard shared != nil else { return }
        MPI_Abort(plexus_mpi_comm_world(), code)
    }

    /// MPI counts and displacements are 32-bit: larger gathers go in rounds of at most this many
    /// bytes per rank, so that a round's total fits too.
    var chunk: Int { Int(Int32.max) / size }

    public func gather(_ send: UnsafeRawBufferPointer, counts: [Int], into receive: UnsafeMutableRawBufferPointer, root: Int?) {
        precondition(send.count == counts[rank], "rank \(rank) offers \(send.count) bytes, the counts say \(counts[rank])")
        let displacements = counts.reduce(into: [0]) { $0.append($0.last! + $1) }
        var done = 0
        let chunk = self.chunk
        let rounds = Swift.max(1, ((counts.max() ?? 0) + chunk - 1) / chunk)
        var roundCounts = [Int32](repeating: 0, count: size)
        var roundDisplacements = [Int32](repeating: 0, count: size)
        var staging: UnsafeMutableRawPointer? = nil
        defer { staging?.deallocate() }
        for _ in 0..<rounds {
            // This round's slice of every rank's bytes, packed after each other.
            var total = 0
            for r in 0..<size {
                let c = Swift.min(chunk, Swift.max(0, counts[r] - done))
                roundCounts[r] = Int32(c)
                roundDisplacements[r] = Int32(total)
                total += c
            }
            let direct = rounds == 1
            if !direct && staging == nil && (root == nil || root == rank) {
                staging = .allocate(byteCount: Swift.max(1, total), alignment: 16)
            }
            let target: UnsafeMutableRawPointer? = direct ? receive.baseAddress : staging
            let mine = Int(roundCounts[rank])
            let sendBase = send.baseAddress.map { $0 + done }
            if let root {
                MPI_Gatherv(sendBase, Int32(mine), plexus_mpi_byte(), target, roundCounts, roundDisplacements, plexus_mpi_byte(),
                            Int32(root), comm)
            } else {
                MPI_Allgatherv(sendBase, Int32(mine), plexus_mpi_byte(), target, roundCounts, roundDisplacements, plexus_mpi_byte(), comm)
            }
            if !direct, let staging, root == nil || root == rank {
                for r in 0..<size where roundCounts[r] > 0 {
                    (receive.baseAddress! + displacements[r] + done).copyMemory(from: staging + Int(roundDisplacements[r]),
                                                                                 byteCount: Int(roundCounts[r]))
                }
            }
            done += chunk
        }
    }

    public func alltoall(_ send: UnsafeRawBufferPointer, sendCounts: [Int], into receive: UnsafeMutableRawBufferPointer, receiveCounts: [Int]) {
        let chunk = Swift.min(self.chunk, 1 << 26)
        let sendDisplacements = sendCounts.reduce(into: [0]) { $0.append($0.last! + $1) }
        let receiveDisplacements = receiveCounts.reduce(into: [0]) { $0.append($0.last! + $1) }
        if sendDisplacements.last! <= Int(Int32.max) && receiveDisplacements.last! <= Int(Int32.max) {
            MPI_Alltoallv(send.baseAddress, sendCounts.map { Int32($0) }, sendDisplacements.dropLast().map { Int32($0) }, plexus_mpi_byte(),
                          receive.baseAddress, receiveCounts.map { Int32($0) }, receiveDisplacements.dropLast().map { Int32($0) }, plexus_mpi_byte(), comm)
            return
        }
        // Beyond 32-bit counts: rounds of at most `chunk` bytes per pair (displacements into the
        // whole buffers would overflow, so each round goes through staging buffers).
        let rounds = Swift.max(1, ((Swift.max(sendCounts.max() ?? 0, receiveCounts.max() ?? 0)) + chunk - 1) / chunk)
        let out = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, chunk * size), alignment: 16)
        let inn = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, chunk * size), alignment: 16)
        defer { out.deallocate(); inn.deallocate() }
        for k in 0..<rounds {
            let done = k * chunk
            var sc = [Int32](repeating: 0, count: size), sd = sc, rc = sc, rd = sc
            var at = 0
            for d in 0..<size {
                let c = Swift.min(chunk, Swift.max(0, sendCounts[d] - done))
                if c > 0 { (out + at).copyMemory(from: send.baseAddress! + sendDisplacements[d] + done, byteCount: c) }
                sc[d] = Int32(c); sd[d] = Int32(at); at += c
            }
            at = 0
            for q in 0..<size {
                let c = Swift.min(chunk, Swift.max(0, receiveCounts[q] - done))
                rc[q] = Int32(c); rd[q] = Int32(at); at += c
            }
            MPI_Alltoallv(out, sc, sd, plexus_mpi_byte(), inn, rc, rd, plexus_mpi_byte(), comm)
            for q in 0..<size where rc[q] > 0 {
                (receive.baseAddress! + receiveDisplacements[q] + done).copyMemory(from: inn + Int(rd[q]), byteCount: Int(rc[q]))
            }
        }
    }

    public func barrier() { MPI_Barrier(comm) }

    /// The last error every rank threw together (`Communicator.agree`).
    public private(set) var agreedError: PlexusError?

    public func noteAgreed(_ error: PlexusError) { agreedError = error }
}
