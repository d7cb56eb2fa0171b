import Synchronization

/// Builds each missing object once however many reads ask for it at the same time; at most
/// ``limit`` builds run at once (the others wait their turn), and at most ``pending`` different
/// objects may be running or waiting: a read that would add one more is refused (503, retried by
/// the client). So requests can never make the server build without bound.
final class BuildFlights: Sendable {
    /// Builds running at once, at most.
    let limit: Int
    /// Different objects running or waiting, at most.
    let pending: Int
    private let flights = Mutex<[String: Task<[UInt8], any Error>]>([:])
    private let slots = Mutex<Slots>(Slots())
    private let builds = Atomic<Int>(0)

    private struct Slots {
        var running = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    init(limit: Int, pending: Int) {
        self.limit = max(1, limit)
        self.pending = max(self.limit, pending)
    }

    /// The result of `build` for `key`: the build in flight for the same key, or a new one.
    ///
    /// - Returns: the bytes, and whether this call started the build.
    func run(
        _ key: String, _ build: @escaping @Sendable () async throws(LogServingError) -> [UInt8]
    ) async throws(LogServingError) -> (bytes: [UInt8], built: Bool) {
        let pending = self.pending
        let (task, started) = try flights.withLock {
            (flights) throws(LogServingError) -> (Task<[UInt8], any Error>, Bool) in
            if let running = flights[key] { return (running, false) }
            guard flights.count < pending else {
                throw LogServingError(
                    .busy, "\(flights.count) tiles are being built or waiting to be; try again in a moment",
                    hint: "a caching proxy in front keeps the built ones")
            }
            let task = Task<[UInt8], any Error> { [self] in
                await acquire()
                defer { release() }
                return try await build()
            }
            builds.add(1, ordering: .relaxed)
            flights[key] = task
            return (task, true)
        }
        do {
            let bytes = try await task.value
            if started { _ = flights.withLock { $0.removeValue(forKey: key) } }
            return (bytes, started)
        } catch {
            if started { _ = flights.withLock { $0.removeValue(forKey: key) } }
            if let error = error as? LogServingError { throw error }
            throw LogServingError(.failed, "building \(key) failed: \(error)")
        }
    }

    /// Builds started since creation.
    var started: Int { builds.load(ordering: .relaxed) }

    /// Objects being built or waiting now.
    var inFlight: Int { flights.withLock { $0.count } }

    /// Builds running now.
    var running: Int { slots.withLock { $0.running } }

    private func acquire() async {
        let limit = self.limit
        if slots.withLock({ (s: inout Slots) -> Bool in
            guard s.running < limit else { return false }
            s.running += 1
            return true
        }) {
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = slots.withLock { (s: inout Slots) -> Bool in
                if s.running < limit {
                    s.running += 1
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Hands the slot to the next waiter, or frees it.
    private func release() {
        let next = slots.withLock { (s: inout Slots) -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.running -= 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
