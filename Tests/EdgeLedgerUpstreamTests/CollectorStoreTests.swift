import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@testable import EdgeLedgerUpstream

@Suite("Collector store")
struct CollectorStoreTests {
    static func entries(_ range: Range<Int>) -> (CollectorEntryBatch, [Hash32], [[UInt8]]) {
        var batch = CollectorEntryBatch()
        var leaves: [Hash32] = []
        var raw: [[UInt8]] = []
        for i in range {
            let e = Array("entry \(i) ".utf8) + [UInt8](repeating: UInt8(i & 0xff), count: i % 37)
            batch.append(e)
            leaves.append(OpenSSLHasher.sha256.leafHash(e))
            raw.append(e)
        }
        return (batch, leaves, raw)
    }

    @Test(
        "staged entries beyond a verified size inside a bundle are discarded exactly, tiles trimmed",
        arguments: UpstreamEngine.allCases)
    func discardTrimsPartialBundle(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "u.db")
        let id = try await store.registerGateway(origin: "x.example/gw", hash: .sha256).id
        let hasher = OpenSSLHasher.sha256
        let (b1, l1, r1) = Self.entries(0..<300)
        let root300 = Merkle.rootHash(l1, hasher: hasher)
        try await store.stage(
            gateway: id, stagedSize: 0, entries: b1, leafHashes: l1, hasher: hasher,
            complete: CollectedCheckpoint(origin: "x.example/gw", size: 300, root: root300, note: "n", verifiedAt: 1),
            anchorDocument: "{}")
        let (b2, l2, r2) = Self.entries(300..<700)
        try await store.stage(gateway: id, stagedSize: 300, entries: b2, leafHashes: l2, hasher: hasher)
        #expect(try await store.entryCount(gateway: id) == 700)
        #expect(try await store.entries(gateway: id, from: 250, to: 350) == Array((r1 + r2)[250..<350]))
        #expect(try await store.discardStaged(gateway: id) == 400)
        let state = try #require(try await store.gatewayState(origin: "x.example/gw"))
        #expect(state.verifiedSize == 300)
        #expect(state.stagedSize == 300)
        #expect(try await store.entryCount(gateway: id) == 300)
        #expect(try await store.entries(gateway: id, from: 0, to: 1000) == r1)
        #expect(try await store.entryBundle(gateway: id, index: 1)?.width == 44)
        let root = try await store.withTiles(gateway: id) {
            try TiledTree.rootHash(size: 300, reader: $0, hasher: hasher)
        }
        #expect(root == root300)
        // Growing again from the trimmed state gives the right tree.
        try await store.stage(gateway: id, stagedSize: 300, entries: b2, leafHashes: l2, hasher: hasher)
        let root700 = try await store.withTiles(gateway: id) {
            try TiledTree.rootHash(size: 700, reader: $0, hasher: hasher)
        }
        #expect(root700 == Merkle.rootHash(l1 + l2, hasher: hasher))
        #expect(try await store.anchorJobs().map(\.size) == [300])
        #expect(try await store.checkpoints(gateway: id).map(\.size) == [300])
    }

    @Test("a batch whose root does not match the checkpoint writes nothing", arguments: UpstreamEngine.allCases)
    func rootMismatchWritesNothing(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "u.db")
        let id = try await store.registerGateway(origin: "x.example/gw", hash: .sha256).id
        let (b, l, _) = Self.entries(0..<10)
        await #expect(throws: StoreError.self) {
            try await store.stage(
                gateway: id, stagedSize: 0, entries: b, leafHashes: l, hasher: OpenSSLHasher.sha256,
                complete: CollectedCheckpoint(origin: "x.example/gw", size: 10, root: .zero, note: "n", verifiedAt: 1))
        }
        #expect(try await store.entryCount(gateway: id) == 0)
        #expect(try await store.gatewayState(origin: "x.example/gw")?.stagedSize == 0)
        #expect(try await store.anchorJobs().isEmpty)
        // Another hash algorithm for the same origin is refused.
        await #expect(throws: StoreError.self) { try await store.registerGateway(origin: "x.example/gw", hash: .sm3) }
    }

    @Test(
        "a write that fails (PostgreSQL sends it with the next statement) fails its transaction and says which",
        arguments: UpstreamEngine.allCases)
    func failedWriteFailsTheTransaction(engine: UpstreamEngine) async throws {
        let dir = try TemporaryFolder()
        let store = try UpstreamTestStores.make(engine, dir: dir, name: "u.db")
        let id = try await store.registerGateway(origin: "x.example/gw", hash: .sha256).id
        let (b, l, _) = Self.entries(0..<10)
        try await store.stage(gateway: id, stagedSize: 0, entries: b, leafHashes: l, hasher: OpenSSLHasher.sha256)
        do {
            try await store.transaction(write: true) { sql in
                try sql.write(
                    "UPDATE gateways SET acked_size = 5 WHERE id = ?1", [.int(id)], "the write before the failure")
                try sql.write(
                    "INSERT INTO gateways(origin, hash_algorithm) VALUES (?1, 'sha256')", [.text("x.example/gw")],
                    "enrolling the origin a second time")
                try sql.write("UPDATE gateways SET staged_size = 20 WHERE id = ?1", [.int(id)], "the write after it")
                // A read between the writes sees the ones before it.
                #expect(try sql.gatewayState(origin: "x.example/gw") == nil, "the read must have failed")
            }
            Issue.record("the transaction committed")
        } catch let error as StoreError {
            #expect(error.kind == .conflict, "\(error)")
            #expect(error.message.contains("enrolling the origin a second time"), "\(error)")
        }
        let state = try #require(try await store.gatewayState(origin: "x.example/gw"))
        #expect(state.stagedSize == 10 && state.ackedSize == 0)
        #expect(try await store.entryCount(gateway: id) == 10)
        // The connection is usable again.
        try await store.transaction(write: true) { sql in
            try sql.write("UPDATE gateways SET acked_size = 5 WHERE id = ?1", [.int(id)], "acknowledging")
        }
        #expect(try await store.gatewayState(origin: "x.example/gw")?.ackedSize == 5)
    }
}
