import EdgeLedgerCore
import EdgeLedgerSparkplug
import Foundation
import Testing

/// The ingest path's fast payload reading against the generated swift-protobuf decoder: where the
/// scanner answers, the decoder must accept the same bytes and read the same summary.
@Suite struct SparkplugPayloadScannerTests {
    /// Payloads of the shapes edge nodes send: births with bdSeq, data with every scalar value
    /// type, a uuid and a body, unknown extension fields.
    static func samples() -> [[UInt8]] {
        var metrics: [SparkplugMetric] = []
        for (n, value) in [
            SparkplugMetric.OneOf_Value.intValue(7), .longValue(1 << 40), .floatValue(1.5), .doubleValue(-2.25),
            .booleanValue(true), .stringValue("läuft"), .bytesValue(Data([0, 1, 2])),
        ].enumerated() {
            var metric = SparkplugMetric()
            metric.name = "metric \(n)"
            metric.alias = UInt64(n)
            metric.timestamp = 1_767_225_600_000 + UInt64(n)
            metric.datatype = 10
            metric.isHistorical = n % 2 == 0
            metric.value = value
            metrics.append(metric)
        }
        var full = SparkplugPayload()
        full.timestamp = 1_767_225_600_123
        full.seq = 42
        full.uuid = "schema-1"
        full.body = Data([9, 9, 9])
        full.metrics = metrics
        var extended = SparkplugEncoder.encode(full)
        extended += [0x30, 0x05, 0x3D, 1, 2, 3, 4]  // fields 6 (varint) and 7 (fixed32): unknown
        var intBdSeq = SparkplugMetric()
        intBdSeq.name = SparkplugDecoder.bdSeqMetricName
        intBdSeq.value = .intValue(3)
        var intBirth = SparkplugPayload()
        intBirth.metrics = [intBdSeq]
        return [
            SparkplugEncoder.encode(full), extended, SparkplugEncoder.encode(intBirth),
            SparkplugEncoder.nodeBirth(
                timestamp: 1, bdSeq: 17, metrics: [SparkplugEncoder.metric("t", double: 1, timestamp: 2)]),
            SparkplugEncoder.nodeDeath(timestamp: 5, bdSeq: 17),
            SparkplugEncoder.payload(timestamp: 3, seq: 255, metrics: []),
            [],
        ]
    }

    static func slow(_ bytes: [UInt8]) -> SparkplugPayloadScanner.Summary? {
        (try? SparkplugDecoder.decodePayload(bytes)).map(SparkplugDecoder.summary(of:))
    }

    static func fast(_ bytes: [UInt8]) -> SparkplugPayloadScanner.Summary? {
        bytes.withUnsafeBytes { SparkplugPayloadScanner.scan($0) }
    }

    @Test func readsWhatTheGeneratedDecoderReads() throws {
        for bytes in Self.samples() {
            let fast = try #require(Self.fast(bytes), "the common shapes are read by the scanner")
            #expect(fast == Self.slow(bytes))
        }
        let birth = try #require(Self.fast(Self.samples()[3]))
        #expect(birth.bdSeq == 17 && birth.metricCount == 3 && birth.timestamp == 1 && birth.seq == 0)
        #expect(Self.fast(Self.samples()[2])?.bdSeq == 3)
    }

    @Test func leavesNestedAndOddShapesToTheGeneratedDecoder() throws {
        var metric = SparkplugMetric()
        metric.name = "table"
        metric.datasetValue = Org_Eclipse_Tahu_Protobuf_Payload.DataSet()
        var payload = SparkplugPayload()
        payload.metrics = [metric]
        let nested = SparkplugEncoder.encode(payload)
        #expect(Self.fast(nested) == nil)
        #expect(try SparkplugDecoder.decode(topic: "spBv1.0/g/NDATA/n", payload: nested).metricCount == 1)
        #expect(Self.fast([0x0A, 0x01, 0x00]) == nil, "field 1 as length-delimited: not the scanner's to decide")
        #expect(Self.fast([0x12, 0x05, 0x0A]) == nil, "a length beyond the end")
        #expect(Self.fast([0x22, 0x02, 0xC3, 0x28]) == nil, "a uuid that is not UTF-8")
        // Found by the fuzz target: a tag of 7 bytes (zero-padded varint) is valid varint but
        // malformed protobuf; the scanner must not accept it.
        #expect(Self.fast([0xF8, 0xD0, 0x80, 0xE0, 0x80, 0x80, 0x00, 0x08]) == nil)
        #expect(Self.slow([0xF8, 0xD0, 0x80, 0xE0, 0x80, 0x80, 0x00, 0x08]) == nil)
    }

    /// Bytes flipped, cut and inserted at random (deterministic seed) in the samples: wherever the
    /// scanner answers, the generated decoder must accept and agree. Fails if the scanner ever
    /// accepts what the decoder refuses, or reads another value.
    @Test func agreesWithTheGeneratedDecoderOnMutatedPayloads() {
        var random = SplitMix(seed: 0x5EED)
        var answered = 0
        let samples = Self.samples().filter { !$0.isEmpty }
        for round in 0..<20_000 {
            var bytes = samples[round % samples.count]
            for _ in 0...(random.next() % 3) {
                let at = Int(random.next() % UInt64(bytes.count + 1))
                switch random.next() % 3 {
                case 0 where at < bytes.count: bytes[at] ^= UInt8(truncatingIfNeeded: random.next() | 1)
                case 1: bytes = Array(bytes[..<at])
                default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: min(at, bytes.count))
                }
            }
            guard let fast = Self.fast(bytes) else { continue }
            answered += 1
            guard let slow = Self.slow(bytes), slow == fast else {
                Issue.record("scanner \(fast) but decoder \(String(describing: Self.slow(bytes))) for \(bytes)")
                return
            }
        }
        #expect(answered > 1_000, "the scanner answered \(answered) of 20000")
    }
}

/// A small deterministic generator for the mutation test.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
