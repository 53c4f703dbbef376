#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Persistent worker threads for time-stepped simulation.
///
/// `run` hands one closure to every member (the calling thread is member 0) and returns when all
/// are done; inside it members meet at `barrier()`, once per min-delay epoch. The barrier spins a
/// little on an atomic and then yields: a pure spin barrier collapses when the cores are shared
/// (see SWIFT-NOTES.md), a blocking one costs tens of microseconds per epoch.
public final class ThreadTeam: @unchecked Sendable {
    public let count: Int

    private var threads: [pthread_t] = []
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var done = pthread_cond_t()
    private var generation = 0
    private var finished = 0
    private var shuttingDown = false
    private var job: ((Int) -> Void)?

    private let arrived = Atomic<Int>(0)
    private let barrierGeneration = Atomic<Int>(0)

    public init(threads: Int) {
        precondition(threads >= 1)
        count = threads
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        pthread_cond_init(&done, nil)
        for member in 1..<count {
            let box = Unmanaged.passRetained(WorkerBox(team: self, member: member))
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { raw in
                let box = Unmanaged<WorkerBox>.fromOpaque(raw!).takeRetainedValue()
                box.team.workerLoop(member: box.member)
                return nil
            }, box.toOpaque())
            precondition(rc == 0, "pthread_create failed: \(rc)")
            self.threads.append(tid)
        }
    }

    deinit {
        pthread_mutex_lock(&mutex)
        shuttingDown = true
        pthread_cond_broadcast(&wake)
        pthread_mutex_unlock(&mutex)
        for t in threads { pthread_join(t, nil) }
        pthread_mutex_destroy(&mutex)
        pthread_cond_destroy(&wake)
        pthread_cond_destroy(&done)
    }

    /// Runs `body(member)` on every member and waits for all of them.
    public func run(_ body: @escaping (Int) -> Void) {
        if count == 1 { body(0); return }
        pthread_mutex_lock(&mutex)
        job = body
        finished = 0
        generation += 1
        pthread_cond_broadcast(&wake)
        pthread_mutex_unlock(&mutex)
        body(0)
        pthread_mutex_lock(&mutex)
        while finished < count - 1 { pthread_cond_wait(&done, &mutex) }
        job = nil
        pthread_mutex_unlock(&mutex)
    }

    /// All members wait here until every member has arrived. Call only inside `run`.
    public func barrier() {
        if count == 1 { return }
        let gen = barrierGeneration.load(ordering: .acquiring)
        if arrived.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == count {
            arrived.store(0, ordering: .relaxed)
            barrierGeneration.wrappingAdd(1, ordering: .releasing)
            return
        }
        var spins = 0
        while barrierGeneration.load(ordering: .acquiring) == gen {
            spins += 1
            if spins > 2000 { sched_yield() }
        }
    }

    private func workerLoop(member: Int) {
        var seen = 0
        while true {
            pthread_mutex_lock(&mutex)
            while generation == seen && !shuttingDown { pthread_cond_wait(&wake, &mutex) }
            if shuttingDown { pthread_mutex_unlock(&mutex); return }
            seen = generation
            let body = job!
            pthread_mutex_unlock(&mutex)
            body(member)
            pthread_mutex_lock(&mutex)
            finished += 1
            if finished == count - 1 { pthread_cond_signal(&done) }
            pthread_mutex_unlock(&mutex)
        }
    }

    /// Splits 0..<n into `count` contiguous, nearly equal parts; part `member`.
    public func part(_ member: Int, of n: Int) -> Range<Int> {
        ThreadTeam.part(member, of: n, parts: count)
    }

    public static func part(_ member: Int, of n: Int, parts: Int) -> Range<Int> {
        let base = n / parts, extra = n % parts
        let lo = member * base + min(member, extra)
        return lo..<(lo + base + (member < extra ? 1 : 0))
    }
}

private final class WorkerBox {
    let team: ThreadTeam
    let member: Int
    init(team: ThreadTeam, member: Int) { self.team = team; self.member = member }
}
