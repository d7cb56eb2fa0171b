import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Testing

/// `LedgerVerifier` (what `edge-ledger verify` runs) catches one flipped byte anywhere and names
/// the place. The damage is done with raw SQL through a separate SQLite connection.
@Suite struct LedgerVerifierTests {
    /// A store with checkpoints at 100, 300, 700, 1000 and 50 pending entries.
    struct Fixture {
        let dir: TemporaryFolder
        let log: TestLog
        let path: String

        init() throws {
            dir = try TemporaryFolder()
            log = try TestLog()
            path = dir.file("ledger.db")
            let store = try LedgerStore(path: path, hasher: sha256)
            var n = 0
            for size in [100, 300, 700, 1000] {
                try store.append(batch: (n..<size).map { reading($0) })
                n = size
                _ = try store.seal(sign: log.sign)
            }
            try store.append(batch: (1000..<1050).map { reading($0) })
        }

        func verify(verifiers: [any NoteVerifier]? = nil) -> VerificationFailure? {
            verificationFailure { () throws(VerificationFailure) in
                _ = try LedgerVerifier(hasher: sha256, verifiers: verifiers ?? [log.verifier]).verify(path: path)
            }
        }

        /// Flips one bit of byte `byte` of a blob column and writes it back.
        func flip(_ table: String, _ column: String, where condition: String, byte: Int) throws {
            try RawSQL.flipBlobByte(path, table: table, column: column, where: condition, offset: byte)
        }
    }

    @Test func intactStorePasses() throws {
        let f = try Fixture()
        var calls: [(UInt64, UInt64)] = []
        var verifier = LedgerVerifier(hasher: sha256, verifiers: [f.log.verifier])
        verifier.progressInterval = 256
        let report = try verifier.verify(path: f.path) { calls.append(($0, $1)) }
        #expect(report.entries == 1050)
        #expect(report.sealedSize == 1000)
        #expect(report.pendingEntries == 50)
        #expect(report.checkpoints == 4)
        #expect(report.signaturesVerified == 4)
        #expect(report.consistencyProofs == 3)
        #expect(report.tilesChecked == 5)  // 0/0, 0/1, 0/2 full; 0/3 partial; 1/0 partial
        #expect(report.origin == f.log.origin)
        #expect(report.prunedEntries == 0)
        #expect(calls.first! == (0, 1050))
        #expect(calls.last! == (1050, 1050))
        #expect(calls.map(\.0) == calls.map(\.0).sorted())
        // Without verifier keys the bodies are still checked.
        let unsigned = try LedgerVerifier(hasher: sha256).verify(path: f.path)
        #expect(unsigned.signaturesVerified == 0 && unsigned.checkpoints == 4)
    }

    @Test func flippedEntryByteIsNamed() throws {
        let f = try Fixture()
        // A payload byte (still decodes): the leaf hash no longer matches.
        try f.flip("entries", "entry", where: "idx = 555", byte: 60)
        let failure = try #require(f.verify())
        #expect(failure.place == .entry(555))
        #expect(failure.description.hasPrefix("entry 555: leaf hash mismatch (stored "))
        #expect(failure.description.contains(", computed "))
    }

    @Test func flippedEntryHeaderIsNamed() throws {
        let f = try Fixture()
        try f.flip("entries", "entry", where: "idx = 7", byte: 0)  // version byte
        let failure = try #require(f.verify())
        #expect(failure.place == .entry(7))
        #expect(failure.message.contains("does not decode: unsupported entry format version"))
        // The index field: the entry then claims another position.
        let g = try Fixture()
        try g.flip("entries", "entry", where: "idx = 8", byte: 9)
        #expect(g.verify()?.description == "entry 8: carries index 9, not its position 8")
    }

    @Test func flippedLeafHashIsNamed() throws {
        let f = try Fixture()
        try f.flip("entries", "leaf_hash", where: "idx = 1020", byte: 31)  // a pending entry
        let failure = try #require(f.verify())
        #expect(failure.place == .entry(1020))
        #expect(failure.message.hasPrefix("leaf hash mismatch"))
    }

    @Test func flippedTileHashIsNamed() throws {
        let f = try Fixture()
        try f.flip("tiles", "hashes", where: "level = 0 AND idx = 2", byte: 17 * 32 + 5)
        let failure = try #require(f.verify())
        #expect(failure.place == .tile(level: 0, index: 2))
        #expect(failure.description.hasPrefix("tile 0/2: hash 17 differs (stored "))
    }

    @Test func flippedPartialTileHashIsNamed() throws {
        let f = try Fixture()
        // Tile 0/3 holds leaves 768..<1000; hash 3 is leaf 771, inside the checkpoint at 1000.
        try f.flip("tiles", "hashes", where: "level = 0 AND idx = 3", byte: 3 * 32)
        let failure = try #require(f.verify())
        #expect(failure.description.hasPrefix("tile 0/3: hash 3 differs"))
        let g = try Fixture()
        try g.flip("tiles", "hashes", where: "level = 1 AND idx = 0", byte: 0)
        #expect(g.verify()?.description.hasPrefix("tile 1/0: hash 0 differs") == true)
    }

