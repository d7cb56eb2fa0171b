import EdgeLedgerCore
import EdgeLedgerStore

/// `status --json`: the report as one JSON object (docs/CLI.md).
extension CLIStatusReport {
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
        o.key("duplicates")
        o.begin()
        o.field("last_hour", duplicates.since)
        o.field("total", duplicates.total)
        o.field("keys", duplicates.keys)
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
        if let sparkplug {
            o.field("sparkplug_nodes", sparkplug.nodes)
            o.field("sparkplug_nodes_alive", sparkplug.alive)
            o.field("sparkplug_gaps", sparkplug.gapsTotal)
            o.field("sparkplug_rebirth_requests", sparkplug.rebirthRequests)
            o.field("sparkplug_redelivered", sparkplug.redelivered)
            o.field("sparkplug_last_gap", sparkplug.lastGap)
        }
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
