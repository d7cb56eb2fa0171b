import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerUpstream

/// How the store keeps a collected log's entries: on PostgreSQL the whole bundles a batch brings
/// as one row each and every other entry as a row, read back as one log either way.
@Suite("Collected entry storage")
struct CollectedEntryStorageTests {
    /// Stages `range` of the test log (``CollectorStoreTests/entries(_:)``) from `stagedSize`.
    private static func stage(_ store: CollectorStore, _ id: Int64, _ range: Range<Int>) async throws {
        let (batch, leaves, _) = CollectorStoreTests.entries(range)
        try await store.stage(
            gateway: id, stagedSize: UInt64(range.lowerBound), entries: batch, leafHashes: leaves,
            hasher: OpenSSLHasher.sha256)
    }

    /// Rows of `bundles` and of `entries` (PostgreSQL) of gateway `id`.
    private static func tables(_ store: CollectorStore, _ id: Int64) async throws -> (bundles: Int64, rows: Int64) {
        try await store.transaction { sql in
            (
                try sql.scalar("SELECT count(*) FROM bundles WHERE gateway = ?1", [.int(id)], "counting") ?? -1,
                try sql.scalar("SELECT count(*) FROM entries WHERE gateway = ?1", [.int(id)], "counting") ?? -1
            )
        }
    }

