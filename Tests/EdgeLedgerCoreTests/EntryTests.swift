import EdgeLedgerCore
import EdgeLedgerCrypto
import PropertyBased
import Testing

/// The worked example of docs/FORMAT.md.
enum WorkedExample {
    static let topic = "factory/plant-7/line-2/temp"
    static let payload = Array(#"{"sensor":"t-17","seq":42,"value":21.5,"unit":"C"}"#.utf8)
    static let receivedAt: Int64 = 1_767_225_600_123_456_789  // 2026-01-01T00:00:00.123456789Z
    static let hex =
        "0101000000000000002a18867251f555cd15001b666163746f72792f706c616e742d372f6c696e652d322f74656d70"
        + "000000327b2273656e736f72223a22742d3137222c22736571223a34322c2276616c7565223a32312e352c22756e6974"
        + "223a2243227d"
    static let sha256Leaf = "28d8287006702d6a4bc738a26f100defb126ed944ff86b9c506a1e82ce22e2bd"
    static let sm3Leaf = "e873441dfe2562b122194aa06c2dfd7b0e8f9c75ae0ddb1708c0d226fca40424"

    static func entry() throws -> Entry {
        try Entry(index: 42, receivedAt: receivedAt, qos: 1, retain: false, topic: topic, payload: payload)
    }
}

@Suite struct EntryTests {
    @Test func workedExampleEncodesToTheDocumentedBytes() throws {
        let entry = try WorkedExample.entry()
        let bytes = entry.encode()
        #expect(Hex.encode(bytes) == WorkedExample.hex)
        #expect(bytes.count == 101)
        #expect(entry.encodedSize == 101)
        #expect(try Entry(decoding: bytes) == entry)
    }

    @Test func workedExampleLeafHashes() throws {
        let bytes = try WorkedExample.entry().encode()
        #expect(OpenSSLHasher.sha256.leafHash(bytes).hex == WorkedExample.sha256Leaf)
        #expect(try OpenSSLHasher(.sm3).leafHash(bytes).hex == WorkedExample.sm3Leaf)
    }

    @Test func roundTripsEdgeValues() throws {
        let cases: [Entry] = [
            try Entry(index: 0, receivedAt: 0, qos: 0, retain: false, topic: "a", payload: []),
            try Entry(index: .max, receivedAt: .min, qos: 2, retain: true, topic: "ü/温度/🌡", payload: [0, 0xff]),
            try Entry(
                index: 1, receivedAt: .max, qos: 1, retain: true, topic: "t", payload: Array(repeating: 7, count: 1000)),
            try Entry(
                index: 9, receivedAt: -1, qos: 0, retain: false, topic: "x",
                payload: Array(repeating: 1, count: Entry.maximumPayload(forTopic: "x"))),
        ]
        for entry in cases {
            let bytes = entry.encode()
            #expect(bytes.count == entry.encodedSize)
            #expect(bytes.count <= Entry.maximumEncodedSize)
            #expect(try Entry(decoding: bytes) == entry)
            // Any collection type decodes the same (non-contiguous path).
            #expect(try Entry(decoding: bytes.reversed().reversed()) == entry)
            #expect(try Entry(decoding: bytes[...]) == entry)
        }
    }

    @Test func flagsByteLayout() throws {
        let e = try Entry(index: 0, receivedAt: 0, qos: 2, retain: true, topic: "t", payload: [])
        #expect(e.encode()[1] == 0x06)
        #expect(e.flags == 0x06)
    }

    @Test func maximumSizeIsExactlyTheBundleLimit() throws {
        let topic = "sensors/a"
        let max = Entry.maximumPayload(forTopic: topic)
        #expect(max == 65_535 - 24 - 9)
        let fits = try Entry(
            index: 0, receivedAt: 0, qos: 0, retain: false, topic: topic, payload: .init(repeating: 0, count: max))
        #expect(fits.encode().count == 65_535)
        #expect(throws: EntryValidationError.self) {
            try Entry(
                index: 0, receivedAt: 0, qos: 0, retain: false, topic: topic,
                payload: .init(repeating: 0, count: max + 1))
        }
    }

