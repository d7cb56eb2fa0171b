/// The message type of a Sparkplug B topic (`spBv1.0/<group>/<type>/<edge node>[/<device>]`, or
/// `spBv1.0/STATE/<host id>`). The raw values are the ones the entry attributes store.
public enum SparkplugMessageType: UInt8, Sendable, Hashable, CaseIterable {
    /// Birth certificate of an edge node.
    case nodeBirth = 1
    /// Data of an edge node.
    case nodeData = 2
    /// Death certificate of an edge node (its MQTT will message, or sent before disconnecting).
    case nodeDeath = 3
    /// Command to an edge node (sent by a host application).
    case nodeCommand = 4
    /// Birth certificate of a device behind an edge node.
    case deviceBirth = 5
    /// Data of a device.
    case deviceData = 6
    /// Death certificate of a device.
    case deviceDeath = 7
    /// Command to a device (sent by a host application).
    case deviceCommand = 8
    /// A host application's online/offline state (JSON, Sparkplug 3.0).
    case state = 9

    /// The topic level: `NBIRTH`, `DDATA`, `STATE`, …
    public var topicName: String {
        switch self {
        case .nodeBirth: "NBIRTH"
        case .nodeData: "NDATA"
        case .nodeDeath: "NDEATH"
        case .nodeCommand: "NCMD"
        case .deviceBirth: "DBIRTH"
        case .deviceData: "DDATA"
        case .deviceDeath: "DDEATH"
        case .deviceCommand: "DCMD"
        case .state: "STATE"
        }
    }

    /// The type named by a topic level, or `nil`.
    public init?(topicName: some StringProtocol) {
        guard let type = Self.allCases.first(where: { $0.topicName == topicName }) else { return nil }
        self = type
    }

    /// Whether the topic carries a device level (`D…` types).
    public var isDeviceMessage: Bool {
        switch self {
        case .deviceBirth, .deviceData, .deviceDeath, .deviceCommand: true
        default: false
        }
    }

    /// Whether an edge node numbers this message with its `seq` (0–255, one more per message
    /// after its NBIRTH): every message it sends but its NDEATH.
    public var isSequenced: Bool {
        switch self {
        case .nodeData, .deviceBirth, .deviceData, .deviceDeath: true
        default: false
        }
    }
}
