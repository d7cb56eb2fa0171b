import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

/// Damage inside the ingest journal costs only the damaged records: replay resumes at the next
/// record that checks out, copies the skipped bytes to quarantine, and records the loss (file,
/// offset, sequence numbers) in the store until an operator acknowledges it.
@Suite struct JournalDamageTests {
    /// A real segment written by the journal of a scratch store (readings 0..<count, sequence
    /// numbers 1...count), put in the journal directory of a new store: what an agent killed
    /// before its first fold leaves behind.
    struct UnfoldedJournal {
        let folder: TemporaryFolder
        let storePath: String
        let segment: String
        let name: String
        let original: [UInt8]
        /// Record offsets, and the end of the last record.
        let offsets: [Int]

        init(count: Int) throws {
            folder = try TemporaryFolder()
            let scratch = try LedgerStore(path: folder.file("scratch.db"), hasher: sha256)
            let journal = try IngestJournal(store: scratch)
            for n in 0..<count { try journal.append(reading(n), journaled: true) }
            name = try #require(JournalFile.segments(in: journal.directory).first)
            original = try JournalFile.read(journal.directory + "/" + name)
            journal.close()
            storePath = folder.file("ledger.db")
            try FileManager.default.createDirectory(
                atPath: storePath + "-ingest-journal", withIntermediateDirectories: true)
            segment = storePath + "-ingest-journal/" + name
            offsets = JournalFile.recordOffsets(original)
            #expect(offsets.count == count + 1 && offsets.last == original.count)
        }

        /// The bytes of records `range` (0-based record numbers).
        func records(_ range: Range<Int>) -> [UInt8] {
            Array(original[offsets[range.lowerBound]..<offsets[range.upperBound]])
        }

        /// Writes `bytes` as the segment, opens the store and replays.
        func replay(_ bytes: [UInt8]) throws -> (LedgerStore, IngestJournal) {
            try JournalFile.write(bytes, to: segment)
            let store = try LedgerStore(path: storePath, hasher: sha256)
            return (store, try IngestJournal(store: store))
        }
    }

    /// The store holds exactly readings `numbers`, in order.
    static func expectEntries(_ store: LedgerStore, _ numbers: [Int]) throws {
        #expect(store.nextIndex == UInt64(numbers.count))
        let payloads = try store.entries(from: 0, to: store.nextIndex).map(\.payload)
        #expect(payloads == numbers.map { reading($0).payload })
    }

    @Test func aFlippedByteInTheMiddleCostsOnlyThatRecord() throws {
        let j = try UnfoldedJournal(count: 1_500)
        var bytes = j.original
        bytes[j.offsets[749] + 40] ^= 0x20
        let (store, journal) = try j.replay(bytes)
        #expect(journal.recovery.replayed == 1_499)
        try Self.expectEntries(store, Array(0..<749) + Array(750..<1_500))
        let damage = try #require(journal.recovery.damage.first)
        #expect(journal.recovery.damage.count == 1)
        #expect(damage.kind == .damaged)
        #expect(damage.segment == j.segment)
        #expect(damage.offset == j.offsets[749])
        #expect(damage.length == j.offsets[750] - j.offsets[749])
        #expect(damage.firstLostSeq == 750 && damage.lastLostSeq == 750 && damage.lostReadings == 1)
        #expect(damage.reason == "checksum mismatch")
        // The damaged bytes are kept, with a description; the segment itself is gone.
        #expect(try JournalFile.read(damage.quarantine) == Array(bytes[j.offsets[749]..<j.offsets[750]]))
        #expect(damage.quarantine.hasPrefix(journal.directory + "/quarantine/0000000000000001-\(j.offsets[749])-"))
        let description = try String(contentsOfFile: String(damage.quarantine.dropLast(4)) + ".txt", encoding: .utf8)
        #expect(description.contains("lost: seq 750") && description.contains("segment: \(j.segment)"))
        #expect(!FileManager.default.fileExists(atPath: j.segment))
        // Recorded in the store until acknowledged.
        let stored = try store.journalDamage()
        #expect(stored.count == 1 && stored.first?.id != 0 && stored.first?.acknowledgedAt == nil)
        #expect(stored.first?.offset == damage.offset && stored.first?.lastLostSeq == 750)
        #expect(try store.reader.journalDamage().count == 1)

        // New readings continue after the damaged segment's sequence numbers; nothing is
        // reported twice, and the quarantine survives a clean close and a new start.
        try journal.append(reading(2_000), journaled: true)
        #expect(journal.drain())
        journal.close()
        let again = try IngestJournal(store: store)
        #expect(again.recovery.damage.isEmpty && again.recovery.replayed == 0)
        #expect(try store.journalDamage().count == 1)
        #expect(FileManager.default.fileExists(atPath: damage.quarantine))
        again.close()

        let acknowledged = try JournalDamageLog.acknowledge(storePath: j.storePath, now: 42)
        #expect(acknowledged.map(\.offset) == [damage.offset] && acknowledged.first?.acknowledgedAt == 42)
        #expect(try store.journalDamage().isEmpty)
        #expect(try store.journalDamage(all: true).first?.acknowledgedAt == 42)
        #expect(try JournalDamageLog.acknowledge(storePath: j.storePath, now: 43).isEmpty)
    }

