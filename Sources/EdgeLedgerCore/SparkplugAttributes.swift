/// What an entry records about a Sparkplug B message (attribute tag `0x10` of entry format v2):
/// the topic's identity parts, the message type, and the payload's sequence numbers and time.
///
/// Encoded as `u8 message type, u8 presence bits (bit 0 seq, bit 1 bdSeq, bit 2 timestamp),
/// u64 seq, u64 bdSeq, u64 timestamp (absent ones are 0), u16 length + group id,
/// u16 length + edge node id, u16 length + device id (length 0: no device)`. For `STATE`
/// messages the group id is empty and the edge node id holds the host application id.
public struct SparkplugAttributes: Sendable, Hashable {
    /// The Sparkplug message type, from the topic's third level (raw values are the encoding).
    public enum MessageType: UInt8, Sendable, Hashable, CaseIterable {
        /// Edge node birth certificate.
        case nbirth = 1
        /// Edge node data.
        case ndata = 2
        /// Edge node death certificate.
        case ndeath = 3
        /// Command to an edge node.
        case ncmd = 4
        /// Device birth certificate.
        case dbirth = 5
        /// Device data.
        case ddata = 6
        /// Device death certificate.
        case ddeath = 7
        /// Command to a device.
        case dcmd = 8
        /// Host application state (`spBv1.0/STATE/<host id>`).
        case state = 9

        /// The name as in the topic: `NBIRTH`, `NDATA`, …, `STATE`.
        public var name: String {
            switch self {
            case .nbirth: "NBIRTH"
            case .ndata: "NDATA"
            case .ndeath: "NDEATH"
            case .ncmd: "NCMD"
            case .dbirth: "DBIRTH"
            case .ddata: "DDATA"
            case .ddeath: "DDEATH"
            case .dcmd: "DCMD"
            case .state: "STATE"
            }
        }
    }

    /// The message type.
    public var messageType: MessageType
    /// The Sparkplug group id (empty for `STATE`).
    public var groupID: String
    /// The edge node id (the host application id for `STATE`).
    public var edgeNodeID: String
    /// The device id for device messages; `nil` for node messages. Never empty.
    public var deviceID: String?
    /// The payload's `seq` (0…255 in valid traffic), when present.
    public var seq: UInt64?
    /// The `bdSeq` metric, when present (birth and death certificates).
    public var bdSeq: UInt64?
    /// The payload's timestamp, Unix milliseconds UTC (the edge node's clock), when present.
    public var timestamp: UInt64?

    /// Creates Sparkplug attributes.
    public init(
        messageType: MessageType, groupID: String, edgeNodeID: String, deviceID: String? = nil, seq: UInt64? = nil,
        bdSeq: UInt64? = nil, timestamp: UInt64? = nil
    ) {
        self.messageType = messageType
        self.groupID = groupID
        self.edgeNodeID = edgeNodeID
        self.deviceID = deviceID
        self.seq = seq
        self.bdSeq = bdSeq
        self.timestamp = timestamp
    }

    /// Bytes of the fixed part of the record value: type, presence, three u64, three u16 lengths.
    static let fixedSize = 1 + 1 + 3 * 8 + 3 * 2

    /// The presence bits byte.
    var presence: UInt8 {
        (seq == nil ? 0 : 0x01) | (bdSeq == nil ? 0 : 0x02) | (timestamp == nil ? 0 : 0x04)
    }

    /// Size of the encoded record value.
    var encodedValueSize: Int {
        Self.fixedSize + groupID.utf8.count + edgeNodeID.utf8.count + (deviceID?.utf8.count ?? 0)
    }
}
