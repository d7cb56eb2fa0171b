import EdgeLedgerMQTT
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Testing

/// SIGTERM on the real `edge-ledger run` process: it exits promptly whatever its timers say
/// (issue 11, finding 14), folds everything it acknowledged into the store and leaves the journal
/// empty, also at the store's quota (finding 2).
@Suite(.serialized) struct AgentShutdownTests {
    /// An 8 KB JSON reading numbered `i`.
    static func bigReading(_ i: Int) -> [UInt8] {
        Array("{\"seq\":\(i),\"pad\":\"\(String(repeating: "x", count: 8_000))\"}".utf8)
    }

    @Test func sigtermEndsAnIdleAgentPromptlyDespiteTheHourlyRetentionTimer() throws {
        let broker = try MosquittoBroker()
        // Pruning with the default interval (1 h): the retention service sleeps for an hour.
        let h = try AgentHarness(
            broker: broker, http: true,
            extraConfig: """
                [storage.retention]
                prune_payloads = true

                [[upstreams]]
                name = "dc-1"
                witness = false
                required_for_retention = true
                """)
        try h.start()
        try Readings.publish(to: broker, range: 0..<50)
        #expect(try h.waitForEntries(50, timeout: 60) == 50)
        usleep(1_000_000)  // idle: every service is in its wait
        let started = ContinuousClock.now
        let code = h.stop(signal: SIGTERM)
        let took = ContinuousClock.now - started
        print("SIGTERM of an idle agent: exited after \(took)")
        #expect(code == 0, "the agent did not exit within 20 s of SIGTERM:\n\(h.log.suffix(2_000))")
        // The target is 2 s; the bound leaves room for a loaded machine.
        #expect(took < .seconds(5))
        #expect(h.journalSegments().isEmpty)
        #expect(h.log.contains("edge-ledger stopped entries=50 sealed=50"))
    }

    @Test func sigtermAtTheQuotaStoresEveryAcknowledgedReadingAndEmptiesTheJournal() throws {
        let broker = try MosquittoBroker()
        let h = try AgentHarness(broker: broker, maxPayloadBytes: 16_384, storage: "quota = \"1MiB\"")
        try h.start()
        // 400 readings of 8 KB: about three times the quota. The broker acknowledges every one
        // to the publisher and keeps what the agent does not take.
        let total = 400
        let publisher = try MQTTPublisher(clientID: "pub-quota")
        try publisher.connect(host: "127.0.0.1", port: broker.port)
        for i in 0..<total {
            try publisher.publish(topic: "factory/press-1/telemetry", payload: Self.bigReading(i), qos: 1)
        }
        #expect(publisher.drain(timeout: 60))
        #expect(publisher.acknowledgedCount == total)
        publisher.disconnect()
        #expect(Eventually.holds(timeout: 60) { h.log.contains("the store refuses readings") })
        #expect(h.stop(signal: SIGTERM) == 0)
        // The final fold stored what the journal held, past the quota: nothing left to replay.
        #expect(h.journalSegments().isEmpty, "journal left after SIGTERM: \(h.journalSegments())")
        #expect(h.log.contains("stored acknowledged readings past the store's quota at shutdown"))
        let stored = try h.payloads().count
        #expect(stored < total)

        // Restarted with room: the broker redelivers everything not acknowledged.
        let config = try String(contentsOfFile: h.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "quota = \"1MiB\"", with: "quota = \"64MiB\"")
            .write(toFile: h.configPath, atomically: true, encoding: .utf8)
        try h.start()
        #expect(
            Eventually.holds(timeout: 90) {
                Set((try? h.payloads().compactMap(Readings.sequence(of:))) ?? []).count >= total
            })
        #expect(h.stop(signal: SIGTERM) == 0)
        let seqs = try h.payloads().compactMap(Readings.sequence(of:))
        let missing = Set(0..<total).subtracting(seqs).sorted()
        print("quota test: \(stored) stored at the quota, \(seqs.count) entries for \(total) readings")
        #expect(missing.isEmpty, "acknowledged but missing: \(missing.count), e.g. \(missing.prefix(10))")
        #expect(h.journalSegments().isEmpty)
    }
}
