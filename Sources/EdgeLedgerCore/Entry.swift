/// One sensor reading as a log entry: the canonical binary record that the Merkle tree commits
/// to with the leaf hash `H(0x00 || encode())`.
///
/// Layout (big-endian; see `docs/FORMAT.md`):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 1 | format version: `0x01` without attributes, `0x02` with |
/// | 1 | 1 | flags: bits 0–1 MQTT QoS (0…2), bit 2 retain, bits 3–7 zero |
/// | 2 | 8 | `index`: the entry's own position in the log (u64) |
/// | 10 | 8 | `receivedAt`: receive time, Unix nanoseconds UTC, gateway clock (i64) |
/// | 18 | 2 | topic length `t` (u16, 1…65535) |
/// | 20 | t | topic, UTF-8, no NUL |
/// | 20+t | 4 | payload length `p` (u32) |
/// | 24+t | p | payload, raw bytes |
/// | 24+t+p | 2 | v2 only: attribute block length `a` (u16, ≥ 3) |
/// | 26+t+p | a | v2 only: attribute records |
///
/// Nothing follows the payload (v1) or the attribute block (v2). An attribute record is
/// `u8 tag, u16 length L, L bytes value`, tags strictly ascending except user properties
/// (`0x03`), which repeat consecutively: `0x01` device time (8 bytes, i64 Unix ns UTC),
/// `0x02` content type (UTF-8, ≥ 1 byte), `0x03` user property (`u16 n, name, value`), `0x10`
/// Sparkplug (see ``SparkplugAttributes``); any other tag is an error. An entry with empty
/// ``attributes`` is always written as v1, so a v2 entry holds at least one record.
///
/// The whole record is at most ``maximumEncodedSize`` (65,535) bytes, the C2SP tlog-tiles
/// entry-bundle limit. Every value of this type satisfies these rules (the initialiser checks
/// them), so ``encode()`` cannot fail, and `Entry(decoding: e.encode()) == e` for every `e`.
/// Conversely, the decoder accepts exactly the canonical encodings: `encode()` of a decoded
/// entry gives back the same bytes.
public struct Entry: Sendable, Hashable {
    /// The format version byte of entries without attributes (v1).
    public static let formatVersion: UInt8 = 0x01
    /// The format version byte of entries with attributes (v2).
    public static let attributedFormatVersion: UInt8 = 0x02
    /// Whether `byte` is a format version this type reads (v1 or v2).
    public static func isKnownVersion(_ byte: UInt8) -> Bool {
        byte == formatVersion || byte == attributedFormatVersion
    }
    /// Bytes of fixed fields: version, flags, index, time, topic length, payload length.
    public static let headerSize = 24
    /// Largest encoded entry: 65,535 bytes (tlog-tiles bundles prefix each entry with a u16 length).
    public static let maximumEncodedSize = 65_535

    /// Position of this entry in the log, starting at 0; equal to its Merkle leaf index.
    public let index: UInt64
    /// When the gateway received the reading: Unix time in nanoseconds, UTC, gateway clock.
    public let receivedAt: Int64
    /// MQTT quality of service the reading was delivered with (0, 1 or 2).
    public let qos: UInt8
    /// The MQTT retain flag of the delivered message.
    public let retain: Bool
    /// The MQTT topic the reading was published on (1…65,535 UTF-8 bytes, no NUL).
    public let topic: String
    /// The message payload, unchanged.
    public let payload: [UInt8]
    /// Device time, MQTT 5 properties and Sparkplug fields; empty for a v1 entry.
    public let attributes: EntryAttributes

