import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerTestSupport
import Foundation
import Testing

@Suite("CLI export")
struct CLIExportTests {
    /// Readings that exercise the JSON encoding: escapes, non-ASCII, binary, empty payloads.
    static let special: [ReadingInput] = [
        ReadingInput(
            receivedAt: 1_700_000_000_123_456_789, qos: 1, retain: false, topic: "plant/\"quoted\"/a\\b",
            payload: Array("{\"t\":\"line1\nline2\ttab \u{1}ctl é 温度 🌡\"}".utf8)),
        ReadingInput(receivedAt: -1, qos: 2, retain: true, topic: "plant/bin", payload: [0xff, 0x00, 0xfe, 0x80]),
        ReadingInput(receivedAt: 0, qos: 0, retain: false, topic: "plant/empty", payload: []),
    ]

    static func jsonObjects(_ r: CLIResult) throws -> [[String: Any]] {
        try r.lines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "not a JSON object: \(line)")
        }
    }

    @Test("jsonl: one object per entry with every field, correct escaping and RFC 3339 nanosecond times")
    func jsonlFields() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        try TestLedger.build(at: db, readings: Self.special + TestLedger.readings(20))
        let r = try EdgeLedgerBinary.run(["export", "--db", db])
        #expect(r.code == 0, "\(r.stderr)")
        let objects = try Self.jsonObjects(r)
        #expect(objects.count == 23)
        #expect(r.stderr.contains("exported 23 entries, 0 duplicates"))

        let reader = try LedgerReader(path: db, hasher: OpenSSLHasher.sha256)
        let hashes = try reader.leafHashes(from: 0, to: 23)
        for (i, object) in objects.enumerated() {
            #expect(object["index"] as? Int == i)
            #expect(object["leaf_hash"] as? String == hashes[i].hex)
        }
        let first = objects[0]
        #expect(first["received_at"] as? String == "2023-11-14T22:13:20.123456789Z")
        #expect((first["received_at_ns"] as? NSNumber)?.int64Value == 1_700_000_000_123_456_789)
        #expect(first["topic"] as? String == "plant/\"quoted\"/a\\b")
        #expect(first["qos"] as? Int == 1)
        #expect(first["retain"] as? Bool == false)
        #expect(first["payload"] as? String == "{\"t\":\"line1\nline2\ttab \u{1}ctl é 温度 🌡\"}")
        #expect(first["payload_base64"] == nil)

        let binary = objects[1]
        #expect(binary["received_at"] as? String == "1969-12-31T23:59:59.999999999Z")
        #expect(binary["payload"] == nil)
        #expect(binary["payload_base64"] as? String == "/wD+gA==")
        #expect(binary["retain"] as? Bool == true)
        #expect(binary["qos"] as? Int == 2)

        let empty = objects[2]
        #expect(empty["received_at"] as? String == "1970-01-01T00:00:00.000000000Z")
        #expect(empty["payload"] as? String == "")
    }

    @Test("jsonl: a format-v2 entry shows its attributes; duplicates ignore them; the store verifies")
    func jsonlAttributes() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        let attributes = EntryAttributes(
            deviceTime: 1_700_000_000_100_000_000, contentType: "application/json",
            userProperties: [EntryUserProperty(name: "line", value: "2"), .init(name: "line", value: "3")],
            sparkplug: SparkplugAttributes(
                messageType: .ddata, groupID: "g", edgeNodeID: "n", deviceID: "d", seq: 7, timestamp: 1_700_000_000_100)
        )
        let plain = ReadingInput(receivedAt: 1, qos: 1, topic: "plant/a", payload: Array("{}".utf8))
        var attributed = plain
        attributed.attributes = attributes
        let ledger = try TestLedger.build(at: db, readings: [attributed, plain])
        let r = try EdgeLedgerBinary.run(["export", "--db", db])
        #expect(r.code == 0, "\(r.stderr)")
        let objects = try Self.jsonObjects(r)
        #expect(objects.count == 2)
        #expect(r.stderr.contains("exported 2 entries, 1 duplicate "))
        let first = objects[0]
        #expect(first["device_time"] as? String == "2023-11-14T22:13:20.100000000Z")
        #expect((first["device_time_ns"] as? NSNumber)?.int64Value == 1_700_000_000_100_000_000)
        #expect(first["content_type"] as? String == "application/json")
        let properties = try #require(first["user_properties"] as? [[String: String]])
        #expect(properties == [["name": "line", "value": "2"], ["name": "line", "value": "3"]])
        let sparkplug = try #require(first["sparkplug"] as? [String: Any])
        #expect(sparkplug["type"] as? String == "DDATA")
        #expect(sparkplug["device_id"] as? String == "d")
        #expect(sparkplug["seq"] as? Int == 7)
        #expect(sparkplug["bd_seq"] == nil)
        #expect(objects[1]["device_time"] == nil && objects[1]["user_properties"] == nil)
        let verify = try EdgeLedgerBinary.run(["verify", "--db", db, "--verifier-key", ledger.verifierKey.string])
        #expect(verify.code == 0, "\(verify.stderr)")
    }

    @Test("raw: big-endian uint16 length + encoded entry, as in a tlog-tiles entry bundle")
    func rawFraming() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        let readings = Self.special + TestLedger.readings(300)
        try TestLedger.build(at: db, readings: readings, sealEvery: 256)
        let r = try EdgeLedgerBinary.run(["export", "--db", db, "--format", "raw"])
        #expect(r.code == 0, "\(r.stderr)")
        var bytes = r.stdoutBytes[...]
        var entries: [Entry] = []
        while !bytes.isEmpty {
            let length = Int(bytes[bytes.startIndex]) << 8 | Int(bytes[bytes.startIndex + 1])
            let body = bytes.dropFirst(2).prefix(length)
            try #require(body.count == length, "truncated frame")
            entries.append(try Entry(decoding: body))
            bytes = bytes.dropFirst(2 + length)
        }
        #expect(entries.count == readings.count)
        for (i, entry) in entries.enumerated() {
            #expect(entry.index == UInt64(i))
            #expect(entry.topic == readings[i].topic && entry.payload == readings[i].payload)
        }
        // The first 256 entries are exactly the store's full entry bundle 0.
        let bundle = try LedgerReader(path: db, hasher: OpenSSLHasher.sha256).entryBundle(index: 0, width: 256)
        let bundleBytes = try #require(bundle)
        #expect(Array(r.stdoutBytes.prefix(bundleBytes.count)) == bundleBytes)
    }

    @Test("--from/--to select the half-open range FROM ..< TO")
    func range() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        try TestLedger.build(at: db, readings: TestLedger.readings(50))
        let r = try EdgeLedgerBinary.run(["export", "--db", db, "--from", "10", "--to", "20"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(try Self.jsonObjects(r).map { $0["index"] as? Int } == Array(10..<20))
        let tail = try EdgeLedgerBinary.run(["export", "--db", db, "--from", "45", "--to", "1000"])
        #expect(try Self.jsonObjects(tail).map { $0["index"] as? Int } == Array(45..<50))
        let past = try EdgeLedgerBinary.run(["export", "--db", db, "--from", "80", "--summary"])
        #expect(past.code == 0)
        #expect(
            past.stdout
                == "{\"entries\":0,\"duplicates\":0,\"deduplicated\":0,\"pruned\":0,\"first\":null,\"last\":null}\n")
        let backwards = try EdgeLedgerBinary.run(["export", "--db", db, "--from", "20", "--to", "10"])
        #expect(backwards.code != 0)
        #expect(backwards.stderr.contains("--to 10 is before --from 20"))
    }

    @Test("duplicates (same topic and payload seen earlier in the range) are counted; --summary prints JSON")
    func duplicatesAndSummary() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        var readings = TestLedger.readings(100)
        // Redeliveries: the same topic and payload again, received later, other flags.
        for i in [3, 3, 10, 50, 99] {
            var again = readings[i]
            again.receivedAt += 5_000_000_000
            again.qos = 1
            readings.append(again)
        }
        // Same payload on another topic is not a duplicate.
        var otherTopic = readings[7]
        otherTopic.topic = "factory/other/telemetry"
        readings.append(otherTopic)
        try TestLedger.build(at: db, readings: readings)

        let summary = try EdgeLedgerBinary.run(["export", "--db", db, "--summary"])
        #expect(summary.code == 0, "\(summary.stderr)")
        let object = try #require(try Self.jsonObjects(summary).first)
        #expect(summary.lines.count == 1)
        #expect(object["entries"] as? Int == 106)
        #expect(object["duplicates"] as? Int == 5)
        #expect(object["first"] as? Int == 0)
        #expect(object["last"] as? Int == 105)
        #expect(summary.stderr.contains("exported 106 entries, 5 duplicates"))

        // Within a range, only earlier readings of that range count: from 4, reading 3 is out of
        // range, so only its second redelivery (index 101) is a duplicate, plus 10, 50 and 99.
        let range = try EdgeLedgerBinary.run(["export", "--db", db, "--from", "4", "--summary"])
        let ranged = try #require(try Self.jsonObjects(range).first)
        #expect(ranged["duplicates"] as? Int == 4)
        #expect(ranged["first"] as? Int == 4)

        let lines = try EdgeLedgerBinary.run(["export", "--db", db])
        #expect(lines.lines.count == 106)
        #expect(lines.stderr.contains("5 duplicates"))
    }

    @Test("pruned entries export as {\"pruned\":true}; raw export refuses them by index")
    func prunedEntries() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        try TestLedger.build(at: db, readings: TestLedger.readings(10))
        try RawSQL.execute(db, "UPDATE entries SET entry = NULL WHERE idx IN (0, 1, 5)")
        let r = try EdgeLedgerBinary.run(["export", "--db", db])
        #expect(r.code == 0, "\(r.stderr)")
        let objects = try Self.jsonObjects(r)
        #expect(objects.count == 10)
        #expect(objects.map { $0["index"] as? Int } == Array(0..<10))
        for i in [0, 1, 5] {
            #expect(objects[i]["pruned"] as? Bool == true)
            #expect((objects[i]["leaf_hash"] as? String)?.count == 64)
            #expect(objects[i]["topic"] == nil)
        }
        #expect(objects[2]["pruned"] == nil)
        #expect(r.stderr.contains("3 pruned"))
        let summary = try EdgeLedgerBinary.run(["export", "--db", db, "--summary"])
        #expect(summary.stdout.contains("\"pruned\":3"))

        let raw = try EdgeLedgerBinary.run(["export", "--db", db, "--format", "raw"])
        #expect(raw.code == 1)
        #expect(raw.stderr.contains("entry 0 was pruned"))
    }

    @Test("export | head stops cleanly on a closed pipe")
    func closedPipe() throws {
        let dir = try TemporaryFolder(prefix: "edge-ledger-cli")
        let db = dir.file("ledger.db")
        try TestLedger.build(at: db, readings: TestLedger.readings(5000), sealEvery: 5000)
        let exe = try BuiltProducts.executable("edge-ledger")
        let out = dir.file("out")
        let err = dir.file("err")
        let code = dir.file("code")
        let script =
            "\"$0\" export --db \"$1\" 2>\"$2\" | head -n 2 >\"$3\"; echo \"${PIPESTATUS[0]}\" >\"$4\""
        _ = try EdgeLedgerBinary.shell(
            script, arguments: [exe, db, err, out, code], stdout: out, stderr: err, shell: "/bin/bash")
        #expect(try Files.text(code) == "0\n")
        #expect(try Files.text(out).split(separator: "\n").count == 2)
        let stderr = try Files.text(err)
        #expect(!stderr.contains("error"), "\(stderr)")
        #expect(!stderr.contains("Fatal"), "\(stderr)")
    }
}
