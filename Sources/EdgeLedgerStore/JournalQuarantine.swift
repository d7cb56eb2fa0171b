import EdgeLedgerSystem

/// Copies of the ingest journal bytes that replay could not read, kept for forensics in
/// `<journal directory>/quarantine/`: `<segment>-<offset>-<crc>.bin` holds the bytes exactly as
/// they were, `<segment>-<offset>-<crc>.txt` says where they came from and what was lost.
/// Nothing in EdgeLedger deletes them; an operator removes them after the investigation.
enum JournalQuarantine {
    /// The quarantine directory of the journal in `journalDirectory`.
    static func directory(of journalDirectory: String) -> String { journalDirectory + "/quarantine" }

    /// The path of the copy of `length` bytes at `offset` of segment `name` whose CRC-32C is
    /// `checksum`: the same bytes always get the same name (a replay that runs again after a
    /// crash overwrites its own copy), other bytes another one.
    static func path(journalDirectory: String, segment name: String, offset: Int, checksum: UInt32) -> String {
        let stem =
            name.hasSuffix(JournalSegmentWriter.suffix)
            ? String(name.dropLast(JournalSegmentWriter.suffix.count)) : name
        let crc = String(checksum, radix: 16)
        return directory(of: journalDirectory) + "/\(stem)-\(offset)-"
            + String(repeating: "0", count: 8 - crc.count) + crc + ".bin"
    }

    /// Writes `bytes` to `path` and `description` next to it (`.txt`), durably under
    /// ``Durability/power``.
    ///
    /// - Throws: ``StoreError`` when the directory or a file cannot be written.
    static func keep(
        _ bytes: UnsafeRawBufferPointer, at path: String, description: String, durability: Durability
    ) throws(StoreError) {
        let directory = String(path[..<path.lastIndex(of: "/")!])
        if mkdir(directory, 0o750) != 0, errno != EEXIST {
            throw JournalSegmentWriter.error(errno, "creating the journal quarantine directory \(directory)")
        }
        try write(bytes, to: path, durability: durability)
        let text = Array(description.utf8)
        let failure = text.withUnsafeBytes { raw -> StoreError? in
            do throws(StoreError) {
                try write(raw, to: String(path.dropLast(4)) + ".txt", durability: durability)
                return nil
            } catch { return error }
        }
        if let failure { throw failure }
        if durability == .power { JournalSegmentWriter.syncDirectory(directory) }
    }

    private static func write(
        _ bytes: UnsafeRawBufferPointer, to path: String, durability: Durability
    )
        throws(StoreError)
    {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard fd >= 0 else { throw JournalSegmentWriter.error(errno, "creating the quarantine file \(path)") }
        defer { systemClose(fd) }
        var done = 0
        while done < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw JournalSegmentWriter.error(errno, "writing the quarantine file \(path)")
            }
            done += n
        }
        if durability == .power, fsync(fd) != 0 {
            throw JournalSegmentWriter.error(errno, "flushing the quarantine file \(path)")
        }
    }
}
