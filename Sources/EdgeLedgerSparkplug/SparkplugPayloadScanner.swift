/// The ingest path's fast reading of a Sparkplug B `Payload`: one pass over the protobuf wire
/// format, no message objects, for the shape nearly every message has — a timestamp, a `seq` and
/// metrics with scalar values.
///
/// It answers only when it is sure: it returns `nil` (and ``SparkplugDecoder`` then decodes with
/// the generated swift-protobuf types, which decide) for anything outside that shape — a metric
/// with metadata, properties, a data set, a template or an extension value, a known field with an
/// unexpected wire type, a group, a varint longer than 9 bytes, a field number out of range — and
/// for anything malformed (truncated, a length beyond the end, a string that is not UTF-8). Where
/// it answers, the generated decoder accepts the same bytes and reads the same summary (tests
/// and the `sparkplug` fuzz target compare the two).
///
/// Measured: swift-protobuf's decoding of an NDATA with 10 metrics was ~16 % of the agent's CPU
/// per reading (each `Metric` is a heap-allocated storage class); see docs/PERFORMANCE.md.
public enum SparkplugPayloadScanner {
    /// What the ledger reads from a payload.
    public struct Summary: Sendable, Hashable {
        /// The payload's `timestamp` (field 1), when present.
        public var timestamp: UInt64?
        /// The payload's `seq` (field 3), when present.
        public var seq: UInt64?
        /// The number of metrics (field 2).
        public var metricCount = 0
        /// The value of the first metric named `bdSeq`, when it holds an integer.
        public var bdSeq: UInt64?

        /// A summary from its parts.
        public init(timestamp: UInt64? = nil, seq: UInt64? = nil, metricCount: Int = 0, bdSeq: UInt64? = nil) {
            self.timestamp = timestamp
            self.seq = seq
            self.metricCount = metricCount
            self.bdSeq = bdSeq
        }
    }

    /// The summary of `bytes`, or `nil`: not this fast path's to decide (see the type's notes).
    public static func scan(_ bytes: UnsafeRawBufferPointer) -> Summary? {
        var reader = Reader(bytes: bytes, position: 0, end: bytes.count)
        var summary = Summary()
        var bdSeqFound = false
        while reader.position < reader.end {
            guard let (field, wire) = reader.tag() else { return nil }
            switch (field, wire) {
            case (1, 0):
                guard let v = reader.varint() else { return nil }
                summary.timestamp = v
            case (2, 2):
                guard let body = reader.lengthDelimited(), let metric = scanMetric(body) else { return nil }
                summary.metricCount += 1
                if !bdSeqFound, metric.isBdSeq {
                    bdSeqFound = true
                    summary.bdSeq = metric.integer
                }
            case (3, 0):
                guard let v = reader.varint() else { return nil }
                summary.seq = v
            case (4, 2):
                guard let body = reader.lengthDelimited(), isUTF8(body) else { return nil }
            case (5, 2):
                guard reader.lengthDelimited() != nil else { return nil }
            case (1...5, _):
                return nil  // a known field with another wire type: the generated decoder decides
            default:
                guard reader.skip(wire) else { return nil }
            }
        }
        return summary
    }

    private struct Metric {
        var isBdSeq = false
        /// The value when it is `int_value` or `long_value` (the last value field wins, as in a oneof).
        var integer: UInt64?
    }

    private static func scanMetric(_ bytes: UnsafeRawBufferPointer) -> Metric? {
        var reader = Reader(bytes: bytes, position: 0, end: bytes.count)
        var metric = Metric()
        while reader.position < reader.end {
            guard let (field, wire) = reader.tag() else { return nil }
            switch (field, wire) {
            case (1, 2):
                guard let name = reader.lengthDelimited(), isUTF8(name) else { return nil }
                metric.isBdSeq = name.elementsEqual(SparkplugDecoder.bdSeqMetricName.utf8)
            case (2...7, 0):
                guard reader.varint() != nil else { return nil }
            case (14, 0):
                guard reader.varint() != nil else { return nil }
                metric.integer = nil
            case (10, 0):
                guard let v = reader.varint() else { return nil }
                metric.integer = UInt64(UInt32(truncatingIfNeeded: v))
            case (11, 0):
                guard let v = reader.varint() else { return nil }
                metric.integer = v
            case (12, 5), (13, 1):
                guard reader.skip(wire) else { return nil }
                metric.integer = nil
            case (15, 2):
                guard let text = reader.lengthDelimited(), isUTF8(text) else { return nil }
                metric.integer = nil
            case (16, 2):
                guard reader.lengthDelimited() != nil else { return nil }
                metric.integer = nil
            case (1...19, _):
                return nil  // nested messages (8, 9, 17, 18, 19) or an unexpected wire type
            default:
                guard reader.skip(wire) else { return nil }
            }
        }
        return metric
    }

    private static func isUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }

    /// A cursor over the wire format.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position: Int
        let end: Int

        /// A varint of at most 9 bytes (anything longer is left to the generated decoder).
        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < end, shift < 63 {
                let byte = bytes[position]
                position += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }

        /// A field's number (1…2²⁹−1) and wire type: a 32-bit varint of at most 5 bytes, the
        /// fifth at most 15, as the generated decoder requires (a longer, zero-padded tag is
        /// valid varint but malformed protobuf: the fuzz target found the difference).
        mutating func tag() -> (Int, UInt8)? {
            var key: UInt64 = 0
            for i in 0..<5 {
                guard position < end else { return nil }
                let byte = bytes[position]
                position += 1
                if i == 4, byte > 15 { return nil }
                key |= UInt64(byte & 0x7F) << UInt64(7 * i)
                if byte & 0x80 == 0 { break }
            }
            guard key >> 3 >= 1 else { return nil }
            return (Int(key >> 3), UInt8(key & 7))
        }

        /// The bytes of a length-delimited field.
        mutating func lengthDelimited() -> UnsafeRawBufferPointer? {
            guard let length = varint(), length <= UInt64(end - position) else { return nil }
            let start = position
            position += Int(length)
            return UnsafeRawBufferPointer(rebasing: bytes[start..<position])
        }

        /// Skips an unknown field's value; `nil` for groups (wire types 3, 4) and invalid types.
        mutating func skip(_ wire: UInt8) -> Bool {
            switch wire {
            case 0: return varint() != nil
            case 1, 5:
                let size = wire == 1 ? 8 : 4
                guard end - position >= size else { return false }
                position += size
                return true
            case 2: return lengthDelimited() != nil
            default: return false
            }
        }
    }
}
