import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerUpstream

/// `edge-ledger-upstream` under a notification socket bound like systemd's: READY=1 once the
/// store is open and the witness listens, STATUS= lines, WATCHDOG=1 while the store answers,
/// STOPPING=1 on SIGTERM.
@Suite struct UpstreamNotifyTests {
    @Test func upstreamSendsReadyStatusWatchdogAndStopping() throws {
        let directory = try TemporaryDirectory.make(prefix: "upstream-notify")
        defer { try? FileManager.default.removeItem(at: directory) }
        let edgeLedger = try BuiltProducts.executable("edge-ledger")
        let edgeLedgerUpstream = try BuiltProducts.executable("edge-ledger-upstream")
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        for (name, out) in [("witness.example/dc-1", "witness"), ("demo.example/gw-1", "gateway")] {
            let keygen = try ChildProcess(
                executable: edgeLedger, arguments: ["keygen", "--alg", "ed25519", "--name", name, "--out", path(out)])
            #expect(keygen.wait(timeout: 60) == 0)
        }
        let gatewayKey = try String(contentsOfFile: path("gateway/ed25519.pub"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try FreePort.find()
        try """
        [witness]
        name = "witness.example/dc-1"
        key_file = "witness/ed25519.key"
        [http]
        listen = "127.0.0.1:\(port)"
        [storage]
        path = "store/upstream.db"
        [[gateways]]
        origin = "demo.example/gw-1"
        url = "http://127.0.0.1:1"
        verifier_keys = ["\(gatewayKey)"]
        """.write(toFile: path("upstream.toml"), atomically: true, encoding: .utf8)

        let listener = try NotifySocket(path: path("notify"))
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = listener.environmentValue
        environment["WATCHDOG_USEC"] = "1000000"
        let upstream = try ChildProcess(
            executable: edgeLedgerUpstream, arguments: ["run", "--config", path("upstream.toml")],
            outputFile: path("upstream.log"), environment: environment)

        var messages: [String] = []
        func receiveUntil(_ wanted: String, timeout: Double = 60) throws {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                guard let message = try listener.next(within: 1) else { continue }
                #expect(message.senderPID == upstream.pid)
                messages.append(message.text)
                if message.text.split(separator: "\n").contains(where: { $0.hasPrefix(wanted) }) { return }
            }
            throw TestSupportError("no \(wanted) within \(timeout) s; got \(messages)")
        }
        try receiveUntil("READY=1")
        #expect(FreePort.canConnect(port: port), "READY=1 before the witness listens")
        #expect(messages.last?.contains("STATUS=witnessing 1 gateway on port \(port)") == true)
        // The watchdog interval is 0.5 s: pings keep coming while the store answers.
        let readyAt = messages.count
        try receiveUntil("WATCHDOG=1", timeout: 5)
        try receiveUntil("WATCHDOG=1", timeout: 5)
        #expect(messages.count > readyAt)
        upstream.signal(SIGTERM)
        try receiveUntil("STOPPING=1", timeout: 30)
        #expect(upstream.wait(timeout: 60) == 0)
        #expect(messages.contains { $0.hasPrefix("STATUS=witnessing 1 gateway on port \(port); 0 entries verified") })
    }
}
