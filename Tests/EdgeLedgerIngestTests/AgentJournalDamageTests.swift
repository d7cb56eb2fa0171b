import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

/// The real agent started over an ingest journal with a damaged record in the middle (what a
/// flipped bit leaves after a SIGKILL before the fold): it stores every other reading, and the
/// loss shows in its log, /metrics, /readyz (a warning; still 200) and `edge-ledger status`
/// until `status --ack-journal-damage`.
@Suite(.serialized) struct AgentJournalDamageTests {
    @Test func aDamagedRecordIsReportedEverywhereUntilAcknowledged() throws {
        let broker = try MosquittoBroker()
        let h = try AgentHarness(broker: broker, http: true)
        // A real segment of 300 readings from a scratch store's journal, damaged in record 150.
        let scratch = try LedgerStore(path: h.folder.file("scratch.db"), hasher: OpenSSLHasher.sha256)
        let journal = try IngestJournal(store: scratch)
        for n in 0..<300 {
            try journal.append(
                ReadingInput(
                    receivedAt: 1_767_225_600_000_000_000 + Int64(n), qos: 1, topic: "factory/press-1/telemetry",
                    payload: Readings.json(n)),
                journaled: true)
        }
        let name = try #require(JournalFile.segments(in: journal.directory).first)
        var bytes = try JournalFile.read(journal.directory + "/" + name)
        journal.close()
        let offsets = JournalFile.recordOffsets(bytes)
        bytes[offsets[150] + 30] ^= 0x04
        let directory = h.databasePath + "-ingest-journal"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try JournalFile.write(bytes, to: directory + "/" + name)

        try h.start()
        #expect(try h.waitForEntries(299) == 299)
        let stored = try h.payloads().compactMap(Readings.sequence(of:))
        #expect(stored == Array(0..<150) + Array(151..<300))
        #expect(h.log.contains("damaged records in the ingest journal") && h.log.contains("seq 151"), "\(h.log)")

        let (readyStatus, ready) = try h.get("/readyz")
        #expect(readyStatus == 200)
        #expect(ready.hasPrefix("ready\nwarning: unacknowledged journal damage in "), "\(ready)")
        #expect(ready.contains("\(name) at byte \(offsets[150]), readings lost: seq 151"))
        let (_, metrics) = try h.get("/metrics")
        #expect(PrometheusText.value(metrics, "edge_ledger_journal_lost_readings_total") == 1, "\(metrics)")
        #expect(PrometheusText.value(metrics, "edge_ledger_journal_damaged_regions_total") == 1)
        #expect(
            PrometheusText.value(metrics, "edge_ledger_journal_quarantined_bytes_total")
                == Double(offsets[151] - offsets[150]))
        #expect(PrometheusText.value(metrics, "edge_ledger_journal_damage_unacknowledged") == 1)
        let quarantine = try FileManager.default.contentsOfDirectory(atPath: directory + "/quarantine")
        #expect(quarantine.filter { $0.hasSuffix(".bin") }.count == 1)

        let status = try Self.cli(h, ["status", "--config", h.configPath, "--no-api", "--color", "never"])
        #expect(status.contains("ingest journal damage (not acknowledged): readings lost: seq 151"), "\(status)")
        let ack = try Self.cli(
            h, ["status", "--config", h.configPath, "--no-api", "--color", "never", "--ack-journal-damage"])
        #expect(ack.contains("acknowledged: damaged journal bytes"), "\(ack)")
        #expect(!ack.contains("ingest journal damage (not acknowledged)"))
        // Scrapes and probes re-read the store: both clear without a restart.
        #expect(
            try Eventually.holds(timeout: 10) {
                PrometheusText.value(try h.get("/metrics").1, "edge_ledger_journal_damage_unacknowledged") == 0
            })
        #expect(try !h.get("/readyz").1.contains("warning"))
        #expect(h.stop() == 0)
    }

    /// Runs the built `edge-ledger` with `arguments`; returns its output (stdout and stderr).
    static func cli(_ h: AgentHarness, _ arguments: [String]) throws -> String {
        let output = h.folder.file("cli-\(UUID().uuidString.prefix(6)).out")
        let child = try ChildProcess(
            executable: try BuiltProducts.executable("edge-ledger"), arguments: arguments, outputFile: output)
        #expect(child.wait(timeout: 60) == 0)
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }
}
