import EdgeLedgerCore

/// What a Sparkplug B host application keeps per edge node, and what it concludes from each
/// message: the node's birth (NBIRTH and its `bdSeq`), its death (NDEATH, matched by `bdSeq`),
/// and its `seq` (0–255, one more per message after NBIRTH). A message that does not follow is a
/// ``SparkplugGap``; the caller records it and, when ``Observation/rebirth`` is set, asks the node
/// for a new birth certificate (`Node Control/Rebirth`). A message that repeats one of the node's
/// last sequenced messages (its `seq` and its timestamp: a QoS 1 redelivery, a node resending)
/// is ``Observation/redelivered``, not a gap, and leaves the expected `seq` where it was; whether
/// it becomes an entry again is deduplication's decision (`dedup = "sparkplug"`).
///
/// Nothing survives a restart: the first message of each node after one, unless it is an NBIRTH,
/// is a ``SparkplugGap/Kind/stateUnknown`` gap. Not thread-safe: keep it behind a lock.
public struct SparkplugHostState: Sendable {
    /// What one message led to.
    public struct Observation: Sendable, Hashable {
        /// The gap the message revealed, if any.
        public var gap: SparkplugGap?
        /// The node to send `Node Control/Rebirth` to now (enabled, alive, not rate-limited).
        public var rebirth: SparkplugNode?
        /// The message repeats one of the node's last sequenced messages (see the type's notes).
        public var redelivered = false
    }

    /// One edge node's state.
    struct Node: Sendable {
        /// Between an NBIRTH (or the first message after a gap) and an NDEATH.
        var alive: Bool
        /// Whether an NBIRTH was seen since the last NDEATH (or the agent's start).
        var born: Bool
        /// The `bdSeq` of the last NBIRTH.
        var bdSeq: UInt64?
        /// The `seq` the next sequenced message must have; `nil` until one is known.
        var nextSeq: UInt64?
        /// When the last rebirth request went to the node (nanoseconds, the caller's clock).
        var lastRebirth: Int64?
        /// The last sequenced messages since the birth.
        var recent = SparkplugRecentMessages()
    }

    /// Most edge nodes tracked; past it an arbitrary node is forgotten (its next message is then
    /// a ``SparkplugGap/Kind/stateUnknown`` gap): hostile topics cannot grow memory without bound.
    public static let maximumNodes = 65_536

    /// Whether gaps ask for a rebirth.
    public private(set) var rebirthEnabled = true
    /// Shortest time between two rebirth requests to one node, nanoseconds.
    public private(set) var rebirthMinInterval: Int64 = 30_000_000_000
    private(set) var nodes: [SparkplugNode: Node] = [:]

    /// Creates an empty state (as after a start).
    public init(rebirthEnabled: Bool = true, rebirthMinInterval: Duration = .seconds(30)) {
        configure(rebirthEnabled: rebirthEnabled, rebirthMinInterval: rebirthMinInterval)
    }

    /// Changes the rebirth policy (a reload); the nodes' state is kept.
    public mutating func configure(rebirthEnabled: Bool, rebirthMinInterval: Duration) {
        self.rebirthEnabled = rebirthEnabled
        self.rebirthMinInterval = rebirthMinInterval.nanosecondsClamped
    }

    /// Edge nodes tracked.
    public var nodeCount: Int { nodes.count }
    /// Edge nodes between their NBIRTH and NDEATH.
    public var aliveCount: Int { nodes.values.count { $0.alive } }

    /// Takes one message of the Sparkplug namespace into account; `now` is the receive time in
    /// nanoseconds since the Unix epoch (also the rate limit's clock).
    public mutating func observe(_ message: SparkplugMessage, now: Int64) -> Observation {
        guard let id = message.topic.node else { return Observation() }  // STATE
        let type = message.messageType
        if type == .ncmd || type == .dcmd { return Observation() }  // host → node, unnumbered
        // Taken out while it changes, so that its buffer of recent messages is not copied.
        let stored = nodes.removeValue(forKey: id)
        if stored == nil, nodes.count >= Self.maximumNodes { nodes.remove(at: nodes.startIndex) }
        var node = stored ?? Node(alive: false, born: false)
        let known = stored != nil
        var gap: SparkplugGap?
        func noticed(_ kind: SparkplugGap.Kind) -> SparkplugGap {
            SparkplugGap(
                kind: kind, node: id, deviceID: message.topic.deviceID, messageType: type, receivedSeq: message.seq,
                detectedAt: now)
        }
        if type != .ndeath, known, node.alive, node.recent.contains(message),
            type != .nbirth || message.bdSeq == node.bdSeq
        {
            nodes[id] = node
            return Observation(redelivered: true)
        }
        switch type {
        case .nbirth:
            node.alive = true
            node.born = true
            node.bdSeq = message.bdSeq
            node.nextSeq = message.seq.map { ($0 &+ 1) % 256 }
            node.recent.removeAll()
            node.recent.record(message)
        case .ndeath:
            if node.alive, node.born, node.bdSeq != message.bdSeq {
                // Not this birth's death: a stale will message. The node stays alive.
                var g = noticed(.bdSeqMismatch)
                g.expectedBdSeq = node.bdSeq
                g.receivedBdSeq = message.bdSeq
                gap = g
            } else {
                if !known { gap = noticed(.stateUnknown) }
                node.alive = false
                node.born = false
                node.nextSeq = nil
                node.recent.removeAll()
            }
        default:  // sequenced: NDATA, DBIRTH, DDATA, DDEATH
            if !known {
                gap = noticed(.stateUnknown)
            } else if !node.alive {
                gap = noticed(.dataBeforeBirth)
            } else if let expected = node.nextSeq, let seq = message.seq, seq != expected {
                var g = noticed(.sequenceGap)
                g.expectedSeq = expected
                gap = g
            }
            node.alive = true
            // Resynchronised on what arrived: one loss is one gap, not one per later message.
            if let seq = message.seq { node.nextSeq = (seq &+ 1) % 256 }
            node.recent.record(message)
        }
        var rebirth: SparkplugNode?
        if var g = gap {
            if rebirthEnabled, node.alive, node.lastRebirth.map({ now &- $0 >= rebirthMinInterval }) ?? true {
                node.lastRebirth = now
                rebirth = id
                g.rebirthRequested = true
            }
            gap = g
        }
        nodes[id] = node
        return Observation(gap: gap, rebirth: rebirth)
    }
}
