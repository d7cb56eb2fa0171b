import EdgeLedgerSystem

/// The gateway's verifier key file (`verifier-keys.txt` of the `init` layout): one note verifier
/// key per line, what the gateway hands to its upstreams. An upstream configured with these keys
/// and `require_signatures = "all"` refuses a checkpoint missing any of their signatures, so the
/// file must list every signing key: `keygen` adds each new key to it.
enum CLIVerifierKeysFile {
    /// The file's name in the `init` layout, next to the `keys` directory.
    static let fileName = "verifier-keys.txt"

    /// The verifier key file of the `init` layout for keys written into `keyDirectory`
    /// (`DIR/keys` → `DIR/verifier-keys.txt`), when it exists.
    static func beside(keyDirectory: String) -> String? {
        let path = CLIFiles.join(CLIFiles.directory(of: keyDirectory), fileName)
        return CLIFiles.exists(path) ? path : nil
    }

    /// Adds `line` (a verifier key) to the file at `path`, keeping every line it has (the
    /// file is replaced atomically: written beside it, synced, renamed over it).
    ///
    /// - Returns: `false` when the file already lists the key (nothing is written).
    /// - Throws: ``CLIError`` when the file cannot be read or replaced; it is left as it was.
    static func add(_ line: String, to path: String) throws(CLIError) -> Bool {
        let text = try CLIFiles.readText(path, what: "verifier key file")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(CLIFormat.trim)
        if lines.contains(where: { $0 == line }) { return false }
        var updated = text
        if !updated.isEmpty, !updated.hasSuffix("\n") { updated += "\n" }
        updated += line + "\n"
        let failure = Array(updated.utf8).withUnsafeBytes { bytes -> FileSystemError? in
            do throws(FileSystemError) {
                try FileSystem.replaceAtomically(path, with: bytes, mode: 0o644, exactMode: true)
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            throw CLIError("cannot replace \(path): \(failure)", hint: "add this line to it by hand: \(line)")
        }
        return true
    }
}
