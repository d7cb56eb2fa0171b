import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Synchronization
import Testing

/// Deduplication in the fold: a reading whose key the store holds within its window is recorded
/// once as a duplicate, never appended, also across a reopen and a journal replay after a crash.
@Suite struct DeduplicationTests {
    static let minute: Int64 = 60_000_000_000
    static let seq = JSONMemberPath("seq")!

    /// Keys readings by topic and their `seq` member, as `dedup = "json:seq"` does.
    static func seqKey(window: Int64 = 10 * minute) -> @Sendable (ReadingInput) -> ReadingKey {
        { reading in
            guard let value = seq.value(in: reading.payload) else { return .missing }
            return .key(sha256.hash(Array(reading.topic.utf8) + [0] + value), windowNanoseconds: window)
        }
    }

    /// Collects the reports of committed folds.
    final class Reports: Sendable {
        let all = Mutex<[DedupFoldReport]>([])
        var duplicates: Int { all.withLock { $0.reduce(0) { $0 + $1.duplicates } } }
        var missing: Int { all.withLock { $0.reduce(0) { $0 + $1.missingKeys } } }
        var evicted: Int { all.withLock { $0.reduce(0) { $0 + $1.evictedKeys } } }
    }

    static func open(
        _ path: String, maxKeys: Int = 1_000, window: Int64 = 10 * minute, reports: Reports = Reports()
    ) throws -> LedgerStore {
        let store = try LedgerStore(path: path, hasher: sha256)
        try store.configureDeduplication(
            ReadingDeduplication(
                maxKeys: maxKeys, key: seqKey(window: window), onFold: { r in reports.all.withLock { $0.append(r) } }))
        return store
    }

    /// `reading(n)` received `later` nanoseconds after the original (a redelivery).
    static func redelivered(_ n: Int, later: Int64) -> ReadingInput {
        var copy = reading(n)
        copy.receivedAt += later
        return copy
    }

    @Test func theSameKeyTwiceAppendsOneEntryAndRecordsOneDuplicate() throws {
        let dir = try TemporaryFolder()
        let reports = Reports()
        let store = try Self.open(dir.file("ledger.db"), reports: reports)
        let journal = try IngestJournal(store: store)
        try journal.append(reading(1), journaled: true)
        try journal.append(Self.redelivered(1, later: 1), journaled: true)  // same batch
        #expect(journal.drain())
        try journal.append(reading(2), journaled: true)
        try journal.append(Self.redelivered(1, later: Self.minute), journaled: true)  // a later batch
        #expect(journal.drain())
        journal.close()
        #expect(store.nextIndex == 2)
        #expect(try store.entries(from: 0, to: 2).map(\.payload) == [reading(1).payload, reading(2).payload])
        #expect(reports.duplicates == 2)
        let reader = store.reader
        #expect(try reader.duplicateCounts() == .init(total: 2, since: 2, keys: 2))
        let recorded = try reader.recentDuplicates()
        #expect(recorded.map(\.originalIndex) == [0, 0])
        #expect(recorded.map(\.topic) == [reading(1).topic, reading(1).topic])
    }

