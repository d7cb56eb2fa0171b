import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerStore
import EdgeLedgerSystem

/// `edge-ledger check-config FILE`: the agent's start-up validation, without starting it.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate an agent configuration file and the key files it names.",
        discussion: """
            Runs the same validation as `edge-ledger run`, then loads every signing key (which \
            must be mode 0600 and match its configured algorithm), checks that TLS files are \
            readable (warning about a client certificate that has expired, is not valid yet or does not \
            match its key), and, when the store exists, that it holds this log. Problems go to standard \
            error, one per line, each starting with its key path, and the exit code is 1. A valid \
            file prints a short summary and exits 0; warnings go to standard error.
            """
    )

    @Argument(help: "The configuration file (TOML).")
    var file: String

    func run() async throws {
        try await CLI.run {
            let config: AgentConfiguration
            do {
                config = try ConfigLoader.load(path: file)
            } catch let error as ConfigError {
                // Every problem at once: the key files named by the document are checked too,
                // so a readable key is not reported only after everything else is fixed.
                var problems = error.issues.map(\.description)
                for (i, path) in ConfigLoader.signingKeyPaths(path: file) {
                    do {
                        _ = try KeyFile.load(path: path)
                    } catch let error as CryptoError {
                        problems.append(
                            "keys.signing[\(i)].path: \(error.message)" + (error.hint.map { "; \($0)" } ?? ""))
                    }
                }
                for problem in problems { CLIOutput.stderr(problem) }
                CLIOutput.stderr("\(file): \(CLIFormat.count(problems.count, "problem", "problems")), not valid")
                throw ExitCode.failure
            }
            var problems: [String] = []
            var warnings = config.warnings.map(\.description)
            let keys = Self.checkKeys(config, problems: &problems)
            Self.checkVerifierKeysFile(configFile: file, keys: keys, warnings: &warnings)
            Self.checkFiles(config, problems: &problems)
            warnings += ClientCertificateCheck.warnings(config).map(\.description)
            let store = Self.checkStore(config, problems: &problems, warnings: &warnings)
            for warning in warnings { CLI.warn(warning) }
            guard problems.isEmpty else {
                for problem in problems { CLIOutput.stderr(problem) }
                CLIOutput.stderr("\(file): \(CLIFormat.count(problems.count, "problem", "problems")), not valid")
                throw ExitCode.failure
            }
            try printSummary(config, keys: keys, store: store, warningCount: warnings.count)
        }
    }

    /// Loads every configured signing key; returns the verifier key of each that loads.
    static func checkKeys(_ config: AgentConfiguration, problems: inout [String]) -> [(String, VerifierKey)] {
        var out: [(String, VerifierKey)] = []
        for (i, entry) in config.keys.signing.enumerated() {
            do {
                let key = try KeyFile.load(path: entry.path)
                guard key.algorithm.rawValue == entry.algorithm.rawValue else {
                    problems.append(
                        "keys.signing[\(i)].algorithm: \(entry.path) holds an \(key.algorithm.displayName) key, "
                            + "but algorithm = \"\(entry.algorithm.rawValue)\"; set algorithm = "
                            + "\"\(key.algorithm.rawValue)\" or point path at the right key")
                    continue
                }
                out.append((entry.path, NoteKeys.verifierKey(for: key, name: config.identity.origin)))
            } catch {
                problems.append("keys.signing[\(i)].path: \(error.message)" + (error.hint.map { "; \($0)" } ?? ""))
            }
        }
        return out
    }

    /// TLS certificate and key files must exist and be readable by this user.
    static func checkFiles(_ config: AgentConfiguration, problems: inout [String]) {
        var files: [(String, String?)] = [
            ("mqtt.tls.ca_file", config.mqtt.tls?.caFile), ("mqtt.tls.cert_file", config.mqtt.tls?.certFile),
            ("mqtt.tls.key_file", config.mqtt.tls?.keyFile), ("http.tls.cert_file", config.http.tls?.certFile),
            ("http.tls.key_file", config.http.tls?.keyFile), ("http.tls.client_ca_file", config.http.tls?.clientCAFile),
        ]
        for (i, upstream) in config.upstreams.enumerated() {
            files.append(("upstreams[\(i)].tls.ca_file", upstream.tls?.caFile))
            files.append(("upstreams[\(i)].tls.cert_file", upstream.tls?.certFile))
            files.append(("upstreams[\(i)].tls.key_file", upstream.tls?.keyFile))
        }
        for case (let key, let path?) in files {
            if !CLIFiles.exists(path) {
                problems.append("\(key): \(path) does not exist")
            } else if access(path, R_OK) != 0 {
                problems.append(
                    "\(key): \(path) is not readable by this user: \(String(cString: strerror(errno))); "
                        + "run check-config as the agent's user")
            }
        }
    }

    /// What is known about the configured store.
    enum StoreState {
        case missing
        case present(entries: UInt64, sealed: UInt64)
    }

    /// An existing store must be a ledger of this origin and hash; a missing one is created at
    /// start, in a directory that should exist.
    static func checkStore(
        _ config: AgentConfiguration, problems: inout [String], warnings: inout [String]
    )
        -> StoreState
    {
        let path = config.storage.path
        guard CLIFiles.exists(path) else {
            // The agent creates the store, and its directory (like mkdir -p), at first start;
            // the nearest existing ancestor must be writable for that.
            var ancestor = CLIFiles.directory(of: path)
            while !CLIFiles.exists(ancestor), ancestor != "/", ancestor != "." {
                ancestor = CLIFiles.directory(of: ancestor)
            }
            if access(ancestor, W_OK) != 0 {
                warnings.append(
                    "storage.path: \(path) does not exist yet and \(ancestor) is not writable by this user; "
                        + "the agent (running as its own user) must be able to create it there")
            }
            return .missing
        }
        do {
            let algorithm = try LedgerReader.hashAlgorithm(ofStoreAt: path)
            guard algorithm == config.identity.hash else {
                problems.append(
                    "identity.hash: the store \(path) is hashed with \(algorithm.rawValue), not "
                        + "\(config.identity.hash.rawValue); a log never changes its hash: set hash = "
                        + "\"\(algorithm.rawValue)\" or point storage.path at a new file")
                return .missing
            }
            let reader = try LedgerReader(path: path, hasher: try OpenSSLHasher(algorithm))
            if let origin = try reader.origin(), origin != config.identity.origin {
                problems.append(
                    "identity.origin: the store \(path) holds the log \"\(origin)\", not \"\(config.identity.origin)\"; "
                        + "each log has its own store: fix the origin or point storage.path at a new file")
            }
            return .present(entries: try reader.nextIndex(), sealed: try reader.sealedSize())
        } catch let error as StoreError {
            problems.append("storage.path: \(error.description)")
        } catch {
            problems.append("storage.path: \(error)")
        }
        return .missing
    }

    func printSummary(
        _ config: AgentConfiguration, keys: [(String, VerifierKey)], store: StoreState, warningCount: Int
    )
        throws
    {
        var lines = [
            "\(file): OK" + (warningCount > 0 ? " (\(CLIFormat.count(warningCount, "warning", "warnings")))" : "")
        ]
        lines.append("  origin:   \(config.identity.origin) (hash \(config.identity.hash.rawValue))")
        let mqtt = config.mqtt
        let broker = HostPort(host: mqtt.host, port: mqtt.port)
        lines.append(
            "  broker:   \(broker) (MQTT \(mqtt.protocolVersion.rawValue), \(mqtt.tls == nil ? "plaintext" : "TLS")), "
                + "client id \(mqtt.clientID)")
        let topics = mqtt.topics.map { "\($0.filter) (qos \($0.qos), \($0.format.rawValue))" }
        lines.append("  topics:   \(topics.joined(separator: ", "))")
        var storeLine = "  store:    \(config.storage.path) (durability \(config.storage.durability.rawValue))"
        switch store {
        case .missing: storeLine += ", not created yet (the agent creates it at first start)"
        case .present(let entries, let sealed):
            storeLine += ", \(CLIFormat.count(entries, "entry", "entries")), \(sealed) sealed"
        }
        lines.append(storeLine)
        for (i, (path, key)) in keys.enumerated() {
            let algorithm = config.keys.signing[i].algorithm.rawValue
            lines.append("  key:      \(algorithm) \(path)")
            lines.append("            verifier key \(key.string)")
        }
        let http = config.http
        if http.enabled {
            lines.append(
                "  http:     \(http.listen)\(http.prefix) (\(http.tls == nil ? "plaintext" : "TLS"), "
                    + "\(CLIFormat.count(http.tokens.count, "token", "tokens")))")
        } else {
            lines.append("  http:     disabled")
        }
        if !config.upstreams.isEmpty {
            lines.append("  upstreams: \(config.upstreams.map(\.name).joined(separator: ", "))")
        }
        try CLIOutput.stdout(lines.joined(separator: "\n"))
    }
}
