import EdgeLedgerCore
import EdgeLedgerStore

/// `status`: the report as aligned lines for people, coloured on a terminal.
extension CLIStatusReport {
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
        if duplicates.total > 0 || duplicates.keys > 0 {
            rows.append(
                (
                    "duplicates",
                    "\(duplicates.since) in the last hour, \(duplicates.total) in total "
                        + paint.dim("(not appended; \(duplicates.keys) keys remembered)")
                ))
        }
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
        if let sparkplug {
            let kinds = sparkplug.gaps.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            let gaps = "\(sparkplug.gapsTotal) gaps" + (kinds.isEmpty ? "" : " (\(kinds.joined(separator: ", ")))")
            rows.append(
                (
                    "sparkplug",
                    "\(sparkplug.nodes) edge nodes (\(sparkplug.alive) alive), "
                        + (sparkplug.gapsTotal > 0 ? paint.warn(gaps) : gaps)
                        + ", \(sparkplug.rebirthRequests) rebirth requests, \(sparkplug.redelivered) messages "
                        + "delivered again since the agent started"
                ))
            if let last = sparkplug.lastGap { rows.append(("", "last gap: \(last)")) }
        }
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
