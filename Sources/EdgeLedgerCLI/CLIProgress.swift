import EdgeLedgerSystem

/// A single, updating progress line on standard error: `verifying 1234567/2000000 entries
/// (61.7%), 412k entries/s`.
///
/// Drawn only when standard error is a terminal, so logs and pipes never see carriage returns;
/// redrawn at most ten times a second.
final class CLIProgress {
    private let label: String
    private let enabled: Bool
    private let start = SystemClock.monotonicSeconds()
    private var lastDraw = 0.0
    private var drawn = false

    /// A progress line starting with `label`; drawn when `enabled` (normally
    /// ``CLIOutput/stderrIsTerminal``).
    init(label: String, enabled: Bool = CLIOutput.stderrIsTerminal) {
        self.label = label
        self.enabled = enabled
    }

    /// Seconds since the progress line was created.
    var elapsed: Double { SystemClock.monotonicSeconds() - start }

    /// Reports `done` of `total` items.
    func update(done: UInt64, total: UInt64) {
        guard enabled else { return }
        let now = SystemClock.monotonicSeconds()
        guard now - lastDraw >= 0.1 || done == total else { return }
        lastDraw = now
        let elapsed = now - start
        var line = "\(label) \(done)/\(total) entries"
        if total > 0 {
            line += " (\(CLIFormat.oneDecimal(Double(done) * 100 / Double(total)))%)"
        }
        if elapsed > 0.05 {
            line += ", \(CLIFormat.rate(Double(done) / elapsed)) entries/s"
        }
        // Carriage return, the line, then erase whatever a longer previous line left.
        CLIOutput.stderrRaw("\r" + line + "\u{1B}[K")
        drawn = true
    }

    /// Erases the progress line, leaving the cursor at the start of an empty line.
    func finish() {
        guard enabled, drawn else { return }
        CLIOutput.stderrRaw("\r\u{1B}[K")
        drawn = false
    }
}
