import EdgeLedgerCore
import EdgeLedgerGateway
import Testing

@Suite struct ReadingValidatorTests {
    let validator = ReadingValidator(
        topics: [
            MQTTTopicConfiguration(filter: MQTTTopicFilter("factory/+/telemetry")!, qos: 1, format: .json),
            MQTTTopicConfiguration(filter: MQTTTopicFilter("factory/+/raw")!, qos: 0, format: .raw),
        ],
        limits: IngestConfiguration(maxPayloadBytes: 100, maxTopicBytes: 40))

    private func check(_ topic: [UInt8], _ payload: [UInt8]) -> Result<ReadingValidator.Accepted, Rejection> {
        topic.withUnsafeBytes { t in payload.withUnsafeBytes { p in validator.validate(topic: t, payload: p) } }
    }

    private func reason(_ topic: String, _ payload: String) -> RejectionReason? {
        if case .failure(let r) = check(Array(topic.utf8), Array(payload.utf8)) { return r.reason }
        return nil
    }

    @Test func acceptsMatchingReadings() throws {
        #expect(
            try check(Array("factory/p1/telemetry".utf8), Array(#"{"v":1}"#.utf8)).get().topic == "factory/p1/telemetry"
        )
        #expect(try check(Array("factory/p1/raw".utf8), Array("x".utf8)).get().topicIndex == 1)
        #expect(reason("factory/p1/raw", "not json at all") == nil)
        #expect(reason("factory/p1/raw", "") == nil)
    }

    @Test func rejectsEachProblemWithItsReason() {
        #expect(reason("factory/p1/debug", "{}") == .topicNotConfigured)
        #expect(reason("factory/p1/telemetry", "[1]") == .payloadNotJSONObject)
        #expect(reason("factory/p1/telemetry", "{") == .payloadNotJSONObject)
        #expect(reason("factory/p1/raw", String(repeating: "x", count: 101)) == .payloadTooLarge)
        #expect(reason("factory/" + String(repeating: "a", count: 40) + "/raw", "x") == .topicTooLong)
        if case .failure(let r) = check([0x66, 0xff, 0x2f], Array("{}".utf8)) {
            #expect(r.reason == .topicNotUTF8)
        } else {
            Issue.record("invalid UTF-8 topic accepted")
        }
    }

    @Test func rejectionDetailSaysWhatIsWrong() throws {
        guard case .failure(let r) = check(Array("factory/p/raw".utf8), Array(repeating: 1, count: 150)) else {
            Issue.record("oversized payload accepted")
            return
        }
        #expect(r.detail.contains("150") && r.detail.contains("100"))
    }

    @Test func rememberingGivesTheSameVerdictsPastTheCacheLimit() {
        var remembering = validator
        let topics = (0..<(ReadingValidator.matchCacheLimit + 500)).flatMap { n in
            ["factory/p\(n)/telemetry", "factory/p\(n)/raw", "factory/p\(n)/debug", "other/p\(n)/telemetry"]
        }
        let payload = Array(#"{"v":1}"#.utf8)
        var mismatches = 0
        for round in 0..<2 {
            for topic in topics where round == 0 || topic.hasSuffix("7/telemetry") {
                let bytes = Array(topic.utf8)
                let plain = check(bytes, payload)
                let cached = bytes.withUnsafeBytes { t in
                    payload.withUnsafeBytes { p in remembering.validateRemembering(topic: t, payload: p) }
                }
                if "\(plain)" != "\(cached)" { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
        #expect(reason("factory/p1/debug", "{}") == .topicNotConfigured)
    }
}
