import EdgeLedgerSparkplug
import Metrics

/// The Sparkplug B host's metrics (part of ``AgentMetrics``). Labels are bounded: gap kinds are
/// a fixed set, nodes are not labels (they are in the gap entries).
public final class SparkplugMetrics: Sendable {
    /// The metric names.
    public enum Name {
        /// Counter with label `kind`: gaps recorded as entries (`sequence_gap`,
        /// `data_before_birth`, `bdseq_mismatch`, `state_unknown`).
        public static let gaps = "edge_ledger_sparkplug_gaps_total"
        /// Counter: `Node Control/Rebirth` commands sent to edge nodes.
        public static let rebirthRequests = "edge_ledger_sparkplug_rebirth_requests_total"
        /// Counter: messages that repeated one of their node's last sequenced messages (same
        /// `seq` and timestamp), not counted as gaps.
        public static let redelivered = "edge_ledger_sparkplug_redelivered_total"
    }

    private let gapsByKind: [SparkplugGap.Kind: Counter]
    /// ``Name/rebirthRequests``.
    public let rebirthRequests: Counter
    /// ``Name/redelivered``.
    public let redelivered: Counter

    /// Creates every metric through `factory`.
    public init(factory: any MetricsFactory) {
        var gaps: [SparkplugGap.Kind: Counter] = [:]
        for kind in SparkplugGap.Kind.allCases {
            gaps[kind] = Counter(label: Name.gaps, dimensions: [("kind", kind.rawValue)], factory: factory)
        }
        gapsByKind = gaps
        rebirthRequests = Counter(label: Name.rebirthRequests, dimensions: [], factory: factory)
        redelivered = Counter(label: Name.redelivered, dimensions: [], factory: factory)
    }

    /// ``Name/gaps`` for `kind`.
    public func gaps(_ kind: SparkplugGap.Kind) -> Counter {
        gapsByKind[kind]!  // every case is created in init
    }
}
