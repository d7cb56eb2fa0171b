/// When entry payloads may be pruned (`[storage.retention]`). Hashes, tiles and checkpoints
/// are always kept, so the log keeps growing and proving.
public struct RetentionConfiguration: Sendable, Equatable {
    /// Whether payloads are pruned at all. Default false (keep everything).
    public var prunePayloads: Bool
    /// A payload is pruned only when it is at least this old, 0...100y. Default 30d.
    public var minAge: Duration
    /// How often the pruning pass runs, 1m...7d. Default 1h.
    public var interval: Duration

    /// Creates a retention policy.
    public init(
        prunePayloads: Bool = false, minAge: Duration = .seconds(30 * 86_400), interval: Duration = .seconds(3600)
    ) {
        self.prunePayloads = prunePayloads
        self.minAge = minAge
        self.interval = interval
    }

    init(reading r: ConfigTableReader) {
        let d = RetentionConfiguration()
        self.init(
            prunePayloads: r.bool("prune_payloads", default: d.prunePayloads),
            minAge: r.duration("min_age", default: d.minAge, in: .zero...ConfigDuration.maximum),
            interval: r.duration("interval", default: d.interval, in: .seconds(60)...(.seconds(7 * 86_400))))
        if r.has("required_upstreams") {
            r.error(
                "required_upstreams",
                "not a key here: mark each required upstream with required_for_retention = true in its [[upstreams]] entry"
            )
        }
        r.finish()
    }
}
