import EdgeLedgerCore
import EdgeLedgerGateway
import EdgeLedgerSparkplug
import EdgeLedgerStore
import Testing

/// ``ReadingKeyer``: which readings share a key.
@Suite struct ReadingKeyerTests {
    static let keyer = ReadingKeyer(topics: [
        MQTTTopicConfiguration(
            filter: MQTTTopicFilter("plant/+/json")!,
            dedup: DedupConfiguration(key: .jsonMember(JSONMemberPath("msg_id")!))),
        MQTTTopicConfiguration(
            filter: MQTTTopicFilter("plant/+/raw")!, format: .raw,
            dedup: DedupConfiguration(key: .payload, window: .seconds(60))),
        MQTTTopicConfiguration(
            filter: MQTTTopicFilter("spBv1.0/#")!, format: .sparkplugB, dedup: DedupConfiguration(key: .sparkplug)),
        MQTTTopicConfiguration(filter: MQTTTopicFilter("plant/+/plain")!),
    ])!

    static func key(_ topic: String, _ payload: [UInt8]) -> ReadingKey {
        keyer.key(ReadingInput(receivedAt: 1, qos: 1, topic: topic, payload: payload))
    }

    static func key(_ topic: String, _ json: String) -> ReadingKey { key(topic, Array(json.utf8)) }

    @Test func offWithoutAnyDedupTopic() {
        #expect(ReadingKeyer(topics: [MQTTTopicConfiguration(filter: MQTTTopicFilter("a/#")!)]) == nil)
        #expect(Self.key("plant/a/plain", #"{"msg_id":1}"#) == .none)
        #expect(Self.key("elsewhere", #"{"msg_id":1}"#) == .none)
    }

    @Test func jsonMemberKeysByTopicAndValue() {
        let first = Self.key("plant/a/json", #"{"msg_id":"m-1","v":1}"#)
        guard case .key(_, let window) = first else {
            Issue.record("no key")
            return
        }
        #expect(window == 600_000_000_000)
        #expect(Self.key("plant/a/json", #"{"v":2, "msg_id" : "m-1"}"#) == first, "the member decides, not the rest")
        #expect(Self.key("plant/b/json", #"{"msg_id":"m-1"}"#) != first, "another topic")
        #expect(Self.key("plant/a/json", #"{"msg_id":"m-2"}"#) != first)
        #expect(Self.key("plant/a/json", #"{"id":"m-1"}"#) == .missing)
    }

    @Test func payloadKeysByTopicAndBytes() {
        let first = Self.key("plant/a/raw", "abc")
        #expect(Self.key("plant/a/raw", "abc") == first)
        #expect(Self.key("plant/a/raw", "abd") != first)
        #expect(Self.key("plant/b/raw", "abc") != first)
        #expect(first != .missing && first != .none)
    }

    @Test func sparkplugKeysBySeqTimestampAndBdSeq() {
        let t: UInt64 = 1_767_225_600_000
        let data = Self.key("spBv1.0/g/NDATA/n1", SparkplugEncoder.payload(timestamp: t, seq: 7, metrics: []))
        let metric = SparkplugEncoder.metric("rpm", double: 3)
        #expect(
            Self.key("spBv1.0/g/NDATA/n1", SparkplugEncoder.payload(timestamp: t, seq: 7, metrics: [metric])) == data,
            "the metrics do not count")
        #expect(Self.key("spBv1.0/g/NDATA/n1", SparkplugEncoder.payload(timestamp: t + 1, seq: 7, metrics: [])) != data)
        #expect(Self.key("spBv1.0/g/NDATA/n1", SparkplugEncoder.payload(timestamp: t, seq: 8, metrics: [])) != data)
        #expect(Self.key("spBv1.0/g/NDATA/n2", SparkplugEncoder.payload(timestamp: t, seq: 7, metrics: [])) != data)
        #expect(Self.key("spBv1.0/g/DDATA/n1/d", SparkplugEncoder.payload(timestamp: t, seq: 7, metrics: [])) != data)
        let birth = Self.key("spBv1.0/g/NBIRTH/n1", SparkplugEncoder.nodeBirth(timestamp: t, bdSeq: 1))
        #expect(Self.key("spBv1.0/g/NBIRTH/n1", SparkplugEncoder.nodeBirth(timestamp: t, bdSeq: 2)) != birth)
        #expect(Self.key("spBv1.0/g/NBIRTH/n1", SparkplugEncoder.nodeBirth(timestamp: t, bdSeq: 1)) == birth)
        #expect(Self.key("spBv1.0/STATE/host-1", #"{"online":true,"timestamp":1}"#) == .missing)
    }
}
