/// What the ingest journal hands to the folder thread, in arrival order.
enum JournalItem: Sendable {
    /// A reading to append; `seq` is its journal sequence number, 0 when it was not journaled
    /// (QoS 0).
    case reading(ReadingInput, seq: UInt64)
    /// A rejected reading's diagnostic row (not journaled).
    case rejected(RejectedReading)
}