    @Test func aRedeliveryAfterAReopenIsADuplicate() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("ledger.db")
        var store: LedgerStore? = try Self.open(path)
        var journal: IngestJournal? = try IngestJournal(store: store!)
        try journal!.append(reading(1), journaled: true)
        journal!.close()
        journal = nil
        store = nil
        let reopened = try Self.open(path)
        let again = try IngestJournal(store: reopened)
        try again.append(Self.redelivered(1, later: 5 * Self.minute), journaled: true)
        try again.append(reading(3), journaled: true)
        again.close()
        #expect(reopened.nextIndex == 2)
        #expect(try reopened.reader.duplicateCounts().total == 1)
    }

    /// A crash after the redelivery was journaled (and acknowledged) but before it was folded:
    /// the replay at the next start drops it as a duplicate, and a second replay counts nothing.
    @Test func aReplayedRedeliveryIsADuplicateAndCountedOnce() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("ledger.db")
        var store: LedgerStore? = try Self.open(path)
        var journal: IngestJournal? = try IngestJournal(store: store!)
        let directory = journal!.directory
        try journal!.append(reading(1), journaled: true)
        #expect(journal!.drain())
        let image = try CrashImage(storePath: path)  // entry 0 folded, the redelivery not yet
        try journal!.append(Self.redelivered(1, later: Self.minute), journaled: true)
        #expect(journal!.drain())
        image.keepJournal(directory)
        journal!.close()
        journal = nil
        store = nil
        try image.restore()

        let reports = Reports()
        let reopened = try Self.open(path, reports: reports)
        let replaying = try IngestJournal(store: reopened)
        // The replayed record is folded as a duplicate: no entry (`replayed` counts entries).
        #expect(replaying.recovery.replayed == 0)
        #expect(reopened.nextIndex == 1)
        #expect(reports.duplicates == 1)
        replaying.close()
        let again = try IngestJournal(store: reopened)
        #expect(again.recovery.replayed == 0)
        again.close()
        #expect(try reopened.reader.duplicateCounts().total == 1)
        #expect(reopened.nextIndex == 1)
    }

    @Test func aKeyPastItsWindowIsANewEntry() throws {
        let dir = try TemporaryFolder()
        let store = try Self.open(dir.file("ledger.db"), window: Self.minute)
        let journal = try IngestJournal(store: store)
        try journal.append(reading(1), journaled: true)
        #expect(journal.drain())
        try journal.append(Self.redelivered(1, later: 30_000_000_000), journaled: true)
        #expect(journal.drain())
        try journal.append(Self.redelivered(1, later: 2 * Self.minute), journaled: true)
        #expect(journal.drain())
        try journal.append(Self.redelivered(1, later: 2 * Self.minute + 1), journaled: true)
        journal.close()
        // Outside the first copy's window: a new entry, whose window then holds.
        #expect(store.nextIndex == 2)
        #expect(try store.reader.recentDuplicates().map(\.originalIndex) == [1, 0])
        #expect(store.dedupKeyCount == 1)
    }

    @Test func readingsWithoutAKeyAreStoredAndCounted() throws {
        let dir = try TemporaryFolder()
        let reports = Reports()
        let store = try Self.open(dir.file("ledger.db"), reports: reports)
        let journal = try IngestJournal(store: store)
        let keyless = ReadingInput(receivedAt: 1, qos: 1, topic: "plant/a", payload: Array("{\"v\":1}".utf8))
        try journal.append(keyless, journaled: true)
        try journal.append(keyless, journaled: true)
        journal.close()
        #expect(store.nextIndex == 2)
        #expect(reports.missing == 2)
        #expect(reports.duplicates == 0)
    }

    /// A flood of distinct keys: the table stays under `maxKeys`, the oldest keys are forgotten
    /// (counted), and every reading is stored.
    @Test func aFloodOfDistinctKeysIsBounded() throws {
        let dir = try TemporaryFolder()
        let reports = Reports()
        let store = try Self.open(dir.file("ledger.db"), maxKeys: 100, reports: reports)
        let journal = try IngestJournal(store: store)
        for n in 0..<1_000 { try journal.append(reading(n), journaled: true) }
        journal.close()
        #expect(store.nextIndex == 1_000)
        #expect(store.dedupKeyCount <= 100)
        #expect(try RawSQL.integer(store.path, "SELECT count(*) FROM dedup_keys") == Int64(store.dedupKeyCount))
        #expect(reports.evicted == 1_000 - store.dedupKeyCount)
        // The newest keys are the ones kept.
        let last = try IngestJournal(store: store)
        try last.append(Self.redelivered(999, later: 1), journaled: true)
        last.close()
        #expect(store.nextIndex == 1_000)
    }

    /// A store of schema version 3 (before deduplication) is migrated; its readers see zeros
    /// until then.
    @Test func aVersion3StoreIsMigrated() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("ledger.db")
        do {
            let store = try LedgerStore(path: path, hasher: sha256)
            try store.append(batch: [reading(1)])
        }
        for table in ["dedup_keys", "duplicates"] { try RawSQL.execute(path, "DROP TABLE \(table)") }
        try RawSQL.execute(path, "PRAGMA user_version = 3")
        let old = try LedgerReader(path: path, hasher: sha256)
        #expect(try old.duplicateCounts() == .init(total: 0, since: 0, keys: 0))
        let store = try Self.open(path)
        #expect(try RawSQL.integer(path, "PRAGMA user_version") == 4)
        let journal = try IngestJournal(store: store)
        try journal.append(Self.redelivered(1, later: 1), journaled: true)
        try journal.append(Self.redelivered(1, later: 2), journaled: true)
        journal.close()
        // The entry from before the migration has no key: the first copy after it is an entry.
        #expect(store.nextIndex == 2)
        #expect(try store.reader.duplicateCounts().total == 1)
    }

    @Test func withoutDeduplicationRedeliveriesAreEntriesAsBefore() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let journal = try IngestJournal(store: store)
        try journal.append(reading(1), journaled: true)
        try journal.append(reading(1), journaled: true)
        journal.close()
        #expect(store.nextIndex == 2)
        #expect(try store.reader.duplicateCounts() == .init(total: 0, since: 0, keys: 0))
    }
}
