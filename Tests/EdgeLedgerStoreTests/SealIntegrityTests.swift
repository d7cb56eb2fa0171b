import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Synchronization
import Testing

/// The sealer signs only roots derived from verified data (issue 11, findings 5 and 6): a
/// damaged tile or unsealed entry stops sealing, persistently, and the quick integrity check
/// finds the damage without a seal.
@Suite struct SealIntegrityTests {
    /// Counts calls of the signing closure: a refused seal must not even ask for a signature.
    final class SignCounter: Sendable {
        let log: TestLog
        let calls = Atomic<Int>(0)
        init(_ log: TestLog) { self.log = log }
        func sign(_ request: SealRequest) throws -> String {
            calls.add(1, ordering: .relaxed)
            return try log.sign(request)
        }
        var count: Int { calls.load(ordering: .relaxed) }
    }

    /// A store sealed at 300 entries (tiles 0/0 full, 0/1 width 44, 1/0 width 1) with 100
    /// more entries pending.
    static func sealedStore(_ dir: TemporaryFolder, _ log: TestLog) throws -> LedgerStore {
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        try store.append(batch: (0..<300).map { reading($0) })
        _ = try #require(try store.seal(sign: log.sign))
        try store.append(batch: (300..<400).map { reading($0) })
        return store
    }

    @Test(arguments: [
        // (level, index, byte offset in the hashes blob): a right-edge hash the seal extends.
        (0, UInt64(1), 3 * 32 + 5), (1, UInt64(0), 7),
    ])
    func aDamagedRightEdgeTileIsNeverSigned(level: Int, index: UInt64, offset: Int) throws {
        let dir = try TemporaryFolder()
        let log = try TestLog()
        let signer = SignCounter(log)
        do {
            let store = try Self.sealedStore(dir, log)
            try RawSQL.flipBlobByte(
                store.path, table: "tiles", column: "hashes", where: "level = \(level) AND idx = \(index)",
                offset: offset)
            let error = try #require(storeError { _ = try store.seal(sign: signer.sign) })
            #expect(error.kind == .corrupt)
            #expect(error.message.contains("refusing to sign"), "\(error)")
            #expect(error.message.contains("tile \(level)/\(index)"), "\(error)")
            let damage = try #require(store.damage)
            #expect(damage.place == .tile(level: level, index: index))
            #expect(damage.message.contains("hash \(offset / 32) is"), "expected vs found: \(damage)")
            #expect(signer.count == 0)
            #expect(store.sealedSize == 300)
            #expect(try store.reader.checkpointCount() == 1)
            // Refused again, without looking: the condition stays.
            #expect(storeError { _ = try store.seal(sign: signer.sign) }?.kind == .corrupt)
        }
        // A restart over the same damage signs nothing either.
        let reopened = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        #expect(reopened.damage == nil)
        #expect(storeError { _ = try reopened.seal(sign: signer.sign) }?.kind == .corrupt)
        #expect(reopened.damage?.place == .tile(level: level, index: index))
        #expect(signer.count == 0)
        #expect(try reopened.reader.checkpointCount() == 1)
    }

    @Test func aDamagedSignedRootIsNeverExtended() throws {
        let dir = try TemporaryFolder()
        let log = try TestLog()
        let store = try Self.sealedStore(dir, log)
        try RawSQL.flipBlobByte(store.path, table: "checkpoints", column: "root", where: "size = 300", offset: 0)
        #expect(storeError { _ = try store.seal(sign: log.sign) }?.kind == .corrupt)
        #expect(store.damage?.place == .checkpoint(size: 300))
        #expect(store.damage?.message.contains("differs from the signed note's root") == true)
    }

    @Test(arguments: [
        // (column, entry index, byte offset): a payload byte, the index field, the leaf hash.
        ("entry", 350, 40), ("entry", 399, 9), ("leaf_hash", 300, 0),
    ])
    func aDamagedUnsealedEntryIsNeverSigned(column: String, index: Int, offset: Int) throws {
        let dir = try TemporaryFolder()
        let log = try TestLog()
        let signer = SignCounter(log)
        let store = try Self.sealedStore(dir, log)
        try RawSQL.flipBlobByte(store.path, table: "entries", column: column, where: "idx = \(index)", offset: offset)
        let error = try #require(storeError { _ = try store.seal(sign: signer.sign) })
        #expect(error.kind == .corrupt)
        #expect(error.message.contains("entry \(index)"), "\(error)")
        #expect(store.damage?.place == .entry(UInt64(index)))
        #expect(signer.count == 0)
        #expect(try store.reader.checkpointCount() == 1)
    }

