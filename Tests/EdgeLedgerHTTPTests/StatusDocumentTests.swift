import EdgeLedgerCore
import EdgeLedgerSystem
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import EdgeLedgerGateway
@testable import EdgeLedgerHTTP

/// `GET /status`: the typed status document `edge-ledger status` reads (docs/FORMAT.md).
@Suite("status document")
struct StatusDocumentTests {
    @Test("/status is anonymous JSON that follows the agent's readiness and broker state")
    func served() async throws {
        let status = BrokerStatus()
        // Reads need a token here (no allow_anonymous_read): /status, like /readyz, does not.
        try await withLiveAPI(SharedFixtures.small, status: status) { client in
            var r = try await client.execute(uri: "/status", method: .get)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/json")
            #expect(r.headers[.cacheControl] == "no-store")
            var document = try AgentStatusDocument(json: Array(r.body.readableBytesView))
            #expect(document.ready)
            #expect(document.broker == .connected)
            #expect(document.pid == Int(getpid()))
            #expect(document.agentVersion == EdgeLedgerVersion.current)

            status.set(problems: ["MQTT broker not connected"], broker: false)
            r = try await client.execute(uri: "/status", method: .get)
            #expect(r.status == .ok)
            document = try AgentStatusDocument(json: Array(r.body.readableBytesView))
            #expect(!document.ready)
            #expect(document.problems == ["MQTT broker not connected"])
            #expect(document.broker == .disconnected)
            // Any JSON reader takes it, with the documented members.
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(r.body.readableBytesView)) as? [String: Any])
            #expect(object["format"] as? String == "edge-ledger-status/v1")
            #expect(object["ready"] as? Bool == false)
            #expect(object["broker"] as? String == "disconnected")
        }
    }

    @Test("Problems with quotes, controls and non-ASCII round-trip; other formats and junk are refused")
    func roundTrip() throws {
        let hostile = AgentStatusDocument(
            pid: 7, ready: false, problems: ["store not writable: \"disk\\full\"\n\u{1}\u{7f}\u{85} 温度 🌡"],
            warnings: ["warning: x"], broker: .unknown)
        let json = hostile.json()
        #expect(JSONSyntax.objectProblem(Array(json.utf8)) == nil)
        #expect(try AgentStatusDocument(json: Array(json.utf8)) == hostile)

        let other = json.replacingOccurrences(of: "edge-ledger-status/v1", with: "edge-ledger-status/v9")
        #expect(throws: AgentStatusDocumentError.self) { try AgentStatusDocument(json: Array(other.utf8)) }
        #expect(throws: AgentStatusDocumentError.self) { try AgentStatusDocument(json: Array("ready\n".utf8)) }
        let huge = Array(repeating: UInt8(ascii: " "), count: AgentStatusDocument.maximumSize + 1)
        #expect(throws: AgentStatusDocumentError.self) { try AgentStatusDocument(json: huge) }
    }
}

/// The agent's state as the tests set it.
final class BrokerStatus: LedgerAPIStatus, Sendable {
    private let state = Mutex<([String], Bool)>(([], true))
    func set(problems: [String], broker: Bool) { state.withLock { $0 = (problems, broker) } }
    func readiness() async -> LedgerReadiness {
        let (problems, broker) = state.withLock { $0 }
        return LedgerReadiness(problems: problems, brokerConnected: broker)
    }
}