    @Test func validationRejectsBadReadings() {
        func kind(_ body: () throws(EntryValidationError) -> Void) -> EntryValidationError.Kind? {
            do {
                try body()
                return nil
            } catch { return error.kind }
        }
        #expect(
            kind { () throws(EntryValidationError) in try Entry.validate(qos: 3, topic: "t", payloadCount: 0) }
                == .invalidQoS)
        #expect(
            kind { () throws(EntryValidationError) in try Entry.validate(qos: 0, topic: "", payloadCount: 0) }
                == .emptyTopic)
        #expect(
            kind { () throws(EntryValidationError) in try Entry.validate(qos: 0, topic: "a\u{0}b", payloadCount: 0) }
                == .topicContainsNUL)
        #expect(
            kind { () throws(EntryValidationError) in try Entry.validate(qos: 0, topic: "t", payloadCount: 70_000) }
                == .tooLarge)
        #expect(
            kind { () throws(EntryValidationError) in
                try Entry.validate(qos: 0, topic: String(repeating: "t", count: 70_000), payloadCount: 0)
            } == .tooLarge)
        #expect(
            kind { () throws(EntryValidationError) in try Entry.validate(qos: 1, topic: "t", payloadCount: 100) } == nil
        )
        do {
            try Entry.validate(qos: 0, topic: "t", payloadCount: 70_000)
        } catch {
            #expect(error.description.contains("70025 bytes"))
            #expect(error.description.contains("at most 65510 fit"))
        }
    }

    // MARK: - Malformed input

    private func decodeError(_ bytes: [UInt8]) -> EntryDecodingError? {
        do {
            _ = try Entry(decoding: bytes)
            return nil
        } catch { return error }
    }

    private func valid() -> [UInt8] { Hex.decode(WorkedExample.hex)! }

    @Test func rejectsEmptyInput() {
        let error = decodeError([])
        #expect(error?.kind == .truncated)
        #expect(error?.offset == 0)
    }

    @Test func rejectsUnknownVersion() {
        for version: UInt8 in [0x00, 0x03, 0xff] {
            var bytes = valid()
            bytes[0] = version
            #expect(decodeError(bytes)?.kind == .unsupportedVersion)
        }
    }

    @Test func rejectsReservedFlagBitsAndQoS3() {
        for bit in 3..<8 {
            var bytes = valid()
            bytes[1] |= UInt8(1 << bit)
            let error = decodeError(bytes)
            #expect(error?.kind == .reservedFlags)
            #expect(error?.offset == 1)
        }
        var bytes = valid()
        bytes[1] = 0x03
        #expect(decodeError(bytes)?.kind == .invalidQoS)
    }

    @Test func everyProperPrefixIsTruncated() {
        let bytes = valid()
        for n in 0..<bytes.count {
            let error = decodeError(Array(bytes[0..<n]))
            #expect(error?.kind == .truncated, "prefix of \(n) bytes: \(String(describing: error))")
        }
    }

    @Test func truncatedTopicMessageSaysWhatAndWhere() {
        // Declares a 12-byte topic but only 3 bytes follow.
        var bytes: [UInt8] = [0x01, 0x00] + Array(repeating: 0, count: 16) + [0x00, 0x0c]
        bytes += Array("abc".utf8)
        let error = decodeError(bytes)
        #expect(error?.kind == .truncated)
        #expect(error?.description == "truncated topic: declared 12 bytes, 3 remain at offset 20")
    }

    @Test func rejectsEmptyTopic() {
        let bytes: [UInt8] = [0x01, 0x00] + Array(repeating: 0, count: 16) + [0x00, 0x00, 0, 0, 0, 0]
        #expect(decodeError(bytes)?.kind == .emptyTopic)
    }

    @Test func rejectsNULInTopic() {
        var bytes = valid()
        bytes[25] = 0x00
        let error = decodeError(bytes)
        #expect(error?.kind == .topicContainsNUL)
        #expect(error?.offset == 25)
    }

    @Test func rejectsInvalidUTF8InTopic() {
        for bad: [UInt8] in [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]] {
            var bytes: [UInt8] = [0x01, 0x00] + Array(repeating: 0, count: 16)
            bytes += [0x00, UInt8(bad.count)] + bad + [0, 0, 0, 0]
            #expect(decodeError(bytes)?.kind == .topicNotUTF8, "\(bad)")
        }
    }

    @Test func rejectsTrailingBytes() {
        let error = decodeError(valid() + [0x00])
        #expect(error?.kind == .trailingBytes)
        #expect(error?.offset == 101)
    }

    @Test func rejectsOversizedPayloadLength() {
        var bytes = valid()
        // Payload length field at offset 20 + 27 = 47.
        bytes.replaceSubrange(47..<51, with: [0xff, 0xff, 0xff, 0xff])
        let error = decodeError(bytes)
        #expect(error?.kind == .tooLarge)
        #expect(error?.offset == 47)
    }

    @Test func rejectsShortPayload() {
        var bytes = valid()
        bytes.replaceSubrange(47..<51, with: [0x00, 0x00, 0x00, 0x33])  // 51 declared, 50 present
        let error = decodeError(bytes)
        #expect(error?.kind == .truncated)
        #expect(error?.description == "truncated payload: declared 51 bytes, 50 remain at offset 51")
    }

    // MARK: - Properties

    static let entries = zip(
        Gen.uint64(), Gen.int64(), Gen.uint8(in: 0...2), Gen.bool,
        Gen.character(in: "\u{1}"..."\u{2FFF}").string(of: 1...40),
        Gen.uint8().array(of: 0...300)
    ).map { index, time, qos, retain, topic, payload in
        try! Entry(index: index, receivedAt: time, qos: qos, retain: retain, topic: topic, payload: payload)
    }

    @Test func randomEntriesRoundTrip() async {
        await propertyCheck(count: 300, input: Self.entries) { entry in
            let bytes = entry.encode()
            #expect(bytes.count == entry.encodedSize)
            #expect((try? Entry(decoding: bytes)) == entry)
        }
    }

    @Test func randomBytesNeverCrashAndAcceptedInputIsCanonical() async {
        await propertyCheck(count: 2000, input: Gen.uint8().array(of: 0...80)) { bytes in
            if let entry = try? Entry(decoding: bytes) {
                #expect(entry.encode() == bytes)
            }
        }
    }

    @Test func mutatedEntriesNeverCrashAndAcceptedInputIsCanonical() async {
        let mutations = zip(Self.entries, Gen.int(in: 0...10_000), Gen.uint8(in: 1...255), Gen.int(in: -3...3))
        await propertyCheck(count: 1000, input: mutations) { entry, position, xor, lengthChange in
            var bytes = entry.encode()
            bytes[position % bytes.count] ^= xor
            if lengthChange > 0 { bytes += Array(repeating: 0x41, count: lengthChange) }
            if lengthChange < 0 { bytes.removeLast(min(bytes.count, -lengthChange)) }
            if let decoded = try? Entry(decoding: bytes) {
                #expect(decoded.encode() == bytes)
            }
        }
    }

    @Test func seededRandomBytesAfterAValidHeader() {
        // Headers that look right followed by noise reach the deeper fields.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for _ in 0..<20_000 {
            var bytes: [UInt8] = [0x01, UInt8(next() % 8)]
            let n = Int(next() % 64)
            for _ in 0..<n { bytes.append(UInt8(truncatingIfNeeded: next())) }
            if bytes.count > 19 { bytes[18] = 0; bytes[19] = UInt8(next() % 8) }
            if let e = try? Entry(decoding: bytes) { #expect(e.encode() == bytes) }
        }
    }
}
