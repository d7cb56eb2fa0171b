import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Testing

@Suite struct LedgerStoreTests {
    @Test func appendAssignsConsecutiveIndicesAndReadsBack() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        #expect(store.nextIndex == 0)
        var appended: [Entry] = []
        for n in 0..<5 { appended.append(try store.append(reading(n))) }
        #expect(appended.map(\.index) == [0, 1, 2, 3, 4])
        #expect(store.nextIndex == 5)
        #expect(store.pendingCount == 5)
        #expect(store.sealedSize == 0)
        #expect(try store.entry(at: 3) == appended[3])
        #expect(try store.entry(at: 5) == nil)
        #expect(try store.entries(from: 1, to: 100) == Array(appended[1...]))
        #expect(try store.reader.leafHashes(from: 0, to: 5) == appended.map { sha256.leafHash($0.encode()) })
        #expect(try store.reader.encodedEntries(from: 0, to: 2) == appended[0..<2].map { $0.encode() })
        let e = appended[2]
        #expect(e.topic == "plant/line-1/temp" && e.qos == 1 && e.payload == reading(2).payload)
    }

    @Test func batchIsAllOrNothing() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let entries = try store.append(batch: (0..<1000).map { reading($0) })
        #expect(entries.count == 1000 && entries.last?.index == 999)
        var bad = (0..<10).map { reading(1000 + $0) }
        bad[5].qos = 3
        let error = storeError { try store.append(batch: bad) }
        #expect(error?.kind == .invalidReading)
        #expect(store.nextIndex == 1000)
        #expect(try store.reader.nextIndex() == 1000)
        #expect(try store.append(reading(1000)).index == 1000)
        #expect(try store.append(batch: []).isEmpty)
    }

    @Test func invalidReadingIsRefusedWithAClearMessage() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        var r = reading(0)
        r.payload = Array(repeating: 0, count: 70_000)
        let error = storeError { try store.append(r) }
        #expect(error?.kind == .invalidReading)
        #expect(error?.description.contains("at most 65535") == true)
        #expect(store.nextIndex == 0)
    }

    @Test func reopenKeepsEverything() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("ledger.db")
        let log = try TestLog()
        do {
            let store = try LedgerStore(path: path, hasher: sha256)
            try store.append(batch: (0..<300).map { reading($0) })
            _ = try store.seal(sign: log.sign)
            try store.append(reading(300))
        }
        let store = try LedgerStore(path: path, hasher: sha256, origin: log.origin)
        #expect(store.nextIndex == 301)
        #expect(store.sealedSize == 300)
        #expect(store.pendingCount == 1)
        #expect(store.origin == log.origin)
        #expect(try store.append(reading(301)).index == 301)
        let result = try #require(try store.seal(sign: log.sign))
        #expect(result.oldSize == 300 && result.checkpoint.size == 302)
    }

    @Test func wrongHashAlgorithmIsRefused() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("ledger.db")
        do { _ = try LedgerStore(path: path, hasher: sha256) }
        let sm3 = try OpenSSLHasher(.sm3)
        let error = storeError { _ = try LedgerStore(path: path, hasher: sm3) }
        #expect(error?.kind == .wrongHashAlgorithm)
        #expect(error?.description.contains("hashed with sha256, but sm3 was requested") == true)
        #expect(storeError { _ = try LedgerReader(path: path, hasher: sm3) }?.kind == .wrongHashAlgorithm)
        #expect(try LedgerReader.hashAlgorithm(ofStoreAt: path) == .sha256)
    }

    @Test func sm3StoreWorksEndToEnd() throws {
        let dir = try TemporaryFolder()
        let sm3 = try OpenSSLHasher(.sm3)
        let store = try LedgerStore(path: dir.file("sm3.db"), hasher: sm3)
        let entries = try store.append(batch: (0..<10).map { reading($0) })
        let log = try TestLog()
        let sealed = try #require(try store.seal(sign: log.sign))
        #expect(sealed.checkpoint.root == Merkle.rootHash(entries.map { sm3.leafHash($0.encode()) }, hasher: sm3))
        #expect(try LedgerReader.hashAlgorithm(ofStoreAt: store.path) == .sm3)
    }

    @Test func newerSchemaIsRefused() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("ledger.db")
        do { _ = try LedgerStore(path: path, hasher: sha256) }
        try RawSQL.execute(path, "PRAGMA user_version = 99")
        let error = storeError { _ = try LedgerStore(path: path, hasher: sha256) }
        #expect(error?.kind == .newerSchema)
        #expect(error?.description.contains("schema version 99") == true)
        #expect(error?.hint?.contains("upgrade edge-ledger") == true)
    }

    @Test func foreignFilesAreRefused() throws {
        let dir = try TemporaryFolder()
        let garbage = dir.file("garbage.db")
        let fd = open(garbage, O_WRONLY | O_CREAT, 0o600)
        let junk = Array(repeating: UInt8(0x5a), count: 8192)
        _ = junk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let error = storeError { _ = try LedgerStore(path: garbage, hasher: sha256) }
        #expect(error?.kind == .corrupt)
        #expect(error?.description.contains("edge-ledger verify") == true)

        let other = dir.file("other.db")
        try RawSQL.createDatabase(other, "CREATE TABLE t(x)")
        #expect(storeError { _ = try LedgerStore(path: other, hasher: sha256) }?.kind == .notALedger)
        #expect(storeError { _ = try LedgerReader(path: other, hasher: sha256) }?.kind == .notALedger)
    }

    @Test func missingDirectorySaysWhatToDo() {
        let error = storeError { _ = try LedgerStore(path: "/nonexistent-dir-el/ledger.db", hasher: sha256) }
        #expect(error?.kind == .cannotOpen)
        #expect(error?.description.contains("directory exists") == true)
        #expect(
            storeError { _ = try LedgerReader(path: "/nonexistent-dir-el/ledger.db", hasher: sha256) }?.kind
                == .cannotOpen)
    }

    @Test func secondWriterIsRefused() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("ledger.db")
        let first = try LedgerStore(path: path, hasher: sha256)
        let error = storeError { _ = try LedgerStore(path: path, hasher: sha256) }
        #expect(error?.kind == .busy)
        #expect(error?.description.contains("already open for writing") == true)
        _ = first
    }

    @Test func wrongOriginIsRefused() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("ledger.db")
        let log = try TestLog(origin: "factory.example/a")
        do {
            let store = try LedgerStore(path: path, hasher: sha256)
            try store.append(reading(0))
            _ = try store.seal(sign: log.sign)
        }
        let error = storeError { _ = try LedgerStore(path: path, hasher: sha256, origin: "factory.example/b") }
        #expect(error?.kind == .wrongOrigin)
        // And a note for another origin is not stored.
        let store = try LedgerStore(path: path, hasher: sha256)
        try store.append(reading(1))
        let other = try TestLog(origin: "factory.example/b")
        #expect(storeError { _ = try store.seal(sign: other.sign) }?.kind == .wrongOrigin)
        #expect(store.sealedSize == 1)
    }

    @Test func durabilityPowerOpensAndAppends() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), durability: .power, hasher: sha256, check: .quick)
        #expect(store.durability == .power)
        try store.append(reading(0))
        #expect(store.nextIndex == 1)
        #expect(store.bytesOnDisk() > 0)
    }

    @Test func rejectedReadingsAreRecorded() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let big = Array(repeating: UInt8(0x41), count: 500)
        try store.reject(RejectedReading(receivedAt: 100, topic: "bad/topic", reason: "not JSON", payload: big))
        try store.reject(RejectedReading(receivedAt: 200, topic: "bad/topic", reason: "too large", payload: [1]))
        try store.reject(RejectedReading(receivedAt: 300, topic: "x", reason: "topic not allowed", payload: []))
        #expect(try store.rejectedCount() == 3)
        #expect(try store.rejectedCount(since: 200) == 2)
        let recent = try store.reader.recentRejected(limit: 10)
        #expect(recent.map(\.reason) == ["topic not allowed", "too large", "not JSON"])
        #expect(recent[2].size == 500 && recent[2].head.count == 64)
        #expect(try store.deleteRejected(before: 250) == 2)
        #expect(try store.rejectedCount() == 1)
        #expect(store.nextIndex == 0)
    }

    @Test func upstreamStateAndAcknowledgements() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let log = try TestLog()
        try store.append(batch: (0..<10).map { reading($0) })
        let first = try #require(try store.seal(sign: log.sign))
        try store.append(batch: (10..<20).map { reading($0) })
        let second = try #require(try store.seal(sign: log.sign))

        var state = UpstreamState(name: "dc-1")
        state.lastPushAt = 5
        state.lastPushResult = "connection refused"
        state.consecutiveFailures = 3
        state.nextAttemptAt = 99
        try store.saveUpstream(state)
        #expect(try store.upstream(named: "dc-1") == state)
        #expect(try store.upstream(named: "nope") == nil)

        let acked = try store.acknowledge(upstream: "dc-1", size: 20, root: second.checkpoint.root, at: 7)
        #expect(acked.ackedSize == 20 && acked.ackedRoot == second.checkpoint.root && acked.ackedAt == 7)
        #expect(acked.consecutiveFailures == 3)
        // Backwards is ignored; an intermediate size is checked against the tiles' root.
        let still = try store.acknowledge(upstream: "dc-1", size: 10, root: first.checkpoint.root)
        #expect(still.ackedSize == 20)
        let mid = try store.reader.rootHash(size: 15)
        #expect(try store.acknowledge(upstream: "dc-2", size: 15, root: mid).ackedSize == 15)
        #expect(
            storeError { try store.acknowledge(upstream: "dc-1", size: 20, root: first.checkpoint.root) }?.kind
                == .conflict)
        #expect(storeError { try store.acknowledge(upstream: "dc-1", size: 21, root: mid) }?.kind == .outOfRange)
        #expect(try store.reader.upstreams().map(\.name) == ["dc-1", "dc-2"])
    }

    @Test func cosignaturesAttachToCheckpoints() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        try store.append(reading(0))
        _ = try store.seal(sign: try TestLog().sign)
        let c = Cosignature(
            checkpointSize: 1, witness: "witness.example", line: "— witness.example AAAA", receivedAt: 3)
        try store.addCosignature(c)
        try store.addCosignature(c)
        #expect(try store.reader.cosignatures(checkpointSize: 1) == [c])
        var unknown = c
        unknown.checkpointSize = 2
        #expect(storeError { try store.addCosignature(unknown) }?.kind == .outOfRange)
    }

    @Test func entryBundlesAndTileDataFollowTlogTiles() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let entries = try store.append(batch: (0..<300).map { reading($0) })
        _ = try store.seal(sign: try TestLog().sign)
        let bundle = try #require(try store.reader.entryBundle(index: 1, width: 44))
        var offset = 0
        for e in entries[256..<300] {
            let bytes = e.encode()
            #expect(Int(bundle[offset]) << 8 | Int(bundle[offset + 1]) == bytes.count)
            #expect(Array(bundle[offset + 2..<offset + 2 + bytes.count]) == bytes)
            offset += 2 + bytes.count
        }
        #expect(offset == bundle.count)
        #expect(try store.reader.entryBundle(index: 1, width: 45) == nil)
        #expect(try store.reader.entryBundle(index: 0, width: 256)?.isEmpty == false)

        let leaves = entries.map { sha256.leafHash($0.encode()) }
        #expect(try store.tile(level: 0, index: 0) == Array(leaves[0..<256]))
        #expect(try store.tile(level: 0, index: 1) == Array(leaves[256..<300]))
        #expect(try store.tile(level: 1, index: 0) == [Merkle.rootHash(leaves[0..<256], hasher: sha256)])
        #expect(try store.reader.tileData(level: 0, index: 1, width: 10) == leaves[256..<266].flatMap(\.bytes))
        #expect(try store.reader.tileData(level: 0, index: 1, width: 45) == nil)
        #expect(try store.tile(level: 0, index: 2) == nil)
    }

    @Test func forEachEntryStreamsInPages() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        try store.append(batch: (0..<1000).map { reading($0) })
        var seen: [UInt64] = []
        try store.reader.forEachEntry(from: 10, to: 5000, pageSize: 64) { seen.append($0.index) }
        #expect(seen == Array(10..<1000))
    }
}

