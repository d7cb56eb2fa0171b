import EdgeLedgerCore

/// The Sparkplug message types as topic levels: the entry attributes' type (EdgeLedgerCore) read
/// from and written to the `spBv1.0/` namespace, and what a host application tracks of each.
extension SparkplugAttributes.MessageType {
    /// The type named by a topic level (`NBIRTH`, `DDATA`, `STATE`, …), or `nil`.
    public init?(topicName: some StringProtocol) {
        guard let type = Self.allCases.first(where: { $0.name == topicName }) else { return nil }
        self = type
    }

    /// The type named by a topic level's UTF-8 bytes, or `nil` (the ingest path: no string made).
    public init?(topicName bytes: UnsafeBufferPointer<UInt8>) {
        guard let type = Self.allCases.first(where: { $0.name.utf8.elementsEqual(bytes) }) else { return nil }
        self = type
    }

    /// Whether the topic carries a device level (`D…` types).
    public var isDeviceMessage: Bool {
        switch self {
        case .dbirth, .ddata, .ddeath, .dcmd: true
        default: false
        }
    }

    /// Whether an edge node numbers this message with its `seq` (0–255, one more per message
    /// after its NBIRTH): every message it sends but its NBIRTH (which starts the count) and its
    /// NDEATH.
    public var isSequenced: Bool {
        switch self {
        case .ndata, .dbirth, .ddata, .ddeath: true
        default: false
        }
    }
}
