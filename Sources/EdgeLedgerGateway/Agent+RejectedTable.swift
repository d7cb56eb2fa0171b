import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem
import Logging
import Metrics

extension Agent {
    /// `edge_ledger_rejected_pruned_total`: rows deleted from the `rejected` table for
    /// `[storage.rejected]`.
    static let rejectedPrunedName = "edge_ledger_rejected_pruned_total"

    /// Bounds the store's `rejected` table as `[storage.rejected]` says (the byte bound at most a
    /// tenth of `storage.quota`); every deletion is counted in ``rejectedPrunedName`` and logged
    /// at info within `logBudget` (the summary counts the rest).
    static func configureRejectedTable(
        _ store: LedgerStore, _ storage: StorageConfiguration, logBudget: LogBudget
    )
        throws
    {
        let pruned = Counter(label: rejectedPrunedName)
        let logger = Logger(label: "edge-ledger.store")
        try store.configureRejectedTable(storage, now: SystemClock.nowNanoseconds()) { result in
            pruned.increment(by: result.rows)
            logBudget.log(
                .info, kind: "pruned rejected rows", "deleted the oldest rejected-reading rows ([storage.rejected])",
                metadata: [
                    "rows": "\(result.rows)", "bytes": "\(result.bytes)", "bound": "\(result.reason)",
                    "remaining_rows": "\(result.remainingRows)", "remaining_bytes": "\(result.remainingBytes)",
                ], logger: logger)
        }
    }
}
