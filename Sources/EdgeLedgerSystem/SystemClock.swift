/// The clocks of the C library, without Foundation: the one home for reading them.
///
/// - ``nowNanoseconds()``: wall-clock time (`CLOCK_REALTIME`) as Unix nanoseconds UTC, for
///   timestamps that are stored or shown.
/// - ``monotonicNanoseconds()``: `CLOCK_MONOTONIC`, for measuring elapsed time and deadlines.
/// - ``processCPUNanoseconds()``: this process's CPU time, for benchmarks.
public enum SystemClock {
    /// Now, as Unix nanoseconds UTC (`CLOCK_REALTIME`).
    public static func nowNanoseconds() -> Int64 { read(CLOCK_REALTIME) }

    /// Now, as whole Unix seconds UTC.
    public static func nowSeconds() -> Int64 { nowNanoseconds() / 1_000_000_000 }

    /// The monotonic clock in nanoseconds (arbitrary origin, never steps).
    public static func monotonicNanoseconds() -> Int64 { read(CLOCK_MONOTONIC) }

    /// The monotonic clock in fractional seconds.
    public static func monotonicSeconds() -> Double { Double(monotonicNanoseconds()) / 1e9 }

    /// CPU time used by this process (all threads) in nanoseconds.
    public static func processCPUNanoseconds() -> Int64 { read(CLOCK_PROCESS_CPUTIME_ID) }

    private static func read(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }
}
