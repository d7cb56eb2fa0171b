/// One benchmark's runs: operations per run and the time each run took.
struct Measurement {
    var name: String
    /// What one operation is ("commit", "row", "seal", "proof", "entry").
    var unit: String
    var operations: Int
    var wall: [Double] = []
    var cpu: [Double] = []

    mutating func record(_ t: (wall: Double, cpu: Double)) {
        wall.append(t.wall)
        cpu.append(t.cpu)
    }

    /// Median wall seconds per run.
    var medianWall: Double { Measurement.median(wall) }
    /// Median CPU seconds per run.
    var medianCPU: Double { Measurement.median(cpu) }
    /// Operations per second at the median.
    var rate: Double { Double(operations) / medianWall }
    /// Median wall microseconds per operation.
    var microsPerOp: Double { medianWall * 1e6 / Double(operations) }
    /// Median CPU microseconds per operation.
    var cpuMicrosPerOp: Double { medianCPU * 1e6 / Double(operations) }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
