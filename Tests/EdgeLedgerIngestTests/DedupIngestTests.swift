import EdgeLedgerCore
import EdgeLedgerMQTT
import EdgeLedgerSparkplug
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

/// Deduplication end to end: the real agent and a real mosquitto; the same message id, the same
/// payload and the same Sparkplug seq and timestamp published twice become one entry each, and
/// the copies are recorded as duplicates (store, /metrics, export).
@Suite(.serialized) struct DedupIngestTests {
    static let topics = """

        [[mqtt.topics]]
        filter = "dedup/+/json"
        qos = 1
        dedup = "json:meta.msg_id"

        [[mqtt.topics]]
        filter = "dedup/+/raw"
        qos = 1
        format = "raw"
        dedup = "payload"
        dedup_window = "1h"

        [[mqtt.topics]]
        filter = "spBv1.0/#"
        qos = 1
        format = "sparkplug_b"
        dedup = "sparkplug"
        """

    @Test func redeliveredReadingsAreRecordedOnceAndCountedAsDuplicates() throws {
        let broker = try MosquittoBroker()
        let h = try AgentHarness(broker: broker, extraTopics: Self.topics, http: true)
        try h.start()
        let publisher = try MQTTPublisher(clientID: "dedup-\(UUID().uuidString.prefix(6))")
        try publisher.connect(host: "127.0.0.1", port: broker.port)
        func send(_ topic: String, _ payload: [UInt8]) throws {
            try publisher.publish(topic: topic, payload: payload, qos: 1)
        }
        let t: UInt64 = 1_767_225_600_000
        for copy in 0..<3 {
            try send("dedup/line-1/json", Array(#"{"meta":{"msg_id":"m-1"},"copy":\#(copy)}"#.utf8))
            try send("dedup/line-1/json", Array(#"{"meta":{"msg_id":"m-2"}}"#.utf8))
            try send("dedup/line-1/raw", Array("raw reading".utf8))
            try send("spBv1.0/plant-7/NBIRTH/press-1", SparkplugEncoder.nodeBirth(timestamp: t, bdSeq: 1))
            try send("spBv1.0/plant-7/NDATA/press-1", SparkplugEncoder.payload(timestamp: t + 1, seq: 1, metrics: []))
        }
        try send("dedup/line-1/json", Array(#"{"no_id":true}"#.utf8))  // no key: stored, counted
        try send("dedup/line-1/json", Array(#"{"no_id":true}"#.utf8))
        try send("factory/press-1/telemetry", Array(#"{"seq":1}"#.utf8))  // no dedup: as before
        try send("factory/press-1/telemetry", Array(#"{"seq":1}"#.utf8))
        try send("dedup/line-1/json", Array(#"{"meta":{"msg_id":"last"}}"#.utf8))
        _ = publisher.drain(timeout: 30)
        publisher.disconnect()

        let last = #"{"meta":{"msg_id":"last"}}"#
        #expect(Eventually.holds(timeout: 60) { (try? h.payloads().last) == last }, "\(h.log)")
        let (_, metrics) = try h.get("/metrics")
        #expect(metrics.contains("edge_ledger_readings_duplicate_total 10"), "\(metrics)")
        #expect(metrics.contains("edge_ledger_dedup_missing_key_total 2"))
        #expect(h.stop() == 0)

        let reader = try h.reader()
        let entries = try reader.entries(from: 0, to: try reader.nextIndex())
        let dedupTopics = entries.filter { $0.topic.hasPrefix("dedup/") || $0.topic.hasPrefix("spBv1.0/") }
        // m-1, m-2, raw, NBIRTH, NDATA once; two keyless readings; the last.
        #expect(dedupTopics.count == 8, "\(entries.map(\.topic))")
        #expect(entries.filter { $0.topic == "factory/press-1/telemetry" }.count == 2)
        #expect(try reader.duplicateCounts().total == 10)
        let first = try #require(entries.first { $0.topic == "dedup/line-1/json" })
        #expect(String(decoding: first.payload, as: UTF8.self).contains(#""copy":0"#), "the first copy is kept")
        #expect(Set(try reader.recentDuplicates().map(\.originalIndex)).count == 5)
    }
}
