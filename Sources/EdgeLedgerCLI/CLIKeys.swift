import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore

/// Key algorithms as command-line values (`--alg ed25519|p256|sm2`).
enum CLIKeyAlgorithm: String, CaseIterable, Sendable {
    case ed25519
    case p256
    case sm2

    /// The crypto module's algorithm.
    var signing: SigningAlgorithm {
        switch self {
        case .ed25519: .ed25519
        case .p256: .p256
        case .sm2: .sm2
        }
    }

    /// File name of the private key that `keygen` and `init` write: `<alg>.key`.
    var privateKeyFileName: String { "\(rawValue).key" }

    /// File name of the verifier key that `keygen` and `init` write: `<alg>.pub`.
    var verifierKeyFileName: String { "\(rawValue).pub" }
}

extension CLIKeyAlgorithm: ExpressibleByArgument {}

/// Loading note verifier keys for `verify`.
enum CLIKeys {
    /// Why `name` cannot be a log origin / note key name, or `nil` when it can.
    ///
    /// The C2SP rules (no white space, no `+`, no control characters, not empty) plus the
    /// configuration's 255-byte limit on `identity.origin`, so that a key made by `keygen` can
    /// always be configured.
    static func problem(withName name: String) -> String? {
        if let problem = NoteName.problem(with: name) { return problem }
        if name.utf8.count > 255 { return "key name is \(name.utf8.count) bytes; an origin is at most 255" }
        return nil
    }

    /// The verifiers of a verifier key file: one key per line; blank lines and lines starting
    /// with `#` are skipped.
    ///
    /// - Throws: ``CLIError`` naming the file and line of a bad key, or when the file has none.
    static func verifiers(fromFile path: String) throws(CLIError) -> [any NoteVerifier] {
        let text = try CLIFiles.readText(path, what: "verifier key file")
        var out: [any NoteVerifier] = []
        for (i, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = CLIFormat.trim(rawLine)
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                out.append(try NoteKeys.verifier(from: String(line)))
            } catch {
                throw CLIError(
                    "\(path) line \(i + 1): \(describe(error))",
                    hint: "each line must be a note verifier key <name>+<hex key ID>+<base64 key>, "
                        + "as edge-ledger keygen prints it")
            }
        }
        guard !out.isEmpty else {
            throw CLIError(
                "verifier key file \(path) holds no keys",
                hint: "put one verifier key per line, e.g. the contents of the .pub files edge-ledger keygen writes")
        }
        return out
    }

    /// The verifier of one verifier key string given on the command line.
    static func verifier(fromString string: String) throws(CLIError) -> any NoteVerifier {
        do {
            return try NoteKeys.verifier(from: CLIFormat.trim(string))
        } catch {
            throw CLIError(
                "--verifier-key \(string): \(describe(error))",
                hint: "expected <name>+<hex key ID>+<base64 key>, as edge-ledger keygen prints it")
        }
    }

    /// `error`'s message with its hint, for errors from the core and crypto modules.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as NoteError: e.description
        case let e as CryptoError: e.description
        default: "\(error)"
        }
    }
}

/// Opening stores given on the command line.
enum CLIStore {
    /// The hasher matching the store at `path` (each store records its hash algorithm).
    ///
    /// - Throws: ``CLIError`` saying that `path` (given with `option`) is not a readable
    ///   EdgeLedger store.
    static func hasher(forStoreAt path: String, option: String) throws(CLIError) -> OpenSSLHasher {
        do {
            return try OpenSSLHasher(LedgerReader.hashAlgorithm(ofStoreAt: path))
        } catch let error as StoreError {
            throw CLIError(
                "cannot read \(path) as a ledger store: \(error.message)",
                hint:
                    "check \(option): it must be an EdgeLedger store, such as storage.path of the agent's configuration"
            )
        } catch {
            throw CLIError("cannot read \(path) as a ledger store: \(error)")
        }
    }
}
