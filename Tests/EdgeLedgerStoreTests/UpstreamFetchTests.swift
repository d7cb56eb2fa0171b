import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

/// `upstream_fetches`: retention never prunes past what an upstream fetched with its own
/// credential, whatever it acknowledged (issue 11, finding 4).
@Suite struct UpstreamFetchTests {
    @Test("an acknowledgement beyond what the upstream fetched prunes only what it fetched")
    func retentionStopsAtTheFetchedSize() throws {
        let f = try RetentionTests.Fixture()
        let root = try f.store.reader.rootHash(size: 100)
        // Acknowledged everything, fetched nothing: nothing is pruned.
        try f.store.acknowledge(upstream: "dc-1", size: 100, root: root)
        var result = try f.store.prune(requiredUpstreams: ["dc-1"], minAge: .zero, now: .max)
        #expect(result.prunedEntries == 0)
        #expect(result.acknowledgedBelow == 0)
        #expect(f.prunedIndices(0..<100).isEmpty)
        // Fetched the first 30: only those go; the drop-oldest-acked limit is the same.
        #expect(try f.store.recordFetched(upstream: "dc-1", below: 30) == 30)
        #expect(try f.store.reader.fetchedBelow(upstream: "dc-1") == 30)
        result = try f.store.prune(requiredUpstreams: ["dc-1"], minAge: .zero, now: .max)
        #expect(result.prunedEntries == 30)
        #expect(f.prunedIndices(0..<100) == Array(0..<30))
        // The fetched size never moves backwards.
        #expect(try f.store.recordFetched(upstream: "dc-1", below: 10) == 30)
        #expect(try f.store.reader.fetchedBelow(upstream: "dc-1") == 30)
        #expect(try f.store.reader.fetchedBelow(upstream: "nobody") == 0)
    }

    @Test("an older store's acknowledged upstreams start with their acknowledged size as fetched")
    func migrationKeepsEarlierAcknowledgements() throws {
        var folder: TemporaryFolder? = nil
        var path = ""
        do {
            let f = try RetentionTests.Fixture()
            (folder, path) = (f.dir, f.path)
            try f.store.acknowledge(upstream: "dc-1", size: 40, root: try f.store.reader.rootHash(size: 40))
        }
        // Back to schema version 2 (before upstream_fetches), as an older release left it.
        for table in ["upstream_fetches", "dedup_keys", "duplicates"] {
            try RawSQL.execute(path, "DROP TABLE \(table)")
        }
        try RawSQL.execute(path, "PRAGMA user_version = 2")
        let store = try LedgerStore(path: path, hasher: sha256)
        #expect(try store.reader.fetchedBelow(upstream: "dc-1") == 40)
        #expect(try store.prune(requiredUpstreams: ["dc-1"], minAge: .zero, now: .max).prunedEntries == 40)
        withExtendedLifetime(folder) {}
    }
}
