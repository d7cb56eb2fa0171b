import EdgeLedgerCore

/// A loss the agent noticed in an edge node's messages, recorded as an entry of its own under
/// ``topicPrefix`` with ``json()`` as its payload: nothing missed is ever silent.
public struct SparkplugGap: Sendable, Hashable {
    /// What the agent noticed.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A `seq` other than the one expected (one more than the last, mod 256): messages were
        /// lost (QoS 0: the broker does not keep them) or arrived out of order.
        case sequenceGap = "sequence_gap"
        /// A data or device message after the node's NDEATH, before its next NBIRTH.
        case dataBeforeBirth = "data_before_birth"
        /// An NDEATH whose `bdSeq` is not the one of the node's NBIRTH (a stale death
        /// certificate, or a birth that was missed).
        case bdSeqMismatch = "bdseq_mismatch"
        /// The first message of a node whose birth the agent has not seen since it started
        /// (agent restarted; state unknown): what came before is unknown.
        case stateUnknown = "state_unknown"
    }

    /// Topic prefix of gap entries: `$edge-ledger/sparkplug/gap/<group>/<edge node>`. Topics
    /// starting with `$` are reserved to brokers and the agent (MQTT 3.1.1 §4.7.2): no client
    /// reading can have one, and `#` filters do not match them.
    public static let topicPrefix = "$edge-ledger/sparkplug/gap/"

    /// What was noticed.
    public var kind: Kind
    /// The edge node.
    public var node: SparkplugNode
    /// The device of the message that revealed the gap, if any.
    public var deviceID: String?
    /// The type of the message that revealed the gap.
    public var messageType: SparkplugAttributes.MessageType
    /// The `seq` expected, when known.
    public var expectedSeq: UInt64?
    /// The `seq` received, when the message had one.
    public var receivedSeq: UInt64?
    /// The `bdSeq` of the node's NBIRTH (bdSeq mismatch).
    public var expectedBdSeq: UInt64?
    /// The `bdSeq` received (bdSeq mismatch).
    public var receivedBdSeq: UInt64?
    /// When the agent noticed it, nanoseconds since the Unix epoch.
    public var detectedAt: Int64
    /// Whether a `Node Control/Rebirth` command was sent for it (off, rate-limited, or the node
    /// is dead otherwise).
    public var rebirthRequested: Bool

    /// Creates a gap record.
    public init(
        kind: Kind, node: SparkplugNode, deviceID: String? = nil, messageType: SparkplugAttributes.MessageType,
        expectedSeq: UInt64? = nil, receivedSeq: UInt64? = nil, expectedBdSeq: UInt64? = nil,
        receivedBdSeq: UInt64? = nil, detectedAt: Int64, rebirthRequested: Bool = false
    ) {
        self.kind = kind
        self.node = node
        self.deviceID = deviceID
        self.messageType = messageType
        self.expectedSeq = expectedSeq
        self.receivedSeq = receivedSeq
        self.expectedBdSeq = expectedBdSeq
        self.receivedBdSeq = receivedBdSeq
        self.detectedAt = detectedAt
        self.rebirthRequested = rebirthRequested
    }

    /// The gap entry's topic: `$edge-ledger/sparkplug/gap/<group>/<edge node>`.
    public var topic: String { Self.topicPrefix + node.groupID + "/" + node.edgeNodeID }

    /// Messages lost for a ``Kind/sequenceGap``: received − expected mod 256 (a lower bound:
    /// whole turns of 256 are invisible).
    public var missed: UInt64? {
        guard kind == .sequenceGap, let expectedSeq, let receivedSeq, receivedSeq < 256 else { return nil }
        return (receivedSeq &+ 256 &- expectedSeq) % 256
    }

    /// One sentence for logs and the entry: what happened and what the agent did.
    public var explanation: String {
        let what: String
        switch kind {
        case .sequenceGap:
            let count = missed.map { ", \($0) message(s) missed" } ?? ""
            what =
                "seq \(receivedSeq.map(String.init) ?? "?") received, \(expectedSeq.map(String.init) ?? "?") expected\(count)"
        case .dataBeforeBirth:
            what = "\(messageType.name) after the node's NDEATH, before its NBIRTH"
        case .bdSeqMismatch:
            what =
                "NDEATH bdSeq \(receivedBdSeq.map(String.init) ?? "none"), NBIRTH bdSeq \(expectedBdSeq.map(String.init) ?? "none")"
        case .stateUnknown:
            what =
                "\(messageType.name) from a node whose birth the agent has not seen (agent restarted; state unknown)"
        }
        return what + (rebirthRequested ? "; rebirth requested" : "")
    }

    /// The gap entry's payload: a JSON object with `kind`, `group`, `edge_node`, `device`,
    /// `message_type`, the sequence numbers, `missed`, `detected_at` (RFC 3339), `rebirth_requested`
    /// and `explanation`; absent values are omitted.
    public func json() -> [UInt8] {
        var members: [(String, String)] = [
            ("kind", JSONWriter.string(kind.rawValue)), ("group", JSONWriter.string(node.groupID)),
            ("edge_node", JSONWriter.string(node.edgeNodeID)),
        ]
        if let deviceID { members.append(("device", JSONWriter.string(deviceID))) }
        members.append(("message_type", JSONWriter.string(messageType.name)))
        let numbers: [(String, UInt64?)] = [
            ("expected_seq", expectedSeq), ("received_seq", receivedSeq), ("missed", missed),
            ("expected_bdseq", expectedBdSeq), ("received_bdseq", receivedBdSeq),
        ]
        for (key, value) in numbers {
            if let value { members.append((key, String(value))) }
        }
        members += [
            ("detected_at", JSONWriter.string(RFC3339.string(nanoseconds: detectedAt))),
            ("rebirth_requested", rebirthRequested ? "true" : "false"),
            ("explanation", JSONWriter.string(explanation)),
        ]
        return Array(JSONWriter.object(members).utf8)
    }
}
