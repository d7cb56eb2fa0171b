/// Prometheus metrics, served at `/metrics` on the HTTP listener (`[metrics]`).
public struct MetricsConfiguration: Sendable, Equatable {
    /// Whether `/metrics` is served. Default true.
    public var enabled: Bool
    /// Whether `/metrics` may be read without a token or client certificate. Default false.
    public var allowAnonymous: Bool

    /// Creates metrics settings.
    public init(enabled: Bool = true, allowAnonymous: Bool = false) {
        self.enabled = enabled
        self.allowAnonymous = allowAnonymous
    }

    init(reading r: ConfigTableReader) {
        let d = MetricsConfiguration()
        self.init(
            enabled: r.bool("enabled", default: d.enabled),
            allowAnonymous: r.bool("allow_anonymous", default: d.allowAnonymous))
        r.finish()
    }
}