    @Test func theIntegrityCheckFindsADamagedTileWithNothingPending() throws {
        let dir = try TemporaryFolder()
        let log = try TestLog()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        try store.append(batch: (0..<1000).map { reading($0) })
        _ = try store.seal(sign: log.sign)
        let clean = try store.checkIntegrity()
        #expect(clean.damage == nil)
        #expect(clean.fileStructureChecked)
        #expect(clean.sealedSize == 1000)
        #expect(clean.root == (try store.latestCheckpoint())?.root)
        #expect(store.damage == nil)
        try RawSQL.flipBlobByte(store.path, table: "tiles", column: "hashes", where: "level = 0 AND idx = 3", offset: 0)
        let report = try store.checkIntegrity()
        #expect(report.damage?.place == .tile(level: 0, index: 3))
        #expect(store.damage == report.damage)
        #expect(try store.reader.checkRightEdge().damage == report.damage)
        try store.append(reading(1000))
        #expect(storeError { _ = try store.seal(sign: log.sign) }?.kind == .corrupt)
        #expect(try store.reader.checkpointCount() == 1)
    }

    @Test func verifyQuickNamesTheDamageAndPassesACleanStore() throws {
        let dir = try TemporaryFolder()
        let log = try TestLog()
        let store = try Self.sealedStore(dir, log)
        let verifier = LedgerVerifier(hasher: sha256, verifiers: [log.verifier])
        let report = try verifier.verifyQuick(path: store.path)
        #expect(report.sealedSize == 300)
        #expect(report.unsealedChecked == 100)
        let other = try TestLog()
        let wrongKey = verificationFailure { () throws(VerificationFailure) in
            _ = try LedgerVerifier(hasher: sha256, verifiers: [other.verifier]).verifyQuick(path: store.path)
        }
        #expect(wrongKey?.place == .checkpoint(size: 300))
        try RawSQL.flipBlobByte(
            store.path, table: "tiles", column: "hashes", where: "level = 0 AND idx = 1", offset: 40)
        let failure = verificationFailure { () throws(VerificationFailure) in
            _ = try verifier.verifyQuick(path: store.path)
        }
        #expect(failure?.place == .tile(level: 0, index: 1))
        #expect(failure?.message.contains("entry 257's bytes") == true, "\(String(describing: failure))")
    }
}

/// The background check's SQLite layer: a page damaged in the file itself (below SQLite).
@Suite struct FileStructureIntegrityTests {
    @Test func aDamagedDatabasePageIsDamageNotAnError() throws {
        let dir = try TemporaryFolder()
        let log = try TestLog()
        let path = dir.file("ledger.db")
        do {
            let store = try LedgerStore(path: path, hasher: sha256)
            try store.append(batch: (0..<3000).map { reading($0) })
            _ = try store.seal(sign: log.sign)
        }
        // Move everything into the main file, then overwrite one b-tree page (not the header).
        try RawSQL.execute(path, "PRAGMA wal_checkpoint(TRUNCATE)")
        let pageSize = Int(try #require(try RawSQL.integer(path, "PRAGMA page_size")))
        let pages = Int(try #require(try RawSQL.integer(path, "PRAGMA page_count")))
        let handle = try #require(fopen(path, "r+b"))
        fseek(handle, pageSize * (pages / 2), SEEK_SET)
        let garbage = [UInt8](repeating: 0xA5, count: pageSize)
        fwrite(garbage, 1, garbage.count, handle)
        fclose(handle)

        let store = try LedgerStore(path: path, hasher: sha256)  // the header check does not see it
        let report = try store.checkIntegrity()
        let damage = try #require(report.damage)
        #expect(damage.place == .store, "\(damage)")
        #expect(store.damage == damage)
        #expect(storeError { _ = try store.seal(sign: log.sign) }?.kind == .corrupt)
    }
}
