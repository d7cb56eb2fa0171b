/// When checkpoints are sealed (`[seal]`): every ``interval`` or every ``maxEntries`` new
/// entries, whichever comes first, and at shutdown; never when nothing was appended.
public struct SealConfiguration: Sendable, Equatable {
    /// Longest time a new entry waits for a checkpoint, 10ms...1h. Default 1s.
    public var interval: Duration
    /// Seal early once this many entries are pending, 1...1000000. Default 10000.
    public var maxEntries: Int

    /// Creates a seal policy.
    public init(interval: Duration = .seconds(1), maxEntries: Int = 10_000) {
        self.interval = interval
        self.maxEntries = maxEntries
    }

    init(reading r: ConfigTableReader) {
        let d = SealConfiguration()
        self.init(
            interval: r.duration("interval", default: d.interval, in: .milliseconds(10)...(.seconds(3600))),
            maxEntries: r.integer("max_entries", default: d.maxEntries, in: 1...1_000_000))
        r.finish()
    }
}
