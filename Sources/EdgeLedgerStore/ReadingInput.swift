import EdgeLedgerCore

/// A reading as ingest hands it to ``LedgerStore/append(_:)``: everything in an entry except the
/// index, which the store assigns.
public struct ReadingInput: Sendable, Hashable {
    /// Receive time on the gateway: Unix nanoseconds, UTC.
    public var receivedAt: Int64
    /// MQTT QoS of the delivery (0…2).
    public var qos: UInt8
    /// MQTT retain flag.
    public var retain: Bool
    /// The MQTT topic.
    public var topic: String
    /// The payload, unchanged.
    public var payload: [UInt8]
    /// Device time, MQTT 5 properties, Sparkplug fields: empty for most readings, which then
    /// become format-v1 entries. Check with ``Entry/validate(qos:topic:payloadCount:attributes:)``
    /// before appending: attributes count toward the entry's size limit.
    public var attributes: EntryAttributes

    /// Creates a reading.
    public init(
        receivedAt: Int64, qos: UInt8, retain: Bool = false, topic: String, payload: [UInt8],
        attributes: EntryAttributes = EntryAttributes()
    ) {
        self.receivedAt = receivedAt
        self.qos = qos
        self.retain = retain
        self.topic = topic
        self.payload = payload
        self.attributes = attributes
    }
}
