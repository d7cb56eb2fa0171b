/// Decides which failed connection attempts the client reports: a new reason at once, the same
/// reason again only as a periodic "still retrying" reminder, so a failure that lasts for days
/// is neither silent nor a line per attempt.
struct MQTTRetryTracker: Sendable {
    /// What to report for a failed attempt.
    enum Decision: Sendable, Equatable {
        /// A reason not reported just before: report it as a new disconnected state.
        case report
        /// The same reason for at least the interval since it was last reported: remind.
        case remind(attempts: Int, sinceNanoseconds: Int64)
        /// The same reason, reported recently: nothing.
        case quiet
    }

    /// Seconds between reminders of the same failure (≤ 0: never remind).
    let interval: Double
    /// Failed attempts since the last successful connection (or the start).
    private(set) var attempts = 0
    /// Wall-clock time (Unix nanoseconds) of the first failure since then.
    private(set) var sinceNanoseconds: Int64?
    private var lastReason: String?
    private var lastReportAt: Double = 0

    init(interval: Double) { self.interval = interval }

    /// Records a failed attempt for `reason` at monotonic `now` seconds and wall-clock `wall`
    /// (Unix nanoseconds); the next attempt follows in `retryIn` seconds. A reminder is due when
    /// waiting for the next failure would leave the failure unmentioned for `interval` or longer
    /// (the backoff grows to `mqtt.reconnect.max`, so waiting for `interval` to have passed could
    /// nearly double it).
    mutating func failed(reason: String, now: Double, retryIn: Double, wall: Int64) -> Decision {
        attempts += 1
        let since = sinceNanoseconds ?? wall
        sinceNanoseconds = since
        if reason != lastReason {
            lastReason = reason
            lastReportAt = now
            return .report
        }
        guard interval > 0, now + retryIn - lastReportAt >= interval else { return .quiet }
        lastReportAt = now
        return .remind(attempts: attempts, sinceNanoseconds: since)
    }

    /// The connection succeeded: the next failure starts a new episode.
    mutating func connected() {
        attempts = 0
        sinceNanoseconds = nil
        lastReason = nil
    }
}
