import EdgeLedgerSystem
import Logging
import Synchronization

/// Logs rejected readings (and device-time warnings) at most once per interval per topic and
/// reason, with a count of what was suppressed, so one bad sensor cannot flood the journal; and
/// every line within the process's ``LogBudget``, so that many topics cannot either.
final class RejectionLogLimiter: Sendable {
    private struct Key: Hashable {
        var topic: String
        var reason: String
    }
    private struct Window {
        var lastLogged: ContinuousClock.Instant
        var suppressed: Int
    }

    private let interval: Duration
    private let windows = Mutex<[Key: Window]>([:])
    private static let maximumKeys = 10_000

    init(interval: Duration) {
        self.interval = interval
    }

    func record(topic: String, rejection: Rejection, size: Int, budget: LogBudget, logger: Logger) {
        guard let suppressed = admit(topic: topic, reason: rejection.reason.rawValue) else { return }
        budget.log(
            .warning, kind: "rejected reading", "rejected reading",
            metadata: [
                "topic": "\(topic)", "reason": "\(rejection.reason.rawValue)", "detail": "\(rejection.detail)",
                "size": "\(size)", "suppressed_since_last": "\(suppressed)",
            ], logger: logger)
    }

    /// Whether a line for `topic` and `reason` may be logged now: `nil` when one was logged
    /// less than the interval ago (this one is counted as suppressed), else how many were
    /// suppressed since the last.
    func admit(topic: String, reason: String) -> Int? {
        let now = ContinuousClock.now
        let key = Key(topic: topic, reason: reason)
        let suppressed: Int? = windows.withLock { windows in
            if var w = windows[key] {
                if now - w.lastLogged < interval {
                    w.suppressed += 1
                    windows[key] = w
                    return nil
                }
                windows[key] = Window(lastLogged: now, suppressed: 0)
                return w.suppressed
            }
            if windows.count >= Self.maximumKeys { windows.removeAll(keepingCapacity: true) }
            windows[key] = Window(lastLogged: now, suppressed: 0)
            return 0
        }
        return suppressed
    }
}
