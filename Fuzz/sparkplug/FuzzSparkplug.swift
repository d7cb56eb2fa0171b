import EdgeLedgerCore
import EdgeLedgerSparkplug

/// libFuzzer target `sparkplug`: the Sparkplug B decoder (`SparkplugDecoder.decode`), the topic
/// parser, the ingest path's payload scanner (it must agree with the generated decoder wherever it
/// answers) and the host state's gap record.
///
/// The first byte picks the topic: 0–4 one of the namespace's shapes (the rest is the payload);
/// otherwise the input up to its first NUL is the topic and the remainder the payload. Any input
/// must decode or throw `SparkplugDecodingError`, never trap, and within the nesting bound. A
/// decoded payload must survive a round trip through the generated encoder, and a gap record
/// of a decoded message must be one JSON object.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSparkplug(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let shapes = [
        "spBv1.0/plant/NBIRTH/node", "spBv1.0/plant/NDATA/node", "spBv1.0/plant/NDEATH/node",
        "spBv1.0/plant/DDATA/node/device", "spBv1.0/STATE/host",
    ]
    let topic: String
    let payload: ArraySlice<UInt8>
    if Int(first) < shapes.count {
        topic = shapes[Int(first)]
        payload = bytes.dropFirst()
    } else {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        topic = String(decoding: bytes[..<end], as: UTF8.self)
        payload = bytes[end...].dropFirst()
    }
    // The ingest path's scanner answers only where the generated decoder agrees.
    let fast = Array(payload).withUnsafeBytes { SparkplugPayloadScanner.scan($0) }
    if let fast {
        let decoded = try? SparkplugDecoder.decodePayload(Array(payload))
        precondition(decoded != nil, "the scanner read a payload the generated decoder refuses")
        precondition(decoded.map(SparkplugDecoder.summary(of:)) == fast, "the scanner and the decoder disagree")
    }
    let message = try? SparkplugDecoder.decode(topic: topic, payload: Array(payload))
    guard let message else { return 0 }
    precondition(message.topic.messageType == .state || message.topic.node != nil, "a node message without its node")
    if message.bdSeq != nil {
        precondition(
            message.messageType == .nbirth || message.messageType == .ndeath, "bdSeq read outside NBIRTH/NDEATH")
    }
    if message.messageType != .state {
        let decoded = try! SparkplugDecoder.decodePayload(Array(payload))
        let encoded = SparkplugEncoder.encode(decoded)
        let again = try! SparkplugDecoder.decodePayload(encoded)
        // Compared as bytes: a NaN metric value is never equal to itself (found by this target).
        precondition(SparkplugEncoder.encode(again) == encoded, "a decoded payload does not survive re-encoding")
    }
    var state = SparkplugHostState()
    if let gap = state.observe(message, now: 1_767_225_600_000_000_000).gap {
        precondition(JSONSyntax.objectProblem(gap.json()) == nil, "a gap record is not one JSON object")
    }
    return 0
}
