import EdgeLedgerSystem
import ServiceLifecycle

/// A service that calls its closure the moment its group starts a graceful shutdown, then ends.
///
/// Listed last in a group, it is the first service told (a group shuts its services down in
/// reverse order), so the closure runs before any other service starts stopping; this is where
/// `STOPPING=1` goes. Unlike a second signal handler, it cannot miss a shutdown that finishes fast.
struct ShutdownAnnouncer: Service {
    let announce: @Sendable () -> Void

    func run() async throws {
        do {
            try await gracefulShutdown()
            announce()
        } catch {
            // Cancelled: the group ends without a graceful shutdown; nothing to announce.
        }
    }
}
