import EdgeLedgerCore
import EdgeLedgerCrypto
import EdgeLedgerHTTP
import EdgeLedgerStore
import EdgeLedgerSystem
import EdgeLedgerTestSupport
import EdgeLedgerUpstream
import Foundation

/// The reference upstream under test: its own directory with a witness key, an `upstream.toml`
/// that pulls one gateway, an anchoring hook (a shell script that writes each JSON document it
/// gets on stdin to its own file), and the real `edge-ledger-upstream` binary.
final class UpstreamHarness: @unchecked Sendable {
    // @unchecked: used by one test at a time, from one task.
    /// Removed with everything in it once the harness is released.
    let folder: TemporaryFolder
    var directory: URL { folder.url }
    let port: Int
    static let witnessName = "witness.test/dc-1"
    /// The witness's cosignature verifier key (type 0x04), for the gateway's `[[upstreams]]`.
    let witnessKey: String
    static let mirrorName = "mirror.test/dc-1"
    /// The mirror's cosignature verifier key, for a pushing gateway's `mirror_key`.
    let mirrorKey: String
    /// The bearer token a pushing gateway sends (its hash is in the upstream's `[[http.tokens]]`).
    static let pushToken = "push-token-for-tests"
    var process: ChildProcess?
    var configPath: String { directory.appendingPathComponent("upstream.toml").path }
    var storePath: String { directory.appendingPathComponent("data/upstream.db").path }
    var logPath: String { directory.appendingPathComponent("upstream.log").path }
    var anchorsPath: String { directory.appendingPathComponent("anchors").path }

    /// Makes the directory, the witness key and the anchoring hook; the configuration follows
    /// with ``configure(gateway:)`` once the gateway exists.
    init() throws {
        folder = try TemporaryFolder(prefix: "upstream")
        let directory = folder.url
        port = try FreePort.find()
        let keys = directory.appendingPathComponent("keys")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        let key = try PrivateKey.generate(.ed25519)
        try KeyFile.save(key, to: keys.appendingPathComponent("witness.key").path)
        witnessKey = try CosignatureV1Signer(name: Self.witnessName, privateKey: key).verifierKey.string
        let mirror = try PrivateKey.generate(.ed25519)
        try KeyFile.save(mirror, to: keys.appendingPathComponent("mirror.key").path)
        mirrorKey = try CosignatureV1Signer(name: Self.mirrorName, privateKey: mirror).verifierKey.string
        try FileManager.default.createDirectory(atPath: anchorsPath, withIntermediateDirectories: true)
        let hook = """
            #!/bin/sh
            # Anchoring hook under test: one file per document, written whole before it is renamed.
            set -e
            tmp=$(mktemp "$1/.doc.XXXXXX")
            cat >"$tmp"
            mv "$tmp" "$tmp.json"
            """
        try hook.write(toFile: directory.appendingPathComponent("anchor.sh").path, atomically: true, encoding: .utf8)
    }

    /// The `[[upstreams]]` entry that makes `gateway` push to this witness and accept its acks.
    var gatewayUpstreamEntry: String {
        """
        [[upstreams]]
        name = "dc-1"
        url = "http://127.0.0.1:\(port)"
        verifier_key = "\(witnessKey)"

        [upstreams.backoff]
        initial = "100ms"
        max = "1s"
        """
    }

    /// The `[[upstreams]]` entry that makes `gateway` push its log to this upstream's mirror
    /// (C2SP tlog-mirror; the gateway needs no API).
    var gatewayPushEntry: String {
        """
        [[upstreams]]
        name = "dc-1"
        mode = "push"
        url = "http://127.0.0.1:\(port)/mirror"
        mirror_key = "\(mirrorKey)"
        token = "\(Self.pushToken)"
        required_for_retention = true

        [upstreams.backoff]
        initial = "100ms"
        max = "1s"
        """
    }

    /// Writes `upstream.toml` for `gateway` (its origin, verifier key, API port and token); with
    /// `push`, a `[mirror]` and the token the gateway pushes with, and no gateway API to pull.
    func configure(gateway: AgentHarness, push: Bool = false) throws {
        let apiPort: Int
        if push {
            apiPort = 1  // nobody listens there: the gateway pushes
        } else {
            guard let port = gateway.httpPort else { throw TestSupportError("the gateway has no HTTP API") }
            apiPort = port
        }
        let mirror =
            push
            ? """

            [mirror]
            name = "\(Self.mirrorName)"
            key_file = "keys/mirror.key"

            [[http.tokens]]
            name = "gw-push"
            token_sha256 = "\(OpenSSLHasher.sha256.hash(Array(Self.pushToken.utf8)).hex)"
            """ : ""
        let clients = push ? "witness_clients = [\"gw-push\"]" : ""
        let toml = """
            [witness]
            name = "\(Self.witnessName)"
            key_file = "keys/witness.key"

            [http]
            listen = "127.0.0.1:\(port)"
            \(mirror)

            [storage]
            path = "data/upstream.db"
            durability = "process"

            [[gateways]]
            origin = "\(gateway.origin)"
            url = "http://127.0.0.1:\(apiPort)"
            verifier_keys = ["\(gateway.verifierKey)"]
            token = "test-token"
            pull_interval = "1s"
            \(clients)

            [gateways.backoff]
            initial = "100ms"
            max = "1s"

            [anchor]
            command = ["/bin/sh", "\(directory.appendingPathComponent("anchor.sh").path)", "\(anchorsPath)"]
            timeout = "20s"

            [anchor.retry]
            initial = "100ms"
            max = "1s"

            [metrics]
            allow_anonymous = true

            [log]
            level = "info"
            """
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Runs `edge-ledger-upstream ARGUMENTS` to its end; returns (exit code, output).
    func runOnce(_ arguments: [String]) throws -> (Int32?, String) {
        let out = directory.appendingPathComponent("once-\(UUID().uuidString.prefix(6)).out").path
        let child = try ChildProcess(
            executable: try BuiltProducts.executable("edge-ledger-upstream"), arguments: ["run"] + arguments,
            outputFile: out)
        let code = child.wait(timeout: 60)
        return (code, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    /// Starts `edge-ledger-upstream --config upstream.toml` and waits until it listens.
    func start() throws {
        process = try ChildProcess(
            executable: try BuiltProducts.executable("edge-ledger-upstream"),
            arguments: ["run", "--config", configPath],
            outputFile: logPath)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if FreePort.canConnect(port: port) { return }
            if let process, !process.isRunning { throw TestSupportError("upstream exited early:\n\(log)") }
            usleep(20_000)
        }
        throw TestSupportError("upstream did not listen within 30 s:\n\(log)")
    }

    /// Stops the upstream with `signal` and waits; returns its exit code.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32? {
        guard let process else { return nil }
        process.signal(signal)
        let code = process.wait(timeout: 30)
        self.process = nil
        return code
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The anchoring documents the hook received, parsed, in no particular order.
    func anchorDocuments() -> [[String: Any]] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: anchorsPath)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap { name in
            guard let data = FileManager.default.contents(atPath: anchorsPath + "/" + name) else { return nil }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
    }

    /// Opens the upstream's store (only while the upstream is stopped: it is the one writer).
    func openStore() throws -> CollectorStore {
        try CollectorStore(path: storePath, durability: .process)
    }
}
