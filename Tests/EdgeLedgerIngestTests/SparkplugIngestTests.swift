import EdgeLedgerCore
import EdgeLedgerGateway
import EdgeLedgerSparkplug
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

/// Sparkplug B end to end: the real agent, a real mosquitto, edge nodes made of the generated
/// types (and pysparkplug, SparkplugOutsideNodeTests), and a host-side subscriber for NCMDs.
@Suite(.serialized) struct SparkplugIngestTests {
    static let topics = """

        [[mqtt.topics]]
        filter = "spBv1.0/#"
        qos = 1
        format = "sparkplug_b"
        """

    static func harness(_ broker: MosquittoBroker, rebirth: String = "") throws -> AgentHarness {
        try AgentHarness(
            broker: broker, extraTopics: topics, http: true, extraConfig: "[sparkplug]\n" + rebirth)
    }

    @Test func gapsBecomeEntriesRebirthCommandsGoOutAndBadMessagesAreRejected() throws {
        let broker = try MosquittoBroker()
        let h = try Self.harness(broker, rebirth: "rebirth_min_interval = \"1s\"")
        try h.start()
        let commands = try CommandListener(broker: broker)
        let edge = try EdgeNodeSimulator(broker: broker)
        let t: UInt64 = 1_767_225_600_000
        edge.send("spBv1.0/plant-7/NBIRTH/press-1", SparkplugEncoder.nodeBirth(timestamp: t, bdSeq: 3))
        for seq in [1, 2, 5] as [UInt64] {  // 3 and 4 lost
            edge.send(
                "spBv1.0/plant-7/NDATA/press-1", SparkplugEncoder.payload(timestamp: t + seq, seq: seq, metrics: []))
        }
        // A node whose birth the agent never saw.
        edge.send(
            "spBv1.0/plant-7/DDATA/press-2/spindle",
            SparkplugEncoder.payload(timestamp: t, seq: 40, metrics: [SparkplugEncoder.metric("rpm", double: 1200)]))
        // Malformed protobuf, and a topic outside the namespace's grammar.
        edge.send("spBv1.0/plant-7/NDATA/press-1", [0x12, 0x09, 0x0a])
        edge.send("spBv1.0/plant-7/NOTE/press-1", SparkplugEncoder.payload(timestamp: t, seq: 6, metrics: []))
        usleep(1_200_000)  // past rebirth_min_interval: the mismatch asks again
        edge.send("spBv1.0/plant-7/NDEATH/press-1", SparkplugEncoder.nodeDeath(timestamp: t + 9, bdSeq: 2))
        edge.close()

        // 6 messages + 3 gaps + the agent's own 3 NCMDs, which come back on its subscription: the
        // ledger holds the evidence that it asked.
        #expect(try h.waitForEntries(12) == 12, "\(h.log)")
        #expect(commands.wait(forTopics: ["spBv1.0/plant-7/NCMD/press-1", "spBv1.0/plant-7/NCMD/press-2"]))
        for (_, payload) in commands.received {
            let command = try SparkplugDecoder.decodePayload(payload)
            #expect(command.metrics.map(\.name) == ["Node Control/Rebirth"] && command.metrics[0].booleanValue)
        }
        #expect(commands.received.filter { $0.topic.hasSuffix("/press-1") }.count == 2, "gap, then bdSeq mismatch")
        let (_, metrics) = try h.get("/metrics")
        #expect(metrics.contains(#"edge_ledger_sparkplug_gaps_total{kind="sequence_gap"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"edge_ledger_sparkplug_gaps_total{kind="state_unknown"} 1"#))
        #expect(metrics.contains(#"edge_ledger_sparkplug_gaps_total{kind="bdseq_mismatch"} 1"#))
        #expect(metrics.contains("edge_ledger_sparkplug_rebirth_requests_total 3"))
        let (_, statusBody) = try h.getBytes("/status")
        let status = try #require(try AgentStatusDocument(json: statusBody).sparkplug)
        #expect(status.gapsTotal == 3 && status.rebirthRequests == 3 && status.nodes == 2, "\(status)")
        #expect(status.gaps == ["sequence_gap": 1, "state_unknown": 1, "bdseq_mismatch": 1])
        #expect(status.lastGap?.hasPrefix("plant-7/press-1: NDEATH bdSeq 2, NBIRTH bdSeq 3") == true)
        #expect(h.stop() == 0)

        let r = try h.reader()
        let entries = try r.entries(from: 0, to: try r.nextIndex())
        let topics = entries.map(\.topic).filter { !$0.contains("/NCMD/") }
        #expect(entries.count - topics.count == 3, "the 3 rebirth commands")
        #expect(
            topics == [
                "spBv1.0/plant-7/NBIRTH/press-1", "spBv1.0/plant-7/NDATA/press-1", "spBv1.0/plant-7/NDATA/press-1",
                "$edge-ledger/sparkplug/gap/plant-7/press-1", "spBv1.0/plant-7/NDATA/press-1",
                "$edge-ledger/sparkplug/gap/plant-7/press-2", "spBv1.0/plant-7/DDATA/press-2/spindle",
                "$edge-ledger/sparkplug/gap/plant-7/press-1", "spBv1.0/plant-7/NDEATH/press-1",
            ], "each gap is recorded just before the message that revealed it")
        let gaps = entries.filter { $0.topic.hasPrefix(SparkplugGap.topicPrefix) }.map {
            String(decoding: $0.payload, as: UTF8.self)
        }
        #expect(gaps[0].contains(#""kind":"sequence_gap""#) && gaps[0].contains(#""expected_seq":3"#))
        #expect(gaps[0].contains(#""received_seq":5"#) && gaps[0].contains(#""missed":2"#))
        #expect(gaps[1].contains(#""kind":"state_unknown""#) && gaps[1].contains(#""device":"spindle""#))
        #expect(gaps[2].contains(#""kind":"bdseq_mismatch""#) && gaps[2].contains(#""expected_bdseq":3"#))
        #expect(gaps.allSatisfy { $0.contains(#""rebirth_requested":true"#) })
        // The raw bytes are the evidence: the NBIRTH entry holds exactly what was published, and
        // its attributes (entry format v2) what the agent read from it.
        #expect(entries[0].payload == SparkplugEncoder.nodeBirth(timestamp: t, bdSeq: 3))
        #expect(
            entries[0].attributes.sparkplug
                == SparkplugAttributes(
                    messageType: .nbirth, groupID: "plant-7", edgeNodeID: "press-1", seq: 0, bdSeq: 3, timestamp: t))
        #expect(entries[0].attributes.deviceTime == Int64(t) * 1_000_000)
        let device = try #require(entries.first { $0.topic == "spBv1.0/plant-7/DDATA/press-2/spindle" })
        #expect(device.attributes.sparkplug?.deviceID == "spindle" && device.attributes.sparkplug?.seq == 40)
        #expect(entries.filter { $0.topic.hasPrefix(SparkplugGap.topicPrefix) }.allSatisfy { $0.attributes.isEmpty })
        let rejected = try r.recentRejected(limit: 10).map(\.reason)
        #expect(rejected.count == 2)
        #expect(rejected.contains { $0.hasPrefix("sparkplug_payload: ") }, "\(rejected)")
        #expect(rejected.contains { $0.hasPrefix("sparkplug_topic: ") && $0.contains("NOTE") }, "\(rejected)")
    }

    @Test func afterARestartTheFirstMessageWithoutBirthIsAGapAndARebirth() throws {
        let broker = try MosquittoBroker()
        let h = try Self.harness(broker)
        try h.start()
        let edge = try EdgeNodeSimulator(broker: broker)
        edge.send("spBv1.0/line-2/NBIRTH/oven", SparkplugEncoder.nodeBirth(timestamp: 1, bdSeq: 0))
        edge.send("spBv1.0/line-2/NDATA/oven", SparkplugEncoder.payload(timestamp: 2, seq: 1, metrics: []))
        #expect(try h.waitForEntries(2) == 2)
        #expect(h.stop() == 0)
        try h.start()
        let commands = try CommandListener(broker: broker)
        edge.send("spBv1.0/line-2/NDATA/oven", SparkplugEncoder.payload(timestamp: 3, seq: 2, metrics: []))
        edge.close()
        #expect(try h.waitForEntries(5) == 5, "NBIRTH, NDATA; then the gap, NDATA and the agent's NCMD")
        #expect(commands.wait(forTopics: ["spBv1.0/line-2/NCMD/oven"]))
        #expect(h.stop() == 0)
        let r = try h.reader()
        let gap = try #require(try r.entries(from: 2, to: 3).first)
        #expect(gap.topic == "$edge-ledger/sparkplug/gap/line-2/oven")
        let text = String(decoding: gap.payload, as: UTF8.self)
        #expect(text.contains(#""kind":"state_unknown""#) && text.contains("agent restarted; state unknown"))
    }

    @Test func rebirthOffStillRecordsEveryGap() throws {
        let broker = try MosquittoBroker()
        let h = try Self.harness(broker, rebirth: "rebirth = false")
        try h.start()
        let commands = try CommandListener(broker: broker)
        let edge = try EdgeNodeSimulator(broker: broker)
        edge.send("spBv1.0/g/NDATA/n", SparkplugEncoder.payload(timestamp: 1, seq: 7, metrics: []))
        edge.close()
        #expect(try h.waitForEntries(2) == 2)
        usleep(300_000)
        #expect(commands.received.isEmpty)
        #expect(h.stop() == 0)
        let gap = try #require(try h.reader().entries(from: 0, to: 1).first)
        #expect(String(decoding: gap.payload, as: UTF8.self).contains(#""rebirth_requested":false"#))
    }

    @Test func aMessageDeliveredAgainIsNoGapAndAsksNoRebirth() throws {
        let broker = try MosquittoBroker()
        let h = try Self.harness(broker)
        try h.start()
        let commands = try CommandListener(broker: broker)
        let edge = try EdgeNodeSimulator(broker: broker)
        edge.send("spBv1.0/line-3/NBIRTH/press", SparkplugEncoder.nodeBirth(timestamp: 10, bdSeq: 0))
        let data = (1...3).map { SparkplugEncoder.payload(timestamp: 10 + $0, seq: $0, metrics: []) }
        for payload in data { edge.send("spBv1.0/line-3/NDATA/press", payload) }
        // The node resends its second message (as after a reconnect), then goes on.
        edge.send("spBv1.0/line-3/NDATA/press", data[1])
        edge.send("spBv1.0/line-3/NDATA/press", SparkplugEncoder.payload(timestamp: 14, seq: 4, metrics: []))
        edge.close()
        // Without dedup the message is recorded twice, and nothing else: no gap, no NCMD.
        #expect(try h.waitForEntries(6) == 6)
        usleep(300_000)
        #expect(commands.received.isEmpty, "\(commands.received.map(\.topic))")
        let (_, metrics) = try h.get("/metrics")
        #expect(metrics.contains("edge_ledger_sparkplug_redelivered_total 1"), "\(metrics)")
        #expect(!metrics.contains(#"edge_ledger_sparkplug_gaps_total{kind="sequence_gap"} 1"#))
        let (_, statusBody) = try h.getBytes("/status")
        let status = try #require(try AgentStatusDocument(json: statusBody).sparkplug)
        #expect(status.gapsTotal == 0 && status.redelivered == 1 && status.rebirthRequests == 0, "\(status)")
        #expect(h.stop() == 0)
        let r = try h.reader()
        let entries = try r.entries(from: 0, to: try r.nextIndex())
        #expect(entries.count == 6 && entries.allSatisfy { $0.topic.hasPrefix("spBv1.0/line-3/N") })
    }
}
