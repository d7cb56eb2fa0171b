import EdgeLedgerStore
import Synchronization

/// The agent's view of unacknowledged ingest journal damage, for `/readyz` and
/// ``AgentMetrics/Name/journalDamageUnacknowledged``.
///
/// Replay records damage in the store when the agent starts; an operator acknowledges it with
/// `edge-ledger status --ack-journal-damage` while the agent runs. This reads the store's
/// `journal_damage` table at most every ``refreshInterval`` seconds when asked (by `/readyz`
/// and before each `/metrics` answer), so probes and scrapes cost one small query now and then.
///
/// Damage does not make the agent "not ready": the readings are lost already and ingest works;
/// refusing readiness would only stop a working gateway. `/readyz` stays 200 and adds one
/// `warning:` line per report until it is acknowledged.
final class JournalDamageWatch: Sendable {
    static let refreshInterval: Duration = .seconds(2)

    private let reader: LedgerReader
    private let metrics: AgentMetrics?
    private let cache = Mutex<(at: ContinuousClock.Instant, warnings: [String])?>(nil)

    init(reader: LedgerReader, metrics: AgentMetrics?) {
        self.reader = reader
        self.metrics = metrics
    }

    /// One line per unacknowledged damage report (empty when there is none, or the table
    /// cannot be read: the store's own problems are reported elsewhere).
    func warnings() -> [String] {
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0 }), now - cached.at < Self.refreshInterval { return cached.warnings }
        let open = (try? reader.journalDamage()) ?? []
        let warnings = open.map {
            "warning: unacknowledged journal damage in \($0.segment) at byte \($0.offset), readings lost: "
                + "\($0.lostDescription); see edge-ledger status"
        }
        metrics?.journalDamageUnacknowledged.record(open.count)
        cache.withLock { $0 = (now, warnings) }
        return warnings
    }
}
