import EdgeLedgerCore
import EdgeLedgerCrypto
import PropertyBased
import Testing

/// The format-v2 worked example of docs/FORMAT.md: the v1 example with a device time, a content
/// type and one user property.
enum WorkedExampleV2 {
    static let attributes = EntryAttributes(
        deviceTime: 1_767_225_600_100_000_000, contentType: "application/json",
        userProperties: [EntryUserProperty(name: "shift", value: "B")])
    static let hex =
        "0201000000000000002a18867251f555cd15001b666163746f72792f706c616e742d372f6c696e652d322f74656d70"
        + "000000327b2273656e736f72223a22742d3137222c22736571223a34322c2276616c7565223a32312e352c22756e6974"
        + "223a2243227d002901000818867251f3efe1000200106170706c69636174696f6e2f6a736f6e0300080005736869667442"
    static let sha256Leaf = "bc7bf3edb49a83e9399cfe99ad1e078e94569c2736196b775546ef3414c25417"

    static func entry() throws -> Entry {
        try Entry(
            index: 42, receivedAt: WorkedExample.receivedAt, qos: 1, retain: false, topic: WorkedExample.topic,
            payload: WorkedExample.payload, attributes: attributes)
    }
}

@Suite struct EntryAttributesTests {
    static let sparkplug = SparkplugAttributes(
        messageType: .ddata, groupID: "plant-7", edgeNodeID: "press-3", deviceID: "valve-1", seq: 17, bdSeq: 4,
        timestamp: 1_767_225_600_100)

    @Test func workedExampleEncodesToTheDocumentedBytes() throws {
        let entry = try WorkedExampleV2.entry()
        let bytes = entry.encode()
        #expect(Hex.encode(bytes) == WorkedExampleV2.hex)
        #expect(bytes.count == 144)
        #expect(entry.encodedSize == 144)
        #expect(entry.version == 0x02)
        #expect(try Entry(decoding: bytes) == entry)
        #expect(OpenSSLHasher.sha256.leafHash(bytes).hex == WorkedExampleV2.sha256Leaf)
    }

    @Test func noAttributesIsVersion1ByteForByte() throws {
        let entry = try WorkedExample.entry()
        #expect(entry.attributes.isEmpty)
        #expect(entry.version == 0x01)
        #expect(Hex.encode(entry.encode()) == WorkedExample.hex)
    }

    @Test func everyAttributeRoundTrips() throws {
        let cases: [EntryAttributes] = [
            EntryAttributes(deviceTime: .min),
            EntryAttributes(deviceTime: .max),
            EntryAttributes(contentType: "ü"),
            EntryAttributes(userProperties: [EntryUserProperty(name: "", value: "")]),
            EntryAttributes(userProperties: [
                EntryUserProperty(name: "a", value: "1"), EntryUserProperty(name: "a", value: "2"),
                EntryUserProperty(name: "温度", value: "🌡"),
            ]),
            EntryAttributes(sparkplug: Self.sparkplug),
            EntryAttributes(
                sparkplug: SparkplugAttributes(messageType: .state, groupID: "", edgeNodeID: "scada-host")),
            EntryAttributes(
                deviceTime: 5, contentType: "text/plain", userProperties: [EntryUserProperty(name: "k", value: "v")],
                sparkplug: Self.sparkplug),
        ]
        for attributes in cases {
            let entry = try Entry(
                index: 3, receivedAt: 9, qos: 2, retain: true, topic: "t", payload: [1, 2], attributes: attributes)
            let bytes = entry.encode()
            #expect(bytes[0] == 0x02)
            #expect(bytes.count == entry.encodedSize)
            let decoded = try Entry(decoding: bytes)
            #expect(decoded == entry)
            #expect(decoded.attributes == attributes)
            #expect(try Entry(decoding: bytes.lazy.map { $0 }) == entry)
        }
    }

    @Test func sparkplugRecordLayout() throws {
        let records = EntryAttributes(sparkplug: Self.sparkplug).encodedRecords()
        let expected =
            "100035" + "06" + "07" + "0000000000000011" + "0000000000000004" + "0000019b76daa864"
            + "0007" + Hex.encode(Array("plant-7".utf8)) + "0007" + Hex.encode(Array("press-3".utf8))
            + "0007" + Hex.encode(Array("valve-1".utf8))
        #expect(Hex.encode(records) == expected)
        let partial = EntryAttributes(
            sparkplug: SparkplugAttributes(messageType: .nbirth, groupID: "g", edgeNodeID: "n", bdSeq: 1))
        #expect(Array(partial.encodedRecords()[3..<5]) == [0x01, 0x02])
    }

    // MARK: - Canonical rejection

