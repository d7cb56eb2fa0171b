#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Wall-clock and process-CPU time of a measured section.
struct Stopwatch {
    private let wallStart: Double
    private let cpuStart: Double

    init() {
        wallStart = Stopwatch.now(CLOCK_MONOTONIC)
        cpuStart = Stopwatch.now(CLOCK_PROCESS_CPUTIME_ID)
    }

    /// Seconds since start: (wall, CPU of the whole process).
    func elapsed() -> (wall: Double, cpu: Double) {
        (Stopwatch.now(CLOCK_MONOTONIC) - wallStart, Stopwatch.now(CLOCK_PROCESS_CPUTIME_ID) - cpuStart)
    }

    static func now(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
