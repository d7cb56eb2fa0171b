/// Bytes of an ingest journal segment that replay could not read as records: where they were,
/// which readings they cost, and where a copy is kept. One row of the store's `journal_damage`
/// table; shown by `edge-ledger status` until an operator acknowledges it.
public struct JournalDamage: Sendable, Equatable {
    /// What the bytes were.
    public enum Kind: String, Sendable {
        /// Records that do not check out (flipped bits, overwritten blocks). Acknowledged
        /// readings may be lost; needs an operator's acknowledgement.
        case damaged
        /// An incomplete last record (a crash during its write: never acknowledged) or a
        /// zero-filled tail. Kept and recorded, acknowledged from the start.
        case tornTail = "torn_tail"
    }

    /// The row id (0 before it is stored).
    public var id: Int64
    /// Damage or a torn tail.
    public var kind: Kind
    /// The segment file's path.
    public var segment: String
    /// The first damaged byte's offset in the segment.
    public var offset: Int
    /// The number of bytes skipped.
    public var length: Int
    /// Why the first record there did not check out.
    public var reason: String
    /// The CRC-32C of the skipped bytes (tells two damages at the same place apart).
    public var checksum: UInt32
    /// The first lost journal sequence number; nil when no reading was lost (the readings were
    /// in the store already, or the torn write was never acknowledged).
    public var firstLostSeq: UInt64?
    /// The last lost sequence number; nil with ``firstLostSeq`` set when the damage runs to the
    /// end of the journal and the number of records it held is unknown.
    public var lastLostSeq: UInt64?
    /// The file holding a copy of the skipped bytes (`<journal>/quarantine/…bin`).
    public var quarantine: String
    /// When replay found it, Unix ns.
    public var detectedAt: Int64
    /// When an operator acknowledged it, Unix ns; nil until then.
    public var acknowledgedAt: Int64?

    /// Creates a damage report.
    public init(
        id: Int64 = 0, kind: Kind, segment: String, offset: Int, length: Int, reason: String, checksum: UInt32,
        firstLostSeq: UInt64?, lastLostSeq: UInt64?, quarantine: String, detectedAt: Int64,
        acknowledgedAt: Int64? = nil
    ) {
        self.id = id
        self.kind = kind
        self.segment = segment
        self.offset = offset
        self.length = length
        self.reason = reason
        self.checksum = checksum
        self.firstLostSeq = firstLostSeq
        self.lastLostSeq = lastLostSeq
        self.quarantine = quarantine
        self.detectedAt = detectedAt
        self.acknowledgedAt = acknowledgedAt
    }

    /// Readings lost: the length of the sequence range, 0 when none, and 1 (at least one) when
    /// the range's end is unknown.
    public var lostReadings: UInt64 {
        guard let first = firstLostSeq else { return 0 }
        guard let last = lastLostSeq else { return 1 }
        return last >= first ? last - first + 1 : 0
    }

    /// The lost sequence numbers in words: "none", "seq 17", "seq 17-19" or "seq 17 and later
    /// (unknown end)".
    public var lostDescription: String {
        guard let first = firstLostSeq else { return "none" }
        guard let last = lastLostSeq else { return "seq \(first) and later (unknown end)" }
        return first == last ? "seq \(first)" : "seq \(first)-\(last)"
    }

    /// One line: what, where, which readings, where the bytes are kept.
    public var summary: String {
        let what = kind == .damaged ? "damaged journal bytes" : "torn journal tail"
        return "\(what): \(segment) bytes \(offset)-\(offset + length - 1) (\(length) bytes, \(reason)); "
            + "readings lost: \(lostDescription); kept in \(quarantine)"
    }
}
