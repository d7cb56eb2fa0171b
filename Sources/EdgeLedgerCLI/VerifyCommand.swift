import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem

/// `edge-ledger verify`: recompute a whole ledger store offline and check every checkpoint.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a ledger store: every entry, hash tile, root, checkpoint signature and consistency proof.",
        discussion: """
            Recomputes every leaf hash, hash tile and root from the stored entries, checks each \
            stored checkpoint (root, note body, signatures, consistency with the previous one) \
            and stops at the first problem, naming the entry index, tile or checkpoint. The \
            store is opened read-only; it may be in use by a running agent. Signatures are \
            checked with the given verifier keys, or with the public halves of the signing keys \
            of --config; without keys, signatures are not checked (everything else is). Exit \
            code 0: the store is intact; 1: a problem was found or the store cannot be read. On a terminal, \
            progress is shown on standard error. \
            With --quick, checks in seconds what the agent's sealer builds on, as its background \
            integrity check does: SQLite's quick_check, the latest checkpoint's root recomputed from \
            the newest stored hash tiles (and its signatures, with keys), and every unsealed \
            entry's leaf hash; older entries and tiles are not re-read.
            """
    )

    @Option(help: "The ledger store (SQLite file); default: storage.path of --config.")
    var db: String?

    @Option(name: .customLong("verifier-keys"), help: "File of note verifier keys, one per line.")
    var verifierKeysFile: String?

    @Option(name: .customLong("verifier-key"), help: "A note verifier key (repeatable).")
    var verifierKeys: [String] = []

    @Option(help: "Agent configuration: its signing keys' public halves verify the signatures.")
    var config: String?

    @Flag(help: "Check only what the next seal builds on (quick_check, newest tiles, unsealed entries).")
    var quick = false

    @Flag(
        name: .customLong("require-all-keys"),
        help: "Every checkpoint must carry a valid signature by each given key (default: by one of them).")
    var requireAllKeys = false

    func run() async throws {
        try await CLI.run { try execute() }
    }

    private func execute() throws {
        var verifiers: [any NoteVerifier] = []
        var keySources: [String] = []
        var path = db
        if let config {
            let loaded = try ConfigLoader.load(path: config)
            verifiers += try Self.verifiers(of: loaded)
            keySources.append("\(loaded.keys.signing.count) from \(config)")
            if path == nil { path = loaded.storage.path }
        }
        if let verifierKeysFile {
            let fromFile = try CLIKeys.verifiers(fromFile: verifierKeysFile)
            verifiers += fromFile
            keySources.append("\(fromFile.count) from \(verifierKeysFile)")
        }
        for string in verifierKeys {
            verifiers.append(try CLIKeys.verifier(fromString: string))
        }
        if !verifierKeys.isEmpty { keySources.append("\(verifierKeys.count) from --verifier-key") }
        guard let path else {
            throw CLIError(
                "no ledger store given", hint: "pass --db PATH, or --config FILE to verify its storage.path",
                exitCode: ExitCode.validationFailure.rawValue)
        }
        guard CLIFiles.exists(path) else {
            throw CLIError(
                "no ledger store at \(path)",
                hint: "check the path; the agent's store is storage.path in its configuration")
        }
        let hasher = try CLIStore.hasher(forStoreAt: path, option: "--db")
        if verifiers.isEmpty {
            CLI.warn(
                "no verifier keys given: checkpoint signatures will NOT be checked "
                    + "(use --verifier-keys FILE, --verifier-key KEY or --config FILE)")
        }
        if requireAllKeys, verifiers.isEmpty {
            throw CLIError(
                "--require-all-keys needs verifier keys",
                hint: "pass --verifier-keys FILE, --verifier-key KEY or --config FILE",
                exitCode: ExitCode.validationFailure.rawValue)
        }
        var verifier = LedgerVerifier(hasher: hasher, verifiers: verifiers.isEmpty ? nil : verifiers)
        verifier.signaturePolicy = requireAllKeys ? .all : .any
        if quick {
            try Self.verifyQuick(verifier, path: path, signatures: verifiers.isEmpty ? nil : keySources)
            return
        }
        let progress = CLIProgress(label: "verifying")
        // Report often enough for a smooth line; the progress object limits redraws.
        verifier.progressInterval = 4096
        let report: VerificationReport
        do {
            report = try verifier.verify(path: path) { done, total in progress.update(done: done, total: total) }
        } catch {
            progress.finish()
            CLIOutput.stderr("FAILED: \(error.description)")
            CLIOutput.stderr("\(path) did not verify; the first problem is at \(error.place)")
            throw ExitCode.failure
        }
        progress.finish()
        let elapsed = progress.elapsed
        var lines = ["\(path): OK"]
        lines.append("  origin:       \(report.origin ?? "(none recorded yet)")")
        lines.append("  hash:         \(report.hashAlgorithm.rawValue)")
        var entries = "  entries:      \(report.entries)"
        var notes: [String] = []
        if report.pendingEntries > 0 { notes.append("\(report.pendingEntries) after the latest checkpoint") }
        if report.prunedEntries > 0 { notes.append("\(report.prunedEntries) pruned, leaf hashes used") }
        if !notes.isEmpty { entries += " (\(notes.joined(separator: ", ")))" }
        lines.append(entries)
        lines.append("  tiles:        \(report.tilesChecked) checked")
        lines.append(
            "  checkpoints:  \(report.checkpoints) checked, "
                + "\(CLIFormat.count(report.consistencyProofs, "consistency proof", "consistency proofs")) verified")
        if verifiers.isEmpty {
            lines.append("  signatures:   NOT checked (no verifier keys given)")
        } else {
            lines.append(
                "  signatures:   \(report.signaturesVerified) verified with "
                    + "\(CLIFormat.count(verifiers.count, "key", "keys")) (\(keySources.joined(separator: ", ")))"
                    + (requireAllKeys ? ", every key on every checkpoint" : ""))
        }
        lines.append("  root:         \(report.root) at size \(report.sealedSize)")
        let rate = elapsed > 0 ? ", \(CLIFormat.rate(Double(report.entries) / elapsed)) entries/s" : ""
        lines.append("  time:         \(CLIFormat.seconds(elapsed))\(rate)")
        try CLIOutput.stdout(lines.joined(separator: "\n"))
    }

    /// Verifiers for the public halves of `config`'s signing keys, named by its origin.
    static func verifiers(of config: AgentConfiguration) throws -> [any NoteVerifier] {
        var out: [any NoteVerifier] = []
        for (i, entry) in config.keys.signing.enumerated() {
            do {
                let key = try KeyFile.load(path: entry.path)
                out.append(NoteKeys.verifier(for: key.publicKey, name: config.identity.origin))
            } catch {
                throw CLIError("keys.signing[\(i)].path: \(error.message)", hint: error.hint)
            }
        }
        return out
    }
}