    @Test func damageInTheFirstRecordCostsOnlyThatRecord() throws {
        let j = try UnfoldedJournal(count: 1_500)
        var bytes = j.original
        bytes[20] ^= 0x01  // the receive time
        let (store, journal) = try j.replay(bytes)
        try Self.expectEntries(store, Array(1..<1_500))
        #expect(journal.recovery.damage.map(\.offset) == [0])
        #expect(journal.recovery.damage.first?.lostDescription == "seq 1")
        journal.close()
    }

    @Test func twoDamagedRecordsInARowAreOneRegion() throws {
        let j = try UnfoldedJournal(count: 1_500)
        var bytes = j.original
        bytes[j.offsets[700] + 30] ^= 0xFF
        bytes[j.offsets[701] + 2] ^= 0x40  // the length field
        let (store, journal) = try j.replay(bytes)
        try Self.expectEntries(store, Array(0..<700) + Array(702..<1_500))
        let damage = try #require(journal.recovery.damage.first)
        #expect(journal.recovery.damage.count == 1)
        #expect(damage.offset == j.offsets[700] && damage.length == j.offsets[702] - j.offsets[700])
        #expect(damage.firstLostSeq == 701 && damage.lastLostSeq == 702)
        #expect(try JournalFile.read(damage.quarantine) == Array(bytes[j.offsets[700]..<j.offsets[702]]))
        journal.close()
    }

    @Test func aGarbageFilledRegionCostsOnlyTheRecordsItCovers() throws {
        let j = try UnfoldedJournal(count: 1_500)
        var bytes = j.original
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in (j.offsets[500] + 10)..<(j.offsets[510] + 10) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
        let (store, journal) = try j.replay(bytes)
        try Self.expectEntries(store, Array(0..<500) + Array(511..<1_500))
        let damage = try #require(journal.recovery.damage.first)
        #expect(journal.recovery.damage.count == 1)
        #expect(damage.offset == j.offsets[500] && damage.length == j.offsets[511] - j.offsets[500])
        #expect(damage.lostDescription == "seq 501-511" && damage.lostReadings == 11)
        journal.close()
    }

    @Test func aHugeLengthFieldIsNeitherTrustedNorAllocated() throws {
        let j = try UnfoldedJournal(count: 1_500)
        var bytes = j.original
        for (i, byte) in [0xF0, 0xFF, 0xFF, 0xFF].enumerated() { bytes[j.offsets[750] + i] = UInt8(byte) }
        let (store, journal) = try j.replay(bytes)
        try Self.expectEntries(store, Array(0..<750) + Array(751..<1_500))
        let damage = try #require(journal.recovery.damage.first)
        #expect(damage.reason.contains("4294967280") && damage.lostDescription == "seq 751")
        journal.close()
    }