    /// Creates an entry, checking every rule of the format.
    ///
    /// - Throws: ``EntryValidationError`` when `qos` is above 2, the topic is empty or holds a
    ///   NUL character, an attribute does not fit its record, or the encoded entry would exceed
    ///   ``maximumEncodedSize``.
    public init(
        index: UInt64, receivedAt: Int64, qos: UInt8, retain: Bool, topic: String, payload: [UInt8],
        attributes: EntryAttributes = EntryAttributes()
    ) throws(EntryValidationError) {
        try Entry.validate(qos: qos, topic: topic, payloadCount: payload.count, attributes: attributes)
        self.index = index
        self.receivedAt = receivedAt
        self.qos = qos
        self.retain = retain
        self.topic = topic
        self.payload = payload
        self.attributes = attributes
    }

    /// Checks that a reading with this QoS, topic, payload size and attributes can become an
    /// entry; ingest calls this to reject a reading before appending it.
    ///
    /// - Throws: ``EntryValidationError`` saying what is wrong.
    public static func validate(
        qos: UInt8, topic: String, payloadCount: Int, attributes: EntryAttributes
    ) throws(EntryValidationError) {
        if attributes.isEmpty {
            try validate(qos: qos, topic: topic, payloadCount: payloadCount)
            return
        }
        try attributes.validate()
        let attributeBytes = 2 + attributes.encodedSize
        try validate(qos: qos, topic: topic, payloadCount: payloadCount + attributeBytes)
    }

    /// Checks that a reading with this QoS, topic and payload size can become an entry; ingest
    /// calls this to reject a reading before appending it.
    ///
    /// - Throws: ``EntryValidationError`` saying what is wrong.
    public static func validate(qos: UInt8, topic: String, payloadCount: Int) throws(EntryValidationError) {
        guard qos <= 2 else { throw EntryValidationError(.invalidQoS, "QoS \(qos) is not 0, 1 or 2") }
        let topicCount = topic.utf8.count
        guard topicCount > 0 else { throw EntryValidationError(.emptyTopic, "topic is empty") }
        guard topicCount <= Int(UInt16.max) else {
            throw EntryValidationError(.tooLarge, "topic is \(topicCount) bytes, at most 65535 allowed")
        }
        guard !topic.utf8.contains(0) else {
            throw EntryValidationError(.topicContainsNUL, "topic contains a NUL character")
        }
        let size = headerSize + topicCount + payloadCount
        guard size <= maximumEncodedSize else {
            throw EntryValidationError(
                .tooLarge,
                "entry would be \(size) bytes, at most \(maximumEncodedSize) allowed; payload is "
                    + "\(payloadCount) bytes, at most \(maximumPayload(topicByteCount: topicCount)) "
                    + "fit with this topic")
        }
    }

    /// The largest payload that fits in an entry whose topic is `topicByteCount` UTF-8 bytes long.
    public static func maximumPayload(topicByteCount: Int) -> Int {
        max(0, maximumEncodedSize - headerSize - topicByteCount)
    }

    /// The largest payload that fits in an entry with this topic.
    public static func maximumPayload(forTopic topic: String) -> Int {
        maximumPayload(topicByteCount: topic.utf8.count)
    }

    /// Size of ``encode()`` in bytes.
    public var encodedSize: Int {
        Entry.headerSize + topic.utf8.count + payload.count + (attributes.isEmpty ? 0 : 2 + attributes.encodedSize)
    }

    /// The format version ``encode()`` writes: v1 without attributes, v2 with.
    public var version: UInt8 { attributes.isEmpty ? Entry.formatVersion : Entry.attributedFormatVersion }

    /// The flags byte: QoS in bits 0–1, retain in bit 2.
    public var flags: UInt8 { qos | (retain ? 0x04 : 0) }

