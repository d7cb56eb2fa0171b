import EdgeLedgerHTTP
import EdgeLedgerStore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Whether the reference upstream can do its job, for `GET <prefix>/readyz` (a `Service` that
/// probes the store in the background, so that the answer is cheap and never waits on a disk).
///
/// Every ``interval`` the service reads every gateway's state from the store. The node is ready
/// while the last read succeeded and it is recent: a read that fails makes it not ready with
/// the store's error, and a read that does not come back (a writer stuck on a stalled disk
/// holds the store) makes it not ready once ``staleAfter`` has passed without an answer.
/// Gateways that cannot be reached are not a readiness problem: the witness still cosigns, and
/// `/metrics` counts the failed pulls.
public final class UpstreamReadiness: Service, LedgerAPIStatus, Sendable {
    /// How often the store is read.
    public let interval: Duration
    /// How long without a successful read makes the node not ready (three intervals).
    public var staleAfter: Duration { interval * 3 }
    private let probe: @Sendable () throws -> Void
    private let state: Mutex<State>

    private struct State {
        var lastSuccess: ContinuousClock.Instant?
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
        do {
            try probe()
            let now = ContinuousClock.now
            state.withLock { $0 = State(lastSuccess: now, lastError: nil) }
        } catch {
            state.withLock { $0.lastError = "\(error)" }
        }
    }

    /// The readiness at `now`: the last probe's error, or a store that has not answered for
    /// longer than ``staleAfter``.
    public func readiness(at now: ContinuousClock.Instant) -> LedgerReadiness {
        let (lastSuccess, lastError) = state.withLock { ($0.lastSuccess, $0.lastError) }
        if let lastError { return LedgerReadiness(problems: ["store not usable: \(lastError)"]) }
        guard let lastSuccess else { return LedgerReadiness(problems: ["store not read yet"]) }
        let age = now - lastSuccess
        if age > staleAfter {
            let seconds = Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18
            return LedgerReadiness(problems: [
                "store has not answered for \(Int(seconds)) s (a stalled disk or a stuck writer)"
            ])
        }
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
