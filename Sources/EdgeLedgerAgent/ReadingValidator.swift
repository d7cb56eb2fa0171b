import EdgeLedgerCore

/// Decides, per reading, whether it becomes an entry: topic filter, size limits, payload format.
///
/// Pure and cheap: no allocation beyond the topic string the entry needs anyway.
public struct ReadingValidator: Sendable {
    /// The configured topics, in configuration order (the first matching filter decides the format).
    public let topics: [MQTTTopicConfiguration]
    /// Size limits.
    public let limits: IngestConfiguration

    public init(topics: [MQTTTopicConfiguration], limits: IngestConfiguration) {
        self.topics = topics
        self.limits = limits
    }

    /// Validates one reading; returns the topic as a string when accepted.
    public func validate(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) -> Result<String, Rejection> {
        guard topic.count <= limits.maxTopicBytes else {
            return .failure(
                Rejection(.topicTooLong, "\(topic.count) bytes > ingest.max_topic_bytes \(limits.maxTopicBytes)"))
        }
        guard let name = String(validating: topic, as: UTF8.self), !name.isEmpty, !name.utf8.contains(0) else {
            return .failure(Rejection(.topicNotUTF8, "topic is not valid UTF-8 (or empty, or contains NUL)"))
        }
        guard let config = topics.first(where: { $0.filter.matches(topic: name) }) else {
            return .failure(Rejection(.topicNotConfigured, "no configured mqtt.topics filter matches"))
        }
        guard payload.count <= limits.maxPayloadBytes else {
            return .failure(
                Rejection(
                    .payloadTooLarge, "\(payload.count) bytes > ingest.max_payload_bytes \(limits.maxPayloadBytes)"))
        }
        if config.format == .json, let problem = JSONSyntax.objectProblem(payload) {
            return .failure(Rejection(.payloadNotJSONObject, problem))
        }
        return .success(name)
    }
}
