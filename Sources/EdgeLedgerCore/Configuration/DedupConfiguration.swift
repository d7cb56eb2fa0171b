/// Deduplication of one topic filter's readings (`dedup` and `dedup_window` in
/// `[[mqtt.topics]]`): a redelivered reading whose key was stored within the window is recorded
/// as a duplicate instead of becoming a second entry.
public struct DedupConfiguration: Sendable, Equatable {
    /// What identifies a reading.
    public enum Key: Sendable, Equatable, CustomStringConvertible {
        /// Sparkplug B: the topic (group, message type, edge node, device), `seq`, the payload
        /// timestamp and, for NBIRTH/NDEATH, `bdSeq` (`dedup = "sparkplug"`).
        case sparkplug
        /// A member of the JSON payload as written, such as a message id, with the topic
        /// (`dedup = "json:<member path>"`).
        case jsonMember(JSONMemberPath)
        /// SHA-256 of the topic and the payload bytes (`dedup = "payload"`).
        case payload

        public var description: String {
            switch self {
            case .sparkplug: "sparkplug"
            case .jsonMember(let path): "json:\(path)"
            case .payload: "payload"
            }
        }
    }

    /// Longest window accepted: 7 days.
    public static let maximumWindow: Duration = .seconds(7 * 86_400)
    /// Default window: 10 minutes, longer than a broker's redelivery after an agent restart.
    public static let defaultWindow: Duration = .seconds(600)

    /// What identifies a reading.
    public var key: Key
    /// How long after a key was stored a reading with the same key is a duplicate, 1s...7d.
    public var window: Duration

    /// Creates a deduplication setting.
    public init(key: Key, window: Duration = Self.defaultWindow) {
        self.key = key
        self.window = window
    }

    /// Parses the value of `dedup`: `"sparkplug"`, `"json:<member path>"` or `"payload"`.
    public static func key(parsing text: String) -> Key? {
        switch text {
        case "sparkplug": return .sparkplug
        case "payload": return .payload
        default:
            guard text.hasPrefix("json:"), let path = JSONMemberPath(String(text.dropFirst(5))) else { return nil }
            return .jsonMember(path)
        }
    }

    /// Reads `dedup` and `dedup_window` of a topic table with payload `format`; `nil` when
    /// `dedup` is absent or invalid (reported).
    static func read(_ r: ConfigTableReader, format: MQTTTopicConfiguration.PayloadFormat) -> DedupConfiguration? {
        let window = r.duration("dedup_window", default: defaultWindow, in: .seconds(1)...maximumWindow)
        guard let text = r.string("dedup") else {
            if r.has("dedup_window") { r.warn("dedup_window", "has no effect without dedup") }
            return nil
        }
        guard let key = key(parsing: text) else {
            r.error(
                "dedup",
                "expected \"sparkplug\", \"json:<member path>\" (such as \"json:msg_id\" or \"json:meta.id\") or \"payload\", got \(ConfigValue.quote(text))"
            )
            return nil
        }
        switch (key, format) {
        case (.sparkplug, .sparkplugB), (.payload, _), (.jsonMember, .json):
            return DedupConfiguration(key: key, window: window)
        case (.sparkplug, _):
            r.error("dedup", "\"sparkplug\" needs format = \"sparkplug_b\"; use \"payload\" for other formats")
        case (.jsonMember, _):
            r.error("dedup", "\(ConfigValue.quote(text)) needs format = \"json\"; use \"payload\" for other formats")
        }
        return nil
    }
}
