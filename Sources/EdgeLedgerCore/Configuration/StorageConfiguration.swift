/// The SQLite store (`[storage]`).
public struct StorageConfiguration: Sendable, Equatable {
    /// What happens when the store reaches its quota. Never silent loss.
    public enum OverflowPolicy: String, Sendable, Equatable, CaseIterable {
        /// Stop acknowledging readings: the broker keeps the backlog, readiness turns false and a
        /// metric says so, until space is freed (`"backpressure"`, alias `"stop"`). The default.
        case backpressure
        /// Delete the payloads of the oldest entries that every required upstream has already
        /// acknowledged, regardless of the retention age (`"drop-oldest-acked"`, alias
        /// `"drop-acknowledged"`); falls back to backpressure when there are none.
        case dropOldestAcknowledged = "drop-oldest-acked"
    }

    /// Smallest non-zero quota.
    public static let minimumQuota: Int64 = 1 << 20

    /// Database file; relative paths resolve against the configuration file's directory.
    /// Default `/var/lib/edge-ledger/ledger.db`.
    public var path: String
    /// Commit durability. Default `process`.
    public var durability: StorageDurability
    /// Disk quota of the store in bytes; `nil` (`quota = 0`, the default) means none.
    public var quotaBytes: Int64?
    /// What to do at the quota. Default `backpressure`.
    public var overflow: OverflowPolicy
    /// Payload pruning.
    public var retention: RetentionConfiguration
    /// How often the agent's background integrity check runs (SQLite `quick_check`, the last
    /// signed root recomputed from the stored tiles, the unsealed entries' leaf hashes);
    /// `nil` (`"off"`) for never. 1s...30d, default 6h.
    public var integrityCheckInterval: Duration?

    /// Default of ``integrityCheckInterval``.
    public static let defaultIntegrityCheckInterval: Duration = .seconds(6 * 3600)

    /// Bounds of the `rejected` table.
    public var rejected: RejectedTableConfiguration

    /// Creates store settings.
    public init(
        path: String = "/var/lib/edge-ledger/ledger.db", durability: StorageDurability = .process,
        quotaBytes: Int64? = nil, overflow: OverflowPolicy = .backpressure,
        retention: RetentionConfiguration = RetentionConfiguration(),
        integrityCheckInterval: Duration? = StorageConfiguration.defaultIntegrityCheckInterval,
        rejected: RejectedTableConfiguration = RejectedTableConfiguration()
    ) {
        self.path = path
        self.durability = durability
        self.quotaBytes = quotaBytes
        self.overflow = overflow
        self.retention = retention
        self.integrityCheckInterval = integrityCheckInterval
        self.rejected = rejected
    }

    init(reading r: ConfigTableReader) {
        let d = StorageConfiguration()
        let path = r.filePath("path", default: d.path)
        let durability = r.choice(
            "durability", default: d.durability, StorageDurability.allCases.map { ($0.rawValue, $0) })
        let quota = r.byteSize("quota", default: 0, in: 0...(Int64.max / 2))
        if quota > 0, quota < Self.minimumQuota {
            r.error("quota", "expected 0 (no quota) or at least 1MiB, got \(quota) bytes")
        }
        let overflow = r.choice(
            "overflow", default: d.overflow,
            [
                ("backpressure", .backpressure), ("drop-oldest-acked", .dropOldestAcknowledged),
                ("stop", .backpressure), ("drop-acknowledged", .dropOldestAcknowledged),
            ])
        let retention = RetentionConfiguration(reading: r.table("retention"))
        let integrityCheckInterval: Duration?
        if r.value("integrity_check_interval") == .string("off") {
            integrityCheckInterval = nil
        } else {
            integrityCheckInterval = r.duration(
                "integrity_check_interval", default: d.integrityCheckInterval ?? Self.defaultIntegrityCheckInterval,
                in: .seconds(1)...(.seconds(30 * 86_400)))
        }
        let rejected = RejectedTableConfiguration(reading: r.table("rejected"))
        self.init(
            path: path, durability: durability, quotaBytes: quota >= Self.minimumQuota ? quota : nil,
            overflow: overflow, retention: retention, integrityCheckInterval: integrityCheckInterval,
            rejected: rejected)
        r.finish()
    }
}
