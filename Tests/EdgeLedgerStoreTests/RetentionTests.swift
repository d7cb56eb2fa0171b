import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Synchronization
import Testing

/// Payload pruning (`storage.retention`) and the `drop-oldest-acked` quota policy, on real
/// SQLite files.
@Suite struct RetentionTests {
    static let base: Int64 = 1_767_225_600_000_000_000
    static let ms: Int64 = 1_000_000

    /// A store with `count` entries sealed at `sealed` (entry n received at base + n ms).
    struct Fixture {
        let dir: TemporaryFolder
        let log: TestLog
        let path: String
        let store: LedgerStore

        init(count: Int = 100, sealed: Int? = nil, payloadBytes: Int? = nil) throws {
            dir = try TemporaryFolder()
            log = try TestLog()
            path = dir.file("ledger.db")
            store = try LedgerStore(path: path, hasher: sha256)
            let sealedCount = sealed ?? count
            try store.append(batch: (0..<sealedCount).map { Fixture.reading($0, payloadBytes) })
            _ = try store.seal(sign: log.sign)
            if count > sealedCount {
                try store.append(batch: (sealedCount..<count).map { Fixture.reading($0, payloadBytes) })
            }
        }

        static func reading(_ n: Int, _ payloadBytes: Int?) -> ReadingInput {
            guard let payloadBytes else { return RetentionTests_reading(n) }
            return ReadingInput(
                receivedAt: RetentionTests.base + Int64(n) * RetentionTests.ms, qos: 1, topic: "plant/line-1/blob",
                payload: (0..<payloadBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) })
        }

        /// Upstream `name` fetched the entries below `size` and acknowledged them.
        func ack(_ name: String, _ size: UInt64) throws {
            try store.recordFetched(upstream: name, below: size)
            try store.acknowledge(upstream: name, size: size, root: try store.reader.rootHash(size: size))
        }