    @Test func flippedCheckpointSignatureIsNamed() throws {
        let f = try Fixture()
        let note = try #require(try LedgerReader(path: f.path, hasher: sha256).checkpoint(size: 700)).note
        // Damage a base64 character in the middle of the signature line.
        var bytes = Array(note.utf8)
        let i = bytes.count - 20
        bytes[i] = bytes[i] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try RawSQL.execute(f.path, "UPDATE checkpoints SET note = CAST(?1 AS TEXT) WHERE size = 700", blob: bytes)
        let failure = try #require(f.verify())
        #expect(failure.place == .checkpoint(size: 700))
        #expect(failure.description.contains("checkpoint at size 700: signature by known key \(f.log.origin)+"))
        #expect(failure.description.contains("does not verify"))
        // Without keys the signature is not checked, and the body is still right.
        #expect(
            verificationFailure { () throws(VerificationFailure) in
                _ = try LedgerVerifier(hasher: sha256).verify(path: f.path)
            } == nil)
    }

    @Test func flippedCheckpointBodyIsNamed() throws {
        let f = try Fixture()
        let note = try #require(try LedgerReader(path: f.path, hasher: sha256).checkpoint(size: 300)).note
        let damaged = note.replacing("\n300\n", with: "\n301\n", maxReplacements: 1)
        try RawSQL.execute(
            f.path, "UPDATE checkpoints SET note = CAST(?1 AS TEXT) WHERE size = 300", blob: Array(damaged.utf8))
        #expect(f.verify()?.description == "checkpoint at size 300: note body names size 301")
    }

    @Test func flippedCheckpointRootIsNamed() throws {
        let f = try Fixture()
        try f.flip("checkpoints", "root", where: "size = 1000", byte: 12)
        let failure = try #require(f.verify())
        #expect(failure.place == .checkpoint(size: 1000))
        #expect(failure.message.hasPrefix("stored root "))
        #expect(failure.message.contains("differs from the root recomputed from the entries"))
    }

    @Test func untrustedKeysAreReported() throws {
        let f = try Fixture()
        let stranger = try TestLog(origin: "factory.example/gw")
        let failure = try #require(f.verify(verifiers: [stranger.verifier]))
        #expect(failure.place == .checkpoint(size: 100))
        #expect(failure.message.contains("no signature by a known key"))
    }

    @Test func deletedRowsAreDetected() throws {
        let f = try Fixture()
        try RawSQL.execute(f.path, "DELETE FROM entries WHERE idx = 400")
        #expect(f.verify()?.description == "entry 400: missing (the next stored entry is 401)")

        let g = try Fixture()
        try RawSQL.execute(g.path, "DELETE FROM entries WHERE idx >= 990")
        let failure = try #require(g.verify())
        #expect(failure.place == .entry(990))
        #expect(failure.message.contains("checkpoint at size 1000 covers it"))

        let h = try Fixture()
        try RawSQL.execute(h.path, "DELETE FROM tiles WHERE level = 0 AND idx = 1")
        #expect(h.verify()?.description == "tile 0/1: missing")

        let i = try Fixture()
        try RawSQL.execute(i.path, "DELETE FROM checkpoints WHERE size = 1000")
        let last = try #require(i.verify())
        #expect(last.place == .tile(level: 0, index: 2))  // tiles reach beyond the latest checkpoint (700)
    }

    @Test func extraTileIsDetected() throws {
        let f = try Fixture()
        try RawSQL.execute(
            f.path, "INSERT INTO tiles(level, idx, width, hashes) VALUES (0, 9, 1, ?1)",
            blob: Array(repeating: 0, count: 32))
        #expect(
            f.verify()?.description == "tile 0/9: stored, but not part of the tree at the latest checkpoint (size 1000)"
        )
    }

    @Test func wrongHasherIsAStoreFailure() throws {
        let f = try Fixture()
        let failure = verificationFailure { () throws(VerificationFailure) in
            _ = try LedgerVerifier(hasher: try! OpenSSLHasher(.sm3)).verify(path: f.path)
        }
        #expect(failure?.place == .store)
        #expect(failure?.message.contains("hashed with sha256") == true)
    }

    @Test func everySingleByteFlipInAnEntryIsCaught() throws {
        // Exhaustive over one entry's bytes: no flip goes unnoticed, each names entry 3.
        let f = try Fixture()
        let original = try RawSQL.bytes(f.path, "SELECT entry FROM entries WHERE idx = 3")!
        for byte in 0..<original.count {
            var damaged = original
            damaged[byte] ^= 0x80
            try RawSQL.execute(f.path, "UPDATE entries SET entry = ?1 WHERE idx = 3", blob: damaged)
            var verifier = LedgerVerifier(hasher: sha256)
            verifier.checkFileStructure = false
            let failure = verificationFailure { () throws(VerificationFailure) in
                _ = try verifier.verify(path: f.path)
            }
            #expect(failure?.place == .entry(3), "byte \(byte)")
        }
        try RawSQL.execute(f.path, "UPDATE entries SET entry = ?1 WHERE idx = 3", blob: original)
        #expect(f.verify() == nil)
    }
}
