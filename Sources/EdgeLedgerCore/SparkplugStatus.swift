/// The Sparkplug B host state as the status document reports it (`sparkplug` member of
/// `edge-ledger-status/v1`; `edge-ledger status` prints it): edge nodes seen, gaps recorded by
/// kind since the agent started, rebirth requests, messages delivered again, and the last gap.
public struct SparkplugStatus: Sendable, Equatable {
    /// Edge nodes tracked since the start.
    public var nodes: Int
    /// Edge nodes between their NBIRTH and NDEATH.
    public var alive: Int
    /// Gap entries recorded since the start, by kind (`sequence_gap`, `data_before_birth`,
    /// `bdseq_mismatch`, `state_unknown`).
    public var gaps: [String: Int]
    /// `Node Control/Rebirth` commands sent since the start.
    public var rebirthRequests: Int
    /// Messages that repeated one of their node's last sequenced messages (same `seq` and
    /// timestamp: a QoS 1 redelivery, a node resending), since the start: not gaps.
    public var redelivered: Int
    /// The last gap, one sentence with its node and time; `nil` before the first.
    public var lastGap: String?

    /// Creates a summary.
    public init(
        nodes: Int = 0, alive: Int = 0, gaps: [String: Int] = [:], rebirthRequests: Int = 0, redelivered: Int = 0,
        lastGap: String? = nil
    ) {
        self.nodes = nodes
        self.alive = alive
        self.gaps = gaps
        self.rebirthRequests = rebirthRequests
        self.redelivered = redelivered
        self.lastGap = lastGap
    }

    /// All gaps recorded.
    public var gapsTotal: Int { gaps.values.reduce(0, +) }

    /// The summary as a JSON object: `{"nodes":…,"alive":…,"gaps":{…},"gaps_total":…,
    /// "rebirth_requests":…,"redelivered":…,"last_gap":…}` (`last_gap` omitted before the first).
    public func json() -> String {
        let gapMembers = gaps.sorted { $0.key < $1.key }.map { ($0.key, String($0.value)) }
        var members: [(String, String)] = [
            ("nodes", String(nodes)), ("alive", String(alive)), ("gaps", JSONWriter.object(gapMembers)),
            ("gaps_total", String(gapsTotal)), ("rebirth_requests", String(rebirthRequests)),
            ("redelivered", String(redelivered)),
        ]
        if let lastGap { members.append(("last_gap", JSONWriter.string(lastGap))) }
        return JSONWriter.object(members)
    }
}
