import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerUpstream

/// What `edge-ledger-upstream gateways …` says when `run` holds the SQLite store (found by
/// scripts/faults/duplicate-enrollment.sh).
@Suite("SQLite upstream store: one process at a time")
struct SQLiteStoreLockTests {
    @Test("a second opening is refused as busy, naming edge-ledger-upstream, not the gateway's agent")
    func secondOpeningNamesTheUpstream() async throws {
        let dir = try TemporaryFolder()
        let running = try CollectorStore(path: dir.file("upstream.db"), durability: .process)
        do {
            _ = try CollectorStore(path: dir.file("upstream.db"), durability: .process)
            Issue.record("a second store was opened on a held SQLite file")
        } catch {
            #expect(error.kind == .busy)
            #expect(error.message.contains("already open for writing"), "\(error)")
            #expect(error.description.contains("edge-ledger-upstream"), "\(error)")
            #expect(!error.description.contains("agent"), "\(error)")
        }
        await running.close()
    }
}