    @Test func aTornTailIsKeptButIsNoLoss() throws {
        let j = try UnfoldedJournal(count: 1_500)
        let cut = j.offsets[1_499] + 15
        let (store, journal) = try j.replay(Array(j.original[..<cut]))
        try Self.expectEntries(store, Array(0..<1_499))
        let torn = try #require(journal.recovery.damage.first)
        #expect(torn.kind == .tornTail && torn.firstLostSeq == nil && torn.acknowledgedAt != nil)
        #expect(torn.offset == j.offsets[1_499] && torn.length == 15)
        #expect(try JournalFile.read(torn.quarantine) == Array(j.original[j.offsets[1_499]..<cut]))
        // Recorded, but nothing for an operator to acknowledge.
        #expect(try store.journalDamage().isEmpty)
        #expect(try store.journalDamage(all: true).count == 1)
        journal.close()
    }

    @Test func damageToReadingsAlreadyInTheStoreIsReportedWithoutLoss() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("ledger.db"), hasher: sha256)
        let journal = try IngestJournal(store: store)
        for n in 0..<100 { try journal.append(reading(n), journaled: true) }
        #expect(journal.drain())
        // A crash after the fold, before the segment was deleted; then a bit flips on disk.
        let name = try #require(JournalFile.segments(in: journal.directory).first)
        var bytes = try JournalFile.read(journal.directory + "/" + name)
        journal.close()
        let offsets = JournalFile.recordOffsets(bytes)
        bytes[offsets[50] + 33] ^= 0x08
        try JournalFile.write(bytes, to: journal.directory + "/" + name)
        let reopened = try IngestJournal(store: store)
        #expect(reopened.recovery.replayed == 0 && store.nextIndex == 100)
        let damage = try #require(reopened.recovery.damage.first)
        #expect(damage.kind == .damaged && damage.firstLostSeq == nil && damage.lostDescription == "none")
        // A damaged disk is worth an operator's look even when nothing was lost.
        #expect(try store.journalDamage().count == 1)
        reopened.close()
    }

    @Test func aSegmentWhoseDamageCannotBeQuarantinedIsKeptUntilItCanBe() throws {
        let j = try UnfoldedJournal(count: 200)
        var bytes = j.original
        bytes[j.offsets[100] + 40] ^= 0x02
        // A file where the quarantine directory belongs: the copy cannot be made.
        let quarantine = j.storePath + "-ingest-journal/quarantine"
        try JournalFile.write([], to: quarantine)
        let (store, first) = try j.replay(bytes)
        try Self.expectEntries(store, Array(0..<100) + Array(101..<200))
        #expect(first.recovery.quarantineFailures.count == 1)
        #expect(first.recovery.damage.first?.quarantine == j.segment)
        #expect(try JournalFile.read(j.segment) == bytes)
        first.close()
        // Once the directory can be made, the next start copies the bytes and removes the
        // segment; the store keeps one report, with the loss as first seen, now pointing at the copy.
        try FileManager.default.removeItem(atPath: quarantine)
        let journal = try IngestJournal(store: store)
        #expect(journal.recovery.quarantineFailures.isEmpty && journal.recovery.replayed == 0)
        let copy = try #require(journal.recovery.damage.first?.quarantine)
        #expect(copy.hasPrefix(quarantine + "/"))
        #expect(try JournalFile.read(copy) == Array(bytes[j.offsets[100]..<j.offsets[101]]))
        #expect(!FileManager.default.fileExists(atPath: j.segment))
        let reports = try store.journalDamage(all: true)
        #expect(reports.count == 1 && reports.first?.quarantine == copy && reports.first?.lostDescription == "seq 101")
        #expect(store.nextIndex == 199)
        journal.close()
    }
}
