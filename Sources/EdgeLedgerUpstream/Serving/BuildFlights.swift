import Synchronization

/// Builds each missing object once however many reads ask for it at the same time, and at most
/// ``limit`` different objects at once: a read that would start one more is refused (503,
/// retried by the client), so requests can never make the server build without bound.
final class BuildFlights: Sendable {
    /// Objects built at once, at most.
    let limit: Int
    private let flights = Mutex<[String: Task<[UInt8], any Error>]>([:])
    private let builds = Atomic<Int>(0)

    init(limit: Int) { self.limit = max(1, limit) }

    /// The result of `build` for `key`: the build in flight for the same key, or a new one.
    ///
    /// - Returns: the bytes, and whether this call started the build.
    func run(
        _ key: String, _ build: @escaping @Sendable () async throws(LogServingError) -> [UInt8]
    ) async throws(LogServingError) -> (bytes: [UInt8], built: Bool) {
        let limit = self.limit
        let (task, started) = try flights.withLock {
            (flights) throws(LogServingError) -> (Task<[UInt8], any Error>, Bool) in
            if let running = flights[key] { return (running, false) }
            guard flights.count < limit else {
                throw LogServingError(
                    .busy, "\(flights.count) tiles are being built; try again in a moment",
                    hint: "a caching proxy in front keeps the built ones")
            }
            let task = Task<[UInt8], any Error> { try await build() }
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

    /// Builds in flight now.
    var inFlight: Int { flights.withLock { $0.count } }
}
