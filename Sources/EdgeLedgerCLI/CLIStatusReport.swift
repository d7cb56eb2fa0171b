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

    // MARK: - JSON

    /// One JSON object (keys in a fixed order, timestamps RFC 3339 UTC, sizes in entries or
    /// bytes); `null` where a value is unknown. The keys are a stable interface for scripts.
    func json() -> String {
        var o = CLIStatusJSON()
        o.begin()
        o.field("generated_at", time: generatedAt)
        o.field("origin", origin)
        o.key("store")
        o.begin()
        o.field("path", store.path)
        o.field("exists", store.exists)
        o.field("hash", store.hash)
        o.field("bytes", store.bytes)
        o.field("quota_bytes", store.quotaBytes)
        o.field("quota_used", quotaUsed.map { (($0 * 10000).rounded() / 10000) })
        o.field("overflow", store.overflow)
        o.end()
        o.field("tree_size", treeSize)
        o.field("entries", entries)
        o.field("pending_seal", pendingSeal)
        integrityJSON(&o)
        o.key("last_checkpoint")
        if let checkpoint = lastCheckpoint {
            o.begin()
            o.field("size", checkpoint.size)
            o.field("time", time: checkpoint.createdAt)
            o.field("age_seconds", checkpointAgeSeconds)
            o.end()
        } else {
            o.null()
        }
        o.key("rejected")
        o.begin()
        o.field("last_hour", rejectedLastHour)
        o.field("total", rejectedTotal)
        o.key("last_hour_by_reason")
        o.begin()
        for (reason, count) in rejectedByReason { o.field(reason, count) }
        o.end()
        o.field("by_reason_sampled", rejectedByReasonSampled)
        o.end()
        o.key("upstreams")
        o.beginArray()
        for upstream in upstreams {
            o.element()
            o.begin()
            o.field("name", upstream.name)
            o.field("configured", upstream.configured)
            o.field("witness", upstream.witness)
            o.field("required_for_retention", upstream.requiredForRetention)
            o.field("acked_size", upstream.ackedSize)
            o.field("acked_at", time: upstream.ackedAt)
            o.field("lag_entries", lag(upstream))
            o.field("last_push_at", time: upstream.lastPushAt)
            o.field("last_pushed_size", upstream.lastPushedSize)
            o.field("last_push_result", upstream.lastPushResult)
            o.field("consecutive_failures", upstream.consecutiveFailures)
            o.field("next_attempt_at", time: upstream.nextAttemptAt)
            o.end()
        }
        o.endArray()
        journalDamageJSON(&o)
        o.key("agent")
        o.begin()
        o.field("running", agentLockChecked ? agentPID != nil : nil)
        o.field("pid", agentPID)
        o.field("api", apiURL)
        switch api {
        case .notQueried(let why):
            o.field("api_state", "not_queried")
            o.field("api_detail", why)
        case .unreachable(let why):
            o.field("api_state", "unreachable")
            o.field("api_detail", why)
        case .answered(let ready, let detail):
            o.field("api_state", ready.map { $0 ? "ready" : "not_ready" } ?? "answered")
            o.field("api_detail", detail)
        }
        o.field("broker", broker.rawValue)
        o.field("broker_detail", brokerDetail)
        o.end()
        o.key("problems")
        o.beginArray()
        for problem in problems {
            o.element()
            o.value(problem)
        }
        o.endArray()
        o.end()
        return o.text
    }

    // MARK: - Human

    /// Aligned `label: value` lines; with `color`, states in green / yellow / red.
    func human(color: Bool) -> String {
        let paint = CLIStatusPaint(enabled: color)
        var rows: [(String, String)] = []
        rows.append(("origin", origin ?? paint.dim("unknown (no configuration)")))
        guard store.exists else {
            rows.append(("store", "\(store.path) " + paint.warn("(not created yet)")))
            return Self.layout(rows, problems: problems, paint: paint)
        }
        rows.append(("store", "\(store.path) (\(store.hash ?? "?"))"))
        rows.append(("tree size", "\(treeSize) sealed, \(entries) entries"))
        let pendingText = pendingSeal == 0 ? paint.good("0") : "\(pendingSeal)"
        rows.append(("pending seal", pendingText))
        if let row = integrityRow(paint) { rows.append(row) }
        if let checkpoint = lastCheckpoint, let age = checkpointAgeSeconds {
            rows.append(
                (
                    "last checkpoint",
                    "size \(checkpoint.size) at \(CLIStatusFormat.time(checkpoint.createdAt)) "
                        + "(\(CLIStatusFormat.age(age)) ago)"
                ))
        } else {
            rows.append(("last checkpoint", paint.dim("none yet")))
        }
        var rejected = rejectedLastHour == 0 ? paint.good("0") : paint.warn("\(rejectedLastHour)")
        rejected += " in the last hour, \(rejectedTotal) in total"
        rows.append(("rejected", rejected))
        for (reason, count) in rejectedByReason {
            rows.append(("", "  \(count) \(reason)"))
        }
        if rejectedByReasonSampled { rows.append(("", paint.dim("  (reasons from the most recent rejections)"))) }
        var disk = CLIStatusFormat.bytes(store.bytes)
        if let quota = store.quotaBytes, let used = quotaUsed {
            let share = "\(CLIStatusFormat.percent(used)) of quota \(CLIStatusFormat.bytes(quota))"
            disk +=
                " (" + (used >= 0.9 ? paint.bad(share) : used >= 0.75 ? paint.warn(share) : share) + ", "
                + "overflow \(store.overflow ?? "?"))"
        } else if hasConfiguration {
            disk += " (no quota)"
        }
        rows.append(("disk", disk))
        rows += journalDamageRows(paint)
        if upstreams.isEmpty {
            rows.append(("upstreams", paint.dim("none")))
        }
        for upstream in upstreams {
            var text = "acked \(upstream.ackedSize)"
            let lag = self.lag(upstream)
            text += lag == 0 ? " " + paint.good("(up to date)") : " (lag \(lag))"
            if let at = upstream.ackedAt {
                text += ", ack \(CLIStatusFormat.age(max(0, (generatedAt - at) / 1_000_000_000))) ago"
            }
            if let result = upstream.lastPushResult {
                let shown = upstream.consecutiveFailures > 0 ? paint.bad(result) : paint.good(result)
                text += "; last push: " + shown
                if let at = upstream.lastPushAt {
                    text += " \(CLIStatusFormat.age(max(0, (generatedAt - at) / 1_000_000_000))) ago"
                }
                if upstream.consecutiveFailures > 1 { text += " (\(upstream.consecutiveFailures) failures in a row)" }
            } else if upstream.witness == true {
                text += "; " + paint.dim("not pushed yet")
            }
            if !upstream.configured { text += " " + paint.dim("(not in the configuration)") }
            rows.append(("upstream \(upstream.name)", text))
        }
        var agent: String
        if let pid = agentPID {
            agent = paint.good("running") + " (pid \(pid))"
        } else if agentLockChecked {
            agent = paint.bad("not running")
        } else {
            agent = paint.dim("unknown")
        }
        switch api {
        case .notQueried(let why): agent += "; API not queried (\(why))"
        case .unreachable(let why): agent += "; API \(apiURL ?? "") " + paint.warn("unreachable") + " (\(why))"
        case .answered(let ready, let detail):
            let state =
                switch ready {
                case true?: paint.good("ready")
                case false?: paint.bad("not ready")
                case nil: "answered"
                }
            agent += "; API \(apiURL ?? ""): " + state + (detail.isEmpty ? "" : " (\(detail))")
        }
        rows.append(("agent", agent))
        let brokerState =
            switch broker {
            case .connected: paint.good("connected")
            case .disconnected: paint.bad("disconnected")
            case .unknown: paint.dim("unknown")
            }
        rows.append(("broker", brokerState + (brokerDetail.map { " (\($0))" } ?? "")))
        return Self.layout(rows, problems: problems, paint: paint)
    }

    private static func layout(_ rows: [(String, String)], problems: [String], paint: CLIStatusPaint) -> String {
        let width = rows.map(\.0.count).max() ?? 0
        var lines = rows.map { label, value in
            label.isEmpty
                ? String(repeating: " ", count: width + 2) + value
                : label + ":" + String(repeating: " ", count: width - label.count + 1) + value
        }
        if problems.isEmpty {
            lines.append(paint.good("all well"))
        } else {
            lines.append("attention:")
            lines += problems.map { "  - " + paint.warn($0) }
        }
        return lines.joined(separator: "\n")
    }
}