    @Test(
        "batches with whole bundles and partial edges read back as one log at every boundary",
        arguments: UpstreamEngine.allCases)
    func wholeBundlesAndEdges(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        defer { Task { await store.close() } }
        let id = try await store.registerGateway(origin: "x.example/gw", hash: .sha256).id
        let all = CollectorStoreTests.entries(0..<1300).2
        // 0..<100 (a partial bundle), 100..<1000 (the rest of bundle 0, bundles 1 and 2 whole,
        // 768..<1000), 1000..<1024 (the end of bundle 3), 1024..<1300 (bundle 4 whole, 20 more).
        for range in [0..<100, 100..<1000, 1000..<1024, 1024..<1300] {
            try await Self.stage(store, id, range)
        }
        #expect(try await store.entryCount(gateway: id) == 1300)
        #expect(try await store.entries(gateway: id, from: 0, to: 2000) == all)
        for (from, to) in [(0, 1), (90, 300), (255, 257), (511, 769), (767, 1025), (1023, 1300), (1299, 1300)] {
            #expect(
                try await store.entries(gateway: id, from: UInt64(from), to: UInt64(to)) == Array(all[from..<to]),
                "entries \(from)..<\(to)")
        }
        for bundle in 0..<5 {
            let read = try #require(try await store.entryBundle(gateway: id, index: UInt64(bundle)))
            #expect(read.width == min(256, 1300 - bundle * 256))
            #expect(read.data == CollectorBundle.encode(Array(all[(bundle * 256)..<min(1300, bundle * 256 + 256)])))
        }
        guard engine == .postgres else { return }
        // Bundles 1, 2 and 4 came whole; the rest are rows (bundle 0: 256, bundle 3: 232 + 24,
        // bundle 5: 20).
        let (bundles, rows) = try await Self.tables(store, id)
        #expect(bundles == 3)
        #expect(rows == 1300 - 3 * 256)
        let view = try await store.transaction { sql in
            try sql.all(
                "SELECT idx, data FROM collected_entries WHERE gateway = ?1 ORDER BY idx", [.int(id)], "reading"
            ) { (row) throws(StoreError) in (row.int64(0), row.blob(1) ?? []) }
        }
        #expect(view.map(\.0) == Array(0..<1300).map(Int64.init))
        #expect(view.map(\.1) == all)
    }

    @Test(
        "discarding entries inside a whole bundle keeps the entries below the cut, as rows",
        arguments: UpstreamEngine.allCases)
    func truncateInsideWholeBundle(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        defer { Task { await store.close() } }
        let id = try await store.registerGateway(origin: "x.example/gw", hash: .sha256).id
        let all = CollectorStoreTests.entries(0..<1000).2
        try await Self.stage(store, id, 0..<1000)
        for cut in [900, 768, 600, 300] {
            try await store.transaction(write: true) { sql in try sql.truncateEntries(gateway: id, to: UInt64(cut)) }
            #expect(try await store.entryCount(gateway: id) == UInt64(cut), "cut at \(cut)")
            #expect(try await store.entries(gateway: id, from: 0, to: 1000) == Array(all[0..<cut]), "cut at \(cut)")
        }
        if engine == .postgres {
            let (bundles, rows) = try await Self.tables(store, id)
            #expect(bundles == 1, "bundle 0 whole; bundle 1 cut at 300 became 44 rows")
            #expect(rows == 44)
        }
        // The log grows again from the cut.
        try await store.transaction(write: true) { sql in
            try sql.write("UPDATE gateways SET staged_size = 300 WHERE id = ?1", [.int(id)], "resetting")
        }
        try await Self.stage(store, id, 300..<1000)
        #expect(try await store.entries(gateway: id, from: 0, to: 1000) == all)
    }

    @Test("a damaged bundle row is reported as a damaged store, not read as fewer entries")
    func damagedBundle() async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(.postgres, dir: dir)
        defer { Task { await store.close() } }
        let id = try await store.registerGateway(origin: "x.example/gw", hash: .sha256).id
        try await Self.stage(store, id, 0..<600)
        _ = try await store.transaction(write: true) { sql in
            try sql.run(
                "UPDATE bundles SET data = substring(data FROM 1 FOR length(data) - 5) WHERE gateway = ?1 AND idx = 1",
                [.int(id)], "damaging bundle 1")
        }
        #expect(try await store.entries(gateway: id, from: 0, to: 256).count == 256, "bundle 0 is intact")
        do throws(StoreError) {
            _ = try await store.entries(gateway: id, from: 300, to: 301)
            Issue.record("a damaged bundle was read")
        } catch {
            #expect(error.kind == .corrupt, "\(error)")
            #expect(error.message.contains("bundle 1 of gateway \(id)"), "\(error)")
        }
    }

    @Test("a store from before whole bundles keeps reading its rows after the migration")
    func migrationKeepsRows() async throws {
        let url = try PostgresCluster.shared().freshDatabase(prefix: "up")
        let all = CollectorStoreTests.entries(0..<600).2
        // A version-2 store: every entry a row (batches without a whole bundle), then the
        // version-3 objects dropped.
        let old = try CollectorStore(postgresURL: url, connections: 1, migrate: true)
        let id = try await old.registerGateway(origin: "x.example/gw", hash: .sha256).id
        for range in [0..<100, 100..<300, 300..<600] { try await Self.stage(old, id, range) }
        #expect(try await Self.tables(old, id) == (0, 600))
        try await old.transaction(write: true) { sql in
            for statement in [
                "DROP VIEW collected_entries", "DROP FUNCTION bundle_entries(bytea)", "DROP TABLE bundles",
                "DELETE FROM schema_migrations WHERE version = 3",
            ] {
                try sql.run(statement, [], "going back to version 2")
            }
        }
        await old.close()
        #expect(throws: StoreError.self) { try CollectorStore(postgresURL: url, connections: 1, migrate: false) }
        let store = try CollectorStore(postgresURL: url, connections: 1, migrate: true)
        defer { Task { await store.close() } }
        #expect(try await store.entryCount(gateway: id) == 600)
        #expect(try await store.entries(gateway: id, from: 0, to: 600) == all)
        // New batches go on beside the old rows: 600..<1100 brings bundle 3 whole.
        try await Self.stage(store, id, 600..<1100)
        #expect(try await store.entries(gateway: id, from: 500, to: 1100) == CollectorStoreTests.entries(500..<1100).2)
        #expect(try await Self.tables(store, id) == (1, 1100 - 256))
    }
}
