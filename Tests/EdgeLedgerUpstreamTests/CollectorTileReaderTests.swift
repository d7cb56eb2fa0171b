import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerUpstream

@Suite("Collector tile reader")
struct CollectorTileReaderTests {
    @Test(
        "the right edge read ahead in one query gives every root a tile at a time gives, and is read before",
        arguments: UpstreamEngine.allCases)
    func rightEdgeReadAhead(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir)
        defer { Task { await store.close() } }
        let id = try await store.registerGateway(origin: "x.example/gw", hash: .sha256).id
        let hasher = OpenSSLHasher.sha256
        var leaves: [Hash32] = []
        var staged = 0
        for size in [1, 255, 256, 257, 65_536, 65_537, 70_000] {
            let (batch, hashes, _) = CollectorStoreTests.entries(staged..<size)
            try await store.stage(
                gateway: id, stagedSize: UInt64(staged), entries: batch, leafHashes: hashes, hasher: hasher)
            leaves += hashes
            staged = size
            let expected = Merkle.rootHash(leaves, hasher: hasher)
            let roots = try await store.transaction { sql in
                (
                    try TiledTree.rootHash(
                        size: UInt64(size), reader: CollectorTileReader(sql: sql, gateway: id), hasher: hasher),
                    try TiledTree.rootHash(
                        size: UInt64(size),
                        reader: try CollectorTileReader(sql: sql, gateway: id, rightEdgeOf: UInt64(size)),
                        hasher: hasher)
                )
            }
            #expect(roots.0 == expected && roots.1 == expected, "size \(size)")
        }
        // Read ahead: the right edge at 70,000 (tiles 0/273, 1/1, 2/0) comes from the one query,
        // even once the rows are gone; anything else is read when asked.
        let (ahead, single) = try await store.transaction(write: true) { sql in
            let reader = try CollectorTileReader(sql: sql, gateway: id, rightEdgeOf: 70_000)
            try sql.run("DELETE FROM tiles WHERE gateway = ?1", [.int(id)], "removing the tiles")
            return (
                [
                    try reader.hashes(level: 0, index: 273)?.count, try reader.hashes(level: 1, index: 1)?.count,
                    try reader.hashes(level: 2, index: 0)?.count,
                ],
                try reader.hashes(level: 0, index: 0)?.count
            )
        }
        #expect(ahead == [112, 17, 1])
        #expect(single == nil)
    }
}
