import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Testing

/// The quota stops acknowledging new readings but never strands acknowledged ones: what the
/// journal holds reaches the store at close (the journal is empty afterwards) and at the replay
/// after a crash, past the quota if need be; and a batch the store still refuses at close is
/// never skipped over (issue 11, finding 2).
@Suite struct IngestJournalQuotaTests {
    /// Appends big readings until the journal refuses one (the folder found the store full);
    /// returns how many were journaled, that is acknowledged.
    static func appendUntilRefused(_ journal: IngestJournal, from first: Int) -> Int {
        var accepted = 0
        for n in first..<(first + 100) {
            do {
                try journal.append(IngestJournalTests.bigReading(n), journaled: true)
                accepted += 1
                _ = Eventually.holds(timeout: 20) { journal.backlog == 0 || journal.problem != nil }
            } catch {
                break
            }
        }
        return accepted
    }

    @Test func closeFoldsAcknowledgedReadingsPastTheQuotaAndLeavesTheJournalEmpty() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        try store.append(batch: (0..<100).map { reading($0) })
        _ = try IngestJournalTests.fillToQuota(store)
        let failures = FailureLog()
        let journal = try IngestJournal(
            store: store, events: IngestJournal.Events(storeFailure: { failures.append($0) }))
        let accepted = Self.appendUntilRefused(journal, from: 100)
        #expect(accepted >= 1)
        #expect(journal.problem?.kind == .diskFull)
        #expect(store.nextIndex == 100)
        // SIGTERM: the final fold stores every acknowledged reading, past the quota.
        journal.close()
        #expect(IngestJournalTests.segments(journal.directory).isEmpty)
        #expect(store.nextIndex == UInt64(100 + accepted))
        #expect(
            try store.entries(from: 100, to: store.nextIndex).map(\.payload)
                == (100..<(100 + accepted)).map { IngestJournalTests.bigReading($0).payload })
        // Still full: no "takes readings again" during shutdown.
        #expect(failures.values.map { $0?.kind } == [.diskFull])
        #expect(journal.problem?.kind == .diskFull)
    }

    @Test func replayAfterACrashFoldsAcknowledgedReadingsPastTheQuota() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("ledger.db")
        var quota: Int64 = 0
        var accepted = 0
        do {
            let store = try LedgerStore(path: path, hasher: sha256)
            try store.append(batch: (0..<100).map { reading($0) })
            quota = try IngestJournalTests.fillToQuota(store)
            let image = try CrashImage(storePath: path)
            let journal = try IngestJournal(store: store)
            accepted = Self.appendUntilRefused(journal, from: 100)
            #expect(accepted >= 1)
            image.keepJournal(journal.directory)
            journal.close()
            try image.restore()
        }
        let crashed = IngestJournalTests.segments(path + "-ingest-journal")
        #expect(!crashed.isEmpty)

        // The restart with the same quota: the replay stores them all instead of failing to start.
        let store = try LedgerStore(path: path, hasher: sha256)
        _ = try store.setQuota(bytes: quota)
        let journal = try IngestJournal(store: store)
        #expect(journal.recovery.replayed == accepted)
        #expect(store.nextIndex == UInt64(100 + accepted))
        #expect(Set(IngestJournalTests.segments(journal.directory)).isDisjoint(with: crashed))
        // Backpressure again for new readings.
        _ = Self.appendUntilRefused(journal, from: 1_000)
        #expect(journal.problem?.kind == .diskFull)
        journal.close()
        #expect(IngestJournalTests.segments(journal.directory).isEmpty)
        #expect(
            try store.entries(from: 100, to: UInt64(100 + accepted)).map(\.payload)
                == (100..<(100 + accepted)).map { IngestJournalTests.bigReading($0).payload })
    }

    @Test func aBatchGivenUpAtCloseStopsTheFolderAndTheJournalKeepsIt() throws {
        let dir = try TemporaryFolder()
        let path = dir.file("ledger.db")
        let store = try LedgerStore(path: path, hasher: sha256)
        // A row in the way of entry 1: every fold that reaches index 1 fails, for a reason other
        // than the quota (so close cannot fold it past the quota either).
        try RawSQL.execute(
            path, "INSERT INTO entries(idx, entry, leaf_hash, received_at) VALUES (1, NULL, zeroblob(32), 0)")
        let journal = try IngestJournal(store: store)
        try journal.append(reading(0), journaled: true)
        try journal.append(reading(1), journaled: true)
        #expect(Eventually.holds(timeout: 20) { journal.problem != nil })
        // A batch behind the refused one that would fold: a rejection row (rows skip admission).
        #expect(journal.record(RejectedReading(receivedAt: 1, topic: "bad/1", reason: "test", payload: [1])))
        journal.close()
        // Folding it would have cleared the problem and emptied the journal, losing reading 1.
        #expect(!IngestJournalTests.segments(journal.directory).isEmpty)
        #expect(try store.rejectedCount() == 0)

        // The way cleared, the next open replays what was acknowledged.
        try RawSQL.execute(path, "DELETE FROM entries WHERE idx = 1")
        let reopened = try IngestJournal(store: store)
        #expect(reopened.recovery.replayed >= 1)
        #expect(store.nextIndex == 2)
        #expect(try store.entries(from: 0, to: 2).map(\.payload) == [reading(0).payload, reading(1).payload])
        reopened.close()
        #expect(IngestJournalTests.segments(reopened.directory).isEmpty)
    }
}

/// What SIGKILL leaves of a store whose folds all fail (at its quota): its files as they were
/// before the journal opened (a failed fold commits nothing) and the journal's segments before
/// close. Made by copying, put back by ``restore()`` after the test closed the journal.
struct CrashImage {
    let storePath: String
    let folder: TemporaryFolder

    /// Copies the store's files; call before opening the journal, with no write in progress.
    init(storePath: String) throws {
        self.storePath = storePath
        folder = try TemporaryFolder(prefix: "crash-image")
        #expect(system("cp '\(storePath)' '\(storePath)-wal' '\(folder.path)/'") == 0)
    }

    /// Copies the journal's directory as it is now.
    func keepJournal(_ directory: String) {
        #expect(system("cp -r '\(directory)' '\(folder.path)/'") == 0)
    }

    /// Replaces the store's files and journal with the copies.
    func restore() throws {
        let parent = String(storePath[..<storePath.lastIndex(of: "/")!])
        #expect(system("rm -rf '\(storePath)'* && cp -r '\(folder.path)'/* '\(parent)/'") == 0)
    }
}
