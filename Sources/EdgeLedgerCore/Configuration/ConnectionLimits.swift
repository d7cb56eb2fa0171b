/// How many connections an HTTP listener holds and how long a client may take to send a
/// request: `header_timeout`, `max_connections` and `max_connections_per_client` in `[http]` (the
/// agent's and the upstream's).
///
/// A request's head must be complete within ``headerTimeout`` of the moment the connection was
/// accepted (or the previous response was sent); its body within the listener's
/// `request_timeout` of the head. These are total deadlines, not idle timers: a byte now and
/// then does not extend them.
public struct ConnectionLimits: Sendable, Equatable {
    /// Time allowed for a request head, 1s...10m. Default 10s.
    public var headerTimeout: Duration
    /// Connections served at once, 8...100000. Default 256. A few more (``reservedProbes``)
    /// are kept for `/healthz`, `/readyz` and `/metrics` when this many are open.
    public var maxConnections: Int
    /// Connections one client address (an IPv6 /64) may hold at once, 1...100000. Default 32.
    public var maxConnectionsPerClient: Int

    /// Connections beyond ``maxConnections`` kept for health and metrics requests, at most one
    /// per client address.
    public static let reservedProbes = 8

    /// Creates connection limits.
    public init(headerTimeout: Duration = .seconds(10), maxConnections: Int = 256, maxConnectionsPerClient: Int = 32) {
        self.headerTimeout = headerTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerClient = maxConnectionsPerClient
    }

    /// Reads the three keys from an `[http]` table.
    init(reading r: ConfigTableReader) {
        let d = ConnectionLimits()
        self.init(
            headerTimeout: r.duration("header_timeout", default: d.headerTimeout, in: .seconds(1)...(.seconds(600))),
            maxConnections: r.integer("max_connections", default: d.maxConnections, in: 8...100_000),
            maxConnectionsPerClient: r.integer(
                "max_connections_per_client", default: d.maxConnectionsPerClient, in: 1...100_000))
    }
}
