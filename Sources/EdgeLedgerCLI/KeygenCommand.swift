import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerCrypto

/// `edge-ledger keygen`: a new checkpoint signing key and its verifier key.
struct KeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create a checkpoint signing key (PKCS#8 PEM, mode 0600) and print its verifier key.",
        discussion: """
            Writes DIR/<alg>.key (the private key, mode 0600) and DIR/<alg>.pub (the C2SP note \
            verifier key, one line), creating DIR with mode 0700 when it is missing. Existing \
            files are never overwritten. The new verifier key is added to the gateway's verifier \
            key file, what it hands to upstreams: --verifier-keys FILE, or by default the \
            verifier-keys.txt beside DIR when it exists (the `init` layout: DIR is its keys \
            directory). Standard output gets only the verifier key line, so scripts can capture \
            it; status goes to standard error.
            """
    )

    @Option(name: .customLong("alg"), help: "Signature algorithm: ed25519, p256 or sm2.")
    var algorithm: CLIKeyAlgorithm

    @Option(help: "Note key name: the log origin, e.g. factory.example/plant-7/gw-12.")
    var name: String

    @Option(name: .customLong("out"), help: "Directory for <alg>.key and <alg>.pub.")
    var directory: String

    @Option(
        name: .customLong("verifier-keys"),
        help: "Verifier key file to add the new key to (default: verifier-keys.txt beside --out, when it exists).")
    var verifierKeysFile: String?

    func run() async throws {
        try await CLI.run {
            if let verifierKeysFile, !CLIFiles.exists(verifierKeysFile) {
                throw CLIError(
                    "--verifier-keys \(verifierKeysFile) does not exist",
                    hint: "give the gateway's verifier key file (edge-ledger init writes DIR/verifier-keys.txt)")
            }
            let made = try Self.generate(algorithm: algorithm, name: name, directory: directory)
            CLI.status("wrote private key \(made.privateKeyPath) (mode 0600)")
            CLI.status("wrote verifier key \(made.verifierKeyPath)")
            if let file = verifierKeysFile ?? CLIVerifierKeysFile.beside(keyDirectory: directory) {
                if try CLIVerifierKeysFile.add(made.verifierKey.string, to: file) {
                    CLI.status(
                        "added the verifier key to \(file): add a [[keys.signing]] entry with path = "
                            + "\"\(made.privateKeyPath)\" and algorithm = \"\(algorithm.rawValue)\", restart the agent, "
                            + "then hand \(file) to every upstream (gateways.verifier_keys)")
                }
            }
            try CLIOutput.stdout(made.verifierKey.string)
        }
    }

    /// What ``generate(algorithm:name:directory:)`` wrote.
    struct Generated {
        var privateKeyPath: String
        var verifierKeyPath: String
        var verifierKey: VerifierKey
    }

    /// Makes a key for `algorithm` named `name` in `directory` (created with mode 0700 when
    /// missing): `<alg>.key` (PKCS#8 PEM, 0600) and `<alg>.pub` (verifier key and newline, 0644).
    ///
    /// Both files are checked to be absent before anything is written; if writing the `.pub`
    /// fails, the new `.key` is removed again.
    static func generate(algorithm: CLIKeyAlgorithm, name: String, directory: String) throws -> Generated {
        if let problem = CLIKeys.problem(withName: name) {
            throw CLIError(
                "--name: \(problem)",
                hint: "the key name is the log origin, e.g. factory.example/plant-7/gw-12: no spaces, no '+'")
        }
        guard !directory.isEmpty else { throw CLIError("--out: the directory is empty") }
        let keyPath = CLIFiles.join(directory, algorithm.privateKeyFileName)
        let pubPath = CLIFiles.join(directory, algorithm.verifierKeyFileName)
        if CLIFiles.exists(directory), !CLIFiles.isDirectory(directory) {
            throw CLIError("--out \(directory) is not a directory")
        }
        for path in [keyPath, pubPath] where CLIFiles.exists(path) {
            throw CLIError(
                "\(path) already exists; refusing to overwrite a key",
                hint: "keep the existing key (its verifier key is in \(pubPath)), or choose another --out directory")
        }
        let createdDirectory = try CLIFiles.makeDirectory(directory, mode: 0o700)
        let key = try PrivateKey.generate(algorithm.signing)
        do {
            try KeyFile.save(key, to: keyPath)
        } catch {
            if createdDirectory { CLIFiles.removeDirectory(directory) }
            throw error
        }
        let verifierKey = NoteKeys.verifierKey(for: key, name: name)
        do {
            try CLIFiles.writeNewFile(pubPath, text: verifierKey.string + "\n", mode: 0o644)
        } catch {
            CLIFiles.remove(keyPath)
            if createdDirectory { CLIFiles.removeDirectory(directory) }
            throw error
        }
        return Generated(privateKeyPath: keyPath, verifierKeyPath: pubPath, verifierKey: verifierKey)
    }
}
