import EdgeLedgerCore

/// One message the simulator publishes.
public struct SimulatedMessage: Sendable {
    /// MQTT topic, e.g. `factory/press-07/telemetry`.
    public var topic: String
    /// The payload bytes.
    public var payload: [UInt8]
    /// The sensor the message belongs to, e.g. `press-07`.
    public var sensor: String
    /// The sensor's position in ``SimulatedReadingGenerator/sensorIDs``.
    public var sensorIndex: Int
    /// The reading's per-sensor sequence number; `nil` for a malformed message (bad messages
    /// do not use up sequence numbers, so each sensor's good readings are numbered 0, 1, 2, …).
    public var sequence: Int?
    /// What is wrong with the message, or `nil` for a good reading.
    public var malformed: MalformedReading?
}

/// Produces the simulator's stream of readings, deterministically for a given seed: no I/O, no
/// clock (the caller passes the timestamp), so that tests can check it directly.
///
/// Reading `n` (0-based, counting bad ones) belongs to sensor `n % sensors`. Sensors cycle
/// through the kinds temperature, pressure, vibration, current; ids are the kind's prefix and a
/// per-kind number from 01 (`temp-01`, `press-01`, `vib-01`, `curr-01`, `temp-02`, …). With
/// `badEvery = K`, readings K, 2K, 3K, … (1-based) are malformed, cycling through
/// ``MalformedReading/allCases`` in order. With `format` `.sparkplugB` each sensor is a Sparkplug B
/// edge node instead (SimulatedReadingGenerator+Sparkplug.swift).
public struct SimulatedReadingGenerator: Sendable {
    var sensors: [SimulatedSensor]
    private var random: SimulatorRandom
    private var timestamp = RFC3339Timestamp()
    private let badEvery: Int
    /// `.json` (the default) or `.sparkplugB`.
    public let format: MQTTTopicConfiguration.PayloadFormat
    /// First topic level(s); the Sparkplug group id in Sparkplug mode.
    let topicPrefix: String
    /// Sparkplug B metrics per message.
    let sparkplugMetrics: Int
    /// Number of messages produced so far.
    public private(set) var produced = 0

    /// Creates a generator.
    /// - Parameters:
    ///   - sensors: number of sensors, at least 1.
    ///   - topicPrefix: first topic level(s), e.g. `factory`.
    ///   - badEvery: every `badEvery`-th message is malformed; 0 for none.
    ///   - seed: determines operating points, random walks and garbage bytes.
    ///   - format: `.json` readings, or `.sparkplugB` births and data of one edge node per sensor.
    ///   - sparkplugMetrics: Sparkplug B metrics per message (the sensor's own, then `channel 1`, …).
    public init(
        sensors: Int, topicPrefix: String = "factory", badEvery: Int = 0, seed: UInt64,
        format: MQTTTopicConfiguration.PayloadFormat = .json, sparkplugMetrics: Int = 1
    ) {
        var random = SimulatorRandom(seed: seed)
        let kinds = SensorKind.allCases
        self.sensors = (0..<max(1, sensors)).map { i in
            SimulatedSensor(
                kind: kinds[i % kinds.count], number: i / kinds.count + 1, topicPrefix: topicPrefix,
                random: &random)
        }
        self.random = random
        self.badEvery = max(0, badEvery)
        self.format = format == .sparkplugB ? .sparkplugB : .json
        self.topicPrefix = topicPrefix
        self.sparkplugMetrics = min(1000, max(1, sparkplugMetrics))
    }

    /// The sensor ids, in the order readings go round them.
    public var sensorIDs: [String] { sensors.map(\.id) }

    /// The telemetry topic of each sensor, in the same order.
    public var telemetryTopics: [String] { sensors.map(\.telemetryTopic) }