    /// A v2 entry with topic "t", payload [] and the given attribute block (length prefixed).
    static func v2(records: [UInt8], declared: Int? = nil) -> [UInt8] {
        var bytes: [UInt8] = [0x02, 0x01] + [UInt8](repeating: 0, count: 16) + [0x00, 0x01, 0x74, 0, 0, 0, 0]
        let length = declared ?? records.count
        bytes += [UInt8(length >> 8), UInt8(length & 0xff)] + records
        return bytes
    }

    static let deviceTime: [UInt8] = [0x01, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 7]
    static let contentType: [UInt8] = [0x02, 0x00, 0x01, 0x61]
    static let property: [UInt8] = [0x03, 0x00, 0x03, 0x00, 0x01, 0x6e]

    private func error(_ bytes: [UInt8]) -> EntryDecodingError? {
        do {
            _ = try Entry(decoding: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func acceptsTheHandBuiltRecords() throws {
        let entry = try Entry(
            decoding: Self.v2(records: Self.deviceTime + Self.contentType + Self.property + Self.property))
        #expect(entry.attributes.deviceTime == 7)
        #expect(entry.attributes.contentType == "a")
        #expect(
            entry.attributes.userProperties == [EntryUserProperty(name: "n", value: ""), .init(name: "n", value: "")])
    }

    @Test func rejectsEmptyBlockWithVersion2() {
        #expect(error(Self.v2(records: []))?.kind == .emptyAttributes)
        // A v1 entry with a version byte of 2 lacks the block length.
        var v1 = try! Entry(index: 0, receivedAt: 0, qos: 1, retain: false, topic: "t", payload: []).encode()
        v1[0] = 0x02
        #expect(error(v1)?.kind == .truncated)
    }

    @Test func rejectsUnsortedAndRepeatedTags() {
        #expect(error(Self.v2(records: Self.contentType + Self.deviceTime))?.kind == .attributesOutOfOrder)
        #expect(error(Self.v2(records: Self.deviceTime + Self.deviceTime))?.kind == .attributesOutOfOrder)
        #expect(error(Self.v2(records: Self.property + Self.contentType))?.kind == .attributesOutOfOrder)
        let sparkplug = EntryAttributes(sparkplug: Self.sparkplug).encodedRecords()
        #expect(error(Self.v2(records: sparkplug + Self.property))?.kind == .attributesOutOfOrder)
        #expect((try? Entry(decoding: Self.v2(records: Self.property + sparkplug))) != nil)
    }

    @Test func rejectsUnknownTags() {
        for tag: UInt8 in [0x00, 0x04, 0x0f, 0x11, 0xff] {
            let e = error(Self.v2(records: [tag, 0x00, 0x00]))
            #expect(e?.kind == .unknownAttribute)
            #expect(e?.offset == 27)  // 20 + topic 1 + payload length 4 + block length 2
        }
    }

    @Test func rejectsTruncatedRecordsAndBlocks() {
        let records = Self.deviceTime + Self.contentType
        for cut in 1..<records.count {
            // Block length says what is there, but a record is cut short.
            let e = error(Self.v2(records: Array(records.prefix(cut))))
            #expect((e != nil) == (cut != Self.deviceTime.count), "cut at \(cut)")
            // Block length says more than there is.
            #expect(error(Self.v2(records: Array(records.prefix(cut)), declared: records.count))?.kind == .truncated)
        }
        #expect(error(Self.v2(records: records) + [0])?.kind == .trailingBytes)
    }

    @Test func rejectsMalformedValues() {
        #expect(error(Self.v2(records: [0x01, 0x00, 0x04, 0, 0, 0, 1]))?.kind == .invalidAttribute)
        #expect(error(Self.v2(records: [0x02, 0x00, 0x00]))?.kind == .invalidAttribute)
        #expect(error(Self.v2(records: [0x03, 0x00, 0x01, 0x00]))?.kind == .invalidAttribute)
        #expect(error(Self.v2(records: [0x03, 0x00, 0x03, 0x00, 0x02, 0x61]))?.kind == .invalidAttribute)
        var sparkplug = EntryAttributes(sparkplug: Self.sparkplug).encodedRecords()
        sparkplug[3] = 10  // message type
        #expect(error(Self.v2(records: sparkplug))?.kind == .invalidAttribute)
        sparkplug[3] = 6
        sparkplug[4] = 0x08  // reserved presence bit
        #expect(error(Self.v2(records: sparkplug))?.kind == .invalidAttribute)
        sparkplug[4] = 0x06  // seq absent but non-zero
        #expect(error(Self.v2(records: sparkplug))?.kind == .invalidAttribute)
    }

    @Test func rejectsBadUTF8() {
        #expect(error(Self.v2(records: [0x02, 0x00, 0x01, 0xff]))?.kind == .attributeNotUTF8)
        #expect(error(Self.v2(records: [0x03, 0x00, 0x04, 0x00, 0x01, 0xc3, 0x61]))?.kind == .attributeNotUTF8)
        #expect(error(Self.v2(records: [0x03, 0x00, 0x04, 0x00, 0x01, 0x61, 0xc3]))?.kind == .attributeNotUTF8)
    }

    @Test func sizeLimitCountsTheAttributeBlock() throws {
        let attributes = EntryAttributes(deviceTime: 1)
        let fits = Entry.maximumPayload(forTopic: "t") - 2 - 11
        let entry = try Entry(
            index: 0, receivedAt: 0, qos: 0, retain: false, topic: "t", payload: .init(repeating: 0, count: fits),
            attributes: attributes)
        #expect(entry.encode().count == Entry.maximumEncodedSize)
        #expect(try Entry(decoding: entry.encode()) == entry)
        #expect(throws: EntryValidationError.self) {
            try Entry(
                index: 0, receivedAt: 0, qos: 0, retain: false, topic: "t",
                payload: .init(repeating: 0, count: fits + 1), attributes: attributes)
        }
        // One byte over the limit in the encoding: the block pushes the entry past 65,535 bytes.
        var over = entry.encode()
        over.insert(0, at: 25)
        let declared = UInt32(fits + 1)
        over[21...24] = [0, 0, UInt8(declared >> 8), UInt8(declared & 0xff)]  // payload length fits + 1
        #expect(over.count == Entry.maximumEncodedSize + 1)
        #expect(error(over)?.kind == .tooLarge)
    }

    @Test func validationRejectsAttributesThatCannotBeEncoded() {
        let bad: [EntryAttributes] = [
            EntryAttributes(contentType: ""),
            EntryAttributes(contentType: String(repeating: "x", count: 65_536)),
            EntryAttributes(userProperties: [EntryUserProperty(name: String(repeating: "x", count: 65_534), value: "")]
            ),
            EntryAttributes(
                sparkplug: SparkplugAttributes(messageType: .ddata, groupID: "g", edgeNodeID: "n", deviceID: "")),
        ]
        for attributes in bad {
            #expect(throws: EntryValidationError.self) {
                try Entry(
                    index: 0, receivedAt: 0, qos: 0, retain: false, topic: "t", payload: [], attributes: attributes)
            }
        }
    }

