import EdgeLedgerCore
import EdgeLedgerSparkplug
import Testing

@Suite struct SparkplugHostStateTests {
    private let node = SparkplugNode(groupID: "plant-7", edgeNodeID: "press-1")
    private let second: Int64 = 1_000_000_000

    private func message(
        _ type: SparkplugAttributes.MessageType, seq: UInt64? = nil, bdSeq: UInt64? = nil, timestamp: UInt64? = 1
    ) -> SparkplugMessage {
        var topic = try! SparkplugTopic(parsing: "spBv1.0/plant-7/NDATA/press-1")
        topic.messageType = type
        topic.deviceID = type.isDeviceMessage ? "spindle" : nil
        return SparkplugMessage(topic: topic, seq: seq, bdSeq: bdSeq, timestamp: timestamp)
    }

    @Test func aBornNodeCountingOnHasNoGapAcrossTheWrap() {
        var state = SparkplugHostState()
        #expect(state.observe(message(.nbirth, seq: 0, bdSeq: 1), now: 0).gap == nil)
        for i in 1...600 {
            let type: SparkplugAttributes.MessageType = i % 3 == 0 ? .ddata : .ndata
            let seen = state.observe(message(type, seq: UInt64(i % 256)), now: Int64(i))
            #expect(seen.gap == nil, "seq \(i % 256)")
        }
        #expect(state.nodeCount == 1 && state.aliveCount == 1)
    }

    @Test func aSeqGapIsOneGapWithTheMissedCountAndARebirth() throws {
        var state = SparkplugHostState()
        _ = state.observe(message(.nbirth, seq: 0, bdSeq: 1), now: 0)
        _ = state.observe(message(.ndata, seq: 1), now: 1)
        let seen = state.observe(message(.ndata, seq: 5), now: 2)
        let gap = try #require(seen.gap)
        #expect(gap.kind == .sequenceGap && gap.expectedSeq == 2 && gap.receivedSeq == 5 && gap.missed == 3)
        #expect(seen.rebirth == node && gap.rebirthRequested)
        #expect(gap.topic == "$edge-ledger/sparkplug/gap/plant-7/press-1")
        // Resynchronised: the next message in order is no gap.
        #expect(state.observe(message(.ndata, seq: 6), now: 3).gap == nil)
        // Wrapped gap: 255 expected after 254, 1 received.
        var wrap = SparkplugHostState()
        _ = wrap.observe(message(.nbirth, seq: 254, bdSeq: 1), now: 0)
        #expect(wrap.observe(message(.ndata, seq: 1), now: 1).gap?.missed == 2)
    }

    @Test func aMessageDeliveredAgainIsNoGapAndTheSequenceGoesOn() throws {
        var state = SparkplugHostState()
        _ = state.observe(message(.nbirth, seq: 0, bdSeq: 1, timestamp: 100), now: 0)
        for i in 1...5 as ClosedRange<UInt64> {
            #expect(state.observe(message(.ndata, seq: i, timestamp: 100 + i), now: Int64(i)).gap == nil)
        }
        // After a reconnect the broker delivers 4 and 3 again, and the birth: the same seq and
        // timestamp as before. Not a gap, no rebirth.
        for (seq, type) in [(4, .ndata), (3, .ndata), (0, .nbirth)] as [(UInt64, SparkplugAttributes.MessageType)] {
            let again = state.observe(message(type, seq: seq, bdSeq: 1, timestamp: 100 + seq), now: 6)
            #expect(again.redelivered && again.gap == nil && again.rebirth == nil, "seq \(seq)")
        }
        // The sequence goes on where it was.
        #expect(state.observe(message(.ndata, seq: 6, timestamp: 106), now: 7).gap == nil)
        // A recent seq with a new timestamp is a loss (here of 254 messages), not a redelivery.
        let lost = state.observe(message(.ndata, seq: 5, timestamp: 400), now: 8)
        #expect(!lost.redelivered && lost.gap?.kind == .sequenceGap && lost.gap?.expectedSeq == 7)
        // Without a timestamp nothing tells a repeat from a loss: a gap, as before.
        var bare = SparkplugHostState()
        _ = bare.observe(message(.nbirth, seq: 0, bdSeq: 1, timestamp: nil), now: 0)
        _ = bare.observe(message(.ndata, seq: 1, timestamp: nil), now: 1)
        #expect(bare.observe(message(.ndata, seq: 1, timestamp: nil), now: 2).gap?.kind == .sequenceGap)
        // Only the last 16 messages are remembered, and a birth forgets them.
        var long = SparkplugHostState()
        _ = long.observe(message(.nbirth, seq: 0, bdSeq: 1, timestamp: 0), now: 0)
        for i in 1...17 as ClosedRange<UInt64> { _ = long.observe(message(.ndata, seq: i, timestamp: i), now: 1) }
        #expect(long.observe(message(.ndata, seq: 2, timestamp: 2), now: 2).redelivered)
        #expect(long.observe(message(.ndata, seq: 1, timestamp: 1), now: 2).gap?.kind == .sequenceGap)
        _ = long.observe(message(.nbirth, seq: 0, bdSeq: 2, timestamp: 50), now: 3)
        #expect(long.observe(message(.ndata, seq: 2, timestamp: 2), now: 4).gap?.kind == .sequenceGap)
    }

