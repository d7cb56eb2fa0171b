/// What the ledger keeps of one decoded Sparkplug B message besides its raw bytes: the topic's
/// parts and the payload's sequence numbers and timestamp.
public struct SparkplugMessage: Sendable, Hashable {
    /// The parsed topic: type, edge node, device, host id.
    public var topic: SparkplugTopic
    /// The payload's `seq` (0–255 from a conforming edge node), when present.
    public var seq: UInt64?
    /// The `bdSeq` metric of an NBIRTH or NDEATH, when present.
    public var bdSeq: UInt64?
    /// The payload's timestamp, milliseconds since the Unix epoch (UTC), when present.
    public var timestamp: UInt64?
    /// Number of top-level metrics (0 for STATE).
    public var metricCount: Int

    /// Creates a decoded message.
    public init(
        topic: SparkplugTopic, seq: UInt64? = nil, bdSeq: UInt64? = nil, timestamp: UInt64? = nil, metricCount: Int = 0
    ) {
        self.topic = topic
        self.seq = seq
        self.bdSeq = bdSeq
        self.timestamp = timestamp
        self.metricCount = metricCount
    }

    /// The message type.
    public var messageType: SparkplugMessageType { topic.messageType }

    /// The payload timestamp in nanoseconds since the Unix epoch (the entry's device time), or
    /// `nil` when absent or beyond what 64 bits of nanoseconds hold (year 2554).
    public var timestampNanoseconds: UInt64? {
        guard let timestamp else { return nil }
        let (ns, overflow) = timestamp.multipliedReportingOverflow(by: 1_000_000)
        return overflow ? nil : ns
    }
}
