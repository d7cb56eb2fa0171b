/// A reading that ingest refused (bad topic, too large, not JSON, …), kept for diagnosis in the
/// `rejected` table. It is not an entry and never part of the log.
public struct RejectedReading: Sendable, Hashable {
    /// Row id, assigned by the store; 0 for a reading not yet stored.
    public var id: Int64
    /// Receive time on the gateway: Unix nanoseconds, UTC.
    public var receivedAt: Int64
    /// The MQTT topic it arrived on.
    public var topic: String
    /// Why it was refused, e.g. "payload is not a JSON object".
    public var reason: String
    /// Full payload size in bytes.
    public var size: Int
    /// The first bytes of the payload (at most ``headLimit``).
    public var head: [UInt8]

    /// At most this many payload bytes are kept in ``head``.
    public static let headLimit = 64

    /// Creates a record from the full `payload`; only its first ``headLimit`` bytes are kept.
    public init(receivedAt: Int64, topic: String, reason: String, payload: some Collection<UInt8>) {
        self.id = 0
        self.receivedAt = receivedAt
        self.topic = topic
        self.reason = reason
        self.size = payload.count
        self.head = Array(payload.prefix(RejectedReading.headLimit))
    }

    /// Creates a record with all fields given.
    public init(id: Int64, receivedAt: Int64, topic: String, reason: String, size: Int, head: [UInt8]) {
        self.id = id
        self.receivedAt = receivedAt
        self.topic = topic
        self.reason = reason
        self.size = size
        self.head = head
    }
}