    @Test func rebirthRequestsAreRateLimitedPerNodeButEveryGapIsReported() {
        var state = SparkplugHostState(rebirthMinInterval: .seconds(30))
        _ = state.observe(message(.nbirth, seq: 0, bdSeq: 1), now: 0)
        let first = state.observe(message(.ndata, seq: 9), now: 1 * second)
        let second = state.observe(message(.ndata, seq: 20), now: 2 * self.second)
        let later = state.observe(message(.ndata, seq: 40), now: 32 * self.second)
        #expect(first.rebirth == node && second.rebirth == nil && later.rebirth == node)
        #expect(first.gap != nil && second.gap != nil && later.gap != nil)
        #expect(second.gap?.rebirthRequested == false)
        var off = SparkplugHostState(rebirthEnabled: false)
        _ = off.observe(message(.nbirth, seq: 0, bdSeq: 1), now: 0)
        let seen = off.observe(message(.ndata, seq: 9), now: 1)
        #expect(seen.gap?.kind == .sequenceGap && seen.rebirth == nil)
    }

    @Test func aFirstMessageWithoutBirthIsStateUnknown() throws {
        var state = SparkplugHostState()
        let seen = state.observe(message(.ddata, seq: 77), now: 0)
        let gap = try #require(seen.gap)
        #expect(gap.kind == .stateUnknown && gap.receivedSeq == 77 && gap.deviceID == "spindle")
        #expect(seen.rebirth == node)
        #expect(state.observe(message(.ndata, seq: 78), now: 1).gap == nil)
        // A death of an unknown node is recorded, but a dead node is not asked to rebirth.
        var fresh = SparkplugHostState()
        let death = fresh.observe(message(.ndeath, bdSeq: 3), now: 0)
        #expect(death.gap?.kind == .stateUnknown && death.rebirth == nil)
    }

    @Test func dataAfterDeathBeforeBirthIsAGap() throws {
        var state = SparkplugHostState()
        _ = state.observe(message(.nbirth, seq: 0, bdSeq: 4), now: 0)
        #expect(state.observe(message(.ndeath, bdSeq: 4), now: 1).gap == nil)
        #expect(state.aliveCount == 0)
        let seen = state.observe(message(.ndata, seq: 3), now: 40 * second)
        #expect(seen.gap?.kind == .dataBeforeBirth && seen.rebirth == node)
        // A new birth resets everything.
        #expect(state.observe(message(.nbirth, seq: 0, bdSeq: 5), now: 41 * second).gap == nil)
        #expect(state.observe(message(.ndata, seq: 1), now: 42 * second).gap == nil)
    }

    @Test func aDeathWithAnotherBdSeqIsAMismatchAndTheNodeStaysAlive() throws {
        var state = SparkplugHostState()
        _ = state.observe(message(.nbirth, seq: 0, bdSeq: 7), now: 0)
        let seen = state.observe(message(.ndeath, bdSeq: 6), now: 1)
        let gap = try #require(seen.gap)
        #expect(gap.kind == .bdSeqMismatch && gap.expectedBdSeq == 7 && gap.receivedBdSeq == 6)
        #expect(seen.rebirth == node && state.aliveCount == 1)
        #expect(state.observe(message(.ndata, seq: 1), now: 2).gap == nil)
    }

    @Test func commandsAndStateChangeNothing() {
        var state = SparkplugHostState()
        #expect(state.observe(message(.ncmd), now: 0).gap == nil)
        let host = try! SparkplugTopic(parsing: "spBv1.0/STATE/scada")
        #expect(state.observe(SparkplugMessage(topic: host), now: 0).gap == nil)
        #expect(state.nodeCount == 0)
    }

    @Test func theGapEntryIsJSONThatSaysWhatHappened() throws {
        var state = SparkplugHostState()
        _ = state.observe(message(.nbirth, seq: 0, bdSeq: 1), now: 0)
        let gap = try #require(state.observe(message(.ndata, seq: 4), now: 1_767_225_600_000_000_000).gap)
        let json = gap.json()
        #expect(JSONSyntax.objectProblem(json) == nil)
        let text = String(decoding: json, as: UTF8.self)
        for part in [
            #""kind":"sequence_gap""#, #""group":"plant-7""#, #""edge_node":"press-1""#, #""expected_seq":1"#,
            #""received_seq":4"#, #""missed":3"#, #""detected_at":"2026-01-01T00:00:00.000000000Z""#,
            #""rebirth_requested":true"#,
        ] {
            #expect(text.contains(part), "\(part) in \(text)")
        }
    }

    @Test func theRebirthCommandCarriesTheControlMetric() throws {
        let bytes = SparkplugEncoder.rebirthCommand(timestamp: 1_767_225_600_000)
        let payload = try SparkplugDecoder.decodePayload(bytes)
        #expect(payload.timestamp == 1_767_225_600_000)
        #expect(payload.metrics.count == 1)
        #expect(payload.metrics[0].name == "Node Control/Rebirth" && payload.metrics[0].booleanValue)
        #expect(payload.metrics[0].datatype == UInt32(SparkplugDataType.boolean.rawValue))
    }
}
