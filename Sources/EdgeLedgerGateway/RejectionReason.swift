/// Why a reading was not made an entry. The raw values are metric labels and stored reasons.
public enum RejectionReason: String, Sendable, Hashable, CaseIterable {
    /// The topic is not valid UTF-8 (MQTT requires it; libmosquitto may pass it through).
    case topicNotUTF8 = "topic_not_utf8"
    /// The topic matches no configured filter (e.g. a broader subscription, or a retained leftover).
    case topicNotConfigured = "topic_not_configured"
    /// The topic is longer than `ingest.max_topic_bytes`.
    case topicTooLong = "topic_too_long"
    /// The payload is larger than `ingest.max_payload_bytes`.
    case payloadTooLarge = "payload_too_large"
    /// The topic is configured as JSON and the payload is not one JSON object.
    case payloadNotJSONObject = "payload_not_json_object"
    /// The topic is configured as `sparkplug_b` and is not a Sparkplug B topic
    /// (`spBv1.0/<group>/<type>/<edge node>[/<device>]`, `spBv1.0/STATE/<host id>`).
    case sparkplugTopic = "sparkplug_topic"
    /// The topic is configured as `sparkplug_b` and the payload is not a Sparkplug B protobuf
    /// `Payload` (malformed, or nested beyond the decoder's bound; STATE: not a JSON object).
    case sparkplugPayload = "sparkplug_payload"
    /// The payload with the reading's attributes (MQTT 5 user properties and content type,
    /// device time, Sparkplug fields) would exceed the 65,535-byte entry limit.
    case entryTooLarge = "entry_too_large"
}

/// A rejected reading: the reason and a human-readable detail.
public struct Rejection: Error, Sendable, Hashable {
    public var reason: RejectionReason
    /// E.g. "70000 bytes > ingest.max_payload_bytes 16384", "expected ':' at byte 12".
    public var detail: String

    public init(_ reason: RejectionReason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }
}
