import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Synchronization
import Testing

/// The ingest journal: what `append` returned for is in the store after a fold, after a store
/// failure, and after a crash (replay at the next open), in order, exactly once.
@Suite struct IngestJournalTests {
    /// The segment files in a journal directory.
    static func segments(_ directory: String) -> [String] { JournalFile.segments(in: directory) }

    /// Fills the store up to a quota just above its size, so the next fold fails with diskFull.
    static func fillToQuota(_ store: LedgerStore) throws -> Int64 {
        let size = try #require(
            try RawSQL.integer(
                store.path,
                "SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size)"))
        return try store.setQuota(bytes: size + 8192)
    }

    static func bigReading(_ n: Int) -> ReadingInput {
        var big = reading(n)
        big.payload = Array(repeating: 0x42, count: 16_000)
        return big
    }

    @Test func foldsReadingsAndRejectionsInArrivalOrder() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let journal = try IngestJournal(store: store)
        #expect(journal.directory == dir.file("ledger.db-ingest-journal"))
        #expect(journal.recovery == IngestJournal.Recovery())
        for n in 0..<2_000 {
            // QoS 0 readings skip the file but keep their place in the log.
            try journal.append(reading(n, qos: UInt8(n % 3 == 0 ? 0 : 1)), journaled: n % 3 != 0)
            if n % 100 == 0 {
                #expect(
                    journal.record(
                        RejectedReading(receivedAt: 1, topic: "bad/\(n)", reason: "test", payload: [1, 2, 3])))
            }
        }
        #expect(journal.drain())
        #expect(journal.backlog == 0)
        #expect(store.nextIndex == 2_000)
        let entries = try store.entries(from: 0, to: 2_000)
        #expect(entries.map(\.payload) == (0..<2_000).map { reading($0).payload })
        #expect(entries[3].qos == 0 && entries[4].qos == 1)
        #expect(try store.rejectedCount() == 20)
        journal.close()
        // A clean close leaves nothing to replay.
        #expect(Self.segments(journal.directory).isEmpty)
        #expect(throws: StoreError.self) { try journal.append(reading(9), journaled: true) }
    }

    @Test func storeFailureRefusesNewReadingsAndKeepsJournaledOnes() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        try store.append(batch: (0..<100).map { reading($0) })
        _ = try Self.fillToQuota(store)
        let failures = FailureLog()
        let journal = try IngestJournal(
            store: store, events: IngestJournal.Events(storeFailure: { failures.append($0) }))
        // Journaled (acknowledgeable) until the folder finds the store full.
        var accepted = 0
        var refusal: StoreError?
        for n in 100..<200 {
            do {
                try journal.append(Self.bigReading(n), journaled: true)
                accepted += 1
                #expect(Eventually.holds(timeout: 20) { journal.backlog == 0 || journal.problem != nil })
            } catch {
                refusal = error
                break
            }
        }
        let error = try #require(refusal)
        #expect(error.kind == .diskFull)
        #expect(journal.problem?.kind == .diskFull)
        #expect(failures.values.first??.kind == .diskFull)
        #expect(accepted >= 1)
        // Space again: the folder's retry stores what was journaled, by itself, in order.
        try store.setQuota(bytes: nil)
        #expect(Eventually.holds(timeout: 20) { journal.problem == nil && journal.backlog == 0 })
        #expect(failures.values.last! == nil)
        let stored = store.nextIndex
        #expect(stored >= 101)
        #expect(try store.entry(at: 100)?.payload == Self.bigReading(100).payload)
        try journal.append(reading(500), journaled: true)
        #expect(journal.drain())
        #expect(store.nextIndex == stored + 1)
        journal.close()
    }

    @Test func aFailedJournalWriteIsRefusedReportedAndClearedByTheNextGoodWrite() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let failures = FailureLog()
        // Every record fills a segment, so each write goes to a new file.
        let journal = try IngestJournal(
            store: store, segmentBytes: 1, events: IngestJournal.Events(storeFailure: { failures.append($0) }))
        // The next segment is a full device: writes to it fail with ENOSPC.
        let next = journal.directory + "/0000000000000002.journal"
        #expect(symlink("/dev/full", next) == 0)
        try journal.append(reading(0), journaled: true)
        let error = try #require(storeError { try journal.append(reading(1), journaled: true) })
        #expect(error.kind == .diskFull)
        #expect(error.message.contains("no space left on device while writing reading 2 to the ingest journal"))
        #expect(journal.problem?.kind == .diskFull)
        #expect(failures.values.map { $0?.kind } == [.diskFull])
        // Space again: the next reading is journaled and the problem is gone.
        #expect(unlink(next) == 0)
        try journal.append(reading(2), journaled: true)
        #expect(journal.problem == nil)
        #expect(failures.values.map { $0?.kind } == [.diskFull, nil])
        #expect(journal.drain())
        #expect(
            try store.entries(from: 0, to: store.nextIndex).map(\.payload) == [reading(0).payload, reading(2).payload])
        journal.close()
    }

    @Test func replaysWhatTheStoreLacksAtTheNextOpen() throws {
        let dir = try TemporaryFolder()
        let log = try TestLog()
        let path = dir.file("ledger.db")
        var store: LedgerStore? = try LedgerStore(path: path, hasher: sha256)
        try store!.append(batch: (0..<100).map { reading($0) })
        _ = try store!.seal(sign: log.sign)
        let quota = try Self.fillToQuota(store!)
        #expect(quota > 0)
        let image = try CrashImage(storePath: path)
        var journal: IngestJournal? = try IngestJournal(store: store!)
        let directory = journal!.directory
        var journaled = 0
        for n in 100..<200 {
            do {
                try journal!.append(Self.bigReading(n), journaled: true)
                journaled += 1
                #expect(Eventually.holds(timeout: 20) { journal!.backlog == 0 || journal!.problem != nil })
            } catch {
                break
            }
        }
        let stored = store!.nextIndex
        // A crash with the store still full: the journal keeps the readings (close would fold
        // them past the quota: IngestJournalQuotaTests).
        image.keepJournal(directory)
        journal!.close()
        journal = nil
        store = nil
        try image.restore()
        #expect(!Self.segments(directory).isEmpty)
        // Garbage at the end is skipped, kept and reported.
        let segment = directory + "/" + Self.segments(directory).last!
        let fd = open(segment, O_WRONLY | O_APPEND)
        _ = [UInt8](repeating: 0x17, count: 11).withUnsafeBytes { write(fd, $0.baseAddress, 11) }
        close(fd)

        let reopened = try LedgerStore(path: path, hasher: sha256)
        let replaying = try IngestJournal(store: reopened)
        #expect(replaying.recovery.replayed == 100 + journaled - Int(stored))
        #expect(replaying.recovery.damage.count == 1)
        #expect(replaying.recovery.damage.first?.length == 11)
        #expect(reopened.nextIndex == UInt64(100 + journaled))
        #expect(
            try reopened.entries(from: 100, to: reopened.nextIndex).map(\.payload)
                == (100..<(100 + journaled)).map { Self.bigReading($0).payload })
        // Replayed once: the next open finds nothing more to do.
        replaying.close()
        let again = try IngestJournal(store: reopened)
        #expect(again.recovery.replayed == 0)
        #expect(reopened.nextIndex == UInt64(100 + journaled))
        again.close()
        _ = try reopened.seal(sign: log.sign)
        let report = try LedgerVerifier(hasher: sha256, verifiers: [log.verifier]).verify(store: reopened)
        #expect(report.entries == UInt64(100 + journaled))
    }

    @Test func alreadyFoldedRecordsAreNotReplayedTwice() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("ledger.db")
        let store = try LedgerStore(path: path, hasher: sha256)
        let journal = try IngestJournal(store: store)
        let directory = journal.directory
        for n in 0..<50 { try journal.append(reading(n), journaled: true) }
        #expect(journal.drain())
        // A crash right after the fold, before the segment was deleted: keep a copy of it.
        let name = try #require(Self.segments(directory).first)
        let copy = dir.file("segment.copy")
        #expect(system("cp '\(directory)/\(name)' '\(copy)'") == 0)
        journal.close()
        #expect(system("cp '\(copy)' '\(directory)/\(name)'") == 0)
        let reopened = try IngestJournal(store: store)
        #expect(reopened.recovery.replayed == 0)
        #expect(reopened.recovery.segments == 1)
        #expect(store.nextIndex == 50)
        // New readings continue after the replayed sequence numbers.
        try reopened.append(reading(50), journaled: true)
        #expect(reopened.drain())
        #expect(try store.entry(at: 50)?.payload == reading(50).payload)
        reopened.close()
    }

    @Test func recordLayoutIsTheDocumentedOne() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let journal = try IngestJournal(store: store)
        try journal.append(
            ReadingInput(receivedAt: 1_767_225_600_000_000_000, qos: 1, topic: "a/b", payload: Array("{}".utf8)),
            journaled: true)
        #expect(journal.drain())
        #expect(Self.segments(journal.directory) == ["0000000000000001.journal"])
        let fd = open(journal.directory + "/0000000000000001.journal", O_RDONLY)
        var bytes = [UInt8](repeating: 0, count: 100)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        close(fd)
        // docs/FORMAT.md, "Ingest journal".
        let documented = "1d000000 88f6b8aa 0100000000000000 0000faed51728618 01 00 0300 02000000 612f62 7b7d"
        #expect(Hex.encode(bytes.prefix(max(0, n))) == documented.filter { $0 != " " })
        journal.close()
    }

    @Test func fullSegmentsAreDeletedOnceFolded() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), durability: .power, hasher: sha256)
        let journal = try IngestJournal(store: store, segmentBytes: 4096)
        for n in 0..<300 { try journal.append(reading(n), journaled: true) }
        #expect(journal.drain())
        // ~90 bytes per record: 300 records filled several 4 KiB segments; only the open one
        // (and at most one closed one awaiting the next fold) remain.
        #expect(Eventually.holds(timeout: 20) { Self.segments(journal.directory).count <= 2 })
        #expect(store.nextIndex == 300)
        journal.close()
        #expect(Self.segments(journal.directory).isEmpty)
    }
}

/// Collects `storeFailure` events from the folder thread.
final class FailureLog: Sendable {
    private let storage = Mutex<[StoreError?]>([])

    func append(_ error: StoreError?) { storage.withLock { $0.append(error) } }

    var values: [StoreError?] { storage.withLock { $0 } }
}
