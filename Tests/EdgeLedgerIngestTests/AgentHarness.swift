import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerMQTT
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation

/// One gateway under test: a config in a temp dir, a real key, and the real `edge-ledger run`
/// binary started and stopped (or killed) by the test.
final class AgentHarness: @unchecked Sendable {
    /// Removed with everything in it once the harness is released.
    let folder: TemporaryFolder
    var directory: URL { folder.url }
    let broker: MosquittoBroker
    let origin = "test.example/gw-1"
    let verifier: any NoteVerifier
    /// The gateway's note verifier key (`origin+keyid+base64`), what an upstream configures.
    let verifierKey: String
    var agent: ChildProcess?
    var configPath: String { directory.appendingPathComponent("edge-ledger.toml").path }
    var databasePath: String { directory.appendingPathComponent("data/ledger.db").path }
    var logPath: String { directory.appendingPathComponent("agent.log").path }
    /// The ingest journal's directory, beside the store.
    var journalPath: String { databasePath + "-ingest-journal" }

    /// The journal's segment files (an empty journal after a clean stop).
    func journalSegments() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: journalPath)) ?? []).filter { $0.hasSuffix(".journal") }
    }

    /// The HTTP API's port when enabled.
    let httpPort: Int?

    /// - Parameters:
    ///   - extraConfig: TOML appended to the configuration (e.g. `[[upstreams]]`).
    ///   - storage: keys added to `[storage]` (e.g. `quota = "1MiB"`).
    ///   - mqtt: keys added to `[mqtt]` (e.g. `protocol = "5"`).
    init(
        broker: MosquittoBroker, extraTopics: String = "", sealInterval: String = "200ms", http: Bool = false,
        maxPayloadBytes: Int = 1024, storage: String = "", extraConfig: String = "", mqtt: String = ""
    ) throws {
        self.broker = broker
        folder = try TemporaryFolder(prefix: "agent")
        let directory = folder.url
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("keys"), withIntermediateDirectories: true)
        let key = try PrivateKey.generate(.ed25519)
        try KeyFile.save(key, to: directory.appendingPathComponent("keys/ed25519.key").path)
        verifier = NoteKeys.verifier(for: key.publicKey, name: origin)
        verifierKey = NoteKeys.verifierKey(for: key.publicKey, name: origin).string
        let httpPort = http ? try FreePort.find() : nil
        self.httpPort = httpPort
        let httpSection =
            if let httpPort {
                """
                [http]
                listen = "127.0.0.1:\(httpPort)"
                allow_anonymous_read = true

                [[http.tokens]]
                name = "dc-1"
                token_env = "EDGE_LEDGER_TEST_TOKEN"

                [metrics]
                allow_anonymous = true
                """
            } else {
                "[http]\nenabled = false"
            }
        let toml = """
            [identity]
            origin = "\(origin)"

            [[keys.signing]]
            path = "keys/ed25519.key"

            [mqtt]
            host = "127.0.0.1"
            port = \(broker.port)
            client_id = "agent-under-test"
            \(mqtt)

            [mqtt.reconnect]
            initial = "100ms"
            max = "500ms"

            [[mqtt.topics]]
            filter = "factory/+/telemetry"
            qos = 1
            format = "json"

            [[mqtt.topics]]
            filter = "factory/+/raw"
            qos = 0
            format = "raw"
            \(extraTopics)

            [ingest]
            max_payload_bytes = \(maxPayloadBytes)

            [seal]
            interval = "\(sealInterval)"

            [storage]
            path = "data/ledger.db"
            \(storage)

            \(httpSection)

            [log]
            level = "info"

            \(extraConfig)
            """
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts `edge-ledger run` without waiting for anything.
    func launch() throws {
        let binary = try BuiltProducts.executable("edge-ledger")
        var environment = ProcessInfo.processInfo.environment
        environment["EDGE_LEDGER_TEST_TOKEN"] = "test-token"
        agent = try ChildProcess(
            executable: binary, arguments: ["run", "--config", configPath], outputFile: logPath,
            environment: environment)
    }

    /// Waits until the agent's log has a line containing `text`; that line.
    func waitForLogLine(containing text: String, timeout: Double = 20) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = log.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            usleep(20_000)
        }
        return nil
    }

    /// Starts `edge-ledger run` and waits until it is connected to the broker.
    func start() throws {
        try launch()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if log.contains("broker connected") && log.components(separatedBy: "broker connected").count > starts {
                starts += 1
                usleep(150_000)  // SUBACK
                return
            }
            if let agent, !agent.isRunning { throw TestSupportError("agent exited early:\n\(log)") }
            usleep(20_000)
        }
        throw TestSupportError("agent did not connect within 20 s:\n\(log)")
    }

    private var starts = 0

    /// GET `path` from the agent's API with curl; returns (status, body as text).
    func get(_ path: String, token: String? = nil) throws -> (Int, String) {
        let (code, body) = try getBytes(path, token: token)
        return (code, String(decoding: body, as: UTF8.self))
    }

    /// GET `path` from the agent's API with curl; returns (status, body).
    func getBytes(_ path: String, token: String? = nil) throws -> (Int, [UInt8]) {
        guard let httpPort else { throw TestSupportError("HTTP is not enabled in this harness") }
        return try fetch("http://127.0.0.1:\(httpPort)\(path)", token: token)
    }

    /// GET `url` (any loopback server) with curl; returns (status, body); status 0 when nothing
    /// answered.
    func fetch(_ url: String, token: String? = nil) throws -> (Int, [UInt8]) {
        let out = directory.appendingPathComponent("curl-\(UUID().uuidString.prefix(6)).out").path
        var args = ["-s", "-o", out, "-w", "%{http_code}", url]
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        let status = directory.appendingPathComponent("curl-status-\(UUID().uuidString.prefix(6))").path
        let curl = try ChildProcess(executable: "/usr/bin/curl", arguments: args, outputFile: status)
        curl.wait(timeout: 20)
        let code = Int((try? String(contentsOfFile: status, encoding: .utf8)) ?? "") ?? 0
        return (code, FileManager.default.contents(atPath: out).map { Array($0) } ?? [])
    }

    /// Stops the agent with `signal` and waits; returns its exit code.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32? {
        guard let agent else { return nil }
        agent.signal(signal)
        let code = agent.wait(timeout: 20)
        self.agent = nil
        return code
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Opens the store read-only.
    func reader() throws -> LedgerReader {
        try LedgerReader(path: databasePath, hasher: OpenSSLHasher.sha256)
    }

    /// Every entry's payload as text.
    func payloads() throws -> [String] {
        let r = try reader()
        let n = try r.nextIndex()
        return try r.entries(from: 0, to: n).map { String(decoding: $0.payload, as: UTF8.self) }
    }

    /// Waits until the store holds at least `count` entries.
    func waitForEntries(_ count: UInt64, timeout: Double = 60) throws -> UInt64 {
        let deadline = Date().addingTimeInterval(timeout)
        var n: UInt64 = 0
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: databasePath), let r = try? reader(),
                let next = try? r.nextIndex()
            {
                n = next
                if n >= count { return n }
            }
            usleep(50_000)
        }
        return n
    }
}

/// Publishes numbered JSON readings.
enum Readings {
    static func json(_ i: Int) -> [UInt8] { Array("{\"seq\":\(i),\"value\":\(Double(i) / 10)}".utf8) }

    static func publish(
        to broker: MosquittoBroker, range: Range<Int>, topic: String = "factory/press-1/telemetry", qos: UInt8 = 1,
        tls: MQTTClientOptions.TLS? = nil
    ) throws {
        let pub = try MQTTPublisher(clientID: "pub-\(UUID().uuidString.prefix(6))")
        try pub.connect(host: "127.0.0.1", port: broker.port, tls: tls)
        for i in range { try pub.publish(topic: topic, payload: json(i), qos: qos) }
        _ = pub.drain(timeout: 60)
        pub.disconnect()
    }

    /// The `seq` of a stored JSON payload.
    static func sequence(of payload: String) -> Int? {
        guard let r = payload.range(of: "\"seq\":") else { return nil }
        return Int(payload[r.upperBound...].prefix { $0.isNumber })
    }
}
