import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

/// Store damage while the real agent runs (issue 11, findings 5 and 6): the background
/// integrity check finds a damaged tile, readiness turns 503 with the place, sealing stops, the
/// metrics say so, and a restart over the same damage is not ready and signs nothing.
@Suite(.serialized) struct StoreDamageTests {
    @Test func aTileDamagedWhileTheAgentRunsStopsSealingAndReadiness() throws {
        let broker = try MosquittoBroker()
        let h = try AgentHarness(broker: broker, http: true)
        // The background check every second (the default is 6h).
        let config = try String(contentsOfFile: h.configPath, encoding: .utf8).replacingOccurrences(
            of: "path = \"data/ledger.db\"", with: "path = \"data/ledger.db\"\nintegrity_check_interval = \"1s\"")
        try config.write(toFile: h.configPath, atomically: true, encoding: .utf8)
        try h.start()
        try Readings.publish(to: broker, range: 0..<300)
        #expect(try h.waitForEntries(300) == 300)
        #expect(try Eventually.holds(timeout: 30) { try h.reader().sealedSize() == 300 })
        #expect(try h.get("/readyz").0 == 200)
        let checkpoints = try h.reader().checkpointCount()

        try RawSQL.flipBlobByte(
            h.databasePath, table: "tiles", column: "hashes", where: "level = 0 AND idx = 1", offset: 32 * 10)
        var ready = (0, "")
        #expect(
            try Eventually.holds(timeout: 30) {
                ready = try h.get("/readyz")
                return ready.0 == 503
            }, "\(h.log)")
        #expect(ready.1.contains("store damaged at tile 0/1"), "\(ready.1)")
        // The reporter logs and counts just after the condition is recorded (readiness reads it).
        #expect(Eventually.holds(timeout: 10) { h.log.contains("store damaged: sealing stopped") }, "\(h.log)")
        #expect(h.log.contains("found_by=\"integrity check\""), "\(h.log)")
        let metrics = String(decoding: try h.getBytes("/metrics").1, as: UTF8.self)
        #expect(PrometheusText.value(metrics, "edge_ledger_store_damaged") == 1, "\(metrics.prefix(3000))")
        #expect(PrometheusText.value(metrics, "edge_ledger_store_damage_detected_total") == 1)

        // Readings are still stored (nothing acknowledged is lost), but nothing more is signed.
        try Readings.publish(to: broker, range: 300..<350)
        #expect(try h.waitForEntries(350) == 350)
        usleep(1_000_000)  // several seal intervals
        #expect(try h.reader().sealedSize() == 300)
        h.stop()
        #expect(try h.reader().sealedSize() == 300, "no final seal over the damage")

        // A restart over the same damage: not ready from the start, and still nothing signed.
        try h.start()
        var restarted = (0, "")
        #expect(
            try Eventually.holds(timeout: 10) {
                restarted = try h.get("/readyz")
                return restarted.0 != 0  // the listener is up
            })
        #expect(restarted.0 == 503 && restarted.1.contains("tile 0/1"), "\(restarted)")
        #expect(h.log.contains("found_by=\"check at start\""), "\(h.log)")
        usleep(1_000_000)
        #expect(try h.reader().sealedSize() == 300)
        #expect(try h.reader().checkpointCount() == checkpoints)
        h.stop()
    }
}
