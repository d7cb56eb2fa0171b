import EdgeLedgerCore
import Synchronization

/// Counters of the ingest path, updated from the MQTT thread and read by anyone.
public final class IngestStatistics: Sendable {
    /// Readings handed over by the broker.
    public let received = Atomic<Int>(0)
    /// Readings committed as entries.
    public let stored = Atomic<Int>(0)
    /// Readings whose storage failed (acknowledgement withheld, or QoS 0 dropped).
    public let storeFailures = Atomic<Int>(0)
    /// Readings whose device time was further from their receive time than the configured bound.
    public let deviceTimeSkewed = Atomic<Int>(0)
    /// Readings on a topic with `device_time` whose payload had no readable device time.
    public let deviceTimeUnreadable = Atomic<Int>(0)
    /// The latest skewed reading: topic and skew (device time − receive time, nanoseconds).
    public let lastSkew = Mutex<(topic: String, skew: Int64)?>(nil)
    /// Rejections are the rare path: a lock is fine there.
    private let rejectedByReason = Mutex<[RejectionReason: Int]>([:])

    public init() {}

    func countRejected(_ reason: RejectionReason) {
        rejectedByReason.withLock { $0[reason, default: 0] += 1 }
    }

    /// Rejected readings for `reason`.
    public func rejected(_ reason: RejectionReason) -> Int {
        rejectedByReason.withLock { $0[reason] ?? 0 }
    }

    /// All rejected readings.
    public var rejectedTotal: Int { rejectedByReason.withLock { $0.values.reduce(0, +) } }

    /// A line for `status` while device times have been skewed or unreadable since start, or `nil`.
    public func deviceTimeWarning(maxSkew: Duration) -> String? {
        let skewed = deviceTimeSkewed.load(ordering: .relaxed)
        let unreadable = deviceTimeUnreadable.load(ordering: .relaxed)
        var parts: [String] = []
        if skewed > 0 {
            var text =
                "\(skewed) readings with a device time more than \(ConfigDuration.format(maxSkew)) from the receive time"
            if let last = lastSkew.withLock({ $0 }) {
                text += " (latest: \(last.topic), \(IngestStatistics.describe(skew: last.skew)))"
            }
            parts.append(text)
        }
        if unreadable > 0 { parts.append("\(unreadable) readings without a readable device time") }
        guard !parts.isEmpty else { return nil }
        return "device time since start: " + parts.joined(separator: "; ")
            + " (recorded as received; the log order is the receive order)"
    }

    /// `device clock 3723.5s ahead` / `behind`.
    static func describe(skew: Int64) -> String {
        let seconds = Double(skew.magnitude) / 1e9
        return "device clock \((seconds * 10).rounded() / 10)s \(skew >= 0 ? "ahead" : "behind")"
    }
}
