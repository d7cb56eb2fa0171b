import EdgeLedgerSystem

/// Wall-clock and process-CPU time of a measured section (``SystemClock``).
struct Stopwatch {
    private let wallStart = SystemClock.monotonicNanoseconds()
    private let cpuStart = SystemClock.processCPUNanoseconds()

    init() {}

    /// Seconds since start: (wall, CPU of the whole process).
    func elapsed() -> (wall: Double, cpu: Double) {
        (
            Double(SystemClock.monotonicNanoseconds() - wallStart) / 1e9,
            Double(SystemClock.processCPUNanoseconds() - cpuStart) / 1e9
        )
    }
}
