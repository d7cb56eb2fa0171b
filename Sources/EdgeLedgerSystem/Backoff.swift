import EdgeLedgerCore

/// Exponential backoff with jitter: after the n-th consecutive failure wait a random time in
/// `[d/2, d]` with `d = min(max, initial · 2^(n-1))` ("equal jitter": never less than half the
/// nominal delay, so peers that fail together spread out without hammering).
public struct Backoff: Sendable {
    public var initial: Duration
    public var max: Duration

    public init(_ configuration: BackoffConfiguration) {
        self.initial = configuration.initial
        self.max = configuration.max
    }

    public init(initial: Duration, max: Duration) {
        self.initial = initial
        self.max = max
    }

    /// The nominal delay after `failures` consecutive failures (≥ 1), without jitter.
    public func nominal(afterFailures failures: Int) -> Duration {
        var delay = initial
        var n = 1
        while n < failures && delay < max {
            delay = delay * 2
            n += 1
        }
        return Swift.min(delay, max)
    }

    /// The delay after `failures` consecutive failures, with jitter.
    public func delay(afterFailures failures: Int) -> Duration {
        let nominal = nominal(afterFailures: failures)
        let ns = nominal.nanosecondsClamped
        guard ns > 1 else { return nominal }
        return .nanoseconds(ns / 2 + Int64.random(in: 0...(ns - ns / 2)))
    }
}
