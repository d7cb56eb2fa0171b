/// What a simulator run published.
public struct SensorSimulatorSummary: Sendable, Equatable {
    /// Messages published, good and bad.
    public var published = 0
    /// Malformed messages among them.
    public var bad = 0
    /// Malformed messages by kind.
    public var badByKind: [MalformedReading: Int] = [:]
    /// Messages the broker acknowledged (QoS 1/2) or that were written to the socket (QoS 0).
    public var acknowledged = 0
    /// False if acknowledgements were still outstanding when the drain timed out.
    public var drained = true
    /// Seconds from the first publish to the last acknowledgement.
    public var seconds = 0.0
    /// The QoS used.
    public var qos: UInt8
    /// The number of sensors.
    public var sensors: Int
    /// The number of MQTT connections used.
    public var connections = 1

    public init(qos: UInt8, sensors: Int) {
        self.qos = qos
        self.sensors = sensors
    }

    /// Good readings: published minus bad.
    public var good: Int { published - bad }

    /// Bad messages that were published on a telemetry topic (so a subscriber to
    /// `<prefix>/+/telemetry` receives them and must reject them).
    public var badOnTelemetryTopics: Int { bad - (badByKind[.offFilterTopic] ?? 0) }

    /// Published messages per second.
    public var rate: Double { seconds > 0 ? Double(published) / seconds : 0 }

    mutating func record(_ message: SimulatedMessage) {
        published += 1
        if let kind = message.malformed {
            bad += 1
            badByKind[kind, default: 0] += 1
        }
    }

    /// `published N readings (B bad) in T s = R/s`
    public var line: String {
        var text =
            "published \(published) readings (\(bad) bad) in \(Self.fixed(seconds, 2)) s = \(Self.fixed(rate, 0))/s"
        if !drained { text += " (\(published - acknowledged) not acknowledged when the drain timed out)" }
        return text
    }

    /// One JSON object with every figure, for scripts.
    public var json: String {
        let kinds = MalformedReading.allCases.map { "\"\($0.rawValue)\":\(badByKind[$0] ?? 0)" }.joined(separator: ",")
        return "{\"published\":\(published),\"good\":\(good),\"bad\":\(bad),\"bad_by_kind\":{\(kinds)},"
            + "\"bad_on_telemetry_topics\":\(badOnTelemetryTopics),\"acknowledged\":\(acknowledged),"
            + "\"drained\":\(drained),\"seconds\":\(Self.fixed(seconds, 3)),\"rate\":\(Self.fixed(rate, 1)),"
            + "\"qos\":\(qos),\"sensors\":\(sensors),\"connections\":\(connections)}"
    }

    /// `value` with `decimals` digits after the point (no Foundation).
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale)
        var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let frac = String(scaled % Int(scale))
            text += "." + String(repeating: "0", count: decimals - frac.count) + frac
        }
        return text
    }
}
