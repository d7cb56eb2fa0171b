import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerSystem

/// `edge-ledger init`: a working first-start setup for one gateway in one directory.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a first-start setup: configuration, signing key and verifier keys in one directory.",
        discussion: """
            Writes DIR/edge-ledger.toml (commented; keys in DIR/keys, the store in \
            DIR/data/ledger.db), an Ed25519 signing key DIR/keys/ed25519.key (mode 0600) with \
            DIR/keys/ed25519.pub, and DIR/verifier-keys.txt (one note verifier key per line: what \
            an upstream needs to check this gateway's checkpoints). Nothing is ever overwritten: \
            if any of these files (or the store) exists, init refuses before writing anything. \
            Relative paths in the file resolve against DIR, so the directory can be moved.
            """
    )

    enum Hash: String, CaseIterable, ExpressibleByArgument {
        case sha256
        case sm3
    }

    @Option(help: "Directory for the setup (created when missing).")
    var dir: String

    @Option(help: "The log origin (default: edge-ledger.local/<hostname>).")
    var origin: String?

    @Option(help: "MQTT broker as HOST:PORT.")
    var broker: String = "127.0.0.1:1883"

    @Option(help: "Comma-separated MQTT topic filters (JSON payloads, QoS 1).")
    var topics: String = "factory/+/telemetry"

    @Option(help: "HTTP API listen address as HOST:PORT.")
    var listen: String = "127.0.0.1:8080"

    @Option(help: "Merkle tree hash: sha256 or sm3.")
    var hash: Hash = .sha256

    func run() async throws {
        try await CLI.run { try execute() }
    }

    /// The files init writes, relative to DIR (the store is only checked for absence).
    struct Layout {
        let dir: String
        var config: String { CLIFiles.join(dir, "edge-ledger.toml") }
        var keys: String { CLIFiles.join(dir, "keys") }
        var privateKey: String { CLIFiles.join(keys, CLIKeyAlgorithm.ed25519.privateKeyFileName) }
        var publicKey: String { CLIFiles.join(keys, CLIKeyAlgorithm.ed25519.verifierKeyFileName) }
        var verifierKeys: String { CLIFiles.join(dir, "verifier-keys.txt") }
        var data: String { CLIFiles.join(dir, "data") }
        var store: String { CLIFiles.join(data, "ledger.db") }
        var targets: [String] { [config, privateKey, publicKey, verifierKeys, store] }
    }

    /// The validated inputs.
    struct Settings {
        var origin: String
        var broker: HostPort
        var topics: [String]
        var listen: HostPort
        var hash: Hash
    }

    private func execute() throws {
        let settings = try validate()
        let layout = Layout(dir: dir)
        let existing = layout.targets.filter(CLIFiles.exists)
        guard existing.isEmpty else {
            throw CLIError(
                "refusing to overwrite: \(existing.joined(separator: ", ")) already exist\(existing.count == 1 ? "s" : "")",
                hint: "init never overwrites anything; choose another --dir, or move these files away")
        }
        let toml = Self.render(settings)
        // The configuration must load before anything is written (key files are checked later).
        do {
            _ = try ConfigLoader.parse(toml: toml, environment: [:], baseDirectory: dir)
        } catch {
            throw CLIError(
                "the options do not make a valid configuration:\n" + error.description,
                hint: "fix the options named above", exitCode: ExitCode.validationFailure.rawValue)
        }

        var createdFiles: [String] = []
        var createdDirectories: [String] = []
        func rollback() {
            for file in createdFiles.reversed() { CLIFiles.remove(file) }
            for directory in createdDirectories.reversed() { CLIFiles.removeDirectory(directory) }
        }
        let verifierKey: VerifierKey
        do {
            if try CLIFiles.makeDirectory(dir, mode: 0o755) { createdDirectories.append(dir) }
            if try CLIFiles.makeDirectory(layout.keys, mode: 0o700) { createdDirectories.append(layout.keys) }
            if try CLIFiles.makeDirectory(layout.data, mode: 0o750) { createdDirectories.append(layout.data) }
            let made = try KeygenCommand.generate(algorithm: .ed25519, name: settings.origin, directory: layout.keys)
            createdFiles += [made.privateKeyPath, made.verifierKeyPath]
            verifierKey = made.verifierKey
            try CLIFiles.writeNewFile(layout.verifierKeys, text: verifierKey.string + "\n", mode: 0o644)
            createdFiles.append(layout.verifierKeys)
            // TODO(issue 4): upstream-token.txt — once the HTTP API exists, create a random bearer
            // token for one upstream here: DIR/upstream-token.txt (mode 0600) holding the token, and
            // a [[http.tokens]] entry with its token_sha256 in the rendered configuration.
            try CLIFiles.writeNewFile(layout.config, text: toml, mode: 0o640)
            createdFiles.append(layout.config)
        } catch {
            rollback()
            throw error
        }

        // Load what was written exactly as `run` will.
        do {
            let config = try ConfigLoader.load(path: layout.config)
            for key in config.keys.signing { _ = try KeyFile.load(path: key.path) }
        } catch {
            rollback()
            throw CLIError("the written setup does not load (a bug in init); nothing was kept: \(error)")
        }

        if !settings.listen.isLoopback {
            CLI.warn(
                "http.listen \(settings.listen) is not a loopback address: the file sets allow_plaintext = true; "
                    + "configure [http.tls] before exposing the API on a network")
        }
        CLI.status("wrote \(layout.config)")
        CLI.status("wrote \(layout.privateKey) (mode 0600) and \(layout.publicKey)")
        CLI.status("wrote \(layout.verifierKeys)")
        try CLIOutput.stdout(
            """
            EdgeLedger setup for \(settings.origin) in \(dir)
              configuration: \(layout.config)
              signing key:   \(layout.privateKey)
              verifier key:  \(verifierKey.string)
              store:         \(layout.store) (created at first start)
            next:
              edge-ledger check-config \(layout.config)
              edge-ledger run --config \(layout.config)
              edge-ledger verify --config \(layout.config)
            """)
    }

    /// Checks every option; reports all problems at once.
    private func validate() throws -> Settings {
        var problems: [String] = []
        let origin = self.origin ?? Self.defaultOrigin()
        if let problem = CLIKeys.problem(withName: origin) { problems.append("--origin: \(problem)") }
        let brokerAddress = HostPort(parsing: broker)
        if brokerAddress == nil {
            problems.append("--broker \(broker): \(HostPort.problem(with: broker) ?? "expected HOST:PORT")")
        }
        let listenAddress = HostPort(parsing: listen)
        if listenAddress == nil {
            problems.append("--listen \(listen): \(HostPort.problem(with: listen) ?? "expected HOST:PORT")")
        }
        let filters = topics.split(separator: ",").map { CLIFormat.trim($0) }.filter { !$0.isEmpty }
        if filters.isEmpty { problems.append("--topics: give at least one MQTT topic filter") }
        var parsed: [MQTTTopicFilter] = []
        for filter in filters {
            if let problem = MQTTTopicFilter.problem(with: filter) {
                problems.append("--topics: \(filter): \(problem)")
            } else if let valid = MQTTTopicFilter(filter) {
                if let other = parsed.first(where: { $0.overlaps(valid) }) {
                    problems.append("--topics: \(filter) overlaps \(other); a reading must match exactly one filter")
                }
                parsed.append(valid)
            }
        }
        if dir.isEmpty { problems.append("--dir: the directory is empty") }
        guard problems.isEmpty, let brokerAddress, let listenAddress else {
            throw CLIError(problems.joined(separator: "\n"), exitCode: ExitCode.validationFailure.rawValue)
        }
        return Settings(origin: origin, broker: brokerAddress, topics: filters, listen: listenAddress, hash: hash)
    }

    /// `edge-ledger.local/<hostname>`, with characters a note key name cannot hold removed.
    static func defaultOrigin() -> String {
        var host = ""
        for scalar in CLIFiles.hostname().unicodeScalars
        where !scalar.properties.isWhitespace && scalar != "+" && scalar.value >= 0x20 && scalar != "/" {
            host.unicodeScalars.append(scalar)
        }
        if host.isEmpty { host = "gateway" }
        return "edge-ledger.local/" + String(host.prefix(200))
    }

    /// A fixed MQTT client id derived from the origin: `edge-ledger-` and the origin with
    /// characters outside `[A-Za-z0-9._-]` replaced by `-` (the default origin
    /// `edge-ledger.local/<host>` gets the prefix too; only one already starting with it does not).
    static func clientID(for origin: String) -> String {
        var out = origin.hasPrefix("edge-ledger-") ? "" : "edge-ledger-"
        for scalar in origin.unicodeScalars.prefix(200) {
            let ok =
                (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
                || scalar == "." || scalar == "_" || scalar == "-"
            out.unicodeScalars.append(ok ? scalar : "-")
        }
        return out
    }

    /// The configuration file text.
    static func render(_ s: Settings) -> String {
        let q = CLITOML.quote
        var topics = ""
        for filter in s.topics {
            topics += """

                [[mqtt.topics]]
                filter = \(q(filter))
                qos = 1                          # 0...2; QoS 1 readings are acknowledged only once stored
                format = "json"                  # "json": payload must be a JSON object | "raw": any bytes

                """
        }
        let plaintext =
            s.listen.isLoopback
            ? "# allow_plaintext = false        # needed to serve without [http.tls] on a non-loopback address"
            : "allow_plaintext = true           # not a loopback address: configure [http.tls] before exposing it"
        return """
            # EdgeLedger gateway configuration, written by `edge-ledger init`.
            #
            # Check it:  edge-ledger check-config edge-ledger.toml
            # Run it:    edge-ledger run --config edge-ledger.toml
            #
            # Relative paths resolve against the directory of this file. Every key and its default
            # is described in docs/CONFIGURATION.md and in the annotated Configs/edge-ledger.toml.

            [identity]
            # The log's C2SP origin: first line of every checkpoint and name of its note keys.
            # Cannot change for an existing log.
            origin = \(q(s.origin))
            # Merkle tree hash: "sha256" or "sm3". Cannot change for an existing log.
            hash = \(q(s.hash.rawValue))

            [keys]
            # Every key signs every checkpoint; at least one must be ed25519. Add optional extra
            # signatures with e.g.  edge-ledger keygen --alg p256 --name ORIGIN --out keys
            # and a [[keys.signing]] entry with path = "keys/p256.key", algorithm = "p256".
            [[keys.signing]]
            path = "keys/ed25519.key"        # PKCS#8 PEM, mode 0600
            algorithm = "ed25519"

            [mqtt]
            host = \(q(s.broker.host))
            port = \(s.broker.port)
            # Fixed client id: the broker keeps this gateway's session (and queues QoS 1 readings)
            # under it while the agent is down. Unique per gateway.
            client_id = \(q(clientID(for: s.origin)))
            # username = "edge-ledger"
            # password_env = "EDGE_LEDGER_MQTT_PASSWORD"
            # [mqtt.tls] enables TLS to the broker; see docs/CONFIGURATION.md.
            \(topics)
            [ingest]
            # max_payload_bytes = 16384      # larger readings are rejected (and recorded as rejected)

            [seal]
            # interval = "1s"                # seal a signed checkpoint at least this often ...
            # max_entries = 10000            # ... or as soon as this many entries are pending

            [storage]
            path = "data/ledger.db"
            durability = "process"           # "process": survives a crash of the agent
                                             # "power": fsync every commit, survives power loss (slower)

            [http]
            listen = \(q(s.listen.description))
            \(plaintext)
            # Upstreams authenticate with bearer tokens; only the token's SHA-256 is kept here:
            # [[http.tokens]]
            # name = "dc-1"
            # token_sha256 = "<64 hex digits: printf %s TOKEN | sha256sum>"

            [log]
            level = "info"

            [metrics]
            # enabled = true                 # Prometheus text at /metrics on the HTTP listener
            # allow_anonymous = false

            """
    }
}
