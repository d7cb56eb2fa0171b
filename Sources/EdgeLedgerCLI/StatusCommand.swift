import ArgumentParser
import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerGateway
import EdgeLedgerStore
import EdgeLedgerSystem

/// `edge-ledger status`: what a gateway's ledger holds and how its agent is doing.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the ledger's state: tree size, checkpoints, rejected readings, disk, upstreams, agent.",
        discussion: """
            Reads the store read-only (safe while the agent runs; --ack-journal-damage writes one \
            table) and asks the running agent for its status document (<prefix>/status: \
            readiness, problems, broker connection) over the configured listener, plaintext or \
            TLS (trusting --ca-file, presenting --cert/--key when the listener requires a client \
            certificate; EDGE_LEDGER_TOKEN is sent as a bearer token when set). Whether an agent has the store open comes \
            from the kernel's lock table, without touching the lock. Prints aligned lines (in \
            colour on a terminal unless NO_COLOR is set; see --color) or, with --json, one JSON \
            object. \
            Exit status 0 when the report was made (problems are listed under "attention" / \
            "problems"), 1 when the configuration or store cannot be read. Run it as root or as \
            the agent's user (sudo -u edge-ledger edge-ledger status).
            """
    )

    @Option(name: .shortAndLong, help: "The agent configuration (default: /etc/edge-ledger/edge-ledger.toml).")
    var config: String?

    @Option(help: "Read this store directly, without a configuration (no quota, upstream settings or API).")
    var db: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(name: .customLong("no-api"), help: "Do not ask the running agent's HTTP API.")
    var noAPI = false

    enum ColorChoice: String, CaseIterable, ExpressibleByArgument {
        case auto, always, never
    }

    @Option(help: "Colour: auto (on a terminal, unless NO_COLOR is set), always or never.")
    var color: ColorChoice = .auto

    @Option(help: "Seconds to wait for the agent's API.")
    var timeout: Double = 2

    @Option(
        name: .customLong("api-url"),
        help: "Ask the agent at this URL (with the prefix) instead of the configured listener.")
    var apiURL: String?

    @Option(name: .customLong("ca-file"), help: "PEM CA certificates to trust for a TLS API (default: the system's).")
    var caFile: String?

    @Option(help: "PEM client certificate for a TLS API that requires one (with --key).")
    var cert: String?

    @Option(help: "PEM private key of --cert.")
    var key: String?

    @Flag(
        name: .customLong("ack-journal-damage"),
        help: ArgumentHelp(
            "Acknowledge the ingest journal damage the report lists (after noting what was lost), then report.",
            discussion: "Writes to the store; safe while the agent runs. The quarantined bytes stay."))
    var ackJournalDamage = false

    /// Whether to paint the human view.
    var useColor: Bool {
        switch color {
        case .always: return true
        case .never: return false
        case .auto:
            let term = getenv("TERM").map { String(cString: $0) } ?? ""
            return CLIOutput.stdoutIsTerminal && getenv("NO_COLOR") == nil && term != "dumb"
        }
    }

    func validate() throws {
        if config != nil, db != nil { throw ValidationError("give --config or --db, not both") }
        guard timeout > 0, timeout <= 60 else { throw ValidationError("--timeout must be between 0 and 60 seconds") }
        if (cert == nil) != (key == nil) { throw ValidationError("give --cert and --key together") }
        if let apiURL, !(apiURL.hasPrefix("http://") || apiURL.hasPrefix("https://")) {
            throw ValidationError("--api-url must start with http:// or https://")
        }
    }

    func run() async throws {
        try await CLI.run {
            if ackJournalDamage {
                let path = try db ?? CLIStatus.loadConfiguration(config ?? AgentConfiguration.defaultPath).storage.path
                try CLIStatus.acknowledgeJournalDamage(storePath: path, json: json)
            }
            var report: CLIStatusReport
            if let db {
                report = try CLIStatus.gather(configuration: nil, storePath: db, now: SystemClock.nowNanoseconds())
            } else {
                let path = config ?? AgentConfiguration.defaultPath
                let configuration = try CLIStatus.loadConfiguration(path)
                report = try CLIStatus.gather(
                    configuration: configuration, storePath: configuration.storage.path,
                    now: SystemClock.nowNanoseconds())
                if !noAPI {
                    if configuration.http.enabled || apiURL != nil {
                        let query = CLIAgentQuery(
                            baseURL: apiURL ?? CLIAgentQuery.baseURL(configuration.http),
                            tls: TLSClientConfiguration(caFile: caFile, certFile: cert, keyFile: key),
                            token: CLIStatus.token(), timeout: timeout)
                        await query.ask(into: &report)
                    } else {
                        report.api = .notQueried("http.enabled = false")
                    }
                }
            }
            if json {
                try CLIOutput.stdout(report.json())
            } else {
                try CLIOutput.stdout(report.human(color: useColor))
            }
        }
    }
}

