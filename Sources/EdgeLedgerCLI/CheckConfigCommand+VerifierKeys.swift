import EdgeLedgerCore

extension CheckConfigCommand {
    /// Compares the gateway's verifier key file (`verifier-keys.txt` beside the configuration,
    /// what it hands to its upstreams) with the configured signing keys `keys`: a signing key
    /// missing from the file is never checked by upstreams given it, and a listed key the agent
    /// does not sign with makes upstreams with `require_signatures = "all"` refuse every
    /// checkpoint. Each difference is a warning naming the key.
    static func checkVerifierKeysFile(
        configFile: String, keys: [(String, VerifierKey)], warnings: inout [String]
    ) {
        let path = CLIFiles.join(CLIFiles.directory(of: configFile), CLIVerifierKeysFile.fileName)
        guard CLIFiles.exists(path), let text = try? CLIFiles.readText(path, what: "verifier key file") else { return }
        let listed = Set(
            text.split(separator: "\n").map(CLIFormat.trim).filter { !$0.isEmpty && !$0.hasPrefix("#") })
        for (keyPath, key) in keys where !listed.contains(key.string) {
            warnings.append(
                "\(path) lacks the verifier key of \(keyPath): upstreams given that file never check its signatures; "
                    + "add the line \(key.string) and hand the file to them again")
        }
        let signing = Set(keys.map(\.1.string))
        for line in listed.sorted() where !signing.contains(line) {
            warnings.append(
                "\(path) lists \(line), which no keys.signing entry signs with: upstreams with "
                    + "require_signatures = \"all\" refuse every checkpoint; remove the line or configure the key")
        }
    }
}
