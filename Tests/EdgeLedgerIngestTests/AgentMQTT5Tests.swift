import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

/// The agent over MQTT 5: user properties, content type and device time become entry
/// attributes (format v2); QoS 2 is recorded as QoS 2; a skewed device time is counted, logged
/// and shown, never rejected; readings without any of it stay format v1.
@Suite(.serialized) struct AgentMQTT5Tests {
    @Test func propertiesAndDeviceTimeBecomeAttributes() throws {
        let broker = try MosquittoBroker()
        let h = try AgentHarness(
            broker: broker,
            extraTopics: """

                [[mqtt.topics]]
                filter = "plant/+/telemetry"
                qos = 2
                format = "json"
                device_time = "ts"
                """, http: true,
            mqtt: "protocol = \"5\"\nreceive_maximum = 64\ndevice_time_max_skew = \"1m\"")
        try h.start()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try PahoPublisher.publish(
            port: broker.port,
            [
                .init(
                    topic: "plant/a/telemetry", payload: "{\"v\":1,\"ts\":\(now)}", qos: 2,
                    contentType: "application/json", userProperties: [("line", "2"), ("shift", "B")]),
                .init(topic: "plant/a/telemetry", payload: "{\"v\":2,\"ts\":\"2020-01-01T00:00:00Z\"}", qos: 2),
                .init(topic: "plant/b/telemetry", payload: "{\"v\":3}", qos: 2),
                .init(topic: "factory/c/telemetry", payload: "{\"v\":4}", qos: 1),
            ])
        #expect(try h.waitForEntries(4) == 4)
        let (_, metrics) = try h.get("/metrics")
        #expect(PrometheusText.value(metrics, "edge_ledger_device_time_skewed_total") == 1, "\(metrics)")
        #expect(PrometheusText.value(metrics, "edge_ledger_device_time_unreadable_total") == 1)
        let (_, ready) = try h.get("/readyz")
        #expect(ready.contains("device time since start: 1 readings with a device time more than 1m"), "\(ready)")
        #expect(h.log.contains("device time far from the receive time"), "\(h.log)")
        #expect(h.stop() == 0, "\(h.log)")

        let r = try h.reader()
        let entries = try r.entries(from: 0, to: 4)
        // By payload, not by position: a QoS 1 reading is handed over on arrival, a QoS 2 one only
        // at the broker's PUBREL, so the QoS 1 reading may be stored before QoS 2 readings
        // published earlier.
        func entry(_ v: Int) throws -> Entry {
            try #require(entries.first { String(decoding: $0.payload, as: UTF8.self).hasPrefix("{\"v\":\(v)") })
        }
        let first = try entry(1)
        #expect(first.qos == 2)
        #expect(first.version == 2)
        #expect(first.attributes.contentType == "application/json")
        #expect(first.attributes.userProperties == [.init(name: "line", value: "2"), .init(name: "shift", value: "B")])
        #expect(first.attributes.deviceTime == now * 1_000_000)
        #expect(try entry(2).attributes == EntryAttributes(deviceTime: 1_577_836_800_000_000_000))
        #expect(try entry(3).attributes.isEmpty && entry(3).version == 1)  // no ts: stored without one
        #expect(try entry(4).attributes.isEmpty && entry(4).version == 1 && entry(4).qos == 1)
        // QoS 2 readings keep their publish order among themselves.
        let qos2 = entries.filter { $0.qos == 2 }.map { String(decoding: $0.payload, as: UTF8.self).prefix(7) }
        #expect(qos2 == ["{\"v\":1,", "{\"v\":2,", "{\"v\":3}"], "\(qos2)")
        // The log stays in receive order.
        #expect(entries.map(\.receivedAt) == entries.map(\.receivedAt).sorted())
        let report = try LedgerVerifier(hasher: OpenSSLHasher.sha256, verifiers: [h.verifier]).verify(
            path: h.databasePath)
        #expect(report.entries == 4)
    }
}
