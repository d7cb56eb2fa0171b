import EdgeLedgerCore

/// What the gateway knows about one upstream (a witness / collector): how far it acknowledged
/// holding the log, and how the last push of a checkpoint to it went.
public struct UpstreamState: Sendable, Hashable {
    /// The upstream's configured name.
    public var name: String
    /// The upstream said it holds every entry below this size (0: nothing yet).
    public var ackedSize: UInt64
    /// The root at ``ackedSize`` the upstream acknowledged.
    public var ackedRoot: Hash32?
    /// When the acknowledgement arrived: Unix nanoseconds, UTC.
    public var ackedAt: Int64?
    /// When a checkpoint was last pushed (attempted): Unix nanoseconds, UTC.
    public var lastPushAt: Int64?
    /// Size of the checkpoint last pushed successfully (cosigned or accepted).
    public var lastPushedSize: UInt64
    /// Outcome of the last push, e.g. "ok", "HTTP 409", "connection refused".
    public var lastPushResult: String?
    /// Consecutive failed pushes, for backoff.
    public var consecutiveFailures: Int
    /// Earliest time of the next push attempt: Unix nanoseconds, UTC.
    public var nextAttemptAt: Int64?

    /// State of an upstream that never acknowledged nor was pushed to.
    public init(name: String) {
        self.name = name
        self.ackedSize = 0
        self.ackedRoot = nil
        self.ackedAt = nil
        self.lastPushAt = nil
        self.lastPushedSize = 0
        self.lastPushResult = nil
        self.consecutiveFailures = 0
        self.nextAttemptAt = nil
    }
}
