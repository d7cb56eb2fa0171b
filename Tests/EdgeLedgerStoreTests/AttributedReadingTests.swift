import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

/// Readings with entry attributes (format v2) go through the journal, its replay and the store
/// unchanged, beside readings without (format v1).
@Suite struct AttributedReadingTests {
    static let attributes = [
        EntryAttributes(deviceTime: 1_767_225_600_100_000_000),
        EntryAttributes(),
        EntryAttributes(
            contentType: "application/json",
            userProperties: [EntryUserProperty(name: "shift", value: "B"), .init(name: "shift", value: "C")]),
        EntryAttributes(
            sparkplug: SparkplugAttributes(
                messageType: .ndata, groupID: "g", edgeNodeID: "n", seq: 3, timestamp: 1_767_225_600_100)),
    ]

    static func readings() -> [ReadingInput] {
        attributes.enumerated().map { n, attributes in
            ReadingInput(
                receivedAt: 1_767_225_600_000_000_000 + Int64(n), qos: 1, topic: "plant/\(n)",
                payload: Array("{\"n\":\(n)}".utf8), attributes: attributes)
        }
    }

    @Test func journalReplayAndStoreKeepAttributes() throws {
        let dir = try TemporaryFolder()
        let store = try LedgerStore(path: dir.file("a.db"), hasher: sha256)
        let journal = try IngestJournal(store: store)
        for reading in Self.readings() { try journal.append(reading, journaled: true) }
        #expect(journal.drain())
        let stored = try store.entries(from: 0, to: 4)
        #expect(stored.map(\.attributes) == Self.attributes)
        #expect(stored.map(\.version) == [2, 1, 2, 2])
        // Replay the same journal segment into a fresh store: the records decode as written.
        let name = try #require(JournalFile.segments(in: journal.directory).first)
        let copy = dir.file("replay")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: journal.directory + "/" + name, toPath: copy + "/" + name)
        journal.close()
        let fresh = try LedgerStore(path: dir.file("b.db"), hasher: sha256)
        let replaying = try IngestJournal(store: fresh, directory: copy)
        #expect(replaying.recovery.replayed == 4)
        #expect(replaying.recovery.damage.isEmpty)
        #expect(try fresh.entries(from: 0, to: 4).map(\.attributes) == Self.attributes)
        replaying.close()
    }

}
