#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension IngestJournal {
    /// Readings replayed per transaction.
    static let replayBatch = 32_768

    /// Creates the directory if needed, folds every journaled reading the store lacks (past the
    /// quota if need be: they were acknowledged), deletes the segments, and returns what it did
    /// and the next sequence number.
    static func recover(store: LedgerStore, directory: String) throws(StoreError) -> (Recovery, UInt64) {
        if mkdir(directory, 0o750) != 0, errno != EEXIST {
            throw JournalSegmentWriter.error(errno, "creating the ingest journal directory \(directory)")
        }
        let folded = try store.journalSeq
        var recovery = Recovery()
        var lastSeq = folded
        var batch: [JournalItem] = []
        let segments = try segmentFiles(in: directory)
        for name in segments {
            let path = directory + "/" + name
            let bytes = try readFile(path)
            recovery.segments += 1
            var offset = 0
            scan: while true {
                let decoded = bytes.withUnsafeBytes { JournalRecord.decode($0, at: offset) }
                switch decoded {
                case .end:
                    break scan
                case .damaged(let reason):
                    recovery.discarded.append("\(name): \(bytes.count - offset) bytes at offset \(offset): \(reason)")
                    break scan
                case .record(let record, let next):
                    offset = next
                    guard record.seq > folded else { continue }
                    lastSeq = max(lastSeq, record.seq)
                    batch.append(.reading(record.reading, seq: record.seq))
                    if batch.count >= replayBatch {
                        recovery.replayed += try store.fold(batch, pastQuota: true).entries
                        batch.removeAll(keepingCapacity: true)
                    }
                }
            }
        }
        if !batch.isEmpty { recovery.replayed += try store.fold(batch, pastQuota: true).entries }
        for name in segments { unlink(directory + "/" + name) }
        if !segments.isEmpty, store.durability == .power { JournalSegmentWriter.syncDirectory(directory) }
        return (recovery, lastSeq + 1)
    }

    /// The segment file names in `directory`, oldest first.
    private static func segmentFiles(in directory: String) throws(StoreError) -> [String] {
        guard let dir = opendir(directory) else {
            throw JournalSegmentWriter.error(errno, "listing the ingest journal directory \(directory)")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            let suffix = JournalSegmentWriter.suffix
            guard name.hasSuffix(suffix), name.count == 16 + suffix.count,
                UInt64(name.prefix(16), radix: 16) != nil
            else { continue }
            names.append(name)
        }
        // Fixed-width hex: name order is sequence order.
        return names.sorted()
    }

    private static func readFile(_ path: String) throws(StoreError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw JournalSegmentWriter.error(errno, "opening the ingest journal segment \(path)") }
        defer { systemClose(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw JournalSegmentWriter.error(errno, "reading the ingest journal segment \(path)")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
}
