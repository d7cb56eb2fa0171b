import EdgeLedgerSystem

/// The ingest journal's open segment: one `write(2)` per record, `fdatasync` per record under
/// ``Durability/power``, and a new segment file once this one is full. Used by one thread at a
/// time (the ingest thread, behind ``IngestJournal``'s lock).
///
/// Segment files are named after the sequence number of their first record
/// (`0000000000001f40.journal`), so their order is their name order.
final class JournalSegmentWriter {
    let directory: String
    let durability: Durability
    let segmentLimit: Int
    /// The open segment's path.
    private(set) var path: String
    /// The sequence number the next record gets.
    private(set) var nextSeq: UInt64
    private var fd: Int32
    private var size = 0
    /// Set when a failed write left bytes that could not be cut off: the next write starts a
    /// new segment, so no intact record ever follows a damaged one in a file.
    private var damaged = false
    /// A segment closed because of damage, reported by the next ``rotateIfFull()``.
    private var closedByDamage: (path: String, lastSeq: UInt64)?
    private var buffer: [UInt8] = []

    init(directory: String, durability: Durability, segmentLimit: Int, nextSeq: UInt64) throws(StoreError) {
        self.directory = directory
        self.durability = durability
        self.segmentLimit = segmentLimit
        self.nextSeq = nextSeq
        self.path = Self.path(in: directory, firstSeq: nextSeq)
        self.fd = try Self.create(path, directory: directory, durability: durability)
        buffer.reserveCapacity(4096)
    }

    deinit {
        if fd >= 0 { systemClose(fd) }
    }

    /// Writes one record and returns its sequence number. When it throws, the record is not in
    /// the journal (a partial write is cut off) and the sequence number is not used.
    func write(_ reading: ReadingInput) throws(StoreError) -> UInt64 {
        if damaged { closedByDamage = try rotate() }
        let seq = nextSeq
        buffer.removeAll(keepingCapacity: true)
        JournalRecord.encode(seq: seq, reading, into: &buffer)
        let failure: Int32? = buffer.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return nil
        }
        if let failure {
            if ftruncate(fd, off_t(size)) != 0 || lseek(fd, off_t(size), SEEK_SET) < 0 { damaged = true }
            throw Self.error(failure, "writing reading \(seq) to the ingest journal \(path)")
        }
        if durability == .power, fdatasync(fd) != 0 {
            let code = errno
            if ftruncate(fd, off_t(size)) != 0 || lseek(fd, off_t(size), SEEK_SET) < 0 { damaged = true }
            throw Self.error(code, "flushing the ingest journal \(path)")
        }
        size += buffer.count
        nextSeq = seq + 1
        return seq
    }

    /// Starts a new segment if this one has reached the limit.
    ///
    /// - Returns: the closed segment and the last sequence number in it, or nil when it is not
    ///   full yet, or when a new file cannot be created now (writing goes on in this one). A
    ///   segment that an earlier ``write(_:)`` closed after a failed write is reported here too.
    func rotateIfFull() -> (path: String, lastSeq: UInt64)? {
        if let closed = closedByDamage {
            closedByDamage = nil
            return closed
        }
        guard size >= segmentLimit else { return nil }
        return try? rotate()
    }

    /// Closes the open segment and opens the next one.
    private func rotate() throws(StoreError) -> (path: String, lastSeq: UInt64) {
        let next = Self.path(in: directory, firstSeq: nextSeq)
        let newFD = try Self.create(next, directory: directory, durability: durability)
        let closed = (path: path, lastSeq: nextSeq - 1)
        systemClose(fd)
        fd = newFD
        path = next
        size = 0
        damaged = false
        return closed
    }

    /// Closes the file; when `remove`, also deletes it (every record in it is folded).
    func close(remove: Bool) {
        guard fd >= 0 else { return }
        systemClose(fd)
        fd = -1
        if remove { unlink(path) }
    }

    // MARK: - Files

    static let suffix = ".journal"

    static func path(in directory: String, firstSeq: UInt64) -> String {
        let hex = String(firstSeq, radix: 16)
        return directory + "/" + String(repeating: "0", count: max(0, 16 - hex.count)) + hex + suffix
    }

    private static func create(_ path: String, directory: String, durability: Durability) throws(StoreError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw error(errno, "creating the ingest journal segment \(path)") }
        if durability == .power { syncDirectory(directory) }
        return fd
    }

    /// Makes a created or deleted name in `directory` durable.
    static func syncDirectory(_ directory: String) {
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { return }
        fsync(dfd)
        systemClose(dfd)
    }

    static func error(_ code: Int32, _ context: String) -> StoreError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOSPC, EDQUOT:
            return StoreError(
                .diskFull, "no space left on device while \(context) (\(reason))",
                hint: "free space on the file system that holds storage.path; readings are not acknowledged until then")
        case EACCES, EPERM, EROFS:
            return StoreError(
                .readOnly, "\(reason) while \(context)",
                hint: "the directory next to storage.path must be writable by the agent's user")
        default:
            return StoreError(.io, "\(reason) while \(context)", hint: "check the storage device (dmesg)")
        }
    }
}

// File-scope wrappers: inside the class, `close` and `write` name its own methods.
func systemClose(_ fd: Int32) { _ = close(fd) }
func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
