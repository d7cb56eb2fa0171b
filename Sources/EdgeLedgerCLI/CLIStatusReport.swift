import EdgeLedgerCore
import EdgeLedgerStore

/// What `edge-ledger status` reports: read from the store (read-only), the configuration, and
/// the running agent when it can be asked. Rendered for people (``human(color:)``) or scripts
/// (``json()``); both come from this one value, so they cannot disagree.
struct CLIStatusReport: Sendable {
    /// The store file and what it costs on disk.
    struct Store: Sendable {
        var path: String
        var exists: Bool
        var hash: String?
        var bytes: Int64
        /// `storage.quota`; `nil` for none (or unknown without a configuration).
        var quotaBytes: Int64?
        var overflow: String?
    }

    /// The latest checkpoint.
    struct Checkpoint: Sendable {
        var size: UInt64
        /// Unix nanoseconds, UTC.
        var createdAt: Int64
    }

    /// One upstream: configured (`[[upstreams]]`) and/or known to the store.
    struct Upstream: Sendable {
        var name: String
        var configured: Bool
        var witness: Bool?
        var requiredForRetention: Bool?
        var ackedSize: UInt64
        var ackedAt: Int64?
        var lastPushAt: Int64?
        var lastPushedSize: UInt64
        var lastPushResult: String?
        var consecutiveFailures: Int
        var nextAttemptAt: Int64?
    }

    /// What the running agent said, if it was asked.
    enum API: Sendable, Equatable {
        /// Not asked: `--db` mode, `--no-api`, or `http.enabled = false`.
        case notQueried(String)
        /// Nothing answered (agent stopped, another port, a firewall).
        case unreachable(String)
        /// `/status` answered: whether the agent is ready, with its problems (or warnings).
        case answered(ready: Bool?, detail: String)
    }

    /// The MQTT connection as the agent reports it.
    enum Broker: String, Sendable {
        case connected
        case disconnected
        case unknown
    }

    var generatedAt: Int64
    var origin: String?
    var store: Store
    /// Entries in the log (the next index).
    var entries: UInt64
    /// Size of the latest checkpoint.
    var treeSize: UInt64
    var lastCheckpoint: Checkpoint?
    /// `seal.interval`, when known: a checkpoint older than a few intervals with entries
    /// pending means the sealer is stuck.
    var sealInterval: Duration?
    var rejectedLastHour: Int
    var rejectedTotal: Int
    /// Rejected readings of the last hour by reason (the stored reason up to its first ':').
    var rejectedByReason: [(reason: String, count: Int)]
    /// Whether ``rejectedByReason`` covers only the most recent rejected readings.
    var rejectedByReasonSampled: Bool
    /// Redeliveries recorded as duplicates instead of entries (`dedup` topics).
    var duplicates = LedgerReader.DuplicateCounts(total: 0, since: 0, keys: 0)
    var upstreams: [Upstream]
    /// The agent process holding the store's writer lock, if any (from /proc/locks).
    var agentPID: Int?
    /// Whether the writer lock could be checked at all.
    var agentLockChecked: Bool
    var apiURL: String?
    var api: API
    var broker: Broker
    /// Where the broker state came from, or why it is unknown.
    var brokerDetail: String?
    /// The agent's Sparkplug B host state, when it has `sparkplug_b` topics and was asked.
    var sparkplug: SparkplugStatus? = nil
    /// Whether a configuration was read (quota, upstream settings and the API are known).
    var hasConfiguration: Bool
    /// Ingest journal damage not acknowledged yet (see `--ack-journal-damage`).
    var journalDamage: [JournalDamage] = []
    /// The store's quick integrity check (CLIStatusReport+Integrity.swift); nil when not run.
    var integrity: Integrity? = nil

    /// Entries appended but not yet covered by a checkpoint.
    var pendingSeal: UInt64 { entries >= treeSize ? entries - treeSize : 0 }

    /// Seconds since the latest checkpoint.
    var checkpointAgeSeconds: Int64? {
        lastCheckpoint.map { max(0, (generatedAt - $0.createdAt) / 1_000_000_000) }
    }

    /// Share of the quota in use, 0...1+.
    var quotaUsed: Double? {
        guard let quota = store.quotaBytes, quota > 0 else { return nil }
        return Double(store.bytes) / Double(quota)
    }

    /// Entries the upstream does not hold yet (against the sealed tree).
    func lag(_ upstream: Upstream) -> UInt64 {
        treeSize >= upstream.ackedSize ? treeSize - upstream.ackedSize : 0
    }

    /// Things an operator should look at, most important first. Empty when all is well.
    var problems: [String] {
        var out: [String] = []
        if !store.exists {
            out.append("the store \(store.path) does not exist yet: the agent creates it at its first start")
            return out
        }
        out += journalDamageProblems
        if agentLockChecked, agentPID == nil {
            out.append("no agent has the store open: is edge-ledger running? (systemctl status edge-ledger)")
        }
        if case .answered(let ready?, let detail) = api, !ready {
            out.append("the agent reports not ready: \(detail)")
        }
        if broker == .disconnected {
            out.append("the agent is not connected to the MQTT broker (readings wait in the broker's queue)")
        }
        if pendingSeal > 0, let age = checkpointAgeSeconds, let interval = sealInterval,
            Double(age) > max(60, 5 * Self.seconds(interval)), agentPID != nil
        {
            out.append(
                "\(pendingSeal) entries are waiting for a checkpoint and the last one is \(CLIStatusFormat.age(age)) old: "
                    + "is sealing failing? (journalctl -u edge-ledger)")
        }
        if let problem = integrityProblem { out.append(problem) }
        if let used = quotaUsed {
            if used >= 1 {
                out.append(
                    "the store is at its quota (\(CLIStatusFormat.bytes(store.bytes)) of "
                        + "\(CLIStatusFormat.bytes(store.quotaBytes ?? 0))): overflow policy \(store.overflow ?? "?")")
            } else if used >= 0.9 {
                out.append("the store uses \(Int(used * 100))% of its quota")
            }
        }
        for upstream in upstreams where upstream.consecutiveFailures > 0 {
            out.append(
                "upstream \(upstream.name): \(CLIFormat.count(upstream.consecutiveFailures, "failed push", "failed pushes")) "
                    + "in a row (last: \(upstream.lastPushResult ?? "unknown"))")
        }
        if rejectedLastHour > 0 {
            out.append("\(CLIFormat.count(rejectedLastHour, "reading was", "readings were")) rejected in the last hour")
        }
        return out
    }

    static func seconds(_ duration: Duration) -> Double {
        let (s, atto) = duration.components
        return Double(s) + Double(atto) / 1e18
    }
}