/// Gathering the status report.
enum CLIStatus {
    /// The bearer token from `EDGE_LEDGER_TOKEN`, if set and not empty.
    static func token() -> String? {
        guard let value = getenv("EDGE_LEDGER_TOKEN") else { return nil }
        let token = String(cString: value)
        return token.isEmpty ? nil : token
    }

    /// Loads the agent configuration like `run` does, except that secrets given as `*_env`
    /// variables need not be set: status uses none of them, and an operator's shell usually
    /// lacks the service's environment.
    static func loadConfiguration(_ path: String) throws -> AgentConfiguration {
        let text = try CLIFiles.readText(path, what: "configuration file", limit: ConfigLoader.maximumFileSize)
        var environment = ConfigLoader.processEnvironment
        for name in environmentNames(in: text) where (environment[name] ?? "").isEmpty {
            environment[name] = "unused-by-status"
        }
        do {
            return try ConfigLoader.parse(
                toml: text, environment: environment, baseDirectory: CLIFiles.directory(of: path))
        } catch {
            throw CLIError(
                "\(path) is not a valid configuration:\n" + error.issues.map(\.description).joined(separator: "\n"),
                hint: "edge-ledger check-config \(path) lists every problem; or read a store directly with --db")
        }
    }

    /// The variable names of `x_env = "NAME"` assignments in TOML text.
    static func environmentNames(in toml: String) -> [String] {
        var names: [String] = []
        for line in toml.split(separator: "\n") {
            let trimmed = CLIFormat.trim(line)
            guard !trimmed.hasPrefix("#"), let eq = trimmed.firstIndex(of: "=") else { continue }
            let key = CLIFormat.trim(trimmed[..<eq])
            guard key.hasSuffix("_env") else { continue }
            let value = CLIFormat.trim(trimmed[trimmed.index(after: eq)...])
            guard let quote = value.first, quote == "\"" || quote == "'" else { continue }
            let inner = value.dropFirst()
            guard let end = inner.firstIndex(of: quote) else { continue }
            names.append(String(inner[..<end]))
        }
        return names
    }

