/// The last sequenced messages of one edge node, each by its `seq` and payload timestamp, so that
/// a message delivered again is told from a lost stretch of the sequence: a QoS 1 redelivery
/// after a reconnect, or a node resending what it published, repeats both; a message after a
/// loss of 240–255 messages may repeat a recent `seq`, but not with its timestamp.
struct SparkplugRecentMessages: Sendable {
    /// Messages remembered per node (a redelivery comes back within the broker's in-flight
    /// window, far fewer than the 256 values of `seq`).
    static let capacity = 16

    /// `timestamp << 8 | seq` of each remembered message, oldest overwritten first.
    private var keys: [UInt64] = []
    private var next = 0

    /// Remembers a message.
    mutating func record(seq: UInt64, timestamp: UInt64) {
        let key = Self.key(seq: seq, timestamp: timestamp)
        if keys.count < Self.capacity {
            keys.append(key)
        } else {
            keys[next] = key
            next = (next + 1) % Self.capacity
        }
    }

    /// Whether a message with this `seq` and timestamp is among the remembered ones.
    func contains(seq: UInt64, timestamp: UInt64) -> Bool {
        keys.contains(Self.key(seq: seq, timestamp: timestamp))
    }

    /// Forgets every message (a birth or death starts the sequence again).
    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        next = 0
    }

    private static func key(seq: UInt64, timestamp: UInt64) -> UInt64 {
        timestamp &<< 8 | (seq & 0xFF)
    }
}
