/// One ingest journal segment read for replay: its intact records and the damaged or torn
/// regions between them, in file order.
///
/// Within a segment, sequence numbers are consecutive, starting with the one in the file name
/// (see ``JournalSegmentWriter``). A record is accepted when it decodes (length within
/// ``JournalRecord/maximumBodySize``, CRC-32C verifies) and its sequence number is plausible:
/// the next one after the last good record, or, after damaged bytes, one that the skipped bytes
/// could have held (every record takes at least ``JournalRecord/minimumSize`` bytes). When the
/// record at an offset does not check out, the scan resynchronises: it tries every following
/// offset, with cheap checks of the length and sequence fields first and the checksum only for
/// candidates that pass, and resumes at the first record that checks out. The bytes in between
/// are one ``Region``; only the readings whose records lay there are lost.
///
/// Work is bounded: the checksums computed while resynchronising cover at most
/// ``checksumBudget(forFileOf:)`` bytes, after which the rest of the file is one region (kept
/// in quarantine, not lost to forensics). Nothing is allocated from a length field: records
/// are copied from bytes actually read.
struct JournalSegmentScan {
    /// Bytes that are not intact records.
    struct Region: Equatable {
        /// Where the region starts in the file.
        var offset: Int
        /// Its length in bytes.
        var length: Int
        /// Why the record at ``offset`` did not check out.
        var reason: String
        /// An incomplete last record (a write torn by a crash, never acknowledged) or a
        /// zero-filled tail, rather than damage.
        var torn: Bool
        /// The sequence number of the last intact record before the region (the segment's first
        /// sequence number − 1 at its start).
        var lastGoodSeq: UInt64
        /// The sequence number of the first intact record after the region; nil when the region
        /// runs to the end of the file.
        var nextGoodSeq: UInt64?

        /// The most records the region can have held.
        var capacity: UInt64 { UInt64(max(1, length / JournalRecord.minimumSize)) }
    }

    /// The intact records, in order.
    private(set) var records: [JournalRecord] = []
    /// The damaged and torn regions, in order.
    private(set) var regions: [Region] = []
    /// The sequence number of the last intact record (the first sequence number − 1 when none).
    private(set) var lastSeq: UInt64

    /// Checksummed bytes allowed while resynchronising in a file of `size` bytes.
    static func checksumBudget(forFileOf size: Int) -> Int { 16 * size + (1 << 20) }

    /// Scans a segment whose file name says its first record has sequence number `firstSeq`.
    init(_ bytes: UnsafeRawBufferPointer, firstSeq: UInt64) {
        var offset = 0
        var lastGood = firstSeq &- 1
        var budget = Self.checksumBudget(forFileOf: bytes.count)
        while offset < bytes.count {
            let reason: String
            switch JournalRecord.decode(bytes, at: offset) {
            case .end:
                offset = bytes.count
                continue
            case .record(let record, let next) where record.seq == lastGood &+ 1:
                records.append(record)
                lastGood = record.seq
                offset = next
                continue
            case .record(let record, _):
                reason = "sequence number \(record.seq) where \(lastGood &+ 1) was expected"
            case .damaged(let why):
                reason = why
            }
            if let (at, record, next) = Self.resynchronise(bytes, damagedAt: offset, after: lastGood, budget: &budget) {
                regions.append(
                    Region(
                        offset: offset, length: at - offset, reason: reason, torn: false, lastGoodSeq: lastGood,
                        nextGoodSeq: record.seq))
                records.append(record)
                lastGood = record.seq
                offset = next
            } else {
                regions.append(
                    Region(
                        offset: offset, length: bytes.count - offset, reason: reason,
                        torn: Self.isTornTail(bytes, at: offset, after: lastGood), lastGoodSeq: lastGood,
                        nextGoodSeq: nil))
                offset = bytes.count
            }
        }
        lastSeq = lastGood
    }

    /// The first offset after `start` where a plausible record checks out, with the record and
    /// the offset after it; nil when none does (or the checksum budget is spent).
    private static func resynchronise(
        _ bytes: UnsafeRawBufferPointer, damagedAt start: Int, after lastGood: UInt64, budget: inout Int
    ) -> (Int, JournalRecord, Int)? {
        let minimum = JournalRecord.minimumSize
        var at = start + 1
        while at + minimum <= bytes.count {
            defer { at += 1 }
            let length = Int(JournalRecord.load(UInt32.self, bytes, at))
            guard length >= JournalRecord.fixedBodySize, length <= JournalRecord.maximumBodySize,
                length <= bytes.count - at - JournalRecord.headerSize
            else { continue }
            let seq = JournalRecord.load(UInt64.self, bytes, at + JournalRecord.headerSize)
            // At most one record per `minimum` skipped bytes can lie between.
            guard seq > lastGood, seq - lastGood - 1 <= UInt64((at - start) / minimum) else { continue }
            guard budget >= length else { return nil }
            budget -= length
            if case .record(let record, let next) = JournalRecord.decode(bytes, at: at), record.seq == seq {
                return (at, record, next)
            }
        }
        return nil
    }

    /// Whether the bytes from `offset` to the end look like a write that never completed: fewer
    /// bytes than a header, a header (and sequence number, when present) of the next record
    /// whose body runs past the end, or zeros only (blocks a crash left unwritten).
    private static func isTornTail(_ bytes: UnsafeRawBufferPointer, at offset: Int, after lastGood: UInt64) -> Bool {
        let remaining = bytes.count - offset
        if remaining < JournalRecord.headerSize { return true }
        if !bytes[offset...].contains(where: { $0 != 0 }) { return true }
        let length = Int(JournalRecord.load(UInt32.self, bytes, offset))
        guard length >= JournalRecord.fixedBodySize, length <= JournalRecord.maximumBodySize,
            JournalRecord.headerSize + length > remaining
        else { return false }
        guard remaining >= JournalRecord.headerSize + 8 else { return true }
        return JournalRecord.load(UInt64.self, bytes, offset + JournalRecord.headerSize) == lastGood &+ 1
    }
}
