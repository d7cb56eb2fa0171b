import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import ServiceLifecycle

/// Prunes entry payloads every `storage.retention.interval` (first pass one interval after
/// start): payloads acknowledged by every upstream marked `required_for_retention` and older
/// than `storage.retention.min_age`. Hashes, tiles and checkpoints stay.
///
/// Logs each pass that pruned something at info (never silent), and failures at error once per
/// streak. Does nothing when `prune_payloads` is false or no upstream is required (the
/// configuration check refuses the latter with pruning enabled).
public struct RetentionService: Service {
    private let store: LedgerStore
    private let retention: RetentionConfiguration
    private let requiredUpstreams: [String]
    private let logger: Logger
    private let now: @Sendable () -> Int64

    /// - Parameters:
    ///   - now: the current time in Unix nanoseconds (tests pass a fake clock).
    public init(
        store: LedgerStore, retention: RetentionConfiguration, requiredUpstreams: [String], logger: Logger,
        now: @escaping @Sendable () -> Int64 = RetentionService.systemNow
    ) {
        self.store = store
        self.retention = retention
        self.requiredUpstreams = requiredUpstreams
        self.logger = logger
        self.now = now
    }

    /// Reads the policy from the agent's configuration.
    public init(store: LedgerStore, configuration: AgentConfiguration, logger: Logger) {
        self.init(
            store: store, retention: configuration.storage.retention,
            requiredUpstreams: configuration.upstreams.filter(\.requiredForRetention).map(\.name), logger: logger)
    }

    /// Wall-clock time in Unix nanoseconds.
    @Sendable public static func systemNow() -> Int64 { SystemClock.nowNanoseconds() }

    public func run() async throws {
        guard retention.prunePayloads else {
            logger.debug("payload pruning is disabled (storage.retention.prune_payloads = false)")
            return
        }
        guard !requiredUpstreams.isEmpty else {
            logger.warning(
                "payload pruning is enabled but no upstream has required_for_retention = true: nothing is pruned")
            return
        }
        // The wait (an hour by default) ends at graceful shutdown: SIGTERM must not wait for it
        // (systemd's stop timeout is shorter). `Task.sleep` counts on the monotonic clock.
        await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: retention.interval)
                } catch {
                    return  // cancelled: shutting down
                }
                failures = passOnce(failures: failures)
            }
        }
    }

    /// The `onDrop` handler for ``LedgerStore/configureQuota(_:requiredUpstreams:onDrop:)``:
    /// logs every drop made for the quota at warning, with its count (never silent loss).
    public static func quotaDropLogger(_ logger: Logger) -> @Sendable (PruneResult) -> Void {
        { result in
            logger.warning(
                "dropped acknowledged payloads for the quota",
                metadata: [
                    "dropped": "\(result.prunedEntries)", "pruned_below": "\(result.prunedBelow)",
                    "acknowledged_below": "\(result.acknowledgedBelow)",
                ])
        }
    }

    /// One pruning pass; returns the new failure streak length.
    @discardableResult
    public func passOnce(failures: Int = 0) -> Int {
        do {
            let result = try store.prune(requiredUpstreams: requiredUpstreams, minAge: retention.minAge, now: now())
            let metadata: Logger.Metadata = [
                "pruned": "\(result.prunedEntries)", "pruned_below": "\(result.prunedBelow)",
                "acknowledged_below": "\(result.acknowledgedBelow)", "pages_released": "\(result.pagesReleased)",
                "free_pages": "\(result.freePages)",
            ]
            if result.prunedEntries > 0 {
                logger.info("pruned entry payloads", metadata: metadata)
            } else {
                logger.debug("nothing to prune", metadata: metadata)
            }
            if !result.incrementalVacuum && result.prunedEntries > 0 {
                logger.notice(
                    "this store was created without incremental vacuum: freed space is reused but not returned to the OS",
                    metadata: ["free_pages": "\(result.freePages)"])
            }
            if failures > 0 { logger.notice("pruning works again", metadata: ["failed_attempts": "\(failures)"]) }
            return 0
        } catch {
            if failures == 0 {
                logger.error("cannot prune entry payloads; will retry", metadata: ["error": "\(error)"])
            }
            return failures + 1
        }
    }
}
