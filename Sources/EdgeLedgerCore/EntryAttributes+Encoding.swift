extension EntryAttributes {
    /// The attribute records in canonical order (tags ascending, user properties in order);
    /// empty when there are no attributes. Valid attributes only (see ``validate()``).
    public func encodedRecords() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedSize)
        func header(_ tag: Tag, _ length: Int) {
            out.append(tag.rawValue)
            out.appendBigEndian(UInt16(truncatingIfNeeded: length))
        }
        func string(_ s: String) {
            out.appendBigEndian(UInt16(truncatingIfNeeded: s.utf8.count))
            out.append(contentsOf: s.utf8)
        }
        if let deviceTime {
            header(.deviceTime, 8)
            out.appendBigEndian(deviceTime)
        }
        if let contentType {
            header(.contentType, contentType.utf8.count)
            out.append(contentsOf: contentType.utf8)
        }
        for property in userProperties {
            header(.userProperty, 2 + property.name.utf8.count + property.value.utf8.count)
            string(property.name)
            out.append(contentsOf: property.value.utf8)
        }
        if let sparkplug {
            header(.sparkplug, sparkplug.encodedValueSize)
            out.append(sparkplug.messageType.rawValue)
            out.append(sparkplug.presence)
            out.appendBigEndian(sparkplug.seq ?? 0)
            out.appendBigEndian(sparkplug.bdSeq ?? 0)
            out.appendBigEndian(sparkplug.timestamp ?? 0)
            string(sparkplug.groupID)
            string(sparkplug.edgeNodeID)
            string(sparkplug.deviceID ?? "")
        }
        return out
    }

    /// Decodes attribute records, accepting exactly the canonical encodings: every record
    /// complete, known tags in order, each value well-formed and filling its record.
    ///
    /// - Parameters:
    ///   - raw: the records (the block without its u16 length).
    ///   - baseOffset: where `raw` starts in the entry, for error offsets.
    /// - Throws: ``EntryDecodingError`` naming the problem and its offset in the entry.
    public static func decode(
        records raw: UnsafeRawBufferPointer, baseOffset: Int
    ) throws(EntryDecodingError) -> EntryAttributes {
        var attributes = EntryAttributes()
        var offset = 0
        var previous: UInt8 = 0
        while offset < raw.count {
            let at = baseOffset + offset
            guard raw.count - offset >= recordHeaderSize else {
                throw EntryDecodingError(
                    .truncated, at: at,
                    "truncated attribute record header: needs 3 bytes, \(raw.count - offset) remain")
            }
            let tagByte = raw[offset]
            let length = Int(load(UInt16.self, raw, offset + 1))
            guard let tag = Tag(rawValue: tagByte) else {
                throw EntryDecodingError(
                    .unknownAttribute, at: at,
                    "unknown attribute tag 0x\(Hex.encode([tagByte])) (format v2 knows 0x01, 0x02, 0x03, 0x10)")
            }
            guard tagByte > previous || (tag == .userProperty && previous == tagByte) else {
                throw EntryDecodingError(
                    .attributesOutOfOrder, at: at,
                    "attribute tag 0x\(Hex.encode([tagByte])) after 0x\(Hex.encode([previous])): tags must ascend "
                        + "(only user properties, 0x03, repeat)")
            }
            previous = tagByte
            let valueStart = offset + recordHeaderSize
            guard raw.count - valueStart >= length else {
                throw EntryDecodingError(
                    .truncated, at: baseOffset + valueStart,
                    "truncated attribute 0x\(Hex.encode([tagByte])): declared \(length) bytes, "
                        + "\(raw.count - valueStart) remain")
            }
            let value = UnsafeRawBufferPointer(rebasing: raw[valueStart..<valueStart + length])
            let valueOffset = baseOffset + valueStart
            switch tag {
            case .deviceTime:
                guard length == 8 else {
                    throw EntryDecodingError(
                        .invalidAttribute, at: valueOffset, "device time is \(length) bytes, must be 8")
                }
                attributes.deviceTime = Int64(bitPattern: load(UInt64.self, value, 0))
            case .contentType:
                guard length > 0 else {
                    throw EntryDecodingError(.invalidAttribute, at: valueOffset, "content type is empty")
                }
                attributes.contentType = try utf8(value, at: valueOffset, "content type")
            case .userProperty:
                attributes.userProperties.append(try userProperty(value, at: valueOffset))
            case .sparkplug:
                attributes.sparkplug = try sparkplug(value, at: valueOffset)
            }
            offset = valueStart + length
        }
        return attributes
    }

    private static func userProperty(
        _ value: UnsafeRawBufferPointer, at offset: Int
    ) throws(EntryDecodingError) -> EntryUserProperty {
        guard value.count >= 2 else {
            throw EntryDecodingError(
                .invalidAttribute, at: offset, "user property is \(value.count) bytes, shorter than its name length")
        }
        let nameCount = Int(load(UInt16.self, value, 0))
        guard nameCount <= value.count - 2 else {
            throw EntryDecodingError(
                .invalidAttribute, at: offset,
                "user property name length \(nameCount) exceeds the \(value.count - 2) bytes of the record")
        }
        let name = try utf8(
            UnsafeRawBufferPointer(rebasing: value[2..<2 + nameCount]), at: offset + 2, "user property name")
        let rest = UnsafeRawBufferPointer(rebasing: value[(2 + nameCount)...])
        let text = try utf8(rest, at: offset + 2 + nameCount, "user property value")
        return EntryUserProperty(name: name, value: text)
    }

    private static func sparkplug(
        _ value: UnsafeRawBufferPointer, at offset: Int
    ) throws(EntryDecodingError) -> SparkplugAttributes {
        guard value.count >= SparkplugAttributes.fixedSize else {
            throw EntryDecodingError(
                .invalidAttribute, at: offset,
                "Sparkplug attribute is \(value.count) bytes, at least \(SparkplugAttributes.fixedSize) needed")
        }
        guard let type = SparkplugAttributes.MessageType(rawValue: value[0]) else {
            throw EntryDecodingError(
                .invalidAttribute, at: offset, "Sparkplug message type \(value[0]) is not 1…9")
        }
        let presence = value[1]
        guard presence & 0xF8 == 0 else {
            throw EntryDecodingError(
                .invalidAttribute, at: offset + 1,
                "Sparkplug presence bits 0x\(Hex.encode([presence])) set reserved bits 3–7")
        }
        func number(_ bit: UInt8, _ position: Int, _ name: String) throws(EntryDecodingError) -> UInt64? {
            let n = load(UInt64.self, value, position)
            if presence & bit != 0 { return n }
            guard n == 0 else {
                throw EntryDecodingError(
                    .invalidAttribute, at: offset + position, "Sparkplug \(name) is absent but not zero")
            }
            return nil
        }
        let seq = try number(0x01, 2, "seq")
        let bdSeq = try number(0x02, 10, "bdSeq")
        let timestamp = try number(0x04, 18, "timestamp")
        var position = 26
        func string(_ name: String) throws(EntryDecodingError) -> String {
            guard value.count - position >= 2 else {
                throw EntryDecodingError(.truncated, at: offset + position, "truncated Sparkplug \(name) length")
            }
            let n = Int(load(UInt16.self, value, position))
            position += 2
            guard value.count - position >= n else {
                throw EntryDecodingError(
                    .truncated, at: offset + position,
                    "truncated Sparkplug \(name): declared \(n) bytes, \(value.count - position) remain")
            }
            let s = try utf8(
                UnsafeRawBufferPointer(rebasing: value[position..<position + n]), at: offset + position,
                "Sparkplug \(name)")
            position += n
            return s
        }
        let group = try string("group id")
        let node = try string("edge node id")
        let device = try string("device id")
        guard position == value.count else {
            throw EntryDecodingError(
                .invalidAttribute, at: offset + position,
                "\(value.count - position) unexpected bytes after the Sparkplug device id")
        }
        return SparkplugAttributes(
            messageType: type, groupID: group, edgeNodeID: node, deviceID: device.isEmpty ? nil : device, seq: seq,
            bdSeq: bdSeq, timestamp: timestamp)
    }

    private static func utf8(
        _ bytes: UnsafeRawBufferPointer, at offset: Int, _ what: String
    ) throws(EntryDecodingError) -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw EntryDecodingError(.attributeNotUTF8, at: offset, "\(what) is not valid UTF-8")
        }
        return s
    }

    private static func load<T: FixedWidthInteger>(_: T.Type, _ raw: UnsafeRawBufferPointer, _ offset: Int) -> T {
        T(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