        /// Indices in `range` whose payload is gone.
        func prunedIndices(_ range: Range<UInt64>) -> [UInt64] {
            range.filter { i in storeError { _ = try store.entry(at: i) }?.kind == .pruned }
        }
    }

    @Test func noRequiredUpstreamsPrunesNothing() throws {
        let f = try Fixture()
        try f.ack("dc", 100)
        let result = try f.store.prune(requiredUpstreams: [], minAge: .zero, now: Self.base + 1_000 * Self.ms)
        #expect(result.skipped == .noRequiredUpstreams)
        #expect(result.prunedEntries == 0)
        #expect(f.prunedIndices(0..<100).isEmpty)
    }

    @Test func nothingPrunedWithoutAcknowledgements() throws {
        let f = try Fixture()
        try f.ack("other", 100)  // acknowledged, but not a required upstream
        let result = try f.store.prune(requiredUpstreams: ["dc"], minAge: .zero, now: Self.base + 1_000 * Self.ms)
        #expect(result.skipped == nil)
        #expect(result.prunedEntries == 0)
        #expect(result.acknowledgedBelow == 0)
        #expect(f.prunedIndices(0..<100).isEmpty)
    }

    @Test func respectsTheSmallestAcknowledgementOfTheRequiredUpstreams() throws {
        let f = try Fixture()
        try f.ack("dc-1", 60)
        try f.ack("dc-2", 40)
        try f.ack("unrequired", 10)
        let result = try f.store.prune(
            requiredUpstreams: ["dc-1", "dc-2"], minAge: .zero, now: Self.base + 1_000 * Self.ms)
        #expect(result.prunedEntries == 40)
        #expect(result.acknowledgedBelow == 40)
        #expect(result.prunedBelow == 40)
        #expect(f.prunedIndices(0..<100) == Array(0..<40))
        #expect(try f.store.entry(at: 40)?.index == 40)
        #expect(try f.store.prunedBelow == 40)
        // A later acknowledgement lets the next pass go on; a repeated pass prunes nothing new.
        try f.ack("dc-2", 70)
        let next = try f.store.prune(
            requiredUpstreams: ["dc-1", "dc-2"], minAge: .zero, now: Self.base + 1_000 * Self.ms)
        #expect(next.prunedEntries == 20)
        #expect(f.prunedIndices(0..<100) == Array(0..<60))
        let again = try f.store.prune(
            requiredUpstreams: ["dc-1", "dc-2"], minAge: .zero, now: Self.base + 1_000 * Self.ms)
        #expect(again.prunedEntries == 0)
    }

    @Test func neverPrunesBeyondTheSealedSize() throws {
        let f = try Fixture(count: 100, sealed: 50)
        // An upstream state claiming more than is sealed (cannot come from /ack) is clamped.
        var state = UpstreamState(name: "dc")
        state.ackedSize = 100
        try f.store.saveUpstream(state)
        try f.store.recordFetched(upstream: "dc", below: 100)
        let result = try f.store.prune(requiredUpstreams: ["dc"], minAge: .zero, now: Self.base + 1_000 * Self.ms)
        #expect(result.prunedEntries == 50)
        #expect(result.acknowledgedBelow == 50)
        #expect(f.prunedIndices(0..<100) == Array(0..<50))
    }

    @Test func respectsTheMinimumAge() throws {
        let f = try Fixture()
        try f.ack("dc", 100)
        // now = base + 100 ms, min age 70 ms: entries received before base + 30 ms are old enough.
        let first = try f.store.prune(
            requiredUpstreams: ["dc"], minAge: .milliseconds(70), now: Self.base + 100 * Self.ms)
        #expect(first.prunedEntries == 30)
        #expect(first.prunedBelow == 30)
        #expect(f.prunedIndices(0..<100) == Array(0..<30))
        let later = try f.store.prune(
            requiredUpstreams: ["dc"], minAge: .milliseconds(70), now: Self.base + 150 * Self.ms)
        #expect(later.prunedEntries == 50)
        #expect(f.prunedIndices(0..<100) == Array(0..<80))
    }

    @Test func prunedEntriesKeepProofsAndVerification() throws {
        let f = try Fixture(count: 300)
        try f.ack("dc", 300)
        let result = try f.store.prune(requiredUpstreams: ["dc"], minAge: .zero, now: Self.base + 10_000 * Self.ms)
        #expect(result.prunedEntries == 300)
        // The tree keeps growing and proving.
        try f.store.append(batch: (300..<420).map { reading($0) })
        let checkpoint = try #require(try f.store.seal(sign: f.log.sign)).checkpoint
        let leaves = try f.store.reader.leafHashes(from: 0, to: 420)
        for index: UInt64 in [0, 1, 127, 255, 299, 300, 419] {
            let proof = try f.store.inclusionProof(index: index, size: 420)
            try Merkle.verifyInclusion(
                index: index, treeSize: 420, leafHash: leaves[Int(index)], proof: proof, root: checkpoint.root,
                hasher: sha256)
        }
        #expect(storeError { _ = try f.store.reader.entryBundle(index: 0, width: 256) }?.kind == .pruned)
        #expect(try f.store.entry(at: 300)?.index == 300)
        let report = try LedgerVerifier(hasher: sha256, verifiers: [f.log.verifier]).verify(path: f.path)
        #expect(report.prunedEntries == 300)
        #expect(report.entries == 420)
    }

    @Test func incrementalVacuumShrinksANewStore() throws {
        let f = try Fixture(count: 2_000, payloadBytes: 2_000)
        try f.ack("dc", 2_000)
        let before = try RawSQL.integer(f.path, "PRAGMA page_count")!
        let result = try f.store.prune(requiredUpstreams: ["dc"], minAge: .zero, now: Self.base + 1_000_000 * Self.ms)
        #expect(result.incrementalVacuum)
        #expect(result.prunedEntries == 2_000)
        #expect(result.pagesReleased > 0)
        #expect(result.freePages == 0)
        let after = try RawSQL.integer(f.path, "PRAGMA page_count")!
        #expect(after * 2 < before, "page count \(before) → \(after)")
        #expect(FileSystem.fileSize(f.path) < before * 4096 / 2)
    }

    @Test func storeWithoutAutoVacuumReusesSpaceButSaysSo() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("legacy.db")
        // A file whose header was written before the store existed: auto_vacuum cannot be set.
        try RawSQL.createDatabase(path, "PRAGMA journal_mode = WAL")
        let log = try TestLog()
        let store = try LedgerStore(path: path, hasher: sha256)
        try store.append(batch: (0..<500).map { Fixture.reading($0, 2_000) })
        _ = try store.seal(sign: log.sign)
        try store.recordFetched(upstream: "dc", below: 500)
        try store.acknowledge(upstream: "dc", size: 500, root: try store.reader.rootHash(size: 500))
        let result = try store.prune(requiredUpstreams: ["dc"], minAge: .zero, now: Self.base + 1_000_000 * Self.ms)
        #expect(result.prunedEntries == 500)
        #expect(!result.incrementalVacuum)
        #expect(result.pagesReleased == 0)
        #expect(result.freePages > 0)
    }

    @Test func dropOldestAcknowledgedMakesRoomButNeverDropsUnacknowledgedData() throws {
        let f = try Fixture(count: 400, payloadBytes: 1_000)
        try f.ack("dc", 400)
        let pages = try RawSQL.integer(f.path, "PRAGMA page_count")!
        let drops = Mutex<[PruneResult]>([])
        try f.store.configureQuota(
            bytes: (pages + 16) * 4096, dropOldestAcknowledged: true, requiredUpstreams: ["dc"],
            onDrop: { result in drops.withLock { $0.append(result) } })
        // Well past the quota: room comes from the acknowledged entries.
        for n in 400..<700 { try f.store.append(Fixture.reading(n, 1_000)) }
        let dropped = f.store.quotaDroppedCount
        #expect(dropped > 0)
        #expect(drops.withLock { $0.reduce(0) { $0 + $1.prunedEntries } } == dropped)
        #expect(f.prunedIndices(0..<400).count == Int(dropped))
        // Keep appending until the acknowledged entries are all gone: then backpressure.
        var failure: StoreError?
        var n = 700
        while failure == nil && n < 20_000 {
            failure = storeError { try f.store.append(Fixture.reading(n, 1_000)) }
            n += 1
        }
        let error = try #require(failure)
        #expect(error.kind == .diskFull)
        #expect(error.message.contains("no entry acknowledged"))
        #expect(f.prunedIndices(0..<400).count == 400)
        // Nothing unacknowledged was dropped.
        let end = f.store.nextIndex
        #expect(end == UInt64(n - 1))
        #expect(f.prunedIndices(400..<end).isEmpty)
        let report = try LedgerVerifier(hasher: sha256).verify(path: f.path)
        #expect(report.prunedEntries == 400)
    }

    @Test func backpressureFailsAppendsAndSurvivesARestart() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("ledger.db")
        var quota: Int64 = 0
        do {
            let store = try LedgerStore(path: path, hasher: sha256)
            try store.append(batch: (0..<200).map { Fixture.reading($0, 1_000) })
            quota = (try RawSQL.integer(path, "PRAGMA page_count")! + 8) * 4096
            try store.configureQuota(bytes: quota, dropOldestAcknowledged: false, requiredUpstreams: ["dc"])
            var failure: StoreError?
            var n = 200
            while failure == nil && n < 5_000 {
                failure = storeError { try store.append(Fixture.reading(n, 1_000)) }
                n += 1
            }
            #expect(failure?.kind == .diskFull)
            #expect(store.quotaDroppedCount == 0)
        }
        // Reopened with the same quota: still full, nothing was lost.
        let store = try LedgerStore(path: path, hasher: sha256)
        let count = store.nextIndex
        try store.configureQuota(
            StorageConfiguration(quotaBytes: quota, overflow: .dropOldestAcknowledged), requiredUpstreams: ["dc"])
        let error = storeError { try store.append(Fixture.reading(Int(count), 1_000)) }
        #expect(error?.kind == .diskFull)
        #expect(error?.message.contains("no entry acknowledged") == true)
        #expect(store.nextIndex == count)
        #expect(try store.entries(from: 0, to: count).count == Int(count))
    }
}

/// `reading(_:)` of the shared test support, under a name the fixture can call.
private func RetentionTests_reading(_ n: Int) -> ReadingInput { reading(n) }

/// File sizes for the vacuum test.
