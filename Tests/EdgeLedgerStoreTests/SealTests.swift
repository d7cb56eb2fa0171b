import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

@Suite struct SealTests {
    struct SignFailure: Error {}

    @Test func nothingPendingMakesNoCheckpoint() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let log = try TestLog()
        #expect(try store.seal(sign: log.sign) == nil)
        try store.append(reading(0))
        #expect(try store.seal(sign: log.sign) != nil)
        #expect(try store.seal(sign: log.sign) == nil)
        #expect(try store.reader.checkpointCount() == 1)
    }

    @Test func sealsMatchTheInMemoryTreeAtAwkwardSizes() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let log = try TestLog()
        var leaves: [Hash32] = []
        var sizes: [UInt64] = []
        // Crosses partial/full tile boundaries at level 0 and level 1 (65,536 leaves).
        for target in [1, 2, 255, 256, 257, 511, 513, 1000, 65_535, 65_536, 65_537, 66_000] {
            let entries = try store.append(batch: (leaves.count..<target).map { reading($0) })
            leaves += entries.map { sha256.leafHash($0.encode()) }
            let result = try #require(try store.seal(now: Int64(target), sign: log.sign))
            #expect(result.checkpoint.size == UInt64(target))
            #expect(result.checkpoint.root == Merkle.rootHash(leaves, hasher: sha256))
            #expect(result.checkpoint.createdAt == Int64(target))
            #expect(result.oldSize == sizes.last ?? 0)
            sizes.append(UInt64(target))
        }
        // Every stored tile equals the tile computed from scratch.
        var expected = TileMap()
        expected.apply(try TiledTree.extend(from: 0, appending: leaves, reader: TileMap(), hasher: sha256))
        for id in expected.tileIDs {
            #expect(try store.tile(level: id.level, index: id.index) == expected[level: id.level, index: id.index])
        }
        // Proofs from the store verify against the checkpoints.
        let root = leaves.isEmpty ? sha256.emptyRoot : Merkle.rootHash(leaves, hasher: sha256)
        for index: UInt64 in [0, 1, 255, 256, 65_535, 65_536, 65_999] {
            let proof = try store.inclusionProof(index: index, size: 66_000)
            try Merkle.verifyInclusion(
                index: index, treeSize: 66_000, leafHash: leaves[Int(index)], proof: proof, root: root, hasher: sha256)
        }
        let checkpoints = try store.checkpoints()
        #expect(checkpoints.map(\.size) == sizes)
        for (old, new) in zip(checkpoints, checkpoints.dropFirst()) {
            let proof = try store.consistencyProof(from: old.size, to: new.size)
            try Merkle.verifyConsistency(
                oldSize: old.size, newSize: new.size, oldRoot: old.root, newRoot: new.root, proof: proof, hasher: sha256
            )
        }
        #expect(try store.latestCheckpoint()?.size == 66_000)
        #expect(try store.reader.checkpoint(size: 257)?.root == Merkle.rootHash(leaves[0..<257], hasher: sha256))
        // Notes are stored whole and verify.
        let note = try Note(parsing: try #require(try store.latestCheckpoint()).note)
        #expect(try NoteSigning.open(note, verifiers: [log.verifier]).count == 1)
        #expect(storeError { _ = try store.inclusionProof(index: 0, size: 66_001) }?.kind == .outOfRange)
        #expect(storeError { _ = try store.inclusionProof(index: 66_000, size: 66_000) }?.kind == .outOfRange)
        #expect(storeError { _ = try store.consistencyProof(from: 0, to: 10) }?.kind == .outOfRange)
    }

    @Test func failedSigningRollsBackEverything() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let log = try TestLog()
        try store.append(batch: (0..<300).map { reading($0) })
        _ = try store.seal(sign: log.sign)
        let tilesBefore = try RawSQL.integer(store.path, "SELECT count(*) FROM tiles")
        let hashesBefore = try RawSQL.bytes(store.path, "SELECT hashes FROM tiles WHERE level = 0 AND idx = 1")
        try store.append(batch: (300..<600).map { reading($0) })
        #expect(throws: SignFailure.self) { try store.seal { _ in throw SignFailure() } }
        #expect(store.sealedSize == 300)
        #expect(try store.reader.checkpointCount() == 1)
        #expect(try RawSQL.integer(store.path, "SELECT count(*) FROM tiles") == tilesBefore)
        #expect(try RawSQL.bytes(store.path, "SELECT hashes FROM tiles WHERE level = 0 AND idx = 1") == hashesBefore)
        #expect(store.nextIndex == 600)
        #expect(try store.entries(from: 0, to: 600).count == 600)
        // A note that does not match the request is refused the same way.
        let wrong = { (r: SealRequest) throws -> String in
            var other = r
            other.size = r.size + 1
            return try log.sign(other)
        }
        #expect(storeError { _ = try store.seal(sign: wrong) }?.kind == .invalidNote)
        #expect(storeError { _ = try store.seal { _ in "not a note" } }?.kind == .invalidNote)
        #expect(try store.reader.checkpointCount() == 1)
        // And the next good seal covers everything.
        let result = try #require(try store.seal(sign: log.sign))
        #expect(result.oldSize == 300 && result.checkpoint.size == 600)
        _ = try LedgerVerifier(hasher: sha256, verifiers: [log.verifier]).verify(store: store)
    }

    @Test func sealRequestCarriesTheStoredOrigin() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let log = try TestLog()
        try store.append(reading(0))
        var requests: [SealRequest] = []
        _ = try store.seal { r in
            requests.append(r)
            return try log.sign(r)
        }
        try store.append(reading(1))
        _ = try store.seal { r in
            requests.append(r)
            return try log.sign(r)
        }
        #expect(requests.map(\.origin) == [nil, log.origin])
        #expect(requests.map(\.oldSize) == [0, 1])
    }

    @Test func appendsContinueWhileSealing() async throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let log = try TestLog()
        try store.append(batch: (0..<20_000).map { reading($0) })
        let appender = Task.detached {
            for n in 20_000..<22_000 { try store.append(reading(n)) }
        }
        var seals = 0
        for _ in 0..<1_000_000 {
            if try store.seal(sign: log.sign) != nil { seals += 1 }
            if store.sealedSize == 22_000 { break }
            await Task.yield()
        }
        try await appender.value
        #expect(seals >= 1)
        #expect(store.pendingCount == 0)
        let report = try LedgerVerifier(hasher: sha256, verifiers: [log.verifier]).verify(store: store)
        #expect(report.entries == 22_000 && report.sealedSize == 22_000)
    }
}