    /// The canonical encoding: format v1 when ``attributes`` is empty, v2 otherwise.
    public func encode() -> [UInt8] {
        var topic = self.topic
        let records = attributes.isEmpty ? nil : attributes.encodedRecords()
        return topic.withUTF8 { topicBytes in
            let body = Entry.headerSize + topicBytes.count + payload.count
            let size = body + (records.map { 2 + $0.count } ?? 0)
            return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                let raw = UnsafeMutableRawBufferPointer(buffer)
                raw[0] = records == nil ? Entry.formatVersion : Entry.attributedFormatVersion
                raw[1] = flags
                raw.storeBytes(of: index.bigEndian, toByteOffset: 2, as: UInt64.self)
                raw.storeBytes(of: receivedAt.bigEndian, toByteOffset: 10, as: Int64.self)
                raw.storeBytes(of: UInt16(topicBytes.count).bigEndian, toByteOffset: 18, as: UInt16.self)
                var offset = 20
                if topicBytes.count > 0 {
                    UnsafeMutableRawBufferPointer(rebasing: raw[offset..<offset + topicBytes.count])
                        .copyMemory(from: UnsafeRawBufferPointer(topicBytes))
                }
                offset += topicBytes.count
                raw.storeBytes(of: UInt32(payload.count).bigEndian, toByteOffset: offset, as: UInt32.self)
                offset += 4
                payload.withUnsafeBytes { p in
                    if p.count > 0 {
                        UnsafeMutableRawBufferPointer(rebasing: raw[offset..<offset + p.count]).copyMemory(from: p)
                    }
                }
                if let records {
                    raw.storeBytes(of: UInt16(records.count).bigEndian, toByteOffset: body, as: UInt16.self)
                    records.withUnsafeBytes { r in
                        UnsafeMutableRawBufferPointer(rebasing: raw[(body + 2)..<size]).copyMemory(from: r)
                    }
                }
                initialized = size
            }
        }
    }

    /// Decodes a canonical format-v1 or v2 entry. Total: any input gives an entry or an error,
    /// never a crash.
    ///
    /// - Throws: ``EntryDecodingError`` naming the problem and its byte offset: unknown version,
    ///   reserved flag bits, QoS 3, a truncated field, an empty, non-UTF-8 or NUL-holding topic,
    ///   an entry over ``maximumEncodedSize``, bytes after the payload (v1) or the attribute
    ///   block (v2), or an attribute block that is empty, out of order, holds an unknown tag or a
    ///   malformed value.
    public init(decoding bytes: some Collection<UInt8>) throws(EntryDecodingError) {
        let result: Result<Entry, EntryDecodingError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(EntryDecodingError) in try Entry.decode(UnsafeRawBufferPointer(buffer)) }
        }
        if let result {
            self = try result.get()
        } else {
            let copy = Array(bytes)
            let result = copy.withUnsafeBytes { raw in
                Result { () throws(EntryDecodingError) in try Entry.decode(raw) }
            }
            self = try result.get()
        }
    }

    private static func decode(_ raw: UnsafeRawBufferPointer) throws(EntryDecodingError) -> Entry {
        let count = raw.count
        func need(_ n: Int, at offset: Int, _ field: String) throws(EntryDecodingError) {
            guard count - offset >= n else {
                throw EntryDecodingError(
                    .truncated, at: offset, "truncated \(field): needs \(n) bytes, \(count - offset) remain")
            }
        }
        try need(1, at: 0, "version")
        guard isKnownVersion(raw[0]) else {
            throw EntryDecodingError(
                .unsupportedVersion, at: 0,
                "unsupported entry format version 0x\(Hex.encode([raw[0]])) (this decoder reads 0x01 and 0x02)")
        }
        let attributed = raw[0] == attributedFormatVersion
        try need(1, at: 1, "flags")
        let flags = raw[1]
        guard flags & 0xF8 == 0 else {
            throw EntryDecodingError(
                .reservedFlags, at: 1, "reserved flag bits set: flags byte is 0x\(Hex.encode([flags]))")
        }
        let qos = flags & 0x03
        guard qos <= 2 else { throw EntryDecodingError(.invalidQoS, at: 1, "QoS 3 in flags byte (only 0, 1, 2)") }
        try need(8, at: 2, "index")
        let index = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt64.self))
        try need(8, at: 10, "receive time")
        let receivedAt = Int64(bigEndian: raw.loadUnaligned(fromByteOffset: 10, as: Int64.self))
        try need(2, at: 18, "topic length")
        let topicCount = Int(UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 18, as: UInt16.self)))
        guard topicCount > 0 else { throw EntryDecodingError(.emptyTopic, at: 18, "topic length is 0") }
        guard count - 20 >= topicCount else {
            throw EntryDecodingError(
                .truncated, at: 20, "truncated topic: declared \(topicCount) bytes, \(count - 20) remain")
        }
        let topicBytes = UnsafeRawBufferPointer(rebasing: raw[20..<20 + topicCount])
        if let nul = topicBytes.firstIndex(of: 0) {
            throw EntryDecodingError(.topicContainsNUL, at: 20 + nul, "topic contains a NUL byte")
        }
        guard let topic = String(validating: topicBytes, as: UTF8.self) else {
            throw EntryDecodingError(.topicNotUTF8, at: 20, "topic is not valid UTF-8")
        }
        let payloadLengthOffset = 20 + topicCount
        try need(4, at: payloadLengthOffset, "payload length")
        let declared = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: payloadLengthOffset, as: UInt32.self))
        let payloadOffset = payloadLengthOffset + 4
        // A v2 entry also holds the block length and at least one 3-byte record.
        let maximum = maximumPayload(topicByteCount: topicCount) - (attributed ? 5 : 0)
        guard declared <= UInt32(max(0, maximum)) else {
            throw EntryDecodingError(
                .tooLarge, at: payloadLengthOffset,
                "payload length \(declared) exceeds the \(maximum) bytes an entry with this topic can hold")
        }
        let payloadCount = Int(declared)
        guard count - payloadOffset >= payloadCount else {
            throw EntryDecodingError(
                .truncated, at: payloadOffset,
                "truncated payload: declared \(payloadCount) bytes, \(count - payloadOffset) remain")
        }
        let end = payloadOffset + payloadCount
        var attributes = EntryAttributes()
        if attributed {
            try need(2, at: end, "attribute block length")
            let blockCount = Int(UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: end, as: UInt16.self)))
            guard blockCount > 0 else {
                throw EntryDecodingError(
                    .emptyAttributes, at: end, "attribute block is empty in a v2 entry (write it as v1)")
            }
            let blockStart = end + 2
            guard blockStart + blockCount <= maximumEncodedSize else {
                throw EntryDecodingError(
                    .tooLarge, at: end,
                    "attribute block of \(blockCount) bytes makes the entry \(blockStart + blockCount) bytes, "
                        + "at most \(maximumEncodedSize) allowed")
            }
            guard count - blockStart >= blockCount else {
                throw EntryDecodingError(
                    .truncated, at: blockStart,
                    "truncated attribute block: declared \(blockCount) bytes, \(count - blockStart) remain")
            }
            guard blockStart + blockCount == count else {
                throw EntryDecodingError(
                    .trailingBytes, at: blockStart + blockCount,
                    "\(count - blockStart - blockCount) unexpected bytes after the attribute block")
            }
            attributes = try EntryAttributes.decode(
                records: UnsafeRawBufferPointer(rebasing: raw[blockStart..<count]), baseOffset: blockStart)
        } else {
            guard end == count else {
                throw EntryDecodingError(.trailingBytes, at: end, "\(count - end) unexpected bytes after the payload")
            }
        }
        let payload = [UInt8](UnsafeRawBufferPointer(rebasing: raw[payloadOffset..<end]))
        return Entry(
            unchecked: index, receivedAt: receivedAt, qos: qos, retain: flags & 0x04 != 0, topic: topic,
            payload: payload, attributes: attributes)
    }

    private init(
        unchecked index: UInt64, receivedAt: Int64, qos: UInt8, retain: Bool, topic: String, payload: [UInt8],
        attributes: EntryAttributes
    ) {
        self.index = index
        self.receivedAt = receivedAt
        self.qos = qos
        self.retain = retain
        self.topic = topic
        self.payload = payload
        self.attributes = attributes
    }
}
