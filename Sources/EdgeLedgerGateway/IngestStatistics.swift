import Synchronization

/// Counters of the ingest path, updated from the MQTT thread and read by anyone.
public final class IngestStatistics: Sendable {
    /// Readings handed over by the broker.
    public let received = Atomic<Int>(0)
    /// Readings committed as entries.
    public let stored = Atomic<Int>(0)
    /// Readings whose storage failed (acknowledgement withheld, or QoS 0 dropped).
    public let storeFailures = Atomic<Int>(0)
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
}
