/// Exponential backoff between retries: the first delay, doubling (with jitter) up to a cap.
public struct BackoffConfiguration: Sendable, Equatable {
    /// The first delay.
    public var initial: Duration
    /// The largest delay.
    public var max: Duration

    /// Creates a backoff policy.
    public init(initial: Duration, max: Duration) {
        self.initial = initial
        self.max = max
    }

    /// Reads `initial` and `max` from `r`, defaulting to `defaults`.
    init(reading r: ConfigTableReader, defaults: BackoffConfiguration) {
        let initial = r.duration("initial", default: defaults.initial, in: .milliseconds(10)...(.seconds(3600)))
        let max = r.duration("max", default: defaults.max, in: .milliseconds(10)...(.seconds(86_400)))
        if initial > max {
            r.error(
                "initial",
                "must not exceed max (\(ConfigDuration.format(max))), got \"\(ConfigDuration.format(initial))\"")
        }
        self.init(initial: initial, max: max)
        r.finish()
    }
}
