import EdgeLedgerHTTP
import EdgeLedgerStore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Whether the reference upstream can do its job, for `GET <prefix>/readyz` (a `Service` that
/// probes the store in the background, so that the answer is cheap and never waits on a disk).
///
/// Every ``interval`` the service reads every gateway's state from the store. The node is ready
/// while the last read succeeded and no read is hanging: a read that fails makes it not ready
/// with the store's error, and a read that does not come back (a writer stuck on a stalled disk
/// holds the store) makes it not ready once it has waited longer than ``staleAfter``. A probe
/// that merely runs late (a busy machine) is not a problem.
/// Gateways that cannot be reached are not a readiness problem: the witness still cosigns, and
/// `/metrics` counts the failed pulls.
public final class UpstreamReadiness: Service, LedgerAPIStatus, Sendable {
    /// How often the store is read.
    public let interval: Duration
    /// How long a read may wait before the node is not ready (three intervals).
    public var staleAfter: Duration { interval * 3 }
    private let probe: @Sendable () throws -> Void
    private let state: Mutex<State>

    private struct State {
        /// When the read under way started; `nil` between reads.
        var readingSince: ContinuousClock.Instant?
        /// The last read's error; `nil` when it succeeded.
        var lastError: String?
    }

    /// Probes `store` every `interval`; probes once now, so the first answer is a real one.
    public convenience init(store: CollectorStore, interval: Duration = .seconds(2)) {
        self.init(interval: interval) { _ = try store.gatewayStates() }
    }

    /// Runs `probe` every `interval` (a throw is the problem reported); probes once now.
    public init(interval: Duration, probe: @escaping @Sendable () throws -> Void) {
        self.interval = interval
        self.probe = probe
        self.state = Mutex(State())
        probeOnce()
    }

    /// Reads the store once and records the outcome.
    public func probeOnce() {
        let start = ContinuousClock.now
        state.withLock { $0.readingSince = start }
        let error: String?
        do {
            try probe()
            error = nil
        } catch let failure {
            error = "\(failure)"
        }
        state.withLock { $0 = State(readingSince: nil, lastError: error) }
    }

    /// The readiness at `now`: a read that has waited longer than ``staleAfter``, else the last
    /// read's error, else ready.
    public func readiness(at now: ContinuousClock.Instant) -> LedgerReadiness {
        let current = state.withLock { $0 }
        if let since = current.readingSince, now - since > staleAfter {
            return LedgerReadiness(problems: [
                "store has not answered for \((now - since).components.seconds) s (a stalled disk or a stuck writer)"
            ])
        }
        if let lastError = current.lastError { return LedgerReadiness(problems: ["store not usable: \(lastError)"]) }
        return .ready
    }

    public func readiness() async -> LedgerReadiness { readiness(at: .now) }

    /// Probes every ``interval`` until graceful shutdown or cancellation, on NIO's blocking
    /// thread pool: a read stuck on the disk holds one of its threads, not the cooperative pool.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: self.interval)
                    try await NIOThreadPool.singleton.runIfActive { self.probeOnce() }
                } catch {
                    return
                }
            }
        }
    }
}
