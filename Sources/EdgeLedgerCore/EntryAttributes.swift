/// What an entry records beside the reading itself (entry format v2): the device's own time,
/// the MQTT 5 content type and user properties, and Sparkplug B identity and sequence numbers.
///
/// Encoded as the entry's attribute block (see ``Entry`` and `docs/FORMAT.md`): records of
/// `u8 tag, u16 length L, L bytes value`, tags in strictly ascending order except user
/// properties (tag `0x03`), which repeat consecutively in the order received. An entry whose
/// attributes are empty is written in format v1, byte for byte as before attributes existed.
public struct EntryAttributes: Sendable, Hashable {
    /// The attribute tags of format v2. Any other tag is a decoding error: a new attribute needs
    /// a new format version, so every entry keeps exactly one encoding.
    public enum Tag: UInt8, Sendable, Hashable, CaseIterable {
        /// ``EntryAttributes/deviceTime``: 8 bytes, i64 Unix nanoseconds UTC.
        case deviceTime = 0x01
        /// ``EntryAttributes/contentType``: 1…65,535 bytes of UTF-8.
        case contentType = 0x02
        /// One of ``EntryAttributes/userProperties``: `u16 n, n bytes name, value (the rest)`.
        case userProperty = 0x03
        /// ``EntryAttributes/sparkplug``: see ``SparkplugAttributes``.
        case sparkplug = 0x10
    }

    /// The reading's time by the device's clock: Unix nanoseconds, UTC. Recorded beside the
    /// gateway's receive time; never used to order the log.
    public var deviceTime: Int64?
    /// The MQTT 5 content type property (never empty when set).
    public var contentType: String?
    /// The MQTT 5 user properties, in the order received.
    public var userProperties: [EntryUserProperty]
    /// Sparkplug B identity, message type and sequence numbers.
    public var sparkplug: SparkplugAttributes?

    /// Creates attributes; all empty by default.
    public init(
        deviceTime: Int64? = nil, contentType: String? = nil, userProperties: [EntryUserProperty] = [],
        sparkplug: SparkplugAttributes? = nil
    ) {
        self.deviceTime = deviceTime
        self.contentType = contentType
        self.userProperties = userProperties
        self.sparkplug = sparkplug
    }

    /// No attribute is set: the entry is written in format v1.
    public var isEmpty: Bool {
        deviceTime == nil && contentType == nil && userProperties.isEmpty && sparkplug == nil
    }

    /// Bytes of a record's tag and length.
    static let recordHeaderSize = 3
    /// Largest record value (its length is a u16).
    static let maximumValueSize = Int(UInt16.max)

    /// Size of the encoded attribute records (without the block's u16 length); 0 when empty.
    public var encodedSize: Int {
        var size = 0
        if deviceTime != nil { size += Self.recordHeaderSize + 8 }
        if let contentType { size += Self.recordHeaderSize + contentType.utf8.count }
        for property in userProperties {
            size += Self.recordHeaderSize + 2 + property.name.utf8.count + property.value.utf8.count
        }
        if let sparkplug { size += Self.recordHeaderSize + sparkplug.encodedValueSize }
        return size
    }

    /// Checks that every attribute fits its record: a non-empty content type, records of at most
    /// 65,535 bytes, a non-empty Sparkplug device id when one is set, and a block of at most
    /// 65,535 bytes. (``Entry/validate(qos:topic:payloadCount:attributes:)`` also checks that the
    /// whole entry fits.)
    ///
    /// - Throws: ``EntryValidationError`` of kind ``EntryValidationError/Kind/invalidAttribute``
    ///   (or ``EntryValidationError/Kind/tooLarge`` for the block) saying which attribute.
    public func validate() throws(EntryValidationError) {
        if let contentType {
            guard !contentType.isEmpty else {
                throw EntryValidationError(.invalidAttribute, "content type is empty (leave it unset instead)")
            }
            try Self.checkValue(contentType.utf8.count, "content type")
        }
        for property in userProperties {
            try Self.checkValue(
                2 + property.name.utf8.count + property.value.utf8.count,
                "user property \"\(property.name.prefix(64))\"")
        }
        if let sparkplug {
            if let device = sparkplug.deviceID, device.isEmpty {
                throw EntryValidationError(
                    .invalidAttribute, "Sparkplug device id is empty (use nil for a node message)")
            }
            try Self.checkValue(sparkplug.encodedValueSize, "Sparkplug attribute")
        }
        let size = encodedSize
        guard size <= Self.maximumValueSize else {
            throw EntryValidationError(
                .tooLarge, "attributes take \(size) bytes, at most \(Self.maximumValueSize) allowed")
        }
    }

    private static func checkValue(_ size: Int, _ what: String) throws(EntryValidationError) {
        guard size <= maximumValueSize else {
            throw EntryValidationError(
                .invalidAttribute, "\(what) takes \(size) bytes, at most \(maximumValueSize) fit in one record")
        }
    }
}