/// ANSI colours, or nothing.
struct CLIStatusPaint {
    var enabled: Bool
    func good(_ s: String) -> String { enabled ? "\u{1B}[32m\(s)\u{1B}[0m" : s }
    func warn(_ s: String) -> String { enabled ? "\u{1B}[33m\(s)\u{1B}[0m" : s }
    func bad(_ s: String) -> String { enabled ? "\u{1B}[31m\(s)\u{1B}[0m" : s }
    func dim(_ s: String) -> String { enabled ? "\u{1B}[2m\(s)\u{1B}[0m" : s }
}

/// Sizes, ages and times for the human view.
enum CLIStatusFormat {
    /// `1.5 MiB`, `812 B`.
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : "\(CLIFormat.oneDecimal(value)) \(units[unit])"
    }

    /// `42%`.
    static func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }

    /// `45s`, `3m 20s`, `2h 5m`, `3d 4h`.
    static func age(_ seconds: Int64) -> String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m \(seconds % 60)s" }
        if seconds < 86_400 { return "\(seconds / 3600)h \(seconds % 3600 / 60)m" }
        return "\(seconds / 86_400)d \(seconds % 86_400 / 3600)h"
    }

    /// `2025-03-01 12:00:00Z`.
    static func time(_ ns: Int64) -> String {
        let full = RFC3339.string(nanoseconds: ns)  // 2025-03-01T12:00:00.123456789Z
        return String(full.prefix(19)).replacingT() + "Z"
    }
}

