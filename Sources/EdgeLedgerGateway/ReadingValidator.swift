import EdgeLedgerCore
import EdgeLedgerSparkplug

/// Decides, per reading, whether it becomes an entry: topic filter, size limits, payload format
/// (a `sparkplug_b` payload is decoded here: ``Accepted/sparkplug``).
///
/// Cheap: no allocation beyond the topic string the entry needs anyway, except a bounded cache of
/// which filter each topic matched in ``validateRemembering(topic:payload:)``.
public struct ReadingValidator: Sendable {
    /// The configured topics, in configuration order (the first matching filter decides the format).
    public let topics: [MQTTTopicConfiguration]
    /// Size limits.
    public let limits: IngestConfiguration

    /// Which configured topic (index into ``topics``, -1: none) each recently seen topic
    /// matched: gateways see a few hundred distinct topics, and matching splits the topic into
    /// levels for every filter.
    private var matches: [String: Int] = [:]
    /// ``matches`` is emptied when it reaches this many topics.
    public static let matchCacheLimit = 4096

    /// An accepted reading: its topic, and the configured topic filter it matched.
    public struct Accepted: Sendable, Hashable {
        /// The topic, validated UTF-8.
        public var topic: String
        /// Index into ``ReadingValidator/topics`` of the first filter that matches.
        public var topicIndex: Int
        /// The decoded metadata of a `sparkplug_b` reading; `nil` for other formats.
        public var sparkplug: SparkplugMessage? = nil
        /// The UTF-8 name of the JSON member holding the device time, when the filter
        /// configures one (``MQTTTopicConfiguration/deviceTime``).
        public var deviceTimeMember: [UInt8]?
    }

    /// ``MQTTTopicConfiguration/deviceTime`` of each topic, as UTF-8.
    private let deviceTimeMembers: [[UInt8]?]

    public init(topics: [MQTTTopicConfiguration], limits: IngestConfiguration) {
        self.topics = topics
        self.limits = limits
        self.deviceTimeMembers = topics.map { $0.deviceTime.map { Array($0.utf8) } }
    }

    /// Validates one reading; returns the topic, the filter it matched (and a Sparkplug message's
    /// decoded metadata) when accepted.
    public func validate(
        topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer
    ) -> Result<Accepted, Rejection> {
        validate(topic: topic, payload: payload) { name in topics.firstIndex { $0.filter.matches(topic: name) } ?? -1 }
    }

    /// Validates one reading like ``validate(topic:payload:)``, remembering which filter each
    /// topic matched (the hot path's variant).
    public mutating func validateRemembering(
        topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer
    ) -> Result<Accepted, Rejection> {
        var cache = matches
        matches = [:]  // keeps `cache` uniquely referenced: no copy on write
        defer { matches = cache }
        let topics = self.topics
        return validate(topic: topic, payload: payload) { name in
            if let known = cache[name] { return known }
            let index = topics.firstIndex { $0.filter.matches(topic: name) } ?? -1
            if cache.count >= Self.matchCacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[name] = index
            return index
        }
    }

    private func validate(
        topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, match: (String) -> Int
    ) -> Result<Accepted, Rejection> {
        guard topic.count <= limits.maxTopicBytes else {
            return .failure(
                Rejection(.topicTooLong, "\(topic.count) bytes > ingest.max_topic_bytes \(limits.maxTopicBytes)"))
        }
        guard let name = String(validating: topic, as: UTF8.self), !name.isEmpty, !name.utf8.contains(0) else {
            return .failure(Rejection(.topicNotUTF8, "topic is not valid UTF-8 (or empty, or contains NUL)"))
        }
        let index = match(name)
        guard index >= 0 else {
            return .failure(Rejection(.topicNotConfigured, "no configured mqtt.topics filter matches"))
        }
        let config = topics[index]
        guard payload.count <= limits.maxPayloadBytes else {
            return .failure(
                Rejection(
                    .payloadTooLarge, "\(payload.count) bytes > ingest.max_payload_bytes \(limits.maxPayloadBytes)"))
        }
        switch config.format {
        case .json:
            if let problem = JSONSyntax.objectProblem(payload) {
                return .failure(Rejection(.payloadNotJSONObject, problem))
            }
        case .raw:
            break
        case .sparkplugB:
            do {
                let message = try SparkplugDecoder.decode(topic: name, payload: payload)
                return .success(Accepted(topic: name, topicIndex: index, sparkplug: message))
            } catch {
                return .failure(Rejection(error.kind == .topic ? .sparkplugTopic : .sparkplugPayload, "\(error)"))
            }
        }
        return .success(Accepted(topic: name, topicIndex: index, deviceTimeMember: deviceTimeMembers[index]))
    }
}
