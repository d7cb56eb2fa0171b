import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import Synchronization

extension Agent {
    /// Deduplicates the store's folds as the topics' `dedup` settings say (off when no topic has
    /// one), before the ingest journal is replayed. Duplicates, readings without a key and
    /// forgotten keys are counted in `metrics`; duplicates are logged at info at most once per
    /// `ingest.reject_log_interval` (with the count since the last line), within `logBudget`.
    static func configureDeduplication(
        _ store: LedgerStore, _ configuration: AgentConfiguration, metrics: AgentMetrics?, logBudget: LogBudget
    ) throws {
        guard let keyer = ReadingKeyer(topics: configuration.mqtt.topics) else {
            try store.configureDeduplication(nil)
            return
        }
        let logger = Logger(label: "edge-ledger.dedup")
        let interval = configuration.ingest.rejectLogInterval
        let logged = Mutex<(last: ContinuousClock.Instant?, suppressed: Int)>((nil, 0))
        try store.configureDeduplication(
            ReadingDeduplication(
                maxKeys: configuration.ingest.dedupMaxKeys, key: { keyer.key($0) },
                onFold: { report in
                    metrics?.duplicates.increment(by: report.duplicates)
                    metrics?.dedup.missingKeys.increment(by: report.missingKeys)
                    metrics?.dedup.evictedKeys.increment(by: report.evictedKeys)
                    metrics?.dedup.keys.record(report.keys)
                    if report.evictedKeys > 0 {
                        logBudget.log(
                            .warning, kind: "dedup keys evicted",
                            "forgot deduplication keys before their window ended (ingest.dedup_max_keys reached); a later redelivery of one of them becomes an entry",
                            metadata: ["evicted": "\(report.evictedKeys)", "keys": "\(report.keys)"], logger: logger)
                    }
                    guard let first = report.firstDuplicate else { return }
                    let now = ContinuousClock.now
                    let suppressed: Int? = logged.withLock { state in
                        if let last = state.last, now - last < interval {
                            state.suppressed += report.duplicates
                            return nil
                        }
                        defer { state = (now, 0) }
                        return state.suppressed + report.duplicates - 1
                    }
                    guard let suppressed else { return }
                    logBudget.log(
                        .info, kind: "duplicate reading",
                        "redelivered reading recorded as a duplicate, not appended",
                        metadata: [
                            "topic": "\(first.topic)", "duplicate_of": "\(first.originalIndex)",
                            "key": "\(first.key.hex.prefix(16))", "more_since_last": "\(suppressed)",
                        ], logger: logger)
                }))
        metrics?.dedup.keys.record(store.dedupKeyCount)
    }
}