    /// Reads everything the report shows.
    ///
    /// - Parameters:
    ///   - configuration: the agent configuration; `nil` in `--db` mode.
    static func gather(
        configuration: AgentConfiguration?, storePath: String, now: Int64, procLocks: String = "/proc/locks"
    ) throws -> CLIStatusReport {
        var report = CLIStatusReport(
            generatedAt: now, origin: configuration?.identity.origin,
            store: .init(
                path: storePath, exists: CLIFiles.exists(storePath), hash: configuration?.identity.hash.rawValue,
                bytes: 0, quotaBytes: configuration?.storage.quotaBytes,
                overflow: configuration?.storage.overflow.rawValue),
            entries: 0, treeSize: 0, lastCheckpoint: nil, sealInterval: configuration?.seal.interval,
            rejectedLastHour: 0, rejectedTotal: 0, rejectedByReason: [], rejectedByReasonSampled: false,
            upstreams: [], agentPID: nil, agentLockChecked: false, apiURL: nil,
            api: .notQueried(configuration == nil ? "no configuration" : "--no-api"), broker: .unknown,
            brokerDetail: nil, hasConfiguration: configuration != nil)
        if let configuration {
            report.upstreams = configuration.upstreams.map {
                CLIStatusReport.Upstream(
                    name: $0.name, configured: true, witness: $0.witness, requiredForRetention: $0.requiredForRetention,
                    ackedSize: 0, ackedAt: nil, lastPushAt: nil, lastPushedSize: 0, lastPushResult: nil,
                    consecutiveFailures: 0, nextAttemptAt: nil)
            }
        }
        guard report.store.exists else {
            if configuration == nil {
                throw CLIError("\(storePath) does not exist", hint: "give the store's path (storage.path)")
            }
            return report
        }

        let reader = try openReader(storePath)
        report.store.hash = reader.hashAlgorithm.rawValue
        report.store.bytes = reader.bytesOnDisk()
        if report.origin == nil { report.origin = try reader.origin() }
        report.entries = try reader.nextIndex()
        report.treeSize = try reader.sealedSize()
        report.lastCheckpoint = try reader.latestCheckpoint().map { .init(size: $0.size, createdAt: $0.createdAt) }
        report.journalDamage = try reader.journalDamage()
        try checkIntegrity(reader, into: &report)

        let hourAgo = now - 3600 * 1_000_000_000
        report.rejectedTotal = try reader.rejectedCount()
        report.rejectedLastHour = try reader.rejectedCount(since: hourAgo)
        report.duplicates = try reader.duplicateCounts(since: hourAgo)
        if report.rejectedLastHour > 0 {
            let limit = 10_000
            let recent = try reader.recentRejected(limit: limit).filter { $0.receivedAt >= hourAgo }
            var counts: [String: Int] = [:]
            for rejected in recent {
                let reason = rejected.reason.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
                counts[CLIFormat.trim(reason), default: 0] += 1
            }
            report.rejectedByReason = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { (reason: $0.key, count: $0.value) }
            report.rejectedByReasonSampled = recent.count < report.rejectedLastHour
        }

        for state in try reader.upstreams() {
            var upstream =
                report.upstreams.first(where: { $0.name == state.name })
                ?? .init(
                    name: state.name, configured: false, witness: nil, requiredForRetention: nil, ackedSize: 0,
                    ackedAt: nil, lastPushAt: nil, lastPushedSize: 0, lastPushResult: nil, consecutiveFailures: 0,
                    nextAttemptAt: nil)
            upstream.ackedSize = state.ackedSize
            upstream.ackedAt = state.ackedAt
            upstream.lastPushAt = state.lastPushAt
            upstream.lastPushedSize = state.lastPushedSize
            upstream.lastPushResult = state.lastPushResult
            upstream.consecutiveFailures = state.consecutiveFailures
            upstream.nextAttemptAt = state.nextAttemptAt
            if let i = report.upstreams.firstIndex(where: { $0.name == state.name }) {
                report.upstreams[i] = upstream
            } else {
                report.upstreams.append(upstream)
            }
        }

        switch CLIStatusProbe.lockHolder(lockPath: storePath + "-writer.lock", procLocks: procLocks) {
        case .holder(let pid):
            report.agentPID = pid
            report.agentLockChecked = true
        case .free:
            report.agentLockChecked = true
        case .unknown:
            report.agentLockChecked = false
        }
        return report
    }

    /// Marks the store's unacknowledged journal damage acknowledged and says what that covered:
    /// one line each (stderr with `json`, so that standard output stays one JSON object).
    static func acknowledgeJournalDamage(storePath: String, json: Bool) throws {
        let acknowledged: [JournalDamage]
        do {
            acknowledged = try JournalDamageLog.acknowledge(storePath: storePath, now: SystemClock.nowNanoseconds())
        } catch {
            throw CLIError(
                "cannot acknowledge the journal damage in \(storePath): \(error.message)",
                hint: "run as root or as the agent's user: sudo -u edge-ledger edge-ledger status --ack-journal-damage")
        }
        var lines = acknowledged.map { "acknowledged: " + $0.summary }
        if lines.isEmpty { lines = ["no unacknowledged journal damage"] }
        let text = lines.joined(separator: "\n")
        if json { CLIOutput.stderr(text) } else { try CLIOutput.stdout(text) }
    }

    /// Opens the store read-only, with a hint for the usual permission problem.
    static func openReader(_ path: String) throws -> LedgerReader {
        do {
            let algorithm = try LedgerReader.hashAlgorithm(ofStoreAt: path)
            return try LedgerReader(path: path, hasher: try OpenSSLHasher(algorithm))
        } catch let error as StoreError {
            let hint =
                access(path, R_OK) != 0 || access(CLIFiles.directory(of: path), W_OK) != 0
                ? "run as root or as the agent's user: sudo -u edge-ledger edge-ledger status" : error.hint
            throw CLIError(error.message, hint: hint)
        }
    }
}
