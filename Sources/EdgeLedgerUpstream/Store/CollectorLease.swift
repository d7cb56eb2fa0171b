/// Which upstream instance collects a gateway: a lease with an expiry and a fencing token.
///
/// An instance takes a gateway's lease when it is free or expired, which increments the token;
/// it renews it while it collects. Every write a collector makes is checked against the token in
/// the same transaction (``StoreError/Kind/leaseLost`` when another instance took the lease
/// over), so a paused or partitioned instance whose lease expired can never store, verify or
/// acknowledge anything: safety lives in the database, the lease only avoids duplicate work.
public struct CollectorLease: Sendable, Hashable {
    /// The instance holding it (its `instance.id`).
    public var holder: String
    /// The fencing token: incremented each time the lease changes hands.
    public var token: Int64
    /// When it expires: Unix nanoseconds, UTC, by the database's clock.
    public var expiresAt: Int64

    /// Creates a lease record.
    public init(holder: String, token: Int64, expiresAt: Int64) {
        self.holder = holder
        self.token = token
        self.expiresAt = expiresAt
    }
}
