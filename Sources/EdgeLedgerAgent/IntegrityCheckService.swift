import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Checks the store every `storage.integrity_check_interval` (the first check one interval
/// after start): SQLite's `PRAGMA quick_check`, the latest signed checkpoint's root recomputed
/// from the stored tiles, and the newest unsealed entries' leaf hashes (see
/// ``LedgerStore/checkIntegrity(fileStructure:unsealedLimit:)``).
///
/// Ingest is never blocked: each check runs on a thread of its own with a read-only connection
/// of its own, and its work is bounded (the file once, at most ``unsealedLimit`` entries, a few
/// tiles). The interval is measured on the monotonic clock, and the sleep ends at once on
/// shutdown. Damage found stops sealing and turns readiness false (``LedgerStore/damage``) and
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
            do {
                try await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: interval, tolerance: nil, clock: ContinuousClock())
                }
            } catch {
                return  // shutting down
            }
            if Task.isShuttingDownGracefully { return }
            failures = await checkOnce(failures: failures)
        }
    }

    /// One check, on a thread of its own; returns the new streak of checks that could not run.
    @discardableResult
    public func checkOnce(failures: Int = 0) async -> Int {
        let started = ContinuousClock.now
        let result = await Self.onOwnThread(store)
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
                    "duration_ms": "\(elapsed.milliseconds)",
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

    private static func onOwnThread(_ store: LedgerStore) async -> Result<IntegrityReport, StoreError> {
        await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<IntegrityReport, StoreError>, Never>) in
            let thread = NativeThread {
                pthread_detach(pthread_self())
                continuation.resume(
                    returning: Result { () throws(StoreError) in
                        try store.checkIntegrity(fileStructure: true, unsealedLimit: unsealedLimit)
                    })
            }
            if !thread.start() {
                continuation.resume(
                    returning: .failure(StoreError(.sqlite, "cannot start a thread for the integrity check")))
            }
        }
    }
}
