import EdgeLedgerSystem

extension IngestJournal {
    /// Readings replayed per transaction.
    static let replayBatch = 32_768

    /// Creates the directory if needed, folds every journaled reading the store lacks (past the
    /// quota if need be: they were acknowledged), deletes
    /// the segments, and returns what it did and the next sequence number.
    ///
    /// Damaged bytes cost only the records they held: each segment is scanned with
    /// ``JournalSegmentScan``, which resumes at the next record that checks out. Every damaged or
    /// torn region is copied to the quarantine directory and recorded in the store (with the
    /// sequence numbers lost) before the readings after it are folded, so a crash during replay
    /// reports the loss as it was first seen. A segment whose bytes could not be copied is kept.
    static func recover(store: LedgerStore, directory: String) throws(StoreError) -> (Recovery, UInt64) {
        if mkdir(directory, 0o750) != 0, errno != EEXIST {
            throw JournalSegmentWriter.error(errno, "creating the ingest journal directory \(directory)")
        }
        let folded = try store.journalSeq
        var recovery = Recovery()
        var nextSeq = folded + 1
        var kept: Set<String> = []
        let segments = try segmentFiles(in: directory)
        for (i, name) in segments.enumerated() {
            let path = directory + "/" + name
            let bytes = try readFile(path)
            recovery.segments += 1
            let scan = bytes.withUnsafeBytes { JournalSegmentScan($0, firstSeq: firstSeq(of: name)) }
            let following = i + 1 < segments.count ? firstSeq(of: segments[i + 1]) : nil
            var damage: [JournalDamage] = []
            for region in scan.regions {
                var report = Self.report(region, segment: path, folded: folded, nextSegment: following)
                report.checksum = bytes.withUnsafeBytes {
                    CRC32C.checksum(
                        UnsafeRawBufferPointer(rebasing: $0[region.offset..<(region.offset + region.length)]))
                }
                report.quarantine = JournalQuarantine.path(
                    journalDirectory: directory, segment: name, offset: region.offset, checksum: report.checksum)
                let failure = bytes.withUnsafeBytes { raw -> StoreError? in
                    do throws(StoreError) {
                        try JournalQuarantine.keep(
                            UnsafeRawBufferPointer(rebasing: raw[region.offset..<(region.offset + region.length)]),
                            at: report.quarantine, description: Self.describe(report), durability: store.durability)
                        return nil
                    } catch { return error }
                }
                if let failure {
                    // The segment itself stays as the copy; the next start tries again.
                    kept.insert(name)
                    report.quarantine = path
                    recovery.quarantineFailures.append(failure)
                }
                damage.append(report)
                // Never reuse a sequence number the region may have held.
                if region.nextGoodSeq == nil { nextSeq = max(nextSeq, region.lastGoodSeq + region.capacity + 1) }
            }
            try store.recordJournalDamage(damage)
            recovery.damage += damage
            var batch: [JournalItem] = []
            for record in scan.records where record.seq > folded {
                batch.append(.reading(record.reading, seq: record.seq))
                if batch.count >= replayBatch {
                    recovery.replayed += try store.fold(batch, pastQuota: true).entries
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { recovery.replayed += try store.fold(batch, pastQuota: true).entries }
            nextSeq = max(nextSeq, scan.lastSeq + 1)
        }
        for name in segments where !kept.contains(name) { unlink(directory + "/" + name) }
        if !segments.isEmpty, store.durability == .power { JournalSegmentWriter.syncDirectory(directory) }
        return (recovery, nextSeq)
    }

    /// The sequence number in a segment's file name.
    private static func firstSeq(of name: String) -> UInt64 { UInt64(name.prefix(16), radix: 16) ?? 0 }

    /// What `region` of the segment at `path` cost, given the last folded sequence number and
    /// the first one of the following segment (nil for the last segment).
    private static func report(
        _ region: JournalSegmentScan.Region, segment path: String, folded: UInt64, nextSegment: UInt64?
    ) -> JournalDamage {
        let now = SystemClock.nowNanoseconds()
        var report = JournalDamage(
            kind: region.torn ? .tornTail : .damaged, segment: path, offset: region.offset, length: region.length,
            reason: region.reason, checksum: 0, firstLostSeq: nil, lastLostSeq: nil, quarantine: "",
            detectedAt: now, acknowledgedAt: region.torn ? now : nil)
        // A torn write was never acknowledged: nothing is lost.
        guard !region.torn else { return report }
        // Readings up to `folded` are in the store whatever happened to their bytes since.
        let first = max(region.lastGoodSeq, folded) + 1
        if let end = region.nextGoodSeq ?? nextSegment {
            guard end > first else { return report }
            report.firstLostSeq = first
            report.lastLostSeq = end - 1
        } else if first <= region.lastGoodSeq + region.capacity {
            report.firstLostSeq = first
        }
        return report
    }

    /// The quarantine file's description.
    private static func describe(_ d: JournalDamage) -> String {
        """
        kind: \(d.kind.rawValue)
        segment: \(d.segment)
        offset: \(d.offset)
        length: \(d.length)
        reason: \(d.reason)
        crc32c: \(String(d.checksum, radix: 16))
        lost: \(d.lostDescription)
        detected_at_ns: \(d.detectedAt)

        """
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
