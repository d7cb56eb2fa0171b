/// One subscription of the agent (`[[mqtt.topics]]`): a topic filter, the QoS requested and
/// the payload format readings on it must have.
public struct MQTTTopicConfiguration: Sendable, Equatable {
    /// Payload validation for readings on a topic.
    public enum PayloadFormat: String, Sendable, Equatable, CaseIterable {
        /// The payload must be a JSON object (UTF-8); anything else is rejected.
        case json
        /// Any bytes are accepted.
        case raw
        /// Eclipse Sparkplug B: the topic must be in the `spBv1.0/` namespace and the payload a
        /// Sparkplug B protobuf `Payload` (STATE: a JSON object); the agent keeps each edge node's
        /// sequence state and records every gap (`[sparkplug]`).
        case sparkplugB = "sparkplug_b"
    }

    /// Topics under this prefix are the agent's own entries (e.g. Sparkplug gap records,
    /// `$edge-ledger/sparkplug/gap/...`); no filter may subscribe to them.
    public static let reservedPrefix = "$edge-ledger"

    /// The topic filter, `+` and `#` wildcards allowed.
    public var filter: MQTTTopicFilter
    /// Maximum QoS requested from the broker, 0...2. Default 1: readings are acknowledged only
    /// once committed.
    public var qos: UInt8
    /// Payload format. Default `json`.
    public var format: PayloadFormat
    /// The top-level member of a JSON payload that holds the device's own time of the reading
    /// (`device_time = "ts"`): an RFC 3339 string or a Unix-time number (see ``DeviceTime``). It
    /// is recorded as the entry's device time attribute. `nil`: none (the default).
    public var deviceTime: String?
    /// Deduplication of redelivered readings (`dedup`, `dedup_window`); `nil` (the default): off.
    public var dedup: DedupConfiguration?

    /// Creates a subscription.
    public init(
        filter: MQTTTopicFilter, qos: UInt8 = 1, format: PayloadFormat = .json, deviceTime: String? = nil,
        dedup: DedupConfiguration? = nil
    ) {
        self.filter = filter
        self.qos = qos
        self.format = format
        self.deviceTime = deviceTime
        self.dedup = dedup
    }

    /// `nil` when the filter is missing or invalid (reported).
    static func read(_ r: ConfigTableReader) -> MQTTTopicConfiguration? {
        let text = r.requiredString("filter")
        var filter: MQTTTopicFilter?
        if let text {
            filter = MQTTTopicFilter(text)
            if filter == nil, let problem = MQTTTopicFilter.problem(with: text) {
                r.error("filter", "invalid MQTT topic filter \(ConfigValue.quote(text)): \(problem)")
            } else if text.hasPrefix(Self.reservedPrefix) {
                r.error(
                    "filter",
                    "\(ConfigValue.quote(text)): topics under \(Self.reservedPrefix)/ are the agent's own entries (Sparkplug gaps), never readings"
                )
                filter = nil
            }
        }
        let qos = UInt8(r.integer("qos", default: 1, in: 0...2))
        let format = r.choice("format", default: PayloadFormat.json, PayloadFormat.allCases.map { ($0.rawValue, $0) })
        var deviceTime = r.string("device_time")
        if let member = deviceTime {
            if format != .json {
                r.error("device_time", "needs format = \"json\": it names a member of the JSON payload")
                deviceTime = nil
            } else if member.isEmpty || member.utf8.count > 256 {
                r.error("device_time", "expected a JSON member name of 1...256 bytes")
                deviceTime = nil
            }
        }
        if let group = filter?.shareGroup {
            r.warn(
                "filter",
                "a shared subscription: the broker divides these readings among the subscribers of group \"\(group)\", so this agent's ledger holds only its share"
            )
        }
        let dedup = DedupConfiguration.read(r, format: format)
        r.finish()
        guard let filter else { return nil }
        return MQTTTopicConfiguration(filter: filter, qos: qos, format: format, deviceTime: deviceTime, dedup: dedup)
    }
}
