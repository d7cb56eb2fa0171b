#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bounded polling for tests on a shared, loaded machine: wait for the event, never for a fixed
/// time.
public enum Eventually {
    /// Checks `condition` every `interval` seconds until it holds or `timeout` seconds pass.
    ///
    /// - Returns: whether it held (checked once more at the deadline).
    public static func holds(
        timeout: Double = 60, interval: Double = 0.05, _ condition: () throws -> Bool
    ) rethrows -> Bool {
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        while true {
            if try condition() { return true }
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            if Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9 >= timeout {
                return try condition()
            }
            usleep(useconds_t(interval * 1e6))
        }
    }
}
