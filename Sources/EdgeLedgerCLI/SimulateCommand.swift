import ArgumentParser
import Dispatch
import EdgeLedgerCore
import EdgeLedgerGateway
import EdgeLedgerSystem

/// `edge-ledger simulate`: a fleet of sensors publishing JSON readings, for demos and benchmarks.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Publish simulated sensor readings to an MQTT broker.",
        discussion: """
            Readings look like {"sensor":"press-07","seq":1234,"ts":"2025-11-29T10:12:34.567Z",\
            "value":12.34,"unit":"bar"} and go to <topic-prefix>/<sensor>/telemetry. Sensors are \
            temperature (°C), pressure (bar), vibration (mm/s) and current (A) in turn, each a \
            random walk around its own operating point; sequence numbers count from 0 per sensor.

            With --bad-every K every K-th message is malformed, cycling through: truncated JSON, \
            non-object JSON ([1,2]), binary garbage, an oversized payload (17 KiB) and a topic \
            outside the telemetry filters (<topic-prefix>/<sensor>/debug). Bad messages do not \
            use up sequence numbers.

            With --format sparkplug_b each sensor is an Eclipse Sparkplug B edge node of group \
            <topic-prefix>: an NBIRTH (seq 0, bdSeq 0) on spBv1.0/<topic-prefix>/NBIRTH/<sensor>, \
            then NDATA with seq 1, 2, … (mod 256) and one metric, e.g. "pressure [bar]"; \
            malformed messages go to the NDATA topic. Configure the agent's filter \
            spBv1.0/# with format = "sparkplug_b".

            Without --count it runs until SIGINT or SIGTERM, then waits for outstanding \
            acknowledgements and prints the summary line (a second signal exits at once).
            """
    )

    @Option(help: ArgumentHelp("Broker address.", valueName: "host:port"))
    var broker: String = "127.0.0.1:1883"

    @Option(help: "Number of sensors.")
    var sensors: Int = 20

    @Option(help: "Readings per second across all sensors; 0 = as fast as the broker takes them.")
    var rate: Double = 200

    @Option(help: "MQTT QoS (0, 1 or 2).")
    var qos: UInt8 = 1

    @Option(help: "Stop after this many messages, bad ones included (default: until SIGINT/SIGTERM).")
    var count: Int?

    @Option(help: ArgumentHelp("Make every K-th message malformed.", valueName: "K"))
    var badEvery: Int = 0

    @Option(help: "First topic level(s).")
    var topicPrefix: String = "factory"

    @Option(help: "MQTT client id (default: edge-ledger-sim-<pid>).")
    var clientID: String?

    @Option(help: "Most unacknowledged QoS 1/2 messages at a time, over all connections.")
    var inflight: Int = 1000

    @Option(help: "MQTT connections to spread the sensors over (client ids <client-id>-1, -2, …).")
    var connections: Int = 1

    @Option(help: "Seed for sensor values and garbage bytes (default: from the clock).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Payload format: json or sparkplug_b.", valueName: "format"))
    var format: String = "json"

    @Option(help: "With --format sparkplug_b: metrics per NBIRTH and NDATA (1...1000).")
    var metrics: Int = 1

    @Flag(help: "Also print a JSON summary as the last line.")
    var json = false

    func validate() throws {
        if let problem = HostPort.problem(with: broker) { throw ValidationError("--broker \(broker): \(problem)") }
        guard sensors >= 1 else { throw ValidationError("--sensors must be at least 1") }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 (as fast as possible) or more") }
        guard qos <= 2 else { throw ValidationError("--qos must be 0, 1 or 2") }
        if let count, count < 0 { throw ValidationError("--count must not be negative") }
        guard badEvery >= 0 else { throw ValidationError("--bad-every must be 0 (none) or more") }
        guard inflight >= 1 else { throw ValidationError("--inflight must be at least 1") }
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard format == "json" || format == "sparkplug_b" else {
            throw ValidationError("--format must be json or sparkplug_b, not \(format)")
        }
        guard (1...1000).contains(metrics) else { throw ValidationError("--metrics must be 1...1000") }
        if format == "sparkplug_b", topicPrefix.contains("/") {
            throw ValidationError("--topic-prefix is the Sparkplug group id with --format sparkplug_b: one level, no /")
        }
        guard !topicPrefix.isEmpty, !topicPrefix.contains(where: { "+#".contains($0) }) else {
            throw ValidationError("--topic-prefix must be non-empty and free of the wildcards + and #")
        }
    }

    func run() async throws {
        let address = HostPort(parsing: broker)!
        let now = SystemClock.nowNanoseconds()
        var configuration = SensorSimulatorConfiguration(
            host: address.host, port: Int(address.port), sensors: sensors, rate: rate, qos: qos, count: count,
            badEvery: badEvery, topicPrefix: topicPrefix, clientID: clientID ?? "edge-ledger-sim-\(getpid())",
            inflight: inflight, connections: connections,
            seed: seed ?? UInt64(truncatingIfNeeded: now), format: format == "sparkplug_b" ? .sparkplugB : .json)
        configuration.sparkplugMetrics = metrics
        let simulator = SensorSimulator(configuration: configuration)
        let signals = StopSignals { simulator.stop() }
        defer { signals.cancel() }
        let summary = try simulator.run()
        print(summary.line)
        if json { print(summary.json) }
        if !summary.drained { throw ExitCode(3) }
    }
}

/// SIGINT/SIGTERM ask the simulator to stop and drain; a second signal exits at once.
private final class StopSignals {
    private let sources: [any DispatchSourceSignal]

    init(onStop: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "edge-ledger.simulate.signals")
        sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            nonisolated(unsafe) var seen = false  // only touched on the serial queue
            source.setEventHandler {
                if seen { _exit(128 + sig) }
                seen = true
                onStop()
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
