import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Logging
import Synchronization
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerMQTT

/// Floods of rejected readings against a real store and a real ingest pipeline: the log and the
/// `rejected` table stay bounded.
@Suite("floods")
struct FloodTests {
    /// Hands `count` junk readings (not JSON) on random topics under `factory/` to `pipeline`.
    static func flood(_ pipeline: IngestPipeline, count: Int) {
        let payload: [UInt8] = Array("not json".utf8)
        for _ in 0..<count {
            let topic = Array("factory/\(UInt64.random(in: 0...UInt64.max))/telemetry".utf8)
            topic.withUnsafeBytes { t in
                payload.withUnsafeBytes { p in
                    _ = pipeline.handle(MQTTMessage(topic: t, payload: p, qos: 1, retain: false))
                }
            }
        }
    }

    @Test("20,000 rejected readings on random topics: at most the budget's warnings; summaries count the rest")
    func randomTopicFloodLogsBoundedLines() async throws {
        let folder = try TemporaryFolder(prefix: "edge-ledger-flood")
        let store = try LedgerStore(path: folder.file("ledger.db"), hasher: OpenSSLHasher.sha256)
        let log = CapturedLog()
        let budget = LogBudget(perMinute: 60, summaryInterval: .milliseconds(300), logger: log.logger(label: "budget"))
        let pipeline = try IngestPipeline(
            store: store,
            validator: ReadingValidator(
                topics: [MQTTTopicConfiguration(filter: MQTTTopicFilter("factory/+/telemetry")!)],
                limits: IngestConfiguration()),
            logBudget: budget, logger: log.logger(label: "ingest"))
        let start = ContinuousClock.now
        Self.flood(pipeline, count: 20_000)
        pipeline.close()
        let seconds = Int((ContinuousClock.now - start).components.seconds) + 1
        // The budget: 60 lines, plus one a second of refill while the flood lasted.
        let warnings = log.lines(containing: "rejected reading").filter { !$0.contains("log budget exhausted") }
        #expect(warnings.count <= 60 + seconds, "\(warnings.count) warnings about rejected readings in \(seconds) s")
        #expect(warnings.count >= 1)
        // Every suppressed line is counted in a summary (one per 300 ms at most).
        let summarised = Eventually.holds(timeout: 10) {
            warnings.count + log.sum(of: "suppressed", inLinesContaining: "log budget exhausted") == 20_000
        }
        #expect(summarised, "\(log.lines(containing: "log budget exhausted"))")
        #expect(log.lines(containing: "log budget exhausted").count <= seconds * 4 + 2)
        #expect(pipeline.statistics.rejectedTotal == 20_000)
    }

    @Test("The rejected table stays within max_rows and max_bytes under a flood; pruned rows are counted")
    func rejectedTableBounded() throws {
        let folder = try TemporaryFolder(prefix: "edge-ledger-flood")
        let store = try LedgerStore(path: folder.file("ledger.db"), hasher: OpenSSLHasher.sha256)
        let pruned = PrunedRows()
        try store.configureRejectedTable(
            maxRows: 1_000, maxBytes: 1 << 30, maxAge: .seconds(86_400), now: SystemClock.nowNanoseconds(),
            onPrune: { pruned.add($0.rows) })
        let log = CapturedLog()
        let pipeline = try IngestPipeline(
            store: store,
            validator: ReadingValidator(
                topics: [MQTTTopicConfiguration(filter: MQTTTopicFilter("factory/+/telemetry")!)],
                limits: IngestConfiguration()),
            logger: log.logger(label: "ingest"))
        Self.flood(pipeline, count: 20_000)
        pipeline.close()
        let rows = try #require(try RawSQL.integer(folder.file("ledger.db"), "SELECT count(*) FROM rejected"))
        #expect(rows <= 1_000, "\(rows) rows")
        #expect(rows >= 900)
        // Row ids count every row ever inserted (the journal may drop a diagnostic row when its
        // queue is full); the oldest were deleted, the newest kept.
        let inserted = try #require(try RawSQL.integer(folder.file("ledger.db"), "SELECT max(id) FROM rejected"))
        #expect(inserted > 10_000)
        #expect(store.rejectedPrunedCount == UInt64(inserted - rows))
        #expect(pruned.total == Int(inserted - rows))

        // By bytes: about 120 bytes a row here, so 64 KiB holds some 500 rows.
        try store.configureRejectedTable(
            maxRows: 1_000_000, maxBytes: 64 << 10, maxAge: .seconds(86_400), now: SystemClock.nowNanoseconds())
        let usage = try #require(store.rejectedTableUsage)
        #expect(usage.bytes <= 64 << 10, "\(usage)")
        // By age: everything is older than a cutoff a day ahead.
        try store.configureRejectedTable(
            maxRows: 1_000_000, maxBytes: 1 << 30, maxAge: .seconds(3600),
            now: SystemClock.nowNanoseconds() + 86_400 * 1_000_000_000)
        #expect(try RawSQL.integer(folder.file("ledger.db"), "SELECT count(*) FROM rejected") == 0)
    }
}

/// Sums the rows reported by `onPrune`.
final class PrunedRows: Sendable {
    private let count = Mutex(0)
    func add(_ n: Int) { count.withLock { $0 += n } }
    var total: Int { count.withLock { $0 } }
}
