import Dispatch
import Logging
import Synchronization

/// One process-wide budget for log lines that an outsider can trigger at will (rejected
/// readings, refused credentials, refused checkpoints), so that no flood, whatever topics,
/// tokens or addresses it varies, can fill the journal.
///
/// A token bucket: at most ``perMinute`` such lines a minute (bursts up to that many), shared by
/// every kind. Lines beyond it are counted by kind, and once per ``summaryInterval`` one line
/// says what was left out:
///
/// ```
/// warning: log budget exhausted: suppressed 19940 lines in the last 60s [suppressed=19940 rejected reading=19931 refused credentials=9]
/// ```
///
/// The summary comes from a dispatch timer armed by the first suppressed line of an interval
/// (not a Swift task: a busy concurrency pool must not delay it), so it also appears when the
/// flood has stopped. Counters (metrics, the `rejected` table) still
/// count every event: the budget only limits the log.
public final class LogBudget: Sendable {
    private struct State {
        var tokens: Double
        var refilled: ContinuousClock.Instant
        var suppressed: [String: Int] = [:]
        var summaryPending = false
    }

    /// Lines a minute across every kind. Default 60.
    public let perMinute: Int
    /// How often suppressed lines are summarised. Default one minute.
    public let summaryInterval: Duration
    private let logger: Logger
    private let state: Mutex<State>

    /// A budget whose summaries go to `logger`.
    public init(perMinute: Int = 60, summaryInterval: Duration = .seconds(60), logger: Logger) {
        self.perMinute = max(1, perMinute)
        self.summaryInterval = summaryInterval
        self.logger = logger
        self.state = Mutex(State(tokens: Double(max(1, perMinute)), refilled: .now))
    }

    /// Logs through `logger` when the budget allows, otherwise counts the line under `kind`
    /// (a short fixed phrase such as `"rejected reading"`). Returns whether it was logged.
    @discardableResult
    public func log(
        _ level: Logger.Level, kind: String, _ message: @autoclosure () -> Logger.Message,
        metadata: @autoclosure () -> Logger.Metadata? = nil, logger: Logger
    ) -> Bool {
        guard logger.logLevel <= level else { return false }
        let (allowed, startSummary) = take(kind: kind)
        if startSummary { scheduleSummary() }
        if allowed { logger.log(level: level, message(), metadata: metadata()) }
        return allowed
    }

    /// Takes a token, or counts a suppressed line; the second value says whether a summary must
    /// be scheduled.
    private func take(kind: String) -> (allowed: Bool, startSummary: Bool) {
        let now = ContinuousClock.now
        return state.withLock { s in
            let elapsed = now - s.refilled
            let (seconds, attoseconds) = elapsed.components
            let refill = (Double(seconds) + Double(attoseconds) / 1e18) * Double(perMinute) / 60
            s.tokens = min(Double(perMinute), s.tokens + refill)
            s.refilled = now
            if s.tokens >= 1 {
                s.tokens -= 1
                return (true, false)
            }
            s.suppressed[kind, default: 0] += 1
            if s.summaryPending { return (false, false) }
            s.summaryPending = true
            return (false, true)
        }
    }

    private func scheduleSummary() {
        let (seconds, attoseconds) = summaryInterval.components
        let nanoseconds = Int(clamping: seconds) &* 1_000_000_000 &+ Int(attoseconds / 1_000_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(max(0, nanoseconds))) { [self] in
            flushSummary()
        }
    }

    /// Logs the summary of the lines suppressed since the last one (nothing when there are
    /// none). Called by the budget itself once per interval; tests may call it directly.
    public func flushSummary() {
        let suppressed = state.withLock { s -> [String: Int] in
            let counts = s.suppressed
            s.suppressed = [:]
            s.summaryPending = false
            return counts
        }
        let total = suppressed.values.reduce(0, +)
        guard total > 0 else { return }
        var metadata: Logger.Metadata = ["suppressed": "\(total)"]
        for (kind, count) in suppressed { metadata[kind] = "\(count)" }
        logger.warning(
            "log budget exhausted: suppressed \(total) lines in the last \(summaryInterval)", metadata: metadata)
    }
}
