import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerMQTT
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Testing

@Suite(.serialized) struct AgentIngestTests {
    @Test func readingsBecomeSealedVerifiableEntriesInOrder() throws {
        let broker = try MosquittoBroker()
        let h = try AgentHarness(broker: broker)
        try h.start()
        try Readings.publish(to: broker, range: 0..<300, topic: "factory/press-1/telemetry")
        try Readings.publish(to: broker, range: 0..<200, topic: "factory/temp-2/telemetry")
        try Readings.publish(to: broker, range: 0..<100, topic: "factory/raw-3/raw", qos: 0)
        #expect(try h.waitForEntries(600) == 600)
        #expect(h.stop() == 0, "SIGTERM must exit 0\n\(h.log)")

        let r = try h.reader()
        let entries = try r.entries(from: 0, to: try r.nextIndex())
        #expect(entries.count == 600)
        for topic in ["factory/press-1/telemetry", "factory/temp-2/telemetry", "factory/raw-3/raw"] {
            let seqs = entries.filter { $0.topic == topic }.compactMap {
                Readings.sequence(of: String(decoding: $0.payload, as: UTF8.self))
            }
            #expect(seqs == Array(0..<seqs.count), "per-topic order for \(topic)")
        }
        #expect(entries.enumerated().allSatisfy { UInt64($0.offset) == $0.element.index })
        #expect(entries.filter { $0.topic.hasSuffix("/raw") }.allSatisfy { $0.qos == 0 })
        // The final seal on SIGTERM covers everything.
        let checkpoint = try #require(try r.latestCheckpoint())
        #expect(checkpoint.size == 600)
        let note = try Note(parsing: checkpoint.note)
        #expect(try NoteSigning.open(note, verifiers: [h.verifier]).count == 1)
        let report = try LedgerVerifier(hasher: OpenSSLHasher.sha256, verifiers: [h.verifier]).verify(
            path: h.databasePath)
        #expect(report.entries == 600)
    }

    @Test func badReadingsAreRejectedRecordedAndDoNotStallGoodOnes() throws {
        let broker = try MosquittoBroker()
        let h = try AgentHarness(
            broker: broker, extraTopics: "\n[[mqtt.topics]]\nfilter = \"debug/#\"\nqos = 1\nformat = \"json\"\n")
        try h.start()
        let pub = try MQTTPublisher(clientID: "bad-sensor")
        try pub.connect(host: "127.0.0.1", port: broker.port)
        let bad: [(String, [UInt8])] = [
            ("factory/bad/telemetry", Array("{\"seq\":".utf8)),  // truncated JSON
            ("factory/bad/telemetry", Array("[1,2,3]".utf8)),  // not an object
            ("factory/bad/telemetry", [0xff, 0x00, 0xfe, 0x13]),  // binary garbage
            ("factory/bad/telemetry", Array(repeating: UInt8(ascii: "a"), count: 5000)),  // oversized
        ]
        for round in 0..<50 {
            for (topic, payload) in bad { try pub.publish(topic: topic, payload: payload, qos: 1) }
            try pub.publish(topic: "factory/good/telemetry", payload: Readings.json(round), qos: 1)
        }
        #expect(pub.drain())
        pub.disconnect()
        #expect(try h.waitForEntries(50) == 50)
        usleep(300_000)
        #expect(h.stop() == 0)
        let r = try h.reader()
        let entries = try r.entries(from: 0, to: try r.nextIndex())
        #expect(entries.count == 50)
        #expect(entries.allSatisfy { $0.topic == "factory/good/telemetry" })
        #expect(try r.rejectedCount() == 200)
        let reasons = Set(
            try r.recentRejected(limit: 500).map { $0.reason.split(separator: ":").first.map(String.init) ?? "" })
        #expect(reasons == ["payload_not_json_object", "payload_too_large"])
        // Rate-limited: far fewer warnings than rejections.
        let warnings = h.log.components(separatedBy: "rejected reading").count - 1
        #expect(warnings >= 1 && warnings <= 10, "\(warnings) rejection warnings logged")
    }

    @Test func sigkillMidStreamLosesNoAcknowledgedReading() throws {
        let broker = try MosquittoBroker()
        let h = try AgentHarness(broker: broker)
        try h.start()
        let total = 20_000
        let publisher = Thread {
            try? Readings.publish(to: broker, range: 0..<total)
        }
        publisher.start()
        // Kill the agent several times while the stream flows; restart each time.
        for round in 1...4 {
            _ = try h.waitForEntries(UInt64(round * 3_000), timeout: 60)
            h.stop(signal: SIGKILL)
            try h.start()
        }
        let n = try h.waitForEntries(UInt64(total), timeout: 120)
        usleep(500_000)
        #expect(h.stop() == 0)
        #expect(n >= UInt64(total))
        let seqs = try h.payloads().compactMap(Readings.sequence(of:))
        let unique = Set(seqs)
        let missing = (0..<total).filter { !unique.contains($0) }
        #expect(missing.isEmpty, "missing \(missing.count) readings, e.g. \(missing.prefix(10))")
        let duplicates = seqs.count - unique.count
        print("crash test: \(seqs.count) entries for \(total) readings, \(duplicates) duplicates from redelivery")
        let report = try LedgerVerifier(hasher: OpenSSLHasher.sha256, verifiers: [h.verifier]).verify(
            path: h.databasePath)
        #expect(report.entries == UInt64(seqs.count))
    }

