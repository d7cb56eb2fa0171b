import EdgeLedgerCore

/// One reading in the ingest journal (see ``IngestJournal``), and its byte layout.
///
/// Layout, all integers little-endian:
///
/// ```
/// u32 body length | u32 CRC-32C of body | body
/// body: u64 seq | i64 received_at | u8 qos | u8 retain | u16 topic length | u32 payload length
///       | topic bytes | payload bytes | attribute records
/// ```
///
/// The attribute records (``EntryAttributes/encodedRecords()``, the entry's v2 attribute block
/// without its length) fill the rest of the body; a reading without attributes has none, so
/// its record is byte for byte what journals held before attributes existed.
///
/// The CRC and the length make a torn or damaged record detectable; replay skips it and
/// resynchronises on the next record that checks out (see ``JournalSegmentScan``).
struct JournalRecord: Sendable, Equatable {
    /// Journal sequence number: increases by one per record, across segments and restarts.
    var seq: UInt64
    /// The reading.
    var reading: ReadingInput

    static let headerSize = 8
    static let fixedBodySize = 8 + 8 + 1 + 1 + 2 + 4
    /// The smallest record: a header and a body with an empty topic and payload.
    static let minimumSize = headerSize + fixedBodySize
    /// The largest body replay accepts (1 MiB): far above any valid reading (an entry stays
    /// under 64 KiB), so a damaged length field never makes replay trust or allocate more.
    static let maximumBodySize = 1 << 20

    /// Appends the encoded record to `buffer`.
    static func encode(seq: UInt64, _ reading: ReadingInput, into buffer: inout [UInt8]) {
        let topic = reading.topic.utf8
        let attributes = reading.attributes.isEmpty ? nil : reading.attributes.encodedRecords()
        let bodyLength = fixedBodySize + topic.count + reading.payload.count + (attributes?.count ?? 0)
        let start = buffer.count
        buffer.reserveCapacity(start + headerSize + bodyLength)
        append(UInt32(bodyLength), to: &buffer)
        append(UInt32(0), to: &buffer)
        append(seq, to: &buffer)
        append(UInt64(bitPattern: reading.receivedAt), to: &buffer)
        buffer.append(reading.qos)
        buffer.append(reading.retain ? 1 : 0)
        append(UInt16(topic.count), to: &buffer)
        append(UInt32(reading.payload.count), to: &buffer)
        buffer.append(contentsOf: topic)
        buffer.append(contentsOf: reading.payload)
        if let attributes { buffer.append(contentsOf: attributes) }
        let crc = buffer.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + headerSize)...]))
        }
        withUnsafeBytes(of: crc.littleEndian) { bytes in
            for i in 0..<4 { buffer[start + 4 + i] = bytes[i] }
        }
    }

    /// The outcome of decoding at an offset.
    enum Decoded {
        /// A complete, intact record and the offset after it.
        case record(JournalRecord, next: Int)
        /// Nothing more: the buffer ends exactly here.
        case end
        /// The bytes from here on are not an intact record (torn write or damage).
        case damaged(String)
    }

    /// Decodes the record starting at `offset`.
    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Decoded {
        let remaining = bytes.count - offset
        if remaining == 0 { return .end }
        guard remaining >= headerSize else { return .damaged("\(remaining) bytes, shorter than a record header") }
        let length = Int(load(UInt32.self, bytes, offset))
        let crc = load(UInt32.self, bytes, offset + 4)
        guard length >= fixedBodySize, length <= maximumBodySize else {
            return .damaged("record length \(length) is outside \(fixedBodySize)...\(maximumBodySize)")
        }
        guard length <= remaining - headerSize else {
            return .damaged("record length \(length) does not fit the \(remaining - headerSize) bytes left")
        }
        let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + headerSize)..<(offset + headerSize + length)])
        guard CRC32C.checksum(body) == crc else { return .damaged("checksum mismatch") }
        let seq = load(UInt64.self, body, 0)
        let receivedAt = Int64(bitPattern: load(UInt64.self, body, 8))
        let qos = body[16]
        let retain = body[17] != 0
        let topicLength = Int(load(UInt16.self, body, 18))
        let payloadLength = Int(load(UInt32.self, body, 20))
        guard fixedBodySize + topicLength + payloadLength <= length else {
            return .damaged("field lengths exceed the record length")
        }
        let topicStart = fixedBodySize
        let topic = String(
            decoding: UnsafeRawBufferPointer(rebasing: body[topicStart..<(topicStart + topicLength)]), as: UTF8.self)
        let payloadEnd = topicStart + topicLength + payloadLength
        let payload = Array(body[(topicStart + topicLength)..<payloadEnd])
        var attributes = EntryAttributes()
        if payloadEnd < length {
            do {
                attributes = try EntryAttributes.decode(
                    records: UnsafeRawBufferPointer(rebasing: body[payloadEnd..<length]), baseOffset: 0)
            } catch {
                return .damaged("attribute records after the payload do not decode: \(error)")
            }
        }
        let reading = ReadingInput(
            receivedAt: receivedAt, qos: qos, retain: retain, topic: topic, payload: payload, attributes: attributes)
        return .record(JournalRecord(seq: seq, reading: reading), next: offset + headerSize + length)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    static func load<T: FixedWidthInteger>(_: T.Type, _ bytes: UnsafeRawBufferPointer, _ offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// CRC-32C (Castagnoli), the checksum of journal records; table-driven, one byte per step.
enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    /// The CRC-32C of `bytes` ("123456789" gives 0xE3069283).
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for byte in bytes { crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
