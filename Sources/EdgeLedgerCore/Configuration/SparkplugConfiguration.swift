/// How the agent acts as a Sparkplug B host application on `format = "sparkplug_b"` topics
/// (`[sparkplug]`): every gap it sees in an edge node's sequence is recorded as an entry of its
/// own; these keys decide whether it also asks the node to send its birth certificate again.
public struct SparkplugConfiguration: Sendable, Equatable {
    /// Whether a gap makes the agent publish the `Node Control/Rebirth` NCMD to the edge node.
    /// Default `true`. Off, gaps are still recorded and counted.
    public var rebirth: Bool
    /// Shortest time between two rebirth requests to the same edge node, 1s...1d. Default 30s:
    /// a node that keeps losing messages is not flooded with commands (the gaps are all recorded).
    public var rebirthMinInterval: Duration

    /// Creates the settings.
    public init(rebirth: Bool = true, rebirthMinInterval: Duration = .seconds(30)) {
        self.rebirth = rebirth
        self.rebirthMinInterval = rebirthMinInterval
    }

    init(reading r: ConfigTableReader) {
        let d = SparkplugConfiguration()
        self.init(
            rebirth: r.bool("rebirth", default: d.rebirth),
            rebirthMinInterval: r.duration(
                "rebirth_min_interval", default: d.rebirthMinInterval, in: .seconds(1)...(.seconds(86_400))))
        r.finish()
    }
}
