import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerSparkplug
import EdgeLedgerStore
import Synchronization

/// Computes the deduplication key of a reading from its topic filter's `dedup` setting
/// (``ReadingDeduplication/key``): called by the store as it folds journaled readings, so a
/// replayed journal is keyed exactly like live ingest and the hot path computes nothing.
///
/// The key is SHA-256 of a tag, the topic, a NUL and what identifies the reading:
/// - `sparkplug`: `bdSeq`, `seq` and the payload timestamp, each a presence byte and 8 bytes
///   big-endian (the topic names group, message type, edge node and device). A message with
///   none of them (STATE) has no key.
/// - `json:<path>`: the member's value as written (``JSONMemberPath``); absent: no key.
/// - `payload`: the payload bytes.
public final class ReadingKeyer: Sendable {
    /// The configured topics, in configuration order (the first matching filter decides).
    public let topics: [MQTTTopicConfiguration]
    /// Which configured topic (index, -1: none) each recently folded topic matched.
    private let matches = Mutex<[String: Int]>([:])

    /// A keyer for `topics`; `nil` when none of them has `dedup` (deduplication off).
    public init?(topics: [MQTTTopicConfiguration]) {
        guard topics.contains(where: { $0.dedup != nil }) else { return nil }
        self.topics = topics
    }

    /// The key of `reading`.
    public func key(_ reading: ReadingInput) -> ReadingKey {
        let index = matches.withLock { cache in
            if let known = cache[reading.topic] { return known }
            let index = topics.firstIndex { $0.filter.matches(topic: reading.topic) } ?? -1
            if cache.count >= ReadingValidator.matchCacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[reading.topic] = index
            return index
        }
        guard index >= 0, let dedup = topics[index].dedup else { return .none }
        guard
            let material = Self.material(
                dedup.key, topic: reading.topic, payload: reading.payload, sparkplug: reading.attributes.sparkplug)
        else {
            return .missing
        }
        return .key(OpenSSLHasher.sha256.hash(material), windowNanoseconds: dedup.window.nanosecondsClamped)
    }

    /// The bytes hashed into the key of a reading, or `nil` when it has no key. A Sparkplug
    /// reading's numbers come from its entry attributes, which ingest decoded already (the
    /// payload is decoded here only for a reading journaled without them).
    public static func material(
        _ key: DedupConfiguration.Key, topic: String, payload: [UInt8], sparkplug: SparkplugAttributes? = nil
    ) -> [UInt8]? {
        var out: [UInt8] = []
        func start(_ tag: String) {
            out.reserveCapacity(tag.utf8.count + topic.utf8.count + 2 + 27)
            out.append(contentsOf: tag.utf8)
            out.append(0)
            out.append(contentsOf: topic.utf8)
            out.append(0)
        }
        switch key {
        case .payload:
            start("payload")
            out.append(contentsOf: payload)
        case .jsonMember(let path):
            guard let value = path.value(in: payload) else { return nil }
            start("json")
            out.append(contentsOf: value)
        case .sparkplug:
            let numbers =
                sparkplug.map { [$0.bdSeq, $0.seq, $0.timestamp] }
                ?? payload.withUnsafeBytes { try? SparkplugDecoder.decode(topic: topic, payload: $0) }
                .map { [$0.bdSeq, $0.seq, $0.timestamp] }
            guard let numbers, numbers.contains(where: { $0 != nil }) else { return nil }
            start("sparkplug")
            for field in numbers {
                out.append(field == nil ? 0 : 1)
                out.appendBigEndian(field ?? 0)
            }
        }
        return out
    }
}
