import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerStore
import EdgeLedgerSystem

extension VerifyCommand {
    /// `verify --quick`: ``LedgerVerifier/verifyQuick(path:)``, printed like the full verify.
    ///
    /// - Parameter signatures: where the verifier keys came from; `nil` when none were given.
    static func verifyQuick(_ verifier: LedgerVerifier, path: String, signatures: [String]?) throws {
        let started = SystemClock.monotonicSeconds()
        let report: IntegrityReport
        do {
            report = try verifier.verifyQuick(path: path)
        } catch {
            CLIOutput.stderr("FAILED: \(error.description)")
            CLIOutput.stderr(
                "\(path) is damaged at \(error.place); run `edge-ledger verify --db \(path)` for a full check")
            throw ExitCode.failure
        }
        let elapsed = SystemClock.monotonicSeconds() - started
        var lines = ["\(path): OK (quick check)"]
        lines.append("  structure:    \(report.fileStructureChecked ? "SQLite quick_check passed" : "not checked")")
        if let root = report.root {
            lines.append("  root:         \(root) at size \(report.sealedSize), recomputed from the newest tiles")
        } else {
            lines.append("  root:         no checkpoint yet")
        }
        if let signatures {
            lines.append("  signatures:   latest checkpoint verified (keys: \(signatures.joined(separator: ", ")))")
        } else {
            lines.append("  signatures:   NOT checked (no verifier keys given)")
        }
        lines.append("  unsealed:     \(report.unsealedChecked) entries re-hashed")
        lines.append("  not checked:  older entries and tiles (run without --quick)")
        lines.append("  time:         \(CLIFormat.seconds(elapsed))")
        try CLIOutput.stdout(lines.joined(separator: "\n"))
    }
}
