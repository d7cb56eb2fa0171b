import EdgeLedgerHTTP
import ServiceLifecycle
import Synchronization

/// Whether the reference upstream can do its job, for `GET <prefix>/readyz` (a `Service` that
/// probes the store in the background, so that the answer is cheap and never waits on a disk).
///
/// Every ``interval`` the service reads every gateway's state from the store, and hands each
/// result to an optional observer (the systemd reporter's watchdog and status line). The node is ready
/// while the last read succeeded and no read is hanging: a read that fails makes it not ready
/// with the store's error, and a read that does not come back (a writer stuck on a stalled disk
/// holds the store) makes it not ready once it has waited longer than ``staleAfter``. A probe
/// that merely runs late (a busy machine) is not a problem.
/// Gateways that cannot be reached are not a readiness problem: the witness still cosigns, and
/// `/metrics` counts the failed pulls.
public final class UpstreamReadiness: Service, LedgerAPIStatus, Sendable {
    /// The default ``interval``.
    public static let defaultInterval: Duration = .seconds(2)
    /// How often the store is read.
    public let interval: Duration
    /// How long a read may wait before the node is not ready (three intervals).
    public var staleAfter: Duration { interval * 3 }
    private let probe: @Sendable () async throws -> [CollectorGatewayState]
    private let onProbe: (@Sendable (Result<[CollectorGatewayState], any Error>) -> Void)?
    private let state: Mutex<State>

    private struct State {
        /// When the read under way started; `nil` between reads.
        var readingSince: ContinuousClock.Instant?
        /// The last read's error; `nil` when it succeeded.
        var lastError: String?
    }

    /// Probes `store` every `interval`, telling `onProbe` each result (the first probe runs as
    /// soon as the service runs; until it answers, the node is not ready).
    public convenience init(
        store: CollectorStore, interval: Duration = defaultInterval,
        onProbe: (@Sendable (Result<[CollectorGatewayState], any Error>) -> Void)? = nil
    ) {
        self.init(interval: interval, onProbe: onProbe) { try await store.gatewayStates() }
    }

    /// Runs `probe` every `interval` (a throw is the problem reported), telling `onProbe` each
    /// result (not ready until the first probe answers).
    public init(
        interval: Duration, onProbe: (@Sendable (Result<[CollectorGatewayState], any Error>) -> Void)? = nil,
        probe: @escaping @Sendable () async throws -> [CollectorGatewayState]
    ) {
        self.interval = interval
        self.probe = probe
        self.onProbe = onProbe
        self.state = Mutex(State(readingSince: nil, lastError: "the store has not been read yet"))
    }

    /// Reads the store once, records the outcome and tells the observer.
    public func probeOnce() async {
        let start = ContinuousClock.now
        state.withLock { $0.readingSince = start }
        let result: Result<[CollectorGatewayState], any Error>
        do {
            result = .success(try await probe())
        } catch {
            result = .failure(error)
        }
        let error: String?
        switch result {
        case .success: error = nil
        case .failure(let failure): error = "\(failure)"
        }
        state.withLock { $0 = State(readingSince: nil, lastError: error) }
        onProbe?(result)
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

    /// Probes at once, then every ``interval`` until graceful shutdown or cancellation (the
    /// store reads on its own threads: a read stuck on the disk holds one of them, not the
    /// cooperative pool).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.probeOnce()
                do {
                    try await Task.sleep(for: self.interval)
                } catch {
                    return
                }
            }
        }
    }
}