@Suite struct StoreFailureTests {
    @Test func diskFullSaysWhatToDoAndLosesNothing() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        try store.append(batch: (0..<100).map { reading($0) })
        let size = try #require(
            try RawSQL.integer(
                store.path,
                "SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size)"))
        // A quota just above the current size: the next pages cannot be allocated.
        #expect(try store.setQuota(bytes: size + 8192) == size + 8192)
        var big = reading(100)
        big.payload = Array(repeating: 0x42, count: 16_000)
        var failure: StoreError?
        for _ in 0..<20 {
            failure = storeError { try store.append(big) }
            if failure != nil { break }
        }
        let error = try #require(failure)
        #expect(error.kind == .diskFull)
        #expect(
            error.description.hasPrefix(
                "SQLITE_FULL: no space left on device (or the store's quota is reached) while appending entry "))
        #expect(error.description.hasSuffix("free space or raise the quota"))
        let stored = store.nextIndex
        #expect(try store.reader.nextIndex() == stored)  // the failed append left nothing behind
        // Space again: appending continues at the next index, with no gap.
        try store.setQuota(bytes: nil)
        #expect(try store.append(reading(1)).index == stored)
        _ = try store.seal(sign: try TestLog().sign)
        _ = try LedgerVerifier(hasher: sha256).verify(store: store)
    }

    @Test func prunedEntriesKeepTheirLeafHashes() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let log = try TestLog()
        try store.append(batch: (0..<300).map { reading($0) })
        _ = try store.seal(sign: log.sign)
        // What retention will do: drop the bytes, keep the hash.
        try RawSQL.execute(store.path, "UPDATE entries SET entry = NULL WHERE idx < 10")
        #expect(storeError { _ = try store.entry(at: 3) }?.kind == .pruned)
        #expect(try store.entry(at: 10)?.index == 10)
        let report = try LedgerVerifier(hasher: sha256, verifiers: [log.verifier]).verify(store: store)
        #expect(report.prunedEntries == 10 && report.entries == 300)
        #expect(try store.inclusionProof(index: 3, size: 300).count == 9)
    }
}
