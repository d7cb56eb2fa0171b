import EdgeLedgerCore

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
    public var messageType: SparkplugAttributes.MessageType { topic.messageType }

    /// The payload timestamp in nanoseconds since the Unix epoch (the entry's device time), or
    /// `nil` when absent or beyond what a signed 64-bit count of nanoseconds holds (year 2262).
    public var timestampNanoseconds: Int64? {
        guard let timestamp, let ms = Int64(exactly: timestamp) else { return nil }
        let (ns, overflow) = ms.multipliedReportingOverflow(by: 1_000_000)
        return overflow ? nil : ns
    }

    /// What the entry records of this message (entry format v2, `SparkplugAttributes`): for
    /// STATE the group id is empty and the edge node id holds the host application id.
    public var attributes: SparkplugAttributes {
        SparkplugAttributes(
            messageType: messageType, groupID: topic.node?.groupID ?? "",
            edgeNodeID: topic.node?.edgeNodeID ?? topic.hostID ?? "", deviceID: topic.deviceID, seq: seq, bdSeq: bdSeq,
            timestamp: timestamp)
    }
}
