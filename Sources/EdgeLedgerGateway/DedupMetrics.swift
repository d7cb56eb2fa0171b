import Metrics

/// The deduplication metrics (part of ``AgentMetrics``; the duplicates themselves are
/// ``AgentMetrics/Name/duplicates``).
public final class DedupMetrics: Sendable {
    /// The metric names.
    public enum Name {
        /// Counter: readings on topics with `dedup` that had no key (stored as entries).
        public static let missingKeys = "edge_ledger_dedup_missing_key_total"
        /// Counter: keys forgotten before their window ended (`ingest.dedup_max_keys` reached).
        public static let evictedKeys = "edge_ledger_dedup_evicted_keys_total"
        /// Gauge: keys remembered.
        public static let keys = "edge_ledger_dedup_keys"
    }

    /// ``Name/missingKeys``.
    public let missingKeys: Counter
    /// ``Name/evictedKeys``.
    public let evictedKeys: Counter
    /// ``Name/keys``.
    public let keys: Gauge

    /// Creates every metric through `factory`.
    public init(factory: any MetricsFactory) {
        missingKeys = Counter(label: Name.missingKeys, dimensions: [], factory: factory)
        evictedKeys = Counter(label: Name.evictedKeys, dimensions: [], factory: factory)
        keys = Gauge(label: Name.keys, dimensions: [], factory: factory)
    }
}