    @Test func brokerRestartMidStreamLosesNothing() throws {
        let broker = try MosquittoBroker()
        let h = try AgentHarness(broker: broker)
        try h.start()
        try Readings.publish(to: broker, range: 0..<2_000)
        _ = try h.waitForEntries(2_000)
        try broker.restart()
        try Readings.publish(to: broker, range: 2_000..<4_000)
        let n = try h.waitForEntries(4_000)
        #expect(h.stop() == 0)
        #expect(n >= 4_000)
        let unique = Set(try h.payloads().compactMap(Readings.sequence(of:)))
        #expect(unique == Set(0..<4_000))
        #expect(h.log.contains("broker disconnected"))
    }
}

@Suite(.serialized) struct AgentReloadTests {
    @Test func sighupAppliesNewTopicsAndRefusesABrokenFile() throws {
        let broker = try MosquittoBroker()
        let h = try AgentHarness(broker: broker)
        try h.start()
        try Readings.publish(to: broker, range: 0..<10, topic: "plant/line-1/energy")
        usleep(300_000)
        #expect(try h.reader().nextIndex() == 0)  // not subscribed yet

        // A broken file is refused and the agent keeps running.
        let good = try String(contentsOfFile: h.configPath, encoding: .utf8)
        try (good + "\n[seal]\nbogus = 1\n").write(toFile: h.configPath, atomically: true, encoding: .utf8)
        h.agent?.signal(SIGHUP)
        usleep(500_000)
        #expect(h.log.contains("reload refused"))
        #expect(h.agent?.isRunning == true)

        let added = good.replacingOccurrences(
            of: "[ingest]", with: "[[mqtt.topics]]\nfilter = \"plant/+/energy\"\nqos = 1\nformat = \"json\"\n\n[ingest]"
        )
        try added.write(toFile: h.configPath, atomically: true, encoding: .utf8)
        h.agent?.signal(SIGHUP)
        usleep(500_000)
        #expect(h.log.contains("configuration reloaded"))
        try Readings.publish(to: broker, range: 10..<20, topic: "plant/line-1/energy")
        #expect(try h.waitForEntries(10, timeout: 20) == 10)
        #expect(h.stop() == 0)
    }
}

@Suite(.serialized) struct AgentAPITests {
    @Test func servesCheckpointTilesMetricsAndReadiness() throws {
        let broker = try MosquittoBroker()
        let h = try AgentHarness(broker: broker, http: true)
        try h.start()
        try Readings.publish(to: broker, range: 0..<300)
        #expect(try h.waitForEntries(300) == 300)
        // The next seal covers all 300.
        #expect(
            try Eventually.holds {
                let (status, text) = try h.get("/checkpoint")
                guard status == 200, let note = try? Note(parsing: text) else { return false }
                return (try? Checkpoint(parsing: note.text).size) == 300
            })
        let (status, checkpoint) = try h.get("/checkpoint")
        #expect(status == 200)
        let note = try Note(parsing: checkpoint)
        #expect(try NoteSigning.open(note, verifiers: [h.verifier]).count == 1)
        #expect(try Checkpoint(parsing: note.text).size == 300)
        let (tileStatus, tile) = try h.getBytes("/tile/0/000")
        #expect(tileStatus == 200 && tile.count == 256 * 32)
        let (bundleStatus, bundle) = try h.getBytes("/tile/entries/001.p/44")
        #expect(bundleStatus == 200)
        // An entry bundle: big-endian uint16 length + entry; the first one decodes as entry 256.
        let length = Int(bundle[0]) << 8 | Int(bundle[1])
        #expect(try Entry(decoding: bundle[2..<(2 + length)]).index == 256)
        #expect(try h.get("/tile/0/999").0 == 404)
        #expect(try h.get("/tile/0/x000/001").0 == 400)
        let (readyStatus, _) = try h.get("/readyz")
        #expect(readyStatus == 200)
        let (metricsStatus, metrics) = try h.get("/metrics")
        #expect(metricsStatus == 200)
        #expect(metrics.contains("edge_ledger_readings_stored_total 300"), "\(metrics.prefix(2000))")
        broker.stop()
        #expect(try Eventually.holds(timeout: 30) { try h.get("/readyz").0 == 503 })
        #expect(h.stop() == 0)
    }
}
