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

    /// Remembers `message` (one without a `seq` or a timestamp cannot be told again: not kept).
    mutating func record(_ message: SparkplugMessage) {
        guard let key = Self.key(message) else { return }
        if keys.count < Self.capacity {
            keys.append(key)
        } else {
            keys[next] = key
            next = (next + 1) % Self.capacity
        }
    }

    /// Whether `message` repeats a remembered one (its `seq` and timestamp).
    func contains(_ message: SparkplugMessage) -> Bool {
        guard let key = Self.key(message) else { return false }
        return keys.contains(key)
    }

    /// Forgets every message (a birth or death starts the sequence again).
    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        next = 0
    }

    private static func key(_ message: SparkplugMessage) -> UInt64? {
        guard let seq = message.seq, let timestamp = message.timestamp else { return nil }
        return timestamp &<< 8 | (seq & 0xFF)
    }
}