    /// The next message, stamped with `timestampMillis` (Unix ms).
    public mutating func next(timestampMillis: Int64) -> SimulatedMessage {
        let index = produced % sensors.count
        produced += 1
        if badEvery > 0 && produced % badEvery == 0 {
            let kinds = MalformedReading.allCases
            let kind = kinds[(produced / badEvery - 1) % kinds.count]
            return malformed(kind, sensor: index, timestampMillis: timestampMillis)
        }
        sensors[index].step(&random)
        let sequence = sensors[index].sequence
        sensors[index].sequence += 1
        if format == .sparkplugB {
            let (topic, payload) = sparkplugReading(sensor: index, sequence: sequence, timestampMillis: timestampMillis)
            return SimulatedMessage(
                topic: topic, payload: payload, sensor: sensors[index].id, sensorIndex: index, sequence: sequence,
                malformed: nil)
        }
        return SimulatedMessage(
            topic: sensors[index].telemetryTopic,
            payload: reading(sensor: index, sequence: sequence, timestampMillis: timestampMillis),
            sensor: sensors[index].id, sensorIndex: index, sequence: sequence, malformed: nil)
    }

    /// `{"sensor":"press-07","seq":1234,"ts":"…","value":12.34,"unit":"bar"}`
    private mutating func reading(sensor index: Int, sequence: Int, timestampMillis: Int64) -> [UInt8] {
        let sensor = sensors[index]
        var out: [UInt8] = []
        out.reserveCapacity(112)
        out.append(contentsOf: #"{"sensor":""#.utf8)
        out.append(contentsOf: sensor.id.utf8)
        out.append(contentsOf: #"","seq":"#.utf8)
        JSONWriter.appendInteger(sequence, to: &out)
        out.append(contentsOf: #","ts":""#.utf8)
        timestamp.append(millis: timestampMillis, to: &out)
        out.append(contentsOf: #"","value":"#.utf8)
        Self.appendFixed2(sensor.value, to: &out)
        out.append(contentsOf: #","unit":""#.utf8)
        out.append(contentsOf: sensor.kind.unit.utf8)
        out.append(contentsOf: #""}"#.utf8)
        return out
    }

    private mutating func malformed(
        _ kind: MalformedReading, sensor index: Int, timestampMillis: Int64
    )
        -> SimulatedMessage
    {
        let sensor = sensors[index]
        var topic = sensor.telemetryTopic
        let payload: [UInt8]
        switch kind {
        case .truncatedJSON where format == .sparkplugB:
            topic = sparkplugDataTopic(sensor: index)
            let whole = sparkplugReading(sensor: index, sequence: sensor.sequence, timestampMillis: timestampMillis)
            payload = Array(whole.payload.dropLast())  // ends inside the seq field
        case .truncatedJSON:
            let whole = reading(sensor: index, sequence: sensor.sequence, timestampMillis: timestampMillis)
            payload = Array(whole[..<(whole.count / 2)])
        case .nonObjectJSON:
            if format == .sparkplugB { topic = sparkplugDataTopic(sensor: index) }
            payload = Array("[1,2]".utf8)
        case .binaryGarbage:
            if format == .sparkplugB { topic = sparkplugDataTopic(sensor: index) }
            // 0xFF/0xFE never occur in UTF-8 and NUL ends any parse: not text, not JSON.
            var bytes: [UInt8] = [0xFF, 0xFE, 0x00]
            for _ in 0..<29 { bytes.append(UInt8(truncatingIfNeeded: random.next())) }
            payload = bytes
        case .oversized:
            if format == .sparkplugB { topic = sparkplugDataTopic(sensor: index) }
            var bytes = Array(#"{"sensor":""#.utf8) + Array(sensor.id.utf8) + Array(#"","blob":""#.utf8)
            let fill = MalformedReading.oversizedPayloadBytes - bytes.count - 2
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: fill))
            bytes.append(contentsOf: #""}"#.utf8)
            payload = bytes
        case .offFilterTopic:
            topic = sensor.debugTopic
            payload = reading(sensor: index, sequence: sensor.sequence, timestampMillis: timestampMillis)
        }
        return SimulatedMessage(
            topic: topic, payload: payload, sensor: sensor.id, sensorIndex: index, sequence: nil, malformed: kind)
    }

    /// Writes `value` rounded to two decimals, e.g. `12.30`, `-0.05`.
    static func appendFixed2(_ value: Double, to out: inout [UInt8]) {
        let hundredths = Int((value * 100).rounded())
        if hundredths < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = abs(hundredths)
        JSONWriter.appendInteger(magnitude / 100, to: &out)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(ascii: "0") + UInt8(magnitude / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
    }
}
