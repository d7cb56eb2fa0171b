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
        var copy = topic
        let parsed = copy.withUTF8 { Self.parse($0) }
        self = try parsed.get()
    }

    /// The parse over the topic's bytes, one pass (it runs for every Sparkplug reading).
    private static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Result<SparkplugTopic, SparkplugDecodingError> {
        // The levels' bounds (the first 5 are kept; more is an error anyway), their count, and
        // the first empty level or level holding a wildcard.
        var bounds: (Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>) = (0..<0, 0..<0, 0..<0, 0..<0, 0..<0)
        var count = 0
        var bad: (level: Int, empty: Bool)? = nil
        var start = 0
        var wildcard = false
        for i in 0...b.count {
            let byte: UInt8 = i < b.count ? b[i] : 0x2F
            if byte == 0x2B || byte == 0x23 { wildcard = true }
            guard byte == 0x2F else { continue }
            let range = start..<i
            switch count {
            case 0: bounds.0 = range
            case 1: bounds.1 = range
            case 2: bounds.2 = range
            case 3: bounds.3 = range
            case 4: bounds.4 = range
            default: break
            }
            if bad == nil, range.isEmpty || wildcard { bad = (count, range.isEmpty) }
            count += 1
            start = i + 1
            wildcard = false
        }
        func level(_ r: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: b[r]) }
        func string(_ r: Range<Int>) -> String { String(decoding: level(r), as: UTF8.self) }
        guard namespace.utf8.elementsEqual(level(bounds.0)) else {
            return .failure(.topic("not in the Sparkplug B namespace: the first level must be \(namespace)"))
        }
        guard count >= 3 else {
            return .failure(.topic("\(count) levels; expected spBv1.0/<group>/<type>/<edge node>[/<device>]"))
        }
        if let bad {
            return .failure(
                .topic(
                    bad.empty ? "level \(bad.level + 1) is empty" : "level \(bad.level + 1) holds a wildcard (+ or #)"))
        }
        if "STATE".utf8.elementsEqual(level(bounds.1)) {
            guard count == 3 else { return .failure(.topic("\(count) levels; expected spBv1.0/STATE/<host id>")) }
            return .success(SparkplugTopic(messageType: .state, node: nil, deviceID: nil, hostID: string(bounds.2)))
        }
        guard let type = SparkplugAttributes.MessageType(topicName: level(bounds.2)), type != .state else {
            return .failure(
                .topic(
                    "unknown message type \"\(string(bounds.2).prefix(16))\"; expected NBIRTH, NDATA, NDEATH, NCMD, DBIRTH, DDATA, DDEATH or DCMD"
                ))
        }
        let expected = type.isDeviceMessage ? 5 : 4
        guard count == expected else {
            return .failure(
                .topic(
                    "\(count) levels for \(type.name); expected \(expected): spBv1.0/<group>/\(type.name)/<edge node>\(type.isDeviceMessage ? "/<device>" : "")"
                ))
        }
        return .success(
            SparkplugTopic(
                messageType: type, node: SparkplugNode(groupID: string(bounds.1), edgeNodeID: string(bounds.3)),
                deviceID: type.isDeviceMessage ? string(bounds.4) : nil, hostID: nil))
    }

    private init(
        messageType: SparkplugAttributes.MessageType, node: SparkplugNode?, deviceID: String?, hostID: String?
    ) {
        self.messageType = messageType
        self.node = node
        self.deviceID = deviceID
        self.hostID = hostID
    }
}