    // MARK: - Properties

    static let text = Gen.character(in: "\u{0}"..."\u{2FFF}").string(of: 0...12)
    static let attributes = zip(
        Gen.int64().optional, text.optional,
        zip(text, text).map { EntryUserProperty(name: $0, value: $1) }.array(of: 0...3),
        zip(Gen.uint8(in: 1...9), text, text, text, Gen.uint64().optional, Gen.uint64().optional, Gen.uint64().optional)
            .map { type, group, node, device, seq, bdSeq, time in
                SparkplugAttributes(
                    messageType: .init(rawValue: type)!, groupID: group, edgeNodeID: node,
                    deviceID: device.isEmpty ? nil : device, seq: seq, bdSeq: bdSeq, timestamp: time)
            }.optional
    ).map { time, type, properties, sparkplug in
        EntryAttributes(
            deviceTime: time, contentType: type?.isEmpty == true ? nil : type, userProperties: properties,
            sparkplug: sparkplug)
    }
    static let entries = zip(EntryTests.entries, attributes).map { entry, attributes in
        try! Entry(
            index: entry.index, receivedAt: entry.receivedAt, qos: entry.qos, retain: entry.retain, topic: entry.topic,
            payload: entry.payload, attributes: attributes)
    }

    @Test func randomAttributedEntriesRoundTrip() async {
        await propertyCheck(count: 300, input: Self.entries) { entry in
            let bytes = entry.encode()
            #expect(bytes.count == entry.encodedSize)
            #expect(bytes[0] == (entry.attributes.isEmpty ? 0x01 : 0x02))
            #expect((try? Entry(decoding: bytes)) == entry)
        }
    }

    @Test func mutatedAttributedEntriesNeverCrashAndAcceptedInputIsCanonical() async {
        let mutations = zip(Self.entries, Gen.int(in: 0...10_000), Gen.uint8(in: 1...255), Gen.int(in: -3...3))
        await propertyCheck(count: 1000, input: mutations) { entry, position, xor, lengthChange in
            var bytes = entry.encode()
            // Mutate the attribute block more often than the rest.
            let tail = max(1, bytes.count - Entry.headerSize - entry.topic.utf8.count - entry.payload.count)
            bytes[bytes.count - 1 - position % tail] ^= xor
            if lengthChange > 0 { bytes += Array(repeating: 0x03, count: lengthChange) }
            if lengthChange < 0 { bytes.removeLast(min(bytes.count, -lengthChange)) }
            if let decoded = try? Entry(decoding: bytes) {
                #expect(decoded.encode() == bytes)
            }
        }
    }
}
