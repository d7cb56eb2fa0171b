import EdgeLedgerCore

/// An edge node of the Sparkplug namespace: its group and its edge node id, the unit whose
/// `seq` and `bdSeq` a host application tracks.
public struct SparkplugNode: Sendable, Hashable, CustomStringConvertible {
    /// The group id (`<group>` in the topic).
    public var groupID: String
    /// The edge node id.
    public var edgeNodeID: String

    /// Creates a node id.
    public init(groupID: String, edgeNodeID: String) {
        self.groupID = groupID
        self.edgeNodeID = edgeNodeID
    }

    /// `group/node`.
    public var description: String { "\(groupID)/\(edgeNodeID)" }

    /// The topic of a command to this node: `spBv1.0/<group>/NCMD/<node>`.
    public var commandTopic: String {
        "\(SparkplugTopic.namespace)/\(groupID)/\(SparkplugAttributes.MessageType.ncmd.name)/\(edgeNodeID)"
    }
}
