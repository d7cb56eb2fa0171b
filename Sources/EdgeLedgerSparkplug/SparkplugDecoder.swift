import EdgeLedgerCore
import SwiftProtobuf

/// The Sparkplug B `Payload` message generated from Eclipse Tahu's `sparkplug_b.proto`.
public typealias SparkplugPayload = Org_Eclipse_Tahu_Protobuf_Payload
/// A metric of a ``SparkplugPayload``.
public typealias SparkplugMetric = Org_Eclipse_Tahu_Protobuf_Payload.Metric
/// Sparkplug B data types (`Metric.datatype`).
public typealias SparkplugDataType = Org_Eclipse_Tahu_Protobuf_DataType

/// Decodes the messages of a `format = "sparkplug_b"` topic, bounded: the size is bounded by
/// `ingest.max_payload_bytes` before this runs, the nesting of messages (templates in metrics in
/// templates, data sets, property sets) by ``maximumNestingDepth``.
public enum SparkplugDecoder {
    /// Deepest nesting of protobuf messages accepted (the payload itself is 1, a metric 2, a
    /// template in it 3, …): 15 levels of templates, far beyond what edge nodes send, and a
    /// recursion depth no thread stack notices.
    public static let maximumNestingDepth = 32

    /// The name of the NBIRTH/NDEATH metric that carries the birth/death sequence number.
    public static let bdSeqMetricName = "bdSeq"

    private static let options: BinaryDecodingOptions = {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = maximumNestingDepth
        options.discardUnknownFields = true  // the raw bytes are the evidence; nothing is re-encoded
        return options
    }()

    /// Decodes one message: parses `topic`, then the payload (a protobuf `Payload`, or for
    /// STATE a JSON object).
    ///
    /// - Throws: ``SparkplugDecodingError`` naming what is wrong.
    public static func decode(
        topic: String, payload: UnsafeRawBufferPointer
    ) throws(SparkplugDecodingError)
        -> SparkplugMessage
    {
        let parsed = try SparkplugTopic(parsing: topic)
        if parsed.messageType == .state {
            if let problem = JSONSyntax.objectProblem(payload) {
                throw SparkplugDecodingError(.payload, "STATE must be a JSON object: \(problem)")
            }
            return SparkplugMessage(topic: parsed)
        }
        let summary: SparkplugPayloadScanner.Summary
        if let fast = SparkplugPayloadScanner.scan(payload) {
            summary = fast
        } else {
            summary = Self.summary(of: try decodePayload(Array(payload)))
        }
        var message = SparkplugMessage(
            topic: parsed, seq: summary.seq, timestamp: summary.timestamp, metricCount: summary.metricCount)
        if parsed.messageType == .nbirth || parsed.messageType == .ndeath {
            message.bdSeq = summary.bdSeq
        }
        return message
    }

    /// What ``SparkplugPayloadScanner`` reads, from a payload the generated types decoded.
    public static func summary(of decoded: SparkplugPayload) -> SparkplugPayloadScanner.Summary {
        SparkplugPayloadScanner.Summary(
            timestamp: decoded.hasTimestamp ? decoded.timestamp : nil, seq: decoded.hasSeq ? decoded.seq : nil,
            metricCount: decoded.metrics.count, bdSeq: bdSeq(in: decoded))
    }

    /// Decodes one message whose payload is in an array, like
    /// ``decode(topic:payload:)-(_,UnsafeRawBufferPointer)``.
    ///
    /// - Throws: ``SparkplugDecodingError`` naming what is wrong.
    public static func decode(topic: String, payload: [UInt8]) throws(SparkplugDecodingError) -> SparkplugMessage {
        let result = payload.withUnsafeBytes { bytes in
            Result { () throws(SparkplugDecodingError) in try decode(topic: topic, payload: bytes) }
        }
        return try result.get()
    }

    /// Decodes a protobuf `Payload`, bounded by ``maximumNestingDepth``.
    ///
    /// - Throws: ``SparkplugDecodingError`` (`.payload` or `.tooDeep`).
    public static func decodePayload(_ bytes: [UInt8]) throws(SparkplugDecodingError) -> SparkplugPayload {
        do {
            // `partial`: Tahu's proto has no required fields, so the check for them after
            // decoding (a walk over every metric) can never fail; skipping it is 2 % of ingest.
            return try SparkplugPayload(serializedBytes: bytes, partial: true, options: options)
        } catch BinaryDecodingError.messageDepthLimit {
            throw SparkplugDecodingError(.tooDeep, "messages nested deeper than \(maximumNestingDepth) levels")
        } catch let error as BinaryDecodingError {
            throw SparkplugDecodingError(.payload, "not a protobuf Payload (\(describe(error)))")
        } catch {
            throw SparkplugDecodingError(.payload, "not a protobuf Payload (\(error))")
        }
    }

    /// The `bdSeq` metric's value (an integer of any width), or `nil`.
    static func bdSeq(in payload: SparkplugPayload) -> UInt64? {
        guard let metric = payload.metrics.first(where: { $0.name == bdSeqMetricName }) else { return nil }
        switch metric.value {
        case .longValue(let v): return v
        case .intValue(let v): return UInt64(v)
        default: return nil
        }
    }

    private static func describe(_ error: BinaryDecodingError) -> String {
        switch error {
        case .truncated: "truncated"
        case .trailingGarbage: "trailing garbage"
        case .invalidUTF8: "a string is not valid UTF-8"
        case .malformedProtobuf: "malformed wire format"
        case .missingRequiredFields: "required fields missing"
        default: "\(error)"
        }
    }
}