extension String {
    fileprivate func replacingT() -> String {
        String(map { $0 == "T" ? " " : $0 })
    }
}

/// A small JSON writer for the report: objects and arrays with commas handled.
struct CLIStatusJSON {
    private(set) var bytes: [UInt8] = []
    /// Whether the current container already has a member.
    private var hasMember: [Bool] = []

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func begin() {
        bytes.append(UInt8(ascii: "{"))
        hasMember.append(false)
    }

    mutating func end() {
        bytes.append(UInt8(ascii: "}"))
        hasMember.removeLast()
    }

    mutating func beginArray() {
        bytes.append(UInt8(ascii: "["))
        hasMember.append(false)
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        hasMember.removeLast()
    }

    /// Before an array element.
    mutating func element() {
        if hasMember.last == true { bytes.append(UInt8(ascii: ",")) }
        if !hasMember.isEmpty { hasMember[hasMember.count - 1] = true }
    }

    mutating func key(_ name: String) {
        element()
        JSONWriter.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func null() { bytes.append(contentsOf: Array("null".utf8)) }

    mutating func value(_ text: String?) {
        if let text { JSONWriter.appendString(text, to: &bytes) } else { null() }
    }

    mutating func field(_ name: String, _ text: String?) {
        key(name)
        value(text)
    }

    mutating func field(_ name: String, _ flag: Bool?) {
        key(name)
        if let flag { bytes.append(contentsOf: Array((flag ? "true" : "false").utf8)) } else { null() }
    }

    mutating func field(_ name: String, _ number: (some BinaryInteger)?) {
        key(name)
        if let number { JSONWriter.appendInteger(number, to: &bytes) } else { null() }
    }

    mutating func field(_ name: String, _ number: Double?) {
        key(name)
        if let number, number.isFinite { bytes.append(contentsOf: Array("\(number)".utf8)) } else { null() }
    }

    /// A Unix-nanosecond timestamp as an RFC 3339 string, or `null`.
    mutating func field(_ name: String, time ns: Int64?) {
        field(name, ns.map { RFC3339.string(nanoseconds: $0) })
    }
}
