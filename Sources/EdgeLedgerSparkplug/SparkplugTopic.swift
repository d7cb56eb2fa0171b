import EdgeLedgerCore

/// A topic of the Sparkplug B namespace, parsed: `spBv1.0/<group>/<type>/<edge node>[/<device>]`
/// or `spBv1.0/STATE/<host id>`.
public struct SparkplugTopic: Sendable, Hashable {
    /// The namespace, the first topic level of every Sparkplug B topic.
    public static let namespace = "spBv1.0"

    /// The message type.
    public var messageType: SparkplugAttributes.MessageType
    /// The edge node (group and node id); `nil` for STATE.
    public var node: SparkplugNode?
    /// The device id (device messages only).
    public var deviceID: String?
    /// The host application id (STATE only).
    public var hostID: String?

    /// Parses `topic`.
    ///
    /// - Throws: ``SparkplugDecodingError`` (`.topic`) when the topic is not in the Sparkplug B
    ///   namespace, names an unknown message type, has the wrong number of levels, or an empty id
    ///   or one holding a wildcard (`+`, `#`).
    public init(parsing topic: String) throws(SparkplugDecodingError) {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.first == Substring(Self.namespace) else {
            throw .topic("not in the Sparkplug B namespace: the first level must be \(Self.namespace)")
        }
        guard levels.count >= 3 else {
            throw .topic("\(levels.count) levels; expected spBv1.0/<group>/<type>/<edge node>[/<device>]")
        }
        for (i, level) in levels.enumerated() {
            if level.isEmpty { throw .topic("level \(i + 1) is empty") }
            if level.contains("+") || level.contains("#") { throw .topic("level \(i + 1) holds a wildcard (+ or #)") }
        }
        if levels[1] == "STATE" {
            guard levels.count == 3 else { throw .topic("\(levels.count) levels; expected spBv1.0/STATE/<host id>") }
            self.messageType = .state
            self.hostID = String(levels[2])
            return
        }
        guard let type = SparkplugAttributes.MessageType(topicName: levels[2]), type != .state else {
            throw .topic(
                "unknown message type \"\(levels[2].prefix(16))\"; expected NBIRTH, NDATA, NDEATH, NCMD, DBIRTH, DDATA, DDEATH or DCMD"
            )
        }
        let expected = type.isDeviceMessage ? 5 : 4
        guard levels.count == expected else {
            throw .topic(
                "\(levels.count) levels for \(type.name); expected \(expected): spBv1.0/<group>/\(type.name)/<edge node>\(type.isDeviceMessage ? "/<device>" : "")"
            )
        }
        self.messageType = type
        self.node = SparkplugNode(groupID: String(levels[1]), edgeNodeID: String(levels[3]))
        self.deviceID = type.isDeviceMessage ? String(levels[4]) : nil
    }
}
