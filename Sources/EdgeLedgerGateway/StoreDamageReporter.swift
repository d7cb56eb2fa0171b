import EdgeLedgerStore
import Logging
import Synchronization

/// Says so when the store is found damaged — once, whoever found it (a seal, the background
/// integrity check, the check at start): an error log naming the damaged tile, entry or
/// checkpoint with the expected and the stored value, ``AgentMetrics/Name/storeDamaged`` set to
/// 1 and ``AgentMetrics/Name/storeDamageDetected`` counted. The condition itself is
/// ``LedgerStore/damage``, which readiness and sealing read.
public final class StoreDamageReporter: Sendable {
    private let store: LedgerStore
    private let metrics: AgentMetrics?
    private let logger: Logger
    private let reported = Atomic<Bool>(false)

    /// Creates a reporter for `store`.
    public init(store: LedgerStore, metrics: AgentMetrics?, logger: Logger) {
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// Reports the store's damage if there is some and it was not reported yet.
    ///
    /// - Parameter foundBy: what found it, for the log ("seal", "integrity check", …).
    public func reportIfDamaged(foundBy: String) {
        guard let damage = store.damage else { return }
        guard reported.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        metrics?.storeDamaged.record(1)
        metrics?.storeDamageDetected.increment()
        logger.error(
            "store damaged: sealing stopped, not ready",
            metadata: [
                "store": "\(store.path)", "where": "\(damage.place)", "problem": "\(damage.message)",
                "found_by": "\(foundBy)",
                "hint": "stop the agent, keep a copy of the store, run `edge-ledger verify --db \(store.path)`",
            ])
    }
}
