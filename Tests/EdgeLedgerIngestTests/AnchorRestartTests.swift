import EdgeLedgerSystem
import EdgeLedgerTestSupport
import Foundation
import Testing

/// A restart of the real `edge-ledger-upstream` while its anchoring hook still runs (issue 11,
/// finding 9): the hook must not hold the listening socket (nor any other descriptor), so the
/// new process binds its port.
@Suite(.serialized) struct AnchorRestartTests {
    @Test func upstreamRestartWhileAnAnchoringHookLivesBindsItsPort() async throws {
        let broker = try MosquittoBroker()
        let upstream = try UpstreamHarness()
        let gateway = try AgentHarness(broker: broker, http: true, extraConfig: upstream.gatewayUpstreamEntry)
        try upstream.configure(gateway: gateway)
        // A hook that takes its document and then stays (a stuck anchoring client).
        let pids = upstream.directory.appendingPathComponent("hook.pids").path
        try "#!/bin/sh\necho $$ >> '\(pids)'\ncat > /dev/null\nexec sleep 600\n".write(
            toFile: upstream.directory.appendingPathComponent("anchor.sh").path, atomically: true, encoding: .utf8)
        func hookPIDs() -> [Int32] {
            ((try? String(contentsOfFile: pids, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                Int32($0)
            }
        }
        defer {
            upstream.stop(signal: SIGKILL)
            gateway.stop(signal: SIGKILL)
            for pid in hookPIDs() { kill(-pid, SIGKILL) }
        }
        try gateway.start()
        try upstream.start()
        try Readings.publish(to: broker, range: 0..<20)
        let hooked = Eventually.holds(timeout: 120) { !hookPIDs().isEmpty }
        #expect(hooked, "the anchoring hook never ran:\n\(upstream.log)")
        let hook = try #require(hookPIDs().first)
        // The upstream dies without a clean shutdown; its hook lives on in its own process group.
        upstream.stop(signal: SIGKILL)
        #expect(kill(hook, 0) == 0, "the hook died with the upstream")
        // Nothing of the dead upstream's is held by the hook.
        let held = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(hook)/fd")) ?? []
        #expect(held.sorted() == ["0", "1", "2"], "the hook holds descriptors \(held.sorted())")
        // The restart binds the port again. (Before the fix the hook held the dead upstream's
        // descriptors, 10 and more, as checked above; the EADDRINUSE of the report needs the
        // listening socket among them, which this build's NIO opens close-on-exec.)
        try upstream.start()
        #expect(FreePort.canConnect(port: upstream.port))
    }
}
