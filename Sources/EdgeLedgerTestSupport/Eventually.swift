import EdgeLedgerSystem

/// Bounded polling for tests on a shared, loaded machine: wait for the event, never for a fixed
/// time.
public enum Eventually {
    /// Checks `condition` every `interval` seconds until it holds or `timeout` seconds pass.
    ///
    /// - Returns: whether it held (checked once more at the deadline).
    public static func holds(
        timeout: Double = 60, interval: Double = 0.05, _ condition: () throws -> Bool
    ) rethrows -> Bool {
        let start = SystemClock.monotonicSeconds()
        while true {
            if try condition() { return true }
            if SystemClock.monotonicSeconds() - start >= timeout {
                return try condition()
            }
            usleep(useconds_t(interval * 1e6))
        }
    }
}
