import EdgeLedgerCore
import EdgeLedgerMQTT
import EdgeLedgerSystem
import Synchronization

/// What `edge-ledger simulate` does: the broker, the sensors, the pace and the stop condition.
public struct SensorSimulatorConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Number of sensors; readings go round them in turn.
    public var sensors: Int
    /// Readings per second across all sensors; 0 publishes as fast as the broker takes them.
    public var rate: Double
    /// MQTT QoS of every message (0, 1 or 2).
    public var qos: UInt8
    /// Stop after this many messages (bad ones included); `nil` runs until ``SensorSimulator/stop()``.
    public var count: Int?
    /// Every `badEvery`-th message is malformed; 0 for none.
    public var badEvery: Int
    /// First topic level(s): topics are `<prefix>/<sensor>/telemetry`.
    public var topicPrefix: String
    /// MQTT client id; with several connections, `<clientID>-<n>` for n = 1, 2, ….
    public var clientID: String
    /// Most unacknowledged QoS 1/2 messages at a time, over all connections (each gets an
    /// equal share); publishing waits while a connection's window is full.
    public var inflight: Int
    /// MQTT connections the sensors are spread over (sensor `i` uses connection `i % n`, so
    /// each sensor's readings stay in order). Real fleets connect per device; for benchmarks
    /// a few connections keep libmosquitto's per-connection cost of a large window (it walks
    /// the whole in-flight list on every acknowledgement) from capping the publisher.
    public var connections: Int
    public var seed: UInt64
    /// How long to wait at the end for outstanding acknowledgements.
    public var drainTimeout: Double
    /// `.json` readings, or `.sparkplugB`: one Sparkplug B edge node per sensor, group
    /// `topicPrefix` (NBIRTH, then NDATA).
    public var format: MQTTTopicConfiguration.PayloadFormat
    /// Sparkplug B: metrics per NBIRTH and NDATA (the sensor's own, then `channel 1`, …), 1...1000.
    public var sparkplugMetrics: Int = 1

    public init(
        host: String = "127.0.0.1", port: Int = 1883, sensors: Int = 20, rate: Double = 200, qos: UInt8 = 1,
        count: Int? = nil, badEvery: Int = 0, topicPrefix: String = "factory",
        clientID: String = "edge-ledger-sim-\(getpid())", inflight: Int = 1000, connections: Int = 1,
        seed: UInt64 = 1, drainTimeout: Double = 30, format: MQTTTopicConfiguration.PayloadFormat = .json
    ) {
        self.host = host
        self.port = port
        self.sensors = sensors
        self.rate = rate
        self.qos = qos
        self.count = count
        self.badEvery = badEvery
        self.topicPrefix = topicPrefix
        self.clientID = clientID
        self.inflight = inflight
        self.connections = connections
        self.seed = seed
        self.drainTimeout = drainTimeout
        self.format = format
    }
}

/// A fleet of simulated sensors publishing JSON readings to an MQTT broker, at a set pace or
/// as fast as the broker acknowledges them, optionally mixing in malformed messages.
///
/// ``run()`` blocks the calling thread until `count` messages are published and acknowledged,
/// or until ``stop()`` is called (from any thread, e.g. a signal handler's dispatch source).
/// Pacing sleeps between small batches: reading `k` is due `k / rate` seconds after the start,
/// and each wake-up publishes what is due, so the average rate holds even when single sleeps
/// overshoot.
public final class SensorSimulator: Sendable {
    /// The settings this simulator runs with.
    public let configuration: SensorSimulatorConfiguration
    private let stopping = Atomic<Bool>(false)

    public init(configuration: SensorSimulatorConfiguration) {
        self.configuration = configuration
    }

    /// Asks a running (or future) ``run()`` to stop publishing, drain and return.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
    }

    /// True once ``stop()`` was called.
    public var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Connects, publishes, drains, disconnects; returns what was done.
    public func run() throws(MQTTError) -> SensorSimulatorSummary {
        let c = configuration
        guard c.qos <= 2 else { throw MQTTError("QoS must be 0, 1 or 2, not \(c.qos)") }
        let connections = max(1, min(c.connections, c.sensors))
        var publishers: [MQTTPublisher] = []
        for n in 0..<connections {
            let publisher = try MQTTPublisher(
                clientID: connections == 1 ? c.clientID : "\(c.clientID)-\(n + 1)",
                maxInflight: max(1, c.inflight / connections))
            try publisher.connect(host: c.host, port: c.port)
            publishers.append(publisher)
        }
        defer { for publisher in publishers { publisher.disconnect() } }
        var generator = SimulatedReadingGenerator(
            sensors: c.sensors, topicPrefix: c.topicPrefix, badEvery: c.badEvery, seed: c.seed, format: c.format,
            sparkplugMetrics: c.sparkplugMetrics)
        var summary = SensorSimulatorSummary(qos: c.qos, sensors: max(1, c.sensors))
        let limit = c.count ?? Int.max
        let start = SystemClock.monotonicSeconds()
        let batchLimit = 256

        publishing: while summary.published < limit && !isStopping {
            var batch = min(batchLimit, limit - summary.published)
            if c.rate > 0 {
                let elapsed = SystemClock.monotonicSeconds() - start
                // Readings 0…due-1 are due by now.
                let due = min(Double(limit), (elapsed * c.rate).rounded(.down) + 1)
                let owed = Int(due) - summary.published
                if owed <= 0 {
                    let nextDue = Double(summary.published) / c.rate
                    // At least 1 ms (small batches, no spinning), at most 100 ms (prompt stop).
                    Self.sleep(seconds: min(max(nextDue - elapsed, 0.001), 0.1))
                    continue
                }
                batch = min(batch, owed)
            }
            for _ in 0..<batch {
                if isStopping { break publishing }
                let message = generator.next(timestampMillis: RFC3339Timestamp.nowMillis())
                try publishers[message.sensorIndex % connections].publish(
                    topic: message.topic, payload: message.payload, qos: c.qos)
                summary.record(message)
            }
        }
        let deadline = SystemClock.monotonicSeconds() + c.drainTimeout
        var drained = true
        for publisher in publishers {
            drained = publisher.drain(timeout: max(0, deadline - SystemClock.monotonicSeconds())) && drained
        }
        summary.seconds = SystemClock.monotonicSeconds() - start
        summary.acknowledged = publishers.reduce(0) { $0 + $1.acknowledgedCount }
        summary.drained = drained
        summary.connections = connections
        return summary
    }

    private static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
