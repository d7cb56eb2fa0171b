import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle
import Synchronization

/// Checks the store at start and then every `storage.integrity_check_interval`: SQLite's `PRAGMA quick_check`, the latest signed checkpoint's root recomputed
/// from the stored tiles, and the newest unsealed entries' leaf hashes (see
/// ``LedgerStore/checkIntegrity(fileStructure:unsealedLimit:)``).
///
/// Ingest is never blocked: each check runs on a thread of its own with a read-only connection
/// of its own, and its work is bounded (the file once, at most ``unsealedLimit`` entries, a few
/// tiles). The interval is measured on the monotonic clock; on shutdown the sleep ends at once
/// and a check in progress is abandoned. Damage found stops sealing and turns readiness false (``LedgerStore/damage``) and
/// is reported by the ``StoreDamageReporter``; after that the checks stop (the condition lasts
/// until the agent restarts on a repaired store).
public struct IntegrityCheckService: Service {
    private let store: LedgerStore
    private let interval: Duration
    private let reporter: StoreDamageReporter
    private let metrics: AgentMetrics?
    private let logger: Logger
    /// At most this many unsealed entries are re-hashed per check; the sealer re-hashes every
    /// entry it seals anyway.
    public static let unsealedLimit: UInt64 = 100_000

    /// - Parameter interval: time between checks, on the monotonic clock.
    public init(
        store: LedgerStore, interval: Duration, reporter: StoreDamageReporter, metrics: AgentMetrics?, logger: Logger
    ) {
        self.store = store
        self.interval = interval
        self.reporter = reporter
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        let interval = self.interval
        var failures = 0
        while !Task.isShuttingDownGracefully, store.damage == nil {
            guard let next = await checkOnce(failures: failures) else { return }  // shutting down
            failures = next
            guard store.damage == nil else { return }
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: interval, tolerance: nil, clock: ContinuousClock())
                }
            } catch {
                return  // shutting down
            }
        }
    }

    /// One check, on a thread of its own; returns the new streak of checks that could not run,
    /// or `nil` when shutdown began first (the check is abandoned: its thread and read
    /// connection end with the process).
    @discardableResult
    public func checkOnce(failures: Int = 0) async -> Int? {
        let started = ContinuousClock.now
        let store = self.store
        guard let result = await cancelWhenGracefulShutdown({ await Self.onOwnThread(store) }) else { return nil }
        metrics?.integrityChecks.increment()
        let elapsed = ContinuousClock.now - started
        switch result {
        case .success(let report) where report.damage != nil:
            reporter.reportIfDamaged(foundBy: "integrity check")
        case .success(let report):
            logger.info(
                "store integrity check passed",
                metadata: [
                    "sealed_size": "\(report.sealedSize)", "unsealed_checked": "\(report.unsealedChecked)",
                    "duration_ms": "\(elapsed.millisecondsClamped)",
                ])
            if failures > 0 { logger.notice("the integrity check runs again", metadata: ["failed": "\(failures)"]) }
            return 0
        case .failure(let error):
            if failures == 0 {
                logger.error("cannot run the store integrity check; will retry", metadata: ["error": "\(error)"])
            }
            return failures + 1
        }
        return 0
    }

    private static func onOwnThread(_ store: LedgerStore) async -> Result<IntegrityReport, StoreError>? {
        let outcome = CheckOutcome()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<CheckOutcome.Value, Never>) in
                guard outcome.wait(continuation) else { return }
                let thread = NativeThread {
                    pthread_detach(pthread_self())
                    outcome.finish(
                        Result { () throws(StoreError) in
                            try store.checkIntegrity(fileStructure: true, unsealedLimit: unsealedLimit)
                        })
                }
                if !thread.start() {
                    outcome.finish(.failure(StoreError(.sqlite, "cannot start a thread for the integrity check")))
                }
            }
        } onCancel: {
            outcome.finish(nil)
        }
    }
}

/// The one resumption of a check's continuation: by the check's thread with its result, or by
/// cancellation with `nil`, whichever comes first.
private final class CheckOutcome: Sendable {
    typealias Value = Result<IntegrityReport, StoreError>?
    private let state = Mutex<(continuation: CheckedContinuation<Value, Never>?, finished: Bool)>((nil, false))

    /// Parks `continuation`; returns false (having resumed it with `nil`) when cancelled already.
    func wait(_ continuation: CheckedContinuation<Value, Never>) -> Bool {
        let cancelled = state.withLock { state in
            if state.finished { return true }
            state.continuation = continuation
            return false
        }
        if cancelled { continuation.resume(returning: nil) }
        return !cancelled
    }

    /// Resumes the parked continuation with `value`, unless it was resumed already.
    func finish(_ value: Value) {
        let continuation = state.withLock { state in
            state.finished = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: value)
    }
}
