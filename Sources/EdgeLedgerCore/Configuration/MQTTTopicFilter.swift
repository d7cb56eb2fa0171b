/// A validated MQTT topic filter (MQTT 3.1.1 §4.7, MQTT 5 §4.7), with matching.
///
/// Rules: non-empty; at most 65,535 bytes of UTF-8; no U+0000; `+` occupies a whole level;
/// `#` occupies a whole level and is the last one. A shared subscription
/// `$share/<group>/<filter>` (MQTT 5 §4.8.2; mosquitto also serves it to MQTT 3.1.1 clients)
/// has a non-empty group name without `/`, `+` or `#`, and a valid filter after it; readings
/// arrive on their own topics, so matching uses that inner filter.
public struct MQTTTopicFilter: Sendable, Hashable, CustomStringConvertible {
    /// The filter text as subscribed, e.g. `factory/+/telemetry` or `$share/agents/factory/#`.
    public let text: String
    /// The share group of a `$share/<group>/<filter>` subscription; `nil` for an ordinary one.
    public let shareGroup: String?
    private let levels: [Substring]

    /// Validates `text`; `nil` when it is not a valid filter (see ``problem(with:)``).
    public init?(_ text: String) {
        guard MQTTTopicFilter.problem(with: text) == nil else { return nil }
        self.text = text
        if let (group, filter) = Self.splitShare(text) {
            self.shareGroup = String(group)
            self.levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        } else {
            self.shareGroup = nil
            self.levels = text.split(separator: "/", omittingEmptySubsequences: false)
        }
    }

    /// The group and the filter of `$share/<group>/<filter>`, or `nil` when `text` is not shared.
    private static func splitShare(_ text: String) -> (Substring, Substring)? {
        guard text.hasPrefix("$share/") else { return nil }
        let rest = text.dropFirst("$share/".count)
        guard let slash = rest.firstIndex(of: "/") else { return (rest, rest[rest.endIndex...]) }
        return (rest[..<slash], rest[rest.index(after: slash)...])
    }

    /// Why `text` is not a valid topic filter, or `nil` when it is.
    public static func problem(with text: String) -> String? {
        if text.isEmpty { return "a topic filter must not be empty" }
        if text.utf8.count > 65_535 { return "a topic filter must be at most 65535 bytes" }
        if text.unicodeScalars.contains("\u{0}") { return "a topic filter must not contain U+0000" }
        var filter = Substring(text)
        if let (group, inner) = splitShare(text) {
            if group.isEmpty { return "a shared subscription needs a group name: $share/<group>/<filter>" }
            if group.contains(where: { $0 == "+" || $0 == "#" }) {
                return "the share group name must not contain \"+\" or \"#\""
            }
            if inner.isEmpty { return "a shared subscription needs a filter after the group: $share/<group>/<filter>" }
            filter = inner
        }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (i, level) in levels.enumerated() {
            if level.contains("#") {
                if level != "#" { return "\"#\" must occupy a whole level" }
                if i != levels.count - 1 { return "\"#\" must be the last level" }
            }
            if level.contains("+"), level != "+" { return "\"+\" must occupy a whole level" }
        }
        return nil
    }

    /// Whether the filter contains `+` or `#`.
    public var hasWildcards: Bool { levels.contains { $0 == "+" || $0 == "#" } }

    /// Whether a message published on `topic` matches this filter. Topics starting with `$`
    /// are not matched by a leading wildcard, as the specification says.
    public func matches(topic: String) -> Bool {
        let topicLevels = topic.split(separator: "/", omittingEmptySubsequences: false)
        if let first = levels.first, first == "+" || first == "#", topic.hasPrefix("$") { return false }
        var i = 0
        while i < levels.count {
            let level = levels[i]
            if level == "#" { return true }
            guard i < topicLevels.count else { return false }
            if level != "+", level != topicLevels[i] { return false }
            i += 1
        }
        return i == topicLevels.count
    }

    /// Whether some topic matches both this filter and `other`: a broker may then deliver such a
    /// reading once per subscription, and which payload format applies would be ambiguous.
    public func overlaps(_ other: MQTTTopicFilter) -> Bool {
        let a = levels
        let b = other.levels
        if let fa = a.first, let fb = b.first {
            let aWild = fa == "+" || fa == "#"
            let bWild = fb == "+" || fb == "#"
            if aWild, !bWild, fb.hasPrefix("$") { return false }
            if bWild, !aWild, fa.hasPrefix("$") { return false }
        }
        var i = 0
        while true {
            if i < a.count, a[i] == "#" { return true }
            if i < b.count, b[i] == "#" { return true }
            if i == a.count || i == b.count { return a.count == b.count }
            if a[i] != "+", b[i] != "+", a[i] != b[i] { return false }
            i += 1
        }
    }

    /// The filter text.
    public var description: String { text }
}
