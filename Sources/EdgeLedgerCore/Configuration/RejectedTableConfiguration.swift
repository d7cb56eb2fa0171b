/// Bounds of the store's `rejected` table (`[storage.rejected]`), which keeps a diagnostic row
/// for every refused reading: a flood of junk must not fill the disk. The oldest rows are
/// deleted first when any bound is passed (and counted in `edge_ledger_rejected_pruned_total`).
public struct RejectedTableConfiguration: Sendable, Equatable {
    /// Most rows kept, 100...100000000. Default 100000.
    public var maxRows: Int
    /// Most bytes kept (topic, reason and payload head of each row, plus 40 bytes), 64KiB...1TiB.
    /// Default 16MiB; with a `storage.quota` at most a tenth of it.
    public var maxBytes: Int64
    /// Rows older than this are deleted, 1h...100y. Default 30d.
    public var maxAge: Duration

    /// Creates the bounds.
    public init(maxRows: Int = 100_000, maxBytes: Int64 = 16 << 20, maxAge: Duration = .seconds(30 * 86_400)) {
        self.maxRows = maxRows
        self.maxBytes = maxBytes
        self.maxAge = maxAge
    }

    init(reading r: ConfigTableReader) {
        let d = RejectedTableConfiguration()
        self.init(
            maxRows: r.integer("max_rows", default: d.maxRows, in: 100...100_000_000),
            maxBytes: r.byteSize("max_bytes", default: d.maxBytes, in: (64 << 10)...(1 << 40)),
            maxAge: r.duration("max_age", default: d.maxAge, in: .seconds(3600)...ConfigDuration.maximum))
        r.finish()
    }

    /// The byte bound in force under `quotaBytes`: at most a tenth of the quota.
    public func effectiveMaxBytes(quotaBytes: Int64?) -> Int64 {
        guard let quotaBytes else { return maxBytes }
        return min(maxBytes, max(64 << 10, quotaBytes / 10))
    }
}
